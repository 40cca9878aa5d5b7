"""The 8-bit float data types (float8_e4m3fn, float8_e5m2, ...), against
ml_dtypes' conversions and tensorstore's zarr3 arrays, both ways."""

from __future__ import annotations

import json

import numpy as np
import pytest

from zarrio_ctypes import Array, Store

NAMES = ["float8_e3m4", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e4m3b11fnuz", "float8_e5m2", "float8_e5m2fnuz",
         "float8_e8m0fnu"]
# float8_e4m3 (IEEE-like, with infinities), which zarrs writes and
# tensorstore does not.
ML_NAMES = NAMES + ["float8_e4m3"]


def _meta(name, fill, shape=(6, 5), chunks=(4, 3)):
    return {"zarr_format": 3, "node_type": "array", "shape": list(shape), "data_type": name,
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(chunks)}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": fill,
            "codecs": [{"name": "bytes"}, {"name": "zstd", "configuration": {"level": 1}}]}


@pytest.mark.parametrize("name", ML_NAMES)
def test_fill_values_convert_as_ml_dtypes(zarrio, tmp_path, name):
    import ml_dtypes

    t = getattr(ml_dtypes, name)
    rng = np.random.default_rng(len(name))
    fi = ml_dtypes.finfo(t)
    # Every byte's value and the midpoints between neighbours (ties), past
    # the largest value, tiny values of both signs, and random ones.
    values = np.arange(256, dtype=np.uint8).view(t).astype(np.float64)
    finite = np.unique(values[np.isfinite(values)])
    mids = (finite[1:] + finite[:-1]) / 2
    xs = list(finite) + list(mids) + [float(fi.max) * 1.2, -float(fi.max) * 1.01, 1e-12, -1e-12, -0.0]
    xs += list(rng.standard_normal(40) * float(fi.max) / 4)
    with Store.memory() as store:
        for k, x in enumerate(xs):
            with Array.create(store, f"a{k}", _meta(name, float(x))) as arr:
                got = arr.fill_value_bytes()[0]
            want = int(np.array([x]).astype(t).view(np.uint8)[0])
            assert got == want, f"{name}: {x!r} -> {got:#x}, ml_dtypes {want:#x}"
        # Every byte as written back to zarr.json, and read again.
        for b in range(256):
            with Array.create(store, "b", _meta(name, f"0x{b:02x}")) as arr:
                fill = arr.metadata()["fill_value"]
            with Array.create(store, "c", _meta(name, fill)) as arr:
                again = arr.fill_value_bytes()[0]
            v = np.uint8(b).view(t).astype(np.float64)
            if np.isnan(v):
                assert np.isnan(np.uint8(again).view(t).astype(np.float64)), (name, b, fill)
            else:
                assert again == b or (v == 0 and np.uint8(again).view(t).astype(np.float64) == 0), (name, b, fill)


@pytest.mark.parametrize("name", NAMES)
def test_both_ways_with_tensorstore(zarrio, tmp_path, name):
    """Elements are bytes to zarrio: what tensorstore writes reads back
    byte for byte, and tensorstore reads what zarrio writes."""
    import ml_dtypes
    import tensorstore as ts

    from zarrio_ctypes import _u64_array, lib

    t = getattr(ml_dtypes, name)
    data = np.random.default_rng(7).integers(0, 256, size=(6, 5), dtype=np.uint8)
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(tmp_path / "theirs")},
            "metadata": {"shape": [6, 5], "data_type": name, "fill_value": 1.0,
                         "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 3]}}}}
    theirs = ts.open(spec, create=True).result()
    theirs[:5].write(data[:5].view(t)).result()
    want = np.asarray(theirs.read().result()).view(np.uint8)
    L = lib()

    def read(arr):
        out = np.empty((6, 5), np.uint8)
        L.check(L.fn("zarrio_array_read")(arr.handle, 2, _u64_array([0, 0]), _u64_array([6, 5]),
                                          out.ctypes.data, out.nbytes, None), "zarrio_array_read")
        return out

    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "theirs") as arr:
            assert arr.dtype_name == name and arr.element_size == 1
            assert read(arr).tobytes() == want.tobytes()
        with Array.create(store, "ours", _meta(name, 0.5)) as arr:
            block = np.ascontiguousarray(data[:4])
            L.check(L.fn("zarrio_array_write")(arr.handle, 2, _u64_array([0, 0]), _u64_array([4, 5]),
                                               block.ctypes.data, block.nbytes, None), "zarrio_array_write")
            mine = read(arr)
    ours = np.asarray(ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": str(tmp_path / "ours")}})
                      .result().read().result()).view(np.uint8)
    half = int(np.array([0.5]).astype(t).view(np.uint8)[0])
    assert ours[:4].tobytes() == data[:4].tobytes() and (ours[4:] == half).all()
    assert mine.tobytes() == ours.tobytes()
    meta = json.loads((tmp_path / "ours" / "zarr.json").read_text())
    # e8m0fnu fill values are written as their byte (tensorstore reads its
    # numbers with another bias).
    assert meta["data_type"] == name and meta["fill_value"] == ("0x7e" if name == "float8_e8m0fnu" else 0.5)


@pytest.mark.parametrize("name", ["float8_e8m0fnu", "float8_e4m3fn", "float8_e4m3fnuz", "float8_e5m2fnuz",
                                  "float8_e4m3b11fnuz"])
def test_finite_formats_have_no_infinity_fill(zarrio, name):
    """The specifications give the formats without infinities no "Infinity" fill value."""
    from zarrio_ctypes import ZarrioError

    with Store.memory() as store:
        for fill in ["Infinity", "-Infinity"]:
            with pytest.raises(ZarrioError) as e:
                Array.create(store, "a", _meta(name, fill))
            assert e.value.status == -2
        for ieee in ["float8_e5m2", "float8_e4m3", "float8_e3m4"]:
            Array.create(store, "b", _meta(ieee, "Infinity")).close()
        if name == "float8_e8m0fnu":
            with Array.create(store, "a", _meta(name, "NaN")) as arr:
                assert arr.fill_value_bytes() == b"\xff"
