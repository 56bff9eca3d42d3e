# synth.sh - `sincprobe corpus synth`: byte-identical output for a seed
# whatever --jobs, another seed differs, the TIMIT layout and names, .PHN
# covering each utterance without gaps between h# and h#, .WRD and .TXT
# consistent with it, SPHERE audio that sox reads, speaker lists, a clean
# `corpus check`, and the usage and failure exit statuses.
. "$top_srcdir/tests/lib.sh"

synth() { # synth OUT [options]: a small corpus
  out=$1
  shift
  "$SINCPROBE" corpus synth --out "$out" --speakers 4 --test-speakers 2 --sentences 3 "$@"
}

a="$work/a"
expect_status 0 synth "$a" --seed 5 --jobs 1 || finish
expect_match "$out" "^synthesised 6 speakers \\(4 train, 2 test\\), 18 utterances, [0-9.]+ hours in '$a'$" "summary line"

# ---- determinism
expect_status 0 synth "$work/b" --seed 5 --jobs 3
ok; diff -r "$a" "$work/b" >"$work/diff" 2>&1 || fail "same seed, --jobs 1 and 3 differ: $(head -5 "$work/diff")"
expect_status 0 synth "$work/c" --seed 6 --jobs 2
ok; diff -r -q "$a" "$work/c" >/dev/null 2>&1 && fail "seeds 5 and 6 gave identical corpora"

# ---- layout and names
cd "$a" || finish
find . -type f | sed 's|^\./||' | sort >"$work/files"
utts=$(grep -c '\.WAV$' "$work/files")
ok; [ "$utts" -eq 18 ] || fail "expected 18 utterances, found $utts"
ok; bad=$(grep -Ev '^(TRAIN|TEST)/DR[1-8]/[FM][A-Z]{3}[0-9]/S[IX][0-9]+\.(WAV|PHN|WRD|TXT)$|^(dev|core)_spk\.list$|^voices\.tsv$|^synth\.status$' "$work/files")
[ -z "$bad" ] || fail "files outside the TIMIT layout: $bad"
for ext in PHN WRD TXT; do
  ok; n=$(grep -c "\\.$ext\$" "$work/files")
  [ "$n" -eq "$utts" ] || fail "$n .$ext files for $utts .WAV files"
done
train_spk=$(ls -d TRAIN/DR*/* | sed 's|.*/||' | sort)
test_spk=$(ls -d TEST/DR*/* | sed 's|.*/||' | sort)
ok; [ "$(echo "$train_spk" | wc -l)" -eq 4 ] && [ "$(echo "$test_spk" | wc -l)" -eq 2 ] || fail "speaker folders: train '$train_spk' test '$test_spk'"
ok; [ -z "$(printf '%s\n%s\n' "$train_spk" "$test_spk" | sort | uniq -d)" ] || fail "a speaker is in TRAIN and TEST"
ok; [ "$(printf '%s\n' "$test_spk" | tr 'A-Z' 'a-z')" = "$(cat dev_spk.list core_spk.list | sort)" ] ||
  fail "dev_spk.list + core_spk.list are not the TEST speakers: $(cat dev_spk.list core_spk.list)"
ok; [ -s dev_spk.list ] && [ -s core_spk.list ] && [ -z "$(cat dev_spk.list core_spk.list | sort | uniq -d)" ] ||
  fail "dev and core lists must be non-empty and disjoint"

# ---- labels: every .PHN covers [0, N] from h# to h#, N the audio length
phones=$(awk '{print $1}' "$top_srcdir/corpora/phones.60-48-39.map" | tr '\n' ' ')
for phn in $(grep '\.PHN$' "$work/files"); do
  base=${phn%.PHN}
  n=$(sed -n 's/^sample_count -i \([0-9]*\)$/\1/p' "$base.WAV" | head -1)
  ok; [ -n "$n" ] && [ "$(wc -c <"$base.WAV")" -eq $((1024 + 2 * n)) ] || { fail "$base.WAV: bad SPHERE size"; continue; }
  msg=$(awk -v n="$n" -v phones="$phones" '
    BEGIN { split(phones, p, " "); for (i in p) ok[p[i]] = 1; prev = 0 }
    NF != 3 || $1 !~ /^[0-9]+$/ || $2 !~ /^[0-9]+$/ { print "line " NR ": expected begin end label"; exit }
    $1 != prev { print "line " NR ": begins at " $1 ", previous ended at " prev; exit }
    $1 + 0 >= $2 + 0 { print "line " NR ": empty segment"; exit }
    !($3 in ok) { print "line " NR ": unknown phone " $3; exit }
    NR == 1 && $3 != "h#" { print "does not start with h#"; exit }
    { prev = $2; last = $3 }
    END { if (prev != n) print "ends at " prev ", audio has " n; else if (last != "h#") print "does not end with h#" }' "$phn")
  ok; [ -z "$msg" ] || fail "$phn: $msg"
  msg=$(awk -v n="$n" '
    NF != 3 || $3 !~ /^[a-z0-9'"'"'-]+$/ { print "line " NR ": expected begin end word (lower case)"; exit }
    $1 + 0 < prev || $1 + 0 >= $2 + 0 || $2 + 0 > n { print "line " NR ": bad or overlapping span"; exit }
    { prev = $2 }
    END { if (NR == 0) print "no words" }' "$base.WRD")
  ok; [ -z "$msg" ] || fail "$base.WRD: $msg"
  ok; grep -Eq "^0 $n [A-Z].*[.?!]\$" "$base.TXT" && [ "$(wc -l <"$base.TXT")" -eq 1 ] || fail "$base.TXT: expected '0 $n Sentence.'"
done

# ---- audio: sox reads it as 16 kHz mono 16-bit
wav=$(grep '\.WAV$' "$work/files" | head -1)
if command -v sox >/dev/null 2>&1; then
  ok; [ "$(sox --i -r "$wav")" = 16000 ] && [ "$(sox --i -c "$wav")" = 1 ] && [ "$(sox --i -b "$wav")" = 16 ] ||
    fail "sox does not read $wav as 16 kHz mono 16-bit: $(sox --i "$wav" 2>&1)"
else
  echo "synth: sox not found, audio check skipped"
fi
cd "$work" || finish

# ---- the corpus passes corpus check
expect_status 0 "$SINCPROBE" corpus check "$a" && expect_match "$out" '^errors +0$' "corpus check finds no problems"

# ---- usage errors (2) and failures (1)
expect_status 0 "$SINCPROBE" corpus synth --help &&
  expect_match "$(echo "$out" | head -1)" '^usage: sincprobe corpus synth \[--out DIR\] \[--speakers N\] \[--test-speakers N\] \[--sentences N\] \[--seed S\] \[--text FILE\] \[--jobs N\] \[--engines LIST\] \[--list-voices\]$' "usage line"
expect_status 2 "$SINCPROBE" corpus synth --speakers x && expect_match "$err" "^sincprobe: invalid value 'x' for '--speakers'" "bad number"
expect_status 2 "$SINCPROBE" corpus synth --speakers 0
expect_status 2 "$SINCPROBE" corpus synth --test-speakers 1
expect_status 2 "$SINCPROBE" corpus synth --jobs 0
expect_status 2 "$SINCPROBE" corpus synth --out && expect_match "$err" "'--out' needs a value" "missing value"
expect_status 2 "$SINCPROBE" corpus synth --frob && expect_match "$err" "unknown option '--frob'" "unknown option"
expect_status 2 "$SINCPROBE" corpus synth extra && expect_match "$err" "unexpected argument 'extra'" "extra argument"

# A non-empty --out is refused and left as it was.
mkdir "$work/full" && echo keep >"$work/full/mine.txt"
expect_status 1 synth "$work/full" && expect_match "$err" "^sincprobe: output directory '.*full' is not empty" "non-empty --out"
ok; [ "$(ls "$work/full")" = mine.txt ] && [ "$(cat "$work/full/mine.txt")" = keep ] || fail "non-empty --out was changed"

expect_status 1 synth "$work/t1" --text "$work/missing.txt" && expect_match "$err" "cannot open '.*missing.txt'" "missing --text"
printf 'One short line.\nAnother short line.\n' >"$work/two.txt"
expect_status 1 synth "$work/t2" --text "$work/two.txt" && expect_match "$err" "holds 2 sentences, fewer than the 3" "too few sentences"

# --text: every utterance reads one of its lines.
printf '# a comment\nThe cat sat on the mat.\n\nA dog ran in the park.\nWe ate bread at noon.\n' >"$work/three.txt"
expect_status 0 synth "$work/t3" --text "$work/three.txt" --seed 2
ok; [ "$(cat "$work"/t3/T*/DR*/*/*.TXT | sed 's/^0 [0-9]* //' | sort -u | wc -l)" -eq 3 ] || fail "--text: expected the 3 sentences"

# An eSpeak phoneme missing from the map is an error naming it.
mkdir "$work/data" && cp "$top_srcdir"/corpora/* "$work/data/" && grep -v '^D ' "$top_srcdir/corpora/espeak-timit.map" >"$work/data/espeak-timit.map"
expect_status 1 env SINCPROBE_DATA_DIR="$work/data" "$SINCPROBE" corpus synth --out "$work/t4" --speakers 1 --test-speakers 2 --sentences 2 --text "$work/three.txt" &&
  expect_match "$err" "eSpeak phoneme 'D' .* is not in '.*espeak-timit.map'" "unmapped phoneme named"
finish
