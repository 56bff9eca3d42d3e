#!/usr/bin/env bash
# Matched and mismatched conditions: a clean model and a multi-condition
# model scored over an Aurora-style grid (PER per noise type and SNR, and
# its mean over 0-20 dB) with one `sincprobe robustness` command.
#
#   experiments/robustness.sh [--report] [--corpus DIR]
#
# The models (2), each the small preset with sinc_param = normalised (a
# first layer that learns) on the synthetic corpus, 10 epochs x 200 steps
# of 64 chunks, seed 1234:
#   clean   no noise;
#   multi   the noise probe on the training chunks only: white, pink or
#           babble noise (one drawn per chunk, equal odds) at an SNR drawn
#           uniformly from 0 to 20 dB;
#   multiclean  the same with a quarter of the chunks left clean
#           (type = clean,white,pink,babble), as multi-condition sets mix
#           clean speech in.
# The grid (21 conditions x 3 models, the core test split): clean, and
# white, pink, babble and two-band noise (1200-1600 + 1800-2100 Hz, a type
# the multi model never heard) at 20, 10, 5, 0 and -5 dB; every noisy cell
# is `sincprobe eval MODEL --no-probes --noise SPEC` with a fixed seed.
# Budget: about 5 minutes a model (3) and a few minutes for the grid on
# 2 idle cores. Resumable: trained models are kept, and robustness skips
# the cells already in runs/robustness/grid/robustness.tsv.
#
# It prints robustness's table and summary, the grid's wall time, and
# copies the figure to experiments/figures/robustness-per-snr.png.
#
# sincprobe is $SINCPROBE, else sincprobe on PATH, else build/src/sincprobe.
set -euo pipefail
cd "$(dirname "$0")/.."

report_only=0 corpus=synth-timit
while [ $# -gt 0 ]; do
  case $1 in
    --report) report_only=1 ;;
    --corpus) corpus=$2; shift ;;
    -h|--help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "robustness.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done

. experiments/lib.sh
find_sincprobe robustness.sh "$corpus"
corpus=$(abs_path "$corpus")

top=$PWD/runs/robustness
mkdir -p "$top/configs"

# config NAME -> path of the model's config
config() {
  local name=$1 f="$top/configs/$1.conf"
  {
    echo "# experiments/robustness.sh: $name"
    echo "[data]"
    echo "corpus = $corpus"
    echo "[model]"
    echo "preset = small"
    echo "sinc_param = normalised"
    echo "[train]"
    echo "epochs = 10"
    echo "steps_per_epoch = 200"
    echo "batch = 64"
    echo "threads = 2"
    echo "seed = 1234"
    echo "[run]"
    echo "dir = $top/$name"
    if [ "$name" != clean ]; then
      echo "[probe multi]"
      echo "use = noise"
      [ "$name" = multi ] && echo "type = white,pink,babble"
      [ "$name" = multiclean ] && echo "type = clean,white,pink,babble"
      echo "snr_db = 0:20"
      echo "apply_to = train"
    fi
  } >"$f"
  echo "$f"
}

train() {
  local name=$1 dir=$top/$1 conf
  conf=$(config "$name")
  if [ -f "$dir/log.tsv" ] && [ "$(awk 'NR > 1' "$dir/log.tsv" | wc -l)" -ge 10 ]; then
    echo "== $name: done, kept"
  elif [ -f "$dir/checkpoints/last.ckpt" ]; then
    echo "== $name: resuming"
    "$sp" train --resume "$dir" --quiet
  else
    echo "== $name: training ($conf)"
    "$sp" train "$conf" --quiet
  fi
}

if [ "$report_only" = 0 ]; then
  train clean
  train multi
  train multiclean
fi

start=$(date +%s)
"$sp" robustness "$top/clean" "$top/multi" "$top/multiclean" --split core \
  --conditions clean,white,pink,babble,band:1200-1600+1800-2100@20:10:5:0:-5 \
  --out "$top/grid"
echo "grid: $(( $(date +%s) - start )) s wall this time (cells already in robustness.tsv are not recomputed);" \
  "$(awk -F'\t' 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "seconds") c = i; next } { s += $c; n++ } END { printf "%d cells, %.1f s of evaluation in all", n, s }' "$top/grid/robustness.tsv")"
mkdir -p experiments/figures
cp "$top/grid/per-snr.png" experiments/figures/robustness-per-snr.png
