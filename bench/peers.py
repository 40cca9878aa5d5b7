#!/usr/bin/env python3
"""The Python peers of zarrio-bench: tensorstore, zarr-python 3 (its default
BatchedCodecPipeline and its opt-in FusedCodecPipeline) and zarrs-python
(zarr-python with zarrs.ZarrsCodecPipeline).

Same CLI and JSON line as the Rust harness:

    peers.py run --impl tensorstore|zarr|zarr_fused|zarrs_python
                 --workload read_all|read_all_f|by_chunk|by_inner|roundtrip
                 --dataset U|Z|S|small [--concurrency 1|2] --dir DIR
                 [--reps 5] [--warmup 1] [--budget SECONDS]

Concurrency for by_chunk / by_inner: 1 = one region at a time, the
library's own parallelism inside it left at its default; 2 = two Python
threads pulling regions from a shared counter, each making blocking calls
(tensorstore's `.read().result()`, zarr's `array[region]`), which release
the GIL while the library works.

read_all_f reads everything into a Fortran-order (column-major) array,
with each library's own way to get one: tensorstore's read(order="F"),
zarr-python's array config order "F"; zarrs-python rejects that config
(its pipeline needs C-contiguous output), so it reads C order and numpy
copies the result to Fortran order (np.asfortranarray), inside the clock.

The array is opened inside the clock of every repetition; the destination
is allocated by the library inside the clock (as a user would get it).
"""

import argparse
import json
import os
import resource
import sys
import threading
import time

import numpy as np

CHUNK = {"U": 256, "Z": 256, "S": 256, "small": 32}
INNER = {"U": 256, "Z": 256, "S": 64, "small": 32}


def rss_mib():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * 4096 / 2**20


def peak_rss_mib():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def regions(n, edge):
    g = n // edge
    return [
        (a * edge, b * edge, c * edge, edge)
        for a in range(g)
        for b in range(g)
        for c in range(g)
    ]


def sel(r):
    z, y, x, e = r
    return (slice(z, z + e), slice(y, y + e), slice(x, x + e))


def checksum_region(n, start, a):
    """sum of value * (1 + z*n + y) mod 2^64: the harness's checksum."""
    a = np.ascontiguousarray(a)
    rows = a.sum(axis=2, dtype=np.uint64)
    z = np.arange(start[0], start[0] + a.shape[0], dtype=np.uint64)
    y = np.arange(start[1], start[1] + a.shape[1], dtype=np.uint64)
    w = np.uint64(1) + z[:, None] * np.uint64(n) + y[None, :]
    with np.errstate(over="ignore"):
        return int((rows * w).sum(dtype=np.uint64))


def checksum_output(n, out):
    if isinstance(out, list):
        return sum(checksum_region(n, r[:3], a) for r, a in out) % 2**64
    return checksum_region(n, (0, 0, 0), out)


def read_units(units, conc, read_one):
    """Read every region into its own array, `conc` threads pulling from a
    shared counter."""
    out = [None] * len(units)
    if conc <= 1:
        for i, r in enumerate(units):
            out[i] = (r, read_one(r))
        return out
    lock = threading.Lock()
    nxt = [0]
    errors = []

    def worker():
        try:
            while True:
                with lock:
                    i = nxt[0]
                    nxt[0] += 1
                if i >= len(units):
                    return
                out[i] = (units[i], read_one(units[i]))
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    ts = [threading.Thread(target=worker) for _ in range(conc)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        raise errors[0]
    return out


# ---------------------------------------------------------------- tensorstore


class TensorStore:
    note = "tensorstore zarr3 driver, default context (no cache pool)"

    def __init__(self):
        import tensorstore as ts

        self.ts = ts

    def open(self, path):
        return self.ts.open(
            {"driver": "zarr3", "kvstore": {"driver": "file", "path": path}},
            open=True,
            read=True,
        ).result()

    def read(self, arr, r=None):
        v = arr if r is None else arr[sel(r)]
        return v.read().result()

    open_f = open

    def read_f(self, arr):
        return arr.read(order="F").result()

    def write_copy(self, src_path, dst_path, data):
        with open(os.path.join(src_path, "zarr.json")) as f:
            meta = json.load(f)
        meta.pop("attributes", None)
        meta.pop("node_type", None)
        meta.pop("zarr_format", None)
        dst = self.ts.open(
            {
                "driver": "zarr3",
                "kvstore": {"driver": "file", "path": dst_path},
                "metadata": meta,
            },
            create=True,
            delete_existing=True,
        ).result()
        dst.write(data).result()


# ---------------------------------------------------------------- zarr-python


class ZarrPython:
    pipeline = None  # the default: zarr.core.codec_pipeline.BatchedCodecPipeline
    name = "zarr-python"

    def __init__(self):
        import zarr

        self.zarr = zarr
        if self.pipeline:
            zarr.config.set({"codec_pipeline.path": self.pipeline})
        self.note = f"{self.name} {zarr.__version__}, codec pipeline {zarr.config.get('codec_pipeline.path')}"

    def open(self, path):
        return self.zarr.open_array(store=path, mode="r")

    def read(self, arr, r=None):
        return arr[...] if r is None else arr[sel(r)]

    def open_f(self, path):
        return self.zarr.open_array(store=path, mode="r", config={"order": "F"})

    def read_f(self, arr):
        return arr[...]

    def write_copy(self, src_path, dst_path, data):
        zarr = self.zarr
        from zarr.codecs import BytesCodec, ZstdCodec

        with open(os.path.join(src_path, "zarr.json")) as f:
            meta = json.load(f)
        chunk = meta["chunk_grid"]["configuration"]["chunk_shape"]
        codecs = meta["codecs"]
        kw = {}
        if codecs[0]["name"] == "sharding_indexed":
            cfg = codecs[0]["configuration"]
            kw["shards"] = tuple(chunk)
            kw["chunks"] = tuple(cfg["chunk_shape"])
            inner = cfg["codecs"]
        else:
            kw["chunks"] = tuple(chunk)
            inner = codecs
        zst = [c for c in inner if c["name"] == "zstd"]
        kw["compressors"] = [ZstdCodec(**zst[0]["configuration"])] if zst else None
        dst = zarr.create_array(
            store=dst_path,
            shape=tuple(meta["shape"]),
            dtype=meta["data_type"],
            fill_value=meta["fill_value"],
            serializer=BytesCodec(endian="little"),
            overwrite=True,
            **kw,
        )
        # The copy must have the same encoding as the source.
        with open(os.path.join(dst_path, "zarr.json")) as f:
            got = json.load(f)
        if json.dumps(got["codecs"], sort_keys=True) != json.dumps(codecs, sort_keys=True):
            raise RuntimeError(f"copy's codecs differ: {got['codecs']} vs {codecs}")
        dst[...] = data


class ZarrFused(ZarrPython):
    pipeline = "zarr.core.codec_pipeline.FusedCodecPipeline"
    name = "zarr-python (fused pipeline)"


class ZarrsPython(ZarrPython):
    pipeline = "zarrs.ZarrsCodecPipeline"

    def __init__(self):
        import zarrs

        self.name = f"zarrs-python {getattr(zarrs, '__version__', '')} in zarr-python"
        super().__init__()

    # Its pipeline rejects Fortran-order output ("input array must be a C
    # contiguous array"): read C order, then copy.
    def open_f(self, path):
        return self.open(path)

    def read_f(self, arr):
        return np.asfortranarray(arr[...])


IMPLS = {
    "tensorstore": TensorStore,
    "zarr": ZarrPython,
    "zarr_fused": ZarrFused,
    "zarrs_python": ZarrsPython,
}


def retire_copy(path):
    """Move an earlier round-trip copy at `path` to `.retired` beside it and
    truncate its files to nothing, instead of deleting it: on ext4 without
    a journal, creating a file skips, one by one, every inode deleted in the
    last minute or more (as the harness's `fresh_copy_dir`; BENCHMARKS.md,
    "Round-trip copies and the filesystem")."""
    parent = os.path.dirname(path)
    os.makedirs(parent, exist_ok=True)
    if not os.path.exists(path):
        return
    retired = os.path.join(parent, ".retired")
    os.makedirs(retired, exist_ok=True)
    to = os.path.join(retired, f"{os.path.basename(path)}-{os.getpid()}-{time.time_ns()}")
    os.rename(path, to)
    for root, _, files in os.walk(to):
        for f in files:
            os.truncate(os.path.join(root, f), 0)


def run(args):
    with open(os.path.join(args.dir, "manifest.json")) as f:
        n = json.load(f)["n"]
    d = args.dataset
    if args.workload == "by_inner" and d != "S":
        raise SystemExit("by_inner is for dataset S only")
    impl = IMPLS[args.impl]()
    path = os.path.join(args.dir, f"{d}.zarr")
    scratch = os.path.join(args.scratch or os.path.join(args.dir, "scratch"), f"{args.impl}-{d}")
    conc = args.concurrency

    def rep():
        arr = impl.open(path) if args.workload != "read_all_f" else None
        if args.workload == "read_all":
            return impl.read(arr)
        if args.workload == "read_all_f":
            out = impl.read_f(impl.open_f(path))
            if not out.flags.f_contiguous:
                raise RuntimeError("read_all_f: the result is not in Fortran order")
            return out
        if args.workload in ("by_chunk", "by_inner"):
            edge = CHUNK[d] if args.workload == "by_chunk" else INNER[d]
            return read_units(regions(n, edge), conc, lambda r: impl.read(arr, r))
        if args.workload == "roundtrip":
            data = impl.read(arr)
            impl.write_copy(path, scratch, data)
            return data
        raise SystemExit(f"unknown workload {args.workload}")

    base = rss_mib()
    times, sums = [], []
    def done():
        # At least 3 timed repetitions, 2 when one takes longer than the budget.
        min_reps = 2 if times and times[0] > args.budget else 3
        return len(times) >= args.reps or (len(times) >= min(min_reps, args.reps) and sum(times) >= args.budget)

    i = 0
    while True:
        if args.workload == "roundtrip":
            retire_copy(scratch)
        t = time.perf_counter()
        out = rep()
        dt = time.perf_counter() - t
        if i >= args.warmup:
            times.append(dt)
        last = done()
        # Checksum the first and the last repetition (keeps the run short).
        if i == 0 or last:
            sums.append(checksum_output(n, out))
        del out
        i += 1
        if last:
            break
    res = {
        "impl": args.impl,
        "workload": args.workload,
        "dataset": d,
        "concurrency": conc,
        "n": n,
        "decoded_bytes": n**3 * 2,
        "times": times,
        "median_s": float(np.median(times)),
        "checksum": f"{sums[0]:016x}",
        "checksum_stable": len(set(sums)) == 1,
        "peak_rss_mib": peak_rss_mib(),
        "base_rss_mib": base,
        "note": impl.note
        + (f"; {conc} reader thread(s)" if args.workload in ("by_chunk", "by_inner") else ""),
    }
    if args.workload == "roundtrip":
        back = impl.read(impl.open(scratch))
        res["copy_checksum"] = f"{checksum_output(n, back):016x}"
    return res


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("cmd", choices=["run"])
    p.add_argument("--impl", required=True, choices=sorted(IMPLS))
    p.add_argument("--workload", required=True)
    p.add_argument("--dataset", required=True, choices=["U", "Z", "S", "small"])
    p.add_argument("--concurrency", type=int, default=1)
    p.add_argument("--dir", required=True)
    p.add_argument("--scratch", help="where round trips write their copies (default DIR/scratch)")
    p.add_argument("--reps", type=int, default=5)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--budget", type=float, default=1e9, help="stop adding repetitions after this many timed seconds (at least 3)")
    args = p.parse_args()
    try:
        res = run(args)
    except Exception as e:  # noqa: BLE001
        res = {
            "impl": args.impl,
            "workload": args.workload,
            "dataset": args.dataset,
            "concurrency": args.concurrency,
            "error": f"{type(e).__name__}: {e}",
        }
        print(json.dumps(res))
        sys.exit(1)
    print(json.dumps(res))


if __name__ == "__main__":
    main()
