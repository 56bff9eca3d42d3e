#!/usr/bin/env bash
# Real human speech: the eight spoken channel names that alsa-utils ships
# (/usr/share/sounds/alsa/{Front,Rear,Side}_{Left,Center,Right}.wav, one
# woman's voice, 48 kHz, about 1.5 s each) decoded by `sincprobe decode`
# with each model given, and a phone error rate against hand-written
# reference transcriptions in TIMIT's 39-phone set (silences and closures
# left out of both sides: the decoder's `sil`, `cl`, `vcl` and `epi`,
# which the 39-phone set folds into silence, and the references have
# none; so a missing pause or closure costs nothing). A few seconds of one speaker:
# a sanity check of what a model trained on synthetic voices hears in a
# real one, not a benchmark.
#
#   experiments/real-speech.sh MODEL...     (run directories or checkpoints)
#
# Prints, per model, each file's decoded phones and their edit distance to
# the reference, then the PER over the eight files.
# sincprobe is $SINCPROBE, else sincprobe on PATH, else build/src/sincprobe.
set -euo pipefail
cd "$(dirname "$0")/.."
. experiments/lib.sh
[ $# -gt 0 ] || { sed -n '2,16p' "$0"; exit 2; }
find_sincprobe real-speech.sh .
dir=/usr/share/sounds/alsa
[ -f "$dir/Front_Center.wav" ] || { echo "real-speech.sh: $dir/Front_Center.wav missing (apt-get install alsa-utils)" >&2; exit 1; }

# References, 39-phone set ("front" f r ah n t; "rear" r ih r; "side" s ay d;
# "left" l eh f t; "right" r ay t; "center" s eh n t er).
declare -A ref=(
  [Front_Left]="f r ah n t l eh f t"
  [Front_Center]="f r ah n t s eh n t er"
  [Front_Right]="f r ah n t r ay t"
  [Rear_Left]="r ih r l eh f t"
  [Rear_Center]="r ih r s eh n t er"
  [Rear_Right]="r ih r r ay t"
  [Side_Left]="s ay d l eh f t"
  [Side_Right]="s ay d r ay t"
)
files="Front_Left Front_Center Front_Right Rear_Left Rear_Center Rear_Right Side_Left Side_Right"

# edits "REF" "HYP": the Levenshtein distance between two phone strings
edits() {
  awk -v r="$1" -v h="$2" 'BEGIN {
    n = split(r, a, " "); m = split(h, b, " ")
    for (i = 0; i <= n; i++) d[i, 0] = i
    for (j = 0; j <= m; j++) d[0, j] = j
    for (i = 1; i <= n; i++) for (j = 1; j <= m; j++) {
      c = d[i - 1, j - 1] + (a[i] != b[j]); x = d[i - 1, j] + 1; y = d[i, j - 1] + 1
      d[i, j] = c < x ? (c < y ? c : y) : (x < y ? x : y)
    }
    print d[n, m] }'
}

for model in "$@"; do
  echo "== $model"
  total=0 errors=0
  for f in $files; do
    hyp=$("$sp" decode "$model" "$dir/$f.wav" 2>/dev/null | awk '$3 != "sil" && $3 != "cl" && $3 != "vcl" && $3 != "epi" { printf "%s%s", s, $3; s = " " }')
    e=$(edits "${ref[$f]}" "$hyp")
    n=$(echo "${ref[$f]}" | wc -w)
    total=$((total + n)) errors=$((errors + e))
    printf '  %-13s ref: %-24s hyp: %s  (%d of %d)\n' "$f" "${ref[$f]}" "$hyp" "$e" "$n"
  done
  awk -v e=$errors -v n=$total 'BEGIN { printf "  PER %.1f%% (%d edits, %d reference phones)\n", 100 * e / n, e, n }'
done
