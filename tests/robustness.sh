# robustness.sh - matched and mismatched conditions from the command line:
# `sincprobe eval --noise SPEC` (seeded: the same condition twice gives the
# same numbers, another seed or SNR other ones; bad SPECs are usage errors
# naming the key) and `sincprobe robustness` on two tiny models (the
# table's columns and rows, valid JSON, the summary and figure, the clean
# condition equal to a plain eval and a noisy one to eval --noise, resuming
# without recomputing, bad conditions refused with exit 2 naming them).
# Lower SNR is not asserted to give higher error rates: a model trained for
# seconds need not show it.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
export SINCPROBE_PLUGIN_PATH="$top_builddir/plugins/.libs"

tiny_corpus
conf "$work/m1" >"$work/m1.conf"
expect_status 0 "$SINCPROBE" train "$work/m1.conf" --quiet || finish
conf "$work/m2" | sed 's/^seed = 11$/seed = 12/' >"$work/m2.conf"
expect_status 0 "$SINCPROBE" train "$work/m2.conf" --quiet || finish

# json_field FILE KEY: a top-level number of eval --json's output.
json_field() {
  "$PY" -c 'import json, sys; print(repr(json.load(open(sys.argv[1]))[sys.argv[2]]))' "$1" "$2"
}
# evaljson NAME ARGS...: eval --json into $work/NAME.json
evaljson() {
  local name=$1
  shift
  expect_status 0 "$SINCPROBE" eval "$work/m1" --split test --json "$@" && printf '%s\n' "$out" >"$work/$name.json"
}

# ---- eval --noise: seeded, and a condition of its own
evaljson clean --no-probes
evaljson w0a --noise type=white,snr_db=0
evaljson w0b --noise 'type = white , snr_db = 0'
evaljson w0seed --noise type=white,snr_db=0,seed=5
evaljson w10 --noise type=white,snr_db=10
evaljson babble --no-probes --noise type=babble,k=2,snr_db=5 --noise type=pink,snr_db=20
for k in per fer fer39 loss substitutions deletions insertions; do
  ok; [ "$(json_field "$work/w0a.json" $k)" = "$(json_field "$work/w0b.json" $k)" ] ||
    fail "eval --noise twice: $k differs ($(json_field "$work/w0a.json" $k) vs $(json_field "$work/w0b.json" $k))"
done
loss() { json_field "$work/$1.json" loss; }
ok; [ "$(loss w0a)" != "$(loss clean)" ] || fail "white noise at 0 dB left the loss as clean: $(loss clean)"
ok; [ "$(loss w0a)" != "$(loss w0seed)" ] || fail "seed=5 gave the same noise as the default seed"
ok; [ "$(loss w0a)" != "$(loss w10)" ] || fail "snr_db 0 and 10 gave the same loss"
ok; [ "$(loss babble)" != "$(loss clean)" ] || fail "babble + pink left the loss as clean"
expect_match "$(cat "$work/babble.json")" '"noise": \[' "--json lists the noise SPECs"
expect_match "$(json_field "$work/babble.json" noise)" "\['type=babble,k=2,snr_db=5', 'type=pink,snr_db=20'\]" "the SPECs in order"
expect_status 0 "$SINCPROBE" eval "$work/m1" --split test --noise type=white,snr_db=0
expect_match "$err" '^probe noise-1: white noise at 0\.\.0 dB SNR, scope utterance, on test$' "the defaults: scope utterance, apply_to the split's role"
expect_match "$out" '^noise +type=white,snr_db=0$' "the text output names the condition"

# bad SPECs: exit 2, the key named, nothing evaluated
bad_spec() { # bad_spec SPEC PATTERN
  expect_status 2 "$SINCPROBE" eval "$work/m1" --split test --noise "$1"
  expect_match "$err" "^sincprobe: --noise '$1': $2" "--noise '$1'"
}
# an unknown key: the nearest option, as for an unknown option or config
# key, and the keys a SPEC may give
bad_spec 'typ=white' "unknown key 'typ'; did you mean 'type'\\? \\(the noise probe's options: type, snr_db, band, .*; probe=NAME configures another probe\\)$"
bad_spec 'type=white,snrdb=5' "unknown key 'snrdb'; did you mean 'snr_db'\\? \\(the noise probe's options: type, snr_db,"
bad_spec 'prob=ladspa' "unknown key 'prob'; did you mean 'probe'\\?"
bad_spec 'xyzzy=1' "unknown key 'xyzzy' \\(the noise probe's options: type, snr_db,"
# a key typed with capitals or '-' is a misspelled key like the others
bad_spec 'Type=white' "unknown key 'Type'; did you mean 'type'\\? \\(the noise probe's options: type, snr_db, band, .*; probe=NAME configures another probe\\)$"
bad_spec 'type=white,SNR_DB=5' "unknown key 'SNR_DB'; did you mean 'snr_db'\\? \\(the noise probe's options: type, snr_db,"
bad_spec 'type=white,snr-db=5' "unknown key 'snr-db'; did you mean 'snr_db'\\?"
bad_spec 'type=violet' "type: 'violet' is not one of white\|pink"
bad_spec 'snr_db=ten' "snr_db: 'ten' is not a number or lo:hi"
bad_spec 'white' "'white' is not key=value"
bad_spec 'type=band' "type band needs band"
bad_spec 'type=white,type=pink' "'type' is given twice"
bad_spec "type=file,file=$work/none.wav" "file: cannot read '$work/none\.wav'"
# --noise runs after the probes of --probes CONFIG, under IDs of its own
conf "$work/unused" '[probe noise-1]\nuse = noise\napply_to = train' >"$work/clash.conf"
expect_status 2 "$SINCPROBE" eval "$work/m1" --split test --probes "$work/clash.conf" --noise type=pink
expect_match "$err" "^sincprobe: --noise 'type=pink': \[probe noise-1\]: the chain already has a probe of that ID \($work/clash\.conf:[0-9]+\)$" "an ID clash"
conf "$work/unused" '[probe n]\nuse = noise\nsnr_db = -10\napply_to = test' >"$work/testnoise.conf"
expect_status 0 "$SINCPROBE" eval "$work/m1" --split test --probes "$work/testnoise.conf" --noise type=pink,snr_db=20
expect_match "$err" "^probes: n \(noise 1\.0\), noise-1 \(noise 1\.0\)$" "--probes CONFIG's probes, then --noise's"
expect_status 2 "$SINCPROBE" eval "$work/m1" --baseline --noise type=white
expect_match "$err" "'--baseline' and '--noise' do not go together" "--baseline --noise"

# ---- robustness: a small grid
t0=$(date +%s%N)
grid() { "$SINCPROBE" robustness "$work/m1" "$work/m2" --split test --out "$work/rob" \
  --conditions clean,white,babble@10:0 --condition type=pink,snr_db=5 "$@"; }
expect_status 0 grid || finish
t1=$(date +%s%N)
echo "robustness.sh: a grid of 2 tiny models x 6 conditions took $(((t1 - t0) / 1000000)) ms"
cp "$work/stderr" "$work/grid1.err"
cp "$work/stdout" "$work/grid1.out"
tsv="$work/rob/robustness.tsv"
expect_match "$(head -1 "$tsv")" "^model	condition	type	snr_db	per	fer	fer39	substitutions	deletions	insertions	reference_phones	frames	utterances	loss	split	noise	spec	checkpoint	checksum	seconds$" "the table's columns"
ok; [ "$(wc -l <"$tsv")" -eq 13 ] || fail "robustness.tsv: expected a header and 12 rows: $(cat "$tsv")"
ok; [ "$(awk -F'\t' 'NF != 20' "$tsv" | wc -l)" -eq 0 ] || fail "robustness.tsv: a row without 20 fields"
expect_match "$(cut -f2 "$tsv" | sort -u | tr '\n' ' ')" '^babble@0 babble@10 clean condition type=pink,snr_db=5 white@0 white@10 $' "the conditions' names"
expect_match "$(awk -F'\t' '$2 == "white@0" {print $3, $4, $17; exit}' "$tsv")" '^white 0 snr_db=0,type=white$' "type, snr_db and spec of white@0"
expect_match "$(awk -F'\t' '$2 == "clean" {print "[" $3 "][" $4 "][" $17 "]"; exit}' "$tsv")" '^\[clean\]\[\]\[\]$' "type, snr_db and spec of clean"
ok; [ "$(cut -f19 "$tsv" | sed 1d | sort -u | wc -l)" -eq 2 ] || fail "two models should have two checksums: $(cut -f19 "$tsv")"
expect_status 0 "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["split"] == "test", d["split"]
assert len(d["rows"]) == 12, len(d["rows"])
r = d["rows"][0]
assert isinstance(r["per"], float) and isinstance(r["substitutions"], int) and r["snr_db"] is None, r
s = d["summary"]
assert len(s) == 2 * 3, s                       # 2 models x (white, babble, type=pink)
w = [e for e in s if e["noise"] == "white"][0]
assert w["snr_db"] == [10, 5, 0], w["snr_db"]   # every SNR of the grid, highest first
assert w["per"][1] is None and w["per"][0] is not None, w
assert abs(w["per_avg_0_20"] - (w["per"][0] + w["per"][2]) / 2) < 1e-9, w
' "$work/rob/robustness.json"
expect_match "$(head -1 "$work/rob/summary.tsv")" '^model	noise	clean	10	5	0	avg_0_20$' "summary.tsv's columns"
ok; [ "$(sed 1d "$work/rob/summary.tsv" | wc -l)" -eq 6 ] || fail "summary.tsv: expected 6 rows"
for f in per-snr.png per-snr.svg; do
  ok; [ -s "$work/rob/$f" ] || fail "no $f"
done
# the printed table: models as rows, conditions as columns; the summary
grid_out=$(cat "$work/grid1.out")
expect_match "$grid_out" '^PER \(%\) +clean +white@10 +white@0 +babble@10 +babble@0 +type=pink,snr_db=5$' "the PER table's header"
expect_match "$grid_out" "^$work/m1( +[0-9]+\.[0-9]{2}){6}$" "the PER table's row of m1"
expect_match "$grid_out" "^$work/m2( +[0-9]+\.[0-9]{2}){6}$" "the PER table's row of m2"
expect_match "$grid_out" '^FER \(%\) ' "the FER table"
expect_match "$grid_out" 'averaged|mean over 0-20 dB' "the Aurora-style summary"
expect_match "$grid_out" "^$work/m1 +white +[0-9.]+ +[0-9.]+ +- +[0-9.]+ +[0-9.]+$" "the summary's row of m1, white"
expect_match "$(cat "$work/grid1.err")" "^\[12/12\] $work/m2 type=pink,snr_db=5: PER [0-9.]+%, FER [0-9.]+% \([0-9.]+ s\)$" "progress lines"

# the cells are eval's numbers: clean = eval --no-probes, white@0 = eval --noise
cell() { awk -F'\t' -v m="$work/$1" -v c="$2" -v k="$3" '$1 == m && $2 == c {print $k}' "$tsv"; }
same() { "$PY" -c 'import sys; sys.exit(abs(float(sys.argv[1]) - float(sys.argv[2])) > 1e-9)' "$1" "$2"; }
ok; same "$(cell m1 clean 5)" "$(json_field "$work/clean.json" per)" || fail "clean PER $(cell m1 clean 5) != eval's"
ok; same "$(cell m1 clean 6)" "$(json_field "$work/clean.json" fer)" || fail "clean FER $(cell m1 clean 6) != eval's"
ok; same "$(cell m1 white@0 14)" "$(json_field "$work/w0a.json" loss)" || fail "white@0 loss != eval --noise's"
ok; same "$(cell m1 white@0 6)" "$(json_field "$work/w0a.json" fer)" || fail "white@0 FER != eval --noise's"

# ---- resume: the same command recomputes nothing
cp "$tsv" "$work/full.tsv"
expect_status 0 grid
expect_match "$(grep -c 'not recomputed$' "$work/stderr")" '^12$' "a second run: every cell in the table"
ok; ! grep -q 'PER [0-9.]*%, FER' "$work/stderr" || fail "a second run recomputed: $(grep 'PER' "$work/stderr")"
ok; cmp -s "$tsv" "$work/full.tsv" || fail "a second run changed robustness.tsv"
# an interrupted grid (the last 3 cells missing): only those are computed, to the same numbers
head -n 10 "$work/full.tsv" >"$tsv"
expect_status 0 grid
expect_match "$(grep -c 'not recomputed$' "$work/stderr")" '^9$' "resumed: 9 cells kept"
expect_match "$(grep -c 'PER [0-9.]*%, FER' "$work/stderr")" '^3$' "resumed: 3 cells computed"
cut -f1-19 "$tsv" >"$work/resumed.cols"
cut -f1-19 "$work/full.tsv" >"$work/full.cols"
ok; cmp -s "$work/resumed.cols" "$work/full.cols" || fail "resumed cells differ: $(diff "$work/resumed.cols" "$work/full.cols")"
# a grid extended by conditions computes only those, and keeps the table's other rows;
# a noise file (8 kHz, resampled) and a tone
"$PY" -c '
import random, struct, sys, wave
w = wave.open(sys.argv[1], "wb")
w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
random.seed(3)
w.writeframes(b"".join(struct.pack("<h", random.randint(-8000, 8000)) for _ in range(8000)))
w.close()' "$work/n.wav"
expect_status 0 "$SINCPROBE" robustness "$work/m1" --split test --out "$work/rob" \
  --conditions "clean,white@20,tone:440@10,file:$work/n.wav@5,band:1200-1600+1800-2100@0,white+pink@5"
expect_match "$(grep -c 'PER [0-9.]*%, FER' "$work/stderr")" '^5$' "extended: five cells computed"
ok; [ "$(wc -l <"$tsv")" -eq 18 ] || fail "extended: expected 17 rows and a header"
expect_match "$err" '^probe noise-1: band noise at 0\.\.0 dB SNR' "multi-band noise"
expect_match "$(awk -F'\t' '$2 == "white+pink@5" {print $3, $16, $17}' "$tsv")" "^white,pink white\+pink snr_db=5,type=white,pink$" "a list of types"
expect_match "$(awk -F'\t' '$2 ~ /^file:/ {print $3, $4, $16, $17}' "$tsv")" "^file 5 file:$work/n\.wav file=$work/n\.wav,snr_db=5,type=file$" "the file condition's row"
expect_match "$(awk -F'\t' '$2 == "tone:440@10" {print $3, $4, $16, $17}' "$tsv")" "^tone 10 tone:440 freq=440,snr_db=10,type=tone$" "the tone condition's row"
# another split is another cell
expect_status 0 "$SINCPROBE" robustness "$work/m1" --split dev --out "$work/rob" --conditions clean
expect_match "$(grep -c 'PER [0-9.]*%, FER' "$work/stderr")" '^1$' "another split: computed"

# ---- bad conditions: exit 2 naming them, nothing written
bad_condition() { # bad_condition PATTERN ARGS...
  local pattern=$1
  shift
  expect_status 2 "$SINCPROBE" robustness "$work/m1" --split test --out "$work/bad" "$@"
  expect_match "$err" "^sincprobe: .*$pattern" "robustness $*"
}
bad_condition "'white@x': 'x' is not an SNR in dB" --conditions clean,white@x
bad_condition "condition 'violet@10': type: 'violet' is not one of" --conditions violet@10
bad_condition "'pink' has no SNR" --conditions clean,pink
bad_condition "'band@5': type band needs its band" --conditions band@5
bad_condition "condition 'file:$work/none.wav@5': file: cannot read" --conditions "file:$work/none.wav@5"
bad_condition "condition 'typ=x': unknown key 'typ'" --condition typ=x
# a --condition SPEC refused as eval's --noise SPEC, naming the option
bad_condition_spec() { # bad_condition_spec SPEC PATTERN
  bad_condition "" --conditions clean --condition "$1"
  expect_match "$err" "^sincprobe: --condition '$1': $2" "--condition '$1'"
}
bad_condition_spec 'type=pink,sed=3' "unknown key 'sed'; did you mean 'seed'\\? \\(the noise probe's options: type, snr_db, band, .*; probe=NAME configures another probe\\)$"
bad_condition_spec 'Type=pink,snr_db=3' "unknown key 'Type'; did you mean 'type'\\? \\(the noise probe's options: type, snr_db, band, .*; probe=NAME configures another probe\\)$"
bad_condition_spec 'snr_db=5,k=x' "k: 'x' is not an integer \\(expected int \\[1, 64\\]"
bad_condition_spec 'type=violet' "type: 'violet' is not one of white\\|pink"
bad_condition "no conditions" 
bad_condition "unknown split 'foo'" --conditions clean --split foo
ok; [ ! -e "$work/bad" ] || fail "a refused grid wrote '$work/bad'"
expect_status 1 "$SINCPROBE" robustness "$work/none" --conditions clean --out "$work/bad"
expect_match "$err" "cannot open model '$work/none'" "a missing model"
# a table that is not robustness's is refused, not overwritten
mkdir -p "$work/other" && printf 'a\tb\n1\t2\n' >"$work/other/robustness.tsv"
expect_status 1 "$SINCPROBE" robustness "$work/m1" --split test --out "$work/other" --conditions clean
expect_match "$err" "robustness.tsv:1: no column 'model'" "a foreign table"
finish
