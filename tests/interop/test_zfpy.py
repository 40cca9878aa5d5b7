"""numcodecs' zfpy (`numcodecs.zfpy`, an array->bytes codec in zarr-python
3; `zfpy` as a v2 compressor): arrays both ways with zarr-python, every
mode numcodecs takes, 1 to 4 dimensions, the four types zfp compresses,
and damaged chunks.

zarrio builds zfp in (cargo feature `zfp`, the zfp-sys crate's source),
zfpy bundles its own: both are zfp 1.0, which compresses the same values
to the same bytes, so the chunks are compared byte for byte too. A library built
without the feature refuses the codec as unsupported: these tests then
skip, unless ZARRIO_EXPECT_ZFP=1 (as scripts/run-tests.sh sets it) makes
that a failure.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from checks import damaged_chunk_reads, v2_compressor_both_ways
from zarrio_ctypes import Array, Store, ZarrioError

zfpy = pytest.importorskip("zfpy")

MODES = [
    {"mode": 4, "tolerance": 0.01},
    {"mode": 4, "tolerance": 0.0},
    {"mode": 2, "rate": 8},
    # Not less: zfpy sets the rate for no scalar type, so a rate below
    # the 9 (float) or 12 (double) bits a block's exponent takes writes
    # past its buffer (it crashes). zarrio gives zfp the type, which
    # raises such a rate to that least.
    {"mode": 2, "rate": 3},
    {"mode": 2, "rate": 30.5},
    {"mode": 3, "precision": 12},
    {"mode": 3, "precision": 1},
    {"mode": 4, "tolerance": -1},
]
TYPES = ["float32", "float64", "int32", "int64"]


@pytest.fixture
def zfp(zarrio):
    """Skip (or fail, see the module's note) when the library has no zfp."""
    with Store.memory() as store:
        try:
            Array.create(store, "probe", _meta("float32", [4], [4], {"mode": 4, "tolerance": 0.1}, 0)).close()
        except ZarrioError as e:
            if e.status == -3 and os.environ.get("ZARRIO_EXPECT_ZFP") != "1":
                pytest.skip("this zarrio was built without the zfp feature")
            raise


def _meta(dtype, shape, chunks, cfg, fill):
    return {"zarr_format": 3, "node_type": "array", "shape": shape, "data_type": dtype,
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunks}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": fill,
            "codecs": [{"name": "numcodecs.zfpy", "configuration": cfg}], "attributes": {}}


def _data(dtype, shape):
    n = int(np.prod(shape))
    rng = np.random.default_rng(n)
    smooth = np.cumsum(rng.standard_normal(n)) * 3
    if dtype.startswith("float"):
        x = smooth.astype(dtype)
        x[::29] = 0
    else:
        # zfp's integer transform takes values within 2^30 (int32) and
        # 2^62 (int64) of zero.
        x = (smooth * 1000).astype(dtype)
    return x.reshape(shape)


SHAPES = [([37], [16]), ([9, 14], [4, 8]), ([6, 7, 9], [4, 4, 5]), ([5, 6, 3, 7], [2, 4, 3, 4])]


@pytest.mark.parametrize("k", range(len(MODES)))
@pytest.mark.parametrize("dtype", TYPES)
@pytest.mark.parametrize("dims", range(len(SHAPES)))
def test_both_ways_with_zarr_python(zfp, tmp_path, dtype, k, dims):
    import zarr

    shape, chunks = SHAPES[dims]
    cfg = MODES[k]
    if dtype.startswith("int") and cfg.get("tolerance", -1) >= 0:
        cfg = {"mode": 3, "precision": 20}  # accuracy is for floats
    meta = _meta(dtype, shape, chunks, cfg, 0)
    data = _data(dtype, shape)
    part = tuple(slice(0, max(1, s - 2)) for s in shape)
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "zarr.json").write_text(json.dumps(meta))
    theirs = zarr.open_array(str(tmp_path / "theirs"), mode="r+")
    theirs[part] = data[part]
    want = theirs[:]
    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "theirs") as a:
            assert a.read().tobytes() == want.tobytes()
            start = tuple(s // 3 for s in shape)
            size = tuple(s - 2 * b for s, b in zip(shape, start))
            box = tuple(slice(b, b + n) for b, n in zip(start, size))
            assert a.read(start, size, order="F").tobytes() == np.asfortranarray(want[box]).tobytes()
        with Array.create(store, "ours", meta) as a:
            a.write((0,) * len(shape), np.ascontiguousarray(data[part]))
    assert zarr.open_array(str(tmp_path / "ours"), mode="r")[:].tobytes() == want.tobytes()
    # The same zfp compresses the same values to the same bytes.
    for c in sorted((tmp_path / "theirs" / "c").rglob("*")):
        if c.is_file():
            assert (tmp_path / "ours" / c.relative_to(tmp_path / "theirs")).read_bytes() == c.read_bytes(), c


def test_in_shards_and_after_a_transpose(zfp, tmp_path):
    import zarr

    cfg = {"mode": 2, "rate": 12}
    codecs = [{"name": "transpose", "configuration": {"order": [1, 0]}},
              {"name": "sharding_indexed", "configuration": {
                  "chunk_shape": [8, 4], "codecs": [{"name": "numcodecs.zfpy", "configuration": cfg}],
                  "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}]}}]
    meta = _meta("float64", [20, 30], [8, 16], cfg, 1.5)
    meta["codecs"] = codecs
    data = _data("float64", (20, 30))
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "zarr.json").write_text(json.dumps(meta))
    theirs = zarr.open_array(str(tmp_path / "theirs"), mode="r+")
    theirs[2:19, 3:29] = data[2:19, 3:29]
    want = theirs[:]
    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "theirs") as a:
            assert a.read().tobytes() == want.tobytes()
        with Array.create(store, "ours", meta) as a:
            a.write((2, 3), np.ascontiguousarray(data[2:19, 3:29]))
            assert a.read().tobytes() == want.tobytes()
    assert zarr.open_array(str(tmp_path / "ours"), mode="r")[:].tobytes() == want.tobytes()


@pytest.mark.parametrize("dtype", TYPES)
def test_v2_compressor_both_ways(zfp, tmp_path, dtype):
    """In a v2 array zfpy is the compressor; it compresses the numbers,
    so it stands where v3 has `bytes`."""
    from numcodecs.zfpy import ZFPY

    v2_compressor_both_ways(tmp_path, _data(dtype, (23, 30)), ZFPY(mode=zfpy.mode_fixed_rate, rate=10))


def test_damaged_chunks_fail_cleanly(zfp, tmp_path):
    """Every truncation of a stored chunk is refused; a flipped bit at
    every byte reads as an error or as some values (zfp keeps no
    checksum): never a crash (tests/zfp_streams.rs damages streams under
    valgrind, which also checks that zfp never reads past its buffer)."""
    import zarr

    meta = _meta("float64", [16, 16], [16, 16], {"mode": 4, "tolerance": 1e-6}, 0)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "zarr.json").write_text(json.dumps(meta))
    zarr.open_array(str(tmp_path / "a"), mode="r+")[:] = _data("float64", (16, 16))
    chunk = tmp_path / "a" / "c" / "0" / "0"
    good = chunk.read_bytes()
    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "a") as a:
            damaged_chunk_reads(chunk, [good[:n] for n in range(0, len(good) - 8, 5)], a.read)


def test_after_a_filter_that_flattens_the_chunk(zfp, tmp_path):
    """numcodecs' delta hands zfpy the chunk flattened: its streams are
    one-dimensional, and read as the chunk's values in order."""
    import zarr

    meta = _meta("float64", [12, 10], [6, 5], {"mode": 4, "tolerance": 0.001}, 0)
    meta["codecs"] = [{"name": "numcodecs.delta", "configuration": {"dtype": "<f8"}}] + meta["codecs"]
    data = _data("float64", (12, 10))
    (tmp_path / "theirs").mkdir()
    (tmp_path / "theirs" / "zarr.json").write_text(json.dumps(meta))
    theirs = zarr.open_array(str(tmp_path / "theirs"), mode="r+")
    theirs[:] = data
    want = theirs[:]
    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "theirs") as a:
            assert a.read().tobytes() == want.tobytes()
        with Array.create(store, "ours", meta) as a:
            a.write((0, 0), data)
            ours = a.read()
    assert zarr.open_array(str(tmp_path / "ours"), mode="r")[:].tobytes() == ours.tobytes()


@pytest.mark.parametrize("cfg", [{"mode": 1}, {"mode": 3, "precision": 2.5}, {"mode": "4"}, {"tolerance": "x"}, {"level": 1}])
def test_bad_configurations_are_refused(zarrio, cfg):
    with Store.memory() as store:
        with pytest.raises(ZarrioError) as e:
            Array.create(store, "a", _meta("float32", [4], [4], cfg, 0))
        assert e.value.status == -2, e.value


@pytest.mark.parametrize("dtype,shape,fill,cfg", [
    ("uint16", [4], 0, {"mode": 4, "tolerance": 0.1}),
    ("float32", [2, 2, 2, 2, 2], 0, {"mode": 4, "tolerance": 0.1}),
    ("complex64", [4], [0, 0], {"mode": 4, "tolerance": 0.1}),
    # zfp's header holds at most 4096 values along each of 4 dimensions.
    ("float32", [1, 1, 1, 5000], 0, {"mode": 4, "tolerance": 0.1}),
    # More bits per value than any type has.
    ("float32", [8], 0, {"mode": 2, "rate": 100}),
])
def test_types_shapes_and_rates_zfp_does_not_take_are_unsupported(zarrio, dtype, shape, fill, cfg):
    with Store.memory() as store:
        with pytest.raises(ZarrioError) as e:
            Array.create(store, "a", _meta(dtype, shape, shape, cfg, fill))
        assert e.value.status == -3, e.value
