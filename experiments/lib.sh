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
#   abs_path PATH -> PATH made absolute against the current directory: the
#   configs the scripts write name absolute paths, since a config's
#   relative paths resolve against its own folder (sincprobe.conf(5)).
abs_path() {
  case $1 in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$PWD/$1" ;;
  esac
}
