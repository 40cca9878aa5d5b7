"""numcodecs' pcodec (`numcodecs.pcodec`, an array->bytes codec in
zarr-python 3): arrays both ways with zarr-python, every configuration
numcodecs takes, and damaged chunks."""

from __future__ import annotations

import json

import numpy as np
import pytest

from checks import damaged_chunk_reads, v2_compressor_both_ways
from zarrio_ctypes import Array, Store, ZarrioError

pcodec = pytest.importorskip("pcodec")

TYPES = ["int16", "int32", "int64", "uint16", "uint32", "uint64", "float16", "float32", "float64"]
CONFIGS = [
    {},
    {"level": 0},
    {"level": 12, "mode_spec": "classic"},
    {"delta_spec": "no_op"},
    {"delta_spec": "try_lookback"},
    {"delta_spec": "try_consecutive", "delta_encoding_order": 2},
    {"delta_spec": "auto", "delta_encoding_order": 1},
    {"level": 3, "paging_spec": "equal_pages_up_to", "equal_pages_up_to": 100},
]


def _data(dtype, shape):
    n = int(np.prod(shape))
    rng = np.random.default_rng(n)
    if dtype.startswith("float"):
        x = np.cumsum(rng.standard_normal(n)) * 10
        x[::17] = np.round(x[::17], 1)
        x = x.astype(dtype)
        x[1], x[2], x[3], x[4] = np.nan, np.inf, -np.inf, -0.0
    else:
        info = np.iinfo(dtype)
        x = (np.arange(n) * 37 % 1000 + rng.integers(0, 5, n)).astype(np.int64)
        x = np.clip(x + (int(info.min) if info.min < 0 else 0) // 2, info.min, info.max).astype(dtype)
        x[0], x[1] = info.min, info.max
    return x.reshape(shape)


def _meta(dtype, cfg, sharded, fill):
    pco = {"name": "numcodecs.pcodec", "configuration": cfg}
    if sharded:
        codecs = [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [5, 8], "codecs": [pco],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}]}}]
    else:
        codecs = [pco]
    return {"zarr_format": 3, "node_type": "array", "shape": [23, 30], "data_type": dtype,
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [10, 16]}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": fill, "codecs": codecs, "attributes": {}}


@pytest.mark.parametrize("sharded", [False, True])
@pytest.mark.parametrize("k", range(len(CONFIGS)))
@pytest.mark.parametrize("dtype", TYPES)
def test_both_ways_with_zarr_python(zarrio, tmp_path, dtype, k, sharded):
    import zarr

    meta = _meta(dtype, CONFIGS[k], sharded, 0)
    data = _data(dtype, (23, 30))
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "zarr.json").write_text(json.dumps(meta))
    theirs = zarr.open_array(str(tmp_path / "theirs"), mode="r+")
    theirs[:20, :25] = data[:20, :25]
    want = theirs[:]
    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "theirs") as a:
            assert a.read().tobytes() == want.tobytes()
            assert a.read((3, 5), (9, 20), order="F").tobytes() == np.asfortranarray(want[3:12, 5:25]).tobytes()
        with Array.create(store, "ours", meta) as a:
            a.write((0, 0), np.ascontiguousarray(data[:20, :25]))
    assert zarr.open_array(str(tmp_path / "ours"), mode="r")[:].tobytes() == want.tobytes()
    # The same pco writes the same bytes (zarr-python may lay a shard's
    # inner chunks out in another order: compared by its index).
    from importlib.metadata import version

    if version("pcodec").split(".")[:2] == ["1", "1"]:
        for c in sorted((tmp_path / "theirs" / "c").rglob("*")):
            if c.is_file():
                mine = (tmp_path / "ours" / c.relative_to(tmp_path / "theirs")).read_bytes()
                assert _inner_chunks(mine, sharded) == _inner_chunks(c.read_bytes(), sharded), c


def _inner_chunks(b, sharded):
    """A chunk's bytes, or a shard's inner chunks in index order (2 x 2
    of them, the index at the end with a crc32c)."""
    if not sharded:
        return [b]
    index = np.frombuffer(b[-4 - 4 * 16 : -4], "<u8").reshape(4, 2)
    return [None if o == 2**64 - 1 else b[o : o + n] for o, n in index.tolist()]


@pytest.mark.parametrize("cfg,status", [
    ({"level": 13}, -2), ({"mode_spec": "try_float_mult"}, -2), ({"delta_spec": "sideways"}, -2),
    ({"delta_spec": "try_consecutive"}, -2), ({"delta_spec": "no_op", "delta_encoding_order": 1}, -2),
    ({"delta_encoding_order": 8}, -2), ({"equal_pages_up_to": 0}, -2), ({"paging_spec": "exact"}, -2),
    ({"level": "high"}, -2), ({"extra": 1}, -2),
])
def test_bad_configurations_are_refused(zarrio, cfg, status):
    with Store.memory() as store:
        with pytest.raises(ZarrioError) as e:
            Array.create(store, "a", _meta("float32", cfg, False, 0))
        assert e.value.status == status, e.value


def test_types_pcodec_does_not_take_are_unsupported(zarrio):
    for dtype, fill in [("uint8", 0), ("int8", 0), ("bool", False), ("complex64", [0, 0])]:
        with Store.memory() as store:
            with pytest.raises(ZarrioError) as e:
                Array.create(store, "a", _meta(dtype, {}, False, fill))
            assert e.value.status == -3, e.value


def test_damaged_chunks_fail_cleanly(zarrio, tmp_path):
    """Every truncation of a stored chunk is an error; a flipped bit at
    every byte reads as an error or as some values (pco keeps no
    checksum): never a crash."""
    import zarr

    meta = _meta("float64", {}, False, 0)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "zarr.json").write_text(json.dumps(meta))
    zarr.open_array(str(tmp_path / "a"), mode="r+")[:] = _data("float64", (23, 30))
    chunk = tmp_path / "a" / "c" / "0" / "0"
    good = chunk.read_bytes()
    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "a") as a:
            damaged_chunk_reads(chunk, [good[:n] for n in range(0, len(good), 3)], lambda: a.read((0, 0), (10, 16)))


@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("dtype", TYPES)
def test_v2_compressor_both_ways(zarrio, tmp_path, dtype, order):
    """In a v2 array pcodec is the compressor; it compresses the numbers,
    so it stands where v3 has `bytes`."""
    from numcodecs.pcodec import PCodec

    v2_compressor_both_ways(tmp_path, _data(dtype, (23, 30)),
                            PCodec(level=5, delta_spec="try_consecutive", delta_encoding_order=1), order)


@pytest.mark.parametrize("dtype,filters", [("<f4", [{"id": "shuffle", "elementsize": 4}]), (">f4", None)])
def test_v2_pcodec_after_a_byte_filter_or_big_endian_is_unsupported(zarrio, tmp_path, dtype, filters):
    zarray = {"zarr_format": 2, "shape": [4], "chunks": [4], "dtype": dtype, "fill_value": 0, "order": "C",
              "filters": filters, "compressor": {"id": "pcodec", "level": 8}}
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / ".zarray").write_text(json.dumps(zarray))
    with Store.filesystem(tmp_path) as store:
        with pytest.raises(ZarrioError) as e:
            Array.open(store, "a")
        assert e.value.status == -3


def test_bitround_then_numeric_filters_v2_both_ways(zarrio, tmp_path):
    """numcodecs views each filter's input as its configured type, so the
    integers bitround hands on are floats again to delta and quantize."""
    import zarr
    from numcodecs import BitRound, Delta, Quantize
    from numcodecs.pcodec import PCodec

    data = _data("float64", (23, 30))
    data[~np.isfinite(data)] = 1.5
    for k, filters in enumerate([[BitRound(keepbits=20), Delta(dtype="<f8")],
                                 [BitRound(keepbits=20), Quantize(digits=3, dtype="<f8")]]):
        theirs = zarr.create_array(str(tmp_path / f"theirs{k}"), shape=(23, 30), chunks=(10, 16), dtype="<f8",
                                   fill_value=0, zarr_format=2, filters=filters, compressors=PCodec())
        theirs[:] = data
        want = theirs[:]
        zarray = (tmp_path / f"theirs{k}" / ".zarray").read_text()
        with Store.filesystem(tmp_path) as store:
            with Array.open(store, f"theirs{k}") as a:
                assert a.read().tobytes() == want.tobytes()
            with Array.create(store, f"ours{k}", zarray) as a:
                a.write((0, 0), data)
        assert zarr.open_array(str(tmp_path / f"ours{k}"), mode="r")[:].tobytes() == want.tobytes()
        for c in sorted((tmp_path / f"theirs{k}").glob("*.*")):
            if not c.name.startswith("."):
                assert (tmp_path / f"ours{k}" / c.name).read_bytes() == c.read_bytes(), (k, c.name)


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64"])
def test_after_bitround_both_ways(zarrio, tmp_path, dtype, zarr_format):
    """numcodecs' bitround hands pcodec its floats as integers of the same
    width, so the stream holds integers: read, and written the same."""
    import zarr
    from numcodecs import BitRound
    from numcodecs.pcodec import PCodec

    data = _data(dtype, (23, 30))
    kw = dict(shape=(23, 30), chunks=(10, 16), dtype=dtype, fill_value=0, zarr_format=zarr_format)
    if zarr_format == 2:
        kw.update(filters=[BitRound(keepbits=5)], compressors=PCodec())
    else:
        from zarr.codecs.numcodecs import BitRound as BR, PCodec as PC
        kw.update(filters=[BR(keepbits=5)], serializer=PC(), compressors=None)
    theirs = zarr.create_array(str(tmp_path / "theirs"), **kw)
    theirs[:20, :25] = data[:20, :25]
    want = theirs[:]
    meta_name = ".zarray" if zarr_format == 2 else "zarr.json"
    meta = (tmp_path / "theirs" / meta_name).read_text()
    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "theirs") as a:
            assert a.read().tobytes() == want.tobytes()
        with Array.create(store, "ours", meta) as a:
            a.write((0, 0), np.ascontiguousarray(data[:20, :25]))
    assert zarr.open_array(str(tmp_path / "ours"), mode="r")[:].tobytes() == want.tobytes()
    for c in sorted((tmp_path / "theirs").rglob("*")):
        if c.is_file() and not c.name.startswith(".") and c.name != "zarr.json":
            assert (tmp_path / "ours" / c.relative_to(tmp_path / "theirs")).read_bytes() == c.read_bytes(), c


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize("dtype", ["datetime64[s]", "timedelta64[ms]"])
def test_time_types_as_int64_counts(zarrio, tmp_path, dtype, zarr_format):
    """numcodecs hands pcodec the int64 counts of numpy's time types."""
    import zarr
    from numcodecs.pcodec import PCodec

    data = (np.arange(40, dtype="i8") * 86400 + 1_700_000_000).view(dtype).reshape(4, 10)
    data[1, 2] = np.array("NaT", dtype=dtype)
    kw = dict(shape=(4, 10), chunks=(3, 4), dtype=dtype, zarr_format=zarr_format)
    if zarr_format == 2:
        kw.update(compressors=PCodec(level=4))
    else:
        from zarr.codecs.numcodecs import PCodec as PC
        kw.update(serializer=PC(level=4), compressors=None)
    theirs = zarr.create_array(str(tmp_path / "theirs"), **kw)
    theirs[:] = data
    meta = (tmp_path / "theirs" / (".zarray" if zarr_format == 2 else "zarr.json")).read_text()
    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "theirs") as a:
            out = np.empty((4, 10), "i8")
            from zarrio_ctypes import _u64_array, lib
            L = lib()
            L.check(L.fn("zarrio_array_read")(a.handle, 2, _u64_array([0, 0]), _u64_array([4, 10]),
                                              out.ctypes.data, out.nbytes, None), "zarrio_array_read")
            assert out.tobytes() == data.tobytes()
        with Array.create(store, "ours", meta) as a:
            L.check(L.fn("zarrio_array_write")(a.handle, 2, _u64_array([0, 0]), _u64_array([4, 10]),
                                               data.ctypes.data, data.nbytes, None), "zarrio_array_write")
    assert zarr.open_array(str(tmp_path / "ours"), mode="r")[:].tobytes() == data.tobytes()


@pytest.mark.parametrize("key", ["level", "mode_spec", "delta_spec", "paging_spec", "equal_pages_up_to"])
def test_null_settings_numcodecs_refuses_are_refused(zarrio, key):
    with Store.memory() as store:
        with pytest.raises(ZarrioError) as e:
            Array.create(store, "a", _meta("float32", {key: None}, False, 0))
        assert e.value.status == -2


def test_a_huge_chunk_in_pages_of_one_opens(zarrio):
    """pco lists a chunk's pages to bound its size; a hostile shape with
    pages of one number must not make zarrio try to list 2^40 of them."""
    meta = _meta("float32", {"equal_pages_up_to": 1}, False, 0)
    meta["shape"], meta["chunk_grid"]["configuration"]["chunk_shape"] = [2**40], [2**40]
    meta["codecs"] = meta["codecs"] + [{"name": "zstd", "configuration": {"level": 1}}]
    with Store.memory() as store:
        with Array.create(store, "a", meta) as a:
            assert a.read((5,), (3,)).tolist() == [0, 0, 0]
