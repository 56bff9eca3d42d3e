#!/bin/sh
# ladspa-probe.sh - what the `ladspa` probe costs a training step: the
# quick start's model (small preset, batch 64, 2 threads) trained for
# STEPS steps without a probe and with swh's GSM simulator and
# tap-plugins' reverberator, scope utterance (each utterance processed
# once, then cached) and scope chunk (every chunk of every step through a
# fresh instance), each run twice, alternating, and the mean ms per step
# of each (log.tsv's seconds, which exclude loading the corpus), with the
# thread CPU time the probe itself spent per batch (its closing log line:
# on a shared machine the steady measure).
#
#   bench/ladspa-probe.sh [-s STEPS] [-c CORPUS] [-o OUTDIR]
#
# sincprobe is $SINCPROBE, else src/sincprobe of $BUILD or of the tree.
# Not part of make check.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
steps=200 corpus=$top/synth-timit out=/tmp/sincprobe-ladspa-probe-$(date +%Y%m%d-%H%M%S)
while [ $# -gt 0 ]; do
  case $1 in
  -s) steps=$2; shift 2 ;;
  -c) corpus=$2; shift 2 ;;
  -o) out=$2; shift 2 ;;
  *) echo "usage: ladspa-probe.sh [-s STEPS] [-c CORPUS] [-o OUTDIR]" >&2; exit 2 ;;
  esac
done
sp=${SINCPROBE:-${BUILD:-$top}/src/sincprobe}
[ -x "$sp" ] || { echo "ladspa-probe.sh: no sincprobe at $sp" >&2; exit 1; }
[ -d "$corpus/TRAIN" ] || { echo "ladspa-probe.sh: no corpus at $corpus (-c DIR)" >&2; exit 1; }
mkdir -p "$out"

run() { # NAME REP [probe section]
  d=$out/$1-$2
  { printf '[data]\ncorpus = %s\ndev_utterances = 8\n[model]\npreset = small\n' "$corpus"
    printf '[train]\nepochs = 1\nsteps_per_epoch = %s\nbatch = 64\nthreads = 2\nseed = 1234\n[run]\ndir = %s\n' "$steps" "$d"
    [ $# -lt 3 ] || printf '%b\n' "$3"; } >"$d.conf"
  "$sp" train "$d.conf" --quiet >/dev/null 2>"$d.err" || { cat "$d.err" >&2; exit 1; }
  cpu=$(sed -n 's/.*; \([0-9.]*\) ms of CPU per batch over \([0-9]*\) batches.*/\1 ms per batch (\2 batches)/p' \
    "$d/probes/log.txt" 2>/dev/null | head -1)
  awk -F'\t' -v n="$1" -v s="$steps" -v cpu="${cpu:--}" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") c = i }
    NR == 2 { printf "%-16s %8.1f ms per step   probe CPU: %s\n", n, 1000 * $c / s, cpu }' "$d/log.tsv"
}

gsm='[probe fx]\nuse = ladspa\nplugin = gsm_1215'
rev='[probe fx]\nuse = ladspa\nplugin = tap_reverb\ncontrols = Decay [ms]=2500, Wet Level [dB]=-6'
{
  echo "# bench/ladspa-probe.sh -s $steps, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "# CPU: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores; load: $(cut -d' ' -f1-3 /proc/loadavg)"
  for rep in 1 2; do
    run none $rep
    run gsm-utterance $rep "$gsm"
    run gsm-chunk $rep "$gsm\nscope = chunk"
    run reverb-utterance $rep "$rev"
    run reverb-chunk $rep "$rev\nscope = chunk"
  done
  echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$out/ladspa-probe.txt"
