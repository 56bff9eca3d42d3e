# torch.sh - sincprobe's model against PyTorch (Debian's python3-torch),
# both ways: a trained tiny model exported and run by
# python/sincprobe_torch.py gives sincprobe's log-posteriors on the same
# chunks (tests/chunk_logp, through sp_model_forward and sp_model_infer);
# and a model built in PyTorch with random weights, saved with
# sincprobe_io.save_npz and brought in by `sincprobe import`, gives in
# sincprobe what it gives in PyTorch. Configs cover sinc_param hz and
# normalised, a conv first layer, layer/batch/no norms, each activation.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
"$PY" -c 'import numpy, torch' 2>/dev/null || { echo "torch.sh: needs $PY with numpy and torch (python3-torch)" >&2; exit 77; }
export PYTHONPATH="$top_srcdir/python"
LOGP=$top_builddir/tests/chunk_logp
TOL=${TORCH_TOL:-1e-4}  # max |log p| difference; measured up to 4.3e-6 (float32 rounding: FFT vs direct convolution, sums)

# compare MODEL_NPZ RUN: chunks -> both sides, the largest difference within TOL
compare() {
  "$PY" - "$1" "$work/chunks.npy" <<'PY' || { fail "chunks for $1"; return; }
import sys, numpy as np, sincprobe_torch as st
net = st.SincprobeNet.from_npz(sys.argv[1])
rng = np.random.default_rng(5)
# speech-like scale, and one chunk of silence with a click (a near-zero sd)
x = (0.1 * rng.standard_normal((6, net.T))).astype(np.float32)
x[5] = 0
x[5, net.T // 2] = 0.5
np.save(sys.argv[2], x)
PY
  for path in forward infer; do
    expect_status 0 "$LOGP" "$2" "$work/chunks.npy" "$work/c-$path.npy" "$path" || continue
    expect_status 0 "$PY" - "$1" "$work/chunks.npy" "$work/c-$path.npy" "$TOL" <<'PY'
import sys, numpy as np, torch, sincprobe_torch as st
net = st.SincprobeNet.from_npz(sys.argv[1]).eval()
with torch.no_grad():
    t = net(torch.from_numpy(np.load(sys.argv[2]))).numpy()
c = np.load(sys.argv[3])
d = np.abs(t - c).max()
print("max |log p| difference %.3g" % d)
assert t.shape == c.shape == (6, 48), (t.shape, c.shape)
assert d <= float(sys.argv[4]), d
assert (t.argmax(1) == c.argmax(1)).all()
PY
    echo "$2 $path: $out"
  done
}

# ---- sincprobe -> PyTorch: a trained model (batch norm statistics moved)
tiny_corpus
conf "$work/run" | sed 's/^dense = 32$/dense = 32,16\ndropout = 0.1/' >"$work/tiny.conf"
expect_status 0 "$SINCPROBE" train "$work/tiny.conf" --quiet || finish
expect_status 0 "$SINCPROBE" export "$work/run" --out "$work/run.npz"
compare "$work/run.npz" "$work/run"

# ---- PyTorch -> sincprobe: random models of several configs, imported.
# A PyTorch user writes every [model] key (sincprobe_torch does not know
# the presets): model_conf N FIRST PARAM ACT IN CONV DENSE POOL
model_conf() {
  cat <<CONF
[data]
corpus = $c
[model]
input_ms = 50
filters = 8
taps = 65
first_layer = $2
sinc_param = $3
min_low_hz = 50
min_band_hz = 50
conv = 8x3
pool = $8
input_norm = $5
conv_norm = $6
dense_norm = $7
activation = $4
dense = 24
dropout = 0
[train]
threads = 1
[run]
dir = $work/t$1
CONF
}
n=0
for variant in \
  'sinc hz leaky_relu layer layer batch 3' \
  'sinc normalised tanh layer layer layer 3' \
  'conv hz relu layer none none 3' \
  'sinc hz sigmoid none layer batch 2'; do
  n=$((n + 1))
  # shellcheck disable=SC2086
  model_conf $n $variant >"$work/t$n.conf"
  expect_status 0 "$PY" - "$work/t$n.conf" "$work/t$n.npz" <<'PY' || continue
import sys, numpy as np, torch, sincprobe_io as sp, sincprobe_torch as st
torch.manual_seed(3)
text = open(sys.argv[1]).read()
net = st.SincprobeNet(text)
with torch.no_grad():      # random weights away from the initialisation
    for name, (shape, state) in net.shapes.items():
        t = net.t(name)
        if name.endswith("running_var"):
            t.copy_(torch.rand(shape) + 0.5)
        elif name.endswith("running_mean"):
            t.copy_(0.3 * torch.randn(shape))
        elif name.startswith("sinc."):
            t.mul_(1 + 0.2 * torch.rand(shape))
        else:
            t.add_(0.1 * torch.randn(shape))
sp.save_npz(sys.argv[2], net.tensors())
PY
  expect_status 0 "$SINCPROBE" import "$work/t$n.npz" --config "$work/t$n.conf" --out "$work/t$n" || continue
  # the import's own config, as sincprobe resolved it, for the PyTorch side
  expect_status 0 "$SINCPROBE" export "$work/t$n" --out "$work/t$n-back.npz"
  compare "$work/t$n-back.npz" "$work/t$n"
  expect_status 0 "$PY" - "$work/t$n.npz" "$work/t$n-back.npz" <<'PY'
import sys, numpy as np, sincprobe_io as sp
a, b = sp.read_npz(sys.argv[1])["tensors"], sp.read_npz(sys.argv[2])["tensors"]
assert sorted(a) == sorted(b) and all(np.array_equal(a[k], b[k]) for k in a)
PY
done
finish
