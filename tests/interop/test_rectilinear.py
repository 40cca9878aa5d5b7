"""Rectilinear chunk grids (zarr-extensions `chunk-grids/rectilinear`), both
ways with zarr-python, which writes them behind its
`array.rectilinear_chunks` flag.

Chunks of listed edge lengths (runs `[edge, count]` among them), or of a
step repeated along a dimension, sharded or not: zarrio reads what
zarr-python writes bit for bit (missing chunks as the fill value), writes
into such arrays and creates its own, and zarr-python reads the result.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from zarrio_ctypes import Array, Store, ZarrioError


@pytest.fixture
def rectilinear_zarr():
    import zarr

    with zarr.config.set({"array.rectilinear_chunks": True}):
        yield zarr


CASES = {
    "edges": dict(shape=(10, 7), chunks=[[2, 3, 5], [4, 3]]),
    "runs": dict(shape=(12, 5), chunks=[[1, 1, 1, 1, 8], [2, 3]]),
    "step_and_edges": dict(shape=(9, 6, 5), chunks=[[4, 5], 4, [1, 4]]),
    "sharded": dict(shape=(12, 8), shards=[[4, 8], [8]], chunks=(4, 4)),
}


@pytest.mark.parametrize("name", list(CASES))
def test_reads_what_zarr_python_writes(zarrio, tmp_path, rectilinear_zarr, name):
    zarr = rectilinear_zarr
    case = CASES[name]
    shape = case["shape"]
    a = zarr.create_array(str(tmp_path / "a"), dtype="<i4", fill_value=-7, **case)
    rng = np.random.default_rng(len(name))
    data = rng.integers(-1000, 1000, size=shape, dtype="<i4")
    # The last index of dimension 0 is left unwritten: chunks there are
    # missing, or part fill value.
    a[: shape[0] - 1] = data[: shape[0] - 1]
    want = np.asarray(zarr.open_array(str(tmp_path / "a"), mode="r")[...])
    grid = json.loads((tmp_path / "a" / "zarr.json").read_text())["chunk_grid"]
    assert grid["name"] == "rectilinear"
    with Store.filesystem(tmp_path) as store, Array.open(store, "a") as arr:
        assert np.array_equal(arr.read(), want)
        assert np.array_equal(arr.read(order="F"), want)
        start = tuple(1 for _ in shape)
        size = tuple(n - 2 for n in shape)
        sub = tuple(slice(s, s + n) for s, n in zip(start, size))
        assert np.array_equal(arr.read(start, size), want[sub])
        # Element by element: every chunk boundary crossed on its own.
        for idx in [(0,) * len(shape), tuple(n - 1 for n in shape), tuple(n // 2 for n in shape)]:
            assert arr.read(idx, (1,) * len(shape)).item() == want[idx]
        with pytest.raises(ZarrioError) as e:
            arr.chunk_shape
        assert e.value.status_name == "ZARRIO_ERR_UNSUPPORTED", e.value
        assert arr.metadata()["chunk_grid"] == grid


def test_grid_shape_and_chunk_spans(zarrio, tmp_path, rectilinear_zarr):
    zarr = rectilinear_zarr
    # The fourth edge of dimension 0 lies past the extent, as a shrink
    # leaves it in zarr-python.
    meta = {"zarr_format": 3, "node_type": "array", "shape": [10, 7], "data_type": "uint8",
            "chunk_grid": {"name": "rectilinear", "configuration": {
                "kind": "inline", "chunk_shapes": [[2, 3, 5, 4], 3]}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": [{"name": "bytes"}]}
    data = np.arange(70, dtype="u1").reshape(10, 7)
    with Store.filesystem(tmp_path) as store, Array.create(store, "a", meta) as arr:
        assert arr.grid_shape == (3, 3)
        assert arr.chunk_span((0, 0)) == ((0, 0), (2, 3))
        assert arr.chunk_span((2, 2)) == ((5, 6), (5, 3))
        with pytest.raises(ZarrioError) as e:
            arr.chunk_span((3, 0))
        assert e.value.status_name == "ZARRIO_ERR_OUT_OF_BOUNDS", e.value
        # A failed call writes neither output.
        from zarrio_ctypes import STATUS_NAMES, _u64_array, lib
        origin = _u64_array([7, 7])
        st = lib().fn("zarrio_array_chunk_span")(arr.handle, 2, _u64_array([1, 1]), origin, None)
        assert STATUS_NAMES[st] == "ZARRIO_ERR_INVALID_ARGUMENT"
        assert list(origin) == [7, 7]
        arr.write((0, 0), data)
    assert np.array_equal(zarr.open_array(str(tmp_path / "a"), mode="r")[...], data)


@pytest.mark.parametrize("name", list(CASES))
def test_zarr_python_reads_what_zarrio_writes(zarrio, tmp_path, rectilinear_zarr, name):
    zarr = rectilinear_zarr
    case = CASES[name]
    shape = case["shape"]
    zarr.create_array(str(tmp_path / "a"), dtype="<f8", fill_value=0.5, **case)
    rng = np.random.default_rng(7)
    want = np.full(shape, 0.5)
    with Store.filesystem(tmp_path) as store, Array.open(store, "a") as arr:
        for _ in range(4):
            start = tuple(int(rng.integers(0, n)) for n in shape)
            size = tuple(int(rng.integers(1, n - s + 1)) for n, s in zip(shape, start))
            block = rng.standard_normal(size)
            arr.write(start, block)
            want[tuple(slice(s, s + n) for s, n in zip(start, size))] = block
        # Back to the fill value: chunks wholly of it are erased.
        arr.write((0,) * len(shape), np.full((1,) * len(shape), 0.5))
        want[(0,) * len(shape)] = 0.5
        assert np.array_equal(arr.read(), want)
    got = np.asarray(zarr.open_array(str(tmp_path / "a"), mode="r")[...])
    assert np.array_equal(got, want)


def test_zarrio_creates_rectilinear_arrays(zarrio, tmp_path, rectilinear_zarr):
    zarr = rectilinear_zarr
    meta = {"zarr_format": 3, "node_type": "array", "shape": [11, 6], "data_type": "uint16",
            "chunk_grid": {"name": "rectilinear", "configuration": {
                "kind": "inline", "chunk_shapes": [[[3, 2], 5], 4]}},
            "chunk_key_encoding": {"name": "default"}, "fill_value": 9,
            "codecs": [{"name": "bytes", "configuration": {"endian": "big"}},
                       {"name": "zstd", "configuration": {"level": 1}}]}
    data = np.arange(66, dtype="=u2").reshape(11, 6)
    with Store.filesystem(tmp_path) as store:
        with Array.create(store, "a", meta) as arr:
            assert arr.grid_shape == (3, 2)
            arr.write((0, 0), data[:9])
    stored = json.loads((tmp_path / "a" / "zarr.json").read_text())
    assert stored["chunk_grid"] == meta["chunk_grid"]
    got = np.asarray(zarr.open_array(str(tmp_path / "a"), mode="r")[...])
    want = data.copy()
    want[9:] = 9
    assert np.array_equal(got, want)
    # Chunk (2, 1): rows 6..10, columns 4..5 (edge 4 past the extent).
    assert sorted(p.name for p in (tmp_path / "a" / "c").iterdir()) == ["0", "1", "2"]


def test_refusals(zarrio, tmp_path, rectilinear_zarr):
    zarr = rectilinear_zarr
    short = {"zarr_format": 3, "node_type": "array", "shape": [10], "data_type": "uint8",
             "chunk_grid": {"name": "rectilinear", "configuration": {"kind": "inline", "chunk_shapes": [[4, 4]]}},
             "chunk_key_encoding": {"name": "default"}, "fill_value": 0, "codecs": [{"name": "bytes"}]}
    # Inner chunks that divide the first shard but not the second.
    undivided = dict(short, chunk_grid={"name": "rectilinear", "configuration": {
        "kind": "inline", "chunk_shapes": [[4, 6]]}}, codecs=[{"name": "sharding_indexed", "configuration": {
            "chunk_shape": [4], "codecs": [{"name": "bytes"}],
            "index_codecs": [{"name": "bytes", "configuration": {"endian": "little"}}]}}])
    with Store.filesystem(tmp_path) as store:
        for name, meta in [("short", short), ("undivided", undivided)]:
            with pytest.raises(ZarrioError) as e:
                Array.create(store, name, meta)
            assert e.value.status_name == "ZARRIO_ERR_INVALID_METADATA", e.value
            assert not (tmp_path / name).exists()
        assert "does not divide" in str(e.value)


@pytest.mark.parametrize("sharded", [False, True], ids=["chunks", "shards"])
def test_strings(zarrio, tmp_path, rectilinear_zarr, sharded):
    zarr = rectilinear_zarr
    kw = dict(shards=[[4, 8], [3, 3]], chunks=(4, 3)) if sharded else dict(chunks=[[2, 5, 5], [1, 5]])
    a = zarr.create_array(str(tmp_path / "s"), shape=(12, 6), dtype=str, fill_value="-", **kw)
    rng = np.random.default_rng(3)
    words = np.array([f"w{int(v)}" * int(v % 4) for v in rng.integers(0, 1000, 72)], dtype=object).reshape(12, 6)
    a[:10] = words[:10]
    want = np.asarray(zarr.open_array(str(tmp_path / "s"), mode="r")[...])
    with Store.filesystem(tmp_path) as store, Array.open(store, "s") as arr:
        assert [i.decode() for i in arr.read_strings()] == list(want.reshape(-1))
        part = arr.read_strings((1, 1), (9, 4))
        assert [i.decode() for i in part] == list(want[1:10, 1:5].reshape(-1))
        new = [f"z{k}".encode() for k in range(5 * 4)]
        arr.write_strings((6, 2), (5, 4), new)
        want[6:11, 2:6] = np.array([b.decode() for b in new], dtype=object).reshape(5, 4)
        assert [i.decode() for i in arr.read_strings()] == list(want.reshape(-1))
    got = np.asarray(zarr.open_array(str(tmp_path / "s"), mode="r")[...])
    assert list(got.reshape(-1)) == list(want.reshape(-1))


def _edges(grid, extent_list):
    """Each dimension's edge lengths, runs and steps expanded, as far as the extent."""
    out = []
    for spec, extent in zip(grid["configuration"]["chunk_shapes"], extent_list):
        edges = []
        if isinstance(spec, int):
            edges = [spec] * (-(-extent // spec))
        else:
            for e in spec:
                edges.extend([e[0]] * e[1] if isinstance(e, list) else [e])
        out.append(edges)
    return out


@pytest.mark.parametrize("kind", ["numbers", "strings"])
def test_resize_as_zarr_python(zarrio, tmp_path, rectilinear_zarr, kind):
    zarr = rectilinear_zarr
    dtype, fill = ("<i4", -1) if kind == "numbers" else (str, "-")
    kw = dict(shape=(10, 7), chunks=[[2, 3, 5], 3], dtype=dtype, fill_value=fill)
    data = np.arange(70).reshape(10, 7)
    if kind == "strings":
        data = data.astype(str).astype(object)
    for name in ["ours", "theirs"]:
        zarr.create_array(str(tmp_path / name), **kw)[:] = data
    theirs = zarr.open_array(str(tmp_path / "theirs"), mode="a")
    theirs.resize((6, 5))
    theirs.resize((13, 9))
    with Store.filesystem(tmp_path) as store, Array.open(store, "ours") as arr:
        arr.resize((6, 5))
        arr.resize((13, 9))
        assert arr.grid_shape == (4, 3)
    want = np.full((13, 9), fill, dtype=object if kind == "strings" else dtype)
    want[:6, :5] = data[:6, :5]
    ours = zarr.open_array(str(tmp_path / "ours"), mode="r")
    got = np.asarray(ours[...])
    assert got.tolist() == want.tolist()
    # What zarrio cut off reads as the fill value after growing back;
    # zarr-python leaves the old values in the edge chunks it keeps.
    assert np.asarray(theirs[...])[6:10, :5].tolist() != want[6:10, :5].tolist()
    grid = lambda p: json.loads((tmp_path / p / "zarr.json").read_text())["chunk_grid"]  # noqa: E731
    assert _edges(grid("ours"), (13, 9)) == _edges(grid("theirs"), (13, 9)) == [[2, 3, 5, 3], [3, 3, 3]]
