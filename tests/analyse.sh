# analyse.sh - `sincprobe analyse mi|tsne|pca|linsep` on matrices with
# known answers (made here with numpy), its inputs (float32/float64, int64
# .npy and text labels; float64 rounded to float32 with a note, giving its
# float32 cast's results), its JSON, and its refusals.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
export SINCPROBE_PLUGIN_PATH="$top_builddir/plugins/.libs"
"$PY" -c 'import numpy' 2>/dev/null || { fail "python3-numpy is missing (apt-get install python3-numpy)"; finish; }

# json_get FILE KEY: a top-level number of a JSON object.
json_get() { "$PY" -c 'import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])' "$1" "$2"; }
# near A B TOL: |A - B| <= TOL
near() { "$PY" -c 'import sys; a,b,t=map(float,sys.argv[1:]); sys.exit(0 if abs(a-b)<=t else 1)' "$1" "$2" "$3"; }

cd "$work" || exit 1
"$PY" - <<'PY'
import numpy as np
# mi: 4 distinct rows, 100 copies each, in 4 different bins of 30 on [-1, 1];
# label = row % 2. I(X;T) = H(T) = 2 bits, I(T;Y) = H(Y) = 1 bit.
rows = np.array([[-0.9, 0.5], [-0.3, 0.5], [0.3, -0.5], [0.9, -0.5]], dtype=np.float32)
idx = np.repeat(np.arange(4), 100)
np.save("four.npy", rows[idx])
np.save("four_labels.npy", (idx % 2).astype(np.int64))          # numpy's default int64
np.savetxt("four_labels.txt", idx % 2, fmt="%d")
np.save("four64.npy", rows[idx].astype(np.float64))
# pca: +-3 e1, +-2 e2, +-1 e3 in 6 dimensions (mean 0): the covariance is
# diagonal 9, 4, 1, 0, 0, 0 (times a constant): 2 components explain 13/14.
P = []
for axis, s in enumerate([3.0, 2.0, 1.0]):
    for sign in (1, -1):
        v = np.zeros(6); v[axis] = sign * s; P.append(v)
P = np.array(P * 20, dtype=np.float32)
np.save("axes.npy", P)
np.save("axes_labels.npy", np.tile(np.arange(6) // 2, 20).astype(np.int32))
# tsne and linsep: 3 well separated Gaussian clusters in 10 dimensions.
rng = np.random.default_rng(5)
centres = rng.normal(0, 10, size=(3, 10))
lab = np.repeat(np.arange(3), 100)
X = centres[lab] + rng.normal(0, 1, size=(300, 10))
np.save("clusters.npy", X.astype(np.float32))
np.save("clusters_labels.npy", lab.astype(np.int32))
# linsep on labels that are noise: about chance.
np.save("noise_labels.npy", rng.integers(0, 2, size=300).astype(np.int32))
PY

# ---- mi: exact discrete answers, from float32 or float64, int64 .npy or text labels
expect_status 0 "$SINCPROBE" analyse mi four.npy four_labels.npy --out mi1 --json
printf '%s\n' "$out" >mi1.json
ok; near "$(json_get mi1.json i_xt)" 2 1e-9 || fail "mi: I(X;T) = $(json_get mi1.json i_xt), expected 2 bits"
ok; near "$(json_get mi1.json i_ty)" 1 1e-9 || fail "mi: I(T;Y) = $(json_get mi1.json i_ty), expected 1 bit"
expect_match "$(json_get mi1.json estimator)" '^fixed$' "mi: the default estimator is fixed binning"
expect_match "$(json_get mi1.json layer)" '^four$' "mi: the layer is named after the file"
expect_match "$(head -1 mi1/mi.tsv)" '^epoch	step	layer	estimator	scale	i_xt	i_ty	h_t	n$' "mi.tsv header"
expect_status 0 "$SINCPROBE" analyse mi four64.npy four_labels.txt --out mi2 --layer dense3
expect_match "$out" '	dense3	fixed	30	2	1	' "mi from float64 and text labels, --layer"
# 3 edges on [-1, 1] (2 bins): rows 0,1 share a pattern and rows 2,3 the other -> H(T) = 1 bit,
# and each pattern holds both labels equally -> I(T;Y) = 0
expect_status 0 "$SINCPROBE" analyse mi four.npy four_labels.npy --out mi3 --bins 3 --json
printf '%s\n' "$out" >mi3.json
ok; near "$(json_get mi3.json i_xt)" 1 1e-9 || fail "mi --bins 3: I(X;T) = $(json_get mi3.json i_xt), expected 1 bit"
ok; near "$(json_get mi3.json i_ty)" 0 1e-9 || fail "mi --bins 3: I(T;Y) = $(json_get mi3.json i_ty), expected 0 bits"

# ---- float64 is rounded to float32 as it is read, and says so once: the
# results are those of its float32 cast (byte for byte: mi with every
# estimator, pca's coordinates)
"$PY" - <<'PY'
import numpy as np
rng = np.random.default_rng(3)
a = np.abs(rng.normal(0, 1, size=(300, 4))) * 1.0000001      # not float32 numbers
a[::7] = 0.5                                                  # some are
np.save("wide64.npy", a)
np.save("wide32.npy", a.astype(np.float32))
np.save("wide_labels.npy", rng.integers(0, 3, size=300).astype(np.int32))
PY
for w in 64 32; do
  expect_status 0 "$SINCPROBE" analyse mi "wide$w.npy" wide_labels.npy --out "wide$w" --layer wide \
    --estimator fixed,width,adaptive,ebab,kde --sigma2 0.1 --bins 8 --lo 0 --hi 3
  eval "err$w=\$err"
  expect_status 0 "$SINCPROBE" analyse pca "wide$w.npy" wide_labels.npy --out "pca$w" --layer wide
done
expect_match "$err64" "^sincprobe: 'wide64\.npy' is float64: converted to float32, as the probes compute in float32 \(1028 of 1200 values rounded to the nearest float32\)" \
  "the float64 note"
ok; [ "$(printf '%s\n' "$err64" | grep -c 'is float64')" -eq 1 ] || fail "the float64 note is not said once: $err64"
ok; case $err32 in *float64*) fail "a float32 matrix got the float64 note: $err32" ;; esac
ok; cmp -s wide64/mi.tsv wide32/mi.tsv || fail "mi of float64 and of its float32 cast differ: $(diff wide64/mi.tsv wide32/mi.tsv | head -4)"
ok; [ "$(wc -l <wide64/mi.tsv)" -eq 7 ] || fail "mi rows: $(cat wide64/mi.tsv)"
for f in pca.tsv pca_wide_e0.npy; do
  ok; cmp -s "pca64/$f" "pca32/$f" || fail "pca $f of float64 and of its float32 cast differ"
done

# ---- pca: 13/14 of the variance in two components
expect_status 0 "$SINCPROBE" analyse pca axes.npy axes_labels.npy --out pca --json
printf '%s\n' "$out" >pca.json
ok; near "$(json_get pca.json explained_variance)" 0.9285714286 1e-5 ||
  fail "pca: explained variance $(json_get pca.json explained_variance), expected 13/14"
ok; near "$(json_get pca.json ev1)" 0.6428571429 1e-5 || fail "pca: ev1 $(json_get pca.json ev1), expected 9/14"
for f in pca_axes_e0.npy pca_axes_e0.tsv pca_axes_e0.png pca_axes_e0.svg; do
  ok; [ -s "pca/$f" ] || fail "pca did not write $f"
done
ok; [ "$("$PY" -c 'import numpy as np; a=np.load("pca/pca_axes_e0.npy"); print(a.shape, a.dtype)')" = "(120, 2) float32" ] ||
  fail "pca coordinates: $("$PY" -c 'import numpy as np; a=np.load("pca/pca_axes_e0.npy"); print(a.shape, a.dtype)')"

# ---- tsne: separated clusters stay separated (exact and Barnes-Hut)
for theta in 0 0.5; do
  expect_status 0 "$SINCPROBE" analyse tsne clusters.npy clusters_labels.npy --out "tsne$theta" --theta $theta \
    --iterations 500 --perplexity 20 --json
  printf '%s\n' "$out" >"tsne$theta.json"
  for k in kl trustworthiness knn_preservation; do
    ok; json_get "tsne$theta.json" $k >/dev/null 2>&1 || fail "tsne theta $theta: no '$k' in the JSON: $out"
  done
  ok; near "$(json_get "tsne$theta.json" linsep_accuracy)" 1 0.05 ||
    fail "tsne theta $theta: linear separability of the map $(json_get "tsne$theta.json" linsep_accuracy)"
  ok; near "$(json_get "tsne$theta.json" trustworthiness)" 1 0.1 ||
    fail "tsne theta $theta: trustworthiness $(json_get "tsne$theta.json" trustworthiness) of separated clusters"
  # each point's nearest embedded neighbour has its label
  ok; "$PY" - "tsne$theta/tsne_clusters_e0.npy" <<'PY' || fail "tsne theta $theta: clusters mixed"
import sys, numpy as np
Y = np.load(sys.argv[1]); lab = np.repeat(np.arange(3), 100)
d = ((Y[:, None, :] - Y[None, :, :]) ** 2).sum(-1); np.fill_diagonal(d, np.inf)
sys.exit(0 if (lab[d.argmin(1)] == lab).mean() > 0.98 else 1)
PY
done
expect_status 0 "$SINCPROBE" analyse tsne clusters.npy clusters_labels.npy --out tsne_again --theta 0.5 \
  --iterations 500 --perplexity 20
ok; cmp -s tsne0.5/tsne_clusters_e0.npy tsne_again/tsne_clusters_e0.npy || fail "tsne: the same seed gave another embedding"

# ---- linsep: separable clusters -> 1; noise labels -> about chance
expect_status 0 "$SINCPROBE" analyse linsep clusters.npy clusters_labels.npy --out ls1 --json
printf '%s\n' "$out" >ls1.json
ok; near "$(json_get ls1.json accuracy)" 1 1e-9 || fail "linsep: accuracy $(json_get ls1.json accuracy) on separable clusters"
expect_status 0 "$SINCPROBE" analyse linsep clusters.npy noise_labels.npy --out ls2 --json
printf '%s\n' "$out" >ls2.json
ok; near "$(json_get ls2.json accuracy)" 0.5 0.2 || fail "linsep: accuracy $(json_get ls2.json accuracy) on noise labels"

# ---- refusals: usage errors (2) before anything is written, input errors (1)
expect_status 2 "$SINCPROBE" analyse frob four.npy four_labels.npy --out x1
expect_match "$err" "unknown analysis 'frob'" "unknown analysis"
expect_status 2 "$SINCPROBE" analyse mi four.npy four_labels.npy --out x2 --no-such-option 3
expect_match "$err" "mi --no-such-option" "unknown option named"
ok; [ ! -e x2 ] || fail "an unknown option left an output folder"
expect_status 2 "$SINCPROBE" analyse mi four.npy four_labels.npy --out x3 --bins many
expect_match "$err" "mi --bins: .*many" "bad option value named"
expect_status 2 "$SINCPROBE" analyse mi four.npy four_labels.npy
expect_match "$err" "--out DIR is required" "--out required"
head -n 399 four_labels.txt >short.txt
expect_status 1 "$SINCPROBE" analyse mi four.npy short.txt --out x4
expect_match "$err" "'four\.npy' has 400 rows but 'short\.txt' has 399 labels" "row/label mismatch"
printf '0\n1\nzwei\n' >bad.txt
expect_status 1 "$SINCPROBE" analyse mi four.npy bad.txt --out x5
expect_match "$err" "bad\.txt:3: 'zwei' is not a label" "bad label line named"
printf 'not a npy' >junk.npy
expect_status 1 "$SINCPROBE" analyse mi junk.npy four_labels.npy --out x6
expect_match "$err" "junk\.npy" "a broken .npy named"
# A float64 matrix whose shape (2^61 x 8 elements of 8 bytes) wraps the
# byte count to 0, with a 1-byte payload: refused, naming the file (it
# used to abort or read past the buffer).
"$PY" -c '
d = b"{\x27descr\x27: \x27<f8\x27, \x27fortran_order\x27: False, \x27shape\x27: (2305843009213693952, 8), }"
h = len(d) + 1; h += (64 - (10 + h) % 64) % 64
open("wrap64.npy", "wb").write(b"\x93NUMPY\x01\x00" + bytes([h & 255, h >> 8]) + d.ljust(h - 1) + b"\n" + b"A")'
expect_status 1 "$SINCPROBE" analyse mi wrap64.npy four_labels.npy --out x8
expect_match "$err" "wrap64\.npy.*more elements than fit" "an overflowing .npy shape named"
printf 'a\n' >names.txt
expect_status 1 "$SINCPROBE" analyse mi four.npy four_labels.npy --out x7 --classes names.txt
expect_match "$err" "'names\.txt' names 1 classes, but the labels go up to 1" "too few class names"
# an option only the data can refuse (pca's on_start: a --pair class the
# class names lack) is a usage error, as one create refuses
printf 'aa\niy\nuw\n' >names3.txt
"$PY" -c 'import numpy as np; np.save("three_labels.npy", (np.arange(120) % 3).astype(np.int32))'
expect_status 2 "$SINCPROBE" analyse pca axes.npy three_labels.npy --classes names3.txt --colour pair --pair aa,qq --out x9
expect_match "$err" "pca --pair: on_start: pair: 'qq' is not one of the 3 classes" "an unknown --pair class named"
ok; [ ! -e x9 ] || fail "the refused analysis left its --out folder"
ok; [ "$(find . -name '*.tmp.*' | wc -l)" -eq 0 ] || fail "temporary files left behind"
finish
