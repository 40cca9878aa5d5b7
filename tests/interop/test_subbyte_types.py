"""The data types narrower than a byte (int2, int4, float4_e2m1fn), one
element per byte as tensorstore's zarr3 arrays store them: fill values as
ml_dtypes converts them, and arrays both ways with tensorstore."""

from __future__ import annotations

import json

import numpy as np
import pytest

from zarrio_ctypes import Array, Store, ZarrioError, _u64_array, lib

NAMES = ["int2", "int4", "float4_e2m1fn"]


def _meta(name, fill, shape=(6, 5), chunks=(4, 3), sharded=False):
    codecs = [{"name": "bytes"}]
    if sharded:
        codecs = [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [2, 3], "codecs": [{"name": "bytes"}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]}}]
    return {"zarr_format": 3, "node_type": "array", "shape": list(shape), "data_type": name,
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(chunks)}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": fill, "codecs": codecs}


def _read(arr, shape=(6, 5)):
    out = np.empty(shape, np.uint8)
    L = lib()
    L.check(L.fn("zarrio_array_read")(arr.handle, 2, _u64_array([0, 0]), _u64_array(list(shape)),
                                      out.ctypes.data, out.nbytes, None), "zarrio_array_read")
    return out


def _write(arr, start, block):
    block = np.ascontiguousarray(block, np.uint8)
    L = lib()
    L.check(L.fn("zarrio_array_write")(arr.handle, 2, _u64_array(list(start)), _u64_array(list(block.shape)),
                                       block.ctypes.data, block.nbytes, None), "zarrio_array_write")


def _caller_bytes(name, values):
    """The bytes zarrio gives the caller for ml_dtypes values: the integers
    as int8, float4_e2m1fn as its code."""
    if name == "float4_e2m1fn":
        return values.view(np.uint8) & 0x0F
    return values.astype(np.int8).view(np.uint8)


@pytest.mark.parametrize("name,bits", [("float4_e2m1fn", 4), ("float6_e2m3fn", 6), ("float6_e3m2fn", 6)])
def test_narrow_float_fill_values_convert_as_ml_dtypes(zarrio, name, bits):
    import ml_dtypes

    t = getattr(ml_dtypes, name)
    mask = (1 << bits) - 1
    codes = np.arange(1 << bits, dtype=np.uint8).view(t).astype(np.float64)
    finite = np.unique(codes)
    top = float(finite[-1])
    mids = (finite[1:] + finite[:-1]) / 2
    xs = list(finite) + list(mids) + [top * 1.1, top * 20, -top * 20, 1e-9, -1e-9, -0.0]
    xs += list(np.random.default_rng(4).standard_normal(40) * top / 2)
    with Store.memory() as store:
        # The format has no NaN or infinity: its specification refuses the
        # constants as fill values.
        for constant in ["NaN", "Infinity", "-Infinity"]:
            with pytest.raises(ZarrioError):
                Array.create(store, "bad", _meta(name, constant))
        for k, x in enumerate(xs):
            with Array.create(store, f"a{k}", _meta(name, float(x))) as arr:
                got = arr.fill_value_bytes()[0]
            want = int(np.array([x]).astype(t).view(np.uint8)[0]) & mask
            assert got == want, f"{name}: {x!r} -> {got:#x}, ml_dtypes {want:#x}"
        for code in range(1 << bits):
            with Array.create(store, "b", _meta(name, f"0x{code:02x}")) as arr:
                fill = arr.metadata()["fill_value"]
            with Array.create(store, "c", _meta(name, fill)) as arr:
                assert arr.fill_value_bytes()[0] == code, (code, fill)


@pytest.mark.parametrize("name,lo,hi", [("int2", -2, 1), ("int4", -8, 7)])
def test_integer_fill_values_are_in_range(zarrio, name, lo, hi):
    with Store.memory() as store:
        for v in range(lo, hi + 1):
            with Array.create(store, "a", _meta(name, v)) as arr:
                assert arr.fill_value_bytes()[0] == v & 0xFF
                assert arr.metadata()["fill_value"] == v
        for v in (lo - 1, hi + 1, 0.5):
            with pytest.raises(ZarrioError) as e:
                Array.create(store, "a", _meta(name, v))
            assert e.value.status == -2


@pytest.mark.parametrize("sharded", [False, True])
@pytest.mark.parametrize("name", NAMES)
def test_both_ways_with_tensorstore(zarrio, tmp_path, name, sharded):
    import ml_dtypes
    import tensorstore as ts

    t = getattr(ml_dtypes, name)
    rng = np.random.default_rng(len(name))
    if name == "float4_e2m1fn":
        values = rng.integers(0, 16, size=(6, 5), dtype=np.uint8).view(t)
        fill = 1.5
    else:
        bits = 2 if name == "int2" else 4
        values = rng.integers(-(2 ** (bits - 1)), 2 ** (bits - 1), size=(6, 5)).astype(t)
        fill = -1
    meta = _meta(name, fill, sharded=sharded)
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "zarr.json").write_text(json.dumps(meta))
    theirs = ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": str(tmp_path / "theirs")}}).result()
    theirs[:5].write(values[:5]).result()
    want = np.asarray(theirs.read().result())
    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "theirs") as arr:
            assert arr.element_size == 1
            assert _read(arr).tobytes() == _caller_bytes(name, want).tobytes()
        with Array.create(store, "ours", meta) as arr:
            _write(arr, (0, 0), _caller_bytes(name, values[:5]))
            mine = _read(arr)
    ours = np.asarray(ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": str(tmp_path / "ours")}})
                      .result().read().result())
    # Compared as values: tensorstore keeps whatever upper bits its
    # elements had in memory (ml_dtypes' clear ones for data, sign-extended
    # ones for the integers' fill value), zarrio stores them clear.
    assert _caller_bytes(name, ours).tobytes() == _caller_bytes(name, want).tobytes()
    assert mine.tobytes() == _caller_bytes(name, want).tobytes()
    for c in sorted((tmp_path / "ours" / "c").rglob("*")):
        if c.is_file() and not sharded:
            assert max(c.read_bytes()) < (4 if name == "int2" else 16), c


@pytest.mark.parametrize("name", NAMES)
def test_upper_bits_are_ignored_both_ways(zarrio, tmp_path, name):
    """Stored bytes with their upper bits set read as their low bits; a
    caller's byte with upper bits set (ml_dtypes' int4 holds -2 as 0x0e,
    a C int8 as 0xfe) is stored as its low bits."""
    meta = _meta(name, 0, shape=(4, 4), chunks=(4, 4))
    low = np.array([0, 1, 2, 3] * 4, np.uint8).reshape(4, 4) & (0x3 if name == "int2" else 0xF)
    junk = low | np.array([0x10, 0xF0, 0x80, 0x40] * 4, np.uint8).reshape(4, 4)
    if name == "int2":
        junk = low | 0xFC
    with Store.filesystem(tmp_path) as store:
        with Array.create(store, "a", meta) as arr:
            _write(arr, (0, 0), junk)
            stored = (tmp_path / "a" / "c" / "0" / "0").read_bytes()
            assert stored == low.tobytes()
            (tmp_path / "a" / "c" / "0" / "0").write_bytes(junk.tobytes())
            got = _read(arr, (4, 4))
    if name == "float4_e2m1fn":
        assert got.tobytes() == low.tobytes()
    else:
        bits = 2 if name == "int2" else 4
        signed = ((low.astype(np.int16) ^ (1 << (bits - 1))) - (1 << (bits - 1))).astype(np.int8)
        assert got.tobytes() == signed.view(np.uint8).tobytes()


def test_struct_fields_of_these_types_are_unsupported(zarrio):
    meta = _meta({"name": "struct", "configuration": {"fields": [{"name": "a", "data_type": "int4"}]}}, {"a": 0})
    with Store.memory() as store:
        with pytest.raises(ZarrioError) as e:
            Array.create(store, "a", meta)
        assert e.value.status == -3


@pytest.mark.parametrize("name,fill,caller", [("int4", -2, 0x0E), ("int2", -1, 0x03), ("float4_e2m1fn", 1.5, 0x13)])
@pytest.mark.parametrize("sharded", [False, True])
def test_chunks_of_the_fill_value_in_other_upper_bits_are_erased(zarrio, tmp_path, name, fill, caller, sharded):
    """ml_dtypes holds int4's -2 as 0x0e where zarrio's fill is 0xfe: a
    chunk of them is still all fill value, and is not stored."""
    meta = _meta(name, fill, shape=(4, 6), chunks=(4, 6), sharded=sharded)
    with Store.filesystem(tmp_path) as store:
        with Array.create(store, "a", meta) as arr:
            _write(arr, (0, 0), np.full((4, 6), caller, np.uint8))
            assert not (tmp_path / "a" / "c" / "0" / "0").exists()
            _write(arr, (0, 0), np.full((1, 1), caller ^ 0x01, np.uint8))
            assert (tmp_path / "a" / "c" / "0" / "0").exists()
