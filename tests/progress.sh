# progress.sh - long commands report progress off a terminal (stderr to a
# file, as in a batch job's log): a line every SINCPROBE_PROGRESS_INTERVAL
# seconds (10 by default; 0 here, a line at every update) from train's
# steps and dev evaluations, eval, robustness and corpus synth; none from
# a phase shorter than the interval, so short runs keep quiet logs.
. "$top_srcdir/tests/lib.sh"
: "${top_builddir:?run through make check}"
cd "$work" || exit 1

export SINCPROBE_PROGRESS_INTERVAL=0
c=$work/corpus
expect_status 0 "$SINCPROBE" corpus synth --out "$c" --speakers 3 --test-speakers 2 --sentences 2 --seed 7 --jobs 1 || finish
expect_match "$err" "^synth: 1/10 \(10%\) eta [0-9]+s$" "corpus synth: a line per utterance"
expect_match "$err" "^synth: done in " "corpus synth: the closing line"

conf "$work/run" >run.conf
"$SINCPROBE" train run.conf 2>train.err >/dev/null || fail "train: $(cat train.err)"
ok; [ "$(grep -c '^epoch 1/2 step [0-9]/6 loss ' train.err)" -eq 6 ] ||
  fail "train: want a line per step of epoch 1 off a terminal: $(cat train.err)"
expect_match "$(cat train.err)" "^dev: 1/2 \(50%\) eta [0-9]+s$" "train: the dev evaluation's progress"

"$SINCPROBE" eval run --split test 2>eval.err >/dev/null || fail "eval: $(cat eval.err)"
expect_match "$(cat eval.err)" "^test: 1/4 \(25%\) eta [0-9]+s$" "eval: progress off a terminal"
expect_match "$(cat eval.err)" "^test: done in " "eval: the closing line"
"$SINCPROBE" eval run --split test --json 2>json.err >json.out || fail "eval --json: $(cat json.err)"
expect_match "$(cat json.err)" "^test: 4/4 \(100%\)" "eval --json: progress on stderr"
expect_match "$(head -c 1 json.out)" "^\{" "eval --json: stdout stays JSON"

"$SINCPROBE" robustness run --conditions clean,white@10 --split test --out rob 2>rob.err >/dev/null ||
  fail "robustness: $(cat rob.err)"
expect_match "$(cat rob.err)" "^white@10: 2/4 \(50%\)" "robustness: progress of a condition"

# the default interval (10 s): a run of a second prints no progress lines
unset SINCPROBE_PROGRESS_INTERVAL
"$SINCPROBE" eval run --split test 2>quiet.err >/dev/null || fail "eval: $(cat quiet.err)"
ok; ! grep -q '^test: ' quiet.err || fail "progress lines from a short evaluation: $(cat quiet.err)"
finish
