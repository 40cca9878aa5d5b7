"""zarr-python and tensorstore read arrays written by zarrio, bit-exactly.

For every matrix case zarrio creates the array from a zarr.json built from the
case (shape, data_type, regular chunk grid, chunk_key_encoding, fill_value,
codecs, attributes, dimension_names) and writes the case's data:

* ``whole``: the case's write regions (usually the whole array), one write
  each, C-ordered input with strides NULL;
* ``tiled``: first different data over the same regions, then the real data
  as irregular tiles that straddle chunk and shard boundaries, alternating
  C-ordered and Fortran-ordered input (element strides) -- this exercises
  read-modify-write of chunks and inner chunks, and erasing chunks that
  become all fill value.

Then zarr-python (in process) and tensorstore (in a worker process, so an
abort cannot end the session) open the array and must read the expected bytes,
shape, dtype, fill value, attributes and dimension names. A reader that cannot
express a case is skipped with its reason.
"""

from __future__ import annotations

import numpy as np
import pytest

from checks import Problems, check_peer_read, region_slices
from make_matrix import (
    CASES,
    make_values,
    reader_skip_reason,
    tiles,
    ts_read_and_info,
    zarr_read_and_info,
)
from zarrio_ctypes import Array, Store, ZarrioError

READERS = ("zarr", "tensorstore")


def _tiled_applicable(case) -> bool:
    return (case.tiled_write and case.ndim >= 1 and int(np.prod(case.shape)) > 0
            and len(case.write_regions) > 0)


PARAMS = []
for _c in CASES:
    PARAMS.append(pytest.param(_c, "whole", id=f"{_c.name}-whole"))
    if _tiled_applicable(_c):
        PARAMS.append(pytest.param(_c, "tiled", id=f"{_c.name}-tiled"))


def _start(region) -> tuple:
    return tuple(s.start for s in region)


def zarrio_write_case(case, mode: str, root) -> None:
    """Create the case with zarrio under root/'arr' and write its data."""
    with Store.filesystem(root) as store:
        try:
            arr = Array.create(store, "arr", case.zarr_json())
        except ZarrioError as e:
            raise AssertionError(f"zarrio_array_create failed for {case.name}: {e.status_name} "
                                 f"({e.status}): {e.message}\nzarr.json: {case.zarr_json()}") from None
        with arr:
            if mode == "whole":
                for r in case.write_regions:
                    _write(arr, r, np.array(case.data[r], order="C"), "C")
            else:
                noise = make_values(case.data_type, case.shape, seed=len(case.name) + 101)
                for r in case.write_regions:
                    _write(arr, r, np.array(noise[r], order="C"), "C")
                k = 0
                for r in case.write_regions:
                    rshape = tuple(s.stop - s.start for s in r)
                    for t in tiles(rshape):
                        sl = tuple(slice(a.start + b.start, a.start + b.stop) for a, b in zip(r, t))
                        block = case.data[sl]
                        block = np.array(block, order="F" if k % 2 else "C")
                        _write(arr, sl, block, "F" if k % 2 else "C")
                        k += 1


def _write(arr, region, block, order) -> None:
    try:
        arr.write(_start(region), block)
    except ZarrioError as e:
        raise AssertionError(f"zarrio_array_write of {block.shape} at {_start(region)} ({order} order) "
                             f"failed: {e.status_name} ({e.status}): {e.message}") from None


@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize("case,mode", PARAMS)
def test_write_foreign(zarrio, case, mode, reader, tmp_path, isolated):
    reason = reader_skip_reason(case, reader)
    if reason:
        pytest.skip(f"{reader} cannot read this case: {reason}")
    root = tmp_path / "store"
    zarrio_write_case(case, mode, root)
    path = str(root / "arr")
    start, shape = case.sub()
    region = region_slices(start, shape)

    p = Problems(f"{reader} reading zarrio's {case.name} ({mode} write)")
    try:
        if reader == "zarr":
            result = zarr_read_and_info(path, region)
        else:
            result = isolated.run(ts_read_and_info, path, region)
    except AssertionError:
        raise
    except Exception as e:  # noqa: BLE001
        with open(root / "arr" / "zarr.json") as f:
            md = f.read()
        raise AssertionError(f"{reader} could not read zarrio's {case.name}: {type(e).__name__}: {e}\n"
                             f"zarr.json written by zarrio: {md}") from None
    check_peer_read(reader, result, case, p)
    p.check()


def test_zarrio_writes_zarr_json(zarrio, tmp_path):
    """The zarr.json zarrio writes is a v3 array document with the case's parameters."""
    import json

    case = next(c for c in CASES if c.name == "attrs_dimnames")
    zarrio_write_case(case, "whole", tmp_path)
    md = json.loads((tmp_path / "arr" / "zarr.json").read_text())
    p = Problems("zarr.json written by zarrio")
    want = case.metadata()
    for key in ("zarr_format", "node_type", "shape", "data_type", "chunk_grid", "fill_value",
                "attributes", "dimension_names"):
        if md.get(key) != want.get(key):
            p.add(key, f"{md.get(key)!r} != {want.get(key)!r}")
    p.check()
