# activations.sh - `sincprobe layers` (from a config and from a model) and
# `sincprobe activations`: its matrices are, byte for byte, the ones the
# probe host gives a probe for the same frames (the example probe saves
# its layer's probe-set activations and labels at each epoch's end), a
# seed draws another set, `sincprobe analyse` takes the output, posteriors
# sum to 1, --audio works without labels, and an unknown layer names the
# model's layers.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
export SINCPROBE_PLUGIN_PATH="$top_builddir/plugins/.libs"
cd "$work" || exit 1
tiny_corpus
conf "$work/run" '[probe ex]\nuse = example\nlayer = act2\nprobe_frames = 300' >train.conf

# ---- layers: a config's untrained model
expect_status 0 "$SINCPROBE" layers train.conf
layers_conf=$out
expect_match "$out" '^layer +kind +shape +values +parameters' "layers: the header"
expect_match "$out" '^sinc +sinc +8x736 +5888 +low_hz \[8\], band_hz \[8\]' "layers: the sinc layer's shape and parameters"
expect_match "$out" '^act2 +act +8x81 +648 +-' "layers: act2, 8 channels x 81"
expect_match "$out" '^out +dense +48 +48 +w \[48\]\[32\], b \[48\]' "layers: the output layer"

expect_status 0 "$SINCPROBE" train train.conf --quiet || finish
ckpt=$work/run/checkpoints/last.ckpt

# ---- layers: the trained model lists the same; --json
expect_status 0 "$SINCPROBE" layers "$ckpt"
ok; [ "$out" = "$layers_conf" ] || fail "layers of the model differ from the config's: $out"
expect_status 0 "$SINCPROBE" layers "$work/run" --json
printf '%s\n' "$out" >layers.json
ok; names=$("$PY" -c 'import json,sys; j=json.load(open(sys.argv[1])); print(",".join(l["name"] for l in j["layers"]), j["layers"][8]["values"], j["layers"][1]["params"][0]["shape"])' layers.json) ||
  fail "layers --json is not JSON: $out"
expect_match "$names" '^in_ln,sinc,pool1,ln1,act1,conv2,pool2,ln2,act2,flat_ln,dense1,bn1,dact1,out 648 \[8\]$' "layers --json"
expect_status 1 "$SINCPROBE" layers "$work/nothing.conf"

# ---- activations: the probe host's frames and matrices, byte for byte
expect_status 0 "$SINCPROBE" activations "$ckpt" --layer act2,dact1 --frames 300 --posteriors --out acts
for f in act2.npy dact1.npy labels.npy posteriors.npy frames.tsv; do
  ok; [ -f "acts/$f" ] || fail "activations: acts/$f not written"
done
ok; cmp -s acts/act2.npy run/probes/ex/acts.npy || fail "activations: act2.npy differs from the probe's acts.npy"
ok; cmp -s acts/labels.npy run/probes/ex/labels.npy || fail "activations: labels.npy differs from the probe's labels.npy"
ok; [ "$(wc -l <acts/frames.tsv)" -eq 301 ] || fail "frames.tsv: expected 300 rows and a header"
# posteriors [300][48], each row summing to 1 (float32 .npy read with the standard library)
ok; "$PY" - acts/posteriors.npy acts/dact1.npy <<'PY' || fail "posteriors.npy or dact1.npy malformed"
import array, ast, sys
def load(p):
    b = open(p, "rb").read()
    hl = int.from_bytes(b[8:10], "little")
    h = ast.literal_eval(b[10:10 + hl].decode())
    a = array.array("f"); a.frombytes(b[10 + hl:])
    return h, a
h, a = load(sys.argv[1])
assert h["descr"] == "<f4" and h["shape"] == (300, 48), h
for i in range(300):
    s = sum(a[i * 48:(i + 1) * 48])
    assert abs(s - 1) < 1e-4, (i, s)
h, a = load(sys.argv[2])
assert h["shape"] == (300, 32), h
PY
# another seed, another frame set
expect_status 0 "$SINCPROBE" activations "$ckpt" --layer act2 --frames 300 --seed 12 --out acts12
ok; ! cmp -s acts12/labels.npy acts/labels.npy || fail "activations --seed 12 drew the same frames as seed 11"
# what analyse takes
expect_status 0 "$SINCPROBE" analyse mi acts/act2.npy acts/labels.npy --out mi --classes timit48 --json
expect_match "$out" '"i_xt"' "analyse mi on activations' output"

# ---- --audio: frames of any audio file, no labels
wav=$(find "$c/TEST" -iname '*.wav' | head -1)
expect_status 0 "$SINCPROBE" activations "$ckpt" --layer dense1 --audio "$wav" --frames 20 --out audio
ok; [ -f audio/dense1.npy ] && [ ! -f audio/labels.npy ] || fail "--audio: expected dense1.npy and no labels.npy"
expect_match "$(sed -n 2p audio/frames.tsv)" "	-1	-$" "--audio: frames.tsv has no labels"

# ---- refusals
expect_status 1 "$SINCPROBE" activations "$ckpt" --layer act2,nope --out bad
expect_match "$err" "unknown layer 'nope'; the model's layers: in_ln, sinc, .*act2.*, out" "an unknown layer names the layers"
ok; [ ! -e bad ] || fail "a refused run left its --out folder"
expect_status 2 "$SINCPROBE" activations "$ckpt" --out bad
expect_status 2 "$SINCPROBE" activations "$ckpt" --layer act2
expect_status 1 "$SINCPROBE" activations "$ckpt" --layer act2 --split nosuch --out bad
expect_match "$err" "unknown split 'nosuch'" "an unknown split"
finish
