#!/bin/sh
# run-bench.sh - sincprobe's bench_train and the PyTorch reference
# (../shared/bench/torch_sincnet.py) side by side, in one go, under the same
# environment (../shared/bench/torch-env: Debian's OpenMP OpenBLAS, jemalloc,
# OpenBLAS kernels for this CPU, 2 OpenMP threads), then a comparison table.
#
#   bench/run-bench.sh [-b BENCH_TRAIN] [-o OUTDIR] [-s STEPS] [-t THREADS] [-w SECONDS] [-q]
#
#   -b  the bench_train binary (default: bench/bench_train of the source
#       tree or of $BUILD, e.g. BUILD=/tmp/build-bench)
#   -o  where the logs go (default /tmp/sincprobe-bench-DATE)
#   -s  timed steps per measurement on our side (default 20, as the reference)
#   -t  threads of the reference (default 2, the published numbers; -t 1
#       compares single-threaded, which a busy 2-core machine disturbs less);
#       ours runs with 1 and 2 threads, or only THREADS when it is not 2
#   -w  first wait (at most SECONDS) until the machine has been idle for
#       20 s (other processes below 0.2 cores): on a shared machine a busy
#       core slows 2-thread OpenMP code of both sides 2-5x
#   -q  quick: skip the extra small-only reference run that measures the
#       reference's small-config peak RSS on its own
#
# Run from anywhere; paths are found from this script's location. Needs
# python3-torch and python3-numpy (Debian's; /usr/bin/python3) and GNU time.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
shared=${SHARED:-$(cd "$top/../shared" 2>/dev/null && pwd || echo "$top/../shared")}
torch_env=${TORCH_ENV:-$shared/bench/torch-env}
torch_ref=${TORCH_REF:-$shared/bench/torch_sincnet.py}
bench=
out=/tmp/sincprobe-bench-$(date +%Y%m%d-%H%M%S)
steps=20
quick=0
threads=2
wait_s=0
while getopts b:o:s:t:w:q opt; do
  case $opt in
    b) bench=$OPTARG ;;
    o) out=$OPTARG ;;
    s) steps=$OPTARG ;;
    t) threads=$OPTARG ;;
    w) wait_s=$OPTARG ;;
    q) quick=1 ;;
    *) sed -n '2,24p' "$0" >&2; exit 2 ;;
  esac
done
if [ -z "$bench" ]; then
  for b in "${BUILD:-/nonexistent}/bench/bench_train" "$top/bench/bench_train" /tmp/build-bench/bench/bench_train; do
    if [ -x "$b" ]; then bench=$b; break; fi
  done
fi
if [ -z "$bench" ] || [ ! -x "$bench" ]; then
  echo "run-bench.sh: no bench_train binary; build it with 'make bench' or pass -b" >&2
  exit 1
fi
for f in "$torch_env" "$torch_ref"; do
  [ -e "$f" ] || { echo "run-bench.sh: missing $f" >&2; exit 1; }
done
[ -x /usr/bin/time ] || { echo "run-bench.sh: GNU time (/usr/bin/time) is missing: apt-get install time" >&2; exit 1; }

mkdir -p "$out"
echo "run-bench.sh: logs in $out"

# busy CPU seconds (all CPUs) and idle seconds so far, in clock ticks
busy_idle() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat; }
if [ "$wait_s" -gt 0 ]; then
  start=$(date +%s)
  while :; do
    set -- $(busy_idle); b0=$1; i0=$2; sleep 20; set -- $(busy_idle)
    cores=$(awk -v b=$(($1 - b0)) -v i=$(($2 - i0)) -v n="$(nproc)" 'BEGIN{printf "%.2f", n*b/(b+i)}')
    if awk -v c="$cores" 'BEGIN{exit !(c < 0.2)}'; then
      echo "run-bench.sh: machine idle ($cores busy cores over 20 s)"
      break
    fi
    if [ $(( $(date +%s) - start )) -ge "$wait_s" ]; then
      echo "run-bench.sh: still $cores busy cores after ${wait_s}s; running anyway (see the foreign-core columns)" >&2
      break
    fi
  done
fi
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "uname: $(uname -a)"
  echo "bench_train: $bench"
  echo "loadavg at start: $(cat /proc/loadavg)"
  lscpu
} > "$out/machine.txt"

our_threads=1,2
[ "$threads" = 2 ] || our_threads=$threads
export OMP_NUM_THREADS=$threads   # torch-env's default is 2
timefmt='# /usr/bin/time: maxrss_kib=%M wall_s=%e user_s=%U sys_s=%S'

# 1. the reference, exactly as bench/README.md of the shared folder says
echo "run-bench.sh: PyTorch reference (big, small; $threads threads) ..."
/usr/bin/time -f "$timefmt" -o "$out/torch.time" \
  "$torch_env" /usr/bin/python3 "$torch_ref" --configs big,small --threads "$threads" --json "$out/torch.json" \
  > "$out/torch.txt" 2>&1 || { echo "run-bench.sh: the reference failed, see $out/torch.txt" >&2; exit 1; }

# 2. ours, straight after, same environment
echo "run-bench.sh: sincprobe bench_train (big, small; threads $our_threads) ..."
/usr/bin/time -f "$timefmt" -o "$out/sincprobe.time" \
  "$torch_env" "$bench" --configs big,small --threads "$our_threads" --steps "$steps" --json "$out/sincprobe.jsonl" \
  > "$out/sincprobe.txt" 2>&1 || { echo "run-bench.sh: bench_train failed, see $out/sincprobe.txt" >&2; exit 1; }

# 3. the reference's peak RSS for small alone (its big run dominates the first)
if [ "$quick" = 0 ]; then
  echo "run-bench.sh: PyTorch reference (small alone, for its peak RSS) ..."
  /usr/bin/time -f "$timefmt" -o "$out/torch-small.time" \
    "$torch_env" /usr/bin/python3 "$torch_ref" --configs small --threads "$threads" --no-gemm --json "$out/torch-small.json" \
    > "$out/torch-small.txt" 2>&1 || echo "run-bench.sh: the small-only reference run failed" >&2
fi
echo "loadavg at end: $(cat /proc/loadavg)" >> "$out/machine.txt"

# 4. the comparison
/usr/bin/python3 - "$out" > "$out/compare.md" <<'EOF'
import json, os, re, statistics, sys
out = sys.argv[1]

def maxrss_mib(name):
    try:
        m = re.search(r"maxrss_kib=(\d+)", open(os.path.join(out, name)).read())
        return int(m.group(1)) / 1024.0 if m else None
    except OSError:
        return None

ref = json.load(open(os.path.join(out, "torch.json")))
rss = {"big": maxrss_mib("torch.time"), "small": maxrss_mib("torch-small.time")}
ours, env = {}, {}
for line in open(os.path.join(out, "sincprobe.jsonl")):
    r = json.loads(line)
    if r["record"] == "env":
        env = r
    elif r["record"] == "summary":
        ours[(r["config"], r["threads"])] = r

def f(x, nd=1):
    return "-" if x is None else f"{x:.{nd}f}"

print(f"Reference: torch {ref['env'].get('torch')}, {ref['env'].get('threads')} threads, "
      f"OpenBLAS core {ref['env'].get('openblas_core')}, loadavg at start {' '.join(ref['env'].get('loadavg_at_start', []))}")
print(f"sincprobe: BLAS {env.get('blas_path')} ({env.get('blas_threading')}, core {env.get('blas_core')})")
print()
print("| model | side | threads | train ms/step | train ex/s | infer ms/batch 128 | infer ex/s | peak RSS MiB | "
      "foreign cores (train/infer) | CPU ms/step (train/infer) |")
print("|---|---|---|---|---|---|---|---|---|---|")
for cfg in ("big", "small"):
    rc = ref["configs"].get(cfg)
    if rc:
        fa = lambda att: max((a["foreign_cores"] for a in att if a["accepted"]), default=0)
        cpu = lambda att: 1e3 * statistics.median([a["own_cores"] * a["s_per_unit"] for a in att if a["accepted"]])
        print(f"| {cfg} | PyTorch | {ref['args']['threads']} | {f(rc['train_ms_per_step'])} | "
              f"{f(rc['train_examples_per_s'])} | {f(rc['infer_ms_per_batch'])} | {f(rc['infer_examples_per_s'])} | "
              f"{f(rss.get(cfg), 0)} | {f(fa(rc['train_attempts']), 2)}/{f(fa(rc['infer_attempts']), 2)} (max) | "
              f"{f(cpu(rc['train_attempts']), 0)}/{f(cpu(rc['infer_attempts']), 0)} |")
    for (c, t), r in sorted(ours.items()):
        if c != cfg:
            continue
        print(f"| {cfg} | sincprobe | {t} | {f(r['train_ms_per_step'])} | {f(r['train_examples_per_s'])} | "
              f"{f(r['infer_ms_per_batch'])} | {f(r['infer_examples_per_s'])} | {f(r['peak_rss_mib'], 0)} | "
              f"{f(r['train_foreign_cores'], 2)}/{f(r['infer_foreign_cores'], 2)} (mean) | "
              f"{f(r.get('train_cpu_ms_per_step'), 0)}/{f(r.get('infer_cpu_ms_per_batch'), 0)} |")
print()
print("Ratios sincprobe / PyTorch (higher is better for us; targets: train >= 1.5, infer >= 2.5 since issue 10):")
print()
print("| model | ours (threads) vs PyTorch (threads) | train | infer |")
print("|---|---|---|---|")
for (c, t), r in sorted(ours.items()):
    rc = ref["configs"].get(c)
    if not rc:
        continue
    print(f"| {c} | {t} vs {ref['args']['threads']} | {r['train_examples_per_s'] / rc['train_examples_per_s']:.2f} | "
          f"{r['infer_examples_per_s'] / rc['infer_examples_per_s']:.2f} |")
EOF
cat "$out/compare.md"
