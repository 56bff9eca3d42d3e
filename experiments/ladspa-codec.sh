#!/usr/bin/env bash
# Train on clean speech, test through real LADSPA effects; then train with
# the codec in the pipeline. Two models, one `sincprobe robustness` grid.
#
#   experiments/ladspa-codec.sh [--report] [--corpus DIR]
#
# The models, each the quick start's (small preset, sinc_param =
# normalised, 8 epochs x 200 steps of 64 chunks, seed 1234) on the
# synthetic corpus:
#   clean  runs/quickstart (./quickstart trains it; trained here when absent,
#          without the analysis probes);
#   codec  the same with a `ladspa` probe on the training audio: swh's GSM
#          simulator (gsm_1215, 1 pass, no bit errors) on half of the
#          training utterances (fraction = 0.5, scope utterance).
# The grid (the core test split): clean; the GSM simulator (1 and 2
# passes); tap-plugins' reverberator (2.5 s decay, wet -6 dB: an effect
# neither model heard); swh's amp at -20 dB (a level change: a check that
# the input layer norm makes the models deaf to gain); each cell is
# `sincprobe eval MODEL --no-probes --ladspa SPEC`.
# Needs swh-plugins and tap-plugins (tools/install-deps installs them).
#
# sincprobe is $SINCPROBE, else sincprobe on PATH, else build/src/sincprobe.
set -euo pipefail
cd "$(dirname "$0")/.."
. experiments/lib.sh

report_only=0 corpus=synth-timit
while [ $# -gt 0 ]; do
  case $1 in
    --report) report_only=1 ;;
    --corpus) corpus=$2; shift ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "ladspa-codec.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
find_sincprobe ladspa-codec.sh "$corpus"

model_conf() { # NAME [probe section]
  cat <<CONF
[data]
corpus = $(abs_path "$corpus")
[model]
preset = small
[train]
epochs = 8
steps_per_epoch = 200
batch = 64
threads = 2
seed = 1234
[run]
dir = $PWD/runs/$1
CONF
  [ $# -lt 2 ] || printf '%b\n' "$2"
}

train() { # NAME [probe section]
  [ -f "runs/$1/checkpoints/best.ckpt" ] && [ "$(tail -1 "runs/$1/log.tsv" | cut -f1)" = 8 ] && return 0
  [ "$report_only" = 1 ] && { echo "ladspa-codec.sh: runs/$1 is not trained" >&2; exit 1; }
  model_conf "$@" >"runs/$1.conf"
  "$sp" train "runs/$1.conf" --quiet
}

mkdir -p runs
t0=$(date +%s)
train quickstart
train ladspa-codec '[probe codec]\nuse = ladspa\nplugin = gsm_1215\nlabel = gsm\nfraction = 0.5\napply_to = train\nscope = utterance'
t1=$(date +%s)

"$sp" robustness runs/quickstart runs/ladspa-codec --split core --out runs/ladspa-grid \
  --conditions clean \
  --condition 'probe=ladspa,plugin=gsm_1215' \
  --condition 'probe=ladspa,plugin=gsm_1215,controls=Number of passes=2' \
  --condition 'probe=ladspa,plugin=tap_reverb,controls=Decay [ms]=2500;Wet Level [dB]=-6' \
  --condition 'probe=ladspa,plugin=amp_1181,controls=Amps gain (dB)=-20'
t2=$(date +%s)
echo "training $((t1 - t0)) s, grid $((t2 - t1)) s"
