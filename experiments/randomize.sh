#!/usr/bin/env bash
# The randomisation test: with p = 1 (every training target random but
# fixed per frame), does training accuracy keep rising while dev accuracy
# stays at chance?
#
# Trains experiments/randomize.conf (runs/randomize: random labels) and a
# control made from it with the randomize probe removed (runs/randomize-
# control: the same 16 training utterances, true labels), then prints per
# epoch training accuracy (1 - train_fer of log.tsv: against the targets
# the network was trained on, i.e. the random ones in the randomised run)
# and dev accuracy (1 - dev_fer: the true labels) of both, and the
# held-out linear separability of dact2 on the dev probe set (linsep).
# Chance on dev: the share of the most frequent class (linsep's chance
# column, ~0.2 on the synthetic corpus whose most frequent class is
# silence), and 1/48 for uniformly random targets.
#
# Run from the top of the source tree after ./quickstart (needs
# synth-timit). sincprobe: $SINCPROBE, else on PATH, else
# build/src/sincprobe. Finished runs are kept (remove a run directory to
# train it anew); --report only prints. 2 x 20,480 training chunks:
# measured 2 x ~10 minutes on 2 cores shared with other jobs (load ~10);
# a few minutes in all on a quiet machine.
#
# Measured (seed 1234): training accuracy on the random targets 0.21,
# 0.44, 0.60, 0.75, 0.82, 0.88, 0.91, 0.91 over the 8 epochs while dev
# accuracy stayed at 0.019-0.027 (1/48 = 0.021); the control reached
# 0.99 / 0.35. linsep on dact2: 0.31 -> 0.22 (random, below the 0.236 of
# the most frequent class) against 0.47 -> 0.54 (control).
set -euo pipefail
cd "$(dirname "$0")/.."
report_only=0
[ "${1:-}" = --report ] && report_only=1
sp=${SINCPROBE:-}
if [ -z "$sp" ]; then
  if command -v sincprobe >/dev/null 2>&1; then sp=sincprobe
  elif [ -x build/src/sincprobe ]; then sp=build/src/sincprobe
  else echo "randomize.sh: no sincprobe (set SINCPROBE, put it on PATH or run ./quickstart)" >&2; exit 1
  fi
fi
rnd=runs/randomize ctl=runs/randomize-control
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
# The control: the same config without the [probe randomize] section.
awk '/^\[probe randomize\]/ {skip = 1; next} /^\[/ {skip = 0} !skip' experiments/randomize.conf |
  sed -e "s|^dir = \.\./runs/randomize$|dir = $PWD/$ctl|" -e "s|^corpus = \([^/].*\)$|corpus = $PWD/experiments/\1|" \
    >"$tmp/control.conf"

train() {   # CONF RUNDIR
  if [ -f "$2/checkpoints/last.ckpt" ]; then "$sp" train --resume "$2"
  else "$sp" train "$1"; fi
}
if [ "$report_only" = 0 ]; then
  echo "== train experiments/randomize.conf ($rnd)"; train experiments/randomize.conf "$rnd"
  echo "== train the control, true labels ($ctl)"; train "$tmp/control.conf" "$ctl"
fi

acc() {  # RUNDIR -> "epoch train_acc dev_acc"
  awk -F '\t' 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
               { printf "%d %.4f %.4f\n", $c["epoch"], 1 - $c["train_fer"], 1 - $c["dev_fer"] }' "$1/log.tsv"
}
lin() {  # RUNDIR -> "epoch accuracy chance" for dact2
  awk -F '\t' '$2 == "dact2" { printf "%d %.4f %.4f\n", $1, $6, $8 }' "$1/probes/linsep/linsep.tsv"
}
acc "$rnd" >"$tmp/a"; acc "$ctl" >"$tmp/b"; lin "$rnd" >"$tmp/c"; lin "$ctl" >"$tmp/d"
echo
echo "accuracy = 1 - FER; random: targets random (p = 1), control: true labels; lin = linsep held-out accuracy of dact2"
printf '%-6s %12s %12s %12s %12s %10s %10s %8s\n' epoch train_random dev_random train_ctrl dev_ctrl lin_random lin_ctrl chance
join "$tmp/a" "$tmp/b" | join - "$tmp/c" | join - "$tmp/d" |
  awk '{ printf "%-6s %12s %12s %12s %12s %10s %10s %8s\n", $1, $2, $3, $4, $5, $6, $8, $7 }'
echo "chance for random targets: 1/48 = 0.0208"
