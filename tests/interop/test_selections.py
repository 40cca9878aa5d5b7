"""Selections that are not one box, against zarr-python's own.

zarrio's stepped reads equal zarr-python's ``a[start:stop:step, ...]``, its
orthogonal reads ``a.oindex[...]`` and its point reads ``a.vindex[...]``, on
arrays zarr-python wrote (plain, compressed, sharded, v2, rectilinear),
into C- and Fortran-order buffers; and what zarrio writes through them
zarr-python reads back as numpy's assignment to the same selection gives.
"""

from __future__ import annotations

import numpy as np
import pytest

from zarrio_ctypes import Array, Store, ZarrioError

CASES = {
    "plain": dict(shape=(23, 17), chunks=(5, 4), compressors=None),
    "zstd_3d": dict(shape=(9, 10, 11), chunks=(4, 3, 5)),
    "sharded": dict(shape=(30, 26), shards=(10, 13), chunks=(5, 13)),
    "sharded_crc_3d": dict(shape=(8, 12, 9), shards=(4, 6, 9), chunks=(2, 3, 3)),
    # Inner chunks of a fixed size, but zarr-python leaves out those of
    # the fill value: shards not laid out densely.
    "sharded_raw": dict(shape=(30, 26), shards=(10, 26), chunks=(5, 2), compressors=None),
    "v2_f_order": dict(shape=(13, 11), chunks=(4, 4), zarr_format=2, order="F"),
    "rectilinear": dict(shape=(12, 7), chunks=[[2, 3, 7], [4, 3]]),
}


@pytest.fixture(autouse=True)
def rectilinear_enabled():
    import zarr

    with zarr.config.set({"array.rectilinear_chunks": True}):
        yield


def _create(zarr, path, name, rng):
    case = dict(CASES[name])
    shape = case["shape"]
    a = zarr.create_array(str(path), dtype="<i4", fill_value=-5, **case)
    data = rng.integers(-10**6, 10**6, size=shape, dtype="<i4")
    # The last index along dimension 0 stays unwritten: fill value there.
    a[: shape[0] - 1] = data[: shape[0] - 1]
    return np.asarray(zarr.open_array(str(path), mode="r")[...])


def _random_lists(rng, shape):
    lists = []
    for n in shape:
        kind = rng.integers(0, 3)
        if kind == 0:
            lists.append(sorted(rng.choice(n, size=rng.integers(1, n + 1), replace=False).tolist()))
        elif kind == 1:
            lists.append(rng.integers(0, n, size=rng.integers(1, 2 * n)).tolist())
        else:
            lists.append(None)
    return lists


@pytest.mark.parametrize("name", list(CASES))
def test_reads_equal_zarr_pythons_selections(zarrio, tmp_path, name):
    import zarr

    rng = np.random.default_rng(7)
    want = _create(zarr, tmp_path / "a", name, rng)
    shape = want.shape
    za = zarr.open_array(str(tmp_path / "a"), mode="r")
    with Store.filesystem(tmp_path) as store, Array.open(store, "a") as arr:
        for trial in range(12):
            order = "CF"[trial % 2]
            # Steps, as slices.
            start = [int(rng.integers(0, n)) for n in shape]
            step = [int(rng.integers(1, 4)) for _ in shape]
            count = [int(rng.integers(1, (n - s - 1) // st + 2)) for n, s, st in zip(shape, start, step)]
            sl = tuple(slice(s, s + (c - 1) * st + 1, st) for s, st, c in zip(start, step, count))
            got = arr.read_stepped(start, step, count, order=order)
            assert np.array_equal(got, za[sl]), (trial, sl)
            # Lists per dimension, in any order, with repeats; or all.
            lists = _random_lists(rng, shape)
            ix = tuple(slice(None) if l is None else np.array(l) for l in lists)
            got = arr.read_orthogonal(lists, order=order)
            assert np.array_equal(got, za.oindex[ix]), (trial, lists)
            # Points, repeats among them.
            npoints = int(rng.integers(1, 40))
            coords = np.stack([rng.integers(0, n, size=npoints) for n in shape], axis=1)
            coords[npoints // 2] = coords[0]
            got = arr.read_points(coords)
            assert np.array_equal(got, za.vindex[tuple(coords.T)]), (trial, coords)


@pytest.mark.parametrize("name", list(CASES))
def test_zarr_python_reads_what_selections_write(zarrio, tmp_path, name):
    import zarr

    rng = np.random.default_rng(11)
    model = _create(zarr, tmp_path / "a", name, rng)
    shape = model.shape
    with Store.filesystem(tmp_path) as store, Array.open(store, "a") as arr:
        arr.set_threads(4)
        for trial in range(8):
            start = [int(rng.integers(0, n)) for n in shape]
            step = [int(rng.integers(1, 4)) for _ in shape]
            count = [int(rng.integers(1, (n - s - 1) // st + 2)) for n, s, st in zip(shape, start, step)]
            sl = tuple(slice(s, s + (c - 1) * st + 1, st) for s, st, c in zip(start, step, count))
            data = rng.integers(-100, 100, size=count, dtype="<i4")
            if trial % 2:
                data = np.asfortranarray(data)
            arr.write_stepped(start, step, count, data)
            model[sl] = data

            lists = _random_lists(rng, shape)
            ix = tuple(np.arange(n) if l is None else np.array(l) for l, n in zip(lists, shape))
            data = rng.integers(-100, 100, size=[len(i) for i in ix], dtype="<i4")
            arr.write_orthogonal(lists, data)
            model[np.ix_(*ix)] = data

            npoints = int(rng.integers(1, 30))
            coords = np.stack([rng.integers(0, n, size=npoints) for n in shape], axis=1)
            coords[-1] = coords[0]
            data = rng.integers(-100, 100, size=npoints, dtype="<i4")
            arr.write_points(coords, data)
            model[tuple(coords.T)] = data
        # Writing the fill value everywhere in a chunk erases it, as a
        # region write does.
        every = [list(range(n)) for n in shape]
        arr.write_orthogonal(every, np.full(shape, -5, dtype="<i4"))
        model[...] = -5
    got = np.asarray(zarr.open_array(str(tmp_path / "a"), mode="r")[...])
    assert np.array_equal(got, model)
    chunks = [p for p in (tmp_path / "a").rglob("*") if p.is_file() and p.name not in
              ("zarr.json", ".zarray", ".zattrs", ".zgroup")]
    assert chunks == []


def test_bad_selections_are_clear_errors(zarrio, tmp_path):
    import zarr

    rng = np.random.default_rng(3)
    _create(zarr, tmp_path / "a", "sharded", rng)
    before = {p: p.read_bytes() for p in (tmp_path / "a").rglob("*") if p.is_file()}
    with Store.filesystem(tmp_path) as store, Array.open(store, "a") as arr:
        cases = [
            (lambda: arr.read_stepped([0, 0], [0, 1], [2, 2]), "ZARRIO_ERR_INVALID_ARGUMENT"),
            (lambda: arr.read_stepped([29, 0], [1, 1], [2, 2]), "ZARRIO_ERR_OUT_OF_BOUNDS"),
            (lambda: arr.write_orthogonal([[0, 30], None], np.zeros((2, 26), "<i4")),
             "ZARRIO_ERR_OUT_OF_BOUNDS"),
            (lambda: arr.read_points([[0, 26]]), "ZARRIO_ERR_OUT_OF_BOUNDS"),
            (lambda: arr.write_points([[0, 0]], np.zeros(1, "<i4"), size=2),
             "ZARRIO_ERR_BUFFER_TOO_SMALL"),
        ]
        for call, status in cases:
            with pytest.raises(ZarrioError) as e:
                call()
            assert e.value.status_name == status, e.value
    after = {p: p.read_bytes() for p in (tmp_path / "a").rglob("*") if p.is_file()}
    assert after == before
