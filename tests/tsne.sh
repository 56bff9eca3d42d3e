# tsne.sh - the tsne and pca probes (one source, tsne.so and pca.so) in a
# short training: `sincprobe plugins` lists both with their options; the
# files of each chosen layer and epoch (.npy [N][2] float32, .tsv with its
# header, PNG, SVG) and the summaries tsne.tsv and pca.tsv with their exact
# headers and one row per layer and epoch; explained variance adds up; a
# resumed run ends with the same maps and rows as an uninterrupted one; and
# the refusals of bad options (with their config line) before any map.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
export SINCPROBE_PLUGIN_PATH="$top_builddir/plugins/.libs"

npy_shape() { head -c 256 "$1" | grep -ao "'shape': ([0-9, ]*)" | sed "s/'shape': //"; }
npy_descr() { head -c 256 "$1" | grep -ao "'descr': '[<>a-z0-9]*'" | sed "s/'descr': //"; }
is_png() { [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }
is_svg() { head -c 200 "$1" | grep -q '<svg'; }

tiny_corpus

expect_status 0 "$SINCPROBE" plugins tsne
expect_match "$out" '^perplexity +float .* 30 ' "plugins tsne: perplexity"
expect_match "$out" '^theta +float .* 0\.5 ' "plugins tsne: theta"
expect_match "$out" '^colour +enum class\|label\|pair +class ' "plugins tsne: colour"
expect_match "$out" '^max_points +int ' "plugins tsne: max_points"
expect_status 0 "$SINCPROBE" plugins pca
expect_match "$out" '^epochs +string +last ' "plugins pca: epochs"
ok; printf '%s\n' "$out" | grep -Eq '^perplexity ' && fail "pca lists t-SNE options"

T='[probe t]\nuse = tsne\nepochs = all\niterations = 400\nmax_points = 150'
P='[probe p]\nuse = pca\nlayers = dense1,out\ncolour = pair\npair = aa,iy\nprobe_frames = 200'
conf "$work/run" "$T" "$P" >"$work/run.conf"
expect_status 0 "$SINCPROBE" train "$work/run.conf" --quiet || finish
t="$work/run/probes/t" p="$work/run/probes/p"
for e in 1 2; do
  ok; [ "$(npy_shape "$t/tsne_dact1_e$e.npy")" = "(150, 2)" ] || fail "tsne_dact1_e$e.npy shape $(npy_shape "$t/tsne_dact1_e$e.npy")"
  ok; [ "$(npy_descr "$t/tsne_dact1_e$e.npy")" = "'<f4'" ] || fail "tsne npy dtype"
  ok; is_png "$t/tsne_dact1_e$e.png" || fail "tsne_dact1_e$e.png is not a PNG"
  ok; is_svg "$t/tsne_dact1_e$e.svg" || fail "tsne_dact1_e$e.svg is not an SVG"
  ok; [ "$(wc -l <"$t/tsne_dact1_e$e.tsv")" -eq 151 ] || fail "tsne_dact1_e$e.tsv lines"
done
expect_match "$(head -1 "$t/tsne_dact1_e1.tsv")" '^x	y	label	phone	class$' "map tsv header"
ok; awk -F'\t' 'NR > 1 && (NF != 5 || $3 < 0 || $3 > 47 || $5 !~ /^(vowels|stops|fricatives|nasals|semivowels|silence)$/) {exit 1}' \
  "$t/tsne_dact1_e1.tsv" || fail "map tsv rows: $(sed -n 2,3p "$t/tsne_dact1_e1.tsv")"
ok; [ "$(head -1 "$t/tsne.tsv")" = "$(printf 'epoch\tlayer\tn\tkl\ttrustworthiness\tknn_preservation\tseconds\tlinsep_accuracy\tlinsep_chance')" ] ||
  fail "tsne.tsv header: $(head -1 "$t/tsne.tsv")"
ok; [ "$(awk -F'\t' 'NR > 1 {print $1 ":" $2 ":" $3}' "$t/tsne.tsv" | tr '\n' ' ')" = "1:dact1:150 2:dact1:150 " ] ||
  fail "tsne.tsv rows: $(cat "$t/tsne.tsv")"
ok; awk -F'\t' 'NR > 1 && !($4 > 0 && $5 > 0.55 && $5 <= 1 && $6 > 0 && $6 <= 1 && $7 >= 0) {exit 1}' "$t/tsne.tsv" ||
  fail "tsne.tsv values: $(cat "$t/tsne.tsv")"
ok; [ "$(head -1 "$p/pca.tsv")" = "$(printf 'epoch\tlayer\tn\texplained_variance\tev1\tev2\tlinsep_accuracy\tlinsep_chance')" ] || fail "pca.tsv header"
# the linear probe on the maps: an accuracy in [0, 1] beside its chance
ok; awk -F'\t' 'NR > 1 && !($8 >= 0 && $8 <= 1 && $9 > 0 && $9 <= 1) {exit 1}' "$t/tsne.tsv" ||
  fail "tsne.tsv linsep columns: $(cat "$t/tsne.tsv")"
ok; awk -F'\t' 'NR > 1 && !($7 >= 0 && $7 <= 1 && $8 > 0 && $8 <= 1) {exit 1}' "$p/pca.tsv" ||
  fail "pca.tsv linsep columns: $(cat "$p/pca.tsv")"
ok; [ "$(awk -F'\t' 'NR > 1 {print $1 ":" $2}' "$p/pca.tsv" | tr '\n' ' ')" = "2:dense1 2:out " ] ||
  fail "pca.tsv rows (epochs = last): $(cat "$p/pca.tsv")"
ok; awk -F'\t' 'NR > 1 && !($5 >= $6 && $6 > 0 && ($4 - $5 - $6) ^ 2 < 1e-16 && $4 < 1) {exit 1}' "$p/pca.tsv" ||
  fail "pca.tsv: ev1 >= ev2 > 0, explained = ev1 + ev2 < 1: $(cat "$p/pca.tsv")"
n=$(awk -F'\t' 'NR == 2 {print $3}' "$p/pca.tsv")
ok; [ "$(npy_shape "$p/pca_out_e2.npy")" = "($n, 2)" ] || fail "pca_out_e2.npy shape $(npy_shape "$p/pca_out_e2.npy"), n $n"
ok; is_png "$p/pca_dense1_e2.png" && is_svg "$p/pca_dense1_e2.svg" || fail "pca figures"
ok; [ ! -e "$p/pca_dense1_e1.npy" ] || fail "pca mapped epoch 1 with epochs = last"
ok; [ -z "$(find "$work/run/probes" -name '.*')" ] || fail "temporary files left: $(find "$work/run/probes" -name '.*')"

# ---- resume: the same maps and summary rows (but the seconds)
conf "$work/res" "$T" "$P" >"$work/res.conf"
expect_status 0 "$SINCPROBE" train "$work/res.conf" --quiet --stop-after-steps 8
ok; [ "$(wc -l <"$work/res/probes/t/tsne.tsv")" -eq 2 ] || fail "interrupted tsne.tsv: $(cat "$work/res/probes/t/tsne.tsv")"
expect_status 0 "$SINCPROBE" train --resume "$work/res" --quiet
for f in t/tsne_dact1_e1.npy t/tsne_dact1_e2.npy t/tsne_dact1_e2.tsv p/pca_out_e2.npy p/pca.tsv; do
  ok; cmp -s "$work/run/probes/$f" "$work/res/probes/$f" || fail "resumed $f differs from the uninterrupted run's"
done
ok; [ "$(cut -f1-6 "$t/tsne.tsv")" = "$(cut -f1-6 "$work/res/probes/t/tsne.tsv")" ] ||
  fail "resumed tsne.tsv: $(cat "$work/res/probes/t/tsne.tsv")"

# ---- refusals, before training
refuse() { # refuse NAME SECTION PATTERN: 2, in create or on_start (which names the option)
  conf "$work/$1" "$2" >"$work/$1.conf"
  expect_status 2 "$SINCPROBE" train "$work/$1.conf" --quiet
  expect_match "$err" "$3" "$1"
  ok; [ ! -e "$work/$1" ] || fail "$1: the refused run left its directory"
}
refuse badpair '[probe t]\nuse = tsne\ncolour = pair\npair = aa' "badpair\.conf:[0-9]+: .*pair: 'aa' is not two phones"
refuse nopair '[probe t]\nuse = pca\npair = aa,iy' "pair: 'aa,iy' is given but colour is not \"pair\""
refuse unkpair '[probe t]\nuse = pca\ncolour = pair\npair = aa,qq' "unkpair\.conf:[0-9]+: .*on_start: pair: 'qq' is not one of the 48 classes"
refuse badep '[probe t]\nuse = tsne\nepochs = 1,x' "epochs: '1,x' is not"
refuse badlayer '[probe t]\nuse = pca\nlayers = dense1,nosuch' "layers: no layer 'nosuch' in this network"
finish
