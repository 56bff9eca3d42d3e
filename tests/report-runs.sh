# report-runs.sh - what report.html says beyond the figures of one run
# (its PER from the eval outputs or "no eval yet" with the command, the
# confusion matrix, the learning-rate figure, the version and date that
# made it), and several runs side by side (`sincprobe report RUN1 RUN2
# ... --out DIR`): the page names every run, its config-difference table
# lists exactly the keys that differ, valid PNG/SVG figures, summary.tsv
# with each run's best dev FER from its log.tsv, panels a run lacks said
# so; bad input (not a run directory, several runs without --out).
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
export SINCPROBE_PLUGIN_PATH="$top_builddir/plugins/.libs"

# valid_figures BASE...: BASE.png a PNG with a sane IHDR, BASE.svg XML
# with an <svg> root
valid_figures() {
  "$PY" - "$@" <<'PY'
import struct, sys, xml.etree.ElementTree as ET
for base in sys.argv[1:]:
    b = open(base + ".png", "rb").read(24)
    w, h = struct.unpack(">II", b[16:24])
    assert b[:8] == b"\x89PNG\r\n\x1a\n" and 50 < w < 4000 and 50 < h < 4000, (base, w, h)
    assert ET.parse(base + ".svg").getroot().tag.endswith("svg"), base
PY
}
# text_of FILE ID: the text inside the element with that id
text_of() {
  "$PY" - "$1" "$2" <<'PY'
import html.parser, sys
class P(html.parser.HTMLParser):
    def __init__(s, want):
        super().__init__(); s.want = want; s.depth = 0; s.text = None
    def handle_starttag(s, tag, a):
        if s.depth: s.depth += 1; s.text += " "
        elif dict(a).get("id") == s.want: s.depth = 1; s.text = ""
    def handle_endtag(s, tag):
        if s.depth: s.depth -= 1
    def handle_data(s, d):
        if s.depth: s.text += d
p = P(sys.argv[2]); p.feed(open(sys.argv[1]).read())
if p.text is None: sys.exit("no element with id " + sys.argv[2])
print(" ".join(p.text.split()))
PY
}

version=$("$SINCPROBE" --version | head -1 | sed 's/^sincprobe //')

# ---- one run: trained with the afr probe; its report before any eval
tiny_corpus
tiny_steps=4 conf "$work/a" '[probe afr]\nuse = afr\nnfft = 256' >"$work/a.conf"
expect_status 0 "$SINCPROBE" train "$work/a.conf" --quiet || finish
before=$(date -u +%s)
expect_status 0 "$SINCPROBE" report "$work/a" --quiet
after=$(date -u +%s)
html="$work/a/report.html"
expect_match "$(text_of "$html" per)" "^no eval yet \( ?sincprobe eval $work/a makes one\)$" "PER: no eval yet, with the command"
expect_match "$(text_of "$html" no-eval)" "^No eval yet: sincprobe eval $work/a scores" "the evaluation section says how to make one"
ok; valid_figures "$work/a/plots/learning_lr" || fail "the learning-rate figure is not a valid PNG/SVG"
expect_match "$(cat "$html")" 'src="plots/learning_lr\.png"' "the page shows the learning-rate figure"
expect_match "$(text_of "$html" made-by)" "^sincprobe $version, [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z \(UTC\)$" "version and ISO 8601 date"
stamp=$(text_of "$html" made-by | sed 's/^[^,]*, //; s/ (UTC)$//')
ok; t=$(date -u -d "$stamp" +%s) && [ "$t" -ge $((before - 1)) ] && [ "$t" -le $((after + 1)) ] || fail "date '$stamp' is not when the report ran (UTC)"
expect_status 0 env SOURCE_DATE_EPOCH=86400 "$SINCPROBE" report "$work/a" --quiet
expect_match "$(text_of "$html" made-by)" "^sincprobe $version, 1970-01-02T00:00:00Z \(UTC\)$" "SOURCE_DATE_EPOCH sets the date"

# ---- after an eval: its PER, recounted from the confusion matrix, and
# the matrix drawn
expect_status 0 "$SINCPROBE" eval "$work/a" || finish
split=$(printf '%s\n' "$out" | sed -n 's/^split  *\([a-z]*\) .*/\1/p')
per=$(printf '%s\n' "$out" | sed -n 's/^PER  *\([0-9.]*%\).*/\1/p')
ok; [ -n "$split" ] && [ -n "$per" ] && [ -s "$work/a/eval-$split-confusion.tsv" ] || fail "eval: split '$split', PER '$per', no matrix"
expect_status 0 "$SINCPROBE" report "$work/a" --quiet
expect_match "$(text_of "$html" per)" "^$split ${per//./\\.}$" "PER in the summary equals eval's"
expect_match "$(text_of "$html" eval-table)" "^eval N S D I PER $split [0-9]+ [0-9]+ [0-9]+ [0-9]+ ${per//./\\.}$" "the evaluation table"
ok; valid_figures "$work/a/plots/confusion_$split" || fail "the confusion matrix figure"
expect_match "$(cat "$html")" "src=\"plots/confusion_$split\.png\"" "the page shows the confusion matrix"
# a matrix of known counts: N 9 (5 + 4), S 1, D 1, I 2: PER 4/9
printf 'ref\taa\tbb\t<del>\naa\t3\t1\t1\nbb\t0\t4\t0\n<ins>\t2\t0\t0\n' >"$work/a/eval-hand-confusion.tsv"
expect_status 0 "$SINCPROBE" report "$work/a" --quiet
expect_match "$(text_of "$html" per)" "^$split ${per//./\\.}; hand 44\.44%$" "PER recounted from a matrix of known counts"
expect_match "$(text_of "$html" eval-table)" " hand 9 1 1 2 44\.44%$" "N S D I of the known matrix"
rm "$work/a/eval-hand-confusion.tsv"
# a matrix that is not eval's: the report stops naming it, and is kept
cp "$html" "$work/html.before"
cp "$work/a/eval-$split-confusion.tsv" "$work/conf.good"
sed -i '$d' "$work/a/eval-$split-confusion.tsv"
expect_status 1 "$SINCPROBE" report "$work/a"
expect_match "$err" "^sincprobe: '$work/a/eval-$split-confusion\.tsv': 39 rows, a matrix of 39 phones has 40 \(the phones, then '<ins>'\)$" "a cut matrix"
ok; cmp -s "$html" "$work/html.before" || fail "a failed report changed report.html"
cp "$work/conf.good" "$work/a/eval-$split-confusion.tsv"

finish
