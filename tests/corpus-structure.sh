# corpus-structure.sh - the TIMIT tree's structure: a folder that is not
# DR1..DR8, a speaker list naming a speaker the tree lacks, a list of
# lines that are not speaker ids and a split with no speakers are each a
# warning naming the file (and line), an error with --strict, as is a
# .WAV holding more samples than its header's sample_count; and `eval
# --corpus` on a tree with TEST but no TRAIN folder.
. "$top_srcdir/tests/lib.sh"

tiny_corpus

# A TEST/DR9 folder (a speaker moved there) is named, not dropped unsaid.
d="$work/dr9"
cp -r "$c" "$d"
spk=$(ls "$d/TEST/DR8" | head -1)
mkdir "$d/TEST/DR9" && mv "$d/TEST/DR8/$spk" "$d/TEST/DR9/"
expect_status 0 "$SINCPROBE" corpus check "$d"
expect_match "$err" "^sincprobe: warning: $d/TEST/DR9: folder 'DR9' is not a dialect folder DR1\\.\\.DR8" "DR9 named"
expect_match "$out" '^warnings +1 ' "one warning counted"
expect_status 1 "$SINCPROBE" corpus check "$d" --strict
expect_match "$err" "$d/TEST/DR9: folder 'DR9'" "DR9 is an error with --strict"
"$SINCPROBE" corpus check "$d" --json >"$work/dr9.json" 2>/dev/null
ok; "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); w=d["warnings"]; assert d["warning_count"] == 1 and d["errors"] == 0 and "DR9" in w[0]["message"], d' "$work/dr9.json" || fail "json warnings"

# The core list names the moved speaker, now missing from DR1..DR8: a
# warning at its line, and a split of no speakers is a warning too.
low=$(echo "$spk" | tr 'A-Z' 'a-z')
grep -qx "$low" "$d/core_spk.list" || { printf '%s\n' "$low" >"$d/core_spk.list"; }
line=$(grep -nx "$low" "$d/core_spk.list" | cut -d: -f1)
expect_status 0 "$SINCPROBE" corpus check "$d" --split core
expect_match "$err" "$d/core_spk.list:$line: speaker '$low' is not in the corpus" "missing speaker named with file and line"
expect_match "$err" "$d/core_spk.list: split core has no speakers" "empty split warned about"
expect_match "$out" '^speakers +0 ' "0 speakers"
expect_status 1 "$SINCPROBE" corpus check "$d" --split core --strict

# A garbage dev list: each line named, and no silent empty split.
g="$work/garbage"
cp -r "$c" "$g"
printf 'hello world\n\n# a comment\nnot-a-speaker\n' >"$g/dev_spk.list"
expect_status 0 "$SINCPROBE" corpus check "$g" --split dev
expect_match "$err" "$g/dev_spk.list:1: expected a speaker id such as 'faks0'.*got 'hello world'" "garbage line 1"
expect_match "$err" "$g/dev_spk.list:4: expected a speaker id" "garbage line 4 (blank and comment lines counted)"
expect_match "$err" "split dev has no speakers" "garbage list gives a warned-about empty split"
expect_status 1 "$SINCPROBE" corpus check "$g" --split dev --strict
expect_match "$err" "$g/dev_spk.list:1: expected a speaker id" "garbage list is an error with --strict"

# A missing corpus says so, and a file given as one is not a directory.
expect_status 1 "$SINCPROBE" corpus check "$work/nowhere"
expect_match "$err" "corpus '$work/nowhere' does not exist" "missing corpus: does not exist"
expect_status 1 "$SINCPROBE" corpus check "$c/dev_spk.list"
expect_match "$err" "is not a directory" "a file is not a directory"

# A clean tree has no warnings.
expect_status 0 "$SINCPROBE" corpus check "$c" --split core
expect_match "$out" '^warnings +0$' "clean tree: no warnings"

# A .WAV of a core speaker with 100 samples (200 bytes) appended after
# the sample_count it declares: listed with its header line and counted
# as a warning, the extra samples ignored; an error with --strict.
m="$work/more"
cp -r "$c" "$m"
core=$(head -1 "$m/core_spk.list" | tr 'a-z' 'A-Z')
w=$(find "$m/TEST" -path "*/$core/*" -name '*.WAV' | sort | head -1)
hl=$(head -c 1024 "$w" | grep -an '^sample_count -i ' | cut -d: -f1)
n=$(head -c 1024 "$w" | sed -n 's/^sample_count -i \([0-9]*\)$/\1/p')
head -c 200 /dev/zero >>"$w"
more="$w:$hl: sample_count is $n but the file holds $((n + 100)) samples; the last 100 are ignored"
expect_status 0 "$SINCPROBE" corpus check "$m"
expect_match "$err" "^sincprobe: warning: $more$" "extra samples named with file, header line and counts"
expect_match "$out" '^warnings +1 ' "extra samples counted as a warning"
expect_match "$out" '^errors +0$' "extra samples are not an error"
"$SINCPROBE" corpus check "$m" --json >"$work/more.json" 2>/dev/null
ok; "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); w=d["warnings"]
assert d["warning_count"] == 1 and d["errors"] == 0 and len(w) == 1, d
assert w[0]["file"] == sys.argv[2] and w[0]["line"] == int(sys.argv[3]) and sys.argv[4] in w[0]["message"], w' \
  "$work/more.json" "$w" "$hl" "holds $((n + 100)) samples; the last 100 are ignored" || fail "json: extra samples warning"
expect_status 1 "$SINCPROBE" corpus check "$m" --strict
expect_match "$err" "$more" "extra samples are an error with --strict"
expect_match "$out" '^errors +1 ' "extra samples counted as the error with --strict"

# eval --corpus on a test-only tree: the priors and LM come from the
# model's own corpus, and no TRAIN folder is asked for.
tiny_epochs=1 tiny_steps=3 conf "$work/run" >"$work/run.conf"
expect_status 0 "$SINCPROBE" train "$work/run.conf" --quiet || finish
t="$work/testonly"
mkdir "$t" && cp -r "$c/TEST" "$c/dev_spk.list" "$c/core_spk.list" "$t/"
expect_status 0 "$SINCPROBE" eval "$work/run" --corpus "$t"
expect_match "$out" "^split +core of '$t': [1-9][0-9]* utterances" "eval on the test-only tree"
# eval on the tree with the long .WAV warns as corpus check does and goes on.
expect_status 0 "$SINCPROBE" eval "$work/run" --corpus "$m"
expect_match "$err" "^sincprobe: warning: $more$" "eval warns about the extra samples"
finish
