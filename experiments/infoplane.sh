#!/usr/bin/env bash
# The seed's study: tanh vs relu on the information plane. Does a
# saturating activation (tanh) show the "compression phase" of
# Shwartz-Ziv & Tishby (I(X;T) rising, then falling late in training)
# where a non-saturating one (relu) does not, as Saxe et al. (2018)
# argue, and does the answer depend on the estimator?
#
# Trains experiments/infoplane-tanh.conf (runs/infoplane-tanh) and
# experiments/infoplane-relu.conf (runs/infoplane-relu): the same small
# SincNet with a 64-32-16-8 dense head, differing only in the hidden
# activation, each with the mi probe (probes/mi/mi.tsv: I(X;T), I(T;Y) in
# bits of dact1..dact4 and out, by fixed and adaptive binning and the KDE
# bounds, at 12 log-spaced steps and every epoch's end). Then prints, per
# run, layer and estimator:
#
#   first   I(X;T) and I(T;Y) at the first measurement (step 1)
#   peak    the largest I(X;T) and its step
#   last    I(X;T) and I(T;Y) at the last epoch's end
#   compr   peak - last I(X;T): > 0 means I(X;T) fell after its peak
#           ("compression"); about 0 means none
#   sat     how many of the run's measurements sat at the binning ceiling
#           log2 N (every probe frame its own pattern)
#
# and the dev FER of both runs at the end.
#
# Run it from the top of the source tree after ./quickstart (it needs the
# corpus synth-timit there). sincprobe is $SINCPROBE if set, else
# sincprobe from PATH, else build/src/sincprobe, with the probes of
# $SINCPROBE_PLUGIN_PATH (else build/plugins/.libs when it has mi.so). A
# finished run is not trained again (remove its directory to train it
# anew); an interrupted one is resumed. --report only prints the table.
set -euo pipefail
cd "$(dirname "$0")/.."

report_only=0
[ "${1:-}" = --report ] && report_only=1

sp=${SINCPROBE:-}
if [ -z "$sp" ]; then
  if command -v sincprobe >/dev/null 2>&1; then sp=sincprobe
  elif [ -x build/src/sincprobe ]; then sp=build/src/sincprobe
  else echo "infoplane.sh: no sincprobe (set SINCPROBE, put it on PATH or run ./quickstart)" >&2; exit 1
  fi
fi
if [ -z "${SINCPROBE_PLUGIN_PATH:-}" ] && [ -f build/plugins/.libs/mi.so ] && [ "$sp" = build/src/sincprobe ]; then
  export SINCPROBE_PLUGIN_PATH=build/plugins/.libs
fi

train() {   # CONF RUNDIR
  if [ -f "$2/checkpoints/last.ckpt" ]; then
    echo "== $1: resuming or keeping $2"
    "$sp" train --resume "$2"
  else
    echo "== train $1 (run directory $2)"
    "$sp" train "$1"
  fi
}

runs="tanh relu"
if [ "$report_only" = 0 ]; then
  for a in $runs; do train "experiments/infoplane-$a.conf" "runs/infoplane-$a"; done
fi

echo
echo "Information plane, bits (N probe frames: log2 N is the ceiling)"
printf '%-5s %-6s %-10s %15s %17s %15s %7s %4s\n' act layer estimator "first xt/ty" "peak xt (step)" "last xt/ty" compr sat
for a in $runs; do
  t="runs/infoplane-$a/probes/mi/mi.tsv"
  [ -f "$t" ] || { echo "infoplane.sh: no $t" >&2; exit 1; }
  awk -F'\t' -v act="$a" '
    NR == 1 { next }
    {
      k = $3 "\t" $4
      if (!(k in first)) { order[++n] = k; fx[k] = $6; fy[k] = $7; px[k] = -1 }
      if ($6 > px[k] + 1e-9) { px[k] = $6; ps[k] = $2 }
      lx[k] = $6; ly[k] = $7
      if ($4 !~ /^kde/ && $6 >= log($9) / log(2) - 1e-9) sat[k]++
      first[k] = 1
    }
    END {
      for (i = 1; i <= n; i++) {
        k = order[i]; split(k, p, "\t")
        printf "%-5s %-6s %-10s %7.3f/%7.3f %9.3f (%5d) %7.3f/%7.3f %7.3f %4d\n", act, p[1], p[2],
               fx[k], fy[k], px[k], ps[k], lx[k], ly[k], px[k] - lx[k], sat[k] + 0
      }
    }' "$t"
done
echo
for a in $runs; do
  l="runs/infoplane-$a/log.tsv"
  if [ -f "$l" ]; then
    awk -F'\t' -v act="$a" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
      { last = $0 } END { split(last, f, "\t"); printf "%s: dev FER at the last epoch %s\n", act, f[c["dev_fer"]] }' "$l"
  fi
done
