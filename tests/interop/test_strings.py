"""Arrays of variable-length strings and bytes, against zarr-python.

zarr-python writes `string` (vlen-utf8) and `variable_length_bytes`
(vlen-bytes) arrays in Zarr v3, and `|O` arrays with a vlen-utf8 or
vlen-bytes filter in Zarr v2, with missing chunks and partial edge chunks;
zarrio reads each item as zarr-python does (`zarrio_array_read_strings`),
whole and in a sub-region. zarrio writes string and bytes arrays (whole,
then a partial region) and zarr-python reads them back.
"""

from __future__ import annotations

import json
import warnings

import numcodecs
import numpy as np
import pytest

from zarrio_ctypes import Array, Store

TEXT = ["", "a", "b\u00e9", "long string " * 20, "\u20ac\U0001f600", "x\x00y", "tab\tend", "z"]


def _texts(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    return [TEXT[i] + str(k) if k % 3 else TEXT[i] for k, i in enumerate(rng.integers(0, len(TEXT), n))]


def _expected_items(arr, kind: str) -> list[bytes]:
    flat = np.asarray(arr).reshape(-1)
    if kind == "str":
        return [str(x).encode() for x in flat]
    return [bytes(x) for x in flat]


@pytest.mark.parametrize("fmt", [3, 2])
@pytest.mark.parametrize("kind", ["str", "bytes"])
def test_read_zarr_python_strings(zarrio, fmt, kind, tmp_path):
    import zarr

    shape, chunks = (9, 7), (4, 3)
    n = shape[0] * shape[1]
    texts = _texts(n, seed=fmt)
    if kind == "str":
        values = np.array(texts, dtype=object).reshape(shape)
        kw = {"dtype": str}
    else:
        values = np.array([t.encode() for t in texts], dtype=object).reshape(shape)
        from zarr.core.dtype import VariableLengthBytes

        kw = {"dtype": VariableLengthBytes()}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = zarr.create_array(store=str(tmp_path / "arr"), shape=shape, chunks=chunks, zarr_format=fmt,
                              compressors=numcodecs.Zstd(level=1) if fmt == 2 else None, **kw)
        a[4:, :] = values[4:, :]  # the chunks of rows 0..3 stay missing
        want = _expected_items(a[...], kind)
    meta_file = "zarr.json" if fmt == 3 else ".zarray"
    meta = json.loads((tmp_path / "arr" / meta_file).read_text())
    if fmt == 2:
        vlen = "vlen-utf8" if kind == "str" else "vlen-bytes"
        assert meta["dtype"] == "|O" and meta["filters"] == [{"id": vlen}], meta
    with Store.filesystem(tmp_path) as store, Array.open(store, "arr") as arr:
        assert arr.dtype_name == ("string" if kind == "str" else "variable_length_bytes"), meta
        assert arr.element_size == 0
        assert arr.read_strings() == want
        sub = arr.read_strings((2, 1), (6, 5))
        assert sub == [want[r * 7 + c] for r in range(2, 8) for c in range(1, 6)]


@pytest.mark.parametrize("kind", ["str", "bytes"])
def test_zarr_python_reads_zarrio_strings(zarrio, kind, tmp_path):
    import zarr

    shape, chunks = (6, 5), (4, 2)
    n = shape[0] * shape[1]
    texts = _texts(n, seed=7)
    items = [t.encode() for t in texts]
    meta = {
        "zarr_format": 3, "node_type": "array", "shape": list(shape),
        "data_type": "string" if kind == "str" else "variable_length_bytes",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": list(chunks)}},
        "chunk_key_encoding": {"name": "default"}, "fill_value": "",
        "codecs": [{"name": "vlen-utf8" if kind == "str" else "vlen-bytes"},
                   {"name": "zstd", "configuration": {"level": 0, "checksum": False}}],
    }
    with Store.filesystem(tmp_path) as store, Array.create(store, "arr", meta) as arr:
        arr.write_strings((0, 0), shape, items)
        patch = ["p\u00e4tch".encode()] * 6
        arr.write_strings((1, 1), (2, 3), patch)
        for r in range(1, 3):
            for c in range(1, 4):
                items[r * 5 + c] = patch[0]
        assert arr.read_strings() == items
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = zarr.open_array(str(tmp_path / "arr"), mode="r")[...]
    if kind == "str":
        assert [str(x) for x in np.asarray(got).reshape(-1)] == [i.decode() for i in items]
    else:
        assert [bytes(x) for x in np.asarray(got).reshape(-1)] == items


@pytest.mark.parametrize("index_location", ["end", "start"])
def test_sharded_strings_both_ways(zarrio, index_location, tmp_path):
    """Shards of vlen-utf8 inner chunks: zarr-python's read by zarrio, zarrio's read by zarr-python."""
    import zarr

    shape, shards, chunks = (10, 9), (6, 6), (3, 2)
    texts = _texts(shape[0] * shape[1], seed=11)
    values = np.array(texts, dtype=object).reshape(shape)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = zarr.create_array(store=str(tmp_path / "z"), shape=shape, chunks=chunks, shards=shards, dtype=str,
                              fill_value="")
        a[:, 2:] = values[:, 2:]  # inner chunks of columns 0..1 stay empty
        want = _expected_items(a[...], "str")
    meta = json.loads((tmp_path / "z" / "zarr.json").read_text())
    assert meta["codecs"][0]["name"] == "sharding_indexed", meta
    meta["codecs"][0]["configuration"]["index_location"] = index_location
    with Store.filesystem(tmp_path) as store:
        with Array.open(store, "z") as arr:
            assert arr.read_strings() == want
            assert arr.read_strings((4, 3), (5, 5)) == [want[r * 9 + c] for r in range(4, 9) for c in range(3, 8)]
        with Array.create(store, "copy", meta) as cp:
            cp.write_strings((0, 0), shape, want)
            patch = ["\u00fcber".encode()] * 4
            cp.write_strings((5, 5), (2, 2), patch)
            for r in (5, 6):
                for c in (5, 6):
                    want[r * 9 + c] = patch[0]
            assert cp.read_strings() == want
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = np.asarray(zarr.open_array(str(tmp_path / "copy"), mode="r")[...]).reshape(-1)
    assert [str(x).encode() for x in got] == want
