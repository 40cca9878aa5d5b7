#!/usr/bin/env bash
# Run the whole benchmark suite and write BENCHMARKS.md.
#
#   bench/run.sh [N]        N = edge size, a multiple of 256 (default 512;
#                           1024 for the full suite)
#
# Environment knobs:
#   DATA=/tmp/zarrio-bench-N  data dir (datasets written afresh every run)
#   REPS=3                    timed repetitions per process (after 1 warm-up;
#                             x3 for the floors)
#   PROCS=3                   processes per measurement: each cell is measured
#                             by PROCS fresh processes, interleaved with the
#                             other implementations', and reported as the
#                             median of their medians (on this kind of shared
#                             VM one process can run every repetition fast and
#                             the next every one slow)
#   BUDGET=4                  stop adding repetitions after this many timed
#                             seconds (at least 3 repetitions)
#   IMPLS="zarrio zarrs ..."  implementations to run (default: all)
#   DATASETS="U Z S small"    datasets to run
#   OUT=../BENCHMARKS.md      report path (relative to bench/)
#   QUIET_WAIT=60             seconds to wait for other users of the CPU to
#                             go quiet before each measurement
#   RETRIES=2                 measure again when others used > 0.3 cores
#                             during a measurement (the quietest is kept)
#   SETTLE=5 (N >= 1024; else 0)
#                             seconds to pause before each measuring process,
#                             so that the memory the one before freed has been
#                             handed back to the host (on a VM with free page
#                             reporting, a process started at once runs in
#                             whatever state that left: see BENCHMARKS.md,
#                             "This machine's memory")
#   SCRATCH=DATA/scratch      a directory of the run's own (deleted with all
#                             in it when the run ends) where round trips
#                             write their copies; they are truncated and
#                             kept until the run ends (ext4
#                             without a journal skips the inodes deleted in
#                             the minutes before one by one when it creates
#                             a file: BENCHMARKS.md, "Round-trip copies and
#                             the filesystem")
#   NO_REPORT=1               only collect results
#   KEEP_RESULTS=1            add to the results of an earlier run at this N
#                             (e.g. another IMPLS / DATASETS) instead of
#                             starting afresh
#   HEAP=warm                 warm: every measuring process (Rust and Python
#                             alike) runs with glibc's malloc thresholds fixed
#                             (no heap trimming, mmap above 32 MiB, and a 64 MiB
#                             top pad so that threads' arenas keep their extra
#                             heaps), so each repetition's destination buffers
#                             come from the same warm heap whatever the library
#                             freed before; glibc: glibc's dynamic defaults
#
# Each measuring process prints one JSON line; they go (tagged with this
# run's start) to bench/results/results-N.jsonl, then report.py writes the
# report.
set -uo pipefail

N=${1:-512}
HERE=$(cd "$(dirname "$0")" && pwd)
cd "$HERE"
DATA=${DATA:-/tmp/zarrio-bench-$N}
REPS=${REPS:-3}
PROCS=${PROCS:-3}
BUDGET=${BUDGET:-4}
DATASETS=${DATASETS:-"U Z S small"}
DEFAULT_SETTLE=0; [ "$N" -ge 1024 ] && DEFAULT_SETTLE=5
SETTLE=${SETTLE:-$DEFAULT_SETTLE}
SCRATCH=${SCRATCH:-$DATA/scratch}
ALL_IMPLS="zarrio zarrs zarrs_ffi tensorstore zarr zarr_fused zarrs_python"
IMPLS=${IMPLS:-$ALL_IMPLS}
OUT=${OUT:-../BENCHMARKS.md}
RESULTS=results/results-$N.jsonl
META=results/meta-$N.json
HEAP=${HEAP:-warm}
case "$HEAP" in
    warm) export GLIBC_TUNABLES=glibc.malloc.trim_threshold=4294967295:glibc.malloc.mmap_threshold=33554432:glibc.malloc.top_pad=67108864 ;;
    glibc) unset GLIBC_TUNABLES ;;
    *) echo "HEAP must be warm or glibc" >&2; exit 2 ;;
esac
COMMAND="bench/run.sh $N"
[ "$HEAP" != warm ] && COMMAND="HEAP=$HEAP $COMMAND"
[ "$REPS" != 3 ] && COMMAND="REPS=$REPS $COMMAND"
[ "$PROCS" != 3 ] && COMMAND="PROCS=$PROCS $COMMAND"
[ "$BUDGET" != 4 ] && COMMAND="BUDGET=$BUDGET $COMMAND"
[ "$IMPLS" != "$ALL_IMPLS" ] && COMMAND="IMPLS=\"$IMPLS\" $COMMAND"
[ "$DATASETS" != "U Z S small" ] && COMMAND="DATASETS=\"$DATASETS\" $COMMAND"
[ -n "${KEEP_RESULTS:-}" ] && COMMAND="KEEP_RESULTS=1 $COMMAND"
[ "$SETTLE" != "$DEFAULT_SETTLE" ] && COMMAND="SETTLE=$SETTLE $COMMAND"
ZARRIO_COMMIT=$(git -C .. rev-parse --short HEAD 2>/dev/null || echo "?")

log() { echo "[run.sh $(date +%H:%M:%S)] $*" >&2; }
T0=$(date +%s)
RUN_ID=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# ---- build (the bench crate's own target dir: bench/target)
log "building zarrio-bench (release)"
cargo build --release --quiet || { log "build failed"; exit 1; }
BIN=$HERE/target/release/zarrio-bench
FFI_OK=1
if [[ " $IMPLS " == *" zarrs_ffi "* ]]; then
    log "building zarrs_ffi (cdylib)"
    if ! cargo build --release --quiet -p zarrs_ffi || [ ! -f target/release/libzarrs_ffi.so ]; then
        log "zarrs_ffi did not build: skipping it"
        FFI_OK=0
    fi
fi

# ---- Python peers: a venv at bench/.venv from Python 3.12
PY=$HERE/.venv/bin/python
if [ ! -x "$PY" ] || ! "$PY" -c "import zarr, tensorstore, zarrs, numpy" 2>/dev/null; then
    BASEPY=${PYTHON:-}
    for c in "$HOME/.pyenv/versions/3.12.1/bin/python" python3.12 python3; do
        [ -n "$BASEPY" ] && break
        command -v "$c" >/dev/null 2>&1 && BASEPY=$c
    done
    log "creating bench/.venv with $BASEPY"
    "$BASEPY" -m venv .venv && "$PY" -m pip install -q --upgrade pip && "$PY" -m pip install -q -r requirements.txt \
        || log "venv setup failed: the Python peers will report errors"
fi

# ---- datasets
# Written afresh every run (a few seconds at N = 512, under a minute at
# 1024): the chunk files then sit in the page cache as writing them left
# them (in large folios, on kernels that hold files so), not in whatever
# pieces eviction and re-reading left from earlier runs, which makes
# copying them out up to twice as costly (BENCHMARKS.md, "Read-all U
# against the memcpy floor"). page_cache.py records the state at the start
# and the end of the run.
log "generating datasets at N=$N in $DATA"
"$BIN" generate --n "$N" --dir "$DATA" --force || { log "generate failed"; exit 1; }

# ---- machine and versions
mkdir -p results
"$PY" - "$META" "$N" "$COMMAND" "$DATA" "$SCRATCH" <<'EOF' || true
import json, os, platform, subprocess, sys, datetime
meta_path, n, command, data, scratch = sys.argv[1:6]
if os.environ.get("KEEP_RESULTS") and os.path.exists(meta_path):
    # Results of this run join an earlier one's: name both commands.
    command = json.load(open(meta_path)).get("command", "?") + "`, then `" + command
def sh(c):
    try:
        return subprocess.run(c, shell=True, capture_output=True, text=True).stdout.strip()
    except Exception:
        return ""
cpu = ""
for line in open("/proc/cpuinfo"):
    if line.startswith("model name"):
        cpu = line.split(":", 1)[1].strip(); break
mem = ""
for line in open("/proc/meminfo"):
    if line.startswith("MemTotal"):
        mem = f"{int(line.split()[1]) / 2**20:.1f} GiB"; break
vers = {}
import importlib.metadata as md
for mod in ["zarr", "tensorstore", "zarrs", "numpy"]:
    try:
        vers[mod] = md.version(mod)
    except Exception as e:
        vers[mod] = f"unavailable ({e})"
lock = open("Cargo.lock").read() if os.path.exists("Cargo.lock") else ""
def crate(name):
    import re
    m = re.search(r'name = "%s"\nversion = "([^"]+)"' % name, lock)
    return m.group(1) if m else "?"
thp = sh("cat /sys/kernel/mm/transparent_hugepage/enabled")
json.dump({
    "command": command, "n": int(n), "data": data,
    "scratch": scratch, "scratch_fs": sh(f"df -PT {scratch if os.path.isdir(scratch) else os.path.dirname(scratch)} | awk 'NR == 2 {{ print $2 }}'"),
    "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
    "nproc": os.cpu_count(), "cpu": cpu, "mem": mem, "kernel": platform.release(), "thp": thp,
    "zarrio_commit": sh("git -C .. rev-parse --short HEAD") + (" (dirty tree)" if sh("git -C .. status --porcelain -- ../src ../Cargo.toml") else ""),
    "rustc": sh("rustc --version"), "python": platform.python_version(),
    "crates": {"zarrs": crate("zarrs"), "zarrs_ffi": crate("zarrs_ffi"), "zstd": crate("zstd"), "zstd-sys": crate("zstd-sys")},
    "python_packages": vers,
    "load_before": sh("cat /proc/loadavg"),
    "heap": os.environ.get("GLIBC_TUNABLES", ""),
    "page_cache_start": json.loads(sh(f"{sys.executable} page_cache.py {data}") or "{}"),
}, open(meta_path, "w"), indent=1)
EOF

# ---- measurements
[ -z "${KEEP_RESULTS:-}" ] && : > "$RESULTS"

# CPU time used by others, in cores, over a short sample (nothing of ours runs then).
others_busy() {
    local a b
    a=($(head -1 /proc/stat)); sleep 0.3; b=($(head -1 /proc/stat))
    local idle=$(( (b[4] + b[5]) - (a[4] + a[5]) )) total=0 i
    for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
    [ $total -le 0 ] && { echo 0; return; }
    awk -v t=$total -v i=$idle -v n=$(nproc) 'BEGIN { printf "%.2f", (t - i) / t * n }'
}
# The machine is shared: wait (up to QUIET_WAIT seconds) until others use
# less than half a core, so that a measurement does not start in the middle
# of someone's build.
QUIET_WAIT=${QUIET_WAIT:-60}
wait_quiet() {
    local waited=0 busy
    while :; do
        busy=$(others_busy)
        awk -v b="$busy" 'BEGIN { exit !(b < 0.5) }' && break
        [ $waited -ge "$QUIET_WAIT" ] && break
        sleep 2; waited=$((waited + 2))
    done
    echo "$busy"
}

# Busy jiffies of the whole machine, and CPU centiseconds of our finished
# children (descendants included): their difference over a measurement is
# what others used meanwhile.
machine_busy() { local a; a=($(head -1 /proc/stat)); echo $(( a[1] + a[2] + a[3] + a[6] + a[7] + a[8] )); }
TIMES_FILE=$(mktemp)
# `times` must run in this shell (a pipe or $(...) would fork a subshell
# with its own, empty, child accounting).
# Sets CHILDREN_CS.
children_cs() { times > "$TIMES_FILE"; CHILDREN_CS=$(tail -1 "$TIMES_FILE" | awk '{ t = 0; for (k = 1; k <= 2; k++) { split($k, p, "m"); t += p[1] * 60 + p[2] } printf "%d", t * 100 }'); }
RETRIES=${RETRIES:-2}

# A round trip's copy is checked by the process that wrote it. It is then
# moved to $SCRATCH/.retired and its files truncated, not deleted: on ext4
# without a journal every file created skips the inodes deleted in the
# minutes before one by one (the harness retires copies between
# repetitions the same way). The run deletes them all at its end.
retire_copies() {
    local e t
    [ -d "$SCRATCH" ] || return 0
    mkdir -p "$SCRATCH/.retired"
    for e in "$SCRATCH"/*; do
        [ -e "$e" ] || continue
        t="$SCRATCH/.retired/$(basename "$e")-end-$$-$RANDOM$RANDOM"
        mv -- "$e" "$t" && find "$t" -type f -exec truncate -s 0 {} +
    done
}

measure_once() { # impl workload dataset concurrency [lib_threads] -> JSON line
    local impl=$1 w=$2 d=$3 c=$4 t=${5:-} line extra=()
    [ -n "$t" ] && extra=(--lib-threads "$t")
    case $impl in
        zarrio|zarrs|zarrs_ffi|floor|floor_io|memcpy|memcpy_malloc|memcpy_place)
            if [ "$impl" = zarrs_ffi ] && [ $FFI_OK = 0 ]; then
                line="{\"impl\":\"zarrs_ffi\",\"workload\":\"$w\",\"dataset\":\"$d\",\"concurrency\":$c,\"error\":\"skipped: zarrs_ffi did not build\"}"
            else
                # The floors are cheap: three times the repetitions.
                local reps=$REPS
                case $impl in floor*|memcpy*) reps=$((REPS * 3)) ;; esac
                line=$(timeout 900 "$BIN" run --impl "$impl" --workload "$w" --dataset "$d" --concurrency "$c" \
                    "${extra[@]}" --dir "$DATA" --scratch "$SCRATCH" --reps "$reps" --budget "$BUDGET" 2>/tmp/zarrio-bench-stderr | tail -1)
            fi ;;
        *)
            line=$(timeout 900 "$PY" peers.py run --impl "$impl" --workload "$w" --dataset "$d" --concurrency "$c" \
                --dir "$DATA" --scratch "$SCRATCH" --reps "$REPS" --budget "$BUDGET" 2>/tmp/zarrio-bench-stderr | tail -1) ;;
    esac
    retire_copies
    if [ -z "$line" ]; then
        local err
        err=$(tail -c 300 /tmp/zarrio-bench-stderr | tr '"\n\\' "'  ")
        line="{\"impl\":\"$impl\",\"workload\":\"$w\",\"dataset\":\"$d\",\"concurrency\":$c,\"lib_threads\":${t:-0},\"error\":\"no output (crash or timeout): $err\"}"
    fi
    echo "$line"
}

# Measure; when others used more than 0.3 cores on average meanwhile, try
# again (RETRIES times) and keep the quietest attempt.
run_one() { # impl workload dataset concurrency [lib_threads]
    local impl=$1 w=$2 d=$3 c=$4 t=${5:-} line busy attempt=0 b0 c0 t0 b1 c1 t1 during best="" best_during=99
    while :; do
        sleep "$SETTLE"
        busy=$(wait_quiet)
        b0=$(machine_busy); children_cs; c0=$CHILDREN_CS; t0=$(date +%s%N)
        line=$(measure_once "$impl" "$w" "$d" "$c" "$t")
        b1=$(machine_busy); children_cs; c1=$CHILDREN_CS; t1=$(date +%s%N)
        during=$(awk -v b=$((b1 - b0)) -v c=$((c1 - c0)) -v t=$((t1 - t0)) 'BEGIN { o = (b - c) / (t / 1e7); if (o < 0) o = 0; printf "%.2f", o }')
        if awk -v x="$during" -v y="$best_during" 'BEGIN { exit !(x < y) }'; then best=$line; best_during=$during; fi
        attempt=$((attempt + 1))
        awk -v x="$during" 'BEGIN { exit !(x > 0.3) }' || break
        [[ "$line" == *'"error"'* ]] && break
        [ $attempt -gt "$RETRIES" ] && break
        log "  others used $during cores during $impl $w $d c$c: measuring again"
    done
    "$PY" -c '
import json, sys
d = json.loads(sys.argv[1]); d["others_busy_cores"] = float(sys.argv[2]); d["others_busy_during"] = float(sys.argv[4]); d["run"] = sys.argv[5]
d["settle_s"] = float(sys.argv[6]); d["zarrio_commit"] = sys.argv[7]
open(sys.argv[3], "a").write(json.dumps(d) + "\n")
print("  %-13s %-9s %-5s c%s%s %s  (others: %.2f cores at start, %.2f during)" % (d["impl"], d["workload"], d["dataset"], d["concurrency"],
      (" threads %d" % d["lib_threads"]) if d.get("lib_threads") else "", ("%.4f s x%d" % (d["median_s"], len(d["times"]))) if "median_s" in d else "ERROR " + d.get("error", "")[:150], d["others_busy_cores"], d["others_busy_during"]))
' "$best" "$busy" "$RESULTS" "$best_during" "$RUN_ID" "$SETTLE" "$ZARRIO_COMMIT" >&2
}

ROTATE=0
for d in $DATASETS; do
  for p in $(seq "$PROCS"); do
    log "dataset $d: floor (process $p of $PROCS)"
    run_one floor read_all "$d" 1
    run_one floor read_all "$d" 2
    run_one floor roundtrip "$d" 2
    run_one floor_io read_all "$d" 2
    run_one memcpy_place read_all "$d" 2
    if [ "$d" = U ]; then
        run_one memcpy_malloc read_all U 1
        run_one memcpy_malloc read_all U 2
    else
        run_one memcpy read_all "$d" 2
    fi
  done
    for spec in "read_all 0" "by_chunk 1" "by_chunk 2" "by_inner 1" "by_inner 2" "roundtrip 0"; do
        set -- $spec
        w=$1 c=$2
        [ "$w" = by_inner ] && [ "$d" != S ] && continue
        # Interleave implementations so that load from other users of the
        # machine spreads over all of them, and start each round with the
        # next one in turn, so that none always runs first (straight after
        # the floors or another workload).
        impls=($IMPLS)
        for p in $(seq "$PROCS"); do
            log "dataset $d: $w c$c (process $p of $PROCS)"
            k=$((ROTATE % ${#impls[@]}))
            for impl in "${impls[@]:k}" "${impls[@]:0:k}"; do
                run_one "$impl" "$w" "$d" "$c"
            done
            ROTATE=$((ROTATE + 1))
        done
    done
    # zarrio with its library threads set to 1 and to 2, for every workload
    # that runs at the library's own parallelism.
    if [[ " $IMPLS " == *" zarrio "* ]]; then
        for spec in "read_all 0" "by_chunk 1" "by_inner 1" "roundtrip 0"; do
            set -- $spec
            w=$1 c=$2
            [ "$w" = by_inner ] && [ "$d" != S ] && continue
            for p in $(seq "$PROCS"); do
                log "dataset $d: $w c$c, zarrio with 1 and 2 threads (process $p of $PROCS)"
                run_one zarrio "$w" "$d" "$c" 1
                run_one zarrio "$w" "$d" "$c" 2
            done
        done
    fi
done
log "deleting the round trips' copies in $SCRATCH"
[ -n "$SCRATCH" ] && [ "$SCRATCH" != / ] && rm -rf -- "$SCRATCH"
rm -rf "$DATA/scratch" "$TIMES_FILE"

T1=$(date +%s)
log "measurements took $((T1 - T0)) s"
"$PY" - "$META" "$((T1 - T0))" "$DATA" <<'EOF' || true
import json, subprocess, sys
p = sys.argv[1]; m = json.load(open(p)); m["wall_s"] = int(sys.argv[2])
m["load_after"] = open("/proc/loadavg").read().strip()
out = subprocess.run([sys.executable, "page_cache.py", sys.argv[3]], capture_output=True, text=True).stdout
m["page_cache_end"] = json.loads(out or "{}")
json.dump(m, open(p, "w"), indent=1)
EOF
if [ -z "${NO_REPORT:-}" ]; then
    "$PY" report.py --results "$RESULTS" --meta "$META" --data "$DATA" --out "$OUT" && log "wrote $OUT"
fi
