/* cmd_eval.c - `sincprobe eval`: frame and phone error rates of a model on
 * a split: FER over every 10 ms frame, and PER after Viterbi decoding
 * (posteriors over class priors, a bigram phone LM from the training
 * transcripts, a minimum duration and an insertion penalty), scored on 39
 * phones with a Levenshtein alignment (S, D, I) and a confusion matrix. */
#include "config.h"
#include "nn/checkpoint.h"
#include "cli/cli.h"
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

static int parse_double(const char *s, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v)) return -1;
    *out = v;
    return 0;
}

int cmd_eval(int argc, char **argv)
{
    const char *model = NULL, *split_name = NULL, *corpus = NULL, *confusion = NULL, *probes_conf = NULL;
    int json = 0, baseline = 0, no_probes = 0;
    long min_dur = -1;
    double ins = NAN, lmw = NAN, prs = NAN;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (sp_is_help(a)) {
            sp_usage_print(stdout, usage);
            return SP_EXIT_OK;
        } else if (!strcmp(a, "--json")) {
            json = 1;
        } else if (!strcmp(a, "--baseline")) {
            baseline = 1;
        } else if (!strcmp(a, "--no-probes")) {
            no_probes = 1;
        } else if (!strcmp(a, "--probes")) {
            if (++i >= argc) return sp_usage_error(usage, "'%s' needs a value", a);
            probes_conf = argv[i];
        } else if (!strcmp(a, "--split") || !strcmp(a, "--corpus") || !strcmp(a, "--confusion") ||
                   !strcmp(a, "--min-duration") || !strcmp(a, "--insertion-penalty") || !strcmp(a, "--lm-weight") ||
                   !strcmp(a, "--prior-scale")) {
            if (++i >= argc) return sp_usage_error(usage, "'%s' needs a value", a);
            const char *v = argv[i];
            if (!strcmp(a, "--split")) split_name = v;
            else if (!strcmp(a, "--corpus")) corpus = v;
            else if (!strcmp(a, "--confusion")) confusion = v;
            else if (!strcmp(a, "--min-duration")) {
                if (sp_parse_long(v, 1, 100, &min_dur) != 0)
                    return sp_usage_error(usage, "'--min-duration' needs an integer in [1, 100], got '%s'", v);
            } else {
                double x;
                if (parse_double(v, &x) != 0) return sp_usage_error(usage, "'%s' needs a number, got '%s'", a, v);
                if (!strcmp(a, "--insertion-penalty")) ins = x;
                else if (!strcmp(a, "--lm-weight")) lmw = x;
                else prs = x;
            }
        } else if (a[0] == '-') {
            return sp_usage_error(usage, "unknown option '%s'", a);
        } else if (!model) {
            model = a;
        } else {
            return sp_usage_error(usage, "unexpected argument '%s'", a);
        }
    }
    if (!model) return sp_usage_error(usage, "a MODEL (checkpoint or run directory) is required");
    if (probes_conf && no_probes) return sp_usage_error(usage, "'--probes' and '--no-probes' do not go together");
    if (split_name && sp_split_parse(split_name) < 0)
        return sp_usage_error(usage, "unknown split '%s': expected dev, core, test, train or all", split_name);

    sp_error err;
    char *rundir = NULL;
    char *ckpt = sp_resolve_model(model, &rundir, &err);
    if (!ckpt) {
        sp_errorf("%s", err.msg);
        return SP_EXIT_FAIL;
    }
    int rc = SP_EXIT_FAIL;
    sp_model m;
    if (sp_checkpoint_load(ckpt, &m, 256, NULL, NULL, &err) != 0) {
        sp_errorf("%s", err.msg);
        free(ckpt);
        free(rundir);
        return SP_EXIT_FAIL;
    }
    sp_conf c = m.conf;
    sp_set_threads(c.threads);
    if (corpus) snprintf(c.corpus, sizeof c.corpus, "%s", corpus);
    if (!split_name) split_name = c.test_split;
    sp_viterbi_opts vo;
    sp_viterbi_opts_default(&vo);
    vo.min_dur = min_dur > 0 ? (int)min_dur : c.min_duration;
    vo.insertion_penalty = isnan(ins) ? c.insertion_penalty : ins;
    vo.lm_weight = isnan(lmw) ? c.lm_weight : lmw;
    vo.prior_scale = isnan(prs) ? c.prior_scale : prs;

    eval_ctx x;
    memset(&x, 0, sizeof x);
    sp_phone_decoder pd;
    sp_dataset ds;
    int have_ds = 0;
    /* ---- probe chain (begin): the model's [probe ID] sections, or those
     * of --probes CONFIG, on the evaluated chunks; refused before any work */
    sp_probe_chain *chain = NULL;
    sp_probe_role role = !strcmp(split_name, "dev") ? SP_PROBE_DEV : SP_PROBE_TEST;
    if (!baseline && !no_probes) {
        sp_diag pdg;
        sp_diag_init(&pdg, 0);
        if (probes_conf) {
            sp_conf *pc = sp_xmalloc(sizeof *pc);
            if (sp_conf_load(pc, probes_conf, &pdg) == 0) chain = sp_probe_chain_from_conf(pc, &pdg);
            free(pc);
        } else {
            chain = sp_probe_chain_from_conf(&c, &pdg);
        }
        int bad = !chain ? sp_probe_diag_fail(&pdg, &err) : 0;
        sp_diag_free(&pdg);
        char *dir = sp_xasprintf("%s/eval-%s/probes", rundir, split_name);
        if (bad || sp_probe_chain_create(chain, SP_PROBE_MODE_EVAL, dir, (uint64_t)c.seed, &err) != 0) {
            sp_errorf("%s", err.msg);
            free(dir);
            goto out;
        }
        free(dir);
    }
    /* ---- probe chain (end) */
    if (sp_phone_decoder_init(&pd, &c, &vo, &err) != 0) {
        sp_errorf("%s", err.msg);
        goto out;
    }
    x.pd = &pd;
    sp_diag d;
    sp_diag_init(&d, 0);
    d.echo = 1;
    int lrc = sp_dataset_load(&ds, c.corpus, sp_split_parse(split_name), c.include_sa, 0, &pd.ps, &d, &err);
    sp_diag_free(&d);
    if (lrc != 0) {
        sp_errorf("%s", err.msg);
        goto out_pd;
    }
    have_ds = 1;
    sp_probe_start pstart = { .run_dir = rundir, .model = &m, .ps = &pd.ps };
    pstart.data[role] = &ds;
    pstart.split[role] = split_name;
    if (sp_probe_chain_start(chain, &pstart, &err) != 0) {
        sp_errorf("%s", err.msg);
        goto out_pd;
    }
    if (sp_score_init(&x.score, pd.ps.n39, &err) != 0) {
        sp_errorf("%s", err.msg);
        goto out_pd;
    }
    sp_fer_init(&x.fer39);
    sp_fer_init(&x.fer48);
    sp_eval_result ev;
    if (baseline) {
        /* No network: every frame's posterior is the class prior. */
        memset(&ev, 0, sizeof ev);
        long maxf = 1;
        for (size_t i = 0; i < ds.n; i++)
            if (ds.utt[i].nframes > maxf) maxf = ds.utt[i].nframes;
        float *post = sp_xmalloc((size_t)maxf * SP_NCLASSES * sizeof *post);
        for (long f = 0; f < maxf; f++)
            for (int k = 0; k < SP_NCLASSES; k++) post[f * SP_NCLASSES + k] = (float)pd.priors.logprior[k];
        double loss = 0;
        for (size_t i = 0; i < ds.n && !x.failed; i++) {
            const sp_utterance *u = &ds.utt[i];
            for (long f = 0; f < u->nframes; f++)
                if (u->label[f] >= 0) {
                    loss -= pd.priors.logprior[u->label[f]];
                    ev.frames++;
                }
            on_utterance(&x, u, post);
        }
        free(post);
        ev.loss = ev.frames ? loss / (double)ev.frames : 0.0;
    } else {
        sp_probe_chain_eval_begin(chain, role, 0);
        if (sp_evaluate_with(&m, &ds, sp_probe_chain_eval_batch, chain, on_utterance, &x, json ? NULL : split_name,
                             &ev, &err) != 0) {
            sp_errorf("%s", err.msg);
            goto out_score;
        }
        if (sp_probe_chain_finish(chain, SP_PROBE_COMPLETED, 0, 0, &err) != 0) {
            sp_errorf("%s", err.msg);
            goto out_score;
        }
    }
    ev.fer = sp_fer_rate(&x.fer48);
    if (x.failed) {
        sp_errorf("%s", x.err.msg);
        goto out_score;
    }
    char *conf_path = confusion ? sp_xstrdup(confusion)
                                : sp_xasprintf("%s/eval-%s%s-confusion.tsv", rundir, split_name, baseline ? "-baseline" : "");
    if (sp_score_write_confusion(&x.score, &pd.ps, conf_path, &err) != 0) {
        sp_errorf("%s", err.msg);
        free(conf_path);
        goto out_score;
    }
    const sp_edit_counts *t = &x.score.total;
    double per = sp_score_per(&x.score), fer39 = sp_fer_rate(&x.fer39);
    if (json) {
        sp_json j;
        sp_json_init(&j, stdout, 1);
        sp_json_begin_object(&j, NULL);
        sp_json_string(&j, "model", baseline ? "baseline: class priors" : ckpt);
        sp_json_string(&j, "corpus", c.corpus);
        sp_json_string(&j, "split", split_name);
        sp_json_long(&j, "utterances", (long)ds.n);
        sp_json_long(&j, "frames", ev.frames);
        sp_json_double(&j, "loss", ev.loss);
        sp_json_double(&j, "fer", ev.fer);
        sp_json_double(&j, "fer39", fer39);
        sp_json_double(&j, "per", per);
        sp_json_long(&j, "reference_phones", t->ref);
        sp_json_long(&j, "substitutions", t->sub);
        sp_json_long(&j, "deletions", t->del);
        sp_json_long(&j, "insertions", t->ins);
        sp_json_long(&j, "min_duration", vo.min_dur);
        sp_json_double(&j, "insertion_penalty", vo.insertion_penalty);
        sp_json_double(&j, "lm_weight", vo.lm_weight);
        sp_json_double(&j, "prior_scale", vo.prior_scale);
        sp_json_string(&j, "confusion", conf_path);
        sp_json_end_object(&j);
        sp_json_finish(&j);
    } else {
        printf("model       %s\n", baseline ? "baseline: class priors, bigram LM and durations alone" : ckpt);
        printf("split       %s of '%s': %zu utterances, %ld frames\n", split_name, c.corpus, ds.n, ev.frames);
        printf("loss        %.4f\n", ev.loss);
        printf("FER         %.2f%% (48 classes)  %.2f%% (39)\n", 100 * ev.fer, 100 * fer39);
        printf("PER         %.2f%%  (39 phones; N=%ld  S=%ld  D=%ld  I=%ld; correct %.2f%%)\n", 100 * per, t->ref,
               t->sub, t->del, t->ins, t->ref ? 100.0 * (double)(t->ref - t->sub - t->del) / (double)t->ref : 0.0);
        printf("decoding    min duration %d frames, insertion penalty %g, LM weight %g, prior scale %g\n",
               vo.min_dur, vo.insertion_penalty, vo.lm_weight, vo.prior_scale);
        printf("confusion   %s\n", conf_path);
    }
    free(conf_path);
    rc = SP_EXIT_OK;
out_score:
    sp_score_free(&x.score);
out_pd:
    sp_phone_decoder_free(&pd);
out:
    if (sp_probe_chain_finish(chain, SP_PROBE_FAILED, 0, 0, &err) != 0) sp_errorf("%s", err.msg);
    sp_probe_chain_free(chain);
    if (have_ds) sp_dataset_free(&ds);
    free(x.seg);
    free(x.lab);
    free(x.hyp39);
    free(x.ref39);
    sp_model_free(&m);
    free(ckpt);
    free(rundir);
    return rc;
}
