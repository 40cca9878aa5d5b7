"""Consolidated metadata, both ways with zarr-python.

zarr-python consolidates a hierarchy (v3: inline in the root's zarr.json;
v2: `.zmetadata`); zarrio opens it with `zarrio_store_open_consolidated`,
after every other metadata file has been deleted, so that everything it
finds (children, attributes, array metadata) can only have come from the
consolidated document, and reads the arrays bit for bit.

zarrio consolidates a hierarchy it wrote (`zarrio_group_consolidate_metadata`);
zarr-python's `open_consolidated` then finds every node and reads it, also
with the members' own zarr.json files deleted.
"""

from __future__ import annotations

import json
from ctypes import byref, c_void_p

import numpy as np
import pytest

from zarrio_ctypes import Array, Store, ZarrioError, lib

METADATA_FILES = ("zarr.json", ".zarray", ".zgroup", ".zattrs")


def _delete_member_metadata(root):
    """Delete the metadata files of every node below the root."""
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name in METADATA_FILES and p.parent != root:
            p.unlink()


def _group_call(store: Store, path: str, call: str):
    L = lib()
    g = c_void_p()
    L.check(L.fn("zarrio_group_open")(store.handle, path.encode(), byref(g)), "zarrio_group_open")
    try:
        p = c_void_p()
        L.check(L.fn(call)(g, byref(p)), call)
        return json.loads(L.take_string(p))
    finally:
        L.fn("zarrio_group_free")(g)


def _zarr_python_hierarchy(path, zarr_format):
    import zarr

    rng = np.random.default_rng(7)
    data = {
        "a": rng.integers(-1000, 1000, size=(9, 7), dtype="<i4"),
        "sub/b": rng.standard_normal((5, 6)).astype("<f8"),
        "sub/deeper/c": rng.integers(0, 255, size=(4,), dtype="u1"),
    }
    root = zarr.open_group(str(path), mode="w", zarr_format=zarr_format,
                           attributes={"title": "root"})
    a = root.create_array("a", shape=(9, 7), chunks=(4, 3), dtype="<i4")
    a[:] = data["a"]
    a.attrs["units"] = "m"
    sub = root.create_group("sub", attributes={"level": 1})
    b = sub.create_array("b", shape=(5, 6), chunks=(2, 4), dtype="<f8", fill_value=np.nan)
    b[:3] = data["sub/b"][:3]  # a hole: the rest reads as the NaN fill
    data["sub/b"][3:] = np.nan
    b.attrs["valid_range"] = [float("-inf"), float("inf")]  # bare tokens in JSON
    b.attrs["missing"] = float("nan")
    c = sub.create_group("deeper").create_array("c", shape=(4,), chunks=(3,), dtype="u1")
    c[:] = data["sub/deeper/c"]
    zarr.consolidate_metadata(str(path))
    return data


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_zarrio_reads_zarr_python_consolidated(zarrio, tmp_path, zarr_format):
    data = _zarr_python_hierarchy(tmp_path, zarr_format)
    _delete_member_metadata(tmp_path)
    with Store.filesystem(tmp_path) as plain:
        # The members are gone from the store itself.
        with pytest.raises(ZarrioError) as e:
            Array.open(plain, "a")
        assert e.value.status_name == "ZARRIO_ERR_NOT_FOUND"
        with Store.consolidated(plain) as store:
            assert _group_call(store, "", "zarrio_group_attributes") == {"title": "root"}
            assert _group_call(store, "", "zarrio_group_children") == [
                {"name": "a", "node_type": "array"}, {"name": "sub", "node_type": "group"}]
            assert _group_call(store, "sub", "zarrio_group_attributes") == {"level": 1}
            assert _group_call(store, "sub", "zarrio_group_children") == [
                {"name": "b", "node_type": "array"}, {"name": "deeper", "node_type": "group"}]
            for path, expected in data.items():
                with Array.open(store, path) as arr:
                    got = arr.read()
                    assert got.dtype == expected.dtype
                    np.testing.assert_array_equal(got, expected)
                    assert got.tobytes() == expected.tobytes()
            with Array.open(store, "a") as arr:
                assert arr.attributes() == {"units": "m"}
            with Array.open(store, "sub/b") as arr:
                assert arr.attributes() == {"valid_range": ["-Infinity", "Infinity"],
                                            "missing": "NaN"}


def test_zarr_python_reads_zarrio_consolidated(zarrio, tmp_path):
    import zarr

    L = lib()
    rng = np.random.default_rng(11)
    a_data = rng.integers(0, 60000, size=(10, 6), dtype="<u2")
    b_data = rng.standard_normal((7,)).astype("<f4")
    zarr_json = lambda shape, chunks, dtype, fill: {  # noqa: E731
        "zarr_format": 3, "node_type": "array", "shape": list(shape), "data_type": dtype,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(chunks)}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": fill,
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                   {"name": "zstd", "configuration": {"level": 3, "checksum": False}}],
        "attributes": {"made_by": "zarrio"},
    }
    with Store.filesystem(tmp_path) as store:
        g = c_void_p()
        L.check(L.fn("zarrio_group_create")(store.handle, b"", b'{"title": "t"}', byref(g)),
                "zarrio_group_create")
        h = c_void_p()
        L.check(L.fn("zarrio_group_create")(store.handle, b"grp", b'{"x": 1}', byref(h)),
                "zarrio_group_create")
        L.fn("zarrio_group_free")(h)
        with Array.create(store, "grp/a", zarr_json((10, 6), (4, 4), "uint16", 0)) as a:
            a.write([0, 0], a_data)
        with Array.create(store, "b", zarr_json((7,), (3,), "float32", "NaN")) as b:
            b.write([0], b_data)
        try:
            L.check(L.fn("zarrio_group_consolidate_metadata")(g), "zarrio_group_consolidate_metadata")
        finally:
            L.fn("zarrio_group_free")(g)

    _delete_member_metadata(tmp_path)
    root = zarr.open_consolidated(str(tmp_path), zarr_format=3)
    assert dict(root.attrs) == {"title": "t"}
    assert sorted(root.group_keys()) == ["grp"]
    assert sorted(root.array_keys()) == ["b"]
    assert dict(root["grp"].attrs) == {"x": 1}
    a = root["grp/a"]
    assert dict(a.attrs) == {"made_by": "zarrio"}
    np.testing.assert_array_equal(a[:], a_data)
    assert a[:].tobytes() == a_data.tobytes()
    assert root["b"][:].tobytes() == b_data.tobytes()
    assert np.isnan(root["b"].fill_value)


def test_zarr_python_reads_zarrio_v2_consolidated(zarrio, tmp_path):
    """zarrio writes a v2 group's .zmetadata, as zarr-python's consolidate_metadata."""
    import zarr

    data = _zarr_python_hierarchy(tmp_path / "theirs", 2)
    theirs = json.loads((tmp_path / "theirs" / ".zmetadata").read_text(), parse_constant=str)
    (tmp_path / "theirs" / ".zmetadata").unlink()
    L = lib()
    with Store.filesystem(tmp_path / "theirs") as store:
        g = c_void_p()
        L.check(L.fn("zarrio_group_open")(store.handle, b"", byref(g)), "zarrio_group_open")
        try:
            L.check(L.fn("zarrio_group_consolidate_metadata")(g), "zarrio_group_consolidate_metadata")
        finally:
            L.fn("zarrio_group_free")(g)
    ours = json.loads((tmp_path / "theirs" / ".zmetadata").read_text(), parse_constant=str)

    # zarr-python puts an empty consolidated_metadata into member .zgroup
    # documents it has written since; the rest is the same.
    def plain(doc):
        return {k: {kk: vv for kk, vv in v.items() if kk != "consolidated_metadata"}
                for k, v in doc["metadata"].items()}

    assert ours["zarr_consolidated_format"] == 1
    assert plain(ours) == plain(theirs)
    _delete_member_metadata(tmp_path / "theirs")
    root = zarr.open_consolidated(str(tmp_path / "theirs"), zarr_format=2)
    for path, expected in data.items():
        assert np.asarray(root[path][...]).tobytes() == expected.tobytes(), path
    with Store.filesystem(tmp_path / "theirs") as plain_store, Store.consolidated(plain_store) as store:
        with Array.open(store, "sub/deeper/c") as arr:
            assert arr.read().tobytes() == data["sub/deeper/c"].tobytes()


def test_metadata_is_not_written_through_a_consolidated_store(zarrio, tmp_path):
    import zarr

    _zarr_python_hierarchy(tmp_path, 3)
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    L = lib()
    with Store.filesystem(tmp_path) as plain, Store.consolidated(plain) as store:
        with pytest.raises(ZarrioError) as e:
            Array.create(store, "new", {"zarr_format": 3, "node_type": "array", "shape": [2],
                                        "data_type": "uint8", "fill_value": 0,
                                        "chunk_grid": {"name": "regular",
                                                       "configuration": {"chunk_shape": [2]}},
                                        "chunk_key_encoding": {"name": "default"},
                                        "codecs": [{"name": "bytes"}]})
        assert e.value.status_name == "ZARRIO_ERR_UNSUPPORTED"
        with Array.open(store, "a") as arr:
            st = L.fn("zarrio_array_set_attributes")(arr.handle, b"{}")
            assert st != 0 and "consolidated" in L.last_error()
    after = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert after == before
    # zarr-python still reads it as it was.
    assert dict(zarr.open_consolidated(str(tmp_path))["a"].attrs) == {"units": "m"}


def test_a_group_without_consolidated_metadata(zarrio, tmp_path):
    import zarr

    zarr.open_group(str(tmp_path), mode="w", zarr_format=3)
    with Store.filesystem(tmp_path) as plain:
        with pytest.raises(ZarrioError) as e:
            Store.consolidated(plain)
        assert e.value.status_name == "ZARRIO_ERR_NOT_FOUND"
        assert "consolidated" in e.value.message


def test_zarrio_consolidation_keeps_python_nan_attributes(zarrio, tmp_path):
    import math

    import zarr

    root = zarr.open_group(str(tmp_path), mode="w", zarr_format=3, attributes={"r": float("nan")})
    root.create_array("x", shape=(2,), dtype="f4").attrs["valid_max"] = float("inf")
    root.create_group("g").attrs["n"] = float("-inf")
    L = lib()
    with Store.filesystem(tmp_path) as store:
        g = c_void_p()
        L.check(L.fn("zarrio_group_open")(store.handle, b"", byref(g)), "zarrio_group_open")
        try:
            L.check(L.fn("zarrio_group_consolidate_metadata")(g), "zarrio_group_consolidate_metadata")
        finally:
            L.fn("zarrio_group_free")(g)
    _delete_member_metadata(tmp_path)
    c = zarr.open_consolidated(str(tmp_path), zarr_format=3)
    assert math.isnan(c.attrs["r"])
    assert c["x"].attrs["valid_max"] == float("inf")
    assert c["g"].attrs["n"] == float("-inf")
