"""Zarr v2 arrays and groups, and numcodecs' codecs in v3 arrays.

zarrio reads Zarr v2 arrays and groups written by zarr-python and tensorstore.

zarr-python 3 writes each case with `zarr_format=2` (numcodecs compressors
and filters, C and F order, both dimension separators, missing chunks,
`fill_value` null); tensorstore's `zarr` driver writes a few more. zarrio
must report the shape, element type and attributes and read the whole array
(C and Fortran order) and a sub-region bit for bit as zarr-python reads it.
zarrio writes v2 arrays too: it creates each case from the `.zarray`
zarr-python wrote, writes the data, and zarr-python reads it bit for bit;
writes into zarr-python's arrays, attributes (`.zattrs`) and resizes
(`.zarray`) are read back by zarr-python too. Cases zarrio cannot read
(object types and filters and compressors it lacks) are refused with
ZARRIO_ERR_UNSUPPORTED at open.

In v3 arrays, `numcodecs.zlib`, `numcodecs.lz4`, `numcodecs.bz2`, `numcodecs.lzma` and
`numcodecs.shuffle`
written by zarr-python are read by zarrio, and zarrio's are read by
zarr-python (the checksums, numcodecs' zstd / gzip / blosc and the lossy
filters: test_numcodecs_v3.py).
"""

from __future__ import annotations

import ctypes
import json
import lzma
import os
from ctypes import byref, c_void_p
from dataclasses import dataclass, field
from typing import Any

import numcodecs
import numpy as np
import pytest

from zarrio_ctypes import Array, Store, ZarrioError, lib


@dataclass
class V2Case:
    name: str
    dtype: str
    shape: tuple
    chunks: tuple
    compressor: Any = None
    filters: list | None = None
    order: str = "C"
    separator: str = "."
    fill_value: Any = 0
    # Regions left unwritten (their chunks stay missing).
    holes: list = field(default_factory=list)
    # Values that change by little from one element to the next (for a
    # delta into a narrower type, which numpy refuses to overflow).
    smooth: bool = False


def _values(dtype: np.dtype, shape: tuple, seed: int, smooth: bool = False) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if smooth:
        steps = rng.integers(-100, 100, size=int(np.prod(shape, dtype=np.int64)))
        if dtype.kind == "u":  # around 1.7e18, where float64 sums lose the last digits
            return (np.uint64(1_700_000_000_000_000_000) + np.cumsum(np.abs(steps)).astype(np.uint64)).astype(
                dtype.newbyteorder("=")).reshape(shape)
        return np.cumsum(steps).astype(dtype.newbyteorder("=")).reshape(shape)
    n = int(np.prod(shape, dtype=np.int64))
    if dtype.kind in "Mm":
        v = rng.integers(-10**12, 10**12, size=shape, dtype=np.int64)
        v.reshape(-1)[:1] = np.iinfo(np.int64).min  # NaT
        return v.view(dtype.newbyteorder("="))
    if dtype.kind == "U":
        words = np.array(["", "a", "\u00e9t\u00e9", "\U0001f600!", "abcdefgh"], dtype=dtype)
        return words[rng.integers(0, len(words), size=shape)]
    if dtype.kind in "SV":
        raw = rng.integers(0, 256, size=n * dtype.itemsize, dtype=np.uint8)
        return raw.view(dtype).reshape(shape)
    if dtype.kind == "b":
        return rng.integers(0, 2, size=shape).astype(bool)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return rng.integers(info.min, info.max, size=shape, dtype=dtype.newbyteorder("="), endpoint=True)
    if dtype.kind == "f":
        v = rng.normal(size=shape).astype(dtype.newbyteorder("=")) * 1000
        flat = v.reshape(-1)
        if flat.size > 3:
            flat[:3] = [np.nan, -0.0, np.inf]
        return v
    if dtype.kind == "c":
        return (rng.normal(size=shape) + 1j * rng.normal(size=shape)).astype(dtype.newbyteorder("="))
    raise ValueError(dtype)


CASES = [
    V2Case("i2_none_C", "<i2", (10, 7), (4, 3)),
    V2Case("u2_zstd_default", "<u2", (33, 20), (8, 7), compressor=numcodecs.Zstd(level=0)),
    V2Case("i4_be_lz4_shuffle_F_slash", ">i4", (10, 7, 5), (4, 3, 2), compressor=numcodecs.LZ4(),
           filters=[numcodecs.Shuffle(elementsize=4)], order="F", separator="/", fill_value=None,
           holes=[(slice(0, 4), slice(0, 3), slice(0, 2))]),
    V2Case("u8_blosc_lz4_shuffle", "<u8", (50, 9), (16, 4),
           compressor=numcodecs.Blosc(cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE)),
    V2Case("i1_blosc_zstd_bitshuffle_F", "|i1", (17, 13), (5, 6), order="F", fill_value=-3,
           compressor=numcodecs.Blosc(cname="zstd", clevel=3, shuffle=numcodecs.Blosc.BITSHUFFLE),
           holes=[(slice(5, 10), slice(0, 13))]),
    V2Case("f4_be_blosclz_noshuffle", ">f4", (40,), (16,), fill_value="NaN",
           compressor=numcodecs.Blosc(cname="blosclz", clevel=9, shuffle=numcodecs.Blosc.NOSHUFFLE),
           holes=[(slice(16, 32),)]),
    V2Case("f8_gzip_F_slash", "<f8", (6, 5, 4, 3), (4, 2, 3, 2), compressor=numcodecs.GZip(level=5),
           order="F", separator="/"),
    V2Case("f2_zlib", "<f2", (31, 3), (8, 3), compressor=numcodecs.Zlib(level=4), fill_value=1.5,
           holes=[(slice(8, 16), slice(0, 3))]),
    V2Case("c8_zstd_checksum", "<c8", (9, 9), (4, 5), compressor=numcodecs.Zstd(level=3, checksum=True)),
    V2Case("c16_be_none_F", ">c16", (5, 6), (2, 4), order="F"),
    V2Case("bool_zlib", "|b1", (20, 3), (7, 2), compressor=numcodecs.Zlib(level=1), fill_value=True,
           holes=[(slice(0, 7), slice(0, 2))]),
    V2Case("S3_zstd", "|S3", (11,), (4,), compressor=numcodecs.Zstd(level=1), fill_value=b"ab",
           holes=[(slice(4, 8),)]),
    V2Case("u4_bz2_F", "<u4", (12, 11), (5, 4), compressor=numcodecs.BZ2(level=9), order="F",
           holes=[(slice(10, 12), slice(0, 11))]),
    V2Case("f4_lzma_xz", "<f4", (30, 4), (7, 4), compressor=numcodecs.LZMA(preset=2)),
    V2Case("i8_lzma_alone_shuffle", ">i8", (25,), (6,), compressor=numcodecs.LZMA(format=lzma.FORMAT_ALONE),
           filters=[numcodecs.Shuffle(elementsize=8)], fill_value=-9),
    V2Case("i4_delta_i2_zstd", "<i4", (40, 6), (16, 4), compressor=numcodecs.Zstd(level=1),
           filters=[numcodecs.Delta(dtype="<i4", astype="<i2")], fill_value=None, smooth=True),
    V2Case("u2_be_delta_F", ">u2", (9, 8), (4, 3), order="F", filters=[numcodecs.Delta(dtype=">u2")],
           holes=[(slice(0, 4), slice(0, 3))], fill_value=5),
    V2Case("f8_fixedscaleoffset_u2_shuffle_blosc", "<f8", (30, 7), (8, 7), fill_value="NaN",
           filters=[numcodecs.FixedScaleOffset(offset=10, scale=100, dtype="<f8", astype="<u2"),
                    numcodecs.Shuffle(elementsize=2)],
           compressor=numcodecs.Blosc(cname="lz4", clevel=5, shuffle=0)),
    V2Case("f4_fixedscaleoffset_i1", "<f4", (25,), (10,),
           filters=[numcodecs.FixedScaleOffset(offset=0.5, scale=7.5, dtype="<f4", astype="|i1")]),
    # A float astype: numpy decodes float32 in float32, float64 in float64.
    V2Case("f4_fixedscaleoffset_f4", "<f4", (25, 3), (10, 3), fill_value=1.5,
           filters=[numcodecs.FixedScaleOffset(offset=0.25, scale=10, dtype="<f4", astype="<f4")]),
    V2Case("f8_fixedscaleoffset_f4_zstd", "<f8", (25,), (10,), compressor=numcodecs.Zstd(level=1),
           filters=[numcodecs.FixedScaleOffset(offset=1000, scale=3.3, dtype="<f8", astype="<f4")]),
    V2Case("f4_fixedscaleoffset_f8", "<f4", (25,), (10,),
           filters=[numcodecs.FixedScaleOffset(offset=-2, scale=1e3, dtype="<f4", astype="<f8")]),
    V2Case("u1_astype_f8_then_delta", "|u1", (5, 13), (2, 5), compressor=numcodecs.GZip(level=1),
           filters=[numcodecs.AsType(encode_dtype="<f8", decode_dtype="|u1"),
                    numcodecs.Delta(dtype="<f8", astype="<f4")]),
    V2Case("U6_zstd", "<U6", (11, 3), (4, 2), compressor=numcodecs.Zstd(level=1), fill_value="ab",
           holes=[(slice(4, 8), slice(0, 2))]),
    V2Case("U3_be_F", ">U3", (5, 4), (2, 3), order="F"),
    V2Case("f4_delta_i4", "<f4", (20,), (8,), filters=[numcodecs.Delta(dtype="<f4", astype="<i4")], smooth=True),
    V2Case("u8_delta_i8", "<u8", (20,), (8,), filters=[numcodecs.Delta(dtype="<u8", astype="<i8")], smooth=True),
    V2Case("M8ns_zstd", "<M8[ns]", (13,), (5,), compressor=numcodecs.Zstd(level=1), fill_value="NaT",
           holes=[(slice(5, 10),)]),
    V2Case("m8_10s_be", ">m8[10s]", (4, 3), (3, 2), fill_value=7),
    V2Case("M8s_null_fill", "<M8[s]", (6,), (2,), fill_value=None, holes=[(slice(2, 4),)]),
    V2Case("u2_crc32_filter_zstd", "<u2", (30, 4), (8, 4), filters=[numcodecs.CRC32()],
           compressor=numcodecs.Zstd(level=1), holes=[(slice(8, 16), slice(0, 4))]),
    V2Case("i4_adler32_end", "<i4", (17,), (5,), compressor=numcodecs.Adler32(location="end")),
    V2Case("i2_be_crc32c_start", ">i2", (9, 4), (4, 3), compressor=numcodecs.CRC32C(location="start")),
    V2Case("f8_fletcher32_F", "<f8", (7, 5), (3, 2), compressor=numcodecs.Fletcher32(), order="F"),
    V2Case("u1_jenkins_lookup3", "|u1", (23,), (7,), compressor=numcodecs.JenkinsLookup3(initval=5)),
    V2Case("f4_bitround_zstd", "<f4", (19, 6), (8, 4), filters=[numcodecs.BitRound(keepbits=7)],
           compressor=numcodecs.Zstd(level=1), fill_value="NaN", holes=[(slice(0, 8), slice(0, 4))]),
    V2Case("f8_be_quantize", ">f8", (15,), (6,), filters=[numcodecs.Quantize(digits=3, dtype=">f8")]),
    V2Case("bool_packbits_zlib", "|b1", (21, 3), (5, 2), filters=[numcodecs.PackBits()],
           compressor=numcodecs.Zlib(level=1), fill_value=True, holes=[(slice(0, 5), slice(0, 2))]),
    V2Case("zero_d", "<i4", (), (), compressor=numcodecs.Zstd(level=0)),
    V2Case("empty_dim", "<u2", (0, 4), (3, 2)),
]


def write_v2_zarr(case: V2Case, path: str) -> np.ndarray:
    """Write the case with zarr-python; return what zarr-python reads back."""
    import zarr

    dtype = np.dtype(case.dtype)
    a = zarr.create_array(
        store=path, shape=case.shape, chunks=case.chunks, dtype=dtype, zarr_format=2,
        compressors=case.compressor, filters=case.filters, order=case.order,
        fill_value=case.fill_value, chunk_key_encoding={"name": "v2", "separator": case.separator},
        attributes={"case": case.name, "nested": {"k": [1, 2]}},
    )
    data = _values(dtype, case.shape, seed=len(case.name), smooth=case.smooth)
    if case.shape == ():
        a[...] = data
    elif data.size:
        # Written chunk by chunk around the holes, so their chunks stay missing.
        mask = np.ones(case.shape, bool)
        for h in case.holes:
            mask[h] = False
        for idx in np.ndindex(*[-(-s // c) for s, c in zip(case.shape, case.chunks)]):
            sl = tuple(slice(i * c, min((i + 1) * c, s)) for i, c, s in zip(idx, case.chunks, case.shape))
            if mask[sl].all():
                a[sl] = data[sl]
    return np.asarray(zarr.open_array(path, mode="r", zarr_format=2)[...])


def native(x: np.ndarray) -> np.ndarray:
    if x.dtype.kind in "SV":
        return x.view(np.dtype(f"V{x.dtype.itemsize}"))
    return x.astype(x.dtype.newbyteorder("="))


def zarray_files(root) -> dict:
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            out[os.path.relpath(p, root)] = open(p, "rb").read()
    return out


def assert_same_bits(got: np.ndarray, want: np.ndarray, what: str) -> None:
    assert got.shape == want.shape, f"{what}: shape {got.shape} != {want.shape}"
    assert got.tobytes(order="C") == np.ascontiguousarray(want).tobytes(), f"{what}: bytes differ"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_read_zarr_python_v2(zarrio, case, tmp_path):
    want = native(write_v2_zarr(case, str(tmp_path / "arr")))
    before = zarray_files(tmp_path)
    with Store.filesystem(tmp_path) as store, Array.open(store, "arr") as arr:
        assert arr.shape == case.shape
        assert arr.element_size == np.dtype(case.dtype).itemsize
        assert arr.attributes() == {"case": case.name, "nested": {"k": [1, 2]}}
        meta = arr.metadata()
        assert meta["zarr_format"] == 2 and meta["dtype"] == np.dtype(case.dtype).str
        assert_same_bits(arr.read(order="C"), want, "C-order read")
        if arr.ndim:
            got_f = arr.read(order="F")
            assert got_f.flags.f_contiguous
            assert_same_bits(np.ascontiguousarray(got_f), want, "F-order read")
            start = tuple(s // 3 for s in case.shape)
            shape = tuple(max(s - 2 * st, 0) for s, st in zip(case.shape, start))
            sub = tuple(slice(st, st + n) for st, n in zip(start, shape))
            assert_same_bits(arr.read(start, shape), want[sub], "sub-region read")
    assert zarray_files(tmp_path) == before


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_zarr_python_reads_zarrio_v2(zarrio, case, tmp_path):
    """zarrio creates the case from zarr-python's `.zarray` and writes it."""
    import zarr

    want = write_v2_zarr(case, str(tmp_path / "theirs"))
    zarray = json.loads((tmp_path / "theirs" / ".zarray").read_text())
    L = lib()
    with Store.filesystem(tmp_path) as store:
        with Array.create(store, "ours", zarray) as arr:
            assert arr.metadata() == zarray
            # The holes hold the fill value: their chunks are not stored.
            arr.write((0,) * arr.ndim, native(want).view(arr.dtype))
            L.check(L.fn("zarrio_array_set_attributes")(arr.handle, b'{"by": "zarrio"}'),
                    "zarrio_array_set_attributes")
            assert_same_bits(arr.read(), native(want).view(arr.dtype), "zarrio's own read")
    ours = zarr.open_array(str(tmp_path / "ours"), mode="r", zarr_format=2)
    got = np.asarray(ours[...])
    assert got.dtype == want.dtype
    assert got.tobytes() == want.tobytes(), "zarr-python reads what zarrio wrote"
    assert ours.attrs.asdict() == {"by": "zarrio"}
    for hole in case.holes:
        idx = tuple(s.start for s in hole)
        key = case.separator.join(str(i // c) for i, c in zip(idx, case.chunks))
        assert not (tmp_path / "ours" / key).exists(), key
    # Into zarr-python's own array: one chunk-crossing region.
    if case.shape and all(case.shape):
        start = tuple(n // 2 for n in case.shape)
        size = tuple(n - s for n, s in zip(case.shape, start))
        region = tuple(slice(s, s + n) for s, n in zip(start, size))
        block = native(want)[region][::-1].copy()
        with Store.filesystem(tmp_path) as store, Array.open(store, "theirs") as arr:
            arr.write(start, block.view(arr.dtype))
        theirs = np.asarray(zarr.open_array(str(tmp_path / "theirs"), mode="r", zarr_format=2)[...])
        expect = native(want).copy()
        expect[region] = block
        assert native(theirs).tobytes() == expect.tobytes()


TS_CASES = [
    ("<u2", None),
    (">i4", {"id": "zlib", "level": 3}),
    ("<f8", {"id": "blosc", "cname": "lz4hc", "clevel": 4, "shuffle": 2}),
    ("<i8", {"id": "zstd", "level": 2}),
]


@pytest.mark.parametrize("dtype,compressor", TS_CASES, ids=[f"{d}_{(c or {}).get('id')}" for d, c in TS_CASES])
@pytest.mark.parametrize("order", ["C", "F"])
def test_read_tensorstore_v2(zarrio, dtype, compressor, order, tmp_path):
    import tensorstore as ts

    shape, chunks = (13, 10, 6), (5, 4, 3)
    path = str(tmp_path / "arr")
    t = ts.open({
        "driver": "zarr", "kvstore": {"driver": "file", "path": path},
        "metadata": {"shape": shape, "chunks": chunks, "dtype": dtype, "order": order,
                     "compressor": compressor, "fill_value": 7},
    }, create=True).result()
    data = _values(np.dtype(dtype), shape, seed=5)
    t[1:13, :, 0:6].write(data[1:13]).result()  # the first row of chunks partly written
    want = native(np.asarray(t.read().result()))
    with Store.filesystem(tmp_path) as store, Array.open(store, "arr") as arr:
        assert_same_bits(arr.read(order="C"), want, "C-order read")
        assert_same_bits(np.ascontiguousarray(arr.read(order="F")), want, "F-order read")


@pytest.mark.parametrize("dtype,filters,compressor,what", [
    ("<i2", [numcodecs.Categorize(labels=["a"], dtype="<U1", astype="<i2")], None, "categorize"),
    ("<i4", [numcodecs.Shuffle(elementsize=4), numcodecs.Delta(dtype="<i4")], None, "delta after shuffle"),
    ("<i4", None, numcodecs.LZMA(format=lzma.FORMAT_RAW,
                                 filters=[{"id": lzma.FILTER_LZMA2, "preset": 1}]), "raw lzma"),
])
def test_unreadable_v2_is_refused(zarrio, dtype, filters, compressor, what, tmp_path):
    import zarr

    zarr.create_array(store=str(tmp_path / "arr"), shape=(4,), chunks=(2,), dtype=dtype, zarr_format=2,
                      filters=filters, compressors=compressor)
    with Store.filesystem(tmp_path) as store:
        with pytest.raises(ZarrioError) as e:
            Array.open(store, "arr")
    assert e.value.status_name == "ZARRIO_ERR_UNSUPPORTED", e.value
    assert "not supported" in e.value.message


def test_v2_group_children_and_attributes(zarrio, tmp_path):
    import zarr

    root = zarr.open_group(str(tmp_path), mode="w", zarr_format=2, attributes={"title": "v2 root"})
    root.create_group("sub", attributes={"level": 1})
    root.create_array("data", shape=(3,), chunks=(2,), dtype="<i2")
    L = lib()
    with Store.filesystem(tmp_path) as store:
        g = c_void_p()
        L.check(L.fn("zarrio_group_open")(store.handle, b"", byref(g)), "zarrio_group_open")
        try:
            p = c_void_p()
            L.check(L.fn("zarrio_group_attributes")(g, byref(p)), "zarrio_group_attributes")
            assert json.loads(L.take_string(p)) == {"title": "v2 root"}
            L.check(L.fn("zarrio_group_children")(g, byref(p)), "zarrio_group_children")
            children = json.loads(L.take_string(p))
            assert children == [{"name": "data", "node_type": "array"},
                                {"name": "sub", "node_type": "group"}], children
            L.check(L.fn("zarrio_group_set_attributes")(g, b'{"title": "by zarrio"}'),
                    "zarrio_group_set_attributes")
        finally:
            L.fn("zarrio_group_free")(g)
    assert json.loads((tmp_path / ".zattrs").read_text()) == {"title": "by zarrio"}
    assert zarr.open_group(str(tmp_path), mode="r", zarr_format=2).attrs.asdict() == {"title": "by zarrio"}


def test_missing_node_names_both_formats(zarrio, tmp_path):
    with Store.filesystem(tmp_path) as store:
        with pytest.raises(ZarrioError) as e:
            Array.open(store, "nothing")
    assert e.value.status_name == "ZARRIO_ERR_NOT_FOUND"
    assert ".zarray" in e.value.message


@pytest.mark.parametrize("direction", ["zarr_writes", "zarrio_writes"])
def test_numcodecs_in_v3(zarrio, direction, tmp_path):
    import warnings

    import numcodecs.zarr3 as nz
    import zarr

    shape, chunks = (20, 9), (8, 4)
    data = _values(np.dtype("<i4"), shape, seed=11)
    path = tmp_path / "arr"
    if direction == "zarr_writes":
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # numcodecs.zarr3 says its codecs may change
            a = zarr.create_array(store=str(path), shape=shape, chunks=chunks, dtype="<i4", fill_value=0,
                                  compressors=[nz.Shuffle(elementsize=4), nz.LZ4(), nz.Zlib(level=3),
                                               nz.BZ2(level=2), nz.LZMA(preset=1)])
            a[:] = data
        with Store.filesystem(tmp_path) as store, Array.open(store, "arr") as arr:
            assert_same_bits(arr.read(), data, "zarrio reading zarr-python's numcodecs chain")
    else:
        meta = {
            "zarr_format": 3, "node_type": "array", "shape": list(shape), "data_type": "int32",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(chunks)}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": 0,
            "codecs": [{"name": "bytes", "configuration": {"endian": "little"}},
                       {"name": "numcodecs.shuffle", "configuration": {"elementsize": 4}},
                       {"name": "numcodecs.lz4"},
                       {"name": "numcodecs.zlib", "configuration": {"level": 5}},
                       {"name": "numcodecs.bz2", "configuration": {"level": 3}},
                       {"name": "numcodecs.lzma", "configuration": {"format": 2, "preset": 4}}],
        }
        with Store.filesystem(tmp_path) as store, Array.create(store, "arr", meta) as arr:
            arr.write((0, 0), data)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            got = np.asarray(zarr.open_array(str(path), mode="r")[...])
        assert_same_bits(got, data, "zarr-python reading zarrio's numcodecs chain")


def test_creating_over_a_v2_node_replaces_it(zarrio, tmp_path):
    """A v3 array or group created where a v2 node is leaves no v2 metadata or chunk behind."""
    import zarr

    a = zarr.create_array(store=str(tmp_path / "arr"), shape=(4,), chunks=(2,), dtype="<i4", zarr_format=2)
    a[:] = np.array([1, 2, 3, 4], "<i4")
    zarr.open_group(str(tmp_path / "grp"), mode="w", zarr_format=2, attributes={"old": 1})
    meta = {
        "zarr_format": 3, "node_type": "array", "shape": [4], "data_type": "int32",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [2]}},
        "chunk_key_encoding": {"name": "v2", "configuration": {"separator": "."}}, "fill_value": -1,
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
    }
    L = lib()
    with Store.filesystem(tmp_path) as store:
        with Array.create(store, "arr", meta) as arr:
            assert_same_bits(arr.read(), np.full(4, -1, "<i4"), "the new array")
        g = c_void_p()
        L.check(L.fn("zarrio_group_create")(store.handle, b"grp", b'{"new": 2}', byref(g)), "zarrio_group_create")
        L.fn("zarrio_group_free")(g)
    assert sorted(os.listdir(tmp_path / "arr")) == ["zarr.json"]
    assert sorted(os.listdir(tmp_path / "grp")) == ["zarr.json"]
    assert np.array_equal(zarr.open_array(str(tmp_path / "arr"), mode="r")[...], [-1, -1, -1, -1])
    g = zarr.open_group(str(tmp_path / "grp"), mode="r")
    assert g.metadata.zarr_format == 3 and dict(g.attrs) == {"new": 2}


@pytest.mark.parametrize("dtype,make_filter", [
    ("<i4", lambda nz: nz.Delta(dtype="<i4", astype="<i2")),
    ("<f8", lambda nz: nz.FixedScaleOffset(offset=3, scale=1000, dtype="<f8", astype="<i4")),
    ("<f4", lambda nz: nz.FixedScaleOffset(offset=0.5, scale=30, dtype="<f4", astype="<f4")),
    ("<u2", lambda nz: nz.AsType(encode_dtype="<f4", decode_dtype="<u2")),
], ids=["delta", "fixedscaleoffset", "fixedscaleoffset_float", "astype"])
def test_numeric_filters_in_v3(zarrio, dtype, make_filter, tmp_path):
    """zarr-python's numcodecs.delta / fixedscaleoffset / astype read back bit for bit, and round-trip."""
    import warnings

    import numcodecs.zarr3 as nz
    import zarr

    shape, chunks = (21, 5), (8, 5)
    data = _values(np.dtype(dtype), shape, seed=3, smooth=dtype == "<i4")
    if data.dtype.kind == "f":
        data = np.nan_to_num(data, posinf=0.0, neginf=0.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = zarr.create_array(store=str(tmp_path / "arr"), shape=shape, chunks=chunks, dtype=dtype,
                              filters=[make_filter(nz)], fill_value=0)
        a[:] = data
        want = np.asarray(a[...])
    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "arr") as arr:
            assert_same_bits(arr.read(), want, "zarrio reading zarr-python's filter")
            meta = arr.metadata()
        # zarrio writes the same values through its own encoding; zarr-python reads them.
        with Array.create(store, "copy", meta) as cp:
            cp.write((0, 0), want)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = np.asarray(zarr.open_array(str(tmp_path / "copy"), mode="r")[...])
    assert_same_bits(got, want, "zarr-python reading zarrio's filter")


def test_read_zarr_python_fixed_length_unicode_v3(zarrio, tmp_path):
    """numpy's U<n> in Zarr v3 (fixed_length_utf32) reads as the same UTF-32 elements, and round-trips."""
    import zarr

    data = _values(np.dtype("<U7"), (10, 4), seed=2)
    a = zarr.create_array(store=str(tmp_path / "arr"), shape=(10, 4), chunks=(4, 3), dtype="<U7", fill_value="?")
    a[:8] = data[:8]
    want = np.asarray(a[...])
    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "arr") as arr:
            assert arr.dtype_name == "fixed_length_utf32" and arr.element_size == 28
            assert_same_bits(arr.read(), native(want), "C-order read")
            assert arr.fill_value_bytes() == "?".encode("utf-32-le") + bytes(24)
            meta = arr.metadata()
        with Array.create(store, "copy", meta) as cp:
            cp.write((0, 0), native(want))
    got = np.asarray(zarr.open_array(str(tmp_path / "copy"), mode="r")[...])
    assert got.tolist() == want.tolist()


def test_numeric_filter_before_sharding(zarrio, tmp_path):
    """Missing inner chunks under a numeric filter hold the fill value cast, as zarr-python reads them."""
    import warnings

    import numcodecs.zarr3 as nz
    import zarr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = zarr.create_array(store=str(tmp_path / "arr"), shape=(8,), chunks=(2,), shards=(8,), dtype="<f8",
                              filters=[nz.FixedScaleOffset(offset=1000, scale=10, dtype="<f8", astype="<i4")],
                              fill_value=0)
        a[:] = np.array([1.5, 2.5, 1000, 1000, 0, 0, 7, 8])
        want = np.asarray(a[...])
    with Store.filesystem(tmp_path) as store, Array.open(store, "arr") as arr:
        assert_same_bits(arr.read(), want, "zarrio reading a sharded array under fixedscaleoffset")


@pytest.mark.parametrize("fill", [0, 5, None])
def test_v2_object_fill_values(zarrio, fill, tmp_path):
    """A v2 string array's numeric or null fill_value reads as zarr-python reads it."""
    import zarr

    a = zarr.create_array(store=str(tmp_path / "arr"), shape=(4,), chunks=(2,), dtype=str, zarr_format=2)
    a[2:] = np.array(["x", "y"], dtype=object)
    meta_path = tmp_path / "arr" / ".zarray"
    meta = json.loads(meta_path.read_text())
    meta["fill_value"] = fill
    meta_path.write_text(json.dumps(meta))
    want = [str(x).encode() for x in np.asarray(zarr.open_array(str(tmp_path / "arr"), mode="r")[...])]
    with Store.filesystem(tmp_path) as store, Array.open(store, "arr") as arr:
        assert arr.read_strings() == want


@pytest.mark.parametrize("dtype", ["datetime64[ns]", "timedelta64[10s]", "datetime64[D]"])
def test_datetimes_in_v3(zarrio, dtype, tmp_path):
    """numpy.datetime64 / timedelta64 arrays read as their int64 counts, and round-trip."""
    import zarr

    data = _values(np.dtype(dtype), (9, 4), seed=4)
    a = zarr.create_array(store=str(tmp_path / "arr"), shape=(9, 4), chunks=(4, 3), dtype=dtype)
    a[:6] = data[:6]
    want = np.asarray(a[...])
    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "arr") as arr:
            assert arr.element_size == 8 and arr.dtype_name.startswith("numpy.")
            assert_same_bits(arr.read(), native(want), "C-order read")
            assert arr.fill_value_bytes() == np.int64(np.iinfo(np.int64).min).tobytes()
            meta = arr.metadata()
        with Array.create(store, "copy", meta) as cp:
            cp.write((0, 0), native(want))
    got = np.asarray(zarr.open_array(str(tmp_path / "copy"), mode="r")[...])
    assert got.dtype == want.dtype and got.view(np.int64).tolist() == want.view(np.int64).tolist()


_EDGES = [1.5, -2.25, np.nan, -np.nan, np.inf, -np.inf, 1e10, -1e10, 3276.7, -0.0, 1e-310, 123.456]

# (name, dtype, filter, data, x86-64 only): numcodecs' numeric filters on
# values where numpy's arithmetic and casts have their own rules.
NUMPY_RULE_CASES = [
    # Integer scale and offset: the arithmetic in the array's integer type.
    ("i8_offset_past_2_53", "<i8",
     numcodecs.FixedScaleOffset(offset=1_700_000_000_000_000_000, scale=1, dtype="<i8", astype="<i4"),
     np.array([1_700_000_000_000_000_001, 1_700_000_000_000_000_100, 1_700_000_000_123_456_789, 2**62 + 1]), False),
    ("u8_identity", "<u8", numcodecs.FixedScaleOffset(offset=0, scale=1, dtype="<u8"),
     np.array([2**64 - 1, 2**53 + 1, 12_345_678_901_234_567, 0], dtype=np.uint64), False),
    ("i2_wraps", "<i2", numcodecs.FixedScaleOffset(offset=1000, scale=10, dtype="<i2", astype="<i4"),
     np.array([-32768, 32767, 100, -100]), False),
    ("i2_float_scale", "<i2", numcodecs.FixedScaleOffset(offset=7, scale=1.5, dtype="<i2", astype="<i4"),
     np.array([-32768, 32767, 3, -5]), False),
    ("i8_float_offset", "<i8", numcodecs.FixedScaleOffset(offset=1.0, scale=1, dtype="<i8"),
     np.array([2**53 + 1, -(2**53) - 3, 5, 7]), False),
    # float16 in its own arithmetic.
    ("f2_fixedscaleoffset_i1", "<f2", numcodecs.FixedScaleOffset(offset=5, scale=2, dtype="<f2", astype="|i1"),
     np.array([1.5, 7.25, -3.0, 60.0]), False),
    ("f4_astype_f2", "<f4", numcodecs.AsType(encode_dtype="<f2", decode_dtype="<f4"),
     np.array([1.5, 2049.0, 1e6, -0.1, np.nan, 6e-8]), False),
    ("f2_delta", "<f2", numcodecs.Delta(dtype="<f2"), np.array([1.0, 1.5, 1000.0, -3.25, 0.1]), False),
    ("i2_astype_f2", "<i2", numcodecs.AsType(encode_dtype="<f2", decode_dtype="<i2"),
     np.array([2049, 3, -32768, 32767]), False),
    ("f8_quantize_astype_f4", "<f8", numcodecs.Quantize(digits=2, dtype="<f8", astype="<f4"),
     np.array([1.2345, -2.0, 1e40, np.nan, 3.14159]), False),
] + [
    # NaN, infinities and values out of range into integers: numpy's casts
    # as they are on x86-64 (uint32 left out: numpy's own loops disagree).
    (f"f8_fixedscaleoffset_{t[1:]}", "<f8",
     numcodecs.FixedScaleOffset(offset=1, scale=10, dtype="<f8", astype=t), np.array(_EDGES), True)
    for t in ["|i1", "<i2", "<u2", "<i4", "<i8", "|u1", "<u8"]
] + [
    ("f8_astype_i4", "<f8", numcodecs.AsType(encode_dtype="<i4", decode_dtype="<f8"), np.array(_EDGES), True),
    ("f4_astype_u8", "<f4", numcodecs.AsType(encode_dtype="<u8", decode_dtype="<f4"),
     np.array(_EDGES + [1.8e19, -1e19, 2e19]), True),
]


@pytest.mark.parametrize("name,dtype,filt,data,x86_only", NUMPY_RULE_CASES, ids=[c[0] for c in NUMPY_RULE_CASES])
def test_numeric_filters_store_what_numcodecs_stores(zarrio, name, dtype, filt, data, x86_only, tmp_path):
    """Uncompressed v2 chunks through a numeric filter: zarrio stores the bytes numcodecs stores, and each reads the other's."""
    import platform
    import warnings

    import zarr

    if x86_only and platform.machine() not in ("x86_64", "AMD64"):
        pytest.skip("numpy's casts of NaN and values out of range are its machine's")
    data = data.astype(dtype)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = zarr.create_array(store=str(tmp_path / "theirs"), shape=data.shape, chunks=(3,), dtype=dtype,
                              zarr_format=2, compressors=None, filters=[filt], fill_value=0)
        a[:] = data
        want = np.asarray(zarr.open_array(str(tmp_path / "theirs"), mode="r", zarr_format=2)[...])
    zarray = json.loads((tmp_path / "theirs" / ".zarray").read_text())
    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "theirs") as arr:
            assert_same_bits(arr.read(), native(want), "zarrio reading numcodecs' chunks")
        with Array.create(store, "ours", zarray) as arr:
            arr.write((0,), native(data))
    theirs = {k: v for k, v in zarray_files(tmp_path / "theirs").items() if not k.startswith(".z")}
    ours = {k: v for k, v in zarray_files(tmp_path / "ours").items() if not k.startswith(".z")}
    assert sorted(ours) == sorted(theirs)
    for k in theirs:
        assert ours[k] == theirs[k], f"chunk {k}: zarrio stores {ours[k].hex()}, numcodecs {theirs[k].hex()}"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = np.asarray(zarr.open_array(str(tmp_path / "ours"), mode="r", zarr_format=2)[...])
    assert_same_bits(got, want, "zarr-python reading zarrio's chunks")


def test_numcodecs_refuses_an_offset_out_of_range_and_so_does_zarrio(zarrio, tmp_path):
    """An integer offset that does not fit the array's type: numpy raises OverflowError; zarrio refuses the write, and reads."""
    import zarr

    filt = numcodecs.FixedScaleOffset(offset=100_000, scale=1, dtype="<i2", astype="<i4")
    with pytest.raises(OverflowError):
        filt.encode(np.array([1, 2], dtype="<i2"))
    a = zarr.create_array(store=str(tmp_path / "theirs"), shape=(4,), chunks=(2,), dtype="<i2",
                          zarr_format=2, compressors=None, filters=[filt], fill_value=0)
    (tmp_path / "theirs" / "0").write_bytes(np.array([100_001, 100_002], dtype="<i4").tobytes())
    want = np.asarray(a[...])
    with Store.filesystem(tmp_path) as store, Array.open(store, "theirs") as arr:
        assert_same_bits(arr.read(), want, "zarrio reading the chunk")
        with pytest.raises(ZarrioError) as e:
            arr.write((2,), np.array([1, 2], dtype="<i2"))
        assert e.value.status == -1 and "does not fit int16" in str(e.value)
        assert_same_bits(arr.read(), want, "the array after the refused write")


@pytest.mark.parametrize("filters", [[numcodecs.Shuffle(elementsize=8)], [numcodecs.CRC32()], []],
                         ids=["shuffle", "crc32", "none"])
def test_blosc_after_a_byte_filter_compresses_bytes(zarrio, filters, tmp_path):
    """numcodecs hands blosc bytes after a byte-level filter: zarrio's chunks carry the typesize numcodecs' do."""
    import zarr

    data = np.arange(40, dtype="<f8") * 1.5
    a = zarr.create_array(store=str(tmp_path / "theirs"), shape=(40,), chunks=(20,), dtype="<f8", zarr_format=2,
                          filters=filters or None, compressors=numcodecs.Blosc(cname="lz4", clevel=5, shuffle=1))
    a[:] = data
    zarray = json.loads((tmp_path / "theirs" / ".zarray").read_text())
    with Store.filesystem(tmp_path) as store, Array.create(store, "ours", zarray) as arr:
        arr.write((0,), data)
    for k in ["0", "1"]:
        theirs = (tmp_path / "theirs" / k).read_bytes()
        ours = (tmp_path / "ours" / k).read_bytes()
        # Blosc's header: version, format version, flags, typesize.
        assert ours[3] == theirs[3] == (1 if filters else 8), (ours[:4].hex(), theirs[:4].hex())
        assert numcodecs.Blosc().decode(ours) == numcodecs.Blosc().decode(theirs)
    assert np.array_equal(zarr.open_array(str(tmp_path / "ours"), mode="r")[...], data)


def test_gzip_at_zlibs_default_level_and_zero_padding(zarrio, tmp_path):
    """numcodecs' GZip(level=-1) (zlib's default level) opens, reads and writes; a gzip chunk with zero padding after it reads as Python's gzip reads it."""
    import gzip

    import zarr

    data = np.arange(24, dtype="<i4")
    a = zarr.create_array(store=str(tmp_path / "theirs"), shape=(24,), chunks=(12,), dtype="<i4", zarr_format=2,
                          compressors=numcodecs.GZip(level=-1))
    a[:] = data
    chunk0 = tmp_path / "theirs" / "0"
    padded = chunk0.read_bytes() + bytes(100)
    assert gzip.decompress(padded) == data[:12].tobytes()
    chunk0.write_bytes(padded)
    assert np.array_equal(a[...], data)
    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "theirs") as arr:
            assert_same_bits(arr.read(), data, "zarrio's read")
            arr.write((12,), data[:12])
    assert np.array_equal(zarr.open_array(str(tmp_path / "theirs"), mode="r")[...], np.concatenate([data[:12]] * 2))
