"""Zarr v2 ragged arrays: object arrays of one-dimensional number arrays
through numcodecs' `VLenArray` filter (`{"id": "vlen-array", "dtype":
"<f8"}`), as zarr-python 2 wrote them. zarr-python 3 no longer writes
them, so the chunks here are made by numcodecs itself (the filter, then
the compressor, over each chunk's objects in C order), as zarr-python 2
made them. zarrio reads each item as its numbers' bytes
(`zarrio_array_read_strings`, the `ndarray` type with one variable
dimension) and writes chunks numcodecs decodes to the same arrays.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from zarrio_ctypes import Array, Store, ZarrioError

RNG_SEED = 20261207


def _items(n, dtype, rng):
    out = []
    for i in range(n):
        k = int(rng.integers(0, 9)) if i % 5 else 0
        if np.dtype(dtype).kind == "b":
            out.append(rng.integers(0, 2, k).astype(dtype))
        elif np.dtype(dtype).kind in "iu":
            out.append(rng.integers(0, 100, k).astype(dtype))
        else:
            out.append((rng.standard_normal(k) * 1e3).astype(dtype))
    return out


def _zarray(shape, chunks, dtype, compressor, fill):
    return {"zarr_format": 2, "shape": list(shape), "chunks": list(chunks), "dtype": "|O",
            "compressor": compressor, "fill_value": fill, "order": "C",
            "filters": [{"id": "vlen-array", "dtype": np.dtype(dtype).str}], "dimension_separator": "."}


def _codecs(zarray):
    import numcodecs

    vlen = numcodecs.get_codec(zarray["filters"][0])
    comp = numcodecs.get_codec(zarray["compressor"]) if zarray["compressor"] else None
    return vlen, comp


def _write_like_zarr_python_2(path, zarray, items):
    """Store `items` (C order over the shape) as zarr-python 2 stored them."""
    vlen, comp = _codecs(zarray)
    shape, chunks = zarray["shape"], zarray["chunks"]
    path.mkdir(parents=True)
    (path / ".zarray").write_text(json.dumps(zarray))
    grid = [-(-s // c) for s, c in zip(shape, chunks)]
    dt = np.dtype(zarray["filters"][0]["dtype"])
    for idx in np.ndindex(*grid):
        objs = np.empty(int(np.prod(chunks)), dtype=object)
        for k, local in enumerate(np.ndindex(*chunks)):
            g = [i * c + l for i, c, l in zip(idx, chunks, local)]
            if all(x < s for x, s in zip(g, shape)):
                objs[k] = items[int(np.ravel_multi_index(g, shape))]
            else:
                objs[k] = np.array([], dtype=dt)
        data = vlen.encode(objs)
        if comp is not None:
            data = comp.encode(data)
        (path / ".".join(map(str, idx))).write_bytes(bytes(data))


CASES = [
    ("<f8", {"id": "zstd", "level": 1}, None),
    ("<i4", {"id": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0}, 0),
    ("|u1", None, 0),
    ("<f4", {"id": "zlib", "level": 1}, None),
    ("|b1", None, None),
]


@pytest.mark.parametrize("dtype,compressor,fill", CASES)
def test_reads_and_writes_ragged_arrays(zarrio, tmp_path, dtype, compressor, fill):
    rng = np.random.default_rng(RNG_SEED)
    shape, chunks = (7, 5), (3, 2)
    items = _items(35, dtype, rng)
    zarray = _zarray(shape, chunks, dtype, compressor, fill)
    _write_like_zarr_python_2(tmp_path / "r", zarray, items)
    want = [np.asarray(i, dtype).tobytes() for i in items]
    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "r") as arr:
            assert arr.dtype_name == "ndarray"
            assert arr.read_strings() == want
            # A box that cuts chunks.
            got = arr.read_strings((1, 1), (5, 3))
            grid = np.array(want, dtype=object).reshape(shape)
            assert got == list(grid[1:6, 1:4].ravel())
        # Written by zarrio through the same .zarray: numcodecs decodes
        # every chunk to the same arrays.
        with Array.create(store, "w", zarray) as arr:
            arr.write_strings((0, 0), shape, want)
    vlen, comp = _codecs(zarray)
    for f in sorted((tmp_path / "r").iterdir()):
        if f.name == ".zarray":
            continue
        ours = (tmp_path / "w" / f.name).read_bytes()
        raw = comp.decode(ours) if comp is not None else ours
        got = vlen.decode(raw)
        theirs = vlen.decode(comp.decode(f.read_bytes()) if comp is not None else f.read_bytes())
        assert len(got) == len(theirs)
        for a, b in zip(got, theirs):
            assert np.asarray(a).tobytes() == np.asarray(b).tobytes(), f.name
    assert json.loads((tmp_path / "w" / ".zarray").read_text()) == zarray


def test_items_must_be_whole_numbers(zarrio, tmp_path):
    zarray = _zarray((4,), (2,), "<f8", None, None)
    with Store.filesystem(tmp_path) as store:
        with Array.create(store, "w", zarray) as arr:
            with pytest.raises(ZarrioError) as e:
                arr.write_strings((0,), (4,), [b"", b"\0" * 8, b"\0" * 7, b""])
            assert e.value.status_name == "ZARRIO_ERR_INVALID_ARGUMENT"
            assert "8-byte records" in str(e.value)
    assert not (tmp_path / "w" / "0").exists()


@pytest.mark.parametrize("dtype", [">f8", "<U3", "<M8[s]"])
def test_items_of_other_dtypes_are_unsupported(zarrio, tmp_path, dtype):
    zarray = _zarray((4,), (2,), "<f8", None, None)
    zarray["filters"][0]["dtype"] = dtype
    (tmp_path / "r").mkdir()
    (tmp_path / "r" / ".zarray").write_text(json.dumps(zarray))
    with Store.filesystem(tmp_path) as store:
        with pytest.raises(ZarrioError) as e:
            Array.open(store, "r")
        assert e.value.status_name == "ZARRIO_ERR_UNSUPPORTED", str(e.value)
        assert "vlen-array" in str(e.value)


def test_chunks_of_empty_items_are_stored(zarrio, tmp_path):
    """The .zarray's fill (0 or null) is no item: zarr-python 2 reads a
    missing chunk as that, so chunks of empty arrays are stored, as
    zarr-python 2 stores them."""
    vlen, _ = _codecs(_zarray((4,), (2,), "<f8", None, 0))
    with Store.filesystem(tmp_path) as store:
        with Array.create(store, "w", _zarray((4,), (2,), "<f8", None, 0)) as arr:
            arr.write_strings((0,), (4,), [b"", b"", b"", np.float64(2.5).tobytes()])
            assert arr.read_strings() == [b"", b"", b"", np.float64(2.5).tobytes()]
    for name, want in [("0", [[], []]), ("1", [[], [2.5]])]:
        got = vlen.decode((tmp_path / "w" / name).read_bytes())
        assert [list(g) for g in got] == want
