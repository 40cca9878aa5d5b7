"""Nodes zarrio creates below nodes that do not exist yet get group parents,
as zarr-python gives them, so zarr-python finds them from the root; a node
below an array is refused and nothing is written."""

from __future__ import annotations

from ctypes import byref, c_void_p

import pytest

from zarrio_ctypes import Array, Store, ZarrioError, lib

META = {
    "zarr_format": 3, "node_type": "array", "shape": [3], "data_type": "uint8",
    "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [3]}},
    "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
    "codecs": [{"name": "bytes"}],
}


def test_parents_become_groups(zarrio, tmp_path):
    import zarr

    L = lib()
    with Store.filesystem(tmp_path) as store:
        with Array.create(store, "a/b/arr", META) as arr:
            arr.write((0,), __import__("numpy").array([1, 2, 3], "u1"))
        g = c_void_p()
        L.check(L.fn("zarrio_group_create")(store.handle, b"x/y", b'{"k": 1}', byref(g)), "zarrio_group_create")
        L.fn("zarrio_group_free")(g)
        before = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
        with pytest.raises(ZarrioError) as e:
            Array.create(store, "a/b/arr/below", META)
        assert e.value.status_name == "ZARRIO_ERR_INVALID_ARGUMENT"
        assert "is an array" in e.value.message
    after = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert after == before
    root = zarr.open_group(str(tmp_path), mode="r")
    tree = sorted(path for path, _ in root.members(max_depth=None))
    assert tree == ["a", "a/b", "a/b/arr", "x", "x/y"], tree
    assert list(root["a/b/arr"][:]) == [1, 2, 3]
    assert dict(root["x/y"].attrs) == {"k": 1}
