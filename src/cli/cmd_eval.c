/* cmd_eval.c - `sincprobe eval`: frame and phone error rates of a model on
 * a split: FER over every 10 ms frame, and PER after Viterbi decoding
 * (posteriors over class priors, a bigram phone LM from the training
 * transcripts, a minimum duration and an insertion penalty), scored on 39
 * phones with a Levenshtein alignment (S, D, I) and a confusion matrix. */
#include "config.h"
#include "nn/checkpoint.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "corpus/dataset.h"
#include "run/evaluate.h"
#include "base/json.h"
#include "decode/phonedecoder.h"
#include "probe/probe_host.h"
#include "corpus/timit.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
    "sincprobe eval MODEL [--split S] [--corpus DIR] [--json] [--min-duration N] [--insertion-penalty X] [--lm-weight X] [--prior-scale X] [--confusion FILE] [--baseline] [--probes CONFIG | --no-probes]",
    "",
    "  MODEL                  a checkpoint, or a run directory (its best checkpoint)",
    "  --split S              dev, core or test (default: the config's test_split, core)",
    "  --corpus DIR           corpus root (default: the one the model was trained on)",
    "  --json                 print one JSON object",
    "  --min-duration N       minimum phone duration in 10 ms frames",
    "  --insertion-penalty X  log-domain penalty per decoded phone",
    "  --lm-weight X          weight of the bigram phone LM",
    "  --prior-scale X        scale of the log class priors subtracted from the posteriors",
    "  --confusion FILE       where to write the 39 x 39 confusion matrix (TSV)",
    "  --baseline             score the trivial baselines instead of the model: every frame",
    "                         given the class priors (FER of the most frequent class; PER of",
    "                         a decode by the bigram LM and durations alone)",
    "  --probes CONFIG        run the [probe ID] sections of CONFIG on the evaluated audio",
    "                         (default: the model's own, from the config it was trained with)",
    "  --no-probes            run no probes",
    NULL,
};

typedef struct {
    sp_phone_decoder *pd;
    sp_score score;
    sp_fer fer39, fer48;
    sp_phone_seg *seg;
    int *lab, *hyp39, *ref39;
    size_t cap;
    int failed;
    sp_error err;
} eval_ctx;

static void on_utterance(void *vctx, const sp_utterance *u, const float *logp)
{
    eval_ctx *x = vctx;
    if (x->failed) return;
    size_t T = (size_t)u->nframes, need = T > u->nphones ? T : u->nphones;
    if (need + 1 > x->cap) {
        x->cap = 2 * need + 1;
        x->seg = sp_xrealloc(x->seg, x->cap * sizeof *x->seg);
        x->lab = sp_xrealloc(x->lab, x->cap * sizeof *x->lab);
        x->hyp39 = sp_xrealloc(x->hyp39, x->cap * sizeof *x->hyp39);
        x->ref39 = sp_xrealloc(x->ref39, x->cap * sizeof *x->ref39);
    }
    const sp_phoneset *ps = &x->pd->ps;
    for (size_t f = 0; f < T; f++) x->lab[f] = u->label[f]; /* 48-set; sp_fer_add folds both sides */
    if (sp_fer_add(&x->fer39, logp, T, ps->n48, x->lab, ps->fold48, &x->err) != 0 ||
        sp_fer_add(&x->fer48, logp, T, ps->n48, x->lab, NULL, &x->err) != 0)
        goto bad;
    size_t nseg = 0;
    if (sp_viterbi_decode(&x->pd->vit, logp, T, x->seg, &nseg, NULL, &x->err) != 0) goto bad;
    size_t nh = sp_score_fold_segs(ps, x->seg, nseg, x->hyp39);
    size_t nr = sp_score_fold48(ps, u->phones48, u->nphones, x->ref39);
    if (sp_score_add(&x->score, x->ref39, nr, x->hyp39, nh, NULL, &x->err) != 0) goto bad;
    return;
bad:
    x->failed = 1;
}

/* ---- the arguments */

typedef struct {
    const char *model, *split_name, *corpus, *confusion, *probes_conf;
    int json, baseline, no_probes;
    int min_dur;                /* 0: the model's */
    double ins, lmw, prs;       /* NaN: the model's */
} eval_args;

/* -1 to go on, or the exit status. */
static int parse_args(eval_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->ins = a->lmw = a->prs = NAN;
    sp_opt opts[] = {
        SP_OPT_STRING("--split", &a->split_name),
        SP_OPT_STRING("--corpus", &a->corpus),
        SP_OPT_FLAG("--json", &a->json),
        SP_OPT_INT("--min-duration", &a->min_dur, 1, 100),
        SP_OPT_NUMBER("--insertion-penalty", &a->ins),
        SP_OPT_NUMBER("--lm-weight", &a->lmw),
        SP_OPT_NUMBER("--prior-scale", &a->prs),
        SP_OPT_STRING("--confusion", &a->confusion),
        SP_OPT_FLAG("--baseline", &a->baseline),
        SP_OPT_STRING("--probes", &a->probes_conf),
        SP_OPT_FLAG("--no-probes", &a->no_probes),
        SP_OPT_END,
    };
    int status, nargs = sp_opt_parse(usage, opts, 1, argc, argv, &status);
    if (nargs < 0) return status;
    a->model = nargs ? argv[1] : NULL;
    if (!a->model) return sp_usage_error(usage, "a MODEL (checkpoint or run directory) is required");
    if (a->probes_conf && a->no_probes)
        return sp_usage_error(usage, "'--probes' and '--no-probes' do not go together");
    if (a->split_name && sp_split_parse(a->split_name) < 0)
        return sp_usage_error(usage, "unknown split '%s': expected dev, core, test, train or all", a->split_name);
    return -1;
}

/* ---- one evaluation: what it holds and frees */

typedef struct {
    const eval_args *a;
    char *ckpt, *rundir;
    const char *split_name;      /* --split, or the config's test_split */
    sp_model m;
    sp_conf c;                   /* the model's config with --corpus */
    sp_viterbi_opts vo;
    sp_probe_chain *chain;
    sp_probe_role role;
    sp_phone_decoder pd;
    sp_dataset ds;
    int have_model, have_pd, have_ds, have_score;
    eval_ctx x;
    sp_eval_result ev;
    char *conf_path;             /* where the confusion matrix went */
    sp_error err;
} eval_run;

/* The model, its config with the command line's overrides, the decoding
 * options. 0, or -1 with the message printed. */
static int load_model(eval_run *r)
{
    const eval_args *a = r->a;
    r->ckpt = sp_resolve_model(a->model, &r->rundir, &r->err);
    if (!r->ckpt) {
        sp_errorf("%s", r->err.msg);
        return -1;
    }
    if (sp_checkpoint_load(r->ckpt, &r->m, 256, NULL, NULL, &r->err) != 0) {
        sp_errorf("%s", r->err.msg);
        return -1;
    }
    r->have_model = 1;
    r->c = r->m.conf;
    sp_set_threads(r->c.threads);
    if (a->corpus) snprintf(r->c.corpus, sizeof r->c.corpus, "%s", a->corpus);
    r->split_name = a->split_name ? a->split_name : r->c.test_split;
    sp_viterbi_opts_default(&r->vo);
    r->vo.min_dur = a->min_dur > 0 ? a->min_dur : r->c.min_duration;
    r->vo.insertion_penalty = isnan(a->ins) ? r->c.insertion_penalty : a->ins;
    r->vo.lm_weight = isnan(a->lmw) ? r->c.lm_weight : a->lmw;
    r->vo.prior_scale = isnan(a->prs) ? r->c.prior_scale : a->prs;
    return 0;
}

/* ---- probe chain (begin): the model's [probe ID] sections, or those of
 * --probes CONFIG, on the evaluated chunks; refused before any work */
static int open_probes(eval_run *r)
{
    const eval_args *a = r->a;
    r->role = !strcmp(r->split_name, "dev") ? SP_PROBE_DEV : SP_PROBE_TEST;
    if (a->baseline || a->no_probes) return 0;
    sp_diag pdg;
    sp_diag_init(&pdg, 0);
    if (a->probes_conf) {
        sp_conf *pc = sp_xmalloc(sizeof *pc);
        if (sp_conf_load(pc, a->probes_conf, &pdg) == 0) r->chain = sp_probe_chain_from_conf(pc, &pdg);
        free(pc);
    } else {
        r->chain = sp_probe_chain_from_conf(&r->c, &pdg);
    }
    int bad = !r->chain ? sp_probe_diag_fail(&pdg, &r->err) : 0;
    sp_diag_free(&pdg);
    char *dir = sp_xasprintf("%s/eval-%s/probes", r->rundir, r->split_name);
    int rc = 0;
    if (bad || sp_probe_chain_create(r->chain, SP_PROBE_MODE_EVAL, dir, (uint64_t)r->c.seed, &r->err) != 0) {
        sp_errorf("%s", r->err.msg);
        rc = -1;
    }
    free(dir);
    return rc;
}
/* ---- probe chain (end) */

/* The decoder (priors and phone LM from the training corpus), the split,
 * the probes started, the scores. 0, or -1 with the message printed. */
static int load_data(eval_run *r)
{
    if (sp_phone_decoder_init(&r->pd, &r->c, &r->vo, &r->err) != 0) {
        sp_errorf("%s", r->err.msg);
        return -1;
    }
    r->have_pd = 1;
    r->x.pd = &r->pd;
    sp_diag d;
    sp_diag_init(&d, 0);
    d.echo = 1;
    int lrc = sp_dataset_load(&r->ds, r->c.corpus, sp_split_parse(r->split_name), r->c.include_sa, 0, &r->pd.ps,
                              &d, &r->err);
    sp_diag_free(&d);
    if (lrc != 0) {
        sp_errorf("%s", r->err.msg);
        return -1;
    }
    r->have_ds = 1;
    sp_probe_start pstart = { .run_dir = r->rundir, .model = &r->m, .ps = &r->pd.ps };
    pstart.data[r->role] = &r->ds;
    pstart.split[r->role] = r->split_name;
    if (sp_probe_chain_start(r->chain, &pstart, &r->err) != 0) {
        sp_errorf("%s", r->err.msg);
        return -1;
    }
    if (sp_score_init(&r->x.score, r->pd.ps.n39, &r->err) != 0) {
        sp_errorf("%s", r->err.msg);
        return -1;
    }
    r->have_score = 1;
    sp_fer_init(&r->x.fer39);
    sp_fer_init(&r->x.fer48);
    return 0;
}

/* --baseline: no network; every frame's posterior is the class prior. */
static void run_baseline(eval_run *r)
{
    const sp_dataset *ds = &r->ds;
    memset(&r->ev, 0, sizeof r->ev);
    long maxf = 1;
    for (size_t i = 0; i < ds->n; i++)
        if (ds->utt[i].nframes > maxf) maxf = ds->utt[i].nframes;
    const double *logprior = r->pd.priors.logprior;
    float *post = sp_xmalloc((size_t)maxf * SP_NCLASSES * sizeof *post);
    for (long f = 0; f < maxf; f++)
        for (int k = 0; k < SP_NCLASSES; k++) post[f * SP_NCLASSES + k] = (float)logprior[k];
    double loss = 0;
    for (size_t i = 0; i < ds->n && !r->x.failed; i++) {
        const sp_utterance *u = &ds->utt[i];
        for (long f = 0; f < u->nframes; f++)
            if (u->label[f] >= 0) {
                loss -= logprior[u->label[f]];
                r->ev.frames++;
            }
        on_utterance(&r->x, u, post);
    }
    free(post);
    r->ev.loss = r->ev.frames ? loss / (double)r->ev.frames : 0.0;
}

/* The model on every frame, the probes seeing each batch. 0, or -1 with
 * the message printed. */
static int run_model(eval_run *r)
{
    sp_cli_bar bar;
    const sp_eval_progress *progress = r->a->json ? NULL : sp_cli_bar_init(&bar, r->split_name);
    sp_probe_chain_eval_begin(r->chain, r->role, 0);
    if (sp_evaluate_with(&r->m, &r->ds, sp_probe_chain_eval_batch, r->chain, on_utterance, &r->x, progress,
                         &r->ev, &r->err) != 0) {
        sp_errorf("%s", r->err.msg);
        return -1;
    }
    if (sp_probe_chain_finish(r->chain, SP_PROBE_COMPLETED, 0, 0, &r->err) != 0) {
        sp_errorf("%s", r->err.msg);
        return -1;
    }
    return 0;
}

/* ---- the results */

static void print_json(const eval_run *r, double per, double fer39)
{
    const sp_edit_counts *t = &r->x.score.total;
    sp_json j;
    sp_json_init(&j, stdout, 1);
    sp_json_begin_object(&j, NULL);
    sp_json_string(&j, "model", r->a->baseline ? "baseline: class priors" : r->ckpt);
    sp_json_string(&j, "corpus", r->c.corpus);
    sp_json_string(&j, "split", r->split_name);
    sp_json_long(&j, "utterances", (long)r->ds.n);
    sp_json_long(&j, "frames", r->ev.frames);
    sp_json_double(&j, "loss", r->ev.loss);
    sp_json_double(&j, "fer", r->ev.fer);
    sp_json_double(&j, "fer39", fer39);
    sp_json_double(&j, "per", per);
    sp_json_long(&j, "reference_phones", t->ref);
    sp_json_long(&j, "substitutions", t->sub);
    sp_json_long(&j, "deletions", t->del);
    sp_json_long(&j, "insertions", t->ins);
    sp_json_long(&j, "min_duration", r->vo.min_dur);
    sp_json_double(&j, "insertion_penalty", r->vo.insertion_penalty);
    sp_json_double(&j, "lm_weight", r->vo.lm_weight);
    sp_json_double(&j, "prior_scale", r->vo.prior_scale);
    sp_json_string(&j, "confusion", r->conf_path);
    sp_json_end_object(&j);
    sp_json_finish(&j);
}

static void print_text(const eval_run *r, double per, double fer39)
{
    const sp_edit_counts *t = &r->x.score.total;
    const sp_viterbi_opts *vo = &r->vo;
    printf("model       %s\n", r->a->baseline ? "baseline: class priors, bigram LM and durations alone" : r->ckpt);
    printf("split       %s of '%s': %zu utterances, %ld frames\n", r->split_name, r->c.corpus, r->ds.n,
           r->ev.frames);
    printf("loss        %.4f\n", r->ev.loss);
    printf("FER         %.2f%% (48 classes)  %.2f%% (39)\n", 100 * r->ev.fer, 100 * fer39);
    printf("PER         %.2f%%  (39 phones; N=%ld  S=%ld  D=%ld  I=%ld; correct %.2f%%)\n", 100 * per, t->ref,
           t->sub, t->del, t->ins, t->ref ? 100.0 * (double)(t->ref - t->sub - t->del) / (double)t->ref : 0.0);
    printf("decoding    min duration %d frames, insertion penalty %g, LM weight %g, prior scale %g\n", vo->min_dur,
           vo->insertion_penalty, vo->lm_weight, vo->prior_scale);
    printf("confusion   %s\n", r->conf_path);
}

/* The confusion matrix, then the summary. 0, or -1 with the message
 * printed. */
static int report(eval_run *r)
{
    r->ev.fer = sp_fer_rate(&r->x.fer48);
    if (r->x.failed) {
        sp_errorf("%s", r->x.err.msg);
        return -1;
    }
    const eval_args *a = r->a;
    r->conf_path = a->confusion ? sp_xstrdup(a->confusion)
                                : sp_xasprintf("%s/eval-%s%s-confusion.tsv", r->rundir, r->split_name,
                                               a->baseline ? "-baseline" : "");
    if (sp_score_write_confusion(&r->x.score, &r->pd.ps, r->conf_path, &r->err) != 0) {
        sp_errorf("%s", r->err.msg);
        return -1;
    }
    double per = sp_score_per(&r->x.score), fer39 = sp_fer_rate(&r->x.fer39);
    if (a->json) print_json(r, per, fer39);
    else print_text(r, per, fer39);
    return 0;
}

static void eval_free(eval_run *r)
{
    if (r->have_score) sp_score_free(&r->x.score);
    if (r->have_pd) sp_phone_decoder_free(&r->pd);
    if (r->have_model) {
        if (sp_probe_chain_finish(r->chain, SP_PROBE_FAILED, 0, 0, &r->err) != 0) sp_errorf("%s", r->err.msg);
        sp_probe_chain_free(r->chain);
        if (r->have_ds) sp_dataset_free(&r->ds);
        free(r->x.seg);
        free(r->x.lab);
        free(r->x.hyp39);
        free(r->x.ref39);
        sp_model_free(&r->m);
    }
    free(r->conf_path);
    free(r->ckpt);
    free(r->rundir);
}

int cmd_eval(int argc, char **argv)
{
    eval_args a;
    int status = parse_args(&a, argc, argv);
    if (status >= 0) return status;

    eval_run r;
    memset(&r, 0, sizeof r);
    r.a = &a;
    int ok = load_model(&r) == 0 && open_probes(&r) == 0 && load_data(&r) == 0;
    if (ok && a.baseline) run_baseline(&r);
    else if (ok) ok = run_model(&r) == 0;
    ok = ok && report(&r) == 0;
    eval_free(&r);
    return ok ? SP_EXIT_OK : SP_EXIT_FAIL;
}
