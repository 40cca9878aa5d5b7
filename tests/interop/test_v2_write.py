"""Zarr v2 hierarchies written by zarrio, read by zarr-python.

`zarrio_array_create` takes `.zarray` text as it takes `zarr.json` text:
the array's ancestors become v2 groups (`.zgroup`), an empty `.zattrs`
goes beside the `.zarray`, strings and records are written as zarr-python
writes them, and a resize rewrites `.zarray` with only its shape changed.
(Every compressor, filter, data type and order of the v2 read suite is
written too: test_v2_and_numcodecs.py.)
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from zarrio_ctypes import Array, Store, ZarrioError


def _zarray(**over):
    doc = {"zarr_format": 2, "shape": [7, 5], "chunks": [3, 2], "dtype": "<i4", "compressor": {"id": "zstd", "level": 1},
           "fill_value": -1, "order": "C", "filters": None, "dimension_separator": "."}
    doc.update(over)
    return doc


def test_nested_array_makes_v2_groups(zarrio, tmp_path):
    import zarr

    data = np.arange(35, dtype="<i4").reshape(7, 5)
    with Store.filesystem(tmp_path) as store:
        with Array.create(store, "a/b/c", _zarray()) as arr:
            arr.write((0, 0), data)
    for group in ["", "a", "a/b"]:
        assert json.loads((tmp_path / group / ".zgroup").read_text()) == {"zarr_format": 2}
        assert not (tmp_path / group / "zarr.json").exists()
    assert json.loads((tmp_path / "a/b/c/.zattrs").read_text()) == {}
    root = zarr.open_group(str(tmp_path), mode="r", zarr_format=2)
    assert np.array_equal(root["a/b/c"][...], data)


def test_resize_rewrites_the_zarray(zarrio, tmp_path):
    import zarr

    data = np.arange(35, dtype="<i4").reshape(7, 5)
    with Store.filesystem(tmp_path) as store:
        with Array.create(store, "a", _zarray()) as arr:
            arr.write((0, 0), data)
            before = json.loads((tmp_path / "a/.zarray").read_text())
            arr.resize((4, 3))
            arr.resize((8, 5))
            assert arr.shape == (8, 5)
            assert arr.metadata()["shape"] == [8, 5]
    after = json.loads((tmp_path / "a/.zarray").read_text())
    assert after == dict(before, shape=[8, 5])
    want = np.full((8, 5), -1, "<i4")
    want[:4, :3] = data[:4, :3]
    assert np.array_equal(zarr.open_array(str(tmp_path / "a"), mode="r", zarr_format=2)[...], want)


@pytest.mark.parametrize("kind", ["str", "bytes"])
def test_strings(zarrio, tmp_path, kind):
    import zarr

    items = [b"", b"alpha", "\u00e9t\u00e9".encode(), b"x" * 300, b"z", b"", b"last"]
    zarray = _zarray(shape=[7], chunks=[3], dtype="|O", fill_value="" if kind == "str" else None,
                     filters=[{"id": "vlen-utf8" if kind == "str" else "vlen-bytes"}])
    with Store.filesystem(tmp_path) as store:
        with Array.create(store, "s", zarray) as arr:
            arr.write_strings((0,), (7,), items)
            assert arr.read_strings() == items
    got = zarr.open_array(str(tmp_path / "s"), mode="r", zarr_format=2)[...]
    want = [i.decode() for i in items] if kind == "str" else items
    assert list(got) == want


def test_records(zarrio, tmp_path):
    import zarr

    dtype = np.dtype([("id", ">i4"), ("point", [("x", ">f4"), ("y", ">f4")]), ("tag", "S2")])
    fill = np.array((-1, (0.5, 1.5), b"no"), dtype)
    zarray = _zarray(shape=[6], chunks=[4], dtype=[["id", ">i4"], ["point", [["x", ">f4"], ["y", ">f4"]]],
                                                   ["tag", "|S2"]],
                     fill_value=__import__("base64").b64encode(fill.tobytes()).decode())
    data = np.zeros(3, dtype)
    data["id"] = [1, 2, 3]
    data["point"]["x"] = [0.25, 0.5, 0.75]
    data["tag"] = [b"ab", b"c", b""]
    with Store.filesystem(tmp_path) as store:
        with Array.create(store, "r", zarray) as arr:
            arr.write((0,), data.astype(arr.dtype))
    got = zarr.open_array(str(tmp_path / "r"), mode="r", zarr_format=2)[...]
    assert got[:3].tobytes() == data.tobytes()
    assert got[3:].tobytes() == fill.tobytes() * 3


@pytest.mark.parametrize("missing", ["compressor", "filters", "order", "fill_value", "chunks"])
def test_incomplete_zarray_is_refused(zarrio, tmp_path, missing):
    doc = _zarray()
    del doc[missing]
    with Store.filesystem(tmp_path) as store:
        with pytest.raises(ZarrioError) as e:
            Array.create(store, "a", doc)
        assert e.value.status_name == "ZARRIO_ERR_INVALID_METADATA", e.value
        assert missing in e.value.message
    assert not (tmp_path / "a").exists() and not (tmp_path / ".zgroup").exists()


@pytest.mark.parametrize("over", [
    {"compressor": {"id": "zlib", "level": 1, "foo": 2}},
    {"compressor": {"id": "zstd", "lvl": 9}},
    {"compressor": {"id": "lz4", "level": 9}},
    {"filters": [{"id": "shuffle", "elementsize": 4, "x": 1}]},
    {"dimension_separator": None},
    {"dtype": "=i4"},
    {"dtype": "<f4", "fill_value": "0x7fc00001"},
    {"dtype": "|O", "filters": [{"id": "vlen-bytes"}], "fill_value": 0},
    {"dtype": "|O", "filters": [{"id": "vlen-utf8"}, {"id": "shuffle", "elementsize": 4}], "fill_value": ""},
], ids=["zlib_key", "zstd_key", "lz4_key", "shuffle_key", "null_separator", "native_order", "hex_fill",
        "object_number_fill", "object_shuffle"])
def test_what_zarr_python_cannot_read_is_not_written(zarrio, tmp_path, over):
    """The reader forgives these forms of old writers; zarr-python refuses
    to open them, so zarrio does not write them."""
    with Store.filesystem(tmp_path) as store:
        with pytest.raises(ZarrioError) as e:
            Array.create(store, "a", _zarray(**over))
        assert e.value.status_name == "ZARRIO_ERR_INVALID_METADATA", e.value
        assert "zarr-python cannot read" in e.value.message or "is not a number" in e.value.message
    assert not (tmp_path / "a").exists()


@pytest.mark.parametrize("dtype,compressor,order,sep", [
    ("<u2", None, "C", "."),
    (">i4", {"id": "zlib", "level": 3}, "F", "/"),
    ("<f8", {"id": "blosc", "cname": "lz4hc", "clevel": 4, "shuffle": 2, "blocksize": 0}, "C", "."),
    ("<i8", {"id": "zstd", "level": 2}, "F", "."),
    ("|b1", {"id": "bz2", "level": 5}, "C", "/"),
])
def test_tensorstore_reads_zarrio_v2(zarrio, tmp_path, dtype, compressor, order, sep):
    import tensorstore as ts

    shape, chunks = (13, 10, 6), (5, 4, 3)
    zarray = _zarray(shape=list(shape), chunks=list(chunks), dtype=dtype, compressor=compressor, order=order,
                     dimension_separator=sep, fill_value=(True if dtype == "|b1" else 7))
    rng = np.random.default_rng(9)
    data = rng.integers(0, 2 if dtype == "|b1" else 1000, size=shape).astype(np.dtype(dtype).newbyteorder("="))
    with Store.filesystem(tmp_path) as store:
        with Array.create(store, "a", zarray) as arr:
            arr.write((1, 0, 0), data[1:])
    want = data.copy()
    want[0] = zarray["fill_value"]
    t = ts.open({"driver": "zarr", "kvstore": {"driver": "file", "path": str(tmp_path / "a")}}).result()
    assert np.array_equal(np.asarray(t.read().result()), want)


def test_blosc_after_a_narrowing_filter_writes_numcodecs_bytes(zarrio, tmp_path):
    """blosc shuffles the elements the filters before it leave (here int16
    after a delta into int16), as numcodecs does: the chunks are byte for
    byte the ones zarr-python writes."""
    import numcodecs
    import zarr

    data = np.cumsum(np.random.default_rng(1).integers(-50, 50, 400)).astype("<i8").reshape(20, 20)
    a = zarr.create_array(str(tmp_path / "theirs"), shape=(20, 20), chunks=(10, 10), dtype="<i8",
                          zarr_format=2, filters=[numcodecs.Delta(dtype="<i8", astype="<i2")],
                          compressors=numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE))
    a[:] = data
    zarray = json.loads((tmp_path / "theirs" / ".zarray").read_text())
    with Store.filesystem(tmp_path) as store, Array.create(store, "ours", zarray) as arr:
        arr.write((0, 0), data)
    for key in ["0.0", "0.1", "1.0", "1.1"]:
        assert (tmp_path / "ours" / key).read_bytes() == (tmp_path / "theirs" / key).read_bytes(), key


def test_number_fill_of_strings_is_written(zarrio, tmp_path):
    """zarr-python 2 wrote 0 as the fill value of object arrays; zarr-python
    3 reads it as the text "0" for strings."""
    import zarr

    zarray = _zarray(shape=[3], chunks=[2], dtype="|O", fill_value=0, filters=[{"id": "vlen-utf8"}])
    with Store.filesystem(tmp_path) as store, Array.create(store, "s", zarray) as arr:
        arr.write_strings((0,), (1,), [b"x"])
    assert list(zarr.open_array(str(tmp_path / "s"), mode="r", zarr_format=2)[...]) == ["x", "0", "0"]


def test_structured_fill_must_be_base64(zarrio, tmp_path):
    with Store.filesystem(tmp_path) as store:
        with pytest.raises(ZarrioError) as e:
            Array.create(store, "r", _zarray(dtype=[["a", "<i4"], ["b", "<f8"]], fill_value=0))
        assert e.value.status_name == "ZARRIO_ERR_INVALID_METADATA", e.value


def test_consolidation_takes_what_zarr_python_finds(zarrio, tmp_path):
    """Only nodes reached from the group through v2 groups: not those
    under a v3 group, an array, or a directory that is no node."""
    import zarr

    root = zarr.open_group(str(tmp_path), mode="w", zarr_format=2)
    root.create_array("a", shape=(2,), dtype="u1")[:] = [1, 2]
    root.create_group("g").create_array("b", shape=(2,), dtype="u1")[:] = [3, 4]
    zarr.open_group(str(tmp_path / "v3"), mode="w", zarr_format=3)
    zarr.create_array(str(tmp_path / "v3" / "below"), shape=(2,), dtype="u1", zarr_format=2)
    zarr.create_array(str(tmp_path / "plain" / "dir" / "c"), shape=(2,), dtype="u1", zarr_format=2)
    (tmp_path / "plain" / "dir" / "c" / ".zattrs").write_text("{}")
    (tmp_path / "a" / "inner").mkdir()
    (tmp_path / "a" / "inner" / ".zgroup").write_text('{"zarr_format": 2}')
    from ctypes import byref, c_void_p

    from zarrio_ctypes import lib

    L = lib()
    with Store.filesystem(tmp_path) as store:
        g = c_void_p()
        L.check(L.fn("zarrio_group_open")(store.handle, b"", byref(g)), "zarrio_group_open")
        try:
            L.check(L.fn("zarrio_group_consolidate_metadata")(g), "zarrio_group_consolidate_metadata")
        finally:
            L.fn("zarrio_group_free")(g)
    ours = json.loads((tmp_path / ".zmetadata").read_text())["metadata"]
    assert sorted(ours) == [".zattrs", ".zgroup", "a/.zarray", "a/.zattrs", "g/.zattrs", "g/.zgroup",
                            "g/b/.zarray", "g/b/.zattrs"]
    back = zarr.open_consolidated(str(tmp_path), zarr_format=2)
    assert list(back["g/b"][...]) == [3, 4]
