# export-ladspa.sh - `sincprobe export-ladspa` and the sincprobe LADSPA
# library in real hosts. Two tiny models (a sinc bank of 8 x 65 taps,
# which the plugins filter by FFT, and a conv bank of 8 x 33, filtered
# directly) are exported, one to the per-user directory ($XDG_DATA_HOME)
# and one with --out into $SINCPROBE_LADSPA_PATH; ladspa-sdk's
# listplugins and analyseplugin show their plugins and ports; sox (with
# and without -l, its latency compensation) and applyplugin filter noise
# through the bank and single-filter plugins on both convolution paths,
# and the output equals numpy's convolution of the input with the taps
# numpy reads from the exported file (tests/export_ladspa.py has the
# tolerances). The exported taps are the model's: the sinc formula from
# the cut-offs `sincprobe afr` reports, and (both kinds) the magnitude
# responses it computes from the checkpoint. Other rates: the sinc bank is redesigned, the conv bank is
# refused with sox's "could not instantiate plugin". Bad files in the
# search path are skipped (listed as such by --list) without a crash;
# UniqueIDs are stable across re-exports; bad arguments are refused.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"

for tool in sox listplugins analyseplugin applyplugin; do
  command -v $tool >/dev/null || { fail "$tool is not installed (tools/install-deps)"; finish; }
done
export LADSPA_PATH="$top_builddir/plugins/ladspa/.libs"
export SINCPROBE_LADSPA_PATH="$work/fb"
export XDG_DATA_HOME="$work/xdg"
export HOME="$work/home"
export SP_WORK="$work"
unset SINCPROBE_LADSPA_CONV
mkdir -p "$work/fb" "$work/home"
user="$XDG_DATA_HOME/sincprobe/ladspa"
lib="$LADSPA_PATH/sincprobe.so"

# A sanitizer build's library needs its runtimes first in the hosts
# (which are not built with them); their own leaks are not checked.
SP_HOST_PRELOAD=$(ldd "$lib" | awk '/lib(asan|ubsan)\.so/ {printf "%s ", $3}')
export SP_HOST_PRELOAD
host() {
  if [ -n "$SP_HOST_PRELOAD" ]; then
    LD_PRELOAD="$SP_HOST_PRELOAD" ASAN_OPTIONS=detect_leaks=0 "$@"
  else
    "$@"
  fi
}
check() { expect_status 0 "$PY" "$top_srcdir/tests/export_ladspa.py" "$@" && echo "$out"; }

tiny_corpus
tiny_epochs=1 tiny_steps=3 conf "$work/tiny" >"$work/tiny.conf"
sed 's/^taps = 65$/taps = 33\nfirst_layer = conv/' "$work/tiny.conf" | sed "s|$work/tiny|$work/convy|" >"$work/convy.conf"
expect_status 0 "$SINCPROBE" train "$work/tiny.conf" --quiet || finish
expect_status 0 "$SINCPROBE" train "$work/convy.conf" --quiet || finish

# ---- export: the default directory and name, then --out and --name
expect_status 0 "$SINCPROBE" export-ladspa "$work/tiny"
expect_match "$out" "^wrote $user/tiny.spfb: sinc, 8 filters x 65 taps at 16000 Hz, from $work/tiny/checkpoints/best.ckpt" "export: what it wrote"
expect_match "$out" '^  tiny_bank    UniqueID 60[0-9]{5} ' "export: the bank's label and ID"
expect_match "$out" '^  tiny_filter  UniqueID 60[0-9]{5}  one filter: control .filter. 0\.\.7' "export: the filter's label"
expect_match "$out" 'latency = 480 samples' "export: the latency (32 + an FFT block of 448)"
expect_match "$out" 'sox in.wav out.wav ladspa -l sincprobe tiny_filter 4' "export: a sox example"
ok; [ -f "$user/tiny.spfb" ] || fail "no $user/tiny.spfb"
ids_tiny=$(sed -n 's/^ids //p' "$user/tiny.spfb")
expect_status 0 "$SINCPROBE" export-ladspa "$work/convy/checkpoints/best.ckpt" --out "$work/fb/conv.spfb" --name convnet
expect_match "$out" '^wrote .*/fb/conv.spfb: conv, 8 filters x 33 taps' "export --out --name"
expect_match "$out" 'latency = 16 samples' "export: the direct path's latency"
expect_match "$out" 'at 16000 Hz only' "export: conv kernels only at their rate"
ok; [ -z "$(find "$work/fb" "$user" -name '*.tmp*')" ] || fail "temporary files left"

check info "$user/tiny.spfb"
expect_match "$out" "^8 65 sinc 16000 $ids_tiny\$" "numpy reads the sinc file"
expect_status 0 "$SINCPROBE" afr "$work/tiny" --format npy --out "$work/afr"
check sinc "$user/tiny.spfb" "$work/afr/cutoffs.tsv"
check responses "$user/tiny.spfb" "$work/afr/responses.npy"
check info "$work/fb/conv.spfb"
expect_match "$out" '^8 33 conv 16000 ' "numpy reads the conv file"
expect_status 0 "$SINCPROBE" afr "$work/convy" --format npy --out "$work/afr-conv"
check responses "$work/fb/conv.spfb" "$work/afr-conv/responses.npy"

# ---- the hosts list the plugins and their ports
expect_status 0 host listplugins
expect_match "$out" "sincprobe tiny: filterbank, normalised sum of 8 sinc filters \\(${ids_tiny% *}/tiny_bank\\)" "listplugins: tiny_bank"
expect_match "$out" "sincprobe tiny: one of 8 sinc filters \\(${ids_tiny#* }/tiny_filter\\)" "listplugins: tiny_filter"
expect_match "$out" 'sincprobe convnet: one of 8 conv filters \([0-9]+/convnet_filter\)' "listplugins: convnet_filter"
expect_status 0 host analyseplugin sincprobe.so tiny_filter
expect_match "$out" 'Plugin Label: "tiny_filter"' "analyseplugin: label"
expect_match "$out" 'Environment: Normal or Hard Real-Time' "analyseplugin: hard real-time"
expect_match "$out" '"input" input, audio' "analyseplugin: audio in"
expect_match "$out" '"output" output, audio' "analyseplugin: audio out"
expect_match "$out" '"filter" input, control, 0 to 7, default 0, integer' "analyseplugin: the filter control"
expect_match "$out" '"centre \(Hz\)" output, control' "analyseplugin: centre"
expect_match "$out" '"bandwidth \(Hz\)" output, control' "analyseplugin: bandwidth"
expect_match "$out" '"latency" output, control, default 0, integer' "analyseplugin: latency"
expect_status 0 host analyseplugin sincprobe.so convnet_bank
expect_match "$out" 'Ports:	"input" input, audio' "analyseplugin: bank ports"

# ---- filtering: the host's output against numpy's convolution
t="$user/tiny.spfb"
c="$work/fb/conv.spfb"
for h in sox-l sox applyplugin; do
  check filter "$t" tiny_bank "$h" auto
  check filter "$t" tiny_filter "$h" auto 5
  check filter "$c" convnet_bank "$h" auto
  check filter "$c" convnet_filter "$h" auto 2
done
SINCPROBE_LADSPA_CONV=direct check filter "$t" tiny_bank sox-l direct
SINCPROBE_LADSPA_CONV=direct check filter "$t" tiny_filter applyplugin direct 0
SINCPROBE_LADSPA_CONV=fft check filter "$c" convnet_filter sox-l fft 7
SINCPROBE_LADSPA_CONV=fft check filter "$c" convnet_bank applyplugin fft

# ---- both ways: sincprobe's own LADSPA host (`ladspa apply`, which
# compensates the latency port) running the exported bank gives what
# sox -l gives, float for float
sox -n -r 16000 -c 1 -e floating-point -b 32 "$work/both.wav" synth 1 sine 300-5000 vol 0.5 2>/dev/null
expect_status 0 "$SINCPROBE" ladspa apply sincprobe "$work/both.wav" "$work/both-sp.wav" --label tiny_bank
expect_match "$err" "latency 480 compensated" "ladspa apply on the exported bank: its latency"
expect_status 0 host sox "$work/both.wav" -e floating-point "$work/both-sox.wav" ladspa -l sincprobe tiny_bank
ok; "$PY" "$top_srcdir/tests/wav_compare.py" same "$work/both-sp.wav" "$work/both-sox.wav" 1e-6 >"$work/cmp" ||
  fail "ladspa apply vs sox -l on tiny_bank: $(cat "$work/cmp")"

# ---- other rates: sinc redesigned (the same length in time), conv refused
sox -n -r 48000 -c 1 -t f32 "$work/in48.raw" synth 1 sine 1000 vol 0.3 2>/dev/null
expect_status 0 host sox -t f32 -r 48000 -c 1 "$work/in48.raw" -t f32 "$work/out48.raw" ladspa -l sincprobe tiny_bank
ok; [ "$(wc -c <"$work/out48.raw")" -eq 192000 ] || fail "48 kHz through tiny_bank: $(wc -c <"$work/out48.raw") bytes"
expect_status 2 host sox -t f32 -r 48000 -c 1 "$work/in48.raw" -t f32 "$work/x.raw" ladspa sincprobe convnet_bank
expect_match "$err" 'could not instantiate plugin' "sox on a conv bank at 48 kHz"

# ---- bad files in the search path: skipped, never a crash
printf 'sincprobe-filterbank 1\nname broken\n' >"$work/fb/0-broken.spfb"
head -c 600 "$t" >"$work/fb/1-truncated.spfb"
printf 'RIFF....WAVEfmt \n' >"$work/fb/2-wav.spfb"
head -c 5000 /dev/urandom >"$work/fb/4-noise.spfb"
cp "$t" "$work/fb/3-copy.spfb" # the same model again: the first one found wins
expect_status 0 host listplugins
expect_match "$out" 'tiny_bank' "listplugins with bad files: still lists tiny_bank"
expect_match "$out" 'convnet_filter' "listplugins with bad files: still lists convnet_filter"
ok; [ "$(printf '%s\n' "$out" | grep -c '/tiny_bank)')" -eq 1 ] || fail "tiny_bank listed $(printf '%s\n' "$out" | grep -c '/tiny_bank)') times"
expect_status 0 host analyseplugin "$lib"
check filter "$t" tiny_filter sox-l auto 3
SINCPROBE_LADSPA_PATH="$work/missing:$work/fb" expect_status 0 "$SINCPROBE" export-ladspa --list
expect_match "$out" "^  $work/missing \(missing\)" "--list: a missing directory"
expect_match "$out" "^skipped $work/fb/0-broken.spfb" "--list: the broken file"
expect_match "$out" "0-broken.spfb:3: the file ends inside the header \\(truncated\\?\\)" "--list: why"
expect_match "$out" "1-truncated.spfb: .*truncated file" "--list: the truncated file"
expect_match "$out" "2-wav.spfb:1: expected 'sincprobe-filterbank 1': not a sincprobe filterbank file" "--list: not a filterbank file"
expect_match "$out" "^skipped $work/fb/4-noise.spfb" "--list: random bytes"
expect_match "$out" "^loaded  $work/fb/3-copy.spfb" "--list: the copy"
expect_match "$out" "^loaded  $work/fb/conv.spfb" "--list: the conv bank"
expect_match "$out" "^  tiny_bank ${ids_tiny% *}, tiny_filter ${ids_tiny#* }: sinc, 8 filters x 65 taps at 16000 Hz" "--list: tiny"
# the search order: SINCPROBE_LADSPA_PATH first, so the copy shadows the
# per-user file
expect_match "$out" "^skipped $user/tiny.spfb" "--list: the per-user file comes second"
expect_match "$out" "tiny.spfb: the name of model 'tiny' is already loaded from '$work/fb/3-copy.spfb'" "--list: why"
rm -f "$work/fb/3-copy.spfb"

# ---- stable IDs: a re-export keeps them; another name gets others
expect_status 0 "$SINCPROBE" export-ladspa "$work/tiny"
ok; [ "$(sed -n 's/^ids //p' "$user/tiny.spfb")" = "$ids_tiny" ] || fail "re-export changed the IDs"
expect_status 0 "$SINCPROBE" export-ladspa "$work/tiny" --name other --out "$work/fb/other.spfb"
ok; [ "$(sed -n 's/^ids //p' "$work/fb/other.spfb")" != "$ids_tiny" ] || fail "two names share IDs"
expect_status 0 "$SINCPROBE" export-ladspa "$work/tiny" --name tiny --out "$work/elsewhere.spfb"
expect_match "$err" "is not on the search path" "export outside the search path: a note"
expect_match "$err" "also holds a model named 'tiny'" "export of a name already exported: a warning"

# ---- refusals
expect_status 2 "$SINCPROBE" export-ladspa "$work/tiny" --name 'a b'
expect_match "$err" "--name: model name 'a b' has ' '" "bad --name"
expect_status 2 "$SINCPROBE" export-ladspa
expect_match "$err" 'a MODEL \(checkpoint or run directory\) is required' "no MODEL"
expect_status 1 "$SINCPROBE" export-ladspa "$work/nothing"
expect_match "$err" "nothing" "a missing model"
expect_status 2 "$SINCPROBE" export-ladspa --list "$work/tiny"
expect_status 1 "$SINCPROBE" export-ladspa "$work/tiny" --out "$work/no/such/dir/x.spfb"
expect_match "$err" "no/such/dir/x.spfb" "--out in a missing directory"
finish
