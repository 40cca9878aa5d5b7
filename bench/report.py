#!/usr/bin/env python3
"""Turn the JSON lines of a bench/run.sh run into BENCHMARKS.md.

    report.py --results results/results-512.jsonl --meta results/meta-512.json
              --data /tmp/zarrio-bench-512 --out ../BENCHMARKS.md
"""

import argparse
import json
import os

PEERS = ["zarrs", "zarrs_ffi", "tensorstore", "zarr", "zarr_fused", "zarrs_python"]
IMPL_ORDER = ["zarrio"] + PEERS
IMPL_DESC = {
    "zarrio": "zarrio through its C API (`zarrio::ffi` extern \"C\" functions)",
    "zarrs": "zarrs crate, Rust API, `retrieve_array_subset_into` (decode into the caller's buffer)",
    "zarrs_ffi": "zarrs_ffi C API (`zarrsArrayRetrieveSubset` / `zarrsArrayRetrieveChunk`: decode, then copy into the caller's buffer), loaded as a shared library",
    "tensorstore": "tensorstore, zarr3 driver, default context",
    "zarr": "zarr-python 3, default `BatchedCodecPipeline`",
    "zarr_fused": "zarr-python 3, opt-in `FusedCodecPipeline`",
    "zarrs_python": "zarrs-python as zarr-python's codec pipeline (`zarrs.ZarrsCodecPipeline`)",
}
DATASETS = ["U", "Z", "S", "small"]
DS_DESC = {
    "U": "uncompressed, 256^3 chunks",
    "Z": "zstd level 0, 256^3 chunks",
    "S": "256^3 shards of 64^3 inner chunks, zstd 0 inside, bytes+crc32c index at the end",
    "small": "zstd level 0, 32^3 chunks",
}
SECTIONS = [
    ("read_all", 0, "Read everything in one call"),
    ("by_chunk", 1, "Chunk by chunk (shard by shard for S), concurrency 1"),
    ("by_chunk", 2, "Chunk by chunk (shard by shard for S), concurrency 2"),
    ("by_inner", 1, "Every 64^3 inner chunk of S on its own, concurrency 1"),
    ("by_inner", 2, "Every 64^3 inner chunk of S on its own, concurrency 2"),
    ("roundtrip", 0, "Round trip: read all, write all to a new array with the same encoding"),
]


def fmt_s(x):
    return f"{x:.3f}" if x >= 0.1 else f"{x:.4f}"


def fmt_r(x):
    return "—" if x is None else f"{x:.2f}"


def median(v):
    v = sorted(v)
    m = len(v) // 2
    return v[m] if len(v) % 2 else (v[m - 1] + v[m]) / 2


def group_processes(rows, key):
    """The measurements of each cell: every process of the newest run that
    measured it (run.sh tags its lines with the run's start; a line
    without a tag is a run of its own, so the last one counts)."""
    runs = {}
    for i, r in enumerate(rows):
        runs.setdefault(key(r), {}).setdefault(r.get("run", f"untagged-{i:09d}"), []).append((i, r))
    out = {}
    for k, by_run in runs.items():
        # The run whose last line comes last in the file is the newest.
        newest = max(by_run.values(), key=lambda lines: lines[-1][0])
        out[k] = [r for _, r in newest]
    return out


def page_cache_text(meta):
    """How the run found the chunk files in the page cache (page_cache.py):
    the share of each dataset's pages in large folios, at its start and end."""
    start, end = meta.get("page_cache_start"), meta.get("page_cache_end")
    if not start and not end:
        return ""
    start, end = start or {}, end or {}
    names = [d for d in ["U", "Z", "S", "small"] if d in start or d in end]
    cells = ", ".join(f"{d} {start.get(d, '?')} / {end.get(d, '?')}" for d in names)
    return (" The datasets are written afresh at the start of the run, so the chunk files sit in the page cache as"
            " writing them left them, not as eviction and re-reading in earlier runs left them (see \"Read-all U"
            f" against the memcpy floor\"); share of their pages in large folios at the start / end of the run: {cells}.")


def merge_processes(procs):
    """One cell measured by several processes: the median over the
    processes' medians (this machine is bimodal per process: one process
    can run every repetition fast and the next every one slow), every
    repetition, and the worst of each check."""
    if len(procs) == 1:
        return procs[0]
    failed = [r for r in procs if "median_s" not in r]
    if failed:
        return failed[0]
    medians = [r["median_s"] for r in procs]
    # Memory: the process that grew most.
    worst_mem = max(procs, key=lambda r: r["peak_rss_mib"] - r.get("base_rss_mib", 0))
    m = dict(worst_mem)
    m["median_s"] = median(medians)
    m["proc_medians"] = medians
    m["times"] = [t for r in procs for t in r["times"]]
    sums = {r["checksum"] for r in procs}
    m["checksum"] = procs[0]["checksum"] if len(sums) == 1 else sorted(sums)[0]
    m["checksum_stable"] = len(sums) == 1 and all(r.get("checksum_stable", True) for r in procs)
    copies = {r["copy_checksum"] for r in procs if "copy_checksum" in r}
    if copies:
        m["copy_checksum"] = copies.pop() if len(copies) == 1 else "differs between processes"
    m["others_busy_during"] = max(r.get("others_busy_during", 0) for r in procs)
    return m


def procs_cell(r):
    """The spread of a cell's process medians, lowest to highest."""
    p = sorted(r.get("proc_medians", [r["median_s"]]))
    return f"{len(p)}: " + " / ".join(fmt_s(x) for x in p)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--results", required=True)
    ap.add_argument("--meta", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()

    meta = json.load(open(a.meta)) if os.path.exists(a.meta) else {}
    manifest = json.load(open(os.path.join(a.data, "manifest.json")))
    expected = manifest["expected_checksum"]
    rows = [json.loads(l) for l in open(a.results) if l.strip()]
    n = manifest["n"]
    gb = n**3 * 2 / 1e9

    def key(r):
        # zarrio rows with the library's threads set explicitly are "zarrio@T".
        t = int(r.get("lib_threads") or 0)
        return (r.get("impl") + (f"@{t}" if t else ""), r.get("workload"), r.get("dataset"), int(r.get("concurrency") or 0))

    by = {k: merge_processes(v) for k, v in group_processes(rows, key).items()}

    def ok(r):
        if "median_s" not in r:
            return False
        good = r["checksum"] == expected and r.get("checksum_stable", True)
        if "copy_checksum" in r:
            good = good and r["copy_checksum"] == expected
        return good

    def status(r):
        if "error" in r:
            return "**ERROR**"
        bad = []
        if r["checksum"] != expected:
            bad.append(f"read {r['checksum']}")
        if not r.get("checksum_stable", True):
            bad.append("varies between repetitions")
        if "copy_checksum" in r and r["copy_checksum"] != expected:
            bad.append(f"copy {r['copy_checksum']}")
        return "ok" if not bad else "**MISMATCH** (" + ", ".join(bad) + ")"

    def floor(d, w):
        r = by.get(("floor", "roundtrip" if w == "roundtrip" else "read_all", d, 2))
        return r["median_s"] if r and ok(r) else None

    def floor_io(d, w):
        if w == "roundtrip":
            return None
        r = by.get(("floor_io", "read_all", d, 2))
        return r["median_s"] if r and ok(r) else None

    def best_peer(w, d, c):
        cands = [by[k] for k in by if k[1:] == (w, d, c) and k[0] in PEERS and ok(by[k])]
        return min(cands, key=lambda r: r["median_s"]) if cands else None

    problems = []
    for r in rows:
        if r.get("impl") in ("floor", "floor_io", "memcpy", "memcpy_malloc", "memcpy_place"):
            if "error" in r or r["checksum"] != expected:
                problems.append(r)
            continue
        if not ok(r):
            problems.append(r)

    L = []
    L.append("# zarrio benchmarks\n")
    L.append(
        f"Produced by `{meta.get('command', 'bench/run.sh')}` on {meta.get('date', '?')}"
        f" ({meta.get('wall_s', '?')} s wall). Edge size N = {n}: a {n}^3 `uint16` array,"
        f" {gb * 1e3:.0f} MB decoded, value `(x + y*y/32 + z*z*z) mod 65536` (z = dim 0).\n"
    )
    L.append(
        f"Machine: {meta.get('nproc', '?')} cores, {meta.get('cpu', '?')}, {meta.get('mem', '?')} RAM,"
        f" Linux {meta.get('kernel', '?')}, transparent huge pages `{meta.get('thp', '?')}`;"
        f" shared with other work (load average before: {meta.get('load_before', '?')}, after: {meta.get('load_after', '?')})."
        " Data read from the page cache (dropping caches is not possible here)."
        + page_cache_text(meta) + "\n"
    )
    crates = meta.get("crates", {})
    pyp = meta.get("python_packages", {})
    # The cells reported (each cell's newest run), and the zarrio commit
    # each was measured at (runs joined with KEEP_RESULTS may differ).
    current = [r for procs in group_processes(rows, key).values() for r in procs]
    commits = {}
    for r in current:
        commits.setdefault(r.get("zarrio_commit", meta.get("zarrio_commit", "?")), set()).add(r.get("dataset"))
    zarrio_version = meta.get("zarrio_commit", "?")
    if len(commits) > 1:
        zarrio_version = ", ".join(f"{c} ({', '.join(d for d in DATASETS if d in ds)})" for c, ds in commits.items())
    L.append(
        f"Versions: zarrio {zarrio_version}, {meta.get('rustc', '?')};"
        f" zarrs {crates.get('zarrs', '?')}, zarrs_ffi {crates.get('zarrs_ffi', '?')},"
        f" zstd crate {crates.get('zstd', '?')} (zstd-sys {crates.get('zstd-sys', '?')});"
        f" Python {meta.get('python', '?')}: zarr {pyp.get('zarr', '?')}, tensorstore {pyp.get('tensorstore', '?')},"
        f" zarrs-python {pyp.get('zarrs', '?')}, numpy {pyp.get('numpy', '?')}.\n"
    )
    L.append("Datasets: " + "; ".join(f"**{d}** {DS_DESC[d]} ({manifest['stored_bytes'].get(d, 0) / 2**20:.1f} MiB stored)" for d in DATASETS) + ".\n")

    busy = [r for r in rows if r.get("others_busy_during", 0) > 0.3]
    L.append("The machine is shared. Before each measurement the driver waits (up to 60 s) for other users of the CPU to"
             " go below half a core, and measures again (up to twice, keeping the quietest attempt) when others used more"
             f" than 0.3 cores on average during it; {len(busy)} of {len(rows)} measuring processes still ran with others busier"
             " than that" + (": " + ", ".join(f"{r['impl']} {r['workload']} {r['dataset']} c{r['concurrency']} ({r['others_busy_during']:.1f})" for r in busy[:12]) if busy else "") + ".\n")
    settled = {}
    for r in current:
        settled.setdefault(r.get("settle_s", 0), set()).add(r.get("dataset"))
    if any(settled):
        L.append("Before each measuring process the driver pauses (`SETTLE` seconds), so that the memory the process"
                 " before freed has been handed back to this VM's host and every process starts from the same state (see"
                 " \"This machine's memory\" in BENCHMARKS.md): " + "; ".join(
                     f"{s:g} s for {', '.join(d for d in DATASETS if d in ds)}" for s, ds in sorted(settled.items())) + ".\n")

    if problems:
        L.append("## ⚠ Checksum mismatches and errors\n")
        for r in problems:
            what = r.get("error") or status(r)
            L.append(f"- **{r.get('impl')} {r.get('workload')} {r.get('dataset')} c{r.get('concurrency')}**: {what}")
        L.append("")
    else:
        L.append(f"All implementations read the expected checksum `{expected}` on every workload, and every round trip's copy reads back the same.\n")

    # ---- summary
    L.append("## Summary: zarrio against the best peer and the floor\n")
    L.append("Median seconds. `zarrio / best` below 1 means zarrio is faster than every peer. The floor is the dataset's"
             " decode floor on all cores (memcpy for U, plain zstd decompression of every chunk for the others, bytes"
             " already in memory; for the round trip, decode + encode), see below. The files floor adds reading every chunk"
             " file from the page cache (no Zarr, 2 threads): the least any reader of these files must do.\n")
    L.append("| workload | dataset | zarrio s | GB/s | best peer | peer s | zarrio / best | floor s | zarrio / floor | files floor s | zarrio / files floor |")
    L.append("|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|")
    for w, c, _ in SECTIONS:
        for d in DATASETS:
            if w == "by_inner" and d != "S":
                continue
            z = by.get(("zarrio", w, d, c))
            bp = best_peer(w, d, c)
            fl = floor(d, w)
            fio = floor_io(d, w)
            label = w + (f" c{c}" if c else "")
            if not z:
                continue
            if "error" in z:
                L.append(f"| {label} | {d} | **ERROR** | | {bp['impl'] if bp else '—'} | {fmt_s(bp['median_s']) if bp else '—'} | | | | | |")
                continue
            zs = z["median_s"]
            flag = "" if ok(z) else " **MISMATCH**"
            L.append(
                f"| {label} | {d} | {fmt_s(zs)}{flag} | {gb / zs:.2f} | {bp['impl'] if bp else '—'} | {fmt_s(bp['median_s']) if bp else '—'} |"
                f" {fmt_r(zs / bp['median_s']) if bp else '—'} | {fmt_s(fl) if fl else '—'} | {fmt_r(zs / fl) if fl else '—'} |"
                f" {fmt_s(fio) if fio else '—'} | {fmt_r(zs / fio) if fio else '—'} |"
            )
    L.append("")

    # ---- read_all against the placement copy
    place_rows = []
    for d in DATASETS:
        z = by.get(("zarrio", "read_all", d, 0))
        pl = by.get(("memcpy_place", "read_all", d, 2))
        fl = floor(d, "read_all")
        if z and pl and ok(z) and ok(pl) and "median_s" in z:
            place_rows.append(f"| {d} | {fmt_s(z['median_s'])} | {fmt_s(fl) if fl else '—'} | {fmt_r(z['median_s'] / fl) if fl else '—'} |"
                              f" {fmt_s(pl['median_s'])} | {fmt_r(z['median_s'] / pl['median_s'])} |")
    if place_rows:
        L.append("Read everything into one C-order buffer against the floor and against the placement copy: the decoded"
                 " chunks (inner chunks for S) preloaded each contiguous and copied row by row into their places in a fresh"
                 " THP-advised C-order buffer with streaming stores (rows of whole cache lines), 2 threads (`memcpy_place`). The floor writes each chunk contiguously;"
                 " a C-order read of chunks that are not contiguous in the output cannot do less than the placement copy.\n")
        L.append("| dataset | zarrio s | floor s | zarrio / floor | placement copy s | zarrio / placement |")
        L.append("|---|---:|---:|---:|---:|---:|")
        L.extend(place_rows)
        L.append("")

    # ---- where zarrio loses most
    losses = []
    for w, c, _ in SECTIONS:
        for d in DATASETS:
            z = by.get(("zarrio", w, d, c))
            bp = best_peer(w, d, c)
            if z and bp and ok(z):
                losses.append((z["median_s"] / bp["median_s"], w + (f" c{c}" if c else ""), d, z["median_s"], bp))
    losses.sort(key=lambda t: -t[0])
    behind = [t for t in losses if t[0] > 1.0]
    within = [t for t in losses if t[0] <= 0.9]
    L.append(f"zarrio is faster than every peer on {len(losses) - len(behind)} of {len(losses)} workload x dataset cells,"
             f" and at or below 0.9x the best peer on {len(within)}.")
    if behind:
        L.append(" Largest gaps to the best peer:\n")
        for ratio, w, d, zs, bp in behind[:5]:
            L.append(f"- {w} {d}: zarrio {fmt_s(zs)} s vs {bp['impl']} {fmt_s(bp['median_s'])} s ({ratio:.2f}x)")
    L.append("")

    # ---- per workload
    L.append("## Results per workload\n")
    L.append("`vs best peer`: median time over the best peer's (1.00 = the best peer itself). `vs floor`: over the floor."
             " Each cell is measured by one or more fresh processes (run.sh's PROCS), interleaved with the other"
             " implementations; `median s` is the median of the processes' medians, `process medians s` lists them."
             " `peak RSS`: getrusage peak of the measuring process (of the one that grew most); `+RSS`: peak minus the"
             " resident size before the first repetition (interpreter and libraries excluded). `reps`: timed"
             " repetitions after one warm-up in each process, all processes together (slow cases stop after the time budget: at least 3, or 2 when one repetition takes longer than the budget).\n")
    for w, c, title in SECTIONS:
        present = [k for k in by if k[1] == w and k[3] == c and k[0] in IMPL_ORDER]
        if not present:
            continue
        L.append(f"### {title}\n")
        L.append("| dataset | impl | median s | GB/s | vs best peer | vs floor | peak RSS MiB | +RSS MiB | reps | process medians s | checksum |")
        L.append("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
        for d in DATASETS:
            bp = best_peer(w, d, c)
            fl = floor(d, w)
            for impl in IMPL_ORDER:
                r = by.get((impl, w, d, c))
                if not r:
                    continue
                name = f"**{impl}**" if impl == "zarrio" else impl
                if "error" in r:
                    msg = r["error"].replace("|", "/").replace("\n", " ")[:160]
                    L.append(f"| {d} | {name} | — | — | — | — | — | — | — | — | **ERROR**: {msg} |")
                    continue
                s = r["median_s"]
                L.append(
                    f"| {d} | {name} | {fmt_s(s)} | {gb / s:.2f} | {fmt_r(s / bp['median_s']) if bp else '—'} |"
                    f" {fmt_r(s / fl) if fl else '—'} | {r['peak_rss_mib']:.0f} | {r['peak_rss_mib'] - r.get('base_rss_mib', 0):.0f} |"
                    f" {len(r['times'])} | {procs_cell(r)} | {status(r)} |"
                )
        L.append("")

    # ---- memory bound
    # A chunk of U and Z, a shard of S, a chunk of small: uint16 elements.
    chunk_bytes = {d: (32 if d == "small" else 256) ** 3 * 2 for d in DATASETS}
    threads = meta.get("nproc", os.cpu_count())
    mem_rows = [(d, by.get(("zarrio", "read_all", d, 0))) for d in DATASETS]
    mem_rows = [(d, r) for d, r in mem_rows if r and "median_s" in r]
    if mem_rows:
        L.append("## Memory: reading everything into one buffer\n")
        L.append(f"zarrio's read_all may use the output plus one chunk per thread ({threads} threads, the library default) of"
                 " extra memory. `+RSS` is the measuring process's peak resident size minus its size before the first"
                 " repetition, so it counts the output buffer the harness allocates too; `code` is the file-backed part"
                 " of that growth (library and codec code paged in as it first runs, not allocated memory), and"
                 " `allocated` is `+RSS` without it.\n")
        L.append("| dataset | output MiB | chunk MiB | bound MiB | zarrio +RSS MiB | code MiB | allocated MiB | within |")
        L.append("|---|---:|---:|---:|---:|---:|---:|---|")
        out_mib = n**3 * 2 / 2**20
        for d, r in mem_rows:
            ch = chunk_bytes[d] / 2**20
            bound = out_mib + threads * ch
            extra = r["peak_rss_mib"] - r.get("base_rss_mib", 0)
            code = r.get("file_rss_growth_mib", 0.0)
            alloc = extra - code
            L.append(f"| {d} | {out_mib:.0f} | {ch:.2f} | {bound:.1f} | {extra:.1f} | {code:.1f} | {alloc:.1f} | {'yes' if alloc <= bound else '**no**'} |")
        L.append("")

    # ---- 1 vs 2 threads
    t_rows = []
    for w, c, _ in SECTIONS:
        if c == 2:
            continue
        for d in DATASETS:
            r1, r2 = by.get(("zarrio@1", w, d, c)), by.get(("zarrio@2", w, d, c))
            if r1 and r2 and ok(r1) and ok(r2):
                t_rows.append((w + (f" c{c}" if c else ""), d, r1["median_s"], r2["median_s"]))
    if t_rows:
        # Reading one compressed unsharded chunk, or one inner chunk of a
        # shard, is one decode on the calling thread: the same work
        # whatever the setting. (Large uncompressed chunks are read in one
        # piece per thread, shards' inner chunks decode in parallel.)
        def one_task(w, d):
            return (w.startswith("by_chunk") and d not in ("S", "U")) or w.startswith("by_inner")
        slower = [t for t in t_rows if t[3] > t[2] and not one_task(t[0], t[1])]
        multi = [t for t in t_rows if not one_task(t[0], t[1])]
        L.append("## zarrio with 1 and with 2 threads\n")
        L.append("The library's thread count set with `zarrio_set_threads` (each row fresh processes, as many and with the same repetitions as"
                 " above), for every workload that runs at the library's own parallelism. `2 / 1` above 1 would mean the"
                 f" second thread slows zarrio down; {len(slower)} of the {len(multi)} rows with work to share do"
                 + (": " + ", ".join(f"{w} {d} ({s2 / s1:.2f})" for w, d, s1, s2 in slower) if slower else "") + "."
                 " Rows marked *one task* read one compressed unsharded chunk, or one inner chunk of a shard, per call: a single decode on the calling thread at"
                 " either setting, so their `2 / 1` shows only run-to-run noise.\n")
        L.append("| workload | dataset | 1 thread s | 2 threads s | 2 / 1 |")
        L.append("|---|---|---:|---:|---:|")
        for w, d, s1, s2 in t_rows:
            mark = " (*one task*)" if one_task(w, d) else ""
            L.append(f"| {w}{mark} | {d} | {fmt_s(s1)} | {fmt_s(s2)} | {s2 / s1:.2f} |")
        L.append("")

    # ---- floor
    L.append("## The floor\n")
    L.append("Same data, no Zarr: (a) `memcpy` of the decoded bytes (preloaded) into a freshly allocated buffer;"
             " the floor's destinations are 2 MiB aligned and advised for transparent huge pages (`MADV_HUGEPAGE`, which"
             " numpy does for every large array, so the Python peers get it for free), and the memcpy into plain"
             " malloc'd memory (what the Rust harness hands zarrio, zarrs and zarrs_ffi) is shown for comparison;"
             " (b) `zstd` decompression (the `zstd` crate, bulk decompress into the slice) of every compressed frame of the"
             " dataset (for S every 64^3 inner chunk), the compressed bytes preloaded in memory, into one fresh output buffer"
             " chunk after chunk (no scatter into C order); threads take chunks from a shared counter. The floor's round trip"
             " adds the encode (a second memcpy for U; zstd level 0 compression of every frame otherwise, with the parameters zarrio compresses with, into a reused buffer), no file I/O."
             " (c) the files floor: read every chunk file from the page cache with plain `read` (U: straight into the output;"
             " otherwise into a reused per-thread buffer, then decompress its frames into the output), 2 threads taking files from a"
             " shared counter.\n")
    L.append("| dataset | what | threads | median s | GB/s | peak RSS MiB |")
    L.append("|---|---|---:|---:|---:|---:|")
    for d in DATASETS:
        for impl, w, c in [("floor", "read_all", 1), ("floor", "read_all", 2), ("floor_io", "read_all", 2), ("memcpy", "read_all", 2),
                           ("memcpy_place", "read_all", 2),
                           ("memcpy_malloc", "read_all", 1), ("memcpy_malloc", "read_all", 2), ("floor", "roundtrip", 2)]:
            r = by.get((impl, w, d, c))
            if not r:
                continue
            if "error" in r:
                L.append(f"| {d} | {impl} {w} | {c} | **ERROR** {r['error'][:100]} | | |")
                continue
            what = ("memcpy" if impl not in ("floor", "floor_io") or d == "U" else "zstd decompress") + (" + encode (round trip)" if w == "roundtrip" else "")
            if impl == "memcpy_place":
                what = "copy of the decoded chunks row by row into C order with streaming stores (placement copy)"
            if impl == "floor_io":
                what = "read every chunk file" + (" into the output" if d == "U" else " + zstd decompress")
            what += ", malloc'd destination (no THP advice)" if impl == "memcpy_malloc" else ", THP-advised destination"
            L.append(f"| {d} | {what} | {c} | {fmt_s(r['median_s'])} | {gb / r['median_s']:.2f} | {r['peak_rss_mib']:.0f} |")
    L.append("")

    # ---- method
    L.append("## How each implementation is driven\n")
    for impl in IMPL_ORDER:
        notes = sorted({r.get("note", "") for r in rows if r.get("impl") == impl and r.get("note")})
        L.append(f"- **{impl}**: {IMPL_DESC[impl]}." + (" Calls: " + "; ".join(f"`{x}`" for x in notes) + "." if notes else ""))
    L.append("")
    # How the Rust implementations' destinations were allocated, from the
    # results themselves (older results do not say).
    aligns = sorted({str(r["dest_align"]) for r in rows
                     if r.get("impl") in ("zarrio", "zarrs", "zarrs_ffi") and "dest_align" in r})
    if aligns == ["16"]:
        dest_text = ("uninitialised memory with `malloc`, large blocks 16 bytes past a page like numpy's arrays;"
                     " `ZARRIO_BENCH_ALIGN=64` gives 64-byte aligned destinations instead, see \"Streaming stores\"")
    elif aligns:
        dest_text = (f"uninitialised memory aligned to {' / '.join(aligns)} (`ZARRIO_BENCH_ALIGN`, `ZARRIO_BENCH_THP`;"
                     " plain `malloc` by default), see \"Streaming stores\"")
    else:
        dest_text = "uninitialised memory (alignment not recorded in these results)"
    scratch, scratch_fs = meta.get("scratch"), meta.get("scratch_fs")
    scratch_text = (
        f" Round trips write their copies to `{scratch}` ({scratch_fs or 'filesystem unknown'}); before each repetition"
        " and after each process the last copy is moved aside and its files truncated, and the run deletes them at"
        " its end (see \"Round-trip copies and the filesystem\")." if scratch else ""
    )
    L.append(
        "Every repetition opens the array and allocates its destination inside the clock, as a user would"
        f" (the Rust harness allocates {dest_text}, so first touch happens in the library call)."
        " `read_all` and `roundtrip` leave each library at its default thread count (all cores)."
        " `by_chunk` / `by_inner` read every region into its own fresh buffer and keep them until the clock stops;"
        " concurrency 1 reads one region at a time with the library's default parallelism inside it;"
        " concurrency 2 runs two threads taking regions from a shared counter, with the library's own threads set to 1"
        " where it has the knob (zarrio: `zarrio_array_set_threads(a, 1)`; zarrs: `CodecOptions` concurrent target 1;"
        " zarrs_ffi, tensorstore and zarr-python have no per-call knob and keep their defaults)."
        " The checksum (sum of value x (1 + z*N + y) mod 2^64, independent of how the array is cut) is computed after"
        " the clock stops, for the warm-up and the last repetition, and compared with the value computed from the formula; a round trip's copy is read back"
        " (with zarrs for the Rust implementations, with the same library for the Python ones) and checked too."
        " Datasets are written by the zarrs crate. Timings are medians of the repetitions after one warm-up, read"
        " from the page cache; the floors run three times as many repetitions."
        + scratch_text + "\n"
    )
    heap = meta.get("heap", "")
    if heap:
        heap_text = (
            f" (2) Every measuring process, Rust and Python alike, runs with `GLIBC_TUNABLES={heap}`: glibc's malloc"
            " thresholds fixed (the heap is never trimmed; allocations above 32 MiB are mapped; a 64 MiB top pad, without"
            " which a thread's arena unmaps each of its 64 MiB heaps as soon as it is empty, trim threshold or not), so every repetition's"
            " destination buffers come from the same warm heap. With glibc's dynamic defaults, whether the caller's"
            " buffers are fresh pages (a page fault per 4 KiB in the library call) or recycled ones depends on what"
            " the library happened to allocate and free before (a long-lived allocation above the freed buffers keeps"
            " the heap from shrinking), a cost that differs by library for reasons outside it;"
            " `HEAP=glibc bench/run.sh` measures that way (see \"Caller buffers and glibc's heap\" below).\n"
        )
    else:
        heap_text = (
            " (2) This run left glibc's malloc at its dynamic defaults (`HEAP=glibc`): whether the caller's buffers"
            " are fresh pages or recycled ones depends on what the library allocated and freed before, so the"
            " per-chunk workloads carry a first-touch cost that differs by library for reasons outside it.\n"
        )
    L.append(
        "Two things outside the libraries move these numbers:"
        " (1) numpy advises transparent huge pages for every large array (`MADV_HUGEPAGE`), so the Python peers'"
        " destinations fault in 2 MiB at a time, while the Rust harness hands zarrio, zarrs and zarrs_ffi plain"
        " malloc'd memory (as a C or Rust caller would); the memcpy rows in the floor table show the size of that"
        " effect, and `ZARRIO_BENCH_THP=1` reruns the Rust implementations with advised buffers."
        + heap_text
    )
    L.append("Reproduce: `bench/run.sh 512` (quick) or `bench/run.sh 1024` (full suite); one measurement:"
             " `bench/target/release/zarrio-bench run --impl zarrio --workload read_all --dataset S --dir /tmp/zarrio-bench-512`."
             " See `bench/README.md`.\n")
    # Keep the sections others added by hand (any "## " section whose
    # heading this script does not write), after the generated ones.
    generated = ("## ⚠ Checksum", "## Summary", "## Results per workload", "## Memory: reading", "## zarrio with 1 and", "## The floor", "## How each implementation")
    kept = []
    if os.path.exists(a.out):
        cur, keep = [], False
        for line in open(a.out).read().split("\n"):
            if line.startswith("## "):
                if keep and cur:
                    kept.append("\n".join(cur).rstrip() + "\n")
                cur, keep = [line], not line.startswith(generated)
            elif keep:
                cur.append(line)
        if keep and cur:
            kept.append("\n".join(cur).rstrip() + "\n")
    with open(a.out, "w") as f:
        f.write("\n".join(L).rstrip() + "\n")
        for sec in kept:
            f.write("\n" + sec)


if __name__ == "__main__":
    main()
