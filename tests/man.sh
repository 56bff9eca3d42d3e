# man.sh - every man page passes `mandoc -T lint`, and each page's SYNOPSIS
# agrees with its command's --help usage lines.
. "$top_srcdir/tests/lib.sh"
MANDOC=${MANDOC:-$(command -v mandoc || true)}
if [ -z "$MANDOC" ]; then
  echo "man.sh: mandoc not installed (apt-get install mandoc)" >&2
  exit 77
fi

# page -> the command line whose --help it documents
pages="sincprobe.1:|sincprobe-corpus.1:corpus|sincprobe-train.1:train|sincprobe-eval.1:eval|sincprobe-robustness.1:robustness|sincprobe-decode.1:decode|sincprobe-live.1:live|sincprobe-plugins.1:plugins|sincprobe-afr.1:afr|sincprobe-analyse.1:analyse|sincprobe-report.1:report|sincprobe-ladspa.1:ladspa|sincprobe-export-ladspa.1:export-ladspa|sincprobe-export.1:export|sincprobe-import.1:import|sincprobe-sweep.1:sweep|sincprobe-layers.1:layers|sincprobe-activations.1:activations"
for page in "$top_srcdir"/man/*.[0-9]; do
  ok
  if ! "$MANDOC" -T lint -W warning "$page" >"$work/lint" 2>&1; then
    fail "$(basename "$page"): mandoc -T lint: $(cat "$work/lint")"
  fi
done

# The SYNOPSIS of a rendered page, one usage line per entry (entries
# start with "sincprobe"), white space collapsed.
synopsis() {
  "$MANDOC" -T ascii -O width=400 "$1" | sed 's/.\x08//g' |
    awk '/^SYNOPSIS/{on=1; next} on && /^[A-Z]/{exit} on{print}' |
    tr -s ' \n' '  ' | sed 's/^ *//; s/ *$//; s/ sincprobe /\nsincprobe /g'
  echo
}
# The usage lines of --help: "usage: X" and "   or: X".
usage_lines() {
  "$SINCPROBE" $1 --help | sed -n 's/^usage: //p; s/^   or: //p' | tr -s ' '
}
IFS='|'
for entry in $pages; do
  page=${entry%%:*} cmd=${entry#*:}
  unset IFS
  ok
  synopsis "$top_srcdir/man/$page" | sed '/^$/d' >"$work/man"
  usage_lines "$cmd" >"$work/help"
  if ! diff -u "$work/help" "$work/man" >"$work/diff"; then
    fail "$page SYNOPSIS disagrees with 'sincprobe $cmd --help':
$(cat "$work/diff")"
  fi
  IFS='|'
done
unset IFS
# Shell examples keep their quotes when rendered (a .Dl line loses them):
# every example line of a page that starts with a command and has an odd
# number of double quotes was mangled.
for page in "$top_srcdir"/man/*.[0-9]; do
  ok
  bad=$("$MANDOC" -T ascii -O width=400 "$page" | sed 's/.\x08//g' |
    grep -E '^ +(sincprobe|gnuplot|sox|python3|applyplugin) ' | awk -F'"' 'NF % 2 == 0' | head -3)
  [ -z "$bad" ] || fail "$(basename "$page"): an example lost a quote when rendered: $bad"
done
ok
"$MANDOC" -T ascii "$top_srcdir/man/sincprobe-afr.1" | grep -q "gnuplot -p -e \"plot 'afr.tsv'" ||
  fail "sincprobe-afr.1: the gnuplot example lost its quotes"
finish
