/* cmd_eval.c - `sincprobe eval`: frame and phone error rates of a model on
 * a split: FER over every 10 ms frame, and PER after Viterbi decoding
 * (posteriors over class priors, a bigram phone LM from the training
 * transcripts, a minimum duration and an insertion penalty), scored on 39
 * phones with a Levenshtein alignment (S, D, I) and a confusion matrix. */
#include "config.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "cli/conditions.h"
#include "run/scoring.h"
#include "base/json.h"
#include "probe/probe_host.h"
#include "corpus/timit.h"
#include "base/util.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
    "sincprobe eval MODEL [--split S] [--corpus DIR] [--json] [--min-duration N] [--insertion-penalty X] [--lm-weight X] [--prior-scale X] [--confusion FILE] [--baseline] [--probes CONFIG | --no-probes] [--noise SPEC]... [--ladspa SPEC]...",
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
    "  --no-probes            run none of the model's probes (--noise still applies)",
    "  --noise SPEC           add noise to the evaluated audio: the noise probe's options as",
    "                         key=value pairs, e.g. type=babble,snr_db=5 (repeatable; each runs",
    "                         after the probes above, on the evaluated split, scope utterance,",
    "                         seed 1, 2, ... unless SPEC says otherwise)",
    "  --ladspa SPEC          run the evaluated audio through a LADSPA plugin: the ladspa probe's",
    "                         options as key=value pairs, controls separated by ';', e.g.",
    "                         plugin=gsm_1215,controls=Number of passes=2 (repeatable; after",
    "                         the --noise probes, with the same defaults)",
    NULL,
};

/* ---- the arguments */

typedef struct {
    const char *model, *confusion, *probes_conf;
    int json, baseline, no_probes;
    sp_scoring_opts so;         /* split, corpus, decoding overrides */
    sp_opt_list noise;          /* --noise SPECs */
    sp_opt_list ladspa;         /* --ladspa SPECs */
    const char **specs;         /* the --noise SPECs, then "probe=ladspa," + each --ladspa SPEC */
    size_t nspecs;
} eval_args;

static void free_args(eval_args *a)
{
    for (size_t i = a->noise.n; i < a->nspecs; i++) free((char *)a->specs[i]);
    free(a->specs);
    sp_opt_list_free(&a->noise);
    sp_opt_list_free(&a->ladspa);
}

/* a->specs: the chain's SPECs in chain order, each checked. -1, or the
 * exit status of a usage error. */
static int gather_specs(eval_args *a)
{
    a->specs = sp_xcalloc(a->noise.n + a->ladspa.n + 1, sizeof *a->specs);
    for (size_t i = 0; i < a->noise.n; i++) a->specs[a->nspecs++] = a->noise.v[i];
    for (size_t i = 0; i < a->ladspa.n; i++) a->specs[a->nspecs++] = sp_xasprintf("probe=ladspa,%s", a->ladspa.v[i]);
    for (size_t i = 0; i < a->nspecs; i++) {
        sp_error err;
        int is_noise = i < a->noise.n;
        const char *given = is_noise ? a->noise.v[i] : a->ladspa.v[i - a->noise.n];
        if (sp_noise_spec_check(a->specs[i], &err) != 0)
            return sp_usage_error(usage, "%s '%s': %s", is_noise ? "--noise" : "--ladspa", given, err.msg);
    }
    return -1;
}

/* -1 to go on, or the exit status. */
static int parse_args(eval_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->so.ins = a->so.lmw = a->so.prs = NAN;
    sp_opt opts[] = {
        SP_OPT_STRING("--split", &a->so.split),
        SP_OPT_STRING("--corpus", &a->so.corpus),
        SP_OPT_FLAG("--json", &a->json),
        SP_OPT_INT("--min-duration", &a->so.min_dur, 1, 100),
        SP_OPT_NUMBER("--insertion-penalty", &a->so.ins),
        SP_OPT_NUMBER("--lm-weight", &a->so.lmw),
        SP_OPT_NUMBER("--prior-scale", &a->so.prs),
        SP_OPT_STRING("--confusion", &a->confusion),
        SP_OPT_FLAG("--baseline", &a->baseline),
        SP_OPT_STRING("--probes", &a->probes_conf),
        SP_OPT_FLAG("--no-probes", &a->no_probes),
        SP_OPT_LIST("--noise", &a->noise),
        SP_OPT_LIST("--ladspa", &a->ladspa),
        SP_OPT_END,
    };
    int status, nargs = sp_opt_parse(usage, opts, 1, argc, argv, &status);
    if (nargs < 0) return status;
    a->model = nargs ? argv[1] : NULL;
    if (!a->model) return sp_usage_error(usage, "a MODEL (checkpoint or run directory) is required");
    if (a->probes_conf && a->no_probes)
        return sp_usage_error(usage, "'--probes' and '--no-probes' do not go together");
    if (a->so.split && sp_split_parse(a->so.split) < 0)
        return sp_usage_error(usage, "unknown split '%s': expected dev, core, test, train or all", a->so.split);
    if (a->baseline && (a->noise.n || a->ladspa.n))
        return sp_usage_error(usage, "'--baseline' and '%s' do not go together", a->noise.n ? "--noise" : "--ladspa");
    return gather_specs(a);
}

/* ---- one evaluation: what it holds and frees */

typedef struct {
    const eval_args *a;
    char *ckpt, *rundir;
    sp_model m;
    sp_train_pos pos;            /* the checkpoint's: epochs done, steps into the next */
    int have_model;
    sp_scoring s;                /* the model's config with the overrides, the split, the counts */
    sp_probe_chain *chain;
    char *conf_path;             /* where the confusion matrix went; NULL: not written */
    char *tag;                   /* this evaluation's name in the run directory (output_tag) */
    sp_error err;
} eval_run;

/* ---- the outputs' names */

/* FNV-1a, 32 bits: a short, stable name for a set of conditions. */
static uint32_t fnv1a(const char *s)
{
    uint32_t h = 2166136261u;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
    return h;
}

/* Append "key=value;" to *s (value NULL: nothing). */
static void cond_add(char **s, const char *key, const char *value)
{
    if (!value) return;
    char *t = sp_xasprintf("%s%s=%s;", *s, key, value);
    free(*s);
    *s = t;
}

static void cond_add_number(char **s, const char *key, double x)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.17g", x);
    cond_add(s, key, isnan(x) ? NULL : buf);
}

/* This evaluation's name among the run directory's outputs: SPLIT, then
 * "-baseline", "-STEM" for a checkpoint other than best.ckpt, and "-c"
 * with 8 hex digits naming the conditions (--corpus, --noise, --ladspa,
 * --probes, --no-probes, the decoding overrides); so evaluations of other
 * checkpoints or conditions keep their own files, and the plain
 * evaluation of best.ckpt keeps the name "SPLIT". */
static char *output_tag(const eval_run *r)
{
    const eval_args *a = r->a;
    char *cond = sp_xstrdup("");
    cond_add(&cond, "corpus", a->so.corpus);
    for (size_t i = 0; i < a->noise.n; i++) cond_add(&cond, "noise", a->noise.v[i]);
    for (size_t i = 0; i < a->ladspa.n; i++) cond_add(&cond, "ladspa", a->ladspa.v[i]);
    cond_add(&cond, "probes", a->probes_conf);
    cond_add(&cond, "no-probes", a->no_probes ? "yes" : NULL);
    char md[16];
    snprintf(md, sizeof md, "%d", a->so.min_dur);
    cond_add(&cond, "min-duration", a->so.min_dur ? md : NULL);
    cond_add_number(&cond, "insertion-penalty", a->so.ins);
    cond_add_number(&cond, "lm-weight", a->so.lmw);
    cond_add_number(&cond, "prior-scale", a->so.prs);

    const char *base = strrchr(r->ckpt, '/');
    char *stem = sp_xstrdup(base ? base + 1 : r->ckpt);
    if (sp_endswith_ci(stem, ".ckpt")) stem[strlen(stem) - 5] = '\0';
    int other = !a->baseline && strcmp(stem, "best") != 0;
    char hash[16] = "";
    if (*cond) snprintf(hash, sizeof hash, "-c%08x", (unsigned)fnv1a(cond));
    char *tag = sp_xasprintf("%s%s%s%s%s", r->s.split, a->baseline ? "-baseline" : "", other ? "-" : "",
                             other ? stem : "", hash);
    free(stem);
    free(cond);
    return tag;
}

/* ---- probe chain (begin): the model's [probe ID] sections, or those of
 * --probes CONFIG, then a noise probe per --noise; refused before any
 * work. 0, or the exit status with the message printed: a usage error
 * when --probes CONFIG is refused, else a failure. */
static int open_probes(eval_run *r)
{
    const eval_args *a = r->a;
    if (a->baseline) return 0;
    sp_diag pdg;
    sp_diag_init(&pdg, 0);
    if (a->probes_conf) {
        sp_conf *pc = sp_xmalloc(sizeof *pc);
        if (sp_conf_load(pc, a->probes_conf, &pdg) == 0) r->chain = sp_probe_chain_from_conf(pc, &pdg);
        free(pc);
    } else if (!a->no_probes) {
        r->chain = sp_probe_chain_from_conf(&r->s.c, &pdg);
    }
    int bad = (a->probes_conf || !a->no_probes) && !r->chain ? sp_probe_diag_fail(&pdg, &r->err) : 0;
    sp_diag_free(&pdg);
    if (!bad && sp_probe_chain_check_layers(r->chain, &r->m, &r->err) != 0) bad = -1;
    if (!bad && a->nspecs && !(r->chain = sp_noise_chain(r->chain, a->specs, a->nspecs, r->s.role, &r->err)))
        bad = -1;
    char *dir = sp_xasprintf("%s/eval-%s/probes", r->rundir, r->tag);
    int rc = 0;
    if (bad || sp_probe_chain_create(r->chain, SP_PROBE_MODE_EVAL, dir, (uint64_t)r->s.c.seed, &r->err) != 0) {
        sp_errorf("%s", r->err.msg);
        rc = a->probes_conf ? SP_EXIT_USAGE : SP_EXIT_FAIL;
    }
    free(dir);
    return rc;
}
/* ---- probe chain (end) */

/* The model on every frame (or the baseline), the probes seeing each
 * batch. 0, or -1 with the message printed. */
static int run_model(eval_run *r)
{
    if (sp_scoring_load(&r->s, &r->err) != 0) {
        sp_errorf("%s", r->err.msg);
        return -1;
    }
    int rc;
    if (r->a->baseline) {
        rc = sp_scoring_run_baseline(&r->s, &r->err);
    } else {
        sp_cli_bar bar;
        const sp_eval_progress *progress = sp_cli_bar_init(&bar, r->s.split); /* on stderr, beside --json too */
        rc = sp_scoring_run(&r->s, r->chain, r->rundir, progress, &r->err);
    }
    if (rc != 0) sp_errorf("%s", r->err.msg);
    return rc;
}

/* ---- the results */

/* Where in its training the checkpoint was saved: "after epoch E of N",
 * and ", step S of epoch E+1" when saved in the middle of an epoch. */
static const char *checkpoint_at(const eval_run *r, char *buf, size_t size)
{
    int n = snprintf(buf, size, "after epoch %d of %d", r->pos.epoch, r->m.conf.epochs);
    if (r->pos.step > 0 && n > 0 && (size_t)n < size)
        snprintf(buf + n, size - (size_t)n, ", step %d of epoch %d", r->pos.step, r->pos.epoch + 1);
    return buf;
}

/* The run's last.ckpt position when it is not the checkpoint evaluated:
 * 0, or -1 when there is none to read. */
static int last_pos(const eval_run *r, sp_train_pos *pos)
{
    if (!r->rundir) return -1;
    char *last = sp_xasprintf("%s/checkpoints/last.ckpt", r->rundir);
    int rc = -1;
    if (sp_is_file(last) && strcmp(last, r->ckpt) != 0) {
        sp_model m;
        sp_error err;
        if (sp_checkpoint_load(last, &m, 1, NULL, pos, &err) == 0) {
            sp_model_free(&m);
            rc = 0;
        }
    }
    free(last);
    return rc;
}

/* An interrupted run (its last checkpoint saved mid-epoch, or before the
 * last epoch) is pointed out on stderr, with the checkpoint evaluated. */
static void note_checkpoint(const eval_run *r)
{
    if (r->a->baseline) return;
    sp_train_pos lp = r->pos;
    if (last_pos(r, &lp) != 0 && !sp_endswith_ci(r->ckpt, "last.ckpt") && r->pos.step == 0) return;
    if (lp.step == 0 && lp.epoch >= r->m.conf.epochs) return;
    if (lp.global_step == 0) return; /* never trained here: a `sincprobe import` */
    char at[128];
    sp_log_note("'%s' is from an interrupted run (stopped at epoch %d, step %d): evaluating the checkpoint %s",
                r->ckpt, lp.epoch + 1, lp.step, checkpoint_at(r, at, sizeof at));
}

static void print_json(const eval_run *r, const sp_scores *sc)
{
    const sp_edit_counts *t = &sc->total;
    const sp_viterbi_opts *vo = &r->s.vo;
    sp_json j;
    sp_json_init(&j, stdout, 1);
    sp_json_begin_object(&j, NULL);
    sp_json_string(&j, "model", r->a->baseline ? "baseline: class priors" : r->ckpt);
    if (!r->a->baseline) {
        sp_json_long(&j, "epoch", r->pos.epoch);
        sp_json_long(&j, "step", r->pos.step);
    }
    /* the probes applied, in order: the model's or --probes', then the
     * conditions' (--noise, --ladspa), as "ID (identifier version), ..." */
    char *probes = sp_probe_chain_describe(r->chain);
    sp_json_string(&j, "probes", probes);
    free(probes);
    sp_json_string(&j, "corpus", r->s.c.corpus);
    sp_json_string(&j, "split", r->s.split);
    sp_json_long(&j, "utterances", sc->utterances);
    sp_json_long(&j, "frames", sc->frames);
    sp_json_double(&j, "loss", sc->loss);
    sp_json_double(&j, "fer", sc->fer);
    sp_json_double(&j, "fer39", sc->fer39);
    sp_json_double(&j, "per", sc->per);
    sp_json_long(&j, "reference_phones", t->ref);
    sp_json_long(&j, "substitutions", t->sub);
    sp_json_long(&j, "deletions", t->del);
    sp_json_long(&j, "insertions", t->ins);
    sp_json_long(&j, "min_duration", vo->min_dur);
    sp_json_double(&j, "insertion_penalty", vo->insertion_penalty);
    sp_json_double(&j, "lm_weight", vo->lm_weight);
    sp_json_double(&j, "prior_scale", vo->prior_scale);
    sp_json_begin_array(&j, "noise");
    for (size_t i = 0; i < r->a->noise.n; i++) sp_json_string(&j, NULL, r->a->noise.v[i]);
    sp_json_end_array(&j);
    sp_json_begin_array(&j, "ladspa");
    for (size_t i = 0; i < r->a->ladspa.n; i++) sp_json_string(&j, NULL, r->a->ladspa.v[i]);
    sp_json_end_array(&j);
    if (r->conf_path) sp_json_string(&j, "confusion", r->conf_path);
    else sp_json_double(&j, "confusion", NAN); /* null */
    sp_json_end_object(&j);
    sp_json_finish(&j);
}

static void print_text(const eval_run *r, const sp_scores *sc)
{
    const sp_edit_counts *t = &sc->total;
    const sp_viterbi_opts *vo = &r->s.vo;
    printf("model       %s\n", r->a->baseline ? "baseline: class priors, bigram LM and durations alone" : r->ckpt);
    if (!r->a->baseline) {
        char at[128];
        printf("checkpoint  %s\n", checkpoint_at(r, at, sizeof at));
    }
    printf("split       %s of '%s': %ld utterances, %ld frames\n", r->s.split, r->s.c.corpus, sc->utterances,
           sc->frames);
    for (size_t i = 0; i < r->a->noise.n; i++) printf("noise       %s\n", r->a->noise.v[i]);
    for (size_t i = 0; i < r->a->ladspa.n; i++) printf("ladspa      %s\n", r->a->ladspa.v[i]);
    printf("loss        %.4f\n", sc->loss);
    printf("FER         %.2f%% (48 classes)  %.2f%% (39)\n", 100 * sc->fer, 100 * sc->fer39);
    printf("PER         %.2f%%  (39 phones; N=%ld  S=%ld  D=%ld  I=%ld; correct %.2f%%)\n", 100 * sc->per, t->ref,
           t->sub, t->del, t->ins, t->ref ? 100.0 * (double)(t->ref - t->sub - t->del) / (double)t->ref : 0.0);
    printf("decoding    min duration %d frames, insertion penalty %g, LM weight %g, prior scale %g\n", vo->min_dur,
           vo->insertion_penalty, vo->lm_weight, vo->prior_scale);
    printf("confusion   %s\n", r->conf_path ? r->conf_path : "not written");
}

/* The confusion matrix, then the summary. 0, or -1 with the message
 * printed. */
static int report(eval_run *r)
{
    const eval_args *a = r->a;
    r->conf_path = a->confusion ? sp_xstrdup(a->confusion) : sp_xasprintf("%s/eval-%s-confusion.tsv", r->rundir, r->tag);
    if (sp_score_write_confusion(&r->s.score, &r->s.pd.ps, r->conf_path, &r->err) != 0) {
        if (a->confusion) {
            sp_errorf("%s", r->err.msg);
            return -1;
        }
        /* a run directory that cannot be written (read-only, full): the
         * results still count; the matrix goes where --confusion says */
        sp_log_warn("confusion matrix not written (%s); give --confusion FILE to write it elsewhere", r->err.msg);
        free(r->conf_path);
        r->conf_path = NULL;
    }
    sp_scores sc;
    sp_scoring_get(&r->s, &sc);
    if (a->json) print_json(r, &sc);
    else print_text(r, &sc);
    return 0;
}

static void eval_free(eval_run *r)
{
    sp_probe_chain_free(r->chain);
    sp_scoring_free(&r->s);
    if (r->have_model) sp_model_free(&r->m);
    free(r->conf_path);
    free(r->tag);
    free(r->ckpt);
    free(r->rundir);
}

int cmd_eval(int argc, char **argv)
{
    eval_args a;
    int status = parse_args(&a, argc, argv);
    if (status >= 0) {
        free_args(&a);
        return status;
    }
    eval_run r;
    memset(&r, 0, sizeof r);
    r.a = &a;
    int ok = sp_cli_load_model_at(a.model, 256, &r.m, &r.ckpt, &r.rundir, &r.pos) == 0;
    if (ok) {
        r.have_model = 1;
        note_checkpoint(&r);
        sp_scoring_init(&r.s, &r.m, &a.so);
        r.tag = output_tag(&r);
    }
    int probes = ok ? open_probes(&r) : SP_EXIT_FAIL;
    ok = ok && probes == 0 && run_model(&r) == 0 && report(&r) == 0;
    /* --probes CONFIG with an option's value a probe refused in on_start */
    if (!ok && !probes && a.probes_conf && sp_probe_chain_refused(r.chain)) probes = SP_EXIT_USAGE;
    eval_free(&r);
    free_args(&a);
    return ok ? SP_EXIT_OK : probes ? probes : SP_EXIT_FAIL;
}
