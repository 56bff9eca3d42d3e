# analysis-probes.sh - the linsep, gradsnr and randomize probes in a short
# training on a tiny synthetic corpus: their options in `sincprobe
# plugins`, the exact headers and row counts of linsep.tsv, gradsnr.tsv,
# transition.tsv and randomize.tsv, values in range (accuracies in [0, 1],
# snr = mean_norm / std_norm, both transitions of transition.tsv against
# numpy, 47/48 of the labels changed at p = 1), a
# resume that reproduces the uninterrupted run's tables byte for byte,
# the refusal of an unknown layer, and `sincprobe analyse linsep` on a
# separable matrix (accuracy 1).
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
export SINCPROBE_PLUGIN_PATH="$top_builddir/plugins/.libs"

tiny_dense=32,16 tiny_epochs=3 tiny_steps=5
tiny_corpus

expect_status 0 "$SINCPROBE" plugins linsep
expect_match "$out" '^layers +string' "plugins linsep: layers"
expect_match "$out" '^test_fraction +float' "plugins linsep: test_fraction"
expect_status 0 "$SINCPROBE" plugins gradsnr
expect_match "$out" '^layers +string' "plugins gradsnr: layers"
expect_status 0 "$SINCPROBE" plugins randomize
expect_match "$out" '^mode +enum labels\|permute\|noise' "plugins randomize: mode"

probes='[probe lin]\nuse = linsep\niterations = 50\nprobe_frames = 400
[probe snr]\nuse = gradsnr\nlayers = sinc,dense1,out
[probe rnd]\nuse = randomize\np = 1'
conf "$work/run" "$probes" >"$work/run.conf"
expect_status 0 "$SINCPROBE" train "$work/run.conf" --quiet || finish
[ -n "${KEEP_OUTPUT:-}" ] && cp -r "$work/run" "$KEEP_OUTPUT"
d="$work/run/probes"

# ---- linsep: default layers = the dense activations and out: dact1, dact2, out
expect_match "$(head -1 "$d/lin/linsep.tsv")" '^epoch	layer	input	n_train	n_test	accuracy	train_accuracy	chance$' "linsep.tsv header"
ok; [ "$(awk -F'\t' 'NR > 1 {print $1 ":" $2}' "$d/lin/linsep.tsv" | tr '\n' ' ')" = \
  "1:dact1 1:dact2 1:out 2:dact1 2:dact2 2:out 3:dact1 3:dact2 3:out " ] || fail "linsep rows: $(cat "$d/lin/linsep.tsv")"
ok; awk -F'\t' 'NR > 1 && !($3 == "act" && $6 >= 0 && $6 <= 1 && $7 >= 0 && $7 <= 1 && $8 >= 0 && $8 <= 1 &&
  $4 + $5 >= 300 && $5 / ($4 + $5) > 0.24 && $5 / ($4 + $5) < 0.26) {exit 1}' "$d/lin/linsep.tsv" ||
  fail "linsep values: $(cat "$d/lin/linsep.tsv")"

# ---- gradsnr: 3 layers x (w, b) x 3 epochs; snr = mean_norm / std_norm
expect_match "$(head -1 "$d/snr/gradsnr.tsv")" '^epoch	layer	param	batches	mean_norm	std_norm	snr	norm_mean	norm_std	norm_snr$' "gradsnr.tsv header"
ok; [ "$(wc -l <"$d/snr/gradsnr.tsv")" -eq 19 ] || fail "gradsnr.tsv: $(wc -l <"$d/snr/gradsnr.tsv") lines, want 1 + 18"
ok; [ "$(awk -F'\t' 'NR > 1 {print $2 "." $3}' "$d/snr/gradsnr.tsv" | LC_ALL=C sort -u | tr '\n' ' ')" = \
  "dense1.b dense1.w out.b out.w sinc.band_hz sinc.low_hz " ] || fail "gradsnr tensors: $(cut -f2,3 "$d/snr/gradsnr.tsv" | sort -u)"
ok; awk -F'\t' 'NR > 1 && !($4 == 5 && $5 > 0 && $6 > 0 && ($7 - $5 / $6) ^ 2 < 1e-12 * $7 ^ 2 && $8 >= $5 &&
  ($10 - $8 / $9) ^ 2 < 1e-12 * $10 ^ 2) {exit 1}' "$d/snr/gradsnr.tsv" || fail "gradsnr values: $(cat "$d/snr/gradsnr.tsv")"
expect_match "$(head -1 "$d/snr/transition.tsv")" '^layer	param	transition_epoch	min_dsnr	norm_transition_epoch	norm_min_dsnr$' "transition.tsv header"
ok; [ "$(wc -l <"$d/snr/transition.tsv")" -eq 7 ] || fail "transition.tsv: $(cat "$d/snr/transition.tsv")"
ok; awk -F'\t' 'NR > 1 && !(($3 == 2 || $3 == 3) && ($5 == 2 || $5 == 3)) {exit 1}' "$d/snr/transition.tsv" ||
  fail "transition epochs: $(cat "$d/snr/transition.tsv")"
# both transitions (of snr and of norm_snr) against numpy on the recorded
# per-epoch statistics: argmin of np.diff, and the difference there
if "$PY" -c 'import numpy' 2>/dev/null; then
  ok; "$PY" - "$d/snr/gradsnr.tsv" "$d/snr/transition.tsv" <<'PY' || fail "transition.tsv against numpy"
import sys, numpy as np
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1])]
head, rows = rows[0], rows[1:]
got = {tuple(r[:2]): r[2:] for r in [l.rstrip("\n").split("\t") for l in open(sys.argv[2])][1:]}
bad = 0
for key, cells in got.items():
    mine = [r for r in rows if (r[1], r[2]) == key]
    ep = np.array([float(r[0]) for r in mine])
    for col, (te, md) in (("snr", cells[0:2]), ("norm_snr", cells[2:4])):
        d = np.diff(np.array([float(r[head.index(col)]) for r in mine]))
        i = int(np.argmin(d))
        if float(te) != ep[i + 1] or abs(float(md) - d[i]) > 1e-8 * max(1.0, abs(d[i])):
            print("%s %s %s: got %s %s, numpy %g %.10g" % (key + (col, te, md, ep[i + 1], d[i])))
            bad = 1
sys.exit(bad)
PY
fi

# ---- randomize: 5 steps x 16 chunks per epoch, ~47/48 changed
ok; [ "$(awk -F'\t' 'NR > 1 {print $1 ":" $2 ":" $3}' "$d/rnd/randomize.tsv" | tr '\n' ' ')" = "1:80:80 2:80:80 3:80:80 " ] ||
  fail "randomize.tsv: $(cat "$d/rnd/randomize.tsv")"
ok; awk -F'\t' 'NR > 1 && !($4 >= 70) {exit 1}' "$d/rnd/randomize.tsv" || fail "randomize changed: $(cat "$d/rnd/randomize.tsv")"
ok; [ -z "$(find "$d" -name '.*')" ] || fail "temporary files left: $(find "$d" -name '.*')"

# ---- resume (mid-epoch 2): the finished epochs' rows come back identical
conf "$work/res" "$probes" >"$work/res.conf"
expect_status 0 "$SINCPROBE" train "$work/res.conf" --quiet --stop-after-steps 7
expect_status 0 "$SINCPROBE" train --resume "$work/res" --quiet
ok; cmp -s "$d/lin/linsep.tsv" "$work/res/probes/lin/linsep.tsv" ||
  fail "resumed linsep.tsv differs: $(diff "$d/lin/linsep.tsv" "$work/res/probes/lin/linsep.tsv" | head -5)"
# randomize: the same decisions, so epochs 1 and 3 count the same; epoch 2
# counts the 3 batches from the resumed step on
ok; [ "$(awk -F'\t' '$1 != 2' "$d/rnd/randomize.tsv")" = "$(awk -F'\t' '$1 != 2' "$work/res/probes/rnd/randomize.tsv")" ] ||
  fail "resumed randomize.tsv differs outside epoch 2"
ok; [ "$(awk -F'\t' '$1 == 2 {print $2 ":" $3}' "$work/res/probes/rnd/randomize.tsv")" = 48:48 ] ||
  fail "resumed randomize epoch 2: $(cat "$work/res/probes/rnd/randomize.tsv")"
# gradsnr: epochs 1 and 3 equal; epoch 2 restarted its statistics at the resumed step (3 of 5 batches)
ok; [ "$(awk -F'\t' '$1 != 2' "$d/snr/gradsnr.tsv")" = "$(awk -F'\t' '$1 != 2' "$work/res/probes/snr/gradsnr.tsv")" ] ||
  fail "resumed gradsnr.tsv differs outside epoch 2"
ok; [ "$(awk -F'\t' '$1 == 2 {print $4}' "$work/res/probes/snr/gradsnr.tsv" | sort -u)" = 3 ] ||
  fail "resumed epoch 2 batches: $(awk -F'\t' '$1 == 2' "$work/res/probes/snr/gradsnr.tsv")"

# ---- refusals before training
conf "$work/bad" '[probe lin]\nuse = linsep\nlayers = dact1,nosuch' >"$work/bad.conf"
expect_status 2 "$SINCPROBE" train "$work/bad.conf" --quiet
expect_match "$err" "layers: no layer 'nosuch' in this network" "linsep unknown layer"
conf "$work/bad2" '[probe s]\nuse = gradsnr\nlayers = pool1' >"$work/bad2.conf"
expect_status 2 "$SINCPROBE" train "$work/bad2.conf" --quiet
expect_match "$err" "bad2\.conf:$(grep -n '^layers = pool1$' "$work/bad2.conf" | cut -d: -f1): .*layers: 'pool1' names no layer with parameters" \
  "gradsnr layer without parameters, at its line"
ok; [ ! -e "$work/bad2" ] || fail "gradsnr: the run refused in on_start left its directory"
conf "$work/bad3" '[probe r]\nuse = randomize\np = 1.5' >"$work/bad3.conf"
expect_status 2 "$SINCPROBE" train "$work/bad3.conf" --quiet

# ---- sincprobe analyse linsep: 3 separable clusters in 4-D
"$PY" - "$work" <<'PY' || { fail "python3 could not write the matrix"; finish; }
import struct, sys, random
random.seed(3)
n, d = 300, 4
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (n, d)
hdr += ' ' * (63 - len(hdr) % 64) + '\n'
rows, labs = [], []
for i in range(n):
    c = i % 3
    labs.append(c)
    rows += [(6.0 if j == c else 0.0) + random.gauss(0, 0.5) for j in range(d)]
with open(sys.argv[1] + '/feat.npy', 'wb') as f:
    f.write(b'\x93NUMPY\x01\x00' + struct.pack('<H', len(hdr)) + hdr.encode('latin1'))
    f.write(struct.pack('<%df' % len(rows), *rows))
open(sys.argv[1] + '/labels.txt', 'w').write(''.join('%d\n' % c for c in labs))
PY
expect_status 0 "$SINCPROBE" analyse linsep "$work/feat.npy" "$work/labels.txt" --out "$work/an" --iterations 100
ok; [ "$(sed -n 2p "$work/an/linsep.tsv")" = "0	feat	act	225	75	1	1	$(sed -n 2p "$work/an/linsep.tsv" | cut -f8)" ] ||
  fail "analyse linsep: $(cat "$work/an/linsep.tsv")"
ok; [ "$(wc -l <"$work/an/linsep.tsv")" -eq 2 ] || fail "analyse linsep rows: $(cat "$work/an/linsep.tsv")"
finish
