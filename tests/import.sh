# import.sh - `sincprobe import` (sincprobe-import(1)) refuses an archive
# that does not fit the config, naming every missing, extra or mis-shaped
# tensor with the shape expected, and writes nothing then; [train]
# init_from starts a new run from another model's weights (a run directory
# or an export .npz), and freeze_first_layer keeps the first layer's
# parameters bit for bit while the others train.
. "$top_srcdir/tests/lib.sh"
"$PY" -c 'import numpy' 2>/dev/null || { echo "import.sh: needs $PY with numpy" >&2; exit 77; }
export PYTHONPATH="$top_srcdir/python"

tiny_corpus
conf "$work/src" >"$work/src.conf"
expect_status 0 "$SINCPROBE" train "$work/src.conf" --quiet || finish
expect_status 0 "$SINCPROBE" export "$work/src" --out "$work/src.npz"

# ---- archives that do not fit
"$PY" - "$work" <<'PY'
import sys, os, numpy as np
w = sys.argv[1]
z = dict(np.load(os.path.join(w, "src.npz")))
bad = dict(z)
del bad["conv2.w"]
bad["dense1.w"] = bad["dense1.w"][:, :100]
bad["conv9.w"] = np.zeros((2, 2), np.float32)
np.savez(os.path.join(w, "bad.npz"), **bad)
np.savez_compressed(os.path.join(w, "packed.npz"), **z)
PY
expect_status 1 "$SINCPROBE" import "$work/bad.npz" --out "$work/bad"
expect_match "$err" "'.*bad.npz' does not fit the model: " "import: the archive named"
expect_match "$err" "missing tensor 'conv2.w' \(expected shape \[8, 8, 3\]\)" "import: missing"
expect_match "$err" "tensor 'dense1.w' has shape \[32, 100\], expected \[32, 648\]" "import: mis-shaped"
expect_match "$err" "extra array 'conv9.w' \[2, 2\] \(not a tensor of this model\)" "import: extra"
ok; [ ! -e "$work/bad" ] || fail "a refused import wrote $(ls -R "$work/bad")"
expect_status 1 "$SINCPROBE" import "$work/packed.npz" --out "$work/packed"
expect_match "$err" "is compressed; save with numpy.savez, not savez_compressed" "import: savez_compressed"
# a config that makes another model
sed 's/^dense = 32$/dense = 16/' "$work/src.conf" >"$work/d16.conf"
expect_status 1 "$SINCPROBE" import "$work/src.npz" --config "$work/d16.conf" --out "$work/d16"
expect_match "$err" "tensor 'dense1.w' has shape \[32, 648\], expected \[16, 648\]" "import: other config"
expect_status 0 "$SINCPROBE" import "$work/src.npz" --out "$work/imp"
expect_status 1 "$SINCPROBE" import "$work/src.npz" --out "$work/imp"
expect_match "$err" "already holds a run" "import: an existing run"
expect_status 2 "$SINCPROBE" import "$work/src.npz"
expect_match "$err" "give the run directory to create with --out" "import without --out"

# ---- init_from and freeze_first_layer
# new_run NAME KEYS...: a run of the tiny config with extra [train] keys
new_run() {
  n=$1
  shift
  conf "$work/$n" | sed "s|^seed = 11\$|seed = 12$(printf '\\n%s' "$@")|" >"$work/$n.conf"
  expect_status 0 "$SINCPROBE" train "$work/$n.conf"
}
new_run frozen "init_from = $work/src" "freeze_first_layer = yes"
expect_match "$err$out" "weights from '.*/src'; the first layer frozen" "init_from named in the log"
# a relative init_from is taken against the config's folder, from any directory
start_dir=$PWD
cd / || fail "cd /"
new_run frozen_npz "init_from = ./src.npz" "freeze_first_layer = yes"
cd "$start_dir" || fail "cd $start_dir"
expect_match "$(cat "$work/frozen_npz/config.conf")" "^init_from = $work/src\.npz\$" "init_from recorded against the config's folder"
new_run free "init_from = $work/src"
expect_status 0 "$PY" - "$work" <<'PY'
import sys, os, numpy as np
import sincprobe_io as sp
w = sys.argv[1]
def tensors(run):
    return sp.read_checkpoint(os.path.join(w, run, "checkpoints", "last.ckpt"))["tensors"]
src = tensors("src")
first = ("sinc.low_hz", "sinc.band_hz")
for run in ("frozen", "frozen_npz"):
    t = tensors(run)
    for k in first:
        assert np.array_equal(t[k], src[k]), (run, k, "moved")
    for k in ("conv2.w", "dense1.w", "out.w", "ln1.gamma", "bn1.running_mean"):
        assert not np.array_equal(t[k], src[k]), (run, k, "did not train")
# without freeze_first_layer the same start moves the first layer
t = tensors("free")
for k in first:
    assert not np.array_equal(t[k], src[k]), ("free", k)
PY
# init_from must fit the config too
sed 's/^dense = 32$/dense = 16/; s/^seed = 11$/&\ninit_from = '"$(printf '%s' "$work/src.npz" | sed 's/[\/&]/\\&/g')"'/' \
  "$work/src.conf" | sed "s|^dir = .*|dir = $work/misfit|" >"$work/misfit.conf"
expect_status 1 "$SINCPROBE" train "$work/misfit.conf" --quiet
expect_match "$err" "\[train\] init_from: '.*src.npz' does not fit the model: tensor 'dense1.w' has shape \[32, 648\], expected \[16, 648\]" "init_from misfit"
finish
