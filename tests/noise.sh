# noise.sh - the noise probe from the command line: `sincprobe plugins
# noise`; test_noise's measurements (SNR within 0.1 dB, band energy,
# spectral slopes) on real chunks of a synthetic corpus; bad options
# refused before training with the config line; short trainings with
# noise; and `sincprobe eval` in matched and mismatched conditions
# (apply_to test, or a pipeline that leaves test audio alone).
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
export SINCPROBE_PLUGIN_PATH="$top_builddir/plugins/.libs"

expect_status 0 "$SINCPROBE" plugins
expect_match "$out" '^noise	1\.0	adds white, pink, brown.*	.*/plugins/\.libs/noise\.so$' "plugins lists noise"
expect_status 0 "$SINCPROBE" plugins noise
expect_match "$out" '^type +string +white +the kind of noise, one of white\|pink\|brown\|band\|babble\|tone\|file\|clean, or a comma list' "plugins noise: type"
for o in snr_db band scope apply_to seed freq k file; do
  expect_match "$out" "^$o " "plugins noise: option $o"
done

tiny_corpus

# ---- the unit measurements on real chunks of the corpus
expect_status 0 env NOISE_CORPUS="$c" "$top_builddir/tests/test_noise"
printf '%s\n' "$out" | grep -E '^(noise: worst|noise band|noise slopes|noise type)' | sed 's/^/noise.sh: real chunks: /'

lines=$(conf x | wc -l)

# ---- refusals: exit 1, FILE:LINE of the option, the plugin file, no run
refuse() { # refuse NAME LINE PATTERN SECTION
  local name=$1 line=$2 pattern=$3
  shift 3
  conf "$work/$name" "$@" >"$work/$name.conf"
  expect_status 2 "$SINCPROBE" train "$work/$name.conf" --quiet
  expect_match "$err" "^sincprobe: $work/$name\.conf:$line: \[probe n\].*$pattern" "$name: message with file and line"
  ok; [ ! -e "$work/$name" ] || fail "$name: the refused run wrote '$work/$name'"
}
refuse noband $((lines + 3)) "noise\.so.*type band needs band = f_lo-f_hi" '[probe n]\nuse = noise\ntype = band\nsnr_db = 0'
refuse badband $((lines + 4)) "noise\.so.*band: '2k-4k' is not f_lo-f_hi" '[probe n]\nuse = noise\ntype = band\nband = 2k-4k'
refuse badsnr $((lines + 3)) "noise\.so.*snr_db: 'ten' is not a number or lo:hi" '[probe n]\nuse = noise\nsnr_db = ten'
refuse badtype $((lines + 3)) "type: 'violet' is not one of white\|pink\|brown\|band\|babble\|tone\|file" '[probe n]\nuse = noise\ntype = violet'
refuse badlist $((lines + 3)) "noise\.so.*type: 'violet' \(item 2 of 'white,violet'\) is not one of white\|pink" '[probe n]\nuse = noise\ntype = white,violet'
refuse overlap $((lines + 4)) "noise\.so.*band: '1200-1600,1500-2100': 1500-2100 does not start above the end of 1200-1600" \
  '[probe n]\nuse = noise\ntype = band\nband = 1200-1600,1500-2100'
refuse badrole $((lines + 3)) "noise\.so.*apply_to: 'training' is not a comma list" '[probe n]\nuse = noise\napply_to = training'
refuse nofile $((lines + 4)) "noise\.so.*file: cannot read '$work/none\.wav'" "[probe n]\nuse = noise\ntype = file\nfile = $work/none.wav"

# ---- training with noise
conf "$work/plain" >"$work/plain.conf"
expect_status 0 "$SINCPROBE" train "$work/plain.conf" --quiet
conf "$work/band" '[probe n]\nuse = noise\ntype = band\nband = 2000-4000\nsnr_db = 0' >"$work/band.conf"
expect_status 0 "$SINCPROBE" train "$work/band.conf" --quiet
expect_match "$err" '^probe n: band noise at 0\.\.0 dB SNR, scope chunk, on train$' "the probe's log line"
cut -f1-6 "$work/plain/log.tsv" >"$work/plain.cols"
cut -f1-6 "$work/band/log.tsv" >"$work/band.cols"
ok; ! cmp -s "$work/plain.cols" "$work/band.cols" || fail "band noise at 0 dB changed nothing in training"
expect_match "$(cat "$work/band/config.conf")" '^band = 2000-4000$' "config.conf keeps the probe's options"
# The same config twice: the same numbers (seeded).
conf "$work/band2" '[probe n]\nuse = noise\ntype = band\nband = 2000-4000\nsnr_db = 0' >"$work/band2.conf"
expect_status 0 "$SINCPROBE" train "$work/band2.conf" --quiet
cut -f1-6 "$work/band2/log.tsv" >"$work/band2.cols"
ok; cmp -s "$work/band.cols" "$work/band2.cols" || fail "noisy training is not reproducible"
# Other types and scopes train too.
conf "$work/more" '[probe a]\nuse = noise\ntype = babble\nk = 3\nsnr_db = 5:15\nscope = utterance\napply_to = train,dev' \
  '[probe b]\nuse = noise\ntype = pink\nsnr_db = 20' \
  '[probe c]\nuse = noise\ntype = white, band,babble\nband = 1200-1600,1800-2100\nsnr_db = 15:25' >"$work/more.conf"
expect_status 0 "$SINCPROBE" train "$work/more.conf" --quiet
expect_match "$err" '^probe c: white,band,babble noise at 15\.\.25 dB SNR, scope chunk, on train$' "a type list's log line"
expect_match "$(cat "$work/more/config.conf")" '^band = 1200-1600,1800-2100$' "config.conf keeps a band list"
ok; [ "$(awk 'END {print NR}' "$work/more/log.tsv")" -eq 3 ] || fail "babble+pink run: log.tsv $(cat "$work/more/log.tsv")"

# ---- eval: matched and mismatched conditions
expect_status 0 "$SINCPROBE" eval "$work/band" --split test --no-probes --json
fer_clean=$(printf '%s' "$out" | sed -n 's/.*"fer": \([0-9.e+-]*\).*/\1/p')
# The run's own pipeline noises train only: test is untouched.
expect_status 0 "$SINCPROBE" eval "$work/band" --split test --json
fer_own=$(printf '%s' "$out" | sed -n 's/.*"fer": \([0-9.e+-]*\).*/\1/p')
ok; [ -n "$fer_own" ] && [ "$fer_own" = "$fer_clean" ] || fail "apply_to = train changed test FER: $fer_own vs $fer_clean"
# Noisy test audio (white at -10 dB) from another config.
conf "$work/unused" '[probe n]\nuse = noise\nsnr_db = -10\napply_to = test' >"$work/noisy.conf"
expect_status 0 "$SINCPROBE" eval "$work/band" --split test --probes "$work/noisy.conf" --json
fer_noisy=$(printf '%s' "$out" | sed -n 's/.*"fer": \([0-9.e+-]*\).*/\1/p')
ok; [ -n "$fer_noisy" ] && [ "$fer_noisy" != "$fer_clean" ] || fail "noise on test gave the same FER ($fer_noisy)"
# apply_to dev does not touch test, and the dev split with dev noise.
conf "$work/unused" '[probe n]\nuse = noise\nsnr_db = -10\napply_to = dev' >"$work/devnoise.conf"
expect_status 0 "$SINCPROBE" eval "$work/band" --split test --probes "$work/devnoise.conf" --json
fer_dev=$(printf '%s' "$out" | sed -n 's/.*"fer": \([0-9.e+-]*\).*/\1/p')
ok; [ "$fer_dev" = "$fer_clean" ] || fail "apply_to = dev changed test FER: $fer_dev vs $fer_clean"
expect_status 0 "$SINCPROBE" eval "$work/band" --split dev --no-probes --json
fer_dclean=$(printf '%s' "$out" | sed -n 's/.*"fer": \([0-9.e+-]*\).*/\1/p')
expect_status 0 "$SINCPROBE" eval "$work/band" --split dev --probes "$work/devnoise.conf" --json
fer_dnoisy=$(printf '%s' "$out" | sed -n 's/.*"fer": \([0-9.e+-]*\).*/\1/p')
ok; [ -n "$fer_dnoisy" ] && [ "$fer_dnoisy" != "$fer_dclean" ] || fail "apply_to = dev left dev FER alone ($fer_dnoisy)"
finish
