# activations.sh - `sincprobe layers` (from a config and from a model) and
# `sincprobe activations`: its matrices are, byte for byte, the ones the
# probe host gives a probe for the same frames (the example probe saves
# its layer's probe-set activations and labels at each epoch's end), a
# seed draws another set, `sincprobe analyse` takes the output, posteriors
# sum to 1, --audio works without labels, and an unknown layer names the
# model's layers. --audio files with a TIMIT .PHN beside them are
# labelled as the corpus reader labels a split's frames (the dev split's
# own files give its labels.npy and matrices byte for byte; a 22050 Hz
# file's PHN positions count its own samples), only some files with one is
# refused unless --no-labels, and a bad PHN line is refused with file:line.
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

# ---- --audio: frames of any audio file, no labels (no .PHN beside it)
wav=$(find "$c/TEST" -iname '*.wav' | head -1)
mkdir mine && cp "$wav" mine/bare.wav
expect_status 0 "$SINCPROBE" activations "$ckpt" --layer dense1 --audio mine/bare.wav --frames 20 --out audio
ok; [ -f audio/dense1.npy ] && [ ! -f audio/labels.npy ] || fail "--audio: expected dense1.npy and no labels.npy"
expect_match "$(sed -n 2p audio/frames.tsv)" "	-1	-$" "--audio: frames.tsv has no labels"

# ---- --audio with a .PHN beside each file: the dev split's two utterances
# (the --split run's) as files give its frames, labels and activations
set -- $(tail -n +2 acts/frames.tsv | cut -f2 | sort -u | sed "s|^|$c/|; s|\$|.WAV|")
ok; [ $# -eq 2 ] && [ -f "$1" ] && [ -f "${1%.WAV}.PHN" ] && [ -f "$2" ] || fail "the dev split's files: $*"
expect_status 0 "$SINCPROBE" activations "$ckpt" --layer act2 --frames 300 --audio "$1" "$2" --out lab
ok; "$PY" - lab/labels.npy acts/labels.npy <<'PY' || fail "--audio with .PHN: labels.npy differs from --split's"
import sys, numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
assert a.dtype == np.int32 and b.dtype == np.int32 and a.shape == (300,), (a.dtype, a.shape)
assert np.array_equal(a, b) and (a >= 0).all()
PY
ok; cmp -s lab/act2.npy acts/act2.npy || fail "--audio with .PHN: act2.npy differs from --split's"
ok; [ "$(cut -f3- lab/frames.tsv)" = "$(cut -f3- acts/frames.tsv)" ] || fail "--audio with .PHN: frames.tsv's frames and labels differ"
# a 22050 Hz recording whose .phn counts its own samples: labels computed
# here from the .phn and the phone map (the frame centre 160 f + 80 at
# 16 kHz is at 22050 Hz sample (160 f + 80) * 22050 / 16000; q is no label)
"$PY" - "$top_srcdir/corpora/phones.60-48-39.map" <<'PY' || fail "cannot write mine/rec.wav"
import math, sys, wave, struct
w = wave.open("mine/rec.wav", "wb")
w.setnchannels(1); w.setsampwidth(2); w.setframerate(22050)
w.writeframes(b"".join(struct.pack("<h", int(3000 * math.sin(0.05 * i * (1 + i / 20000)))) for i in range(22050)))
w.close()
segs = [(0, 3001, "h#"), (3001, 5123, "hv"), (5123, 5400, "q"), (5400, 9000, "ax-h"), (9000, 12345, "pcl"),
        (12345, 15000, "eng"), (15000, 22050, "h#")]
open("mine/rec.phn", "w").write("".join("%d %d %s\n" % s for s in segs))
PY
expect_status 0 "$SINCPROBE" activations "$ckpt" --layer act2 --frames 1000 --audio mine/rec.wav --out rec
ok; "$PY" - "$top_srcdir/corpora/phones.60-48-39.map" <<'PY' || fail "22050 Hz: labels differ from the .phn's"
import sys, numpy as np
n48 = []
to48 = {}
for line in open(sys.argv[1]):
    f = line.split()
    if len(f) >= 2:
        if f[1] not in n48: n48.append(f[1])
        to48[f[0]] = n48.index(f[1])
segs = [l.split() for l in open("mine/rec.phn")]
def label(frame):
    t = (160 * frame + 80) * 22050 / 16000
    for b, e, p in segs:
        if int(b) <= t < int(e): return to48.get(p, -1)
    return -1
rows = [l.rstrip("\n").split("\t") for l in open("rec/frames.tsv")][1:]
lab = np.load("rec/labels.npy")
want = [label(int(r[2])) for r in rows]
assert lab.dtype == np.int32 and list(lab) == want, [(r[2], a, b) for r, a, b in zip(rows, lab, want) if a != b][:5]
assert all(w >= 0 for w in want) and len(rows) > 90, len(rows)
assert [r[4] for r in rows if int(r[2]) == 50] == ["cl"]
PY
# only some files with a .PHN: refused, naming those without; --no-labels
expect_status 1 "$SINCPROBE" activations "$ckpt" --layer act2 --audio mine/rec.wav mine/bare.wav --out some
expect_match "$err" "1 of the 2 audio files has a phone transcription beside it \(.PHN\) but 1 does not: 'mine/bare.wav'; .*--no-labels" "some files without .PHN"
ok; [ ! -e some ] || fail "a refused run left its --out folder"
expect_status 0 "$SINCPROBE" activations "$ckpt" --layer act2 --frames 50 --audio mine/rec.wav mine/bare.wav --no-labels --out nolab
ok; [ -f nolab/act2.npy ] && [ ! -e nolab/labels.npy ] || fail "--no-labels: expected act2.npy and no labels.npy"
expect_status 2 "$SINCPROBE" activations "$ckpt" --layer act2 --no-labels --out bad
# bad .phn lines: not increasing, beyond the audio (22050 samples)
cp mine/rec.wav mine/bad.wav
sed '3s/^5123 /5999 /' mine/rec.phn >mine/bad.phn
expect_status 1 "$SINCPROBE" activations "$ckpt" --layer act2 --audio mine/bad.wav --out bad
expect_match "$err" "mine/bad.phn:3: segment begins at 5999 but ends at 5400" "a decreasing .phn line names file:line"
sed '7s/22050 h#/22051 h#/' mine/rec.phn >mine/bad.phn
expect_status 1 "$SINCPROBE" activations "$ckpt" --layer act2 --audio mine/bad.wav --out bad
expect_match "$err" "mine/bad.phn:7: last segment ends at 22051, beyond the audio's 22050 samples" "a .phn beyond the audio names file:line"
ok; [ ! -e bad ] || fail "a refused run left its --out folder"

# ---- refusals
expect_status 1 "$SINCPROBE" activations "$ckpt" --layer act2,nope --out bad
expect_match "$err" "unknown layer 'nope'; the model's layers: in_ln, sinc, .*act2.*, out" "an unknown layer names the layers"
ok; [ ! -e bad ] || fail "a refused run left its --out folder"
expect_status 2 "$SINCPROBE" activations "$ckpt" --out bad
expect_status 2 "$SINCPROBE" activations "$ckpt" --layer act2
expect_status 1 "$SINCPROBE" activations "$ckpt" --layer act2 --split nosuch --out bad
expect_match "$err" "unknown split 'nosuch'" "an unknown split"
finish
