#!/usr/bin/env python3
"""Selections that are not one box, zarrio against tensorstore and
zarr-python side by side in one process: every other element along each
dimension (a[::2, ::2, ::2]), an orthogonal selection of random indices
along every dimension (a.oindex[i, j, k]), and random points
(a.vindex[...]), on the benchmark's Z (zstd, 256^3 chunks) and S (256^3
shards of 64^3 inner chunks) layouts, written here by zarr-python.

    selections.py [N] [REPS]      # N = 512, REPS = 7 by default

zarrio is called through its C API with ctypes (the interop suite's
wrapper; ZARRIO_LIB names the library, default target/release). Every
library reads into a destination it allocates inside the clock (numpy
arrays for all three). The implementations take turns within each
repetition, each turn starting with the next one, and every result is
checked against zarr-python's. Prints a markdown table of medians and
zarrio's ratio to the faster peer.
"""

import os
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "interop"))

import tensorstore as ts  # noqa: E402
import zarr  # noqa: E402
from zarrio_ctypes import Array, Store  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from turns import medians_in_turns, print_table  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 512
REPS = int(sys.argv[2]) if len(sys.argv) > 2 else 7
DATA = Path(os.environ.get("DATA", f"/tmp/zarrio-selections-{N}"))
LAYOUTS = {
    "Z": dict(chunks=(256, 256, 256)),
    "S": dict(shards=(256, 256, 256), chunks=(64, 64, 64)),
}


def make(name):
    path = DATA / name
    if (path / "zarr.json").exists():
        return
    a = zarr.create_array(str(path), shape=(N, N, N), dtype="<u2", fill_value=0,
                          compressors=[zarr.codecs.ZstdCodec(level=0)], **LAYOUTS[name])
    x = np.arange(N, dtype=np.uint64)
    for z0 in range(0, N, 64):
        z = x[z0:z0 + 64, None, None]
        a[z0:z0 + 64] = ((x[None, None, :] + x[None, :, None] ** 2 // 32 + z ** 3) % 65536).astype("<u2")


def main():
    DATA.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(1)
    step = (slice(None, None, 2),) * 3
    lists = [np.sort(rng.choice(N, N // 8, replace=False)) for _ in range(3)]
    points = rng.integers(0, N, size=(N * 256, 3))
    rows = []
    for name in LAYOUTS:
        make(name)
        za = zarr.open_array(str(DATA / name), mode="r")
        t = ts.open({"driver": "zarr3", "kvstore": {"driver": "file", "path": str(DATA / name)}}).result()
        with Store.filesystem(DATA) as store, Array.open(store, name) as arr:
            cases = {
                "a[::2, ::2, ::2]": {
                    "zarrio": lambda: arr.read_stepped([0, 0, 0], [2, 2, 2], [N // 2] * 3),
                    "tensorstore": lambda: t[step].read().result(),
                    "zarr": lambda: za[step],
                },
                f"oindex, {N // 8} random indices per dimension": {
                    "zarrio": lambda: arr.read_orthogonal([l.tolist() for l in lists]),
                    "tensorstore": lambda: t.oindex[tuple(lists)].read().result(),
                    "zarr": lambda: za.oindex[tuple(lists)],
                },
                f"vindex, {len(points)} random points": {
                    "zarrio": lambda: arr.read_points(points),
                    "tensorstore": lambda: t.vindex[tuple(points.T)].read().result(),
                    "zarr": lambda: za.vindex[tuple(points.T)],
                },
            }
            for what, impls in cases.items():
                names = list(impls)
                want = np.asarray(impls["zarr"]())
                for k in names:  # warm-up, and the check
                    assert np.array_equal(np.asarray(impls[k]()), want), (name, what, k)
                med = medians_in_turns(impls, REPS)
                best = min(med["tensorstore"], med["zarr"])
                rows.append((name, what, med["zarrio"], med["tensorstore"], med["zarr"], med["zarrio"] / best))
    print_table(N, REPS, "dataset", rows)


if __name__ == "__main__":
    main()
