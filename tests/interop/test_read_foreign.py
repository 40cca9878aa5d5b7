"""zarrio reads arrays written by zarr-python and tensorstore, bit-exactly.

For every matrix case and writer: the writer creates the array in a fresh
directory; zarrio opens it and must report the same shape, data type, element
size, chunk shape, fill value (bits), attributes and dimension names, and read
the whole array (C order, strides NULL) and a sub-region (Fortran order with
element strides, and C order with explicit strides) with identical bytes
(NaN payloads, -0.0 and fill-valued regions included).
"""

from __future__ import annotations

import pytest

from checks import Problems, check_zarrio_array, check_zarrio_reads
from make_matrix import CASES, WRITERS, write_case, writer_skip_reason
from zarrio_ctypes import Array, Store, ZarrioError


@pytest.mark.parametrize("writer", WRITERS)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_read_foreign(zarrio, case, writer, tmp_path):
    reason = writer_skip_reason(case, writer)
    if reason:
        pytest.skip(f"{writer} cannot write this case: {reason}")
    root = tmp_path / "store"
    write_case(case, writer, str(root / "arr"))

    p = Problems(f"zarrio reading {writer}'s {case.name}")
    with Store.filesystem(root) as store:
        try:
            arr = Array.open(store, "arr")
        except ZarrioError as e:
            raise AssertionError(f"zarrio_array_open failed on {writer}'s {case.name}: "
                                 f"{e.status_name} ({e.status}): {e.message}") from None
        with arr:
            check_zarrio_array(arr, case, p)
            check_zarrio_reads(arr, case, p)
    p.check()


@pytest.mark.parametrize("writer", WRITERS)
def test_open_array_at_store_root(zarrio, writer, tmp_path):
    """An array whose zarr.json is at the store root is opened with path ""."""
    case = next(c for c in CASES if c.name == "shard_end")
    write_case(case, writer, str(tmp_path))
    p = Problems(f"zarrio reading {writer}'s {case.name} at the store root")
    with Store.filesystem(tmp_path) as store, Array.open(store, "") as arr:
        check_zarrio_array(arr, case, p)
        check_zarrio_reads(arr, case, p)
    p.check()


@pytest.mark.parametrize("writer", WRITERS)
def test_read_with_one_thread(zarrio, writer, tmp_path):
    """The same bytes come back when the array is read on the calling thread only."""
    case = next(c for c in CASES if c.name == "shard_nested")
    write_case(case, writer, str(tmp_path / "arr"))
    p = Problems(f"zarrio reading {writer}'s {case.name} with 1 thread")
    with Store.filesystem(tmp_path) as store, Array.open(store, "arr") as arr:
        arr.set_threads(1)
        check_zarrio_reads(arr, case, p)
    p.check()
