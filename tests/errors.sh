# errors.sh - the errors a new user meets: exit status 2 for a config
# refused before the command starts (as for any usage error), "did you
# mean" for misspelled commands, options, config sections and keys, probe
# options and layer names, a probe layer the network lacks refused before
# the run directory is made, non-audio files named in plain words, and
# `analyse` errors that name the option, not a made-up file.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
export SINCPROBE_PLUGIN_PATH="$top_builddir/plugins/.libs"
cd "$work" || exit 1

# ---- "did you mean": commands, subcommands, options
expect_status 2 "$SINCPROBE" trian
expect_match "$err" "unknown command 'trian'; did you mean 'train'\?" "misspelled command"
expect_status 2 "$SINCPROBE" help evl
expect_match "$err" "unknown command 'evl'; did you mean 'eval'\?" "help of a misspelled command"
expect_status 2 "$SINCPROBE" frobnicate
ok; case $err in *"did you mean"*) fail "a suggestion for a word near no command: $err" ;; esac
expect_status 2 "$SINCPROBE" corpus chek
expect_match "$err" "unknown subcommand 'chek'; did you mean 'check'\?" "misspelled subcommand"
expect_status 2 "$SINCPROBE" train --qiuet x.conf
expect_match "$err" "unknown option '--qiuet'; did you mean '--quiet'\?" "misspelled option"
expect_status 2 "$SINCPROBE" eval run --spilt=dev
expect_match "$err" "unknown option '--spilt=dev'; did you mean '--split'\?" "misspelled option with ="
expect_status 2 "$SINCPROBE" train --epohcs 3
expect_match "$err" "unknown option '--epohcs'; did you mean '--epochs'\?" "a misspelled option of train"
expect_status 2 "$SINCPROBE" train --batc 64
expect_match "$err" "unknown option '--batc'; did you mean 'batch', a key of \[train\] in the CONFIG file" \
  "an option that is a misspelled config key"
expect_status 2 "$SINCPROBE" train --lr 0.1
expect_match "$err" "unknown option '--lr'; 'lr' is a key of \[train\] in the CONFIG file" "an option that is a config key"
expect_status 2 "$SINCPROBE" analyse tnse a.npy b.npy --out x
expect_match "$err" "unknown analysis 'tnse'.*did you mean 'tsne'\?" "misspelled analysis"

# ---- config errors: exit 2 (sincprobe(1)), with the nearest key or section
tiny_corpus
conf "$work/run" >good.conf
sed 's/^epochs = /epohcs = /' good.conf >key.conf
expect_status 2 "$SINCPROBE" train key.conf --quiet
expect_match "$err" "key\.conf:[0-9]+: unknown key 'epohcs' in \[train\]; did you mean 'epochs'\?" "misspelled key"
sed 's/^\[train\]$/[trian]/' good.conf >section.conf
expect_status 2 "$SINCPROBE" train section.conf --quiet
expect_match "$err" "unknown section '\[trian\]'.*did you mean \[train\]\?" "misspelled section"
{ cat good.conf; printf '[eval]\nbatch = 8\n'; } >elsewhere.conf
expect_status 2 "$SINCPROBE" train elsewhere.conf --quiet
expect_match "$err" "unknown key 'batch' in \[eval\]; 'batch' is a key of \[train\]" "a key in the wrong section"
expect_status 1 "$SINCPROBE" train missing.conf --quiet
expect_match "$err" "missing\.conf" "an unreadable config is an I/O error"
conf "$work/popt" '[probe a]\nuse = afr\nnfftt = 512' >popt.conf
expect_status 2 "$SINCPROBE" train popt.conf --quiet
expect_match "$err" "popt\.conf:[0-9]+: \[probe a\] unknown option 'nfftt' .*\(did you mean 'nfft'\?\)" \
  "misspelled probe option"
ok; [ ! -e popt ] || fail "a refused probe option left the run directory"

# ---- a layer the network lacks: refused at its line, before the run directory
conf "$work/lay" '[probe m]\nuse = mi\n# measure the conv layers\nlayers = act1,conv9' >lay.conf
line=$(grep -n '^layers = act1,conv9$' lay.conf | cut -d: -f1)
expect_status 2 "$SINCPROBE" train lay.conf --quiet
expect_match "$err" "^sincprobe: lay\.conf:$line: \[probe m\] layers: no layer 'conv9' in this network \(did you mean 'conv2'\?\); its layers: in_ln, sinc, .*act1, conv2, .*, out$" \
  "unknown layer at the layers line, with the network's layers"
ok; [ ! -e lay ] || fail "the refused run left '$work/lay': $(ls -R lay | head -5)"
for p in tsne gradsnr; do
  conf "$work/lay-$p" "[probe x]\nuse = $p\nlayers = dense9" >"lay-$p.conf"
  expect_status 2 "$SINCPROBE" train "lay-$p.conf" --quiet
  expect_match "$err" "\[probe x\] layers: no layer 'dense9' in this network \(did you mean 'dense1'\?\)" "$p: unknown layer"
  ok; [ ! -e "lay-$p" ] || fail "$p: the refused run left its directory"
done

# ---- a value a probe can check only once the run starts (on_start, naming
# the option): a config error too, at the option's line, and the run
# directory, where an earlier probe's on_start already wrote, is removed
conf "$work/onst" '[probe g]\nuse = gradsnr' '[probe a]\nuse = afr\nnfft = 32' >onst.conf
line=$(grep -n '^nfft = 32$' onst.conf | cut -d: -f1)
expect_status 2 "$SINCPROBE" train onst.conf --quiet
expect_match "$err" "^sincprobe: onst\.conf:$line: \[probe a\] .*on_start: nfft: 32 is shorter than the first layer's filters" \
  "on_start refusal at the option's line"
ok; [ ! -e onst ] || fail "the run refused in on_start left '$work/onst': $(ls -R onst | head -5)"

# ---- eval --probes: a refused config is a usage error too
expect_status 0 "$SINCPROBE" train good.conf --quiet || finish
conf "$work/unused" '[probe m]\nuse = mi\nlayers = dense7' >evlay.conf
expect_status 2 "$SINCPROBE" eval run --split test --probes evlay.conf
expect_match "$err" "evlay\.conf:[0-9]+: \[probe m\] layers: no layer 'dense7'" "eval --probes: unknown layer"
conf "$work/unused" '[probe a]\nuse = afr\nnfft = 513' >evbad.conf
expect_status 2 "$SINCPROBE" eval run --split test --probes evbad.conf
expect_match "$err" "nfft: 513 is not an even number" "eval --probes: a value the probe refuses"
conf "$work/unused" '[probe a]\nuse = afr\nnfft = 32' >evshort.conf
expect_status 2 "$SINCPROBE" eval run --split test --probes evshort.conf
expect_match "$err" "evshort\.conf:[0-9]+: \[probe a\] .*on_start: nfft: 32 is shorter" "eval --probes: a value on_start refuses"

# ---- decode: files that are not audio, in plain words, without decoder chatter
: >empty.wav
printf 'hello, this is text\n' >text.wav
cp text.wav text.mp3
head -c 3000 /dev/urandom >noise.mp3
printf '\377\373' | cat - text.wav >badframe.mp3
expect_status 1 "$SINCPROBE" decode run empty.wav --no-lm
expect_match "$err" "^sincprobe: 'empty\.wav' is empty \(0 bytes\), not an audio file$" "empty file"
expect_status 1 "$SINCPROBE" decode run text.wav --no-lm
expect_match "$err" "^sincprobe: 'text\.wav' is not an audio file" "text file"
for f in text.mp3 noise.mp3; do
  expect_status 1 "$SINCPROBE" decode run "$f" --no-lm
  expect_match "$err" "^sincprobe: '$f' is not an audio file" "$f"
  ok; [ "$(printf '%s\n' "$err" | wc -l)" -eq 1 ] || fail "$f: more than the one error line: $err"
done
expect_status 1 "$SINCPROBE" decode run nothing.wav --no-lm
expect_match "$err" "^sincprobe: 'nothing\.wav' does not exist$" "missing file"
expect_status 1 "$SINCPROBE" decode run "$work" --no-lm
expect_match "$err" "is a directory, not an audio file" "a directory"

# ---- analyse: a value the probe refuses names the option; no made-up file:line
"$PY" - <<'PY' || { fail "python3 could not write the matrix"; finish; }
import struct
n, d = 40, 2
hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d, %d), }" % (n, d)
hdr += " " * (63 - (10 + len(hdr)) % 64) + "\n"
with open("x.npy", "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)) + hdr.encode())
    f.write(struct.pack("<%df" % (n * d), *[(i % 7) / 7.0 for i in range(n * d)]))
with open("y.txt", "w") as f:
    f.write("".join("%d\n" % (i % 2) for i in range(n)))
PY
expect_status 2 "$SINCPROBE" analyse mi x.npy y.txt --out an1 --estimator frob
expect_match "$err" "^sincprobe: mi --estimator: 'frob' is not fixed, width, adaptive, ebab or kde$" "analyse: refused value"
ok; [ ! -e an1 ] || fail "analyse: a refused value left its output folder"
expect_status 2 "$SINCPROBE" analyse mi x.npy y.txt --out an2 --estimator kde
expect_match "$err" "^sincprobe: mi: sigma2: the kde estimator needs" "analyse: a missing option"
expect_status 2 "$SINCPROBE" analyse mi x.npy y.txt --out an3 --bnis 3
expect_match "$err" "mi --bnis: unknown option 'bnis' .*\(did you mean 'bins'\?\)" "analyse: misspelled probe option"
ok; case $err in *"analyse:"[0-9]*) fail "a made-up file:line prefix: $err" ;; esac
finish
