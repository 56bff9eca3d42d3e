#!/usr/bin/env bash
# Leave voices out: models trained on eSpeak NG voices only, on Flite voices
# only, and on both (with and without augmentation), each tested on the
# held-out voices of each engine (the core split's speakers, whose voices
# no training or dev speaker has).
#
#   experiments/voices.sh [--report] [--corpus DIR] [--epochs N] [--steps N]
#                         [--out DIR] [--models LIST]
#
# One multi-voice corpus (default synth-timit, as ./quickstart makes it;
# its voices.tsv says each speaker's split and engine) is seen through
# views of symbolic links under runs/voices/views/ (a TIMIT tree holding
# only some speakers, with its own dev and core lists):
#   espeak, flite   training and dev speakers of one engine;
#   both            the corpus itself;
#   core-espeak, core-flite   the core speakers of one engine (and the
#                   corpus's TRAIN, from which eval takes its bigram
#                   phone LM and class priors).
# The models (runs/voices/NAME), each the quick start's (small preset,
# sinc_param = normalised, seed 1234), EPOCHS x STEPS steps of 64 chunks
# (default 8 x 200, the quick start's budget), on:
#   espeak      the eSpeak NG training voices;
#   flite       the Flite training voices;
#   both        both;
#   both-aug    both, with speed perturbation (0.9, 1.0, 1.1) and a
#               generated room (reverb probe) on half the utterances.
# Each is scored with `sincprobe eval --split core` on core-espeak and
# core-flite (PER and FER, 39 phones). Resumable: trained models are kept.
# --out DIR puts the runs elsewhere (default runs/voices); --models LIST
# (comma separated) trains and scores only those.
#
# sincprobe is $SINCPROBE, else sincprobe on PATH, else build/src/sincprobe.
set -euo pipefail
cd "$(dirname "$0")/.."
. experiments/lib.sh

report_only=0 corpus=synth-timit epochs=8 steps=200 top=runs/voices models=espeak,flite,both,both-aug
while [ $# -gt 0 ]; do
  case $1 in
    --report) report_only=1 ;;
    --corpus) corpus=$2; shift ;;
    --epochs) epochs=$2; shift ;;
    --steps) steps=$2; shift ;;
    --out) top=$2; shift ;;
    --models) models=$2; shift ;;
    -h|--help) sed -n '2,33p' "$0"; exit 0 ;;
    *) echo "voices.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
  shift
done
find_sincprobe voices.sh "$corpus"
[ -f "$corpus/voices.tsv" ] || { echo "voices.sh: '$corpus' has no voices.tsv (make it with sincprobe corpus synth)" >&2; exit 1; }
corpus=$(cd "$corpus" && pwd)
top=$(abs_path "$top")
views=$top/views
mkdir -p "$views"

# speakers SPLIT ENGINE: the speaker ids of voices.tsv in SPLIT (train,
# dev, core) made by ENGINE (any: every engine)
speakers() {
  awk -F'\t' -v s="$1" -v e="$2" 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
    $col["split"] == s && (e == "any" || $col["engine"] == e) { print $col["speaker"] }' "$corpus/voices.tsv"
}

# view NAME TRAIN_ENGINE DEV_ENGINE CORE_ENGINE (none: no such speakers)
view() {
  local v=$views/$1
  rm -rf "$v"
  mkdir -p "$v"
  for split in train dev core; do
    local eng=$2
    [ $split = dev ] && eng=$3
    [ $split = core ] && eng=$4
    [ "$eng" = none ] && continue
    for spk in $(speakers $split "$eng"); do
      local d
      d=$(cd "$corpus" && find TRAIN TEST -mindepth 2 -maxdepth 2 -type d -iname "$spk" | head -1)
      [ -n "$d" ] || { echo "voices.sh: speaker $spk of voices.tsv is not in $corpus" >&2; exit 1; }
      mkdir -p "$v/$(dirname "$d")"
      ln -s "$corpus/$d" "$v/$d"
      [ $split = train ] || echo "$spk" >>"$v/${split}_spk.list"
    done
  done
  touch "$v/dev_spk.list" "$v/core_spk.list"
  mkdir -p "$v/TEST"
  # eval takes the bigram phone LM and the class priors from the corpus's
  # training split: a test view borrows the whole corpus's (the same
  # sentences for every engine)
  [ -e "$v/TRAIN" ] || ln -s "$corpus/TRAIN" "$v/TRAIN"
}

model_conf() { # NAME VIEW [probe sections...]
  local name=$1 v=$2
  shift 2
  cat <<CONF
[data]
corpus = $views/$v
[model]
preset = small
[train]
epochs = $epochs
steps_per_epoch = $steps
batch = 64
threads = 2
seed = 1234
[run]
dir = $top/$name
CONF
  for s in "$@"; do printf '%b\n' "$s"; done
}

train() { # NAME VIEW [probe sections...]
  local name=$1
  case ",$models," in *",$name,"*) ;; *) return 0 ;; esac
  [ -f "$top/$name/checkpoints/best.ckpt" ] && [ "$(tail -1 "$top/$name/log.tsv" | cut -f1)" = "$epochs" ] && return 0
  [ "$report_only" = 1 ] && { echo "voices.sh: $top/$name is not trained" >&2; exit 1; }
  model_conf "$@" >"$top/$name.conf"
  rm -rf "${top:?}/$name"
  echo "voices.sh: training $name"
  "$sp" train "$top/$name.conf" --quiet
}

view espeak espeak espeak none
view flite flite flite none
view core-espeak none none espeak
view core-flite none none flite
ln -sfn "$corpus" "$views/both"

t0=$(date +%s)
train espeak espeak
train flite flite
train both both
train both-aug both '[probe speed]\nuse = speed\nfactors = 0.9,1.0,1.1' \
  '[probe room]\nuse = reverb\nfraction = 0.5'
t1=$(date +%s)

printf 'model\ttest voices\tPER\tFER\n' >"$top/table.tsv"
for m in ${models//,/ }; do
  for t in espeak flite; do
    j=$("$sp" eval "$top/$m" --corpus "$views/core-$t" --split core --no-probes --json)
    per=$(printf '%s' "$j" | sed -n 's/^ *"per": \([0-9.e-]*\),*$/\1/p')
    fer=$(printf '%s' "$j" | sed -n 's/^ *"fer39": \([0-9.e-]*\),*$/\1/p')
    awk -v m="$m" -v t="$t" -v p="$per" -v f="$fer" 'BEGIN { printf "%s\t%s\t%.1f\t%.1f\n", m, t, 100 * p, 100 * f }' >>"$top/table.tsv"
  done
done
t2=$(date +%s)
column -t -s "$(printf '\t')" "$top/table.tsv"
echo "training $((t1 - t0)) s, scoring $((t2 - t1)) s; budget per model: $epochs epochs x $steps steps x 64 chunks"
