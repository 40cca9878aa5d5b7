"""Fixed-size records and byte strings, both ways with zarr-python.

zarr-python 3 stores numpy's structured dtypes as the `struct` data type
(fields packed in declaration order, each in the `bytes` codec's byte
order), `S<n>` as `null_terminated_bytes` and `V<n>` as `raw_bytes`, in v3
and, as numpy type strings, in v2. zarrio reads what zarr-python writes bit
for bit (missing chunks as the fill value) and zarr-python reads what
zarrio writes; a decoded element holds each field in native byte order at
its packed offset, numpy's packed layout.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from zarrio_ctypes import Array, Store, ZarrioError

SIMPLE = [("id", "<i4"), ("flags", "u1"), ("value", "<f8")]
NESTED = [("point", [("x", "<f4"), ("y", "<f4")]), ("t", "<M8[s]"), ("name", "S4"), ("k", "<i2")]
DTYPES = {
    "bytes5": "S5",
    "void3": "V3",
    "simple": SIMPLE,
    "nested": NESTED,
    "uniform": [("x", "<f4"), ("y", "<f4")],
}


def _values(dtype: np.dtype, shape, seed: int) -> np.ndarray:
    """Random bits for every field; NaN payloads and NaT included."""
    rng = np.random.default_rng(seed)
    n = int(np.prod(shape))
    raw = rng.integers(0, 256, size=n * dtype.itemsize, dtype=np.uint8)
    out = raw.view(dtype).reshape(shape).copy()
    if dtype.kind == "S":
        # Bytes after the first NUL are not part of an S item.
        b = out.view(np.uint8).reshape(n, dtype.itemsize)
        for row in b:
            z = np.flatnonzero(row == 0)
            if z.size:
                row[z[0]:] = 0
    return out


def _fill(dtype: np.dtype):
    if dtype.names is None:
        return b"ab" if dtype.kind == "S" else None
    if dtype.names == ("id", "flags", "value"):
        return np.array((-3, 9, 0.25), dtype)[()]
    if dtype.names == ("x", "y"):
        return np.array((0.5, np.nan), dtype)[()]
    return None


def _native(x: np.ndarray) -> bytes:
    """The packed native-order bytes of x, as zarrio holds them."""
    from zarrio_ctypes import _native_fields

    return np.ascontiguousarray(x.astype(_native_fields(x.dtype))).tobytes()


def _create(path, dtype, zarr_format, **kw):
    import zarr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zarr.create_array(str(path), dtype=dtype, zarr_format=zarr_format, **kw)


@pytest.mark.parametrize("zarr_format", [3, 2])
@pytest.mark.parametrize("sharded", [False, True], ids=["chunks", "shards"])
@pytest.mark.parametrize("name", list(DTYPES))
def test_reads_what_zarr_python_writes(zarrio, tmp_path, name, sharded, zarr_format):
    import zarr

    if sharded and zarr_format == 2:
        pytest.skip("v2 has no shards")
    dtype = np.dtype(DTYPES[name])
    if zarr_format == 2 and name == "nested":
        # zarr-python cannot write v2 records with a datetime field.
        dtype = np.dtype([f if f[0] != "t" else ("t", "<u8") for f in NESTED])
    shape = (9, 7)
    kw = dict(shards=(6, 4), chunks=(3, 2)) if sharded else dict(chunks=(4, 3))
    fill = _fill(dtype)
    if fill is not None:
        kw["fill_value"] = fill
    a = _create(tmp_path / "a", dtype, zarr_format, shape=shape, **kw)
    data = _values(dtype, shape, seed=len(name))
    # The last rows stay unwritten: their chunks are missing.
    a[:5] = data[:5]
    want = np.asarray(zarr.open_array(str(tmp_path / "a"), mode="r")[...])
    with Store.filesystem(tmp_path) as store, Array.open(store, "a") as arr:
        got = arr.read()
        part = arr.read((2, 1), (5, 4))
        fill_bytes = arr.fill_value_bytes()
        name_of = arr.dtype_name
    assert got.tobytes() == _native(want)
    assert part.tobytes() == _native(want[2:7, 1:5])
    assert fill_bytes == _native(want[8:, :1].reshape(-1)[:1])
    assert name_of == ("struct" if dtype.names else {"S": "null_terminated_bytes", "V": "raw_bytes"}[dtype.kind])


def test_reads_big_endian_fields(zarrio, tmp_path):
    from zarr.codecs import BytesCodec

    dtype = np.dtype(SIMPLE)
    a = _create(tmp_path / "a", dtype, 3, shape=(5,), chunks=(2,), compressors=None,
                serializer=BytesCodec(endian="big"), fill_value=_fill(dtype))
    data = _values(dtype, (5,), seed=3)
    a[:3] = data[:3]
    # The stored bytes are big-endian field by field.
    raw = (tmp_path / "a" / "c" / "0").read_bytes()
    assert raw[:4] == np.array(data[0]["id"]).astype(">i4").tobytes()
    assert raw[5:13] == np.array(data[0]["value"]).astype(">f8").tobytes()
    import zarr

    want = np.asarray(zarr.open_array(str(tmp_path / "a"), mode="r")[...])
    with Store.filesystem(tmp_path) as store, Array.open(store, "a") as arr:
        assert arr.read().tobytes() == _native(want)


def _zarr_json(data_type, fill, codecs):
    return {"zarr_format": 3, "node_type": "array", "shape": [10, 6], "data_type": data_type,
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 6]}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": fill, "codecs": codecs}


STRUCT_JSON = {"name": "struct", "configuration": {"fields": [
    {"name": "point", "data_type": {"name": "struct", "configuration": {"fields": [
        {"name": "x", "data_type": "float32"}, {"name": "y", "data_type": "float32"}]}}},
    {"name": "t", "data_type": {"name": "numpy.datetime64", "configuration": {"unit": "s", "scale_factor": 1}}},
    {"name": "name", "data_type": {"name": "null_terminated_bytes", "configuration": {"length_bytes": 4}}},
    {"name": "k", "data_type": "int16"},
]}}
STRUCT_FILL = {"point": {"x": 1.5, "y": "NaN"}, "t": "NaT", "name": "eHk=", "k": -7}


@pytest.mark.parametrize("endian", ["little", "big"])
@pytest.mark.parametrize("sharded", [False, True], ids=["chunks", "shards"])
def test_zarr_python_reads_what_zarrio_writes(zarrio, tmp_path, endian, sharded):
    import zarr

    bytes_codec = {"name": "bytes", "configuration": {"endian": endian}}
    zstd = {"name": "zstd", "configuration": {"level": 1}}
    if sharded:
        codecs = [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [2, 3], "codecs": [bytes_codec, zstd],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}]}}]
    else:
        codecs = [bytes_codec, zstd]
    dtype = np.dtype([("point", [("x", "=f4"), ("y", "=f4")]), ("t", "=M8[s]"), ("name", "S4"), ("k", "=i2")])
    data = _values(dtype, (10, 6), seed=11)
    with Store.filesystem(tmp_path) as store:
        with Array.create(store, "a", _zarr_json(STRUCT_JSON, STRUCT_FILL, codecs)) as arr:
            assert arr.dtype == dtype and arr.element_size == 22
            arr.write((0, 0), data[:6])
            assert arr.read().tobytes()[: 6 * 6 * 22] == data[:6].tobytes()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        back = zarr.open_array(str(tmp_path / "a"), mode="r")
        got = np.asarray(back[...])
    assert _native(got[:6]) == data[:6].tobytes()
    # The rows zarrio did not write read as the fill value.
    f = got[6:].reshape(-1)
    assert (f["point"]["x"] == 1.5).all() and np.isnan(f["point"]["y"]).all()
    assert np.isnat(f["t"]).all() and (f["name"] == b"xy").all() and (f["k"] == -7).all()
    meta = json.loads((tmp_path / "a" / "zarr.json").read_text())
    assert meta["data_type"] == STRUCT_JSON and meta["fill_value"] == STRUCT_FILL


def test_zarr_python_reads_zarrio_bytes_types(zarrio, tmp_path):
    import zarr

    for name, dtype, data_type, fill in [
        ("s", np.dtype("S5"), {"name": "null_terminated_bytes", "configuration": {"length_bytes": 5}}, "YWI="),
        ("v", np.dtype("V3"), {"name": "raw_bytes", "configuration": {"length_bytes": 3}}, "AQID"),
    ]:
        data = _values(dtype, (10, 6), seed=len(name))
        with Store.filesystem(tmp_path) as store:
            with Array.create(store, name, _zarr_json(data_type, fill, [{"name": "bytes"}])) as arr:
                arr.write((0, 0), data[:4])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = np.asarray(zarr.open_array(str(tmp_path / name), mode="r")[...])
        assert got.dtype == dtype
        assert got[:4].tobytes() == data[:4].tobytes()
        want_fill = b"ab\0\0\0" if name == "s" else b"\1\2\3"
        assert got[4:].tobytes() == want_fill * (6 * 6)


@pytest.mark.parametrize("bad", [
    # Two fields of one name, a variable-length field, no fields.
    {"name": "struct", "configuration": {"fields": [
        {"name": "a", "data_type": "int8"}, {"name": "a", "data_type": "int8"}]}},
    {"name": "struct", "configuration": {"fields": [{"name": "a", "data_type": "string"}]}},
    {"name": "struct", "configuration": {"fields": []}},
])
def test_refuses_bad_struct_definitions(zarrio, tmp_path, bad):
    with Store.filesystem(tmp_path) as store:
        with pytest.raises(ZarrioError) as e:
            Array.create(store, "a", _zarr_json(bad, {"a": 0}, [{"name": "bytes"}]))
        assert e.value.status_name == "ZARRIO_ERR_INVALID_METADATA", e.value
    assert not (tmp_path / "a").exists()


def test_refuses_missing_fill_field(zarrio, tmp_path):
    with Store.filesystem(tmp_path) as store:
        fill = {"point": {"x": 0, "y": 0}, "t": 0, "name": ""}
        with pytest.raises(ZarrioError) as e:
            Array.create(store, "a", _zarr_json(STRUCT_JSON, fill, [{"name": "bytes", "configuration": {"endian": "little"}}]))
        assert e.value.status_name == "ZARRIO_ERR_INVALID_METADATA", e.value


def test_v2_mixed_byte_order_fields_are_unsupported(zarrio, tmp_path):
    import zarr

    dtype = np.dtype([("a", "<i4"), ("b", ">i2")])
    _create(tmp_path / "a", dtype, 2, shape=(4,), chunks=(2,))
    with Store.filesystem(tmp_path) as store:
        with pytest.raises(ZarrioError) as e:
            Array.open(store, "a")
        assert e.value.status_name == "ZARRIO_ERR_UNSUPPORTED", e.value
        assert "byte order" in str(e.value)
    assert zarr.open_array(str(tmp_path / "a"), mode="r").dtype == dtype


def test_reads_structs_without_an_endian_as_zarr_python(zarrio, tmp_path):
    """zarr-python before 3.3 stored struct arrays with a `bytes` codec without `endian`: zarrio reads them as
    zarr-python does (little-endian)."""
    import zarr

    dtype = np.dtype(SIMPLE)
    a = _create(tmp_path / "a", dtype, 3, shape=(5,), chunks=(2,), compressors=None, fill_value=_fill(dtype))
    data = _values(dtype, (5,), seed=5)
    a[:4] = data[:4]
    meta_path = tmp_path / "a" / "zarr.json"
    meta = json.loads(meta_path.read_text())
    assert meta["codecs"][0]["name"] == "bytes"
    meta["codecs"][0].pop("configuration", None)
    meta_path.write_text(json.dumps(meta))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        want = np.asarray(zarr.open_array(str(tmp_path / "a"), mode="r")[...])
    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "a") as arr:
            assert arr.read().tobytes() == _native(want)
        # Metadata zarrio writes from such a document says little-endian.
        Array.create(store, "b", meta).close()
    written = json.loads((tmp_path / "b" / "zarr.json").read_text())
    assert written["codecs"][0] == {"name": "bytes", "configuration": {"endian": "little"}}
