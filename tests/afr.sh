# afr.sh - the afr probe in a short training (afr.npy of shape (epochs,
# nfft/2+1), responses.npy, cutoffs.tsv, the frequency axis, PNG figures,
# step snapshots, a resume that continues the arrays bit for bit), its
# refusal of nfft < taps, and `sincprobe afr` on the run's checkpoint in
# each format. How far the first layer moved (bands.tsv, movement.tsv)
# recomputed from cutoffs.tsv (sinc) and from responses.npy (conv), the
# start checked against the mel initialisation, the gradient norm finite
# and positive, and a resume that continues them bit for bit. mark: the
# marks in report.manifest and report.html, bad lists refused at their
# config line; `sincprobe afr --mark`.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
export SINCPROBE_PLUGIN_PATH="$top_builddir/plugins/.libs"

# npy_shape FILE: the shape tuple of a .npy header, e.g. "(2, 257)".
npy_shape() { head -c 256 "$1" | grep -ao "'shape': ([0-9, ]*)" | sed "s/'shape': //"; }
npy_descr() { head -c 256 "$1" | grep -ao "'descr': '[<>a-z0-9]*'" | sed "s/'descr': //"; }
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }

tiny_corpus

expect_status 0 "$SINCPROBE" plugins afr
expect_match "$out" '^nfft +int \[16, 1048576\] +1024 ' "plugins afr: nfft"
expect_match "$out" '^normalise +enum none\|peak +none ' "plugins afr: normalise"
expect_match "$out" '^every +int ' "plugins afr: every"
expect_match "$out" '^db +bool +no ' "plugins afr: db"
expect_match "$out" '^mark +string ' "plugins afr: mark"

# ---- a run with the probe
# lr 0.01: the cut-offs move far enough in 12 steps to tell the start
# from the first epoch's end
lr01() { sed 's/^batch = 16$/&\nlr = 0.01/'; }
conf "$work/run" '[probe a]\nuse = afr\nnfft = 512\nevery = 3' '[probe p]\nuse = afr\nnormalise = peak\ndb = yes\nprobe_frames = 0\nmark = 1200-1600, 1800-2100' | lr01 >"$work/run.conf"
expect_status 0 "$SINCPROBE" train "$work/run.conf" --quiet || finish
d="$work/run/probes/a"
ok; [ "$(npy_shape "$d/afr.npy")" = "(2, 257)" ] || fail "afr.npy shape $(npy_shape "$d/afr.npy"), want (2, 257)"
ok; [ "$(npy_descr "$d/afr.npy")" = "'<f4'" ] || fail "afr.npy dtype $(npy_descr "$d/afr.npy")"
ok; [ "$(npy_shape "$d/responses.npy")" = "(2, 8, 257)" ] || fail "responses.npy shape $(npy_shape "$d/responses.npy")"
ok; [ "$(npy_shape "$d/freqs.npy")" = "(257,)" ] || fail "freqs.npy shape $(npy_shape "$d/freqs.npy")"
ok; [ "$(npy_shape "$work/run/probes/p/afr.npy")" = "(2, 513)" ] || fail "default nfft: $(npy_shape "$work/run/probes/p/afr.npy")"
expect_match "$(head -1 "$d/cutoffs.tsv")" '^epoch	filter	low_hz	high_hz$' "cutoffs.tsv header"
ok; [ "$(wc -l <"$d/cutoffs.tsv")" -eq 17 ] || fail "cutoffs.tsv: $(wc -l <"$d/cutoffs.tsv") lines, want 1 + 2 x 8"
ok; awk -F'\t' 'NR > 1 && !($3 >= 50 && $4 > $3 && $4 <= 8000) {exit 1}' "$d/cutoffs.tsv" || fail "cutoffs out of range"
ok; [ "$(awk -F'\t' 'NR > 1 {print $1}' "$d/cutoffs.tsv" | uniq | tr '\n' ' ')" = "1 2 " ] || fail "cutoffs epochs"
ok; [ "$(wc -l <"$d/freqs.tsv")" -eq 258 ] || fail "freqs.tsv: $(wc -l <"$d/freqs.tsv") lines"
ok; [ "$(sed -n '2p;$p' "$d/freqs.tsv" | tr '\n' ' ')" = "0 8000 " ] || fail "freqs.tsv range: $(sed -n '2p;$p' "$d/freqs.tsv")"
for f in afr_heatmap.png afr_curves.png afr_steps_heatmap.png; do
  ok; is_png "$d/$f" || fail "$f is not a PNG"
done
if command -v file >/dev/null; then
  expect_match "$(file "$d/afr_heatmap.png")" 'PNG image data, [0-9]+ x [0-9]+' "file(1) reads the heatmap"
fi
ok; [ "$(npy_shape "$d/afr_steps.npy")" = "(4, 257)" ] || fail "afr_steps.npy shape $(npy_shape "$d/afr_steps.npy")"
ok; [ "$(awk -F'\t' 'NR > 1 {print $1 ":" $2}' "$d/steps.tsv" | tr '\n' ' ')" = "0:1 3:1 6:2 9:2 " ] ||
  fail "steps.tsv: $(cat "$d/steps.tsv")"
ok; [ -z "$(find "$work/run/probes" -name '.*')" ] || fail "temporary files left: $(find "$work/run/probes" -name '.*')"

# ---- mark: the marks (kHz) in report.manifest, right after the headers
# of the AFR heatmap and of the filter bands; none without it; drawn
m="$work/run/probes/p/report.manifest"
ok; [ "$(grep -A1 -F -e '[heatmap afr]' -e '[bands bands]' "$m" | grep -c '^marks = 1\.2-1\.6 1\.8-2\.1$')" = 2 ] ||
  fail "mark: report.manifest lacks the marks: $(grep -n marks "$m")"
ok; [ "$(grep -c '^marks' "$m")" = 2 ] && ! grep -q '^marks' "$d/report.manifest" || fail "marks where they do not belong"
expect_match "$(cat "$work/run/report.html")" 'hatched: the marked x ranges 1\.2 \.\. 1\.6, 1\.8 \.\. 2\.1\)' "mark: the report's AFR heatmap"
expect_match "$(cat "$work/run/report.html")" 'hatched: the marked y ranges 1\.2 \.\. 1\.6, 1\.8 \.\. 2\.1\)' "mark: the report's filter bands"
ok; is_png "$work/run/plots/p_afr.png" && is_png "$work/run/plots/p_bands.png" || fail "mark: the report's figures"
# a bad list is refused before training, naming the option's line
for bad in '1800-2100,1200-1600|1200-1600 does not start above the end of 1800-2100' \
           '1200-9000|.1200-9000. is not f_lo-f_hi in Hz with 0 <= f_lo < f_hi <= 8000' \
           '1200-1600,x|.x. \(in a comma list\) is not f_lo-f_hi'; do
  conf "$work/badmark" "[probe a]\nuse = afr\nmark = ${bad%%|*}" >"$work/badmark.conf"
  line=$(grep -n '^mark = ' "$work/badmark.conf" | cut -d: -f1)
  expect_status 2 "$SINCPROBE" train "$work/badmark.conf" --quiet
  expect_match "$err" "badmark\.conf:$line: .*mark: .*${bad#*|}" "mark = ${bad%%|*} refused at its line"
  ok; [ ! -e "$work/badmark" ] || fail "the refused run wrote its directory"
done

# ---- how far the first layer moved, recomputed
# movement_check RUN PROBE KIND: bands.tsv epochs 1.. against cutoffs.tsv
# (KIND sinc: (f1 + f2) / 2, f2 - f1) or responses.npy (conv: centroid and
# sqrt(12) x RMS width of |H|^2), epoch 0 against the mel initialisation
# (sinc), movement.tsv against bands.tsv; the gradient norm finite and
# positive over every step.
movement_check() {
  "$PY" - "$1" "$2" "$3" <<'PY'
import math, re, struct, sys
run, probe, kind = sys.argv[1:]
d = "%s/probes/%s/" % (run, probe)
def tsv(name):
    lines = open(d + name).read().split("\n")
    head = lines[0].split("\t")
    return head, [[float(v) for v in l.split("\t")] for l in lines[1:] if l]
conf = open(run + "/config.conf").read()
key = lambda k: float(re.search(r"^%s = (\S+)" % k, conf, re.M).group(1))
F, steps = int(key("filters")), int(key("steps_per_epoch"))
head, bands = tsv("bands.tsv")
assert head == ["epoch", "filter", "centre_hz", "band_hz"], head
E = len(bands) // F - 1
assert E >= 2 and len(bands) == (E + 1) * F, len(bands)
B = {}
for e, i, c, w in bands: B[int(e), int(i)] = (c, w)
assert sorted(B) == [(e, i) for e in range(E + 1) for i in range(F)], "bands.tsv rows"
close = lambda a, b, tol: abs(a - b) <= tol * (1 + abs(b))
if kind == "sinc":
    _, cut = tsv("cutoffs.tsv")
    for e, i, lo, hi in cut:
        c, w = B[int(e), int(i)]
        # float32 cut-offs (normalised ones are products of float32 values)
        assert close(c, (lo + hi) / 2, 1e-6) and close(w, hi - lo, 1e-6), ("sinc", e, i, c, w, lo, hi)
    # epoch 0: the mel initialisation (float32 as the model stores it)
    f32 = lambda v: struct.unpack("<f", struct.pack("<f", v))[0]
    mel, imel = lambda f: 2595 * math.log10(1 + f / 700), lambda m: 700 * (10 ** (m / 2595) - 1)
    lo_hz, band_hz, nyq = key("min_low_hz"), key("min_band_hz"), 8000.0
    m0, m1 = mel(30.0), mel(nyq - (lo_hz + band_hz))
    prev = f32(imel(m0))
    for i in range(F):
        nxt = f32(imel(m0 + (m1 - m0) * (i + 1) / F))
        f1 = lo_hz + prev
        f2 = min(f1 + band_hz + f32(nxt - prev), nyq)
        c, w = B[0, i]
        assert abs(c - (f1 + f2) / 2) < 1e-3 and abs(w - (f2 - f1)) < 1e-3, ("start", i, c, w, f1, f2)
        prev = nxt
else:
    raw = open(d + "responses.npy", "rb").read()
    hl = struct.unpack("<H", raw[8:10])[0]
    shape = tuple(int(v) for v in re.search(r"'shape': \(([0-9, ]*)\)", raw[10:10 + hl].decode()).group(1).split(",") if v.strip())
    assert shape[0] == E and shape[1] == F, shape
    nb = shape[2]
    mag = struct.unpack("<%df" % (E * F * nb), raw[10 + hl:])
    df = 8000.0 / (nb - 1)
    for e in range(1, E + 1):
        for i in range(F):
            m = mag[((e - 1) * F + i) * nb:((e - 1) * F + i + 1) * nb]
            p = [v * v for v in m]
            sp = sum(p)
            mu = sum(j * df * p[j] for j in range(nb)) / sp
            w = math.sqrt(12 * sum((j * df - mu) ** 2 * p[j] for j in range(nb)) / sp)
            c0, w0 = B[e, i]
            assert close(c0, mu, 1e-6) and close(w0, w, 1e-6), ("conv", e, i, c0, w0, mu, w)
head, mv = tsv("movement.tsv")
want = "epoch step d_centre_mean d_centre_max d_band_mean d_band_max d0_centre_mean d0_centre_max d0_band_mean d0_band_max grad_norm_mean grad_norm_max grad_steps".split()
assert head == want, head
assert len(mv) == E, len(mv)
def stats(a, b):
    dc = [abs(B[b, i][0] - B[a, i][0]) for i in range(F)]
    dw = [abs(B[b, i][1] - B[a, i][1]) for i in range(F)]
    return [sum(dc) / F, max(dc), sum(dw) / F, max(dw)]
for r in mv:
    e = int(r[0])
    assert r[1] == e * steps, ("step", r)
    got, exp = r[2:10], stats(e - 1, e) + stats(0, e)
    for g, x in zip(got, exp):
        assert abs(g - x) <= 1e-6 + 1e-6 * abs(x), ("movement", e, got, exp)
    gm, gx, gs = r[10:13]
    assert math.isfinite(gm) and gm > 0 and gx >= gm and gs == steps, ("grad norm", r)
assert mv[0][7] > 0.01, "the first epoch moved no filter: the start cannot be told from it"
print("%s %s: %d filters, %d epochs; d0_centre_mean %s Hz; grad_norm_mean %s" %
      (probe, kind, F, E, " ".join("%.4g" % r[6] for r in mv), " ".join("%.3g" % r[10] for r in mv)))
PY
}
ok; movement_check "$work/run" a sinc >"$work/mv" 2>&1 || fail "movement (sinc): $(cat "$work/mv")"
ok; cmp -s "$d/movement.tsv" "$work/run/probes/p/movement.tsv" || fail "normalise and db changed the movement"
ok; [ "$(npy_shape "$d/bands.npy")" = "(3, 2, 8)" ] || fail "bands.npy shape $(npy_shape "$d/bands.npy")"
conf "$work/conv" '[probe a]\nuse = afr\nnfft = 256' '[probe p]\nuse = afr\nnfft = 256\nnormalise = peak\ndb = yes' |
  sed 's/^taps = 65$/&\nfirst_layer = conv/' >"$work/conv.conf"
expect_status 0 "$SINCPROBE" train "$work/conv.conf" --quiet || finish
ok; movement_check "$work/conv" a conv >"$work/mv" 2>&1 || fail "movement (conv): $(cat "$work/mv")"
for f in bands.tsv movement.tsv; do
  ok; cmp -s "$work/conv/probes/a/$f" "$work/conv/probes/p/$f" || fail "conv: normalise and db changed $f"
done
expect_match "$(cat "$work/conv/probes/log.txt")" "bands\.tsv takes centres and bandwidths from \|H\|" "conv: the log says where the bands come from"

# ---- resume continues the arrays: the same bytes as the uninterrupted run
conf "$work/res" '[probe a]\nuse = afr\nnfft = 512\nevery = 3' '[probe p]\nuse = afr\nnormalise = peak\ndb = yes\nprobe_frames = 0' | lr01 >"$work/res.conf"
expect_status 0 "$SINCPROBE" train "$work/res.conf" --quiet --stop-after-steps 8
ok; [ "$(npy_shape "$work/res/probes/a/afr.npy")" = "(1, 257)" ] || fail "interrupted afr.npy $(npy_shape "$work/res/probes/a/afr.npy")"
expect_status 0 "$SINCPROBE" train --resume "$work/res" --quiet
for f in a/afr.npy a/responses.npy a/cutoffs.tsv a/afr_steps.npy a/steps.tsv p/afr.npy p/responses.npy \
         a/bands.tsv a/bands.npy a/movement.tsv a/movement.npy p/movement.tsv; do
  ok; cmp -s "$d/../$f" "$work/res/probes/$f" || fail "resumed $f differs from the uninterrupted run's"
done

# ---- nfft shorter than the taps is refused before training
conf "$work/short" '[probe a]\nuse = afr\nnfft = 32' >"$work/short.conf"
expect_status 2 "$SINCPROBE" train "$work/short.conf" --quiet
expect_match "$err" "short\.conf:[0-9]+: .*nfft: 32 is shorter than the first layer's filters \('sinc', 65 taps\); set nfft = 128, or any even number >= 65" "nfft < taps"
ok; [ ! -e "$work/short" ] || fail "the run refused in on_start left its directory"
conf "$work/odd" '[probe a]\nuse = afr\nnfft = 513' >"$work/odd.conf"
expect_status 2 "$SINCPROBE" train "$work/odd.conf" --quiet
expect_match "$err" "odd\.conf:[0-9]+: .*nfft: 513 is not an even number" "odd nfft, with its config line"
ok; [ ! -e "$work/odd" ] || fail "the refused run wrote its directory"

# ---- sincprobe afr on the run's checkpoint
ck="$work/run/checkpoints/last.ckpt"
expect_status 0 "$SINCPROBE" afr "$ck"
ok; [ "$(printf '%s\n' "$out" | wc -l)" -eq 514 ] || fail "afr tsv: $(printf '%s\n' "$out" | wc -l) lines, want 1 + 513"
expect_match "$(printf '%s\n' "$out" | head -1)" '^freq_hz	afr$' "afr tsv header"
expect_match "$(printf '%s\n' "$out" | tail -1)" '^8000	[0-9.e+-]+$' "afr tsv last row at 8 kHz"
expect_status 0 "$SINCPROBE" afr "$work/run" --nfft 512 --out "$work/afr.tsv"
ok; [ "$(wc -l <"$work/afr.tsv")" -eq 258 ] && [ -z "$out" ] || fail "afr --out FILE: $(wc -l <"$work/afr.tsv") lines"
expect_status 1 "$SINCPROBE" afr "$work/run" --out "$work/nosuchdir/afr.tsv"
expect_match "$err" "nosuchdir" "afr --out in a missing directory"
expect_status 0 "$SINCPROBE" afr "$work/run" --nfft 512 --per-filter
ok; [ "$(printf '%s\n' "$out" | wc -l)" -eq 258 ] || fail "afr --nfft 512: $(printf '%s\n' "$out" | wc -l) lines"
expect_match "$(printf '%s\n' "$out" | head -1)" '^freq_hz	afr	h0	h1	h2	h3	h4	h5	h6	h7$' "per-filter header"
# The command's AFR equals the probe's last epoch (same checkpoint, same code).
"$SINCPROBE" afr "$ck" --nfft 512 --format npy --out "$work/npy" >/dev/null 2>&1
ok; [ "$(npy_shape "$work/npy/afr.npy")" = "(257,)" ] || fail "afr --format npy: $(npy_shape "$work/npy/afr.npy")"
ok; [ "$(npy_shape "$work/npy/responses.npy")" = "(8, 257)" ] || fail "responses.npy $(npy_shape "$work/npy/responses.npy")"
ok; [ "$(tail -c 1028 "$d/afr.npy" | od -An -tx1)" = "$(tail -c 1028 "$work/npy/afr.npy" | od -An -tx1)" ] ||
  fail "sincprobe afr differs from the probe's last epoch"
ok; [ "$(wc -l <"$work/npy/cutoffs.tsv")" -eq 9 ] || fail "afr npy cutoffs.tsv"
expect_status 0 "$SINCPROBE" afr "$ck" --format png --out "$work/afr.png" --db --normalise peak
ok; is_png "$work/afr.png" || fail "afr --format png"
expect_status 0 "$SINCPROBE" afr "$ck" --format png --out "$work/afr-marked.png" --db --normalise peak --mark 1200-1600,1800-2100
ok; is_png "$work/afr-marked.png" && ! cmp -s "$work/afr.png" "$work/afr-marked.png" || fail "afr --mark: not drawn"
expect_status 2 "$SINCPROBE" afr "$ck" --format png --out "$work/afr-bad.png" --mark 1600-1200
expect_match "$err" "--mark: '1600-1200' is not f_lo-f_hi in Hz with 0 <= f_lo < f_hi <= 8000" "afr --mark: a bad list"
ok; [ ! -e "$work/afr-bad.png" ] || fail "afr --mark: a bad list wrote the figure"
expect_status 2 "$SINCPROBE" afr "$ck" --mark 1200-1600
expect_match "$err" "--mark is for --format png" "afr --mark without png"
expect_status 0 "$SINCPROBE" afr "$ck" --db --normalise peak
expect_match "$(printf '%s\n' "$out" | awk -F'\t' 'NR > 1 && $2 > 0.001 {print "positive dB: " $0}')" '^$' "peak-normalised dB <= 0"
expect_status 1 "$SINCPROBE" afr "$ck" --nfft 32
expect_match "$err" "^sincprobe: --nfft 32 is shorter than the first layer's filters \(65 taps\); use --nfft 128, or any even N >= 65" "afr --nfft < taps"
expect_status 2 "$SINCPROBE" afr "$ck" --format png
expect_status 2 "$SINCPROBE" afr "$ck" --format jpg
expect_status 2 "$SINCPROBE" afr "$ck" --nfft 1023
expect_status 2 "$SINCPROBE" afr
expect_status 1 "$SINCPROBE" afr "$work/nosuch"
expect_status 0 "$SINCPROBE" afr --help && expect_match "$out" '^usage: sincprobe afr MODEL ' "afr --help"
expect_status 0 "$SINCPROBE" help && expect_match "$out" '^  afr ' "help lists afr"
finish
