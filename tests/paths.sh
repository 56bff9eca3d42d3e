# paths.sh - relative paths in a config resolve against the config file's
# folder, not the current directory: [data] corpus, [run] dir, a probe's
# `use = PATH` and its path options (noise file, reverb rir_files); the
# run's config.conf records them absolute, so `eval RUN` works from any
# directory; a missing corpus names the key, file and line; values from
# the command line (train --dir, eval --corpus) stay relative to the
# current directory.
. "$top_srcdir/tests/lib.sh"

w=$(cd "$work" && pwd -P)
c="$w/data/corpus"
tiny_corpus
mkdir -p "$w/cfg/probes" "$w/elsewhere"
cp "$top_builddir/plugins/.libs/example.so" "$w/cfg/probes/mine.so"
# one second of noise beside the config, for the noise probe's file
"$PY" - "$w/cfg/hiss.wav" <<'PYEOF'
import random, struct, sys, wave
random.seed(3)
with wave.open(sys.argv[1], "wb") as f:
    f.setnchannels(1); f.setsampwidth(2); f.setframerate(16000)
    f.writeframes(b"".join(struct.pack("<h", random.randint(-3000, 3000)) for _ in range(16000)))
PYEOF
cp "$w/cfg/hiss.wav" "$w/cfg/room.wav"

# The tiny config with relative paths, written in cfg/ (line 2: corpus).
export SINCPROBE_PLUGIN_PATH="$top_builddir/plugins/.libs"
c=../data/corpus conf ../runs/r1 '[probe ex]\nuse = probes/mine.so' \
  '[probe hiss]\nuse = noise\ntype = file\nfile = hiss.wav\nsnr_db = 20' \
  '[probe room]\nuse = reverb\nrir_files = room.wav, ./room.wav\nfraction = 0' >"$w/cfg/exp.conf"

# ---- train from another directory: the paths are the config's
cd "$w/elsewhere" || exit 1
expect_status 0 "$SINCPROBE" train ../cfg/exp.conf --quiet
ok; [ -f "$w/runs/r1/checkpoints/best.ckpt" ] || fail "no run in cfg/../runs/r1: $(ls -R "$w" | head -40)"
ok; [ ! -e "$w/elsewhere/runs" ] && [ ! -e "$w/runs/r1/../data" ] || fail "something was written relative to the current directory"
cf=$(cat "$w/runs/r1/config.conf" 2>/dev/null)
expect_match "$cf" "^corpus = $w/data/corpus$" "config.conf records the corpus absolute"
expect_match "$cf" "^dir = $w/runs/r1$" "config.conf records the run dir absolute"
expect_match "$cf" "^use = $w/cfg/probes/mine\.so$" "config.conf records use = PATH absolute"
expect_match "$cf" "^use = noise$" "a probe name stays a name"
expect_match "$cf" "^file = $w/cfg/hiss\.wav$" "config.conf records the noise file absolute"
expect_match "$cf" "^rir_files = $w/cfg/room\.wav,$w/cfg/room\.wav$" "config.conf records rir_files absolute"

# ---- eval RUN from elsewhere (the model's corpus and probes from config.conf)
cd / || exit 1
expect_status 0 "$SINCPROBE" eval "$w/runs/r1" --split dev
expect_match "$out" "of '$w/data/corpus'" "eval from / finds the corpus"

# ---- command-line values stay relative to the current directory
cd "$w/elsewhere" || exit 1
expect_status 0 "$SINCPROBE" train ../cfg/exp.conf --quiet --dir runs/cli
ok; [ -f "$w/elsewhere/runs/cli/checkpoints/best.ckpt" ] || fail "train --dir runs/cli did not write in the current directory"
cd "$w/data" || exit 1
expect_status 0 "$SINCPROBE" eval "$w/runs/r1" --split dev --corpus corpus --no-probes
expect_match "$out" "of 'corpus'" "eval --corpus is relative to the current directory"

# ---- a missing corpus: does not exist, naming key, file and line
printf '[data]\ncorpus = nowhere\n' >"$w/cfg/missing.conf"
cd "$w/elsewhere" || exit 1
expect_status 1 "$SINCPROBE" train ../cfg/missing.conf --quiet --dir "$w/runs/m"
expect_match "$err" "^sincprobe: \.\./cfg/missing\.conf:2: \[data\] corpus: '$w/cfg/nowhere' does not exist$" "missing corpus names key, file and line"
ok; [ ! -e "$w/cfg/runs" ] && [ ! -e "$w/elsewhere/runs/default" ] || fail "a refused run wrote a run directory"

finish
