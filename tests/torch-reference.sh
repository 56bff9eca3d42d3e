# torch-reference.sh - sincprobe's model against the PyTorch reference of
# the benchmarks itself (SincNetClassifier of torch_sincnet.py, Debian's
# python3-torch), both ways, on a config that follows its recipe (sinc
# first layer in Hz, input/conv/flat layer norms, batch-norm dense blocks,
# leaky ReLU 0.2, no dropout) at tiny dims: a trained sincprobe model,
# exported and loaded into the reference, gives sincprobe's log-posteriors
# on the same chunks (tests/chunk_logp, both forward paths); a seeded
# random reference model saved under sincprobe's names and brought in by
# `sincprobe import` gives in sincprobe what it gives in the reference.
# tests/torch_reference.py maps the names and shapes and lists where the
# reference differs. The reference is not part of sincprobe: it is read
# from ../shared/bench beside the clone or from $SINCPROBE_TORCH_REFERENCE;
# without it the test is skipped (77), saying what it needs.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
REF=${SINCPROBE_TORCH_REFERENCE:-$top_srcdir/../shared/bench/torch_sincnet.py}
[ -f "$REF" ] || { echo "torch-reference.sh: skipped: needs the PyTorch reference torch_sincnet.py at $REF (beside the clone, or set SINCPROBE_TORCH_REFERENCE to it)" >&2; exit 77; }
"$PY" -c 'import numpy, torch' 2>/dev/null || { echo "torch-reference.sh: skipped: needs $PY with numpy and torch (python3-torch)" >&2; exit 77; }
export REF PYTHONPATH="$top_srcdir/python"
LOGP=$top_builddir/tests/chunk_logp
TOL=${TORCH_REFERENCE_TOL:-1e-4}  # max |log p| difference; measured 9.5e-7 (export) and 3.3e-6 (import): float32 rounding, the reference's taps from float32 sines; its biased-sd variant gives 5.6e-3
refpy() { "$PY" "$top_srcdir/tests/torch_reference.py" "$@"; }

# The reference's recipe in sincprobe's keys; the dims are the test's
# CFG in torch_reference.py (800 samples, 8 filters of 65 taps, 8x3 twice,
# pool 3, dense 24,16).
cat >"$work/ref.conf" <<CONF
[data]
corpus = $work/corpus
dev_utterances = 2
[model]
input_ms = 50
filters = 8
taps = 65
first_layer = sinc
sinc_param = hz
min_low_hz = 50
min_band_hz = 50
conv = 8x3,8x3
pool = 3
input_norm = layer
conv_norm = layer
dense_norm = batch
activation = leaky_relu
dense = 24,16
dropout = 0
[train]
epochs = 1
steps_per_epoch = 6
batch = 16
threads = 1
seed = 11
[run]
dir = $work/run
CONF

# compare WHAT NPZ MODEL: sincprobe's log-posteriors (both paths) against
# the reference's
compare() {
  for path in forward infer; do
    expect_status 0 "$LOGP" "$3" "$work/chunks.npy" "$work/c-$path.npy" "$path" || continue
    expect_status 0 refpy "$1" "$2" "$work/chunks.npy" "$work/c-$path.npy" "$TOL"
    echo "$1 $path: $out"
  done
}

expect_status 0 refpy chunks "$work/chunks.npy" || finish

# ---- sincprobe -> reference: a trained model (batch norm statistics moved)
tiny_corpus
expect_status 0 "$SINCPROBE" train "$work/ref.conf" --quiet || finish
expect_status 0 "$SINCPROBE" export "$work/run" --out "$work/run.npz"
compare export "$work/run.npz" "$work/run"

# ---- reference -> sincprobe: a seeded random reference model, imported
if expect_status 0 refpy make "$work/made.npz" &&
   expect_status 0 "$SINCPROBE" import "$work/made.npz" --config "$work/ref.conf" --out "$work/made"; then
  compare import "$work/made.npz" "$work/made"
fi
finish
