# report.sh - `sincprobe report RUNDIR`: on a hand-made run directory with
# every kind of probe output (known axis ranges, transition table,
# accuracy grid, summary numbers, the config escaped), on a short real
# training with the afr probe; PNG and SVG validity, report.html linking
# only existing files, headless Chromium loading it with every image
# decoded; malformed inputs give a message naming file and line and leave
# report.html as it was; a probe's own [bands] panel; marks on a bands
# panel and a heatmap.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
export SINCPROBE_PLUGIN_PATH="$top_builddir/plugins/.libs"
CHROMIUM=${CHROMIUM:-$(command -v chromium || command -v chromium-browser || true)}

is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
# html_facts RUNDIR: report.html's links all resolve (else exit 1); its
# image count, captions, transition table rows and summary cells.
html_facts() {
  "$PY" - "$1" <<'PY'
import html.parser, os, sys, urllib.parse
run = sys.argv[1]
class P(html.parser.HTMLParser):
    def __init__(s):
        super().__init__(); s.links = []; s.imgs = 0; s.rows = []; s.intable = False; s.cell = None
        s.figs = []; s.incap = False; s.text = {}; s.cur_id = None
    def handle_starttag(s, tag, a):
        a = dict(a)
        if tag == "img": s.imgs += 1
        for k in ("src", "href"):
            if k in a: s.links.append(a[k])
        if tag == "table" and a.get("id") == "transition-table": s.intable = True
        if s.intable and tag == "tr": s.rows.append([])
        if s.intable and tag in ("td", "th"): s.cell = ""
        if tag == "figcaption": s.incap = True; s.figs.append("")
        if "id" in a: s.cur_id = a["id"]; s.text[s.cur_id] = ""
    def handle_endtag(s, tag):
        if tag == "table": s.intable = False
        if s.intable and tag in ("td", "th"): s.rows[-1].append(s.cell.strip()); s.cell = None
        if tag == "figcaption": s.incap = False
        if tag in ("td", "pre"): s.cur_id = None
    def handle_data(s, d):
        if s.cell is not None: s.cell += d
        if s.incap: s.figs[-1] += d
        if s.cur_id: s.text[s.cur_id] += d
p = P(); src = open(run + "/report.html").read(); p.feed(src)
for l in p.links:
    assert "://" not in l, "external link " + l
    f = os.path.join(run, urllib.parse.unquote(l))
    assert os.path.isfile(f), "missing link target " + l
print("imgs", p.imgs)
for c in p.figs: print("cap", c)
for r in p.rows: print("row", " | ".join(r))
for k in ("epochs", "final-dev-fer", "best-dev-fer", "probes", "config-text"): print(k, repr(p.text.get(k)))
PY
}

# ---- a hand-made run directory
fake="$work/fake"
"$PY" - "$fake" <<'PY' || fail "could not build the fake run directory"
import os, struct, sys, zlib
run = sys.argv[1]
def w(path, text):
    path = os.path.join(run, path)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "w").write(text)
def tsv(path, header, rows):
    w(path, "\t".join(header) + "\n" + "".join("\t".join(str(v) for v in r) + "\n" for r in rows))
def npy_f32(path, shape, values):
    hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }" % "".join("%d, " % s for s in shape).rstrip(" ")
    hdr += " " * (63 - (10 + len(hdr)) % 64) + "\n"
    data = b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode() + struct.pack("<%df" % len(values), *values)
    open(os.path.join(run, path), "wb").write(data)
def png(path, wd=6, ht=4):
    def chunk(t, d): return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xffffffff)
    raw = b"".join(b"\x00" + bytes([40, 120, 200] * wd) for _ in range(ht))
    open(os.path.join(run, path), "wb").write(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", wd, ht, 8, 2, 0, 0, 0))
                                              + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
def svg(path):
    w(path, '<svg xmlns="http://www.w3.org/2000/svg" width="6" height="4"><rect width="6" height="4"/></svg>\n')

tsv("log.tsv", "epoch lr train_loss train_fer dev_loss dev_fer seconds examples_per_s".split(),
    [[1, 0.1, 3.0, 0.8, 3.2, 0.85, 1.5, 100], [2, 0.1, 2.0, 0.6, 2.5, 0.70, 1.5, 100], [3, 0.1, 1.5, 0.5, 2.4, 0.72, 2, 100]])
w("config.conf", "[train]\nepochs = 3\n# <b>not bold</b> & co\n")
# afr: 3 epochs x 5 bins, 0 .. 8000 Hz
os.makedirs(os.path.join(run, "probes/a"))
npy_f32("probes/a/afr.npy", (3, 5), [float(i % 7) for i in range(15)])
npy_f32("probes/a/freqs.npy", (5,), [0, 2000, 4000, 6000, 8000])
# afr's movement: filter 0 at 1000 +- 200 Hz, filter 1 at 3000 +- 500 Hz
# (rows in epoch order, as the probe writes them); gradient norms 0.5, 2
tsv("probes/a/bands.tsv", "epoch filter centre_hz band_hz".split(),
    [[e, i, [1000, 3000][i] + 10 * e, [400, 1000][i]] for e in range(3) for i in range(2)])
tsv("probes/a/movement.tsv", "epoch step d_centre_mean d_centre_max d_band_mean d_band_max d0_centre_mean d0_centre_max "
    "d0_band_mean d0_band_max grad_norm_mean grad_norm_max grad_steps".split(),
    [[e, 10 * e, 10, 10, 0, 0, 10 * e, 10 * e, 0, 0, 0.5 * e * e, e * e, 10] for e in (1, 2)])
# mi: binning ends each epoch once; kde has a mid-epoch row (epoch 1,
# step 5) with a huge I(X;T) that the argmax must not take (the epoch's
# last step stands for it) but the plane draws, coloured by step.
ixt = {"conv1": [3.0, 3.5, 4.0, 3.5], "dense1": [2.0, 2.5, 2.25, 2.0]}
rows = []
for est, k in (("binning", 1), ("kde", 2)):
    for layer in ("conv1", "dense1"):
        for e in range(4):
            if est == "kde" and e == 1:
                rows.append([e, 5, layer, est, 0.5, 100, 0.3, 1, 50])
            rows.append([e, 10 * e, layer, est, 0.5, ixt[layer][e] * k, 0.2 + 0.2 * e, 1, 100])
tsv("probes/m/mi.tsv", "epoch step layer estimator scale i_xt i_ty h_t n".split(), rows)
# gradsnr: snr = 2 / epoch; transition rows match mi's layers fully,
# partly (dense1.w ~ dense1), or not at all (fc9)
tsv("probes/g/gradsnr.tsv", "epoch layer param batches mean_norm std_norm snr norm_mean norm_std norm_snr".split(),
    [[e, l, "all", 10, 1.0 / e, 0.5, 2.0 / e, 1, 1, 1] for l in ("conv1", "dense1") for e in (1, 2, 3)])
tsv("probes/g/transition.tsv", "layer param transition_epoch min_dsnr".split(),
    [["conv1", "all", 2, -0.5], ["dense1.w", "all", 3, -0.25], ["fc9", "all", 1, -0.125]])
# a gradsnr with only the needed columns: no norms figure
tsv("probes/g2/gradsnr.tsv", "epoch layer snr".split(), [[1, "x", 5], [2, "x", 50]])
# nothing to draw on a log axis: a note, not a failure
tsv("probes/g3/gradsnr.tsv", "epoch layer snr".split(), [[1, "x", 0], [2, "x", "nan"]])
# tsne: images for conv1 at 1 and 3, dense1 at 1 (its epoch 3 has metrics only); an extra column
tsv("probes/t/tsne.tsv", "epoch layer n kl trustworthiness knn_preservation seconds extra".split(),
    [[e, l, 100, 0.5, 0.875, 0.8, 1, "x"] for l in ("conv1", "dense1") for e in (1, 3)])
for f in ("tsne_conv1_e1", "tsne_conv1_e3", "tsne_dense1_e1"):
    png("probes/t/%s.png" % f)
    svg("probes/t/%s.svg" % f)
tsv("probes/p/pca.tsv", "epoch layer n explained_variance ev1 ev2".split(), [[0, "dense 3", 100, 0.9, 0.6, 0.3]])
png("probes/p/pca_dense 3_e0.png")
# linsep: two inputs, known best cell
tsv("probes/l/linsep.tsv", "epoch layer input n_train n_test accuracy train_accuracy chance".split(),
    [[1, "conv1", "act", 80, 20, 0.5, 0.6, 0.1], [2, "conv1", "act", 80, 20, 0.625, 0.7, 0.1],
     [1, "dense1", "act", 80, 20, 0.75, 0.8, 0.1], [2, "dense1", "act", 80, 20, 0.875, 0.9, 0.1],
     [1, "conv1", "pooled", 80, 20, 0.25, 0.3, 0.1], [2, "dense1", "pooled", 80, 20, 0.375, 0.4, 0.1]])
os.makedirs(os.path.join(run, "probes/empty"))
PY

expect_status 0 "$SINCPROBE" report "$fake"
expect_match "$err" "report: .*report\.html \(15 figures\)" "report names what it wrote"
for f in learning_loss learning_fer learning_lr a_afr a_bands a_movement_centre a_movement_band a_grad_norm m_mi_binning m_mi_kde g_gradsnr_snr g_gradsnr_norms g2_gradsnr_snr \
         l_linsep_act l_linsep_pooled; do
  ok; is_png "$fake/plots/$f.png" || fail "plots/$f.png is not a PNG"
  ok; [ -s "$fake/plots/$f.svg" ] || fail "plots/$f.svg missing"
done
ok; [ ! -e "$fake/plots/g2_gradsnr_norms.png" ] || fail "g2 has no norms columns, yet a norms figure"
ok; [ ! -e "$fake/plots/g3_gradsnr_snr.png" ] || fail "g3 has no positive SNR, yet a figure"
expect_match "$(cat "$fake/report.html")" '<p class="empty">gradient SNR per layer: no finite values to draw\.</p>' "g3: a note"
ok; [ -z "$(find "$fake" -name '.*')" ] || fail "temporary files left: $(find "$fake" -name '.*')"

# Every SVG parses as XML with an <svg> root; every PNG has a sane IHDR.
ok; "$PY" - "$fake/plots" <<'PY' || fail "an SVG or PNG of plots/ is invalid"
import glob, struct, sys, xml.etree.ElementTree as ET
d = sys.argv[1]
svgs, pngs = glob.glob(d + "/*.svg"), glob.glob(d + "/*.png")
assert len(svgs) == 15 and len(pngs) == 15, (len(svgs), len(pngs))
for f in svgs:
    root = ET.parse(f).getroot()
    assert root.tag.endswith("svg"), (f, root.tag)
for f in pngs:
    b = open(f, "rb").read(24)
    w, h = struct.unpack(">II", b[16:24])
    assert b[:8] == b"\x89PNG\r\n\x1a\n" and 100 < w < 3000 and 100 < h < 3000, (f, w, h)
PY

# Known answers from the HTML: ranges, the transition table, the grid, the summary.
html="$fake/report.html"
ok; html_facts "$fake" >"$work/facts" || fail "report.html: $(cat "$work/facts")"
facts=$(cat "$work/facts")
expect_match "$facts" '^imgs 19$' "15 figures and 4 probe images"
expect_match "$facts" '^cap each of the 2 first-layer filters: its centre \(line\) and \+- half its bandwidth \(shaded\) by epoch; x 0 \.\. 2, y 0 \.\. 8 \(kHz\)$' "afr bands: ranges (y_range 0 8)"
expect_match "$facts" '^cap centre frequency moved since the start: mean \(solid\), max \(dashed\), over the filters: x 1 \.\. 2, y 10 \.\. 20$' "afr movement: ranges"
expect_match "$facts" '^cap first-layer gradient norm: mean \(solid\), max \(dashed\) over the steps \(log axis\): x 1 \.\. 2, y 0\.1 \.\. 10$' "afr gradient norm: ranges"
expect_match "$facts" '^cap estimator binning: one trajectory per layer, epoch from 0 to 3; x 2 \.\. 4, y 0\.2 \.\. 0\.8$' "binning plane ranges"
expect_match "$facts" '^cap estimator kde: one trajectory per layer, step from 0 to 30; x 0 \.\. 100, y 0\.2 \.\. 0\.8$' "kde plane: by step"
expect_match "$facts" '^cap gradient SNR per layer \(log axis\), by epoch: x 1 \.\. 3, y 0\.1 \.\. 10$' "SNR log range"
expect_match "$facts" '^cap loss \(cross-entropy per frame\), train and dev, by epoch: x 1 \.\. 3, y 1\.5 \.\. 3\.5$' "loss ranges"
expect_match "$facts" 'input act\); chance 0\.1; best dense1 epoch 2: 0\.875$' "linsep best (act)"
expect_match "$facts" 'input pooled\); chance 0\.1; best dense1 epoch 2: 0\.375$' "linsep best (pooled)"
expect_match "$facts" 'epochs 1 \.\. 3 by frequency 0 \.\. 8000 Hz' "afr caption"
expect_match "$facts" '^row layer \| param \| transition epoch \| min dSNR \| mi layer \| argmax I\(X;T\) epoch, binning \| mi layer \| argmax I\(X;T\) epoch, kde$' "transition header"
expect_match "$facts" '^row conv1 \| all \| 2 \| -0\.5 \| conv1 \| 2 \(4 bits\) \| conv1 \| 2 \(8 bits\)$' "conv1 transition beside argmax"
expect_match "$facts" '^row dense1\.w \| all \| 3 \| -0\.25 \| dense1 \| 1 \(2\.5 bits\) \| dense1 \| 1 \(5 bits\)$' "partial layer match"
expect_match "$facts" '^row fc9 \| all \| 1 \| -0\.125 \|  \| — \|  \| —$' "unmatched layer"
expect_match "$facts" "^epochs '3'$" "summary epochs"
expect_match "$facts" "^final-dev-fer '0\.7200'$" "final dev FER"
expect_match "$facts" "^best-dev-fer '0\.7000 \(epoch 2\)'$" "best dev FER"
expect_match "$facts" "^probes 'a \(afr\); empty \(no known outputs\); g \(gradsnr\); g2 \(gradsnr\); g3 \(gradsnr\); l \(linsep\); m \(mi\); p \(pca\); t \(tsne\)'$" "probes present"
expect_match "$(cat "$html")" '# &lt;b&gt;not bold&lt;/b&gt; &amp; co' "config escaped verbatim"
expect_match "$(cat "$html")" 'src="probes/p/pca_dense%203_e0\.png"' "a layer name with a space is percent-encoded"
expect_match "$(cat "$html")" 'extra x<br>' "tsne metrics with an extra column"

# ---- headless Chromium: the page loads and every image decodes
# chromium_images FILE: the marker the page's inline script leaves.
chromium_images() {
  timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --no-first-run --user-data-dir="$work/chrome" \
    --run-all-compositor-stages-before-draw --virtual-time-budget=5000 --dump-dom "file://$1" 2>"$work/chrome.err" |
    grep -o 'data-images="[^"]*"' | head -1
}
if [ -z "$CHROMIUM" ]; then
  fail "chromium is not installed (apt-get install chromium): report.html cannot be checked"
else
  expect_match "$(chromium_images "$html")" '^data-images="ok 19"$' "chromium loads every image"
  # the check itself: a broken image is reported
  cp -r "$fake" "$work/broken"
  printf 'not a png' >"$work/broken/plots/learning_fer.png"
  expect_match "$(chromium_images "$work/broken/report.html")" '^data-images="broken plots/learning_fer\.png"$' "chromium sees a broken image"
fi

# ---- malformed inputs: file and line named, exit 1, report.html as it was
cp "$html" "$work/report.before"
cp "$fake/probes/l/linsep.tsv" "$work/linsep.good"
printf '3\tconv1\tact\t80\n' >>"$fake/probes/l/linsep.tsv"
expect_status 1 "$SINCPROBE" report "$fake"
expect_match "$err" "^sincprobe: '.*/probes/l/linsep\.tsv' line 8: 4 fields, the header has 8$" "short row"
ok; cmp -s "$html" "$work/report.before" || fail "a failed report changed report.html"
cp "$work/linsep.good" "$fake/probes/l/linsep.tsv"
sed -i '3s/\t3\.5\t/\tabc\t/' "$fake/probes/m/mi.tsv"
expect_status 1 "$SINCPROBE" report "$fake"
expect_match "$err" "'.*/probes/m/mi\.tsv' line 3: column 'i_xt': 'abc' is not a number" "a non-number"
sed -i '3s/\tabc\t/\t3.5\t/' "$fake/probes/m/mi.tsv"
sed -i '1s/i_ty/ity/' "$fake/probes/m/mi.tsv"
expect_status 1 "$SINCPROBE" report "$fake"
expect_match "$err" "'.*/probes/m/mi\.tsv' line 1: no column 'i_ty' in the header" "a missing column"
sed -i '1s/ity/i_ty/' "$fake/probes/m/mi.tsv"
cp "$fake/log.tsv" "$work/log.good"
sed -i '1s/dev_fer/devfer/' "$fake/log.tsv"
expect_status 1 "$SINCPROBE" report "$fake"
expect_match "$err" "^sincprobe: '.*/log\.tsv' line 1: no column 'dev_fer' in the header$" "broken log.tsv header"
ok; cmp -s "$html" "$work/report.before" || fail "a broken log.tsv changed report.html"
cp "$work/log.good" "$fake/log.tsv"
rm "$fake/log.tsv"
expect_status 1 "$SINCPROBE" report "$fake"
expect_match "$err" "log\.tsv': no such file" "missing log.tsv"
mkdir "$work/nolog"
printf 'epoch\ttrain_loss\ttrain_fer\tdev_loss\tdev_fer\n' >"$work/nolog/log.tsv"
expect_status 0 "$SINCPROBE" report "$work/nolog" --quiet
ok; [ -z "$err" ] && [ -s "$work/nolog/report.html" ] || fail "a run with no epoch yet: $err"
expect_status 1 "$SINCPROBE" report "$work/nosuch"
expect_status 2 "$SINCPROBE" report
expect_status 2 "$SINCPROBE" report "$fake" --bogus
expect_status 0 "$SINCPROBE" report --help && expect_match "$out" '^usage: sincprobe report RUNDIR' "report --help"

# ---- a probe's own [bands] panel: a figure per group, a log y axis on
# which lower edges <= 0 sit on the bottom; an x log axis is refused
mkdir -p "$work/bands/probes/zb"
printf 'epoch\ttrain_loss\ttrain_fer\tdev_loss\tdev_fer\n1\t1\t0.5\t1\t0.5\n' >"$work/bands/log.tsv"
printf 'g\tepoch\tfilter\tc\tw\n' >"$work/bands/probes/zb/b.tsv"
for g in one two; do for e in 0 1 2; do for i in 0 1 2; do
  printf '%s\t%d\t%d\t%d\t%d\n' $g $e $i $((100 * (i + 1) + e)) $((i ? 80 * (i + 1) + 40 : 240)) >>"$work/bands/probes/zb/b.tsv"
done; done; done
printf '[report]\nkind = zb\n[bands b]\nfile = b.tsv\ngroup = g\nx = epoch\nrow = filter\ncentre = c\nwidth = w\nlog = x\n' \
  >"$work/bands/probes/zb/report.manifest"
expect_status 1 "$SINCPROBE" report "$work/bands"
expect_match "$err" "report\.manifest' line 10: log: 'x' is not y or none" "bands: log = x refused"
sed -i 's/^log = x$/log = y\ny_range = 5 1/' "$work/bands/probes/zb/report.manifest"
expect_status 1 "$SINCPROBE" report "$work/bands"
expect_match "$err" "report\.manifest' line 11: y_range: '5 1' is not two numbers LO < HI" "bands: y_range LO > HI refused"
sed -i 's/^y_range = 5 1$/caption = {rows} rows; {axes}/' "$work/bands/probes/zb/report.manifest"
expect_status 0 "$SINCPROBE" report "$work/bands"
for g in one two; do
  ok; is_png "$work/bands/plots/zb_b_$g.png" && [ -s "$work/bands/plots/zb_b_$g.svg" ] || fail "bands: no figure for group $g"
done
# filter 0's lower edge 100 - 120 < 0 does not set the range; the lowest
# point is its centre, 100, the highest 302 + 140
expect_match "$(cat "$work/bands/report.html")" '<p class="empty" id="no-lr">No lr column in log\.tsv' "a log without lr: a note, no figure"
expect_match "$(cat "$work/bands/report.html")" '3 rows; x <span class="range" data-axis="x">0 \.\. 2</span>, y <span class="range" data-axis="y">100 \.\. 1000</span>' "bands: log axis range"

# ---- marks: hatched ranges on the bands' y axis and on a matrix
# heatmap's x axis (after the divisors), noted in the captions; a bad
# value, or marks on a heatmap of a table, stops the report at its line
cp "$work/bands/plots/zb_b_one.png" "$work/zb_plain.png"
mkdir -p "$work/bands/probes/zh"
cp "$fake/probes/a/afr.npy" "$fake/probes/a/freqs.npy" "$work/bands/probes/zh/"
printf '[report]\nkind = zh\n[heatmap h]\nnpy = afr.npy\nx = freqs.npy\nx_divisor = 1000\nmarks = 1.2-1.6  6-9\ncaption = {rows} rows\n' \
  >"$work/bands/probes/zh/report.manifest"
sed -i 's/^caption = {rows} rows; {axes}$/&\nmarks = 150-250 600-700/' "$work/bands/probes/zb/report.manifest"
expect_status 0 "$SINCPROBE" report "$work/bands"
ok; is_png "$work/bands/plots/zh_h.png" && [ -s "$work/bands/plots/zh_h.svg" ] || fail "marks: no heatmap"
ok; ! cmp -s "$work/zb_plain.png" "$work/bands/plots/zb_b_one.png" || fail "marks: the bands figure did not change"
expect_match "$(cat "$work/bands/report.html")" '3 rows \(hatched: the marked x ranges 1\.2 \.\. 1\.6, 6 \.\. 9\)' "marks: heatmap caption"
expect_match "$(cat "$work/bands/report.html")" 'y <span class="range" data-axis="y">100 \.\. 1000</span> \(hatched: the marked y ranges 150 \.\. 250, 600 \.\. 700\)' "marks: bands caption, the range unchanged"
for bad in '1.6-1.2' '1.2-x' '1.2' 'nan-2'; do
  sed -i "s/^marks = 1\.2.*/marks = 1.2-1.6 $bad/" "$work/bands/probes/zh/report.manifest"
  expect_status 1 "$SINCPROBE" report "$work/bands"
  expect_match "$err" "zh/report\.manifest' line 7: marks: '$bad' is not LO-HI with LO < HI" "marks = $bad refused at its line"
done
sed -i 's/^marks = .*/marks = 1-2/; s/^npy = afr\.npy$/file = t.tsv\nrows = a\ncols = b\nvalue = c/; /^x = /d; /^x_divisor/d' "$work/bands/probes/zh/report.manifest"
expect_status 1 "$SINCPROBE" report "$work/bands"
expect_match "$err" "zh/report\.manifest' line 8: marks: only on a heatmap of an \.npy matrix" "marks on a table's heatmap refused"
rm -r "$work/bands/probes/zh"

# ---- a short real training with the afr probe
tiny_corpus
tiny_steps=4 conf "$work/run" '[probe afr]\nuse = afr\nnfft = 256' >"$work/run.conf"
expect_status 0 "$SINCPROBE" train "$work/run.conf" --quiet || finish
expect_status 0 "$SINCPROBE" report "$work/run"
for f in learning_loss learning_fer learning_lr afr_afr; do
  ok; is_png "$work/run/plots/$f.png" && [ -s "$work/run/plots/$f.svg" ] || fail "trained run: plots/$f"
done
expect_match "$(cat "$work/run/report.html")" 'epochs 1 \.\. 2 by frequency 0 \.\. 8000 Hz' "trained run: afr figure"
expect_match "$(cat "$work/run/report.html")" '<td id="epochs">2</td>' "trained run: epochs"
ok; html_facts "$work/run" >"$work/facts" || fail "trained run's report.html: $(cat "$work/facts")"
expect_match "$(cat "$work/facts")" '^imgs 8$' "trained run: eight figures"
for f in afr_bands afr_movement_centre afr_movement_band afr_grad_norm; do
  ok; is_png "$work/run/plots/$f.png" && [ -s "$work/run/plots/$f.svg" ] || fail "trained run: plots/$f"
done
finish
