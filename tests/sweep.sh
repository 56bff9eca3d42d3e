# sweep.sh - `sincprobe sweep` without a cluster: the grid's expansion
# (names, order, count, each run's config, which trains the same alone),
# bad keys and values refused before anything is written, --jobs 2
# training every run, a second invocation skipping the finished runs
# (their checkpoints untouched), an interrupted run resumed, a failed run
# reported while the others go on, --emit list's lines, the Slurm script
# (bash -n, its array size, the launcher; run as array tasks: a finished
# task ends at once, an unfinished one trains), and `sweep report`'s
# table checked against numpy's mean and std (ddof=1) of the runs'
# log.tsv, with its figures.
. "$top_srcdir/tests/lib.sh"
tiny_corpus
tiny_steps=3
conf "$work/unused" >"$work/base.conf"
S=$work/s

# ---- refused up front, nothing written
expect_status 2 "$SINCPROBE" sweep "$work/base.conf" --vary train.batchsize=8,16 --out "$S"
expect_match "$err" "unknown key 'train.batchsize' in --vary" "unknown key"
expect_status 2 "$SINCPROBE" sweep "$work/base.conf" --vary train.batch=8 --vary nosuch.key=1 --out "$S"
expect_match "$err" "unknown key 'nosuch.key'" "unknown section"
expect_status 2 "$SINCPROBE" sweep "$work/base.conf" --vary train.batch=8,x --out "$S"
expect_match "$err" "invalid value 'x' in --vary 'train.batch'" "bad value"
expect_status 2 "$SINCPROBE" sweep "$work/base.conf" --vary train.seed=1,2 --out "$S"
expect_match "$err" "--seeds" "train.seed"
expect_status 2 "$SINCPROBE" sweep "$work/base.conf" --vary model.taps=65,64 --out "$S"
expect_match "$err" "invalid value '64' in --vary 'model.taps': .*even" "an even taps"
expect_status 2 "$SINCPROBE" sweep "$work/base.conf" --vary model.input_ms=50,10 --vary model.taps=65,157 --out "$S"
expect_match "$err" "model.input_ms=10,model.taps=157,seed=11: .*too short" "a combination train would refuse"
ok; [ ! -e "$S" ] || fail "a refused sweep wrote '$S'"

# ---- a config elsewhere with relative paths: each run's config names the
# corpus and the probe file absolute, against the config's folder
mkdir -p "$work/sub" "$work/fx"
cp "$top_builddir/tests/fixtures/.libs/mutate.so" "$work/fx/mutate.so"
conf "$work/unused" '[probe m]\nuse = ../fx/mutate.so' | sed "s|^corpus = .*|corpus = ../corpus|" >"$work/sub/rel.conf"
start_dir=$PWD
cd / || fail "cd /"
expect_status 0 "$SINCPROBE" sweep "$work/sub/rel.conf" --vary train.batch=8 --out "$work/rs" --emit plan
cd "$start_dir" || fail "cd $start_dir"
rc=$work/rs/configs/train.batch=8,seed=11.conf
for kv in "corpus = $work/corpus" "use = $work/fx/mutate.so" "[probe m]"; do
  ok; grep -qxF "$kv" "$rc" 2>/dev/null || fail "'$rc' lacks '$kv': $(cat "$rc" 2>&1)"
done

# ---- expansion
expect_status 0 "$SINCPROBE" sweep "$work/base.conf" --vary model.first_layer=sinc,conv --vary train.batch=8,16 \
  --seeds 2 --out "$S" --emit plan
want="model.first_layer=sinc,train.batch=8,seed=11
model.first_layer=sinc,train.batch=8,seed=12
model.first_layer=sinc,train.batch=16,seed=11
model.first_layer=sinc,train.batch=16,seed=12
model.first_layer=conv,train.batch=8,seed=11
model.first_layer=conv,train.batch=8,seed=12
model.first_layer=conv,train.batch=16,seed=11
model.first_layer=conv,train.batch=16,seed=12"
ok; [ "$(cat "$S/runs.list")" = "$want" ] || fail "runs.list: $(cat "$S/runs.list")"
ok; [ "$(printf '%s\n' "$out" | tail -n +2 | cut -f3)" = "$want" ] || fail "--emit plan: $out"
ok; [ "$(printf '%s\n' "$out" | tail -n +2 | cut -f2 | sort -u)" = new ] || fail "states: $out"
ok; [ "$(ls "$S/configs" | wc -l)" -eq 8 ] || fail "$(ls "$S/configs" | wc -l) configs, expected 8"
ok; [ "$(head -1 "$S/sweep.tsv")" = "$(printf 'run\tname\tmodel.first_layer\ttrain.batch\tseed')" ] ||
  fail "sweep.tsv header: $(head -1 "$S/sweep.tsv")"
i=0
while read -r name; do
  c=$S/configs/$name.conf
  fl=${name#model.first_layer=}; fl=${fl%%,*}
  b=${name#*train.batch=}; b=${b%%,*}
  sd=${name##*seed=}
  for kv in "first_layer = $fl" "batch = $b" "seed = $sd" "dir = $S/$name" "corpus = $work/corpus" "epochs = 2"; do
    ok; grep -qxF "$kv" "$c" || fail "'$c' lacks '$kv'"
  done
  ok; [ "$(sed -n "$((i + 2))p" "$S/sweep.tsv")" = "$(printf '%d\t%s\t%s\t%s\t%s' $i "$name" "$fl" "$b" "$sd")" ] ||
    fail "sweep.tsv row $i: $(sed -n "$((i + 2))p" "$S/sweep.tsv")"
  i=$((i + 1))
done <"$S/runs.list"
# a value with commas: ';' between the values
expect_status 0 "$SINCPROBE" sweep "$work/base.conf" --vary 'model.dense=32,16;24' --out "$work/dense" --emit plan
expect_match "$(cat "$work/dense/runs.list")" '^model.dense=32_16,seed=11$' "dense 32,16's name"
ok; grep -qxF "dense = 32,16" "$work/dense/configs/model.dense=32_16,seed=11.conf" || fail "dense = 32,16 not in its config"

# ---- --emit list before anything ran: a line per run
expect_status 0 "$SINCPROBE" sweep "$work/base.conf" --vary model.first_layer=sinc,conv --vary train.batch=8,16 \
  --seeds 2 --out "$S" --emit list --ranks 2
ok; [ "$(printf '%s\n' "$out" | grep -c "^mpirun -np 2 .* train $S/configs/.*\.conf --quiet$")" -eq 8 ] ||
  fail "--emit list: $out"

# ---- --jobs 2 trains them all
expect_status 0 "$SINCPROBE" sweep "$work/base.conf" --vary model.first_layer=sinc,conv --vary train.batch=8,16 \
  --seeds 2 --out "$S" --jobs 2
expect_match "$err" "8 runs: 8 trained, 0 finished before, 0 failed" "--jobs 2 summary"
while read -r name; do
  ok; [ -f "$S/$name/finished.tsv" ] || fail "'$name' has no finished.tsv"
  ok; [ "$(wc -l <"$S/$name/log.tsv")" -eq 3 ] || fail "'$name/log.tsv' has not 2 epochs"
done <"$S/runs.list"
# the config alone trains the same run
first=$(head -1 "$S/runs.list")
expect_status 0 "$SINCPROBE" train "$S/configs/$first.conf" --dir "$work/alone" --quiet
ok; [ "$(cut -f1-6 "$work/alone/log.tsv")" = "$(cut -f1-6 "$S/$first/log.tsv")" ] ||
  fail "the config alone trained otherwise: $(cat "$work/alone/log.tsv") vs $(cat "$S/$first/log.tsv")"

# ---- a second invocation skips them all
stamp=$(stat -c %Y.%s "$S/$first/checkpoints/last.ckpt")
sleep 1
expect_status 0 "$SINCPROBE" sweep "$work/base.conf" --vary model.first_layer=sinc,conv --vary train.batch=8,16 \
  --seeds 2 --out "$S" --jobs 2
expect_match "$err" "8 runs: 0 trained, 8 finished before, 0 failed" "second invocation"
ok; [ "$(stat -c %Y.%s "$S/$first/checkpoints/last.ckpt")" = "$stamp" ] || fail "a finished run was trained again"
expect_status 0 "$SINCPROBE" sweep "$work/base.conf" --vary model.first_layer=sinc,conv --vary train.batch=8,16 \
  --seeds 2 --out "$S" --emit list
ok; [ -z "$out" ] || fail "--emit list of a finished sweep: $out"
# another config into the same directory: refused
sed 's/^epochs = 2/epochs = 3/' "$work/base.conf" >"$work/other.conf"
expect_status 1 "$SINCPROBE" sweep "$work/other.conf" --vary model.first_layer=sinc,conv --vary train.batch=8,16 \
  --seeds 2 --out "$S" --emit plan
expect_match "$err" "holds a run of another config" "another config"

# ---- the Slurm script
expect_status 0 "$SINCPROBE" sweep "$work/base.conf" --vary model.first_layer=sinc,conv --vary train.batch=8,16 \
  --seeds 2 --out "$S" --emit slurm --ranks 2
ok; bash -n "$S/sweep.sbatch" || fail "sweep.sbatch: bash -n"
ok; [ "$(grep -c '^#SBATCH --array=0-7$' "$S/sweep.sbatch")" -eq 1 ] || fail "array size: $(grep array "$S/sweep.sbatch")"
ok; [ "$(grep -c 'mpirun -np 2 "$SINCPROBE" train' "$S/sweep.sbatch")" -eq 2 ] || fail "no mpirun -np 2 lines"
ok; grep -q '^#SBATCH --ntasks=2$' "$S/sweep.sbatch" || fail "no --ntasks=2"
expect_status 0 env SLURM_ARRAY_TASK_ID=3 bash "$S/sweep.sbatch"
expect_match "$out" "seed=12: finished" "a finished task ends at once"

# ---- an interrupted run is resumed; a failed run is reported, the others go on
R=$work/r
expect_status 0 "$SINCPROBE" sweep "$work/base.conf" --vary train.batch=8,16,24 --out "$R" --emit slurm
ok; grep -q '^#SBATCH --array=0-2$' "$R/sweep.sbatch" || fail "array size 3"
ok; grep -q 'mpirun' "$R/sweep.sbatch" && fail "mpirun without --ranks"
expect_status 0 "$SINCPROBE" train "$R/configs/train.batch=8,seed=11.conf" --stop-after-steps 3 --quiet
expect_status 0 "$SINCPROBE" sweep "$work/base.conf" --vary train.batch=8,16,24 --out "$R" --emit list
expect_match "$out" "train --resume $R/train.batch=8,seed=11 --quiet" "--emit list resumes the partial run"
ok; [ "$(printf '%s\n' "$out" | wc -l)" -eq 3 ] || fail "--emit list: $out"
# task 2 of the array job trains its run
expect_status 0 env SLURM_ARRAY_TASK_ID=2 bash "$R/sweep.sbatch"
ok; [ -f "$R/train.batch=24,seed=11/finished.tsv" ] || fail "the array task did not finish its run"
mkdir -p "$R/train.batch=16,seed=11/checkpoints"
echo garbage >"$R/train.batch=16,seed=11/checkpoints/last.ckpt"
expect_status 1 "$SINCPROBE" sweep "$work/base.conf" --vary train.batch=8,16,24 --out "$R" --jobs 2
expect_match "$err" "resuming train.batch=8,seed=11" "the partial run resumed"
expect_match "$err" "failed train.batch=16,seed=11: exit status 1; its output: $R/logs/train.batch=16,seed=11.log" "failed"
expect_match "$err" "3 runs: 1 trained, 1 finished before, 1 failed" "summary with a failure"
expect_match "$(cat "$R/logs/train.batch=8,seed=11.log")" "resuming .* at epoch 1, step 3" "resumed where it stopped"
ok; [ -f "$R/train.batch=8,seed=11/finished.tsv" ] || fail "the resumed run did not finish"

# ---- sweep report: mean and std over seeds against numpy (PER: the
# runs that eval scored, recounted from their confusion matrices)
for name in "model.first_layer=sinc,train.batch=8,seed=11" "model.first_layer=sinc,train.batch=8,seed=12" \
  "model.first_layer=conv,train.batch=16,seed=12"; do
  expect_status 0 "$SINCPROBE" eval "$S/$name"
done
expect_status 0 "$SINCPROBE" sweep report "$S"
expect_match "$out" "^model.first_layer +train.batch +runs +best_dev_fer_mean +best_dev_fer_std" "printed table"
ok
"$PY" - "$S" <<'PY' || fail "sweep-report.tsv against numpy"
import csv, json, os, sys
import numpy as np
d = sys.argv[1]
runs = list(csv.DictReader(open(os.path.join(d, "sweep.tsv")), delimiter="\t"))
groups = {}
for r in runs:
    log = np.genfromtxt(os.path.join(d, r["name"], "log.tsv"), delimiter="\t", names=True)
    groups.setdefault((r["model.first_layer"], r["train.batch"]), []).append(np.min(np.atleast_1d(log["dev_fer"])))
def per(run):
    f = os.path.join(d, run, "eval-core-confusion.tsv")
    if not os.path.exists(f): return None
    t = [l.rstrip("\n").split("\t") for l in open(f)]
    n = len(t[0]) - 2
    m = np.array([[float(x) for x in r[1:]] for r in t[1:]])
    N = m[:n].sum(); S = m[:n, :n].sum() - np.trace(m[:n, :n]); D = m[:n, n].sum(); I = m[n].sum()
    return (S + D + I) / N
pers = {}
for r in runs:
    p = per(r["name"])
    if p is not None: pers.setdefault((r["model.first_layer"], r["train.batch"]), []).append(p)
rows = list(csv.DictReader(open(os.path.join(d, "sweep-report.tsv")), delimiter="\t"))
assert len(rows) == 4, rows
js = json.load(open(os.path.join(d, "sweep-report.json")))
assert js["keys"] == ["model.first_layer", "train.batch"], js["keys"]
for row, g in zip(rows, js["groups"]):
    v = np.array(groups[(row["model.first_layer"], row["train.batch"])])
    assert int(row["runs"]) == len(v) == 2, row
    assert abs(float(row["best_dev_fer_mean"]) - v.mean()) < 1e-6, (row, v)
    assert abs(float(row["best_dev_fer_std"]) - v.std(ddof=1)) < 1e-6, (row, v)
    assert abs(g["best_dev_fer"]["std"] - v.std(ddof=1)) < 1e-6, (g, v)
    p = np.array(pers.get((row["model.first_layer"], row["train.batch"]), []))
    if len(p) == 0: assert row["per_core_mean"] == "nan", row
    else: assert abs(float(row["per_core_mean"]) - p.mean()) < 1e-6, (row, p)
    if len(p) < 2: assert row["per_core_std"] == "nan", row
    else: assert abs(float(row["per_core_std"]) - p.std(ddof=1)) < 1e-6, (row, p)
    assert g["values"] == {"model.first_layer": row["model.first_layer"], "train.batch": row["train.batch"]}, g
for base in ("fer_by_model.first_layer", "fer_by_train.batch"):
    b = open(os.path.join(d, "plots", base + ".png"), "rb").read(8)
    assert b == b"\x89PNG\r\n\x1a\n", base
    assert b"<svg" in open(os.path.join(d, "plots", base + ".svg"), "rb").read(), base
PY
# a sweep with unfinished runs: they are left out
expect_status 0 "$SINCPROBE" sweep report "$R"
expect_match "$err" "1 of 3 runs .* not finished: left out" "unfinished runs left out"
ok; [ "$(wc -l <"$R/sweep-report.tsv")" -eq 3 ] || fail "report of R: $(cat "$R/sweep-report.tsv")"
expect_status 1 "$SINCPROBE" sweep report "$work/corpus"
expect_match "$err" "not a sweep directory" "not a sweep"
finish
