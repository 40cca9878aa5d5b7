"""zarrio resizes arrays zarr-python wrote; zarr-python reads the result.

Shrinking sets what is cut off to the fill value (chunks wholly outside the
new shape are erased), so after growing back zarr-python reads the fill
value there, and the kept part bit for bit; zarr.json keeps everything but
the shape (numbers as JSON numbers: integers beyond 64 bits become floats).
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from zarrio_ctypes import Array, Store


@pytest.mark.parametrize("sharded", [False, True], ids=["chunks", "shards"])
def test_shrink_then_grow(zarrio, tmp_path, sharded):
    import zarr

    rng = np.random.default_rng(5)
    data = rng.integers(0, 1000, size=(13, 11), dtype="<i4")
    kw = dict(shards=(8, 6), chunks=(4, 3)) if sharded else dict(chunks=(4, 3))
    a = zarr.create_array(str(tmp_path / "a"), shape=data.shape, dtype="<i4", fill_value=-5,
                          attributes={"units": "m"}, **kw)
    a[:] = data
    before = json.loads((tmp_path / "a" / "zarr.json").read_text())
    with Store.filesystem(tmp_path) as store, Array.open(store, "a") as arr:
        arr.resize((5, 4))
        assert arr.shape == (5, 4)
        arr.resize((9, 11))
        got = arr.read()
    want = np.full((9, 11), -5, "<i4")
    want[:5, :4] = data[:5, :4]
    np.testing.assert_array_equal(got, want)
    after = json.loads((tmp_path / "a" / "zarr.json").read_text())
    assert after["shape"] == [9, 11]
    # Everything but the shape is kept (an empty storage_transformers list
    # is the same as none, an empty configuration as none).
    def rest(doc):
        if isinstance(doc, list):
            return [rest(v) for v in doc]
        if not isinstance(doc, dict):
            return doc
        return {k: rest(v) for k, v in doc.items()
                if k != "shape" and (k, v) not in (("storage_transformers", []), ("configuration", {}))}
    assert rest(after) == rest(before)
    back = np.asarray(zarr.open_array(str(tmp_path / "a"), mode="r")[...])
    assert back.tobytes() == want.tobytes()


def test_resize_keeps_python_nan_attributes(zarrio, tmp_path):
    """zarr-python writes float attributes as bare NaN / Infinity tokens and
    big integers exactly; a zarrio resize rewrites only the shape."""
    import math

    import zarr

    a = zarr.create_array(str(tmp_path / "a"), shape=(6,), chunks=(4,), dtype="<f4")
    a.attrs.update({"missing": float("nan"), "top": float("inf"), "big": 2**70})
    with Store.filesystem(tmp_path) as store, Array.open(store, "a") as arr:
        arr.resize((3,))
    attrs = dict(zarr.open_array(str(tmp_path / "a"), mode="r").attrs)
    assert math.isnan(attrs["missing"]) and attrs["top"] == float("inf")
    assert attrs["big"] == 2**70
