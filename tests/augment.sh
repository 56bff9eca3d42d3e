# augment.sh - the augmentation probes from the command line: `sincprobe
# plugins` lists speed and reverb with their options; a short training
# with the recording chain speed, reverb, noise (in that order) on the
# tiny synthetic corpus; the listen/ WAVs checked against the corpus's own
# utterances with numpy (speed: length n / a and y(m) = x(a m); reverb: the
# utterance's RMS kept; with the direct path dominant (close talk, a file
# of DRR +11 dB), its cross-correlation with the dry utterance peaking at
# lag 0); rooms.tsv; the same
# run twice, the same bytes; RIR files from a directory (48 kHz, with a
# text file beside them); experiments/quickstart-augment.conf's sections;
# the reverb probe in `sincprobe eval`; bad
# options refused before training, naming the config line.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
export SINCPROBE_PLUGIN_PATH="$top_builddir/plugins/.libs"

expect_status 0 "$SINCPROBE" plugins
expect_match "$out" '^speed	1\.0	plays each utterance' "plugins lists speed"
expect_match "$out" '^reverb	1\.0	convolves each utterance with a room impulse response' "plugins lists reverb"
expect_status 0 "$SINCPROBE" plugins speed
for o in factors scope fraction apply_to seed listen; do expect_match "$out" "^$o " "plugins speed: option $o"; done
expect_status 0 "$SINCPROBE" plugins reverb
for o in rir_files room rt60 distance margin max_ms interp highpass_hz rooms level scope fraction apply_to seed listen; do
  expect_match "$out" "^$o " "plugins reverb: option $o"
done

tiny_corpus
chain='[probe sp]\nuse = speed\nlisten = 6\n[probe rv]\nuse = reverb\nlisten = 6\n[probe nz]\nuse = noise\nsnr_db = 20'
conf "$work/run" "$chain" >"$work/run.conf"
expect_status 0 "$SINCPROBE" train "$work/run.conf" --quiet || finish
expect_match "$err" '^probe sp: chunks: [0-9]+ at 0\.9, [0-9]+ at 1, [0-9]+ at 1\.1; [0-9]+ perturbed utterances kept \([0-9.]+ MB, 0 samples saturated\); [0-9.]+ ms of CPU per batch over 12 batches, [0-9.]+ s of it making the utterances$' "speed's closing line"
expect_match "$err" '^probe rv: reverberated [1-9][0-9]* of [0-9]+ utterances \(fraction 1\); [0-9]+ rooms simulated, [0-9]+ images and [0-9.]+ ms of CPU each on average; [1-9][0-9]* chunks reverberated with earlier probes. changes; [0-9.]+ MB kept; [0-9.]+ ms of CPU per batch over 12 batches, [0-9.]+ s of it simulating rooms and reverberating whole utterances$' "reverb's closing line"
expect_match "$(cat "$work/run/probes/rv/rooms.tsv")" '^room	x_m	y_m	z_m	rt60_s	beta	src_x	src_y	src_z	mic_x	mic_y	mic_z	distance_m	direct_ms	length	images	onset$' "rooms.tsv header"

# ---- the listen/ WAVs against the corpus
check_py() { # WHAT PYTHON-ARGS...
  local what=$1
  shift
  ok
  "$PY" - "$@" >"$work/py.out" 2>&1 <<'PY' || fail "$what: $(cat "$work/py.out")"
import glob, os, subprocess, sys
import numpy as np

def read(path, typ=None):
    args = ['sox'] + (['-t', typ] if typ else []) + [path, '-t', 'f32', '-c', '1', '-r', '16000', '-']
    return np.frombuffer(subprocess.run(args, capture_output=True, check=True).stdout, np.float32).astype(float)

def dry(corpus, name):
    return read(os.path.join(corpus, name.replace('_', '/') + '.WAV'), 'sph')

kind, corpus, folder = sys.argv[1:4]
files = sorted(f for f in glob.glob(folder + '/*.wav') if not f.endswith('-rir.wav'))
assert files, 'no listen files in ' + folder
for f in files:
    base = os.path.basename(f)[:-4]
    y = read(f)
    if kind == 'speed':
        name, a = base.rsplit('-x', 1)
        a = float(a)
        x = dry(corpus, name)
        assert abs(len(y) - len(x) / a) <= 1, '%s: %d samples, want %.1f' % (base, len(y), len(x) / a)
        # y(m) = x(a m): x read at a m (linear interpolation, so compared
        # below 4 kHz) against y, and against x unperturbed
        m = np.arange(len(y))
        xa = np.interp(a * m, np.arange(len(x)), x)
        lp = lambda v: np.convolve(v, np.hanning(9) / np.hanning(9).sum(), 'same')
        c = np.corrcoef(lp(y), lp(xa))[0, 1]
        k = min(len(x), len(y))
        c0 = np.corrcoef(lp(y[:k]), lp(x[:k]))[0, 1]
        assert c > 0.98 and c0 < 0.5, '%s: correlation with x(a m) %.4f, with x(m) %.4f' % (base, c, c0)
        print('%s: %d -> %d samples, corr with x(%g m) %.4f (with x(m) %.3f)' % (base, len(x), len(y), a, c, c0))
    else:
        x = dry(corpus, base)
        assert len(y) == len(x), '%s: %d samples, dry %d' % (base, len(y), len(x))
        r = np.sqrt(np.mean(y ** 2) / np.mean(x ** 2))
        assert abs(r - 1) < 1e-3, '%s: RMS ratio %.5f' % (base, r)
        L = 200
        lags = np.arange(-L, L + 1)
        n = len(x)
        c = np.array([np.dot(y[L + k:n - L + k], x[L:n - L]) for k in lags])
        peak = lags[np.argmax(c)]
        # the cross-correlation of reverberant speech with the dry speech
        # peaks at the direct path where it dominates (kind 'lag': close
        # talk); in a far, reverberant room a run of reflections can
        # outweigh it (kind 'rms': the level only)
        assert kind == 'rms' or peak == 0, '%s: the correlation peaks at lag %d' % (base, peak)
        print('%s: RMS ratio %.6f, correlation peak at lag %d' % (base, r, peak))
PY
  sed "s/^/augment.sh: $what: /" "$work/py.out"
}
check_py "speed listen" speed "$c" "$work/run/probes/sp/listen"
check_py "reverb listen" rms "$c" "$work/run/probes/rv/listen"
ok; [ "$(ls "$work/run/probes/rv/listen" | grep -c -- '-rir\.wav$')" -ge 1 ] || fail "reverb listen wrote no response"
# rooms.tsv: each onset is the direct delay to the sample
ok; awk -F'\t' 'NR > 1 { d = $14 * 16; if ($17 != int(d + 0.5)) { print $1 ": onset " $17 ", direct " d; bad = 1 } } END { exit bad }' \
  "$work/run/probes/rv/rooms.tsv" >"$work/awk.out" || fail "rooms.tsv: $(cat "$work/awk.out")"

# ---- the same run twice: the same bytes
conf "$work/again" "$chain" >"$work/again.conf"
expect_status 0 "$SINCPROBE" train "$work/again.conf" --quiet
for p in sp rv; do
  for f in "$work/run/probes/$p/listen"/*.wav; do
    ok; cmp -s "$f" "$work/again/probes/$p/listen/$(basename "$f")" || fail "$p: $(basename "$f") differs between two runs"
  done
done
ok; cmp -s "$work/run/probes/rv/rooms.tsv" "$work/again/probes/rv/rooms.tsv" || fail "rooms.tsv differs between two runs"
cut -f1-6 "$work/run/log.tsv" >"$work/run.cols"
cut -f1-6 "$work/again/log.tsv" >"$work/again.cols"
ok; cmp -s "$work/run.cols" "$work/again.cols" || fail "the losses and error rates differ between two runs"

# ---- the augmentation sections of experiments/quickstart-augment.conf
# run as shipped
sed -n '/^\[probe speed\]/,$p' "$top_srcdir/experiments/quickstart-augment.conf" >"$work/qsa.sections"
ok; grep -q '^use = noise' "$work/qsa.sections" || fail "quickstart-augment.conf has no speed, reverb, noise sections"
{ conf "$work/qsa"; cat "$work/qsa.sections"; } >"$work/qsa.conf"
expect_status 0 "$SINCPROBE" train "$work/qsa.conf" --quiet
expect_match "$err" '^probes: speed \(speed 1\.0\), room \(reverb 1\.0\), noise \(noise 1\.0\)$' "quickstart-augment.conf: the chain in order"

# ---- close talk: the direct path dominant, the correlation with the dry
# speech peaks at lag 0, in both scopes
conf "$work/close" '[probe rv]
use = reverb
listen = 6
room = 4:10,4:8,3:4
margin = 1
distance = 0.5:0.6' >"$work/close.conf"
expect_status 0 "$SINCPROBE" train "$work/close.conf" --quiet
check_py "reverb listen, close talk" lag "$c" "$work/close/probes/rv/listen"

# ---- RIR files: a directory of one 48 kHz response and a text file
mkdir -p "$work/rirs"
echo "measured in the kitchen" >"$work/rirs/README"
"$PY" -c "
import numpy as np, struct
rng = np.random.default_rng(1)
n = 24000
h = rng.standard_normal(n) * 0.005 * np.exp(-np.arange(n) / 4800.0)
h[:240] = 0
h[240] = 0.9
d = (h * 32767).astype('<i2').tobytes()
hdr = b'RIFF' + struct.pack('<I', 36 + len(d)) + b'WAVEfmt ' + struct.pack('<IHHIIHH', 16, 1, 1, 48000, 96000, 2, 16) + b'data' + struct.pack('<I', len(d))
open('$work/rirs/kitchen.wav', 'wb').write(hdr + d)"
conf "$work/files" "[probe rf]\nuse = reverb\nrir_files = $work/rirs\nlisten = 2" >"$work/files.conf"
expect_status 0 "$SINCPROBE" train "$work/files.conf" --quiet
expect_match "$err" '^probe rf: 1 responses from rir_files \(1 files skipped: not audio\); up to 500 ms' "rir_files: the directory read"
rir=$(ls "$work/files/probes/rf/listen/"*-rir.wav 2>/dev/null | head -1)
ok; [ -n "$rir" ] && [ "$(soxi -r "$rir" 2>/dev/null)" = 16000 ] && [ "$(soxi -s "$rir" 2>/dev/null)" -eq 8000 ] ||
  fail "the response as used: '$rir' at $(soxi -r "$rir" 2>/dev/null) Hz, $(soxi -s "$rir" 2>/dev/null) samples (want 16000 Hz, 8000)"
check_py "reverb from a file" lag "$c" "$work/files/probes/rf/listen"

# ---- in evaluation: apply_to test changes the test split's scores
printf '[probe rv]\nuse = reverb\napply_to = test\nrt60 = 0.6:0.7\ndistance = 2:3\n' >"$work/rv.conf"
expect_status 0 "$SINCPROBE" eval "$work/run" --split test --no-probes --json && clean=$(printf '%s' "$out" | grep -o '"fer": [0-9.e-]*')
expect_status 0 "$SINCPROBE" eval "$work/run" --split test --probes "$work/rv.conf" --json
expect_match "$err" '^probe rv: reverberated 4 of 4 utterances' "eval: every test utterance reverberated"
ok; [ "$(printf '%s' "$out" | grep -o '"fer": [0-9.e-]*')" != "$clean" ] || fail "reverberation left the FER unchanged ($clean)"

# ---- refusals: exit 1, FILE:LINE of the option, no run directory
lines=$(conf x | wc -l)
refuse() { # NAME LINE PATTERN SECTION
  local name=$1 line=$2 pattern=$3
  shift 3
  conf "$work/$name" "$@" >"$work/$name.conf"
  expect_status 2 "$SINCPROBE" train "$work/$name.conf" --quiet
  expect_match "$err" "^sincprobe: $work/$name\.conf:$line: \[probe a\].*$pattern" "$name: message with file and line"
  ok; [ ! -e "$work/$name" ] || fail "$name: the refused run wrote '$work/$name'"
}
refuse factors $((lines + 3)) "speed\.so.*factors: '0\.9,fast' is not a comma list of factors between 0\.5 and 2" '[probe a]\nuse = speed\nfactors = 0.9,fast'
refuse rt60 $((lines + 4)) "reverb\.so.*rt60: 0\.05 s is shorter than Sabine's formula allows in the largest room" '[probe a]\nuse = reverb\nlisten = 1\nrt60 = 0.05'
refuse room $((lines + 3)) "reverb\.so.*room: '5,5' is not three sizes in m" '[probe a]\nuse = reverb\nroom = 5,5'
refuse maxms $((lines + 3)) "reverb\.so.*max_ms: 5 ms ends before the direct sound" '[probe a]\nuse = reverb\nmax_ms = 5'
refuse nofile $((lines + 3)) "reverb\.so.*rir_files: cannot read '$work/none\.wav'" "[probe a]\nuse = reverb\nrir_files = $work/none.wav"
refuse both $((lines + 4)) "reverb\.so.*rt60: '0\.5' is for simulated rooms, not with rir_files" "[probe a]\nuse = reverb\nrir_files = $work/rirs\nrt60 = 0.5"
finish
