/* hooks.c - the chain in a run (probe_host.h): on_start with the run's
 * datasets and the probe set, on_batch for training and evaluation
 * batches, on_gradients, on_epoch_end at epoch ends and at the steps
 * probes asked for, on_finish; and `sincprobe analyse`, one probe on one
 * matrix. */
#include "config.h"
#include "probe/host_private.h"
#include "base/log.h"
#include "base/rng.h"
#include "base/util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * The run's data and the probe set
 * ---------------------------------------------------------------------- */

static void build_data(sp_probe_chain *ch, int role, const sp_dataset *ds, const char *split)
{
    ch->ds[role] = ds;
    ch->split[role] = split;
    if (!ds) return;
    ch->utt[role] = sp_xcalloc(ds->n ? ds->n : 1, sizeof *ch->utt[role]);
    for (size_t i = 0; i < ds->n; i++) {
        const sp_utterance *u = &ds->utt[i];
        sp_probe_utterance *p = &ch->utt[role][i];
        p->id = u->id;
        p->audio = u->audio;
        p->samples = u->n;
        p->labels = (const signed char *)u->label;
        p->frames = u->nframes;
    }
    ch->data[role].split = split;
    ch->data[role].utt = ch->utt[role];
    ch->data[role].n = ds->n;
    ch->run.data[role] = &ch->data[role];
}

/* The probe set: N labelled frames of the dev split (probeset.c). */
static void draw_probe_set(sp_probe_chain *ch, long want)
{
    const sp_dataset *dev = ch->ds[SP_PROBE_DEV];
    long n = sp_probe_set_draw(dev, want, ch->seed, 1, &ch->pset_utt, &ch->pset_frame);
    ch->pset_n = n;
    ch->pset_label = sp_xmalloc((size_t)(n ? n : 1) * sizeof *ch->pset_label);
    for (long i = 0; i < n; i++) ch->pset_label[i] = dev->utt[ch->pset_utt[i]].label[ch->pset_frame[i]];
}

/* ------------------------------------------------------------------------
 * Running
 * ---------------------------------------------------------------------- */

int sp_probe_chain_start(sp_probe_chain *ch, const sp_probe_start *s, sp_error *err)
{
    if (!ch || !ch->n) return 0;
    sp_model *m = s->model;
    ch->m = m;
    sp_probe_build_layers(ch);
    sp_probe_update_filters(ch, 0);
    for (int r = 0; r < SP_PROBE_NROLES; r++) build_data(ch, r, s->data[r], s->split[r]);
    for (int i = 0; i < s->ps->n48 && i < SP_MAX_PHONES; i++) ch->classes[i] = s->ps->name48[i];
    ch->maxB = m->maxB;
    /* at_step views before the first epoch end (or a resume's) carry NaN. */
    ch->last = (sp_probe_epoch_stats){ 0, 0, NAN, NAN, NAN, NAN, NAN };
    ch->labels = sp_xcalloc((size_t)ch->maxB, sizeof *ch->labels);
    ch->butt = sp_xcalloc((size_t)ch->maxB, sizeof *ch->butt);
    ch->bstart = sp_xcalloc((size_t)ch->maxB, sizeof *ch->bstart);
    ch->bgain = sp_xcalloc((size_t)ch->maxB, sizeof *ch->bgain);

    /* Folders and the log. */
    for (int i = 0; i < ch->n; i++)
        if (sp_mkdirs(ch->e[i].dir, err) != 0) return -1;
    ch->log = fopen(ch->log_path, "a");
    if (!ch->log) return sp_fail(err, "cannot open '%s': %s", ch->log_path, strerror(errno));
    if (ch->log_len) {
        fputs(ch->log_buf, ch->log);
        fflush(ch->log);
    }
    ch->ready = 1;
    char *desc = sp_probe_chain_describe(ch);
    sp_log_info("probes: %s", desc);
    free(desc);

    sp_probe_run *run = &ch->run;
    run->mode = ch->mode;
    run->run_dir = s->run_dir;
    run->sample_rate = SP_SAMPLE_RATE;
    run->T = m->T;
    run->max_batch = m->maxB;
    run->epochs = s->epochs;
    run->steps_per_epoch = s->steps_per_epoch;
    run->epochs_done = s->epochs_done;
    run->steps_done = s->steps_done;
    run->resumed = s->resumed;
    run->seed = ch->seed;
    run->nclasses = s->ps->n48;
    run->classes = ch->classes;
    run->nlayers = ch->nlayers;
    run->layers = ch->layers;
    run->filters = &ch->filters;
    run->status = SP_PROBE_COMPLETED;
    for (int i = 0; i < ch->n; i++) {
        entry *e = &ch->e[i];
        e->want = sp_xcalloc((size_t)ch->nlayers, 1);
        e->vlayers = sp_xmalloc((size_t)ch->nlayers * sizeof *e->vlayers);
        memcpy(e->vlayers, ch->layers, (size_t)ch->nlayers * sizeof *e->vlayers);
        sp_probe_error pe;
        memset(&pe, 0, sizeof pe);
        pe.option = -1;
        e->in_start = 1;
        sp_probe_guard_enter(e, "on_start");
        int rc = e->on_start(e->self, run, &pe);
        sp_probe_guard_leave();
        e->in_start = 0;
        if (rc != 0) return sp_probe_option_fail(e, "on_start", &pe, err);
        e->started = 1;
    }

    /* The probe set, for the probes that look at epoch ends. */
    long want = 0;
    for (int i = 0; i < ch->n; i++)
        if (ch->e[i].d->on_epoch_end && ch->e[i].probe_frames > want) want = ch->e[i].probe_frames;
    if (ch->mode == SP_PROBE_MODE_TRAIN && want > 0 && ch->ds[SP_PROBE_DEV]) {
        draw_probe_set(ch, want);
        double mb = 0;
        for (int k = 0; k < ch->nlayers; k++) {
            int any = 0;
            for (int i = 0; i < ch->n; i++) any |= ch->e[i].want[k];
            if (any) mb += 4.0 * (double)ch->pset_n * (double)ch->layers[k].out_n / 1048576.0;
        }
        if (mb > 0)
            sp_log_info("probe set: %ld frames of the %s split; activations at each epoch's end: %.1f MB", ch->pset_n,
                        ch->split[SP_PROBE_DEV], mb);
        else sp_log_info("probe set: %ld frames of the %s split", ch->pset_n, ch->split[SP_PROBE_DEV]);
    }
    return 0;
}

/* The first non-finite sample of b's audio as chunk *k, sample *t; 0 when
 * every sample is finite. One pass over B x T floats per probe, small
 * beside the network's forward pass over the same batch. */
static int non_finite(const sp_probe_batch *b, int *k, int *t)
{
    for (int i = 0; i < b->B; i++) {
        const float *x = b->audio + (size_t)i * (size_t)b->T;
        for (int j = 0; j < b->T; j++)
            if (!isfinite(x[j])) {
                *k = i;
                *t = j;
                return 1;
            }
    }
    return 0;
}

/* Run every on_batch on b; a TRAIN label outside [0, nclasses) after a
 * probe is that probe's error, and so is NaN or Inf in the audio when the
 * batch came in finite (the first probe that leaves one is named, rather
 * than the network's first layer failing later). */
static int run_batches(sp_probe_chain *ch, sp_probe_batch *b, sp_error *err)
{
    int bk, bt, finite = !non_finite(b, &bk, &bt);
    for (int i = 0; i < ch->n; i++) {
        entry *e = &ch->e[i];
        sp_probe_error pe;
        pe.message[0] = '\0';
        pe.option = -1;
        sp_probe_guard_enter(e, "on_batch");
        int rc = e->on_batch(e->self, b, &pe);
        sp_probe_guard_leave();
        if (rc != 0) return sp_probe_hook_fail(e, "on_batch", &pe, 0, err);
        if (finite && non_finite(b, &bk, &bt)) {
            float x = b->audio[(size_t)bk * (size_t)b->T + (size_t)bt];
            snprintf(pe.message, sizeof pe.message, "wrote non-finite audio (%s) in on_batch at chunk %d, sample %d",
                     isnan(x) ? "NaN" : x > 0 ? "+Inf" : "-Inf", bk, bt);
            return sp_probe_hook_fail(e, "on_batch", &pe, 0, err);
        }
        if (b->role != SP_PROBE_TRAIN) continue;
        for (int k = 0; k < b->B; k++)
            if (b->labels[k] < 0 || b->labels[k] >= ch->run.nclasses) {
                snprintf(pe.message, sizeof pe.message, "label %d of chunk %d is outside [0, %d)", b->labels[k], k,
                         ch->run.nclasses);
                return sp_probe_hook_fail(e, "on_batch", &pe, 0, err);
            }
    }
    return 0;
}

int sp_probe_chain_train_batch(sp_probe_chain *ch, float *audio, int *labels, int B, const long *utt,
                               const long *start, const float *gain, long step, int epoch, sp_error *err)
{
    if (!ch || !ch->n) return 0;
    sp_probe_batch b;
    memset(&b, 0, sizeof b);
    b.role = SP_PROBE_TRAIN;
    b.split = ch->split[SP_PROBE_TRAIN];
    b.B = B;
    b.T = ch->m->T;
    b.audio = audio;
    b.labels = labels;
    b.utterance = utt;
    b.start = start;
    b.gain = gain;
    b.step = step;
    b.epoch = epoch;
    return run_batches(ch, &b, err);
}

void sp_probe_chain_eval_begin(sp_probe_chain *ch, sp_probe_role role, int epoch)
{
    if (!ch) return;
    ch->role = role;
    ch->epoch = epoch;
    ch->eval_step = 0;
}

int sp_probe_chain_eval_batch(void *vch, size_t ui, long frame0, int nb, float *input, int T, sp_error *err)
{
    sp_probe_chain *ch = vch;
    if (!ch || !ch->n) return 0;
    const sp_dataset *ds = ch->ds[ch->role];
    if (!ds || ui >= ds->n || nb > ch->maxB)
        return sp_fail(err, "probe chain: an evaluation batch of a split it was not started with");
    const sp_utterance *u = &ds->utt[ui];
    for (int b = 0; b < nb; b++) {
        long f = frame0 + b;
        ch->labels[b] = f < u->nframes ? u->label[f] : -1;
        ch->butt[b] = (long)ui;
        ch->bstart[b] = f * SP_FRAME_SHIFT + SP_FRAME_SHIFT / 2 - T / 2;
        ch->bgain[b] = 1.0f;
    }
    sp_probe_batch b;
    memset(&b, 0, sizeof b);
    b.role = ch->role;
    b.split = ch->split[ch->role];
    b.B = nb;
    b.T = T;
    b.audio = input;
    b.labels = ch->labels;
    b.utterance = ch->butt;
    b.start = ch->bstart;
    b.gain = ch->bgain;
    b.step = ch->eval_step++;
    b.epoch = ch->epoch;
    return run_batches(ch, &b, err);
}

int sp_probe_chain_gradients(sp_probe_chain *ch, long step, int epoch, int B, double loss, sp_error *err)
{
    if (!ch || !ch->n) return 0;
    sp_probe_update_filters(ch, 1);
    sp_probe_gradients g;
    memset(&g, 0, sizeof g);
    g.step = step;
    g.epoch = epoch;
    g.B = B;
    g.loss = loss;
    g.nlayers = ch->nlayers;
    g.layers = ch->glayers;
    g.filters = &ch->gfilters;
    for (int i = 0; i < ch->n; i++) {
        entry *e = &ch->e[i];
        sp_probe_error pe;
        pe.message[0] = '\0';
        pe.option = -1;
        sp_probe_guard_enter(e, "on_gradients");
        int rc = e->on_gradients(e->self, &g, &pe);
        sp_probe_guard_leave();
        if (rc != 0) return sp_probe_hook_fail(e, "on_gradients", &pe, 0, err);
    }
    return 0;
}

/* 1 when entry e asked (want_steps) for a view after `steps` global steps. */
static int wants_step(const entry *e, long steps)
{
    return e->nsteps && bsearch(&steps, e->steps, (size_t)e->nsteps, sizeof *e->steps, sp_probe_cmp_long) != NULL;
}

/* The probe set through the network for the layers the selected entries
 * asked for (sel[i] set), then on_epoch_end of each selected entry in
 * order. at_step: 0 at an epoch's end, 1 for a want_steps call. */
static int deliver_view(sp_probe_chain *ch, const sp_probe_epoch_stats *st, int at_step, const unsigned char *sel,
                        sp_error *err)
{
    sp_model *m = ch->m;
    sp_probe_update_filters(ch, 0);
    float **act = sp_xcalloc((size_t)ch->nlayers, sizeof *act);
    int any = 0;
    for (int k = 0; k < ch->nlayers && ch->pset_n > 0; k++) {
        for (int i = 0; i < ch->n; i++)
            if (sel[i] && ch->e[i].want[k]) {
                act[k] = sp_xmalloc((size_t)ch->pset_n * ch->layers[k].out_n * sizeof **act);
                any = 1;
                break;
            }
    }
    if (any) {
        const sp_dataset *dev = ch->ds[SP_PROBE_DEV];
        for (long f0 = 0; f0 < ch->pset_n; f0 += m->maxB) {
            int nb = (int)(ch->pset_n - f0 < m->maxB ? ch->pset_n - f0 : m->maxB);
            for (int b = 0; b < nb; b++)
                sp_dataset_chunk(&dev->utt[ch->pset_utt[f0 + b]], ch->pset_frame[f0 + b], m->T, 1.0f,
                                 m->input + (size_t)b * (size_t)m->T);
            sp_model_forward(m, nb, 0);
            for (int k = 0; k < ch->nlayers; k++)
                if (act[k])
                    memcpy(act[k] + (size_t)f0 * ch->layers[k].out_n, m->layer[k].out,
                           (size_t)nb * ch->layers[k].out_n * sizeof(float));
        }
    }
    int rc = 0;
    for (int i = 0; i < ch->n && !rc; i++) {
        if (!sel[i]) continue;
        entry *e = &ch->e[i];
        for (int k = 0; k < ch->nlayers; k++) e->vlayers[k].act = e->want[k] ? act[k] : NULL;
        sp_probe_view v;
        memset(&v, 0, sizeof v);
        v.epoch = st->epoch;
        v.step = st->step;
        v.lr = st->lr;
        v.train_loss = st->train_loss;
        v.train_fer = st->train_fer;
        v.dev_loss = st->dev_loss;
        v.dev_fer = st->dev_fer;
        v.nlayers = ch->nlayers;
        v.layers = e->vlayers;
        v.filters = &ch->filters;
        v.N = e->probe_frames < ch->pset_n ? e->probe_frames : ch->pset_n;
        v.labels = ch->pset_label;
        v.utterance = ch->pset_utt;
        v.frame = ch->pset_frame;
        v.at_step = at_step;
        sp_probe_error pe;
        pe.message[0] = '\0';
        pe.option = -1;
        sp_probe_guard_enter(e, "on_epoch_end");
        int hrc = e->on_epoch_end(e->self, &v, &pe);
        sp_probe_guard_leave();
        if (hrc != 0) rc = sp_probe_hook_fail(e, "on_epoch_end", &pe, 0, err);
        for (int k = 0; k < ch->nlayers; k++) e->vlayers[k].act = NULL;
    }
    for (int k = 0; k < ch->nlayers; k++) free(act[k]);
    free(act);
    return rc;
}

int sp_probe_chain_epoch_end(sp_probe_chain *ch, const sp_probe_epoch_stats *st, sp_error *err)
{
    if (!ch || !ch->n) return 0;
    ch->last = *st;
    unsigned char *sel = sp_xmalloc((size_t)ch->n);
    memset(sel, 1, (size_t)ch->n);
    int rc = deliver_view(ch, st, 0, sel, err);
    free(sel);
    return rc;
}

int sp_probe_chain_step_done(sp_probe_chain *ch, long steps_done, int epoch, double lr, sp_error *err)
{
    if (!ch || !ch->n) return 0;
    unsigned char *sel = NULL;
    for (int i = 0; i < ch->n; i++)
        if (wants_step(&ch->e[i], steps_done)) {
            if (!sel) sel = sp_xcalloc((size_t)ch->n, 1);
            sel[i] = 1;
        }
    if (!sel) return 0;
    sp_probe_epoch_stats st = ch->last;
    st.epoch = epoch;
    st.step = steps_done;
    st.lr = lr;
    int rc = deliver_view(ch, &st, 1, sel, err);
    free(sel);
    return rc;
}

int sp_probe_chain_finish(sp_probe_chain *ch, sp_probe_status status, int epochs_done, long steps_done, sp_error *err)
{
    if (!ch || !ch->n || !ch->m) return 0;
    sp_probe_update_filters(ch, 0);
    ch->run.status = status;
    ch->run.epochs_done = epochs_done;
    ch->run.steps_done = steps_done;
    int rc = 0;
    for (int i = 0; i < ch->n; i++) {
        entry *e = &ch->e[i];
        if (!e->started || e->finished) continue;
        e->finished = 1;
        sp_probe_error pe;
        pe.message[0] = '\0';
        pe.option = -1;
        sp_probe_guard_enter(e, "on_finish");
        int hrc = e->on_finish(e->self, &ch->run, &pe);
        sp_probe_guard_leave();
        if (hrc != 0) {
            sp_error why;
            sp_probe_hook_fail(e, "on_finish", &pe, 0, &why);
            if (!rc) rc = sp_fail(err, "%s", why.msg);
            else sp_log_error("%s", why.msg);
        }
    }
    return rc;
}

/* ------------------------------------------------------------------------
 * sincprobe analyse: one probe on one matrix
 * ---------------------------------------------------------------------- */

int sp_probe_chain_analyse(sp_probe_chain *ch, const sp_probe_analysis *a, sp_error *err)
{
    if (!ch || ch->n != 1 || ch->mode != SP_PROBE_MODE_ANALYSE)
        return sp_fail(err, "analyse: needs a chain of one probe created in analyse mode");
    entry *e = &ch->e[0];
    if (e->d->abi_version < 2)
        return sp_fail(err, "probe '%s' ('%s') was built for probe ABI %u, which has no analyse mode (ABI 2)",
                       e->d->identifier, e->file, e->d->abi_version);
    if (!e->d->on_epoch_end)
        return sp_fail(err, "probe '%s' ('%s') does not look at activations (no on_epoch_end): nothing to analyse",
                       e->d->identifier, e->file);
    if (sp_mkdirs(e->dir, err) != 0) return -1;
    ch->log = fopen(ch->log_path, "a");
    if (!ch->log) return sp_fail(err, "cannot open '%s': %s", ch->log_path, strerror(errno));
    if (ch->log_len) {
        fputs(ch->log_buf, ch->log);
        fflush(ch->log);
    }
    ch->ready = 1;

    /* One layer, named after the matrix, kind "other", no parameters. */
    ch->nlayers = 1;
    ch->layers = sp_xcalloc(1, sizeof *ch->layers);
    sp_probe_layer *L = &ch->layers[0];
    L->name = a->layer;
    L->kind = "other";
    L->in_c = L->out_c = 1;
    L->in_t = L->out_t = (int)a->D;
    L->out_n = (unsigned long)a->D;

    sp_probe_run *run = &ch->run;
    memset(run, 0, sizeof *run);
    run->mode = SP_PROBE_MODE_ANALYSE;
    run->run_dir = a->out_dir;
    run->sample_rate = SP_SAMPLE_RATE;
    run->epochs = 1;
    run->seed = ch->seed;
    run->nclasses = a->nclasses;
    run->classes = a->classes;
    run->nlayers = 1;
    run->layers = ch->layers;
    run->filters = NULL;
    run->status = SP_PROBE_COMPLETED;

    e->want = sp_xcalloc(1, 1);
    e->vlayers = sp_xmalloc(sizeof *e->vlayers);
    *e->vlayers = *L;
    sp_probe_error pe;
    memset(&pe, 0, sizeof pe);
    pe.option = -1;
    e->in_start = 1;
    sp_probe_guard_enter(e, "on_start");
    int rc = e->on_start(e->self, run, &pe);
    sp_probe_guard_leave();
    e->in_start = 0;
    if (rc != 0) return sp_probe_option_fail(e, "on_start", &pe, err);
    e->started = 1;

    long *idx = sp_xmalloc((size_t)(a->N ? a->N : 1) * sizeof *idx);
    long *zero = sp_xcalloc((size_t)(a->N ? a->N : 1), sizeof *zero);
    for (long i = 0; i < a->N; i++) idx[i] = i;
    e->vlayers[0].act = a->X;
    sp_probe_view v;
    memset(&v, 0, sizeof v);
    v.epoch = 0;
    v.lr = v.train_loss = v.train_fer = v.dev_loss = v.dev_fer = NAN;
    v.lr = 0;
    v.nlayers = 1;
    v.layers = e->vlayers;
    v.filters = NULL;
    v.N = a->N;
    v.labels = a->labels;
    v.utterance = idx;
    v.frame = zero;
    memset(&pe, 0, sizeof pe);
    pe.option = -1;
    sp_probe_guard_enter(e, "on_epoch_end");
    rc = e->on_epoch_end(e->self, &v, &pe);
    sp_probe_guard_leave();
    rc = rc != 0 ? sp_probe_hook_fail(e, "on_epoch_end", &pe, 0, err) : 0;
    e->vlayers[0].act = NULL;
    free(idx);
    free(zero);

    run->status = rc ? SP_PROBE_FAILED : SP_PROBE_COMPLETED;
    run->epochs_done = rc ? 0 : 1;
    e->finished = 1;
    memset(&pe, 0, sizeof pe);
    pe.option = -1;
    sp_probe_guard_enter(e, "on_finish");
    int frc = e->on_finish(e->self, run, &pe);
    sp_probe_guard_leave();
    if (frc != 0 && !rc) rc = sp_probe_hook_fail(e, "on_finish", &pe, 0, err);
    return rc;
}
