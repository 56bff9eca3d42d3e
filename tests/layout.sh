#!/bin/sh
# layout.sh - the dependency rule of src/ (HACKING.md), checked from the
# #include lines of every source file.
#
# The folders, top to bottom; a file may include headers of its own folder
# and of the folders below it, never above:
#
#     cli live run probe decode nn corpus ladspa analysis plot base
#
# and three rules beyond the order:
#   - run/ never draws: it includes nothing from plot/ (cmd_train writes
#     the report after training);
#   - analysis/ is compiled into probe modules, which do not link against
#     libsincprobe: it includes only analysis/ headers, base/error.h
#     (header-only) and the public <sincprobe/...>;
#   - ladspa/ is compiled into the ladspa probe and the LADSPA library
#     too: the same rule as analysis/ (its own headers, base/error.h);
#   - plugins/ (probes, and plugins/ladspa/, the LADSPA library) include
#     only the public header, analysis/, ladspa/, the plot/ drawing they
#     compile in, base/error.h and their own headers;
#     the public header includes nothing from src/.
# Every include of a src/ header names its folder ("nn/model.h").
#
# Usage: layout.sh [TREE]   (default $top_srcdir or ..); exits 1 naming
# each offending include as FILE:LINE. Run with no argument (make check),
# it first checks that it catches an upward include planted in a copy.
set -u
order="cli live run probe decode nn corpus ladspa analysis plot base"

rank() { # rank FOLDER -> index in $order, or empty
    i=0
    for d in $order; do
        [ "$d" = "$1" ] && { echo $i; return; }
        i=$((i + 1))
    done
}

# check TREE: prints one line per violation, returns 1 if any
check() {
    tree=$1 bad=0
    out=$(mktemp)
    for f in $(cd "$tree" && find src plugins -name '*.[ch]' | sort); do
        from=$(echo "$f" | cut -d/ -f2)
        case $f in plugins/*) from=plugins ;; src/include/*) from=include ;; esac
        grep -n '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$tree/$f" |
        sed 's/^\([0-9]*\):[^"]*"\([^"]*\)".*/\1 \2/' |
        while read -r line inc; do
            msg=
            case $inc in
            config.h) [ "$from" = include ] && msg="the public header includes config.h" ;;
            */*) to=${inc%%/*} ;;
            *) to= ;;
            esac
            if [ -z "$msg" ] && [ "$inc" != config.h ]; then
                case $from in
                include)
                    msg="the public header includes \"$inc\" (it must stand alone)" ;;
                plugins)
                    case $inc in
                    analysis/*|ladspa/*|plot/*|base/error.h) ;;
                    */*) msg="a probe includes \"$inc\" (only the public header, analysis/, ladspa/, plot/ and base/error.h)" ;;
                    *) [ -f "$tree/plugins/$inc" ] || [ -f "$tree/$(dirname "$f")/$inc" ] || msg="\"$inc\" is not a header of plugins/" ;;
                    esac ;;
                ladspa)
                    case $inc in
                    ladspa/*|base/error.h) ;;
                    *) msg="ladspa/ includes \"$inc\" (only ladspa/ and base/error.h: it is compiled into the probe and the LADSPA library)" ;;
                    esac ;;
                analysis)
                    case $inc in
                    analysis/*|base/error.h) ;;
                    *) msg="analysis/ includes \"$inc\" (only analysis/, base/error.h and <sincprobe/...>: it is compiled into probes)" ;;
                    esac ;;
                *)
                    if [ -z "$to" ]; then
                        msg="\"$inc\" does not name its folder (write \"$from/$inc\" or the folder it lives in)"
                    elif [ -z "$(rank "$to")" ]; then
                        msg="\"$inc\": no folder src/$to in the layout"
                    elif [ "$from" = run ] && [ "$to" = plot ]; then
                        msg="run/ includes \"$inc\": the engine never draws (the CLI writes figures)"
                    elif [ "$(rank "$to")" -lt "$(rank "$from")" ]; then
                        msg="$from/ includes \"$inc\" from $to/, which is above it ($order)"
                    fi ;;
                esac
            fi
            [ -n "$msg" ] && echo "$f:$line: $msg"
        done
    done >"$out"
    cat "$out"
    [ -s "$out" ] && bad=1
    rm -f "$out"
    return $bad
}

if [ $# -gt 0 ]; then
    check "$1"
    exit $?
fi

top=${top_srcdir:-$(dirname "$0")/..}

# 1. The checker catches an upward include: plant one in a copy.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cp -R "$top/src" "$top/plugins" "$tmp/"
printf '#include "cli/cli.h"\n' >>"$tmp/src/base/util.c"
printf '#include "base/util.h"\n' >>"$tmp/src/analysis/mi.c"
printf '#include "plot/report.h"\n' >>"$tmp/src/run/train.c"
got=$(check "$tmp")
for want in "src/base/util.c:.*from cli/" "src/analysis/mi.c:.*compiled into probes" \
    "src/run/train.c:.*never draws"; do
    echo "$got" | grep -q "$want" || {
        echo "FAIL: layout.sh did not report a planted include ($want); it printed:"
        echo "$got"
        exit 1
    }
done
echo "ok: planted upward includes are caught:"
echo "$got" | sed 's/^/    /'

# 2. The tree itself keeps the rule.
if ! check "$top"; then
    echo "FAIL: includes against the dependency rule (see HACKING.md)"
    exit 1
fi
echo "ok: every #include in src/ and plugins/ keeps the dependency rule"
