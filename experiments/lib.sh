# experiments/lib.sh - sourced by the experiment scripts: which sincprobe
# to run and a check of the corpus, the same for every script.
#   find_sincprobe NAME CORPUS -> sets sp; exits with NAME's message when
#   there is no sincprobe or no corpus.
find_sincprobe() {
  sp=${SINCPROBE:-}
  if [ -z "$sp" ]; then
    if command -v sincprobe >/dev/null 2>&1; then sp=sincprobe
    elif [ -x build/src/sincprobe ]; then sp=build/src/sincprobe
    else echo "$1: no sincprobe (set SINCPROBE, put it on PATH or run ./quickstart)" >&2; exit 1
    fi
  fi
  [ -d "$2" ] || { echo "$1: no corpus '$2' (run ./quickstart or pass --corpus)" >&2; exit 1; }
}
