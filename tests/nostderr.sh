#!/bin/sh
# nostderr.sh - library code never writes to stderr itself (base/error.h,
# base/log.h): it returns errors and logs everything else through
# base/log.h. The only writers of stderr in src/ are the CLI (src/cli/,
# which installs the log's sink) and the log's default sink
# (src/base/log.c).
#
# Every .c and .h of src/ outside those is read with its comments and
# string literals blanked, and a use of stderr, STDERR_FILENO, perror, or
# write/dprintf on descriptor 2 is reported as FILE:LINE.
#
# Usage: nostderr.sh [TREE]   (default $top_srcdir or ..); exits 1 naming
# each offending line. Run with no argument (make check), it first checks
# that it catches writes planted in a copy, and only those.
set -u
is_allowed() { # is_allowed FILE
    case $1 in
    src/cli/*|src/base/log.c) return 0 ;;
    esac
    return 1
}

# The code of each file, comments and literals blanked, as FILE:LINE:TEXT.
strip() {
    awk '
    FNR == 1 { incomment = 0 }
    {
        out = ""; i = 1; n = length($0)
        while (i <= n) {
            c = substr($0, i, 1); c2 = substr($0, i, 2)
            if (incomment) {
                if (c2 == "*/") { incomment = 0; i += 2 } else i++
                continue
            }
            if (c2 == "/*") { incomment = 1; i += 2; continue }
            if (c2 == "//") break
            if (c == "\"" || c == "'\''") {
                q = c; i++
                while (i <= n) {
                    d = substr($0, i, 1)
                    if (d == "\\") { i += 2; continue }
                    if (d == q) break
                    i++
                }
                i++; out = out q q; continue
            }
            out = out c; i++
        }
        print FILENAME ":" FNR ":" out
    }' "$@"
}

# check TREE: prints one line per stderr write, returns 1 if any
check() {
    tree=$1
    files=
    for f in $(cd "$tree" && find src -name '*.[ch]' | sort); do
        is_allowed "$f" || files="$files $f"
    done
    [ -n "$files" ] || return 0
    out=$(cd "$tree" && strip $files |
        grep -E '(^|[^A-Za-z0-9_])(stderr|STDERR_FILENO|perror)([^A-Za-z0-9_]|$)|(^|[^A-Za-z0-9_])(write|dprintf)[[:space:]]*\([[:space:]]*2[[:space:]]*,' |
        sed 's/^\([^:]*:[0-9]*\):[[:space:]]*\(.*\)$/\1: writes to stderr (log through base\/log.h, or return an sp_error): \2/')
    [ -z "$out" ] && return 0
    echo "$out"
    return 1
}

if [ $# -gt 0 ]; then
    check "$1"
    exit $?
fi

top=${top_srcdir:-$(dirname "$0")/..}

# 1. The checker catches planted writes, and nothing in comments, strings
# or the CLI.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -R "$top/src" "$tmp/"
printf 'static void planted1(void) { fprintf(stderr, "x\\n"); }\n' >>"$tmp/src/base/util.c"
printf 'static void planted2(void) {\n    perror("x");\n}\n' >>"$tmp/src/nn/model.c"
printf 'static void planted3(void) { (void)write(2, "x", 1); }\n' >>"$tmp/src/decode/score.c"
printf '/* stderr in a comment,\n * stderr on the next line */\nstatic const char *quiet = "stderr in a string";\n' >>"$tmp/src/corpus/audio.c"
printf 'static void fine(void) { fputs("x", stderr); }\n' >>"$tmp/src/cli/cli.c"
got=$(check "$tmp")
for want in "src/base/util.c:[0-9]*: .*fprintf(stderr" "src/nn/model.c:[0-9]*: .*perror(" \
    "src/decode/score.c:[0-9]*: .*write(2,"; do
    echo "$got" | grep -q "$want" || {
        echo "FAIL: nostderr.sh did not report a planted stderr write ($want); it printed:"
        echo "$got"
        exit 1
    }
done
if [ "$(echo "$got" | wc -l)" -ne 3 ] || echo "$got" | grep -q 'audio.c\|cli.c'; then
    echo "FAIL: nostderr.sh reported more than the three planted writes:"
    echo "$got"
    exit 1
fi
echo "ok: planted stderr writes are caught (comments, strings and src/cli/ are not):"
echo "$got" | sed 's/^/    /'

# 2. The tree itself.
if ! check "$top"; then
    echo "FAIL: library code writes to stderr (see base/log.h)"
    exit 1
fi
echo "ok: nothing in src/ writes to stderr but src/cli/ and src/base/log.c"
