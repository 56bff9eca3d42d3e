# sweep-probe.sh - `sincprobe sweep --vary` of a [probe ID] section's
# option: both spellings ('probe ID.KEY', probe.ID.KEY) expand to the same
# runs, whose configs differ only in that option (and their names and
# directories); an unknown option (with its did-you-mean), a missing
# [probe ID] section and bad values (the host's range check, the probe's
# own check in create, probe_timeout) are refused before anything is
# written, with exit status 2 as an unknown schema key is; a tiny sweep of
# two noise SNRs trains, and `sweep report` has the probe key's column
# with its values and its figure.
. "$top_srcdir/tests/lib.sh"
tiny_corpus
tiny_steps=3
conf "$work/unused" '[probe noise]\nuse = noise\nsnr_db = 10' >"$work/base.conf"
conf "$work/unused" >"$work/plain.conf"
S=$work/s

# ---- refused up front, nothing written
expect_status 2 "$SINCPROBE" sweep "$work/base.conf" --vary probe.noise.snr_dB=0,20 --out "$S"
expect_match "$err" "unknown key 'probe.noise.snr_dB' in --vary: .*\[probe noise\] unknown option 'snr_dB' for probe 'noise' .*\(did you mean 'snr_db'\?\); its options: type, snr_db," "unknown option"
expect_status 2 "$SINCPROBE" sweep "$work/base.conf" --vary 'probe nois.snr_db=0,20' --out "$S"
expect_match "$err" "unknown key 'probe.nois.snr_db' in --vary: .*no section \[probe nois\] \(did you mean \[probe noise\]\?\); its probe sections: \[probe noise\]" "missing section"
expect_status 2 "$SINCPROBE" sweep "$work/plain.conf" --vary probe.noise.snr_db=0 --out "$S"
expect_match "$err" "no section \[probe noise\]; its probe sections: none" "a config without probes"
expect_status 2 "$SINCPROBE" sweep "$work/base.conf" --vary probe.noise.snr_db=0,loud --out "$S"
expect_match "$err" "invalid value 'loud' in --vary 'probe.noise.snr_db': \[probe noise\] .*snr_db: 'loud' is not a number" "bad value (create)"
expect_status 2 "$SINCPROBE" sweep "$work/base.conf" --vary 'probe noise.seed=1,-5' --out "$S"
expect_match "$err" "invalid value '-5' in --vary 'probe.noise.seed': \[probe noise\] seed: -5 is out of range" "bad value (range)"
expect_status 2 "$SINCPROBE" sweep "$work/base.conf" --vary probe.noise.probe_timeout=5,-1 --out "$S"
expect_match "$err" "invalid value '-1' in --vary 'probe.noise.probe_timeout'" "bad probe_timeout"
expect_status 2 "$SINCPROBE" sweep "$work/base.conf" --vary probe.noise=1 --out "$S"
expect_match "$err" "expected 'probe ID.KEY=V1,V2,...'" "no KEY"
expect_status 2 "$SINCPROBE" sweep "$work/base.conf" --vary probe.noise.snr_db=0 --vary 'probe noise.snr_db=5' --out "$S"
expect_match "$err" "--vary 'probe.noise.snr_db' is given twice" "both spellings of one key"
ok; [ ! -e "$S" ] || fail "a refused sweep wrote '$S'"

# ---- expansion: both spellings, the same runs and configs
expect_status 0 "$SINCPROBE" sweep "$work/base.conf" --vary 'probe noise.snr_db=0,20' --out "$S" --emit plan
want="probe.noise.snr_db=0,seed=11
probe.noise.snr_db=20,seed=11"
ok; [ "$(cat "$S/runs.list" 2>&1)" = "$want" ] || fail "runs.list: $(cat "$S/runs.list" 2>&1)"
ok; [ "$(head -1 "$S/sweep.tsv" 2>&1)" = "$(printf 'run\tname\tprobe.noise.snr_db\tseed')" ] ||
  fail "sweep.tsv header: $(head -1 "$S/sweep.tsv" 2>&1)"
expect_status 0 "$SINCPROBE" sweep "$work/base.conf" --vary probe.noise.snr_db=0,20 --out "$work/s2" --emit plan
for name in $want; do
  ok; sed "s|$work/s2|$S|g" "$work/s2/configs/$name.conf" | cmp -s - "$S/configs/$name.conf" ||
    fail "the two spellings gave two configs of '$name'"
done
a=$S/configs/probe.noise.snr_db=0,seed=11.conf
b=$S/configs/probe.noise.snr_db=20,seed=11.conf
# [probe noise] snr_db is 0 in one, 20 in the other
for f in "$a:0" "$b:20"; do
  ok; [ "$(sed -n '/^\[probe noise\]$/,/^\[/p' "${f%:*}" 2>&1 | grep '^snr_db = ')" = "snr_db = ${f##*:}" ] ||
    fail "'${f%:*}' [probe noise]: $(sed -n '/^\[probe noise\]$/,$p' "${f%:*}" 2>&1)"
done
# everything else equal (the comment naming the run, [run] dir aside)
ok; [ "$(diff <(grep -v -e '^#' -e '^dir = ' -e '^snr_db = ' "$a" 2>&1) <(grep -v -e '^#' -e '^dir = ' -e '^snr_db = ' "$b" 2>&1))" = "" ] ||
  fail "the two configs differ elsewhere: $(diff "$a" "$b" 2>&1)"
ok; [ "$(diff "$a" "$b" 2>&1 | grep -c '^[<>] snr_db = ')" -eq 2 ] || fail "snr_db not different: $(diff "$a" "$b" 2>&1)"

# ---- a tiny real sweep, and its report
expect_status 0 "$SINCPROBE" sweep "$work/base.conf" --vary 'probe noise.snr_db=0,20' --out "$S" --jobs 2
expect_match "$err" "2 runs: 2 trained, 0 finished before, 0 failed" "--jobs 2 summary"
for name in $want; do
  ok; [ -f "$S/$name/finished.tsv" ] || fail "'$name' has no finished.tsv"
  v=${name#probe.noise.snr_db=}; v=${v%%,*}
  ok; sed -n '/^\[probe noise\]$/,$p' "$S/$name/config.conf" 2>/dev/null | grep -qx "snr_db = $v" ||
    fail "'$name/config.conf' lacks snr_db = $v: $(cat "$S/$name/config.conf" 2>&1)"
done
expect_status 0 "$SINCPROBE" sweep report "$S"
expect_match "$out" "^probe.noise.snr_db +runs +best_dev_fer_mean" "the table's probe key column"
expect_match "$out" "^0 +1 +[0-9.]+" "the table's row of snr_db 0"
expect_match "$out" "^20 +1 +[0-9.]+" "the table's row of snr_db 20"
ok; [ "$(cut -f1 "$S/sweep-report.tsv" 2>&1 | tr '\n' ' ')" = "probe.noise.snr_db 0 20 " ] ||
  fail "sweep-report.tsv: $(cat "$S/sweep-report.tsv" 2>&1)"
for ext in png svg; do
  ok; [ -s "$S/plots/fer_by_probe.noise.snr_db.$ext" ] || fail "no plots/fer_by_probe.noise.snr_db.$ext: $(ls "$S/plots" 2>&1)"
done
finish
