#!/bin/sh
# live-capture.sh - `sincprobe live --phones` on real-time capture for a
# long stretch (default 10 minutes), in a window under Xvfb, and its --stats:
# per-hop compute, frames per second, capture-to-screen latency, overruns.
#
#   bench/live-capture.sh MODEL [-s SECONDS] [-o OUTDIR] [-c CORPUS]
#
# Without a sound card, the capture is made real time by PulseAudio: a
# private server (its own XDG_RUNTIME_DIR, no system config) with a null
# sink at 16 kHz, float32, mono, whose clock paces it; paplay plays the
# signal into the sink, and sincprobe captures the sink's monitor through
# ALSA's pulse plugin and PortAudio's ALSA host API, the path a desktop
# microphone takes. (ALSA's file plugin, which make check uses, reads over
# the null plugin, which never waits: it cannot pace a long run.) The
# signal is the corpus's utterances (TIMIT layout, SPHERE .WAV) joined and
# repeated to SECONDS + 5 s.
#
# Needs pulseaudio, pulseaudio-utils, libasound2-plugins, sox, xvfb
# (apt-get install -y ...), and a built sincprobe (src/sincprobe of the
# source tree, or of $BUILD). MODEL: a run directory or a checkpoint of
# the `sincnet` preset (the issue's target; any model runs). Not part of
# make check. Writes OUTDIR/live-capture.txt (default
# /tmp/sincprobe-live-capture-DATE) and the per-hop record live.npy.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(dirname "$here")
seconds=600
out=/tmp/sincprobe-live-capture-$(date +%Y%m%d-%H%M%S)
corpus=
model=
while [ $# -gt 0 ]; do
  case $1 in
  -s) seconds=$2; shift 2 ;;
  -o) out=$2; shift 2 ;;
  -c) corpus=$2; shift 2 ;;
  -*) echo "usage: live-capture.sh MODEL [-s SECONDS] [-o OUTDIR] [-c CORPUS]" >&2; exit 2 ;;
  *) model=$1; shift ;;
  esac
done
[ -n "$model" ] || { echo "usage: live-capture.sh MODEL [-s SECONDS] [-o OUTDIR] [-c CORPUS]" >&2; exit 2; }
sincprobe=${BUILD:+$BUILD/src/sincprobe}
[ -n "$sincprobe" ] || sincprobe=$top/src/sincprobe
[ -x "$sincprobe" ] || { echo "live-capture.sh: no sincprobe at $sincprobe (set BUILD)" >&2; exit 1; }
for tool in pulseaudio paplay pactl sox xvfb-run; do
  command -v $tool >/dev/null || { echo "live-capture.sh: $tool is missing" >&2; exit 1; }
done
[ -n "$corpus" ] || corpus=$top/synth-timit
[ -d "$corpus/TEST" ] || { echo "live-capture.sh: no corpus at $corpus (-c DIR)" >&2; exit 1; }
mkdir -p "$out/rt"
out=$(cd "$out" && pwd)

# The signal: every TEST utterance, joined, repeated past SECONDS + 5 s.
find "$corpus/TEST" -name '*.WAV' | sort | head -200 >"$out/list"
set -- $(sed 's/^/-t sph /' "$out/list")
sox "$@" -r 16000 -c 1 "$out/once.wav"
once=$(soxi -D "$out/once.wav")
repeat=$(awk -v s="$seconds" -v o="$once" 'BEGIN { print int((s + 5) / o) }')
sox "$out/once.wav" "$out/signal.wav" repeat "$repeat"
rm -f "$out/once.wav" "$out/list"

export XDG_RUNTIME_DIR="$out/rt"
pulseaudio -n --daemonize=no --exit-idle-time=-1 --use-pid-file=no \
  -L module-native-protocol-unix \
  -L "module-null-sink sink_name=sincprobe_bench rate=16000 channels=1 format=float32le" \
  >"$out/pulseaudio.log" 2>&1 &
pa=$!
trap 'kill $pa 2>/dev/null; [ -n "${play:-}" ] && kill $play 2>/dev/null; true' EXIT
i=0
until pactl list short sinks 2>/dev/null | grep -q sincprobe_bench; do
  i=$((i + 1)); [ $i -lt 50 ] || { echo "live-capture.sh: pulseaudio did not start: $out/pulseaudio.log" >&2; exit 1; }
  sleep 0.2
done
# Only the pulse device and one PortAudio cannot open (PortAudio 19.6
# asserts when every PCM of a configuration opens).
cat >"$out/asound.conf" <<CONF
pcm.sincprobe_pulse {
    type pulse
    device "sincprobe_bench.monitor"
}
pcm.no_card {
    type hw
    card 7
}
CONF

{
  echo "# bench/live-capture.sh $model -s $seconds, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo "# CPU: $(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //'), $(nproc) cores; load before: $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "# $("$sincprobe" --version | tail -1)"
} >"$out/live-capture.txt"
paplay -d sincprobe_bench "$out/signal.wav" &
play=$!
status=0
[ -n "${SINCPROBE_DATA_DIR:-}" ] || [ ! -d "$top/corpora" ] || export SINCPROBE_DATA_DIR="$top/corpora"
ALSA_CONFIG_PATH="$out/asound.conf" xvfb-run -a -s '-screen 0 1280x800x24' \
  "$sincprobe" live "$model" --device sincprobe_pulse --phones --display window \
  --seconds "$seconds" --stats --record "$out/live.npy" 2>>"$out/live-capture.txt" || status=$?
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/live-capture.txt"
cat "$out/live-capture.txt"
exit $status
