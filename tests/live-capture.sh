# live-capture.sh - live/capture.c through the real PortAudio and ALSA,
# without a sound card: an ALSA configuration written here defines capture
# devices with ALSA's file plugin reading a known signal (raw FLOAT_LE,
# 16 kHz, mono) through its `infile` option, over the null plugin, behind
# a plug. ALSA_CONFIG_PATH replaces the whole configuration (alsa.conf, so
# no cards and no ~/.asoundrc): the devices are the same on any machine.
# tests/test_live_capture.c does the checks; this script writes the
# configurations, runs it, and checks that PortAudio's and ALSA's probing
# chatter stayed off stderr.
#
# Quirks met (also in the README):
# - PortAudio lists every PCM the configuration defines except the names
#   hw, plughw, plug, dsnoop, tee, file, null, shm, cards, rate_convert:
#   the test devices need names of their own.
# - The infile must be FLOAT_LE when PortAudio asks for float: with an
#   S16_LE infile the plug converts, and the file plugin reads the infile
#   ahead of what is delivered (about 2/3 of the samples are lost).
# - The null plugin never waits, so this device runs far faster than real
#   time, and after the infile ends it repeats its last buffer (hence the
#   second of silence after the signal).
# - PortAudio 19.6 (Debian 12) aborts in Pa_Initialize (an assert in
#   BuildDeviceList) when every PCM the configuration names opens, and
#   when it names none: each configuration here also defines one that
#   PortAudio skips or cannot open ('default' is probed last).
# - The file plugin reads its infile in its own mmap_begin/readi for the
#   whole span asked, whatever is then committed: a converting plugin
#   between it and PortAudio (plug converting formats, lfloat) drops
#   samples, and the multi plugin, which never calls it, reads zeros. So
#   the stereo device (multi: exactly two channels) reads constants
#   through lfloat, whose mean survives any drop.
# - Through plug -> file -> null, PortAudio 19.6 is refused the rates
#   below the slave's 16000 Hz (8000, 11025: paBadIODeviceCombination;
#   arecord takes them) and below 4000 Hz by ALSA's rate converter.
# - PortAudio's ALSA host API takes a mono request on a two-channel-only
#   device by keeping the first channel: capture.c asks such a device for
#   both and averages them.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
prog=$top_builddir/tests/test_live_capture

# a two-channel device (the multi plugin: exactly its bindings), each
# channel a file plugin reading a constant (S16_LE, converted by lfloat)
stereo_pcm() { # NAME LEFT RIGHT
  cat <<CONF
pcm.$1 {
    type multi
    slaves.a.pcm { type lfloat slave { pcm { type file slave.pcm { type null } file "/dev/null" infile "$2" format "raw" } format S16_LE } }
    slaves.a.channels 1
    slaves.b.pcm { type lfloat slave { pcm { type file slave.pcm { type null } file "/dev/null" infile "$3" format "raw" } format S16_LE } }
    slaves.b.channels 1
    bindings.0 { slave a channel 0 }
    bindings.1 { slave b channel 0 }
}
CONF
}

expect_status 0 "$prog" gen "$work" || finish
{
  alsa_file_pcm sincprobe_test "$work/signal.f32"
  alsa_file_pcm sincprobe_test_b "$work/signal.f32"
  stereo_pcm sincprobe_stereo "$work/left.s16" "$work/right.s16"
  alsa_file_pcm default "$work/signal.f32"
} >"$work/alsa.conf"

# a configuration without a usable capture device: the only PCM ('default',
# as on a machine without a sound card) has a slave that does not exist
cat >"$work/none.conf" <<'CONF'
pcm.default {
    type file
    slave.pcm "sincprobe_no_such_pcm"
    file "/dev/null"
}
CONF

# a device that opens and starts, then fails (its output file cannot be
# written): its stream stops on its own
{
  alsa_file_pcm sincprobe_broken "$work/signal.f32" | sed "s#\"/dev/null\"#\"$work/no-such-dir/out.raw\"#"
  cat "$work/none.conf"
} >"$work/broken.conf"

for mode in device nodevice; do
  conf=$work/alsa.conf
  [ $mode = nodevice ] && conf=$work/none.conf
  ALSA_CONFIG_PATH=$conf "$prog" $mode >"$work/stdout" 2>"$work/stderr"
  rc=$?
  cat "$work/stdout"
  ok
  if [ $rc -eq 77 ]; then
    echo "$test_name: $mode skipped"
  elif [ $rc -ne 0 ]; then
    fail "test_live_capture $mode exited $rc: $(cat "$work/stderr")"
  fi
  ok
  [ -s "$work/stderr" ] && [ $rc -eq 0 ] && fail "$mode: stderr is not empty (PortAudio's chatter got through?): $(head -c 600 "$work/stderr")"
done
# PortAudio reports the broken stream on stderr itself (real errors: kept)
expect_status 0 env ALSA_CONFIG_PATH="$work/broken.conf" "$prog" broken
printf '%s\n' "$out"
finish
