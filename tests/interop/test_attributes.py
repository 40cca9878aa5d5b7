"""Attributes as zarr-python writes them: integers past 64 bits exactly (of
any size, past float64's range too), strings with lone surrogates, and
non-finite floats as Python's bare NaN / Infinity tokens.

zarrio hands attributes out with integers as they are stored and the
bare tokens as the strings "NaN", "Infinity", "-Infinity" (strict JSON);
it stores the attributes a host gives (at create and set, arrays and
groups, v3 and v2) as given, bare tokens and big integers included, so
that zarr-python reads back the numbers it would have written.
"""

from __future__ import annotations

import json
import math
from ctypes import byref, c_void_p

import pytest

from zarrio_ctypes import Array, Store, lib

BIG = 2**70
NEG = -(2**63) - 1
# What JSON's grammar allows and a float64 or a UTF-8 string cannot hold.
HUGE = {"huge": 10**400, "tiny": -(10**400), "lone": "a\ud800b", "low": "\udfff",
        "pair": "\U0001f600", "nested": [{"x": 10**400}]}


def _python_values_ok(attrs):
    assert attrs["big"] == BIG and isinstance(attrs["big"], int)
    assert attrs["neg"] == NEG
    assert math.isnan(attrs["missing"])
    assert attrs["top"] == float("inf") and attrs["bottom"] == float("-inf")


@pytest.mark.parametrize("zarr_format", [3, 2])
def test_zarrio_reads_and_rewrites_python_attributes(zarrio, tmp_path, zarr_format):
    import zarr

    a = zarr.create_array(str(tmp_path / "a"), shape=(4,), chunks=(4,), dtype="<f4",
                          zarr_format=zarr_format)
    a.attrs.update({"big": BIG, "neg": NEG, "missing": float("nan"),
                    "top": float("inf"), "bottom": float("-inf"), "name": "NaN"})
    with Store.filesystem(tmp_path) as store, Array.open(store, "a") as arr:
        got = arr.attributes()
        # Integers exact; the bare tokens as the strings Zarr uses for them.
        assert got["big"] == BIG and got["neg"] == NEG
        assert (got["missing"], got["top"], got["bottom"]) == ("NaN", "Infinity", "-Infinity")
        assert got["name"] == "NaN"
        # A host that adds a key and writes back its own text keeps the
        # numbers; bare tokens it writes are stored as Python writes them.
        arr.set_attributes(
            '{"big": %d, "neg": %d, "missing": NaN, "top": Infinity, "bottom": -Infinity, "added": 1}'
            % (BIG, NEG))
    attrs = dict(zarr.open_array(str(tmp_path / "a"), mode="r").attrs)
    _python_values_ok(attrs)
    assert attrs["added"] == 1


def test_array_created_with_python_attributes(zarrio, tmp_path):
    import zarr

    doc = json.dumps({
        "zarr_format": 3, "node_type": "array", "shape": [4], "data_type": "float32",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0.0,
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
        "attributes": {"big": BIG, "neg": NEG, "missing": float("nan"),
                       "top": float("inf"), "bottom": float("-inf")},
    })
    assert "NaN" in doc and str(BIG) in doc
    with Store.filesystem(tmp_path) as store, Array.create(store, "a", doc) as arr:
        assert arr.attributes()["big"] == BIG
    _python_values_ok(dict(zarr.open_array(str(tmp_path / "a"), mode="r").attrs))


def test_group_created_and_set_with_python_attributes(zarrio, tmp_path):
    import zarr

    L = lib()
    text = ('{"big": %d, "neg": %d, "missing": NaN, "top": Infinity, "bottom": -Infinity}'
            % (BIG, NEG))
    with Store.filesystem(tmp_path) as store:
        g = c_void_p()
        L.check(L.fn("zarrio_group_create")(store.handle, b"g", text.encode(), byref(g)),
                "zarrio_group_create")
        try:
            p = c_void_p()
            L.check(L.fn("zarrio_group_attributes")(g, byref(p)), "zarrio_group_attributes")
            got = json.loads(L.take_string(p))
            assert got["big"] == BIG and got["missing"] == "NaN"
        finally:
            L.fn("zarrio_group_free")(g)
    _python_values_ok(dict(zarr.open_group(str(tmp_path / "g"), mode="r").attrs))

    with Store.filesystem(tmp_path) as store:
        g = c_void_p()
        L.check(L.fn("zarrio_group_open")(store.handle, b"g", byref(g)), "zarrio_group_open")
        try:
            L.check(L.fn("zarrio_group_set_attributes")(g, b'{"m": NaN, "b": %d}' % BIG),
                    "zarrio_group_set_attributes")
        finally:
            L.fn("zarrio_group_free")(g)
    attrs = dict(zarr.open_group(str(tmp_path / "g"), mode="r").attrs)
    assert math.isnan(attrs["m"]) and attrs["b"] == BIG


def test_malformed_attributes_are_refused(zarrio, tmp_path):
    from zarrio_ctypes import ZarrioError

    doc = json.dumps({
        "zarr_format": 3, "node_type": "array", "shape": [4], "data_type": "uint8",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [{"name": "bytes"}], "attributes": {"k": 1},
    })
    with Store.filesystem(tmp_path) as store, Array.create(store, "a", doc) as arr:
        before = (tmp_path / "a" / "zarr.json").read_bytes()
        for bad in ['[1]', '{"a": nan}', '{"a": 1', '{"a": 1} x']:
            with pytest.raises(ZarrioError) as e:
                arr.set_attributes(bad)
            assert e.value.status_name == "ZARRIO_ERR_INVALID_METADATA"
        assert (tmp_path / "a" / "zarr.json").read_bytes() == before
        assert arr.attributes() == {"k": 1}


@pytest.mark.parametrize("zarr_format", [3, 2])
def test_values_past_float64_and_lone_surrogates(zarrio, tmp_path, zarr_format):
    """zarr-python stores them; zarrio opens the array, hands them out as
    stored, stores them as given, and keeps them through a consolidated
    read and a rewrite of the document around them."""
    import zarr

    root = zarr.open_group(str(tmp_path), mode="w", zarr_format=zarr_format)
    a = root.create_array("a", shape=(4,), chunks=(4,), dtype="<f4")
    a.attrs.update(HUGE)
    zarr.consolidate_metadata(str(tmp_path))
    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "a") as arr:
            assert arr.attributes() == HUGE
            arr.set_attributes(json.dumps({**HUGE, "added": 10**400 + 1}))
            assert arr.attributes()["added"] == 10**400 + 1
            arr.resize((8,))  # rewrites the document around the attributes
        with Store.consolidated(store) as cs, Array.open(cs, "a") as arr:
            assert arr.attributes() == HUGE
        L = lib()
        g = c_void_p()
        L.check(L.fn("zarrio_group_create")(store.handle, b"g", json.dumps(HUGE).encode(), byref(g)),
                "zarrio_group_create")
        L.fn("zarrio_group_free")(g)
    attrs = dict(zarr.open_array(str(tmp_path / "a"), mode="r").attrs)
    assert attrs == {**HUGE, "added": 10**400 + 1}
    assert dict(zarr.open_group(str(tmp_path / "g"), mode="r").attrs) == HUGE


def test_create_keeps_them_only_in_attributes(zarrio, tmp_path):
    """Outside attributes zarrio stores a document as it reads it, where
    they would not be what was given: refused, nothing written."""
    from zarrio_ctypes import ZarrioError

    def doc(**extra):
        d = {"zarr_format": 3, "node_type": "array", "shape": [4], "data_type": "float32",
             "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4]}},
             "chunk_key_encoding": {"name": "default"}, "fill_value": float("nan"),
             "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]}
        d.update(extra)
        return json.dumps(d)

    with Store.filesystem(tmp_path) as store:
        for i, bad in enumerate([doc(dimension_names=["\ud800"]),
                                 doc(ext={"must_understand": False, "n": 10**400}),
                                 doc(attributes=HUGE, dimension_names=["\udfff"]),
                                 # A v2 .zarray keeps no attributes: a member of
                                 # that name is stored as it reads.
                                 json.dumps({"zarr_format": 2, "shape": [4], "chunks": [4],
                                             "dtype": "<f8", "compressor": None,
                                             "fill_value": 0, "filters": None, "order": "C",
                                             "attributes": {"h": 10**400}})]):
            with pytest.raises(ZarrioError) as e:
                Array.create(store, f"bad{i}", bad)
            assert e.value.status_name == "ZARRIO_ERR_INVALID_METADATA"
            assert "only in attributes" in e.value.message
            assert not (tmp_path / f"bad{i}").exists()
        with Array.create(store, "good", doc(attributes=HUGE, dimension_names=["\U0001f600"])) as a:
            assert a.attributes() == HUGE
    import zarr
    good = zarr.open_array(str(tmp_path / "good"), mode="r")
    assert dict(good.attrs) == HUGE and good.metadata.dimension_names == ("\U0001f600",)


@pytest.mark.parametrize("zarr_format", [3, 2])
def test_consolidated_metadata_keeps_python_attributes(zarrio, tmp_path, zarr_format):
    """Reads through consolidated metadata hand out the members' attributes
    as stored, and erasing a child rewrites only its own entries."""
    import zarr

    root = zarr.open_group(str(tmp_path), mode="w", zarr_format=zarr_format)
    keep = root.create_array("keep", shape=(2,), chunks=(2,), dtype="<f4")
    keep.attrs.update({"big": BIG, "neg": NEG, "missing": float("nan"),
                       "top": float("inf"), "bottom": float("-inf")})
    root.create_array("tmp", shape=(2,), chunks=(2,), dtype="<f4")
    zarr.consolidate_metadata(str(tmp_path))
    L = lib()
    with Store.filesystem(tmp_path) as fs:
        with Store.consolidated(fs) as cs, Array.open(cs, "keep") as arr:
            got = arr.attributes()
            assert got["big"] == BIG and got["neg"] == NEG and got["missing"] == "NaN"
            if zarr_format == 3:  # a v2 array's metadata is its .zarray
                assert arr.metadata()["attributes"]["big"] == BIG
        g = c_void_p()
        L.check(L.fn("zarrio_group_open")(fs.handle, b"", byref(g)), "zarrio_group_open")
        try:
            L.check(L.fn("zarrio_group_erase_child")(g, b"tmp"), "zarrio_group_erase_child")
        finally:
            L.fn("zarrio_group_free")(g)
    reopened = zarr.open_consolidated(str(tmp_path), zarr_format=zarr_format)
    assert sorted(k for k, _ in reopened.members()) == ["keep"]
    _python_values_ok(dict(reopened["keep"].attrs))


def test_bare_tokens_are_values_not_keys(zarrio, tmp_path):
    from zarrio_ctypes import ZarrioError

    doc = json.dumps({
        "zarr_format": 3, "node_type": "array", "shape": [4], "data_type": "uint8",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
        "codecs": [{"name": "bytes"}],
    })
    with Store.filesystem(tmp_path) as store, Array.create(store, "a", doc) as arr:
        for bad in ['{NaN: 1}', '{"a": 1, Infinity: 2}', '{"a": [{-Infinity: 0}]}']:
            with pytest.raises(ZarrioError) as e:
                arr.set_attributes(bad)
            assert e.value.status_name == "ZARRIO_ERR_INVALID_METADATA"
        arr.set_attributes('{"NaN": NaN}')
    assert math.isnan(dict(__import__("zarr").open_array(str(tmp_path / "a"), mode="r").attrs)["NaN"])


@pytest.mark.parametrize("zarr_format", [3, 2])
def test_zstd_levels_outside_the_specification(zarrio, tmp_path, zarr_format):
    """zarr-python writes and reads zstd levels past 22; zarrio reads them
    too, but does not create such arrays (tensorstore cannot open them)."""
    import numcodecs
    import numpy as np
    import zarr
    from zarrio_ctypes import ZarrioError

    if zarr_format == 2:
        z = zarr.create_array(str(tmp_path / "a"), shape=(4,), chunks=(2,), dtype="<i4",
                              zarr_format=2, compressors=numcodecs.Zstd(level=23))
    else:
        z = zarr.create_array(str(tmp_path / "a"), shape=(4,), chunks=(2,), dtype="<i4",
                              compressors=zarr.codecs.ZstdCodec(level=-200000))
    z[:] = np.arange(4, dtype="<i4")
    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "a") as arr:
            assert arr.read().tolist() == [0, 1, 2, 3]
            meta = arr.metadata()
        if zarr_format == 3:
            with pytest.raises(ZarrioError) as e:
                Array.create(store, "b", json.dumps(meta))
            assert e.value.status_name == "ZARRIO_ERR_INVALID_METADATA"
            assert "level" in e.value.message


def test_group_whose_document_would_not_open_is_not_created(zarrio, tmp_path):
    """Attributes deep enough that the group's zarr.json (one level more)
    passes the JSON reader's depth limit: refused, nothing written."""
    L = lib()
    deep = "[" * 126 + "]" * 126  # 127 levels of attributes, 128 of the document
    with Store.filesystem(tmp_path) as store:
        g = c_void_p()
        st = L.fn("zarrio_group_create")(store.handle, b"g", ('{"d": %s}' % deep).encode(), byref(g))
        assert st != 0 and not g.value
        assert "group zarr.json" in L.fn("zarrio_last_error")().decode()
        assert not (tmp_path / "g").exists()
        st = L.fn("zarrio_group_create")(store.handle, b"h", ('{"d": %s}' % deep[10:-10]).encode(),
                                         byref(g))
        assert st == 0
        L.fn("zarrio_group_free")(g)
