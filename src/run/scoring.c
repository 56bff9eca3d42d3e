/* scoring.c - see scoring.h. */
#include "config.h"
#include "run/scoring.h"
#include "corpus/timit.h"
#include "base/diag.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void sp_scoring_init(sp_scoring *s, sp_model *m, const sp_scoring_opts *o)
{
    memset(s, 0, sizeof *s);
    s->m = m;
    s->c = m->conf;
    sp_set_threads(s->c.threads);
    if (o->corpus) snprintf(s->c.corpus, sizeof s->c.corpus, "%s", o->corpus);
    snprintf(s->split, sizeof s->split, "%s", o->split ? o->split : s->c.test_split);
    s->role = !strcmp(s->split, "dev") ? SP_PROBE_DEV : SP_PROBE_TEST;
    sp_viterbi_opts_default(&s->vo);
    s->vo.min_dur = o->min_dur > 0 ? o->min_dur : s->c.min_duration;
    s->vo.insertion_penalty = isnan(o->ins) ? s->c.insertion_penalty : o->ins;
    s->vo.lm_weight = isnan(o->lmw) ? s->c.lm_weight : o->lmw;
    s->vo.prior_scale = isnan(o->prs) ? s->c.prior_scale : o->prs;
}

/* The config whose corpus gives the priors and the phone LM: the
 * evaluated corpus's training split when it has one (a noisy copy of the
 * whole tree), else the model's own training corpus (a test-only tree). */
static const sp_conf *lm_conf(const sp_scoring *s)
{
    int train_in_test = !strcmp(s->c.train_split, "dev") || !strcmp(s->c.train_split, "core") ||
                        !strcmp(s->c.train_split, "test");
    if (train_in_test || sp_corpus_has_part(s->c.corpus, "TRAIN")) return &s->c;
    return &s->m->conf;
}

int sp_scoring_load(sp_scoring *s, sp_error *err)
{
    if (sp_phone_decoder_init(&s->pd, lm_conf(s), &s->vo, err) != 0) return -1;
    s->have_pd = 1;
    sp_diag d;
    sp_diag_init(&d, 0);
    d.echo = 1;
    int rc = sp_dataset_load(&s->ds, s->c.corpus, sp_split_parse(s->split), s->c.include_sa, 0, &s->pd.ps, &d, err);
    sp_diag_free(&d);
    if (rc != 0) return -1;
    s->have_ds = 1;
    return 0;
}

/* Zero counts for a pass. */
static int reset(sp_scoring *s, sp_error *err)
{
    if (s->have_score) sp_score_free(&s->score);
    s->have_score = 0;
    if (sp_score_init(&s->score, s->pd.ps.n39, err) != 0) return -1;
    s->have_score = 1;
    sp_fer_init(&s->fer39);
    sp_fer_init(&s->fer48);
    memset(&s->ev, 0, sizeof s->ev);
    s->failed = 0;
    return 0;
}

/* An utterance's frame log posteriors [T][48]: its frames counted (48 and
 * folded to 39), its decoding folded and aligned with the reference. */
static void on_utterance(void *ctx, const sp_utterance *u, const float *logp)
{
    sp_scoring *s = ctx;
    if (s->failed) return;
    size_t T = (size_t)u->nframes, need = T > u->nphones ? T : u->nphones;
    if (need + 1 > s->cap) {
        s->cap = 2 * need + 1;
        s->seg = sp_xrealloc(s->seg, s->cap * sizeof *s->seg);
        s->lab = sp_xrealloc(s->lab, s->cap * sizeof *s->lab);
        s->hyp39 = sp_xrealloc(s->hyp39, s->cap * sizeof *s->hyp39);
        s->ref39 = sp_xrealloc(s->ref39, s->cap * sizeof *s->ref39);
    }
    const sp_phoneset *ps = &s->pd.ps;
    for (size_t f = 0; f < T; f++) s->lab[f] = u->label[f]; /* 48-set; sp_fer_add folds both sides */
    if (sp_fer_add(&s->fer39, logp, T, ps->n48, s->lab, ps->fold48, &s->err) != 0 ||
        sp_fer_add(&s->fer48, logp, T, ps->n48, s->lab, NULL, &s->err) != 0)
        goto bad;
    size_t nseg = 0;
    if (sp_viterbi_decode(&s->pd.vit, logp, T, s->seg, &nseg, NULL, &s->err) != 0) goto bad;
    size_t nh = sp_score_fold_segs(ps, s->seg, nseg, s->hyp39);
    size_t nr = sp_score_fold48(ps, u->phones48, u->nphones, s->ref39);
    if (sp_score_add(&s->score, s->ref39, nr, s->hyp39, nh, NULL, &s->err) != 0) goto bad;
    return;
bad:
    s->failed = 1;
}

/* A failed decode or score inside the pass: its message into err. */
static int pass_failed(const sp_scoring *s, sp_error *err)
{
    return s->failed ? sp_fail(err, "%s", s->err.msg) : 0;
}

int sp_scoring_run(sp_scoring *s, sp_probe_chain *ch, const char *run_dir, const sp_eval_progress *progress,
                   sp_error *err)
{
    if (reset(s, err) != 0) return -1;
    sp_probe_start pstart = { .run_dir = run_dir, .model = s->m, .ps = &s->pd.ps };
    pstart.data[s->role] = &s->ds;
    pstart.split[s->role] = s->split;
    int rc = sp_probe_chain_start(ch, &pstart, err);
    if (rc == 0) {
        sp_probe_chain_eval_begin(ch, s->role, 0);
        rc = sp_evaluate_with(s->m, &s->ds, sp_probe_chain_eval_batch, ch, on_utterance, s, progress, &s->ev, err);
    }
    if (rc == 0) rc = pass_failed(s, err);
    sp_error ferr;
    if (sp_probe_chain_finish(ch, rc == 0 ? SP_PROBE_COMPLETED : SP_PROBE_FAILED, 0, 0, &ferr) != 0 && rc == 0) {
        *err = ferr;
        rc = -1;
    }
    return rc;
}

int sp_scoring_run_baseline(sp_scoring *s, sp_error *err)
{
    if (reset(s, err) != 0) return -1;
    const sp_dataset *ds = &s->ds;
    long maxf = 1;
    for (size_t i = 0; i < ds->n; i++)
        if (ds->utt[i].nframes > maxf) maxf = ds->utt[i].nframes;
    const double *logprior = s->pd.priors.logprior;
    float *post = sp_xmalloc((size_t)maxf * SP_NCLASSES * sizeof *post);
    for (long f = 0; f < maxf; f++)
        for (int k = 0; k < SP_NCLASSES; k++) post[f * SP_NCLASSES + k] = (float)logprior[k];
    double loss = 0;
    for (size_t i = 0; i < ds->n && !s->failed; i++) {
        const sp_utterance *u = &ds->utt[i];
        for (long f = 0; f < u->nframes; f++)
            if (u->label[f] >= 0) {
                loss -= logprior[u->label[f]];
                s->ev.frames++;
            }
        on_utterance(s, u, post);
    }
    free(post);
    s->ev.loss = s->ev.frames ? loss / (double)s->ev.frames : 0.0;
    return pass_failed(s, err);
}

void sp_scoring_get(const sp_scoring *s, sp_scores *out)
{
    memset(out, 0, sizeof *out);
    out->per = sp_score_per(&s->score);
    out->fer = sp_fer_rate(&s->fer48);
    out->fer39 = sp_fer_rate(&s->fer39);
    out->loss = s->ev.loss;
    out->frames = s->ev.frames;
    out->utterances = s->have_ds ? (long)s->ds.n : 0;
    out->total = s->score.total;
}

void sp_scoring_free(sp_scoring *s)
{
    if (s->have_score) sp_score_free(&s->score);
    if (s->have_pd) sp_phone_decoder_free(&s->pd);
    if (s->have_ds) sp_dataset_free(&s->ds);
    free(s->seg);
    free(s->lab);
    free(s->hyp39);
    free(s->ref39);
    memset(s, 0, sizeof *s);
}
