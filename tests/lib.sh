# lib.sh - sourced by the shell tests. Needs $SINCPROBE (the built binary)
# and $top_srcdir, set by make check (AM_TESTS_ENVIRONMENT).
set -u
: "${SINCPROBE:?run through make check}"
: "${top_srcdir:?run through make check}"
PY=${PYTHON:-/usr/bin/python3}
failures=0
checks=0
test_name=$(basename "$0" .sh)
work=$(mktemp -d "${TMPDIR:-/tmp}/sincprobe-$test_name-XXXXXX")
trap 'rm -rf "$work"' EXIT

fail() { echo "$test_name: FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { checks=$((checks + 1)); }

# expect_status WANT CMD... : run CMD, keep its stdout/stderr in $out/$err.
expect_status() {
  local want=$1 got
  shift
  "$@" >"$work/stdout" 2>"$work/stderr"
  got=$?
  out=$(cat "$work/stdout")
  err=$(cat "$work/stderr")
  ok
  if [ "$got" -ne "$want" ]; then
    fail "'$*' exited $got, expected $want; stderr: $(head -c 600 "$work/stderr")"
    return 1
  fi
  return 0
}

# expect_match TEXT PATTERN WHAT : grep -E PATTERN in TEXT.
expect_match() {
  ok
  printf '%s\n' "$1" | grep -Eq -- "$2" || fail "$3: expected /$2/ in: $(printf '%s' "$1" | head -c 600)"
}

# The tiny corpus and training most probe tests share: 3 train speakers,
# 2 test speakers, 2 sentences each (a few seconds to synthesise), and a
# small model that trains 2 epochs of 6 steps in seconds.
# tiny_corpus: make it in $c (default $work/corpus); stops the test when
# that fails.
tiny_corpus() {
  c=${c:-$work/corpus}
  expect_status 0 "$SINCPROBE" corpus synth --out "$c" --speakers 3 --test-speakers 2 --sentences 2 --seed 7 --jobs 1 || finish
}
# conf RUNDIR [probe sections...]: the config on stdout; sections are
# printf %b strings ('[probe a]\nuse = noise'). A test may set tiny_dense
# (default 32), tiny_activation (default: the preset's), tiny_epochs (2)
# and tiny_steps (6) before calling it.
conf() {
  cat <<CONF
[data]
corpus = $c
dev_utterances = 2
[model]
preset = small
input_ms = 50
filters = 8
taps = 65
conv = 8x3
dense = ${tiny_dense:-32}
CONF
  if [ -n "${tiny_activation:-}" ]; then echo "activation = $tiny_activation"; fi
  cat <<CONF
[train]
epochs = ${tiny_epochs:-2}
steps_per_epoch = ${tiny_steps:-6}
batch = 16
threads = 1
seed = 11
[run]
dir = $1
CONF
  shift
  for s in "$@"; do printf '%b\n' "$s"; done
}

finish() {
  if [ "$failures" -ne 0 ]; then
    echo "$test_name: $failures of $checks checks failed" >&2
    exit 1
  fi
  echo "$test_name: all $checks checks passed"
  exit 0
}

# alsa_file_pcm NAME RAW [RATE]: an ALSA capture device (for
# ALSA_CONFIG_PATH) that reads RAW (float32 little-endian, mono, RATE Hz,
# default 16000) through ALSA's file plugin over the null plugin, behind a
# plug; live-capture.sh lists the quirks of this arrangement.
alsa_file_pcm() {
  cat <<CONF
pcm.$1 {
    type plug
    slave {
        pcm {
            type file
            slave.pcm { type null }
            file "/dev/null"
            infile "$2"
            format "raw"
        }
        format FLOAT_LE
        rate ${3:-16000}
        channels 1
    }
}
CONF
}

# mpi_setup: for the MPI tests (mpi.sh, mpi-overlap.sh): skip (77) when
# configured without Open MPI or without mpirun; else MPIRUN, the
# variables Open MPI needs to run as root and oversubscribed on loopback,
# and the plugin path. Under the sanitizer build, Open MPI's own
# allocations (MPI_Init's, and its MCA components', which are unloaded
# before LeakSanitizer reports, so no suppression can name them) are
# never freed: leak checking is off in these tests (every other test
# checks sincprobe's own).
mpi_setup() {
  : "${top_builddir:?run through make check}"
  if ! grep -q '^#define HAVE_MPI 1' "$top_builddir/config.h"; then
    echo "$test_name: SKIP: configured without Open MPI (./configure --with-mpi; apt-get install openmpi-bin libopenmpi-dev)"
    exit 77
  fi
  MPIRUN=$(command -v mpirun) || { echo "$test_name: SKIP: no mpirun in PATH"; exit 77; }
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
  case "${ASAN_OPTIONS:-}" in *detect_leaks=1*) export ASAN_OPTIONS="${ASAN_OPTIONS/detect_leaks=1/detect_leaks=0}" ;; esac
  export SINCPROBE_PLUGIN_PATH="$top_builddir/plugins/.libs"
}
