#!/bin/sh
# ladspa-sox.sh - the speed of the exported filterbank plugins in sox:
# 60 s of 16 kHz audio (white noise, float32) through NAME_bank, on each
# convolution path of the sincprobe LADSPA library (auto, direct, FFT;
# SINCPROBE_LADSPA_CONV), as times real time. The model is an untrained
# `sincnet` preset (80 filters x 251 taps: speed does not depend on what
# the filters learned) unless MODEL is given. sox's own cost (reading and
# writing the same audio with no effect) is measured alongside and
# subtracted for the "plugin" column; every figure is the median of RUNS
# runs (default 9), all in one process tree, one after the other.
#
# Usage, from a build tree (where src/sincprobe and plugins/ladspa/ are):
#   sh SRCDIR/bench/ladspa-sox.sh [MODEL]
# Environment: SINCPROBE (default ./src/sincprobe), LADSPA_LIBDIR
# (default ./plugins/ladspa/.libs), SINCPROBE_DATA_DIR (the corpora
# directory; default SRCDIR/corpora), RUNS, LABEL (default NAME_bank).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
SINCPROBE=${SINCPROBE:-./src/sincprobe}
LADSPA_LIBDIR=${LADSPA_LIBDIR:-./plugins/ladspa/.libs}
: "${SINCPROBE_DATA_DIR:=$here/../corpora}"
RUNS=${RUNS:-9}
export SINCPROBE_DATA_DIR
[ -x "$SINCPROBE" ] || { echo "ladspa-sox.sh: no $SINCPROBE (run from a build tree, or set SINCPROBE)" >&2; exit 1; }
[ -f "$LADSPA_LIBDIR/sincprobe.so" ] || { echo "ladspa-sox.sh: no $LADSPA_LIBDIR/sincprobe.so" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/ladspa-sox-XXXXXX")
trap 'rm -rf "$work"' EXIT
export LADSPA_PATH=$LADSPA_LIBDIR SINCPROBE_LADSPA_PATH=$work/fb XDG_DATA_HOME=$work/xdg
mkdir -p "$work/fb"

model=${1:-}
if [ -z "$model" ]; then
  "$SINCPROBE" corpus synth --out "$work/corpus" --speakers 3 --test-speakers 2 --sentences 2 --seed 7 \
    --jobs 2 >/dev/null 2>&1
  cat >"$work/sincnet.conf" <<CONF
[data]
corpus = $work/corpus
dev_utterances = 2
[model]
preset = sincnet
[train]
epochs = 1
steps_per_epoch = 1
batch = 8
threads = 2
[run]
dir = $work/sincnet
CONF
  "$SINCPROBE" train "$work/sincnet.conf" --quiet >/dev/null 2>&1
  model=$work/sincnet
fi
"$SINCPROBE" export-ladspa "$model" --name bench --out "$work/fb/bench.spfb" >"$work/export.txt"
label=${LABEL:-bench_bank}
sed -n 1p "$work/export.txt"

sox -n -r 16000 -c 1 -t f32 "$work/in.raw" synth 60 whitenoise vol 0.3
seconds=60

# the median of RUNS wall times (s) of: sox IN OUT [effect...]
timed() {
  i=0
  while [ $i -lt "$RUNS" ]; do
    t0=$(date +%s%N)
    sox -t f32 -r 16000 -c 1 "$work/in.raw" -t f32 /dev/null "$@"
    t1=$(date +%s%N)
    echo $(((t1 - t0) / 1000))
    i=$((i + 1))
  done | sort -n | awk '{ v[NR] = $1 } END { printf "%.4f", v[int((NR + 1) / 2)] / 1e6 }'
}

base=$(timed)
echo "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "60 s of 16 kHz audio through $label; sox alone (read + write): $base s"
printf '%-8s %-8s %10s %12s %14s\n' path latency "time (s)" "x real time" "plugin only"
for path in auto direct fft; do
  if [ $path = auto ]; then unset SINCPROBE_LADSPA_CONV; else export SINCPROBE_LADSPA_CONV=$path; fi
  t=$(timed ladspa -l sincprobe "$label")
  lat=$(sox -V4 -t f32 -r 16000 -c 1 "$work/in.raw" -t f32 /dev/null trim 0 0.1 ladspa -l sincprobe "$label" 2>&1 |
    sed -n 's/.*latency detected is \([0-9.]*\).*/\1/p' | head -1)
  awk -v p=$path -v l="${lat:-?}" -v t="$t" -v b="$base" -v s=$seconds 'BEGIN {
    d = t - b; printf "%-8s %-8s %10.4f %12.0f %14s\n", p, l, t, s / t, (d > 0 ? sprintf("%.0f", s / d) : "n/a") }'
done
