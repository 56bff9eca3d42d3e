# mi.sh - the mi probe in a short training: mi.tsv with its exact header,
# one row per call x layer x estimator (epoch ends and log-spaced steps),
# every I(X;T) and I(T;Y) in [0, log2 N] (binning: I(T;Y) <= I(X;T)), the
# saturation warning, a resume that keeps the earlier rows (same file as
# the uninterrupted run), and refusals of bad options with file:line.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
export SINCPROBE_PLUGIN_PATH="$top_builddir/plugins/.libs"

tiny_dense=32,16 tiny_activation=tanh
tiny_corpus

expect_status 0 "$SINCPROBE" plugins mi
expect_match "$out" '^estimator +string +fixed ' "plugins mi: estimator"
expect_match "$out" '^bins +int \[2, [0-9]+\] +30 ' "plugins mi: bins"
expect_match "$out" '^sigma2 +float .* 0 ' "plugins mi: sigma2"
expect_match "$out" '^log_steps +int ' "plugins mi: log_steps"
expect_match "$out" '^layers +string +dense ' "plugins mi: layers"

probe='[probe m]\nuse = mi\nestimator = fixed,width,adaptive,kde\nsigma2 = 0.1\nlog_steps = 4'
probe2='[probe w]\nuse = mi\nlayers = dact2\nbins = 3\nprobe_frames = 64'
conf "$work/run" "$probe" "$probe2" >"$work/run.conf"
expect_status 0 "$SINCPROBE" train "$work/run.conf" --quiet || finish
t="$work/run/probes/m/mi.tsv"
ok; [ "$(head -1 "$t")" = "$(printf 'epoch\tstep\tlayer\testimator\tscale\ti_xt\ti_ty\th_t\tn')" ] ||
  fail "mi.tsv header: $(head -1 "$t")"
# log_steps = 4 of 12 steps: 1, 2, 5, 12 (12 is epoch 2's end), plus the
# end of epoch 1 (6): 5 calls x 3 layers (dact1 dact2 out) x 5 rows
ok; [ "$(wc -l <"$t")" -eq $((1 + 5 * 3 * 5)) ] || fail "mi.tsv: $(wc -l <"$t") lines, want 76"
ok; [ "$(awk -F'\t' 'NR > 1 {print $1 ":" $2}' "$t" | uniq | tr '\n' ' ')" = "1:1 1:2 1:5 1:6 2:12 " ] ||
  fail "mi.tsv calls: $(awk -F'\t' 'NR > 1 {print $1 ":" $2}' "$t" | uniq | tr '\n' ' ')"
ok; [ "$(awk -F'\t' 'NR > 1 && $1 == 2 {print $3 "/" $4 "/" $5}' "$t" | tr '\n' ' ')" = \
  "dact1/fixed/30 dact1/width/0.5 dact1/adaptive/30 dact1/kde_upper/0.1 dact1/kde_lower/0.1 dact2/fixed/30 dact2/width/0.5 dact2/adaptive/30 dact2/kde_upper/0.1 dact2/kde_lower/0.1 out/fixed/30 out/width/0.5 out/adaptive/30 out/kde_upper/0.1 out/kde_lower/0.1 " ] ||
  fail "rows of epoch 2: $(awk -F'\t' 'NR > 1 && $1 == 2 {print $3 "/" $4 "/" $5}' "$t" | tr '\n' ' ')"
# every value in [0, log2 n]; binning: I(T;Y) <= I(X;T) = h_t; kde: lower <= upper
ok; awk -F'\t' 'NR > 1 {
    c = log($9) / log(2) + 1e-9
    if (!($9 > 100 && $6 >= 0 && $6 <= c && $7 >= -1e-9 && $7 <= c)) { print "range: " $0; bad = 1 }
    if ($4 !~ /^kde/ && ($7 > $6 + 1e-9 || $6 != $8)) { print "binning: " $0; bad = 1 }
    if ($4 == "kde_upper") up = $6
    if ($4 == "kde_lower" && $6 > up + 1e-9) { print "kde lower > upper: " $0; bad = 1 }
  } END { exit bad }' "$t" >"$work/bad" || fail "mi.tsv values: $(head -3 "$work/bad")"
expect_match "$err" 'probe m: warning: epoch 1 step 1: binning saturated, every one of the [0-9]+ probe frames has its own pattern in dact1 \(fixed\)' "saturation warning"
ok; grep -q 'binning saturated' "$work/run/probes/log.txt" || fail "the warning is not in probes/log.txt"
# bins = 3 (two intervals) on 16 tanh units of 64 frames: few patterns, no ceiling
w="$work/run/probes/w/mi.tsv"
ok; [ "$(awk -F'\t' 'NR > 1 {print $1 ":" $3 ":" $4 ":" $5 ":" $9}' "$w" | tr '\n' ' ')" = "1:dact2:fixed:3:64 2:dact2:fixed:3:64 " ] ||
  fail "probe w rows: $(cat "$w")"
ok; [ -z "$(find "$work/run/probes" -name '.*')" ] || fail "temporary files left"

# ---- resume keeps the rows of the epochs done: the same file
conf "$work/res" "$probe" "$probe2" >"$work/res.conf"
expect_status 0 "$SINCPROBE" train "$work/res.conf" --quiet --stop-after-steps 8
ok; [ "$(awk -F'\t' 'NR > 1 {print $1 ":" $2}' "$work/res/probes/m/mi.tsv" | uniq | tr '\n' ' ')" = "1:1 1:2 1:5 1:6 " ] ||
  fail "interrupted mi.tsv: $(cut -f1,2 "$work/res/probes/m/mi.tsv" | uniq | tr '\n' ' ')"
expect_status 0 "$SINCPROBE" train --resume "$work/res" --quiet
for f in m/mi.tsv w/mi.tsv; do
  ok; cmp -s "$work/run/probes/$f" "$work/res/probes/$f" || fail "resumed $f differs from the uninterrupted run's"
done

# ---- sincprobe analyse mi: the IDNNs-style toy, 4096 distinct 12-bit
# inputs as the layer, Y = [at least 7 bits set]: I(X;T) = 12 bits and
# I(T;Y) = I(X;Y) = H(Y) = h(1586/4096) = 0.9629734744 bits
"$PY" - "$work/toy12.npy" "$work/toy12-labels.npy" <<'PYEOF'
import struct, sys
def npy(path, descr, shape, fmt, data):
    h = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, str(tuple(shape)))
    h += ' ' * ((64 - (10 + len(h) + 1) % 64) % 64) + '\n'
    with open(path, 'wb') as f:
        f.write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(h)) + h.encode('latin1'))
        f.write(struct.pack('<%d%s' % (len(data), fmt), *data))
x, y = [], []
for i in range(4096):
    b = [(i >> k) & 1 for k in range(12)]
    x += [float(v) for v in b]
    y.append(1 if sum(b) >= 7 else 0)
npy(sys.argv[1], '<f4', (4096, 12), 'f', x)
npy(sys.argv[2], '<i4', (4096,), 'i', y)
PYEOF
expect_status 0 "$SINCPROBE" analyse mi "$work/toy12.npy" "$work/toy12-labels.npy" --out "$work/an" --estimator fixed,kde --sigma2 0.01
ok; [ "$(sed -n 2p "$work/an/mi.tsv")" = "$(printf '0\t0\ttoy12\tfixed\t30\t12\t0.9629734744\t12\t4096')" ] ||
  fail "analyse mi toy: $(cat "$work/an/mi.tsv")"
ok; awk -F'\t' '$4 ~ /^kde/ && !($6 > 11.999 && $6 <= 12 && $7 > 0.9629 && $7 < 0.96298) {exit 1}' "$work/an/mi.tsv" ||
  fail "analyse mi toy, kde: $(cat "$work/an/mi.tsv")"
expect_match "$err" 'binning saturated.*toy12 \(fixed\)' "analyse: the saturation warning"

# ---- refusals, naming the option's config line
conf "$work/bad1" '[probe m]\nuse = mi\nestimator = fixed,kde' >"$work/bad1.conf"
expect_status 2 "$SINCPROBE" train "$work/bad1.conf" --quiet
expect_match "$err" 'sigma2: the kde estimator needs the noise variance sigma2 > 0' "kde without sigma2"
conf "$work/bad2" '[probe m]\nuse = mi\nestimator = fixed,bogus' >"$work/bad2.conf"
expect_status 2 "$SINCPROBE" train "$work/bad2.conf" --quiet
expect_match "$err" "bad2\.conf:[0-9]+: .*estimator: 'bogus' is not fixed, width, adaptive, ebab or kde" "bad estimator, with its line"
conf "$work/bad3" '[probe m]\nuse = mi\nlo = 1\nhi = -1' >"$work/bad3.conf"
expect_status 2 "$SINCPROBE" train "$work/bad3.conf" --quiet
expect_match "$err" "bad3\.conf:[0-9]+: .*lo 1 is not below hi -1" "lo >= hi, with its line"
conf "$work/bad4" '[probe m]\nuse = mi\nestimator = kde\nsigma2 = -1' >"$work/bad4.conf"
expect_status 2 "$SINCPROBE" train "$work/bad4.conf" --quiet
expect_match "$err" "bad4\.conf:[0-9]+: .*sigma2" "negative sigma2, with its line"
conf "$work/bad5" '[probe m]\nuse = mi\nlayers = nosuch' >"$work/bad5.conf"
expect_status 2 "$SINCPROBE" train "$work/bad5.conf" --quiet
expect_match "$err" "nosuch" "unknown layer"
for b in bad1 bad2 bad3 bad4; do # create refuses these: no run directory
  ok; [ ! -e "$work/$b" ] || fail "the refused run $b wrote its directory"
done
finish
