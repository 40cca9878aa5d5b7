#!/usr/bin/env python3
"""Selections of a string array that are not one box, zarrio against
zarr-python side by side in one process (tensorstore's zarr3 driver has
no `string` type): random points (a.vindex[...]), an orthogonal
selection of random rows and columns (a.oindex[i, j]), and every 7th
element along both dimensions (a[::7, ::7]), on an N x N array of short
strings written by zarr-python, in chunks of 100 x 100 and in 200 x 200
shards of 50 x 50 inner chunks.

    string_selections.py [N] [REPS]      # N = 1000, REPS = 7 by default

zarrio is called through its C API with ctypes (the interop suite's
wrapper; ZARRIO_LIB names the library, default target/release), and its
items are turned into Python bytes inside the clock, as zarr-python gives
Python strings. The implementations take turns within each repetition;
every result is checked against zarr-python's. Prints a markdown table of
medians and zarrio's ratio to zarr-python.
"""

import os
import sys
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "interop"))

import zarr  # noqa: E402
from zarrio_ctypes import Array, Store  # noqa: E402

sys.path.insert(0, str(ROOT / "bench"))
from turns import medians_in_turns  # noqa: E402

N = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
REPS = int(sys.argv[2]) if len(sys.argv) > 2 else 7
DATA = Path(os.environ.get("DATA", f"/tmp/zarrio-string-selections-{N}"))
LAYOUTS = {
    "chunks": dict(chunks=(100, 100)),
    "shards": dict(chunks=(50, 50), shards=(200, 200)),
}


def make(name):
    path = DATA / name
    if (path / "zarr.json").exists():
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = zarr.create_array(str(path), shape=(N, N), dtype=str, fill_value="", **LAYOUTS[name])
        a[...] = np.array([f"item{i}" for i in range(N * N)], dtype=object).reshape(N, N)


def main():
    rng = np.random.default_rng(0)
    pts = rng.integers(0, N, (10000, 2))
    rows = np.sort(rng.choice(N, N // 10, replace=False))
    cols = np.sort(rng.choice(N, N // 10, replace=False))
    step = 7
    count = (N + step - 1) // step
    print(f"N = {N}, medians of {REPS} repetitions, seconds\n")
    print("| layout | what | zarrio | zarr-python | zarrio / zarr-python |")
    print("|---|---|---:|---:|---:|")
    for name in LAYOUTS:
        make(name)
        z = zarr.open_array(str(DATA / name), mode="r")
        with Store.filesystem(DATA) as store, Array.open(store, name) as a:
            cases = [
                ("10000 points", lambda: a.read_strings_points(pts),
                 lambda: z.vindex[pts[:, 0], pts[:, 1]]),
                (f"oindex {len(rows)} x {len(cols)}", lambda: a.read_strings_orthogonal([rows, cols]),
                 lambda: z.oindex[rows, cols]),
                (f"every {step}th", lambda: a.read_strings_stepped((0, 0), (step, step), (count, count)),
                 lambda: z[::step, ::step]),
            ]
            for what, ours, theirs in cases:
                want = [str(x).encode() for x in np.asarray(theirs()).reshape(-1)]
                assert ours() == want, (name, what)
                t = medians_in_turns({"zarrio": ours, "zarr": theirs}, REPS)
                print(f"| {name} | {what} | {t['zarrio']:.4f} | {t['zarr']:.4f} | "
                      f"{t['zarrio'] / t['zarr']:.2f} |")


if __name__ == "__main__":
    main()
