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

# ---- several runs side by side: b another model size and epochs; c a
# copy of b without its afr output but with an information plane
tiny_dense=16 tiny_epochs=3 tiny_steps=4 conf "$work/b" '[probe afr]\nuse = afr\nnfft = 256' >"$work/b.conf"
expect_status 0 "$SINCPROBE" train "$work/b.conf" --quiet || finish
cp -r "$work/b" "$work/c"
rm -r "$work/c/probes" "$work/c/report.html" "$work/c/plots"
mkdir -p "$work/c/probes/m"
printf 'epoch\tstep\tlayer\testimator\tscale\ti_xt\ti_ty\th_t\tn\n' >"$work/c/probes/m/mi.tsv"
for e in 1 2 3; do printf '%d\t%d\tconv1\tbinning\t0.5\t%d.5\t0.%d\t1\t100\n' $e $((10 * e)) $e $e >>"$work/c/probes/m/mi.tsv"; done
# b's information plane lies elsewhere (I(X;T) 0.2 .. 0.6, I(T;Y) 0.5 ..
# 1.3): side by side both are drawn on the union's axes
mkdir -p "$work/b/probes/m"
head -1 "$work/c/probes/m/mi.tsv" >"$work/b/probes/m/mi.tsv"
for v in '1 0.2 0.5' '2 0.4 0.9' '3 0.6 1.3'; do set -- $v; printf '%d\t%d\tconv1\tbinning\t0.5\t%s\t%s\t1\t100\n' $1 $((10 * $1)) $2 $3 >>"$work/b/probes/m/mi.tsv"; done
expect_status 0 "$SINCPROBE" report "$work/a" "$work/b" "$work/c/" --out "$work/cmp"
expect_match "$err" "^sincprobe: report: $work/cmp/report\.html \(3 runs, [0-9]+ figures\)$" "the page written is named"
page="$work/cmp/report.html"
expect_match "$(text_of "$page" runs-table)" " a $work/a .* b $work/b .* c $work/c/ " "the page names every run"
# the config-difference table: exactly the keys whose values differ, as
# read here from the three config.conf files
ok; "$PY" - "$page" "$work/a" "$work/b" "$work/c" >"$work/diff.out" 2>&1 <<'PY' || fail "config differences: $(cat "$work/diff.out")"
import html.parser, json, os, sys
def conf(run):
    d, sec = {}, None
    for line in open(os.path.join(run, "config.conf")):
        line = line.strip()
        if not line or line[0] in "#;": continue
        if line.startswith("["): sec = " ".join(line[1:-1].split()); continue
        k, v = line.split("=", 1)
        d["[%s] %s" % (sec, k.strip())] = v.strip()
    return d
cs = [conf(r) for r in sys.argv[2:]]
keys = set().union(*cs)
want = {k for k in keys if len({c.get(k) for c in cs}) > 1}
assert want == {"[model] dense", "[train] epochs", "[run] dir"}, want
class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(); s.on = False; s.rows = []; s.cell = None
    def handle_starttag(s, tag, a):
        a = dict(a)
        if tag == "table": s.on = a.get("id") == "config-diff"
        if s.on and tag == "tr": s.rows.append([])
        if s.on and tag in ("td", "th"): s.cell = ""; s.rows[-1].append((tag, a.get("class")))
    def handle_endtag(s, tag):
        if s.on and tag in ("td", "th"): s.rows[-1][-1] += (s.cell,); s.cell = None
        if tag == "table": s.on = False
    def handle_data(s, d):
        if s.cell is not None: s.cell += d
p = P(); p.feed(open(sys.argv[1]).read())
assert [c[2] for c in p.rows[0]] == ["key", "a", "b", "c"], p.rows[0]
got = {r[0][2] for r in p.rows[1:]}
assert got == want, (got, want)
for r in p.rows[1:]:
    vals = [c.get(r[0][2], "\u2014") for c in cs]
    assert [c[2] for c in r[1:]] == vals, (r, vals)
    assert [c[1] == "diff" for c in r[1:]] == [False] + [v != vals[0] for v in vals[1:]], r
j = json.load(open(os.path.join(os.path.dirname(sys.argv[1]), "summary.json")))
assert {"[%s] %s" % tuple(k.rsplit(".", 1)) for k in j["config_differs"]} == want, j["config_differs"]
assert [r["run"] for r in j["runs"]] == ["a", "b", "c"]
PY
# the figures: valid PNG and SVG, every link of the page resolves
for f in runs_train_loss runs_dev_fer runs_lr run1/afr_afr run2/afr_afr run1/afr_bands run2/afr_bands run2/m_mi_binning run3/m_mi_binning; do
  ok; valid_figures "$work/cmp/plots/$f" || fail "plots/$f is not a valid PNG/SVG"
done
ok; "$PY" - "$page" <<'PY' || fail "report.html links a missing file"
import os, re, sys, urllib.parse
d = os.path.dirname(sys.argv[1])
links = re.findall(r'(?:src|href)="([^"]*)"', open(sys.argv[1]).read())
assert len(links) > 10 and not [l for l in links if not os.path.isfile(os.path.join(d, urllib.parse.unquote(l)))], links
PY
expect_match "$(cat "$page")" '<p class="missing">c: no AFR \(no probe folder with afr\.npy\)\.</p>' "a run without AFR: said so"
expect_match "$(cat "$page")" '<p class="missing">a: no information plane \(no probe folder with mi\.tsv\)\.</p>' "a run without mi: said so"
ok; [ ! -e "$work/cmp/plots/run3/afr_afr.png" ] && [ ! -e "$work/cmp/plots/run1/m_mi_binning.png" ] || fail "a panel drawn for a run without its output"
expect_match "$(text_of "$page" made-by)" "^sincprobe $version, [0-9-]{10}T[0-9:]{8}Z \(UTC\)$" "the page's version and date"
# the information planes on common axes: the axis rule of one run's
# figure (plot.h: the data's range widened to multiples of a 1, 2, 2.5
# or 5 x 10^k step for about 5 intervals) over the union of b's and c's
# mi.tsv, in summary.json, in each figure's caption and on the page
ok; "$PY" - "$page" "$work/b" "$work/c" >"$work/axes.out" 2>&1 <<'PY' || fail "information plane axes: $(cat "$work/axes.out")"
import csv, json, math, os, re, sys
def rule(lo, hi):
    raw = (hi - lo) / 5; p = 10 ** math.floor(math.log10(raw)); m = raw / p
    s = p * (1 if m <= 1 else 2 if m <= 2 else 2.5 if m <= 2.5 else 5 if m <= 5 else 10)
    return [math.floor(lo / s + 1e-9) * s, math.ceil(hi / s - 1e-9) * s]
rows = [r for run in sys.argv[2:] for r in csv.DictReader(open(os.path.join(run, "probes/m/mi.tsv")), delimiter="\t")]
want = {c: rule(min(float(r[c]) for r in rows), max(float(r[c]) for r in rows)) for c in ("i_xt", "i_ty")}
assert want == {"i_xt": [0, 4], "i_ty": [0, 1.5]}, want
d = os.path.dirname(sys.argv[1])
got = json.load(open(os.path.join(d, "summary.json")))["infoplane_axes"]
assert set(got) == set(want) and all(abs(a - b) < 1e-9 for c in want for a, b in zip(got[c], want[c])), (got, want)
html = open(sys.argv[1]).read()
for k in (2, 3):
    cap = re.search(r'src="plots/run%d/m_mi_binning\.png".*?<figcaption>(.*?)</figcaption>' % k, html, re.S).group(1)
    ax = dict(re.findall(r'data-axis="([xy])">([^<]*)<', cap))
    assert ax == {"x": "0 .. 4", "y": "0 .. 1.5"}, (k, ax)
    # the cut-off trajectories: the frequency axis 0 .. 8 kHz in each run
    cap = re.search(r'src="plots/run%d/afr_bands\.png".*?<figcaption>(.*?)</figcaption>' % (k - 1), html, re.S).group(1)
    assert re.search(r'data-axis="y">0 \.\. 8<', cap), (k - 1, cap)
note = re.search(r'<p id="mi-axes">(.*?)</p>', html, re.S)
assert note and "share their axes" in note.group(1) and " 0 .. 4 across" in note.group(1) and " 0 .. 1.5 up" in note.group(1), note
PY
expect_match "$(text_of "$page" cutoffs-axes)" "^The cut-off trajectories share one y axis in every run, frequency \(kHz\) 0 \.\. 8\.$" "the cut-off trajectories' common axis is said"
# summary.tsv: a row per run, its best dev FER that of its log.tsv, the
# PER of the eval of a
ok; "$PY" - "$work/cmp/summary.tsv" "$split" "$per" >"$work/tsv.out" 2>&1 <<'PY' || fail "summary.tsv: $(cat "$work/tsv.out")"
import csv, math, os, sys
rows = list(csv.DictReader(open(sys.argv[1]), delimiter="\t"))
assert [r["run"] for r in rows] == ["a", "b", "c"], rows
for r in rows:
    log = list(csv.DictReader(open(os.path.join(r["path"], "log.tsv")), delimiter="\t"))
    fer = [float(l["dev_fer"]) for l in log]
    assert abs(float(r["best_dev_fer"]) - min(fer)) < 1e-6, (r, fer)
    assert int(r["epochs"]) == len(log) and float(r["best_epoch"]) == fer.index(min(fer)) + 1, r
assert [r["epochs"] for r in rows] == ["2", "3", "3"]
col = "per_" + sys.argv[2]
assert abs(100 * float(rows[0][col]) - float(sys.argv[3].rstrip("%"))) < 0.006, (rows[0][col], sys.argv[3])
assert math.isnan(float(rows[1][col])) and math.isnan(float(rows[2][col]))
PY
# one run with --out: the side-by-side page of that run; without --out
# the run's own page, as before
expect_status 0 "$SINCPROBE" report "$work/b" --out "$work/one" --quiet
ok; [ -s "$work/one/report.html" ] && [ -s "$work/one/summary.tsv" ] || fail "one run with --out"

# ---- bad input
expect_status 2 "$SINCPROBE" report "$work/a" "$work/b"
expect_match "$err" "^sincprobe: 2 runs given: side by side they need --out DIR \(where the page goes\)$" "several runs without --out"
expect_status 2 "$SINCPROBE" report "$work/a" "$work/a" --out "$work/x"
expect_match "$err" "^sincprobe: '$work/a' is given twice$" "a run given twice"
for bad in "$work/nosuch" "$c"; do
  expect_status 1 "$SINCPROBE" report "$work/a" "$bad" --out "$work/x"
  expect_match "$err" "^sincprobe: '$bad': not a run directory \(no log\.tsv in it\)$" "not a run directory: $bad"
done
ok; [ ! -e "$work/x/report.html" ] || fail "a page written despite a bad run"
expect_status 2 "$SINCPROBE" report "$work/a" "$work/b" --out ""

finish
