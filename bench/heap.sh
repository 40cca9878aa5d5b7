#!/usr/bin/env bash
# The per-chunk workloads of zarrio and zarrs with glibc's malloc at its
# dynamic defaults and with the thresholds fixed (the harness's HEAP=warm),
# as a markdown table on stdout.
#
#   bench/heap.sh [N] [REPS]     (after bench/run.sh N has made the datasets)
set -euo pipefail
N=${1:-512}
REPS=${2:-5}
HERE=$(cd "$(dirname "$0")" && pwd)
BIN=$HERE/target/release/zarrio-bench
DATA=${DATA:-/tmp/zarrio-bench-$N}
WARM=glibc.malloc.trim_threshold=4294967295:glibc.malloc.mmap_threshold=33554432:glibc.malloc.top_pad=67108864

median() { # impl workload dataset concurrency heap -> "median_s page_faults"
    local tunables=""
    [ "$5" = warm ] && tunables=$WARM
    local out
    out=$(env ${tunables:+GLIBC_TUNABLES=$tunables} perf stat -x, -e page-faults -o /tmp/zarrio-heap-stat \
        "$BIN" run --impl "$1" --workload "$2" --dataset "$3" --concurrency "$4" --dir "$DATA" --reps "$REPS" | tail -1)
    local faults
    faults=$(grep page-faults /tmp/zarrio-heap-stat | cut -d, -f1)
    python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print("%.4f %d" % (d["median_s"], int(sys.argv[2]) // (len(d["times"]) + 1)))' "$out" "$faults"
}

echo "| workload | dataset | impl | glibc defaults s | page faults per rep | fixed thresholds s | page faults per rep |"
echo "|---|---|---|---:|---:|---:|---:|"
for spec in "by_chunk small 1" "by_chunk small 2" "by_inner S 1" "by_inner S 2"; do
    set -- $spec
    for impl in zarrio zarrs; do
        read -r g gf < <(median "$impl" "$1" "$2" "$3" glibc)
        read -r w wf < <(median "$impl" "$1" "$2" "$3" warm)
        echo "| $1 c$3 | $2 | $impl | $g | $gf | $w | $wf |"
    done
done
