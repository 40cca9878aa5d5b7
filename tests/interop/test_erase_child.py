"""zarrio erases a child of a group zarr-python wrote (v3 or v2);
zarr-python no longer finds it, and finds everything else as it was."""

from __future__ import annotations

from ctypes import byref, c_void_p

import numpy as np
import pytest

from zarrio_ctypes import Store, lib


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_erase_child(zarrio, tmp_path, zarr_format):
    import zarr

    root = zarr.open_group(str(tmp_path), mode="w", zarr_format=zarr_format)
    root.create_array("keep", shape=(3,), dtype="i2")[:] = [1, 2, 3]
    sub = root.create_group("sub")
    sub.create_array("x", shape=(4,), chunks=(2,), dtype="f4")[:] = 1.5
    L = lib()
    with Store.filesystem(tmp_path) as store:
        g = c_void_p()
        L.check(L.fn("zarrio_group_open")(store.handle, b"", byref(g)), "zarrio_group_open")
        try:
            L.check(L.fn("zarrio_group_erase_child")(g, b"sub"), "zarrio_group_erase_child")
        finally:
            L.fn("zarrio_group_free")(g)
    after = zarr.open_group(str(tmp_path), mode="r")
    members = sorted(k for k, _ in after.members())
    assert members == ["keep"]
    np.testing.assert_array_equal(after["keep"][:], [1, 2, 3])
    assert not any(p.is_file() for p in (tmp_path / "sub").rglob("*"))
