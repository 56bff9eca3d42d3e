#!/bin/sh
# mpi-scaling.sh - the 1 -> 2 rank scaling of data-parallel training on this
# machine, 1 thread per rank: bench_mpi (one training step as `mpirun -np N
# sincprobe train` makes it, [train] shards = 0) under mpirun on 1 rank and
# on 2 ranks in turn, REPS times, alternating which goes first, so that a
# load that comes and goes on a shared machine falls on both; the load
# average is recorded before every measurement. Then a table: per preset,
# the median step time on 1 and 2 ranks, the speedup (1-rank step time /
# 2-rank step time of the same repetition, the same global batch: the
# median over the repetitions and their range), the parallel efficiency
# (speedup / 2) and the bytes each rank sends per step.
#
#   bench/mpi-scaling.sh [-b BENCH_MPI] [-c CONFIGS] [-o OUTDIR] [-r REPS] [-s STEPS] [-O]
#
#   -b  the bench_mpi binary (default: bench/bench_mpi of $BUILD, e.g.
#       BUILD=/tmp/build-bench, or of the source tree; `make bench` builds it)
#   -c  presets (default small,sincnet)
#   -o  where the logs go (default /tmp/sincprobe-mpi-scaling-DATE)
#   -r  repetitions of the pair (default 3)
#   -s  timed steps per measurement (default 8, after 2 warm-up steps)
#   -O  bench_mpi --overlap: the exchange during the backward pass
#       ([train] overlap = yes)
#
# One thread per rank: OPENBLAS_NUM_THREADS=1, OMP_NUM_THREADS=1 and
# bench_mpi --threads 1 (sp_set_threads, what [train] threads sets).
# Ranks are not bound to cores (--bind-to none): on a shared machine the
# kernel may then move a rank off a busy core. As root it sets
# OMPI_ALLOW_RUN_AS_ROOT and OMPI_ALLOW_RUN_AS_ROOT_CONFIRM.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
bench=
configs=small,sincnet
out=/tmp/sincprobe-mpi-scaling-$(date +%Y%m%d-%H%M%S)
reps=3
steps=8
overlap=
while getopts b:c:o:r:s:O opt; do
  case $opt in
    b) bench=$OPTARG ;;
    c) configs=$OPTARG ;;
    o) out=$OPTARG ;;
    r) reps=$OPTARG ;;
    s) steps=$OPTARG ;;
    O) overlap=--overlap ;;
    *) sed -n '2,29p' "$0" >&2; exit 2 ;;
  esac
done
if [ -z "$bench" ]; then
  for b in "${BUILD:-/nonexistent}/bench/bench_mpi" "$here/bench_mpi" /tmp/build-bench/bench/bench_mpi; do
    if [ -x "$b" ]; then bench=$b; break; fi
  done
fi
[ -n "$bench" ] && [ -x "$bench" ] ||
  { echo "mpi-scaling.sh: no bench_mpi binary; build it with 'make bench' in a build configured with MPI, or pass -b" >&2; exit 1; }
command -v mpirun >/dev/null || { echo "mpi-scaling.sh: no mpirun (apt-get install openmpi-bin)" >&2; exit 1; }
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
cpus=$(getconf _NPROCESSORS_ONLN)
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

mkdir -p "$out"
{
  echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo "uname: $(uname -a)"
  echo "mpirun: $(mpirun --version 2>/dev/null | head -1)"
  echo "bench_mpi: $bench --configs $configs --steps $steps --threads 1 $overlap, $reps repetitions"
  echo "uptime at start: $(uptime)"
  lscpu
} > "$out/machine.txt"
echo "mpi-scaling.sh: logs in $out; $(grep -m1 'Model name' "$out/machine.txt" | sed 's/  */ /g'), $cpus CPUs"

# run N REP: one measurement; its rows, with the repetition and the load
# average before it, appended to runs.tsv
run() {
  load=$(cut -d' ' -f1 /proc/loadavg)
  mpirun --oversubscribe --bind-to none -np "$1" "$bench" --configs "$configs" --steps "$steps" --threads 1 $overlap \
    > "$out/rep$2-np$1.txt" 2>&1 || { echo "mpi-scaling.sh: bench_mpi on $1 ranks failed, see $out/rep$2-np$1.txt" >&2; exit 1; }
  grep -v '^config' "$out/rep$2-np$1.txt" | sed "s/^/$2	$load	/" >> "$out/runs.tsv"
  echo "mpi-scaling.sh: repetition $2, $1 rank(s), load $load before: $(grep -v '^config' "$out/rep$2-np$1.txt" | cut -f1,7 | tr '\t\n' '= ' )ms/step"
}
printf 'rep\tload1_before\tconfig\tranks\tbatch\tshard\tnparams\tnstate\tstep_ms\tcompute_ms\treduce_ms\tupdate_ms\tex_per_s\tbytes_per_step_by_rank\n' > "$out/runs.tsv"
i=1
while [ "$i" -le "$reps" ]; do
  if [ $((i % 2)) = 1 ]; then run 1 "$i"; run 2 "$i"; else run 2 "$i"; run 1 "$i"; fi
  i=$((i + 1))
done
echo "uptime at end: $(uptime)" >> "$out/machine.txt"

# the table: per preset, medians over the repetitions; the speedup of each
# repetition pairs its own 1-rank and 2-rank measurements
awk -F'\t' -v reps="$reps" '
function med(a, n,   i, j, t) {
  for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
  return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
NR > 1 {
  c = $3; if (!(c in seen)) { seen[c] = 1; order[++nc] = c }
  st[c, $4, $1] = $9; co[c, $4, $1] = $10; re[c, $4, $1] = $11; by[c, $4] = $14; np[c] = $7
  ld[$1, $4] = $2
}
END {
  printf "| preset | params | ranks | step ms (median) | compute ms | reduce ms | speedup 1 -> 2 (median, range) | efficiency | bytes sent per step per rank |\n"
  printf "|---|---|---|---|---|---|---|---|---|\n"
  for (k = 1; k <= nc; k++) {
    c = order[k]
    for (n = 1; n <= 2; n++) {
      for (r = 1; r <= reps; r++) { a[r] = st[c, n, r]; b[r] = co[c, n, r]; d[r] = re[c, n, r] }
      s[n] = med(a, reps); cm[n] = med(b, reps); rm[n] = med(d, reps)
    }
    lo = 1e9; hi = 0
    for (r = 1; r <= reps; r++) { x = st[c, 1, r] / st[c, 2, r]; sp[r] = x; if (x < lo) lo = x; if (x > hi) hi = x }
    m = med(sp, reps)
    printf "| %s | %s | 1 | %.1f | %.1f | %.1f | | | %s |\n", c, np[c], s[1], cm[1], rm[1], by[c, 1]
    printf "| %s | %s | 2 | %.1f | %.1f | %.1f | %.2f (%.2f-%.2f) | %.0f%% | %s |\n", c, np[c], s[2], cm[2], rm[2], m, lo, hi, 50 * m, by[c, 2]
  }
  printf "\nload average (1 min) before each measurement:"
  for (r = 1; r <= reps; r++) printf " rep %d: %s (1 rank), %s (2 ranks);", r, ld[r, 1], ld[r, 2]
  printf "\n"
}' "$out/runs.tsv" > "$out/table.md"
cat "$out/table.md"
grep -m1 'Model name' "$out/machine.txt"
grep 'uptime' "$out/machine.txt"
