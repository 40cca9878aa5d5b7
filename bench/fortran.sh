#!/usr/bin/env bash
# Read everything into a Fortran-order (column-major) buffer, as Julia and
# Fortran callers hold arrays: zarrio against the Python peers (zarrs and
# zarrs_ffi have no such read), with zarrio's C-order read_all alongside.
# Prints a markdown table. Run bench/run.sh N once first: it builds the
# harness, the Python venv and the datasets this reads.
#
#   bench/fortran.sh [N] [PROCS]   N = edge size (default 512); PROCS fresh
#                                  processes per cell, interleaved (default 3)
#
# REPS (default 5) timed repetitions per process after one warm-up.
set -euo pipefail
N=${1:-512}
PROCS=${2:-3}
REPS=${REPS:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
DATA=${DATA:-/tmp/zarrio-bench-$N}
BIN=$HERE/target/release/zarrio-bench
PY=$HERE/.venv/bin/python
for need in "$BIN" "$PY" "$DATA/manifest.json"; do
    [ -e "$need" ] || { echo "missing $need: run bench/run.sh $N first" >&2; exit 1; }
done
# The heap settings bench/run.sh measures with (HEAP=warm).
export GLIBC_TUNABLES=glibc.malloc.trim_threshold=4294967295:glibc.malloc.mmap_threshold=33554432:glibc.malloc.top_pad=67108864
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
for p in $(seq "$PROCS"); do
    for d in U Z S small; do
        for spec in "zarrio read_all" "zarrio read_all_f" "tensorstore read_all_f" "zarr read_all_f" \
            "zarr_fused read_all_f" "zarrs_python read_all_f"; do
            set -- $spec
            if [ "$1" = zarrio ]; then
                "$BIN" run --impl "$1" --workload "$2" --dataset "$d" --dir "$DATA" --reps "$REPS" 2>/dev/null | tail -1 >>"$OUT" || true
            else
                "$PY" peers.py run --impl "$1" --workload "$2" --dataset "$d" --dir "$DATA" --reps "$REPS" 2>/dev/null | tail -1 >>"$OUT" || true
            fi
        done
    done
done
"$PY" - "$OUT" "$N" "$PROCS" "$REPS" <<'EOF'
import json, statistics, sys
path, n, procs, reps = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
runs = {}
errors = {}
for line in open(path):
    d = json.loads(line)
    key = (d["dataset"], d["impl"], d["workload"])
    if "error" in d:
        errors[key] = d["error"]
        continue
    runs.setdefault(key, []).append(d)
peers = ["tensorstore", "zarr", "zarr_fused", "zarrs_python"]
print(f"N = {n}, {procs} processes per cell of {reps} repetitions after a warm-up; median of the process medians, seconds.")
print()
print("| dataset | zarrio C order | zarrio Fortran order | F / C | " + " | ".join(peers) + " | zarrio / best peer | checksums agree |")
print("|---|---:|---:|---:|" + "---:|" * len(peers) + "---:|---|")
for ds in ["U", "Z", "S", "small"]:
    med = {}
    sums = set()
    for (d, impl, w), rs in runs.items():
        if d != ds:
            continue
        med[(impl, w)] = statistics.median(r["median_s"] for r in rs)
        sums.update(r["checksum"] for r in rs)
    c, f = med.get(("zarrio", "read_all")), med.get(("zarrio", "read_all_f"))
    ps = [med.get((p, "read_all_f")) for p in peers]
    best = min((p for p in ps if p), default=None)
    fmt = lambda v: "%.3f" % v if v else "error"
    ratio = lambda a, b: "%.2f" % (a / b) if a and b else "—"
    cells = [ds, fmt(c), fmt(f), ratio(f, c)] + [fmt(p) for p in ps]
    cells += [ratio(f, best), "yes" if len(sums) == 1 else "NO"]
    print("| " + " | ".join(cells) + " |")
for k, e in sorted(errors.items()):
    print(f"\n{k}: {e}")
EOF
