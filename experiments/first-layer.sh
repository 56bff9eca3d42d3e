#!/usr/bin/env bash
# How the sinc layer's parameterisation and learning rate change what it
# learns: the measurement behind the presets' [model] sinc_param and
# [optim] first_layer_lr_scale defaults (README, "Choosing the first
# layer's defaults").
#
#   experiments/first-layer.sh [--report] [--only LIST] [--corpus DIR] [--seed N]
#
# The runs (4), each the quick start's training (small preset on the
# synthetic corpus, 8 epochs x 200 steps of 64 chunks, RMSprop lr 1e-3,
# seed 1234, 2 threads) with only the afr probe, differing in
#   hz-1           sinc_param = hz,          first_layer_lr_scale = 1
#   hz-100         sinc_param = hz,          first_layer_lr_scale = 100
#   normalised-1   sinc_param = normalised,  first_layer_lr_scale = 1
#   normalised-10  sinc_param = normalised,  first_layer_lr_scale = 10
# Budget: about 4-5 minutes a run on 2 idle cores, 20 minutes in all.
# Resumable: a finished run is kept (remove runs/first-layer/NAME to train
# it anew). --only takes a comma list of run names. --seed N (default 1234)
# repeats them with another seed, in runs/first-layer/NAME-sN, to see how
# much of a difference is the seed's.
#
# It prints one row per run: dev FER at epochs 1, 4 and 8 and the best,
# the last epoch's train loss, how far the filters' centres and bands moved
# since initialisation (mean and max |change|, Hz: afr's movement.tsv, last
# epoch) and the training time.
#
# sincprobe is $SINCPROBE, else sincprobe on PATH, else build/src/sincprobe.
set -euo pipefail
cd "$(dirname "$0")/.."

report_only=0 only="" corpus=synth-timit seed=1234
while [ $# -gt 0 ]; do
  case $1 in
    --report) report_only=1 ;;
    --only) only=$2; shift ;;
    --corpus) corpus=$2; shift ;;
    --seed) seed=$2; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "first-layer.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done

. experiments/lib.sh
find_sincprobe first-layer.sh "$corpus"
corpus=$(abs_path "$corpus")

top=$PWD/runs/first-layer
runs=(hz-1 hz-100 normalised-1 normalised-10)
suffix=""
[ "$seed" = 1234 ] || suffix=-s$seed
mkdir -p "$top/configs"

# config NAME -> path of the run's config (NAME = PARAM-SCALE)
config() {
  local name=$1 f="$top/configs/$1$suffix.conf"
  cat >"$f" <<EOF
# experiments/first-layer.sh: $name
[data]
corpus = $corpus
[model]
preset = small
sinc_param = ${name%-*}
[optim]
first_layer_lr_scale = ${name##*-}
[train]
epochs = 8
steps_per_epoch = 200
batch = 64
threads = 2
seed = $seed
[run]
dir = $top/$name$suffix
[probe afr]
use = afr
normalise = peak
EOF
  echo "$f"
}

wanted() { [ -z "$only" ] || [[ ",$only," == *",$1,"* ]]; }

if [ "$report_only" = 0 ]; then
  for name in "${runs[@]}"; do
    wanted "$name" || continue
    dir=$top/$name$suffix
    conf=$(config "$name")
    if [ -f "$dir/log.tsv" ] && [ "$(awk 'NR > 1' "$dir/log.tsv" | wc -l)" -ge 8 ]; then
      echo "== $name: done, kept"
    elif [ -f "$dir/checkpoints/last.ckpt" ]; then
      echo "== $name: resuming"
      "$sp" train --resume "$dir" --quiet
    else
      echo "== $name: training ($conf)"
      start=$(date +%s)
      "$sp" train "$conf" --quiet
      echo "$(( $(date +%s) - start ))" >"$dir/seconds"
    fi
  done
fi

# col FILE NAME -> the column NAME of a TSV with a header, one value a line
col() { awk -F'\t' -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next } c { print $c }' "$1"; }

printf '\nrun\tFER e1\tFER e4\tFER e8\tbest FER\ttrain loss e8\tcentre moved mean/max Hz\tband moved mean/max Hz\tseconds\n'
for name in "${runs[@]}"; do
  dir=$top/$name$suffix
  [ -f "$dir/log.tsv" ] || continue
  mapfile -t fer < <(col "$dir/log.tsv" dev_fer)
  mapfile -t loss < <(col "$dir/log.tsv" train_loss)
  mv=$dir/probes/afr/movement.tsv
  cm=$(col "$mv" d0_centre_mean | tail -1) cx=$(col "$mv" d0_centre_max | tail -1)
  bm=$(col "$mv" d0_band_mean | tail -1) bx=$(col "$mv" d0_band_max | tail -1)
  best=$(printf '%s\n' "${fer[@]}" | sort -g | head -1)
  printf '%s\t%.3f\t%.3f\t%.3f\t%.3f\t%.3f\t%.1f / %.1f\t%.1f / %.1f\t%s\n' "$name$suffix" \
    "${fer[0]}" "${fer[3]:-nan}" "${fer[7]:-nan}" "$best" "${loss[${#loss[@]}-1]}" \
    "$cm" "$cx" "$bm" "$bx" "$(cat "$dir/seconds" 2>/dev/null || echo -)"
done
