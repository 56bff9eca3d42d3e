# mi-ebab.sh - the ebab estimator (entropy-based adaptive binning,
# Chelombiev et al. 2019) of the mi probe, through `sincprobe analyse mi`,
# against a direct numpy implementation of the reference estimator written
# here: a fixed low edge L whose values get their own bin, equal-mass
# edges u[int(k * (M / n))] over the layer's M sorted unique values other
# than L (all units pooled), the maximum as an edge of its own, each value
# in the bin of the last edge <= it. Compared to 1e-9 bits on fixtures
# with ReLU zeros and ties, with fewer unique values than bins (repeated
# edges), and with tanh units (L = -1.000001); `adaptive` is unchanged and
# differs; values below L are refused.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
export SINCPROBE_PLUGIN_PATH="$top_builddir/plugins/.libs"
"$PY" -c 'import numpy' 2>/dev/null || { fail "python3-numpy is missing (apt-get install python3-numpy)"; finish; }
cd "$work" || exit 1

# The reference: I(X;T) and I(T;Y) in bits of the ebab binning of X.
cat >ref.py <<'PY'
import sys, numpy as np

def entropy_bits(ids):
    _, c = np.unique(ids, return_counts=True)
    p = c / c.sum()
    return float(-(p * np.log2(p)).sum())

def ebab(X, y, n, low):
    L = np.float32(low)
    v = X.ravel()
    u = np.unique(v[np.isfinite(v)])
    u = u[u != L]
    edges = [L]
    if u.size:
        edges += [u[int(k * (u.size / n))] for k in range(n)] + [u[-1]]
    e = np.asarray(edges, dtype=np.float32)
    lab = np.searchsorted(e, X, side="right") - 1      # the last edge <= v
    _, t = np.unique(lab, axis=0, return_inverse=True)
    t = t.ravel()
    h = entropy_bits(t)
    hy = sum((y == c).mean() * entropy_bits(t[y == c]) for c in np.unique(y))
    return h, h - hy

X = np.load(sys.argv[1]); y = np.load(sys.argv[2])
h, i = ebab(X, y, int(sys.argv[3]), float(sys.argv[4]))
print("%.15g %.15g" % (h, i))
PY

"$PY" - <<'PY'
import numpy as np
rng = np.random.default_rng(11)
N, D = 500, 3
y = rng.integers(0, 3, size=N)
pre = rng.normal(0, 1, size=(N, D)) + 0.8 * y[:, None] - 0.8
relu = np.maximum(pre, 0)
np.save("relu.npy", np.round(relu, 2).astype(np.float32))    # zeros and ties
np.save("relu_fine.npy", relu.astype(np.float32))              # zeros, all else distinct
np.save("few.npy", rng.choice([0.0, 0.5, 1.0, 2.0], size=(N, 3)).astype(np.float32))  # M = 3 < bins
np.save("tanh.npy", np.tanh(pre[:, :2]).astype(np.float32))
np.save("neg.npy", (pre - 5).astype(np.float32))
np.save("labels.npy", y.astype(np.int32))
PY

# check NAME BINS LOW: ebab of NAME.npy against the reference, to 1e-9 bits
check() {
  local name=$1 bins=$2 low=$3 got want
  expect_status 0 "$SINCPROBE" analyse mi "$name.npy" labels.npy --out "$name-$bins" --estimator ebab \
    --bins "$bins" --ebab-low "$low" || return
  got=$(awk -F'\t' 'NR == 2 {print $4, $6, $7}' "$name-$bins/mi.tsv")
  want=$("$PY" ref.py "$name.npy" labels.npy "$bins" "$low")
  ok; "$PY" -c '
import sys
est, gx, gy = sys.argv[1].split(); wx, wy = map(float, sys.argv[2].split())
sys.exit(0 if est == "ebab" and abs(float(gx) - wx) <= 1e-9 and abs(float(gy) - wy) <= 1e-9 else 1)' "$got" "$want" ||
    fail "ebab $name bins $bins low $low: (estimator I(X;T) I(T;Y)) = ($got), the reference gives ($want)"
  echo "ebab $name bins $bins: $got (reference $want)"
}
check relu 10 0
check relu 30 0
check relu_fine 8 0
check relu_fine 30 0
check few 10 0
check tanh 8 -1.000001

# adaptive (the quantile variant) is still there and gives another number
expect_status 0 "$SINCPROBE" analyse mi relu_fine.npy labels.npy --out both --estimator adaptive,ebab --bins 30
ok; [ "$(awk -F'\t' 'NR > 1 {print $4}' both/mi.tsv | tr '\n' ' ')" = "adaptive ebab " ] ||
  fail "adaptive,ebab rows: $(cut -f4 both/mi.tsv | tr '\n' ' ')"
ok; awk -F'\t' 'NR == 2 {a = $6} NR == 3 {e = $6} END {
    printf "relu_fine, 30 bins: adaptive I(X;T) %.6f, ebab %.6f (%.2f%% apart)\n", a, e, 100 * (e - a) / e
    exit (a == e) }' both/mi.tsv || fail "adaptive and ebab agree on ReLU data with zeros"

# below the low edge: refused, naming the value and the edge
expect_status 1 "$SINCPROBE" analyse mi neg.npy labels.npy --out neg --estimator ebab
expect_match "$err" "ebab: value -[0-9.]+ \(element [0-9]+\) is below the low edge 0" "a value below the low edge"
expect_status 0 "$SINCPROBE" plugins mi
expect_match "$out" '^ebab_low +float +0 ' "plugins mi: ebab_low"
ok; "$SINCPROBE" analyse mi relu.npy labels.npy --out bad --estimator ebabb 2>bad.err && fail "estimator ebabb accepted"
expect_match "$(cat bad.err)" "'ebabb' is not fixed, width, adaptive, ebab or kde" "an unknown estimator"
finish
