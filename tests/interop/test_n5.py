"""N5 datasets through zarr-extensions' `n5_default` codec, both ways with
tensorstore's n5 driver: a `zarr.json` beside an N5 dataset's
`attributes.json` (its dimensions, block size and type; the blocks'
Fortran order as a reversing `transpose`, big-endian `bytes`, N5's
compression as the equivalent Zarr codec) reads what tensorstore wrote,
and what zarrio writes through it tensorstore reads as N5.

Edge blocks: tensorstore stores them whole, N5's Java library cuts them
short to the array. Short blocks are made here by hand as the Java
library writes them (a header with the short shape, then the values),
and both readers must read them alike.
"""

from __future__ import annotations

import bz2
import gzip
import json

import numpy as np
import pytest

from zarrio_ctypes import Array, Store

ts = pytest.importorskip("tensorstore")

# N5 compression -> the Zarr codec that reads the same bytes.
COMPRESSIONS = [
    ({"type": "raw"}, None),
    ({"type": "gzip", "level": 5}, {"name": "gzip", "configuration": {"level": 5}}),
    ({"type": "gzip", "level": 5, "useZlib": True}, {"name": "numcodecs.zlib", "configuration": {"level": 5}}),
    ({"type": "bzip2", "blockSize": 9}, {"name": "numcodecs.bz2", "configuration": {"level": 9}}),
    ({"type": "xz", "preset": 6}, {"name": "numcodecs.lzma", "configuration": {"format": 1, "preset": 6}}),
    (
        {"type": "blosc", "cname": "lz4", "clevel": 5, "shuffle": 1, "blocksize": 0},
        {"name": "blosc", "configuration": {"cname": "lz4", "clevel": 5, "shuffle": "shuffle", "blocksize": 0}},
    ),
    ({"type": "zstd", "level": 3}, {"name": "zstd", "configuration": {"level": 3, "checksum": False}}),
]

CASES = [
    ("uint8", [37], [16]),
    ("int16", [9, 14], [4, 8]),
    ("uint32", [6, 7, 9], [4, 4, 5]),
    ("float32", [10, 3], [4, 4]),
    ("float64", [5, 6, 3, 7], [2, 4, 3, 4]),
    ("int64", [12], [12]),
]


def _zarr_json(dtype, shape, blocks, compressor):
    n = len(shape)
    inner = [
        {"name": "transpose", "configuration": {"order": list(range(n - 1, -1, -1))}},
        {"name": "bytes", "configuration": {"endian": "big"}},
    ]
    if compressor is not None:
        c = json.loads(json.dumps(compressor))
        if c["name"] == "blosc":
            c["configuration"]["typesize"] = np.dtype(dtype).itemsize
        inner.append(c)
    return {
        "zarr_format": 3, "node_type": "array", "shape": shape, "data_type": dtype,
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": blocks}},
        "chunk_key_encoding": {"name": "v2", "configuration": {"separator": "/"}},
        "fill_value": 0, "codecs": [{"name": "n5_default", "configuration": {"codecs": inner}}],
    }


def _n5_spec(path, dtype, shape, blocks, compression):
    return {
        "driver": "n5", "kvstore": {"driver": "file", "path": str(path)},
        "metadata": {"dimensions": shape, "blockSize": blocks, "dataType": dtype, "compression": compression},
    }


def _data(dtype, shape):
    n = int(np.prod(shape))
    rng = np.random.default_rng(n)
    if np.dtype(dtype).kind == "f":
        x = rng.standard_normal(n) * 1e3
    else:
        info = np.iinfo(dtype)
        x = rng.integers(info.min, info.max, n, endpoint=True)
    return x.astype(dtype).reshape(shape)


@pytest.mark.parametrize("c", range(len(COMPRESSIONS)))
@pytest.mark.parametrize("k", range(len(CASES)))
def test_reads_what_tensorstore_wrote(zarrio, tmp_path, c, k):
    compression, codec = COMPRESSIONS[c]
    dtype, shape, blocks = CASES[k]
    data = _data(dtype, shape)
    t = ts.open(_n5_spec(tmp_path, dtype, shape, blocks, compression), create=True).result()
    t[...] = data
    (tmp_path / "zarr.json").write_text(json.dumps(_zarr_json(dtype, shape, blocks, codec)))
    with Store.filesystem(tmp_path) as store:
        a = Array.open(store, "")
        got = a.read()
        a.close()
    np.testing.assert_array_equal(got, t.read().result())
    np.testing.assert_array_equal(got, data)


@pytest.mark.parametrize("c", [0, 1, 6])
@pytest.mark.parametrize("k", range(len(CASES)))
def test_tensorstore_reads_what_zarrio_wrote(zarrio, tmp_path, c, k):
    compression, codec = COMPRESSIONS[c]
    dtype, shape, blocks = CASES[k]
    data = _data(dtype, shape)
    with Store.filesystem(tmp_path) as store:
        a = Array.create(store, "", _zarr_json(dtype, shape, blocks, codec))
        a.write([0] * len(shape), data)
        a.close()
    attrs = {"dimensions": shape, "blockSize": blocks, "dataType": dtype, "compression": compression}
    (tmp_path / "attributes.json").write_text(json.dumps(attrs))
    t = ts.open({"driver": "n5", "kvstore": {"driver": "file", "path": str(tmp_path)}}).result()
    np.testing.assert_array_equal(t.read().result(), data)


def _short_block(values: np.ndarray, compress) -> bytes:
    """A default-mode N5 block of exactly `values` (a cut-short edge block,
    as N5's Java library writes it): header, then Fortran-order big-endian
    values."""
    head = np.array([0, values.ndim], ">u2").tobytes() + np.array(values.shape, ">u4").tobytes()
    body = np.asfortranarray(values).astype(values.dtype.newbyteorder(">")).tobytes(order="F")
    return head + compress(body)


@pytest.mark.parametrize(
    "compression,codec,compress",
    [
        (COMPRESSIONS[0][0], COMPRESSIONS[0][1], lambda b: b),
        (COMPRESSIONS[1][0], COMPRESSIONS[1][1], lambda b: gzip.compress(b, 5)),
        (COMPRESSIONS[3][0], COMPRESSIONS[3][1], lambda b: bz2.compress(b, 9)),
    ],
)
def test_cut_short_edge_blocks_read_as_tensorstore_reads_them(zarrio, tmp_path, compression, codec, compress):
    dtype, shape, blocks = "int16", [9, 14], [4, 8]
    data = _data(dtype, shape)
    attrs = {"dimensions": shape, "blockSize": blocks, "dataType": dtype, "compression": compression}
    (tmp_path / "attributes.json").write_text(json.dumps(attrs))
    for i in range(0, shape[0], blocks[0]):
        for j in range(0, shape[1], blocks[1]):
            block = data[i : i + blocks[0], j : j + blocks[1]]
            d = tmp_path / str(i // blocks[0])
            d.mkdir(exist_ok=True)
            (d / str(j // blocks[1])).write_bytes(_short_block(block, compress))
    t = ts.open({"driver": "n5", "kvstore": {"driver": "file", "path": str(tmp_path)}}).result()
    theirs = t.read().result()
    np.testing.assert_array_equal(theirs, data)
    (tmp_path / "zarr.json").write_text(json.dumps(_zarr_json(dtype, shape, blocks, codec)))
    with Store.filesystem(tmp_path) as store:
        a = Array.open(store, "")
        np.testing.assert_array_equal(a.read(), data)
        # A region inside the short blocks of the far corner alone.
        np.testing.assert_array_equal(a.read([8, 13], [1, 1]), data[8:, 13:])
        # Rewriting a short block's chunk stores it whole, which both read.
        a.write([8, 0], data[8:9, :] + 1)
        a.close()
    expected = data.copy()
    expected[8] += 1
    t = ts.open({"driver": "n5", "kvstore": {"driver": "file", "path": str(tmp_path)}}).result()
    np.testing.assert_array_equal(t.read().result(), expected)


@pytest.mark.parametrize("c", range(len(COMPRESSIONS)))
def test_n5_containers_open_without_zarr_json(zarrio, tmp_path, c):
    """`zarrio_store_open_n5`: the container as tensorstore left it, each
    dataset's metadata made from its attributes.json."""
    compression, _ = COMPRESSIONS[c]
    written = {}
    for path, (dtype, shape, blocks) in [("g/sub/d1", CASES[1]), ("d2", CASES[2])]:
        data = _data(dtype, shape)
        t = ts.open(_n5_spec(tmp_path / path, dtype, shape, blocks, compression), create=True).result()
        t[...] = data
        written[path] = data
    with Store.filesystem(tmp_path) as fs, Store.n5(fs) as store:
        for path, data in written.items():
            a = Array.open(store, path)
            np.testing.assert_array_equal(a.read(), data)
            meta = a.metadata()
            assert meta["codecs"][0]["name"] == "n5_default"
            a.close()


@pytest.mark.parametrize("c", range(len(COMPRESSIONS)))
def test_tensorstore_reads_n5_containers_zarrio_made(zarrio, tmp_path, c):
    """Arrays created through `zarrio_store_open_n5` are N5 datasets: only
    attributes.json and blocks are written, and tensorstore reads them."""
    compression, codec = COMPRESSIONS[c]
    dtype, shape, blocks = CASES[4]
    data = _data(dtype, shape)
    meta = _zarr_json(dtype, shape, blocks, codec)
    meta["attributes"] = {"pixelResolution": {"dimensions": [1, 1, 4, 1], "unit": "um"}}
    with Store.filesystem(tmp_path) as fs, Store.n5(fs) as store:
        a = Array.create(store, "g/data", meta)
        a.write([0] * len(shape), data)
        a.close()
    assert not list(tmp_path.rglob("zarr.json"))
    attrs = json.loads((tmp_path / "g/data/attributes.json").read_text())
    assert attrs["dimensions"] == shape and attrs["blockSize"] == blocks and attrs["dataType"] == dtype
    assert attrs["pixelResolution"]["unit"] == "um"
    t = ts.open({"driver": "n5", "kvstore": {"driver": "file", "path": str(tmp_path / "g/data")}}).result()
    np.testing.assert_array_equal(t.read().result(), data)
