# ladspa.sh - hosting real LADSPA plugins (Debian's swh-plugins, cmt,
# tap-plugins) against the real host of the LADSPA SDK, applyplugin:
# `sincprobe ladspa list|show|apply`, and the `ladspa` probe in eval
# (--ladspa SPEC, --probes CONFIG) and in training (scope chunk).
#
# applyplugin writes 16-bit WAV and does not compensate latency: its
# output is compared within one quantisation step (1/32768, plus float
# rounding) and, for a plugin with a latency port, shifted by that
# latency. Plugins: swh's amp (linear, gain in dB), cmt's one-pole lpf
# (linear, a SAMPLE_RATE-relative bound, an IIR tail that decays into
# subnormals), swh's gsm simulator (nonlinear, stateful, latency 320) and
# tap_reverb (stateful, stereo: ports mapped by the documented rules).
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
export SINCPROBE_PLUGIN_PATH="$top_builddir/plugins/.libs"
export LADSPA_PATH=/usr/lib/ladspa
cmp_py="$top_srcdir/tests/wav_compare.py"
lsb=3.1e-5 # one 16-bit step, 1/32768, and float rounding

for tool in applyplugin sox; do
  command -v $tool >/dev/null || { fail "$tool is missing (tools/install-deps installs it)"; finish; }
done
for lib in amp_1181 gsm_1215 cmt tap_reverb; do
  [ -f "$LADSPA_PATH/$lib.so" ] || { fail "$LADSPA_PATH/$lib.so is missing (swh-plugins, cmt, tap-plugins)"; finish; }
done

# compare WHAT A B TOL [SHIFT]
compare() {
  ok
  "$PY" "$cmp_py" same "$2" "$3" "$4" ${5:-0} >"$work/cmp" 2>&1 || fail "$1: $(cat "$work/cmp")"
}

tiny_corpus
utt=$(find "$c/TEST" -name '*.WAV' | sort | head -1)
sox -t sph "$utt" "$work/clean.wav"
# an impulse, then a second of silence: an IIR's tail decays into subnormals
"$PY" -c "
import numpy as np, struct
x = np.zeros(16000, np.int16); x[0] = 30000
d = x.tobytes()
h = b'RIFF' + struct.pack('<I', 36 + len(d)) + b'WAVEfmt ' + struct.pack('<IHHIIHH', 16, 1, 1, 16000, 32000, 2, 16) + b'data' + struct.pack('<I', len(d))
open('$work/impulse.wav', 'wb').write(h + d)"

# ---- list and show
expect_status 0 "$SINCPROBE" ladspa list
expect_match "$out" '^library	id	label	name	audio_in	audio_out	control_in	control_out$' "list header"
expect_match "$out" '^/usr/lib/ladspa/gsm_1215.so	1215	gsm	GSM simulator	1	1	3	1$' "list gsm"
expect_match "$out" '/usr/lib/ladspa/tap_reverb.so	2142	tap_reverb	TAP Reverberator	2	2	8	0$' "list tap_reverb"
env -u LADSPA_PATH "$SINCPROBE" ladspa list >/dev/null 2>"$work/err"
expect_match "$(cat "$work/err")" 'LADSPA_PATH is unset: listing /usr/local/lib/ladspa:/usr/lib/ladspa' "unset LADSPA_PATH said"
# a directory with a shared object that is not a LADSPA library: warned, the rest listed
mkdir -p "$work/dir"
cp "$top_builddir/plugins/.libs/noise.so" "$work/dir/notladspa.so"
cp "$LADSPA_PATH/amp_1181.so" "$work/dir/"
expect_status 0 "$SINCPROBE" ladspa list "$work/dir"
expect_match "$err" "notladspa.so' is not a LADSPA plugin library \(it exports no ladspa_descriptor\)" "list: non-LADSPA .so warned"
expect_match "$out" 'amp_1181.so	1181	amp	' "list: the rest listed"

expect_status 0 "$SINCPROBE" ladspa show gsm_1215
expect_match "$out" '^1	Number of passes	input	control	0 to 10, default 1, integer$' "show: integer port"
expect_match "$out" '^5	latency	output	control	$' "show: latency port"
expect_status 0 "$SINCPROBE" ladspa show cmt --label lpf --rate 16000
expect_match "$out" '^0	Cutoff Frequency \(Hz\)	input	control	0 to 8000 \(bounds x the sample rate\), default 440, logarithmic$' "show: sample-rate bound at 16 kHz"
expect_status 0 "$SINCPROBE" ladspa show cmt --label lpf --rate 44100
expect_match "$out" '0 to 22050 ' "show: sample-rate bound at 44.1 kHz"
expect_status 0 "$SINCPROBE" ladspa show 1215 && expect_match "$out" '^label	gsm$' "show by id"
expect_status 0 "$SINCPROBE" ladspa show tap_reverb && expect_match "$out" '^id	2142$' "show by label"
expect_status 1 "$SINCPROBE" ladspa show cmt && expect_match "$err" "has [0-9]+ plugins: say which" "show: several plugins"
expect_status 1 "$SINCPROBE" ladspa show cmt --label nosuch && expect_match "$err" "has no plugin labelled 'nosuch'; it has: " "show: no such label"
expect_status 1 "$SINCPROBE" ladspa show nosuchplugin && expect_match "$err" "'nosuchplugin' not found in /usr/lib/ladspa \(LADSPA_PATH\)" "show: not found"
expect_status 1 "$SINCPROBE" ladspa show "$work/dir/notladspa.so" && expect_match "$err" "is not a LADSPA plugin library" "show: not LADSPA"

# ---- apply against applyplugin
ap() { applyplugin "$@" >"$work/ap.log" 2>&1 || fail "applyplugin $*: $(cat "$work/ap.log")"; }
# linear: amp -6 dB
ap "$work/clean.wav" "$work/amp-ap.wav" amp_1181.so amp -6
expect_status 0 "$SINCPROBE" ladspa apply amp_1181 "$work/clean.wav" "$work/amp.wav" --controls 'Amps gain (dB)=-6'
compare "amp -6 dB" "$work/amp.wav" "$work/amp-ap.wav" $lsb
# linear, SAMPLE_RATE-relative bound: one-pole low-pass at 1000 Hz; the port named without its unit
ap "$work/clean.wav" "$work/lpf-ap.wav" cmt.so lpf 1000
expect_status 0 "$SINCPROBE" ladspa apply cmt "$work/clean.wav" "$work/lpf.wav" --label lpf --controls 'cutoff frequency=1000'
compare "cmt lpf 1000 Hz" "$work/lpf.wav" "$work/lpf-ap.wav" $lsb
# nonlinear and stateful, latency 320 samples: compensated by sincprobe, not by applyplugin
ap "$work/clean.wav" "$work/gsm-ap.wav" gsm_1215.so gsm 1 2 0
expect_status 0 "$SINCPROBE" ladspa apply gsm_1215 "$work/clean.wav" "$work/gsm.wav" --controls 'Number of passes=2'
expect_match "$err" 'latency 320 compensated' "gsm latency"
compare "gsm, 2 passes, shifted by its latency" "$work/gsm.wav" "$work/gsm-ap.wav" $lsb 320
ok; "$PY" "$cmp_py" same "$work/gsm.wav" "$work/gsm-ap.wav" 0.01 0 >/dev/null && fail "gsm: the unshifted outputs agree, so the latency test cannot fail"
# stereo plugin on mono audio: both inputs get the signal, the first output is taken
sox -M "$work/clean.wav" "$work/clean.wav" "$work/stereo.wav"
ap "$work/stereo.wav" "$work/rev-ap.wav" tap_reverb.so tap_reverb 2500 0 -6 1 1 1 1 3
sox "$work/rev-ap.wav" "$work/rev-ap-left.wav" remix 1
expect_status 0 "$SINCPROBE" ladspa apply tap_reverb "$work/clean.wav" "$work/rev.wav" \
  --controls 'Decay [ms]=2500;Wet Level [dB]=-6;Reverb Type=3'
compare "tap_reverb (stereo): left output" "$work/rev.wav" "$work/rev-ap-left.wav" $lsb
expect_status 0 "$SINCPROBE" ladspa apply tap_reverb "$work/clean.wav" "$work/rev-r.wav" \
  --controls 'Decay [ms]=2500;Wet Level [dB]=-6;Reverb Type=3' --out-port 'Output Right'
sox "$work/rev-ap.wav" "$work/rev-ap-right.wav" remix 2
compare "tap_reverb: --out-port Output Right" "$work/rev-r.wav" "$work/rev-ap-right.wav" $lsb
# mix: (1 - m) dry + m wet
expect_status 0 "$SINCPROBE" ladspa apply amp_1181 "$work/clean.wav" "$work/amp-mix.wav" --controls 'Amps gain (dB)=-6' --mix 0.25
ok; "$PY" "$cmp_py" mix "$work/amp-mix.wav" "$work/clean.wav" "$work/amp.wav" 0.25 1e-6 >"$work/cmp" || fail "mix 0.25: $(cat "$work/cmp")"
# denormals flushed: the low-pass's tail after an impulse
expect_status 0 "$SINCPROBE" ladspa apply cmt "$work/impulse.wav" "$work/tail.wav" --label lpf --controls 'Cutoff Frequency (Hz)=50'
ok; "$PY" "$cmp_py" subnormal "$work/tail.wav" >"$work/cmp" || fail "lpf tail: $(cat "$work/cmp")"

# ---- bad controls and ports, each named
expect_status 1 "$SINCPROBE" ladspa apply cmt "$work/clean.wav" "$work/x.wav" --label lpf --controls 'Cutoff Frequency (Hz)=9000'
expect_match "$err" "control 'Cutoff Frequency \(Hz\)' = 9000 is out of its range 0 to 8000 \(its bounds times the sample rate\)$" "SR-relative range"
ok; [ ! -e "$work/x.wav" ] || fail "a refused apply wrote its output"
expect_status 1 "$SINCPROBE" ladspa apply gsm_1215 "$work/clean.wav" "$work/x.wav" --controls 'Number of passes=1.5'
expect_match "$err" "control 'Number of passes' takes whole numbers, not 1.5" "integer port"
expect_status 1 "$SINCPROBE" ladspa apply tap_reverb "$work/clean.wav" "$work/x.wav" --controls 'Comb Filters=0.5'
expect_match "$err" "control 'Comb Filters' is a toggle: 0 or 1, not 0.5" "toggled port"
expect_status 1 "$SINCPROBE" ladspa apply amp_1181 "$work/clean.wav" "$work/x.wav" --controls 'Volume=3'
expect_match "$err" "plugin 'amp' has no control input 'Volume'; its control inputs: 'Amps gain \(dB\)'" "unknown control"
expect_status 1 "$SINCPROBE" ladspa apply amp_1181 "$work/clean.wav" "$work/x.wav" --controls 'Amps gain (dB)=loud'
expect_match "$err" "'loud' is not a number" "control not a number"
expect_status 1 "$SINCPROBE" ladspa apply amp_1181 "$work/clean.wav" "$work/x.wav" --out-port 'Output Left'
expect_match "$err" "plugin 'amp' has no audio output port 'Output Left'" "unknown out_port"
expect_status 1 "$SINCPROBE" ladspa apply cmt "$work/clean.wav" "$work/x.wav" --label sine_fcac
expect_match "$err" "plugin 'sine_fcac' \(.*\) has no audio input port: sincprobe needs one audio input and one audio output" "no audio input"

# ---- the probe in eval: --ladspa SPEC and --probes CONFIG
conf "$work/run" >"$work/run.conf"
expect_status 0 "$SINCPROBE" train "$work/run.conf" --quiet || finish
expect_status 0 "$SINCPROBE" eval "$work/run" --split test --no-probes --ladspa 'plugin=gsm_1215,controls=Number of passes=2,listen=2' --json
expect_match "$(printf '%s' "$out" | tr -d ' \n')" '"ladspa":\["plugin=gsm_1215,controls=Numberofpasses=2,listen=2"\]' "eval --ladspa in the JSON"
lis=$(echo "$work/run"/eval-test-c*/probes/ladspa-1/listen) # the condition named by a hash
ok; [ "$(ls "$lis" | wc -l)" -eq 2 ] || fail "listen = 2 wrote $(ls "$lis" 2>/dev/null | wc -l) files"
expect_match "$(cat "$lis/../controls.tsv")" '^1	Number of passes	2	0 to 10, default 1, integer$' "controls.tsv"
for w in "$lis"/*.wav; do
  id=$(basename "$w" .wav | tr _ /)
  sox -t sph "$c/$id.WAV" "$work/u.wav"
  ap "$work/u.wav" "$work/u-ap.wav" gsm_1215.so gsm 1 2 0
  compare "probe (eval, scope utterance) vs applyplugin on $id" "$w" "$work/u-ap.wav" $lsb 320
done
# the same utterances through the reverb, from a config file; the FER moves
expect_status 0 "$SINCPROBE" eval "$work/run" --split test --no-probes --json && clean_fer=$(printf '%s' "$out" | grep -o '"fer": [0-9.e-]*')
printf '[probe rv]\nuse = ladspa\nplugin = tap_reverb\ncontrols = Decay [ms]=2500, Wet Level [dB]=-6, Reverb Type=3\napply_to = test\nlisten = 1\n' >"$work/rv.conf"
expect_status 0 "$SINCPROBE" eval "$work/run" --split test --probes "$work/rv.conf" --json
ok; [ "$(printf '%s' "$out" | grep -o '"fer": [0-9.e-]*')" != "$clean_fer" ] || fail "reverb left the FER unchanged ($clean_fer)"
for w in "$work/run"/eval-test-c*/probes/rv/listen/*.wav; do
  id=$(basename "$w" .wav | tr _ /)
  sox -t sph "$c/$id.WAV" "$work/u.wav"
  sox -M "$work/u.wav" "$work/u.wav" "$work/us.wav"
  ap "$work/us.wav" "$work/u-ap.wav" tap_reverb.so tap_reverb 2500 0 -6 1 1 1 1 3
  sox "$work/u-ap.wav" "$work/u-apl.wav" remix 1
  compare "probe (config) vs applyplugin, tap_reverb on $id" "$w" "$work/u-apl.wav" $lsb
done

# fraction: the share of chunks processed, drawn per chunk (866 chunks of
# the test split; 0.5 +- 0.1 is 6 standard deviations)
expect_status 0 "$SINCPROBE" eval "$work/run" --split test --no-probes --ladspa 'plugin=amp_1181,scope=chunk,fraction=0.5'
k=$(printf '%s' "$err" | sed -n 's/.*processed \([0-9]*\) of \([0-9]*\) chunks (fraction 0.5);.*/\1 \2/p')
ok; [ -n "$k" ] && awk -v k="$k" 'BEGIN { split(k, a, " "); r = a[1] / a[2]; exit !(a[2] > 500 && r > 0.4 && r < 0.6) }' ||
  fail "fraction 0.5 processed '$k' (done, seen) chunks: $(printf '%s' "$err" | grep processed)"
expect_status 0 "$SINCPROBE" eval "$work/run" --split test --no-probes --ladspa 'plugin=amp_1181,fraction=0'
expect_match "$err" 'processed 0 of 4 utterances \(fraction 0\); [0-9.]+ ms of CPU per batch over [1-9][0-9]* batches' "fraction 0"

# errors name the config line
bad() { # WHAT LINE CONTENT PATTERN
  printf '[probe x]\nuse = ladspa\n%b\n' "$3" >"$work/bad.conf"
  expect_status 2 "$SINCPROBE" eval "$work/run" --split test --probes "$work/bad.conf"
  expect_match "$err" "bad.conf:$2: .*$4" "$1"
}
bad "range at its config line" 5 'plugin = cmt\nlabel = lpf\ncontrols = Cutoff Frequency (Hz)=9000' "out of its range 0 to 8000"
bad "missing port name" 4 'plugin = amp_1181\ncontrols = Volume=3' "has no control input 'Volume'"
bad "missing label" 4 'plugin = cmt\nlabel = nosuch' "no plugin labelled 'nosuch'"
bad "non-LADSPA library" 3 "plugin = $work/dir/notladspa.so" "is not a LADSPA plugin library"
bad "missing in_port" 4 'plugin = amp_1181\nin_port = Sidechain' "no audio input port 'Sidechain'"
bad "no such library" 3 'plugin = nosuch' "'nosuch' not found in /usr/lib/ladspa"
expect_status 2 "$SINCPROBE" eval "$work/run" --ladspa 'plugin=amp_1181,volume=3'
expect_match "$err" "unknown key 'volume' \\(the ladspa probe's options: plugin, label" "--ladspa unknown key"
expect_status 2 "$SINCPROBE" eval "$work/run" --ladspa 'plugn=amp_1181'
expect_match "$err" "^sincprobe: --ladspa 'plugn=amp_1181': unknown key 'plugn'; did you mean 'plugin'\\? \\(the ladspa probe's options: plugin, label" "--ladspa misspelled key"

# ---- in training, scope chunk, with listen
conf "$work/run2" '[probe codec]\nuse = ladspa\nplugin = gsm_1215\nscope = chunk\nlisten = 3' >"$work/run2.conf"
expect_status 0 "$SINCPROBE" train "$work/run2.conf" --quiet
ok; [ "$(ls "$work/run2/probes/codec/listen" | wc -l)" -eq 3 ] || fail "scope chunk: listen wrote $(ls "$work/run2/probes/codec/listen" | wc -l) chunks"
expect_match "$(cat "$work/run2/probes/log.txt" 2>/dev/null)" "'gsm' \(GSM simulator, id 1215\) .* scope chunk, mix 1, fraction 1, on train" "training log names the plugin"
finish
