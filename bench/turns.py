"""Timing implementations side by side in one process, shared by
`selections.py` and `compressors.py`."""

import time

import numpy as np


def medians_in_turns(impls, reps):
    """Median seconds of each of `impls` (name -> callable), called `reps`
    times each: every repetition calls them all, starting with the next
    one each time, so that none is always first after another's work."""
    names = list(impls)
    times = {k: [] for k in names}
    for r in range(reps):
        for k in names[r % len(names):] + names[:r % len(names)]:
            t0 = time.perf_counter()
            impls[k]()
            times[k].append(time.perf_counter() - t0)
    return {k: float(np.median(v)) for k, v in times.items()}


def print_table(n, reps, first_column, rows):
    """The markdown table of `rows` (name, what, zarrio, tensorstore,
    zarr-python, ratio)."""
    print(f"N = {n}, medians of {reps} repetitions, seconds\n")
    print(f"| {first_column} | what | zarrio | tensorstore | zarr-python | zarrio / best peer |")
    print("|---|---|---:|---:|---:|---:|")
    for name, what, a, b, c, ratio in rows:
        print(f"| {name} | {what} | {a:.4f} | {b:.4f} | {c:.4f} | {ratio:.2f} |")
