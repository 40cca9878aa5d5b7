"""zarr-extensions' `ndarray` data type with the `vlen-ndarray` codec
(ragged arrays: each element an n x d1 x ... array of a scalar type), both
ways with zarr-python and the zarr-vlen-ndarray package that registers the
type and codec with it. zarrio reads and writes such elements as items
(`zarrio_array_read_strings` / `write_strings`): each the element's
scalars in C order, in the host's byte order.
"""

from __future__ import annotations

import numpy as np
import pytest
import zarr

from zarrio_ctypes import Array, Store

zv = pytest.importorskip("zarr_vlen_ndarray")

CASES = [
    ("float32", (None, 2)),
    ("int64", (None,)),
    ("uint8", (None, 3, 2)),
    ("complex64", (None,)),
    ("bool", (None, 4)),
]


def _elements(dtype, pattern, n):
    rng = np.random.default_rng(n)
    out = np.empty(n, dtype=object)
    for i in range(n):
        shape = (int(rng.integers(0, 5)),) + tuple(pattern[1:])
        if dtype == "bool":
            v = rng.integers(0, 2, shape).astype(bool)
        elif dtype.startswith("complex"):
            v = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(dtype)
        else:
            v = (rng.standard_normal(shape) * 100).astype(dtype)
        out[i] = v
    return out


def _codecs(sharded):
    if sharded:
        return {"shards": (8,), "chunks": (4,)}
    return {"chunks": (3,)}


@pytest.mark.parametrize("sharded", [False, True])
@pytest.mark.parametrize("k", range(len(CASES)))
def test_reads_ragged_arrays_zarr_python_wrote(zarrio, tmp_path, k, sharded):
    dtype, pattern = CASES[k]
    n = 11
    values = _elements(dtype, pattern, n)
    a = zarr.create_array(
        tmp_path / "a", shape=(n,), dtype=zv.NDArray(dtype=dtype, shape=pattern),
        serializer=zv.VlenNDArrayCodec(), **_codecs(sharded),
    )
    a[:] = values
    with Store.filesystem(tmp_path) as store:
        z = Array.open(store, "a")
        items = z.read_strings([0], [n])
        z.close()
    for i in range(n):
        assert items[i] == np.ascontiguousarray(values[i]).tobytes(), i


@pytest.mark.parametrize("sharded", [False, True])
@pytest.mark.parametrize("k", range(len(CASES)))
def test_zarr_python_reads_ragged_arrays_zarrio_wrote(zarrio, tmp_path, k, sharded):
    dtype, pattern = CASES[k]
    n = 11
    values = _elements(dtype, pattern, n)
    meta = {
        "zarr_format": 3, "node_type": "array", "shape": [n],
        "data_type": {"name": "ndarray", "configuration": {"dtype": dtype, "shape": list(pattern)}},
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [8 if sharded else 3]}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": "",
        "codecs": [{"name": "vlen-ndarray"}, {"name": "zstd", "configuration": {"level": 1}}],
    }
    if sharded:
        meta["codecs"] = [{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [4], "codecs": meta["codecs"],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}, {"name": "crc32c"}]}}]
    with Store.filesystem(tmp_path) as store:
        z = Array.create(store, "a", meta)
        z.write_strings([0], [n], [np.ascontiguousarray(v).tobytes() for v in values])
        z.close()
    got = zarr.open_array(tmp_path / "a", mode="r")[:]
    for i in range(n):
        np.testing.assert_array_equal(np.asarray(got[i]).reshape(values[i].shape), values[i])
        assert np.asarray(got[i]).dtype == np.dtype(dtype)


@pytest.mark.parametrize("kind", ["ndarray", "string"])
def test_transposed_items_both_ways(zarrio, tmp_path, kind):
    """A `transpose` before the variable-length codec: zarr-python stores
    the items in the transposed order, and zarrio reads and writes them so."""
    from zarr.codecs import TransposeCodec

    shape = (5, 7)
    if kind == "ndarray":
        dtype = zv.NDArray(dtype="int16", shape=(None,))
        serializer = zv.VlenNDArrayCodec()
        values = np.empty(shape, dtype=object)
        for i in range(shape[0]):
            for j in range(shape[1]):
                values[i, j] = np.arange(i + j, dtype="int16") * (i + 1)
        as_bytes = [np.ascontiguousarray(v).tobytes() for v in values.ravel()]
    else:
        dtype = str
        serializer = "auto"
        values = np.array([[f"{i}-{'x' * j}" for j in range(shape[1])] for i in range(shape[0])], dtype=object)
        as_bytes = [v.encode() for v in values.ravel()]
    a = zarr.create_array(tmp_path / "a", shape=shape, chunks=(3, 4), dtype=dtype,
                          filters=[TransposeCodec(order=(1, 0))], serializer=serializer,
                          fill_value="" if kind == "string" else None)
    a[:] = values
    with Store.filesystem(tmp_path) as store:
        z = Array.open(store, "a")
        assert z.read_strings([0, 0], list(shape)) == as_bytes
        meta = z.metadata()
        z.close()
        b = Array.create(store, "b", meta)
        b.write_strings([0, 0], list(shape), as_bytes)
        b.close()
    for key in ["c/0/0", "c/1/1"]:
        assert (tmp_path / "b" / key).read_bytes() == (tmp_path / "a" / key).read_bytes(), key
