# corpus-check.sh - `sincprobe corpus check` on a small synthetic corpus,
# clean and then damaged: summary numbers, splits, --json, --strict, exit
# statuses, and problems named with file and line.
. "$top_srcdir/tests/lib.sh"

c="$work/corpus"
expect_status 0 "$SINCPROBE" corpus synth --out "$c" --speakers 3 --test-speakers 2 --sentences 2 --seed 7 --jobs 1 || finish

expect_status 0 "$SINCPROBE" corpus check "$c"
expect_match "$out" '^errors +0$' "clean corpus has no errors"
expect_match "$out" '^speakers +5 ' "5 speakers"
expect_match "$out" '^utterances +10$' "10 utterances"

json_get() { # json_get FILE EXPR [ARG]: EXPR sees the JSON as d, ARG as a
  "$PY" -c 'import json,sys; d=json.load(open(sys.argv[1])); a=sys.argv[3]; print(eval(sys.argv[2]))' "$1" "$2" "${3:-}"
}
"$SINCPROBE" corpus check "$c" --json >"$work/all.json"
ok; [ "$(json_get "$work/all.json" 'd["speakers"], d["utterances"], d["errors"], len(d["problems"])')" = "(5, 10, 0, 0)" ] || fail "json summary: $(cat "$work/all.json" | head -20)"
ok; [ "$(json_get "$work/all.json" 'd["hours"] > 0 and sum(d["phones39"].values()) > 0 and len(d["phones48"]) == 48 and len(d["phones61"]) == 61')" = True ] || fail "json hours/phones"
for split in train:3 dev:1 core:1 test:2; do
  "$SINCPROBE" corpus check "$c" --split "${split%%:*}" --json >"$work/s.json"
  ok; [ "$(json_get "$work/s.json" 'd["speakers"]')" = "${split#*:}" ] || fail "split ${split%%:*}: expected ${split#*:} speakers"
done

# Damage a copy: a malformed PHN line, a missing PHN, a truncated SPHERE header.
d="$work/damaged"
cp -r "$c" "$d"
phns=$(find "$d/TRAIN" -name '*.PHN' | sort)
p1=$(echo "$phns" | sed -n 1p)
p2=$(echo "$phns" | sed -n 2p)
w3=$(echo "$phns" | sed -n 3p | sed 's/\.PHN$/.WAV/')
sed -i '2s/.*/100 200/' "$p1"
rm "$p2"
head -c 500 "$w3" >"$w3.tmp" && mv "$w3.tmp" "$w3"

expect_status 1 "$SINCPROBE" corpus check "$d"
expect_match "$err" "^$p1:2: expected 'begin end label'" "bad PHN line named with file and line"
expect_match "$err" "missing \\.PHN file" "missing PHN"
expect_match "$err" "^$w3: truncated SPHERE header" "truncated header"
expect_match "$out" '^errors +3$' "three problems counted"

"$SINCPROBE" corpus check "$d" --json >"$work/bad.json"
ok; [ "$(json_get "$work/bad.json" 'd["errors"]')" = 3 ] || fail "json errors: $(cat "$work/bad.json" | head -30)"
ok; [ "$(json_get "$work/bad.json" '[p["line"] for p in d["problems"] if p["file"] == a]' "$p1")" = "[2]" ] || fail "json problem for $p1"

expect_status 1 "$SINCPROBE" corpus check "$d" --strict
expect_match "$out" '^errors +1 ' "--strict stops at the first problem"
finish
