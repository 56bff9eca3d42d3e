# probe-outoftree.sh - a probe built out of tree: install the public
# header and sincprobe.pc into a staging directory (make install's own
# rules, with DESTDIR), compile tests/fixtures/outoftree_probe.c with a
# plain compiler, -std=c99 -pedantic -Werror, against
# `pkg-config --cflags --libs sincprobe` only, list it with
# `sincprobe plugins`, run it in a short training and check what it wrote,
# and that the report manifest it wrote (and that of the example of
# sincprobe-probe(3)) put its panels in report.html.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
CC_PROBE=${PROBE_CC:-cc}

# Stage the install. The sub-make must not inherit the check's jobserver.
stage="$work/stage"
( unset MAKEFLAGS MFLAGS MAKELEVEL
  ${MAKE:-make} -C "$top_builddir" install-sincprobeincludeHEADERS install-nodist_pkgconfigDATA DESTDIR="$stage" ) \
  >"$work/install.log" 2>&1
rc=$?
ok; [ $rc -eq 0 ] || fail "staged install failed: $(tail -5 "$work/install.log")"
pc=$(find "$stage" -name sincprobe.pc | head -1)
hdr=$(find "$stage" -path '*/include/sincprobe/probe.h' | head -1)
ok; [ -n "$pc" ] && [ -n "$hdr" ] || { fail "staged install lacks sincprobe.pc or sincprobe/probe.h: $(find "$stage" -type f)"; finish; }
ok; [ -f "$(dirname "$hdr")/layers.h" ] || fail "staged install lacks sincprobe/layers.h"
# The header's first line states the ABI version its macro defines.
abi=$(sed -n 's/^#define SP_PROBE_ABI_VERSION \([0-9][0-9]*\)u$/\1/p' "$hdr")
ok; [ -n "$abi" ] || fail "no SP_PROBE_ABI_VERSION in $hdr"
expect_match "$(head -1 "$hdr")" "^/\* sincprobe/probe\.h - the probe plugin ABI of sincprobe, version $abi\.$" "probe.h's first line names ABI $abi"

# pkg-config sees only the staged module; the sysroot maps its -I into the stage.
export PKG_CONFIG_LIBDIR="$(dirname "$pc")" PKG_CONFIG_PATH= PKG_CONFIG_SYSROOT_DIR="$stage"
flags=$(pkg-config --cflags --libs sincprobe)
rc=$?
ok; [ $rc -eq 0 ] || fail "pkg-config --cflags --libs sincprobe failed"
expect_match "$flags" "-I$stage/" "pkg-config's -I points into the staged install"
probedir=$(pkg-config --variable=probedir sincprobe)
expect_match "$probedir" '/sincprobe/probes$' "pkg-config's probedir"

# Compile: the installed header alone, strict C99, no sincprobe sources.
mkdir -p "$work/probes" "$work/hdr"
$CC_PROBE -std=c99 -pedantic -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden $flags \
  -o "$work/probes/outoftree.so" "$top_srcdir/tests/fixtures/outoftree_probe.c" >"$work/cc.log" 2>&1
ok; [ -f "$work/probes/outoftree.so" ] || { fail "out-of-tree probe did not compile: $(head -20 "$work/cc.log")"; finish; }
# The layer-list parser compiles the same way.
cat >"$work/hdr/layers.c" <<'EOF'
#include <sincprobe/layers.h>
int pick(const sp_probe_layer *l, int n, int *index, sp_probe_error *err);
int pick(const sp_probe_layer *l, int n, int *index, sp_probe_error *err)
{
    return sp_probe_layers_select(l, n, "dense,out", SP_PROBE_LAYERS_ALL | SP_PROBE_LAYERS_DENSE, index, NULL, err);
}
EOF
ok; $CC_PROBE -std=c99 -pedantic -Wall -Wextra -Wshadow -Werror $flags -fsyntax-only "$work/hdr/layers.c" \
  >"$work/layers.log" 2>&1 || fail "sincprobe/layers.h does not compile as C99: $(head -5 "$work/layers.log")"
# The headers also compile as C++ where a C++ compiler exists.
if command -v c++ >/dev/null; then
  printf '#include <sincprobe/probe.h>\n#include <sincprobe/layers.h>\nint main() { return SP_PROBE_ABI_VERSION == 3u ? 0 : 1; }\n' >"$work/hdr/t.cc"
  ok; c++ -Wall -Wextra -Werror $flags -fsyntax-only "$work/hdr/t.cc" >"$work/cxx.log" 2>&1 ||
    fail "sincprobe/probe.h or layers.h does not compile as C++: $(head -5 "$work/cxx.log")"
fi
# Only the descriptor function is exported.
if command -v nm >/dev/null; then
  exported=$(nm -D --defined-only "$work/probes/outoftree.so" | awk '$2 == "T" {print $3}' | grep -v '^_' | tr '\n' ' ')
  expect_match "$exported" '^sincprobe_probe_descriptor $' "only the descriptor is exported"
fi

# The complete example of sincprobe-probe(3) compiles the same way.
MANDOC=${MANDOC:-$(command -v mandoc || true)}
if [ -n "$MANDOC" ]; then
  "$MANDOC" -T ascii "$top_srcdir/man/sincprobe-probe.3" | sed 's/.\x08//g' |
    awk '/\/\* clip\.c - / {on = 1; match($0, /^ */); ind = RLENGTH} on {print substr($0, ind + 1)} /\/\* end of clip\.c \*\// {on = 0}' \
    >"$work/clip.c"
  ok; [ "$(grep -c . "$work/clip.c")" -gt 50 ] || fail "no example found in sincprobe-probe.3"
  $CC_PROBE -std=c99 -pedantic -Wall -Wextra -Werror -fPIC -shared -fvisibility=hidden $flags \
    -o "$work/probes/clip.so" "$work/clip.c" >"$work/clip.log" 2>&1
  ok; [ -f "$work/probes/clip.so" ] || fail "the example of sincprobe-probe(3) does not compile: $(head -20 "$work/clip.log")"
fi

# The autotools snippet of sincprobe-probe(3) (configure.ac and
# Makefile.am around clip.c) builds and installs the module into
# pkg-config's probedir, where the host looks, when the tools are here.
if [ -n "$MANDOC" ] && [ -s "$work/clip.c" ] && command -v autoreconf >/dev/null && command -v libtoolize >/dev/null; then
  a="$work/autotools"
  mkdir -p "$a"
  "$MANDOC" -T ascii "$top_srcdir/man/sincprobe-probe.3" | sed 's/.\x08//g' >"$work/probe.3.txt"
  block() { # block FIRST LAST: the literal block from the line FIRST to LAST, unindented
    awk -v first="$1" -v last="$2" '!on && index($0, first) {on = 1; match($0, /^ */); ind = RLENGTH}
      on {print substr($0, ind + 1)} on && index($0, last) {exit}' "$work/probe.3.txt"
  }
  block 'AC_INIT([clip]' 'AC_OUTPUT' >"$a/configure.ac"
  block 'probe_LTLIBRARIES = clip.la' 'export-symbols-regex' >"$a/Makefile.am"
  cp "$work/clip.c" "$a/clip.c"
  ok; [ "$(wc -l <"$a/configure.ac")" -ge 6 ] && [ "$(wc -l <"$a/Makefile.am")" -ge 4 ] ||
    fail "no autotools snippet in sincprobe-probe.3: $(cat "$a/configure.ac" "$a/Makefile.am")"
  ( cd "$a" && unset MAKEFLAGS MFLAGS MAKELEVEL && autoreconf -fi && ./configure -q CC="$CC_PROBE" &&
    ${MAKE:-make} && ${MAKE:-make} install DESTDIR="$a/dest" ) >"$work/autotools.log" 2>&1
  rc=$?
  ok; [ $rc -eq 0 ] || fail "the autotools snippet of sincprobe-probe(3) does not build: $(grep -i error "$work/autotools.log" | head -5)"
  so=$(find "$a/dest" -name clip.so | head -1)
  expect_match "$so" "/sincprobe/probes/clip\.so\$" "make install puts clip.so into pkg-config's probedir"
  if [ -n "$so" ]; then
    ok; SINCPROBE_PLUGIN_PATH="$(dirname "$so")" "$SINCPROBE" plugins clip >"$work/autotools.plugins" 2>&1 ||
      fail "the module built with automake is not a probe: $(cat "$work/autotools.plugins")"
  fi
else
  echo "probe-outoftree: mandoc, autoreconf or libtoolize missing: the autotools snippet is not built"
fi

export SINCPROBE_PLUGIN_PATH="$work/probes"
expect_status 0 "$SINCPROBE" plugins
expect_match "$out" "^outoftree	0\.1	built against the installed header.*	$work/probes/outoftree\.so$" "plugins lists it"
expect_status 0 "$SINCPROBE" plugins outoftree
expect_match "$out" '^tag +string +oot +a word logged' "its option"

# A short training with it.
c="$work/corpus"
expect_status 0 "$SINCPROBE" corpus synth --out "$c" --speakers 3 --test-speakers 2 --sentences 2 --seed 7 --jobs 1 || finish
cat >"$work/t.conf" <<CONF
[data]
corpus = $c
dev_utterances = 2
[model]
preset = small
input_ms = 50
filters = 8
taps = 65
conv = 8x3
dense = 32
[train]
epochs = 2
steps_per_epoch = 5
batch = 8
threads = 1
seed = 3
[run]
dir = $work/run
[probe oot]
use = outoftree
probe_frames = 40
CONF
[ -f "$work/probes/clip.so" ] && printf '[probe clip]\nuse = clip\nlimit = 0.05\n' >>"$work/t.conf"
expect_status 0 "$SINCPROBE" train "$work/t.conf" --quiet
expect_match "$err" 'probe oot: oot: [0-9]+ layers, 48 classes, T 800' "its log line"
d="$work/run/probes/oot"
ok; [ -f "$d/hooks.tsv" ] || fail "no hooks.tsv in $d: $(ls "$d" 2>&1)"
h=$(cat "$d/hooks.tsv" 2>/dev/null)
expect_match "$h" '^on_start	1$' "on_start once"
expect_match "$h" '^on_batch_train	10$' "on_batch on each of the 10 training steps"
expect_match "$h" '^on_batch_dev	[1-9][0-9]*$' "on_batch on the dev evaluations"
expect_match "$h" '^on_batch_test	0$' "no test batches in training"
expect_match "$h" '^on_gradients	10$' "on_gradients each step"
expect_match "$h" '^on_epoch_end	2$' "on_epoch_end each epoch"
expect_match "$h" '^on_finish	1$' "on_finish once"
expect_match "$h" '^status	0$' "status completed"
expect_match "$(cat "$work/run/config.conf")" '^\[probe oot\]$' "config.conf has the probe section"
expect_match "$(cat "$work/run/config.conf")" '^tag = oot$' "... with its default filled in"

if [ -f "$work/probes/clip.so" ]; then
  expect_match "$err" '^probe clip: epoch 2: [0-9.]+% clipped$' "the example probe's log"
  expect_match "$(cat "$work/run/probes/clip/clipped.tsv" 2>&1)" '^2	0\.[0-9]+	0\.[0-9]+$' "the example probe's table"
fi

# The arrays: numpy's .npy 1.0, read here with the standard library.
ok; "$PY" - "$d" <<'PY' || fail "the probe's arrays are wrong"
import ast, struct, sys
def load(path):
    b = open(path, 'rb').read()
    assert b[:8] == b'\x93NUMPY\x01\x00', path
    n = struct.unpack('<H', b[8:10])[0]
    assert (10 + n) % 64 == 0, path
    h = ast.literal_eval(b[10:10 + n].decode('latin1'))
    assert not h['fortran_order']
    code = {'<f4': 'f', '<i4': 'i', '<f8': 'd'}[h['descr']]
    count = 1
    for s in h['shape']:
        count *= s
    data = struct.unpack('<%d%s' % (count, code), b[10 + n:])
    return h['shape'], data
d = sys.argv[1]
s1, l1 = load(d + '/labels-1.npy')
s2, l2 = load(d + '/labels-2.npy')
assert s1 == (40,) and l1 == l2, (s1, 'the probe set must be the same every epoch')
assert all(0 <= x < 48 for x in l1)
so, o1 = load(d + '/out-1.npy')
_, o2 = load(d + '/out-2.npy')
assert so == (40, 48), so
assert o1 != o2, 'the network did not change between epochs'
rows = [l.split('\t') for l in open(d + '/view.tsv').read().splitlines()]
assert rows[0] == ['epoch', 'N', 'layers', 'F', 'K', 'f1_0'], rows[0]
assert [r[0] for r in rows[1:]] == ['1', '2'] and rows[1][1] == '40' and rows[1][3] == '8' and rows[1][4] == '65'
assert float(rows[1][5]) >= 50
PY

# Its report manifest: its panels in the report the training wrote, as
# the built-in probes get theirs.
html=$(cat "$work/run/report.html" 2>&1)
ok; [ -f "$d/report.manifest" ] || fail "no report.manifest in $d"
expect_match "$html" '<td id="probes">(clip \(clip\); )?oot \(outoftree\)</td>' "the summary names its kind"
expect_match "$html" '<h3>What the host showed</h3>' "its heading"
expect_match "$html" '<img src="plots/oot_f1\.png".*<figcaption>the low cut-off of the first filter at each epoch.s end: x <span class="range" data-axis="x">1 \.\. 2</span>' "its figure"
ok; [ "$(head -c 8 "$work/run/plots/oot_f1.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] &&
  [ -s "$work/run/plots/oot_f1.svg" ] || fail "plots/oot_f1.png and .svg: $(ls "$work/run/plots")"
expect_match "$html" '^<p>What on_epoch_end saw\.</p>$' "its table's intro"
expect_match "$html" '<th>epoch</th><th>probe frames</th><th>layers</th><th>filters</th><th>taps</th><th>f1 of filter 0 \(Hz\)</th>' "its table's header"
expect_match "$html" '^<tr><td>2</td><td>40</td><td>[0-9]+</td><td>8</td><td>65</td><td>[0-9.]+</td></tr>$' "its table's rows"
if [ -f "$work/probes/clip.so" ]; then
  expect_match "$html" '<h3>Clipped samples</h3>' "the example probe's heading"
  expect_match "$html" '<figcaption>the fraction of the training samples clipped in each epoch: x ' "the example probe's figure"
  ok; [ -s "$work/run/plots/clip_clipped.png" ] || fail "no plots/clip_clipped.png: $(ls "$work/run/plots")"
fi
# A mistake in a manifest is named by file and line; the report stays as it was.
cp "$d/report.manifest" "$work/manifest.good"
printf '\n[lines more]\nfile = view.tsv\nx = epoch\ny = f1_0\nbogus = 1\n' >>"$d/report.manifest"
expect_status 1 "$SINCPROBE" report "$work/run"
expect_match "$err" "^sincprobe: '.*/probes/oot/report\.manifest' line [0-9]+: \[lines more\]: no key 'bogus' in this section$" "a bad manifest key"
ok; [ "$(cat "$work/run/report.html")" = "$html" ] || fail "a failed report changed report.html"
cp "$work/manifest.good" "$d/report.manifest"
printf '[report]\nkind = outoftree\n[lines f1]\nfile = view.tsv\nx = epoch\ny = f1_0\ncaption = {nope}\n' >"$d/report.manifest"
expect_status 1 "$SINCPROBE" report "$work/run"
expect_match "$err" "report\.manifest' line 7: no placeholder '\{nope\}' here" "an unknown placeholder"
cp "$work/manifest.good" "$d/report.manifest"
expect_status 0 "$SINCPROBE" report "$work/run" --quiet

# sincprobe eval runs the run's own pipeline on the test split.
expect_status 0 "$SINCPROBE" eval "$work/run" --split test
ok; grep -q '^on_batch_test	[1-9]' "$work/run/eval-test/probes/oot/hooks.tsv" 2>/dev/null ||
  fail "eval did not show the probe the test batches: $(cat "$work/run/eval-test/probes/oot/hooks.tsv" 2>&1)"
finish
