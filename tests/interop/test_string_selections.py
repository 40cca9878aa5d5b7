"""Selections of string arrays that are not one box, against zarr-python:
points (`vindex`), index lists (`oindex`) and steps (`a[1::3, ::2]`) of
arrays zarr-python wrote (Zarr v3 plain and sharded, Zarr v2), read by
zarrio as zarr-python reads them; and written by zarrio, then read by
zarr-python as a numpy model of the same writes says."""

from __future__ import annotations

import warnings

import numcodecs
import numpy as np
import pytest

from zarrio_ctypes import Array, Store, ZarrioError

TEXT = ["", "a", "b\u00e9", "long string " * 9, "\u20ac\U0001f600", "x\x00y", "z"]
SHAPE = (11, 9)


def _values(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    texts = [TEXT[i] + (str(k) if k % 3 else "") for k, i in enumerate(rng.integers(0, len(TEXT), 99))]
    return np.array(texts, dtype=object).reshape(SHAPE)


def _zarr_array(path, layout: str):
    import zarr

    kw = {"shape": SHAPE, "dtype": str, "fill_value": "-"}
    if layout == "v2":
        kw.update(zarr_format=2, chunks=(4, 4), compressors=numcodecs.Zstd(level=1))
    elif layout == "sharded":
        kw.update(chunks=(2, 3), shards=(6, 6))
    else:
        kw.update(chunks=(4, 5))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return zarr.create_array(store=str(path), **kw)


def _enc(values) -> list[bytes]:
    return [str(x).encode() for x in np.asarray(values, dtype=object).reshape(-1)]


@pytest.mark.parametrize("layout", ["plain", "sharded", "v2"])
def test_reads_equal_zarr_pythons_selections(zarrio, tmp_path, layout):
    values = _values(1)
    z = _zarr_array(tmp_path / "s", layout)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z[:8, :] = values[:8, :]  # rows 8.. never written: the fill value
        rows, cols = [10, 0, 3, 3, 7], [8, 1, 4]
        pts = (np.array([0, 10, 5, 5, 2, 9]), np.array([0, 8, 3, 3, 7, 1]))
        want_o = z.oindex[rows, cols]
        want_v = z.vindex[pts]
        want_s = z[1::3, ::2]
    with Store.filesystem(tmp_path) as store, Array.open(store, "s") as arr:
        assert arr.read_strings_orthogonal([rows, cols]) == _enc(want_o)
        assert arr.read_strings_orthogonal([None, [4]]) == _enc(np.asarray(z[:, 4:5]))
        assert arr.read_strings_points(np.stack(pts, axis=1)) == _enc(want_v)
        assert arr.read_strings_stepped((1, 0), (3, 2), (4, 5)) == _enc(want_s)


@pytest.mark.parametrize("layout", ["plain", "sharded", "v2"])
def test_zarr_python_reads_what_selections_write(zarrio, tmp_path, layout):
    import zarr

    values = _values(2)
    z = _zarr_array(tmp_path / "s", layout)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        z[:, :5] = values[:, :5]
    model = np.full(SHAPE, "-", dtype=object)
    model[:, :5] = values[:, :5]
    with Store.filesystem(tmp_path) as store, Array.open(store, "s") as arr:
        # Points, one repeated: its last item is written.
        pts = np.array([[0, 0], [10, 8], [4, 6], [0, 0]])
        items = ["first", "corner \u00e9", "", "last"]
        arr.write_strings_points(pts, [t.encode() for t in items])
        for (r, c), t in zip(pts, items):
            model[r, c] = t
        # Index lists in any order.
        rows, cols = [9, 2], [7, 0, 5]
        items = [f"o{k}" for k in range(6)]
        arr.write_strings_orthogonal([rows, cols], [t.encode() for t in items])
        model[np.ix_(rows, cols)] = np.array(items, dtype=object).reshape(2, 3)
        # Every third row from 1, every fourth column.
        items = [f"s{k}" * (k % 3) for k in range(12)]
        arr.write_strings_stepped((1, 0), (3, 4), (4, 3), [t.encode() for t in items])
        model[1::3, ::4] = np.array(items, dtype=object).reshape(4, 3)
        # A selection whose items do not match is refused, and writes nothing.
        with pytest.raises(ZarrioError):
            arr.write_strings_points(pts, [b"x"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = zarr.open_array(str(tmp_path / "s"), mode="r")[...]
    assert _enc(got) == _enc(model)


def test_zero_dimensional_string_arrays(zarrio):
    """A 0-d array's one item, through the stepped and orthogonal forms
    (which take no dimensions); a point selection needs a dimension."""
    meta = {"zarr_format": 3, "node_type": "array", "shape": [], "data_type": "string",
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": []}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": "f", "codecs": [{"name": "vlen-utf8"}]}
    with Store.memory() as store, Array.create(store, "a", meta) as arr:
        assert arr.read_strings_stepped((), (), ()) == [b"f"]
        arr.write_strings_orthogonal([], [b"one"])
        assert arr.read_strings_orthogonal([]) == [b"one"]
        assert arr.read_strings() == [b"one"]
        with pytest.raises(ZarrioError):
            arr._items_out("zarrio_array_read_strings_points", 1, 1, None)
