# python-io.sh - python/sincprobe_io.py (numpy only) under /usr/bin/python3:
# a run directory (log.tsv, config, probe outputs .npy and .tsv), its
# checkpoints (version 2 by name; version 1 refused with the way out, or
# read flat), an export, and save_npz -> sincprobe import -> export giving
# the same tensors back.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
export SINCPROBE_PLUGIN_PATH="$top_builddir/plugins/.libs"
"$PY" -c 'import numpy' 2>/dev/null || { echo "python-io.sh: needs $PY with numpy" >&2; exit 77; }
export PYTHONPATH="$top_srcdir/python"

tiny_corpus
conf "$work/run" '[probe a]\nuse = afr\nnfft = 256' >"$work/tiny.conf"
expect_status 0 "$SINCPROBE" train "$work/tiny.conf" --quiet || finish
expect_status 0 "$SINCPROBE" export "$work/run" --out "$work/m.npz"
expect_status 0 "$PY" - "$work" "$top_srcdir/tests/fixtures/ckpt-v1.ckpt" <<'PY'
import sys, os, numpy as np
import sincprobe_io as sp
work, v1 = sys.argv[1], sys.argv[2]
run = sp.read_run(os.path.join(work, "run"))
assert list(run["log"]["epoch"]) == [1, 2], run["log"]
assert run["log"]["dev_fer"].shape == (2,)
assert run["config"]["model"]["filters"] == 8 and run["config"]["train"]["batch"] == 16
assert set(run["checkpoints"]) == {"last", "best"}
afr = run["probes"]["a"]
assert afr["afr.npy"].shape == (2, 129), afr["afr.npy"].shape
assert list(afr["cutoffs.tsv"]) == ["epoch", "filter", "low_hz", "high_hz"]
ck = sp.read_checkpoint(run["checkpoints"]["last"])
assert ck["version"] == 2 and ck["position"]["epoch"] == 2 and ck["optimizer"]["kind"] == "rmsprop"
assert ck["tensors"]["conv2.w"].shape == (8, 8, 3)
assert ck["tensors"]["bn1.running_var"].shape == (32,)
# the cut-offs the afr probe logged at the last epoch, from the checkpoint
low = ck["tensors"]["sinc.low_hz"]
tab = afr["cutoffs.tsv"]
last = tab["epoch"] == 2
c = 16000.0 if ck["config"]["model"]["sinc_param"] == "normalised" else 1.0
f1 = np.minimum(50 + np.abs(c * low.astype(np.float64)), 8000 - 50)
assert np.allclose(tab["low_hz"][last], f1, rtol=1e-5), (tab["low_hz"][last], f1)
ex = sp.read_npz(os.path.join(work, "m.npz"))
assert ex["phones"][:3] == ["aa", "ae", "ah"] and len(ex["phones"]) == 48
assert ex["config"]["model"]["taps"] == 65
assert sorted(ex["tensors"]) == sorted(ck["tensors"])
for k, v in ck["tensors"].items():
    assert np.array_equal(ex["tensors"][k], v), k
try:
    sp.read_checkpoint(v1)
    raise SystemExit("a version 1 file read by name")
except sp.FormatError as e:
    assert "version 1" in str(e) and "sincprobe export" in str(e), e
flat = sp.read_checkpoint(v1, flat=True)
assert flat["tensors"] is None and flat["params"].dtype == np.float32 and flat["config"]["model"]["filters"] == 2
bad = bytearray(open(run["checkpoints"]["last"], "rb").read())
bad[100] ^= 1
open(os.path.join(work, "bad.ckpt"), "wb").write(bad)
try:
    sp.read_checkpoint(os.path.join(work, "bad.ckpt"))
    raise SystemExit("a corrupt file read")
except sp.FormatError as e:
    assert "checksum" in str(e), e
# new weights, saved for sincprobe import
rng = np.random.default_rng(1)
mine = {k: (v + rng.normal(0, 0.01, v.shape)).astype(np.float32) for k, v in ck["tensors"].items()}
mine["bn1.running_var"] = np.abs(mine["bn1.running_var"]) + 0.5
sp.save_npz(os.path.join(work, "mine.npz"), mine, ex["config_text"])
np.save(os.path.join(work, "mine-conv2w.npy"), mine["conv2.w"])
PY
expect_status 0 "$SINCPROBE" import "$work/mine.npz" --out "$work/mine" --config "$work/tiny.conf"
expect_status 0 "$SINCPROBE" export "$work/mine" --out "$work/mine2.npz"
expect_status 0 "$PY" - "$work" <<'PY'
import sys, os, numpy as np
import sincprobe_io as sp
work = sys.argv[1]
a = sp.read_npz(os.path.join(work, "mine.npz"))["tensors"]
b = sp.read_npz(os.path.join(work, "mine2.npz"))["tensors"]
assert sorted(a) == sorted(b)
for k in a:
    assert np.array_equal(a[k], b[k]), k
ck = sp.read_checkpoint(os.path.join(work, "mine", "checkpoints", "best.ckpt"))
assert np.array_equal(ck["tensors"]["conv2.w"], np.load(os.path.join(work, "mine-conv2w.npy")))
assert ck["position"]["epoch"] == 0 and ck["config"]["run"]["dir"].endswith("mine")
PY
finish
