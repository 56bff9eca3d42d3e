/* dataset.c - see dataset.h. */
#include "config.h"
#include "corpus/dataset.h"
#include "corpus/timit.h"
#include "base/conf.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

/* Frame labels: the phone covering each frame's centre sample. Segments
 * are contiguous and sorted (validated), so one pass suffices. */
static void frame_labels(sp_utterance *u, const sp_utt *src, const sp_phoneset *ps)
{
    u->nframes = u->n / SP_FRAME_SHIFT;
    u->label = sp_xmalloc((size_t)(u->nframes > 0 ? u->nframes : 1));
    size_t s = 0;
    for (long f = 0; f < u->nframes; f++) {
        long c = f * SP_FRAME_SHIFT + SP_FRAME_SHIFT / 2;
        while (s < src->phn.n && src->phn.v[s].end <= c) s++;
        int lab = -1;
        if (s < src->phn.n && src->phn.v[s].begin <= c) {
            int p61 = src->phone61[s];
            lab = p61 >= 0 ? ps->to48[p61] : -1;
        }
        u->label[f] = (int8_t)lab;
    }
    /* The phone string for the LM and for scoring: 48 set, q dropped. */
    u->phones48 = sp_xmalloc((src->phn.n ? src->phn.n : 1) * sizeof(int));
    u->nphones = 0;
    for (size_t i = 0; i < src->phn.n; i++) {
        int p61 = src->phone61[i];
        if (p61 >= 0 && ps->to48[p61] >= 0) u->phones48[u->nphones++] = ps->to48[p61];
    }
}

static int load(sp_dataset *ds, const char *root, int split, int include_sa, size_t max_utts,
                int with_audio, const sp_phoneset *ps, sp_diag *d, sp_error *err)
{
    memset(ds, 0, sizeof *ds);
    sp_corpus c;
    size_t before = d->n;
    if (sp_corpus_scan(&c, root, split, include_sa, d, err) != 0) return -1;
    size_t n = c.n;
    if (max_utts && n > max_utts) n = max_utts;
    ds->utt = sp_xcalloc(n ? n : 1, sizeof *ds->utt);
    for (size_t i = 0; i < n && !sp_diag_stop(d); i++) {
        sp_utt u;
        sp_utt_ref ref = c.utts[i];
        if (!with_audio) ref.wav = NULL;
        sp_utt_load(&ref, ps, &u, d);
        sp_utterance *o = &ds->utt[ds->n++];
        o->id = sp_xstrdup(c.utts[i].id);
        o->audio = u.audio;
        o->n = with_audio ? u.n : (u.phn.n ? u.phn.v[u.phn.n - 1].end : 0);
        u.audio = NULL;
        if (u.phone61) frame_labels(o, &u, ps);
        ds->samples += o->n;
        ds->frames += o->nframes;
        sp_utt_free(&u);
    }
    sp_corpus_free(&c);
    if (d->n > before) {
        sp_fail(err, "%zu problem%s in corpus '%s' (split %s); 'sincprobe corpus check' lists them", d->n - before,
                d->n - before == 1 ? "" : "s", root, sp_split_name(split));
        sp_dataset_free(ds);
        return -1;
    }
    if (ds->n == 0) {
        sp_fail(err, "no utterances in corpus '%s' (split %s)", root, sp_split_name(split));
        sp_dataset_free(ds);
        return -1;
    }
    return 0;
}

int sp_dataset_load(sp_dataset *ds, const char *root, int split, int include_sa,
                    size_t max_utts, const sp_phoneset *ps, sp_diag *d, sp_error *err)
{
    return load(ds, root, split, include_sa, max_utts, 1, ps, d, err);
}

int sp_dataset_load_labels(sp_dataset *ds, const char *root, int split, int include_sa,
                           const sp_phoneset *ps, sp_diag *d, sp_error *err)
{
    return load(ds, root, split, include_sa, 0, 0, ps, d, err);
}

void sp_dataset_free(sp_dataset *ds)
{
    for (size_t i = 0; i < ds->n; i++) {
        free(ds->utt[i].id);
        free(ds->utt[i].audio);
        free(ds->utt[i].label);
        free(ds->utt[i].phones48);
    }
    free(ds->utt);
    memset(ds, 0, sizeof *ds);
}

/* A position p in samples at rate r is at 16 kHz sample p * 16000 / r.
 * A frame's centre c (a 16 kHz sample) lies in the segment [b, e) iff
 * b * 16000 <= c * r < e * 16000, i.e. iff ceil(b * 16000 / r) <= c <
 * ceil(e * 16000 / r): rounding both ends up keeps frame_labels'
 * comparisons exact. At 16 kHz the positions stay as they are. */
static long to_16k(long p, int rate)
{
    long long num = (long long)p * SP_SAMPLE_RATE;
    return (long)((num + rate - 1) / rate);
}

int sp_utterance_label_phn(sp_utterance *u, const char *phn, int rate, long native_n, const sp_phoneset *ps,
                           sp_diag *d)
{
    size_t before = d->n;
    sp_utt_ref ref;
    memset(&ref, 0, sizeof ref);
    ref.phn = (char *)phn;
    sp_utt src;
    sp_utt_load(&ref, ps, &src, d); /* no audio: the end is checked here, in the file's samples */
    if (d->n == before && src.phn.n > 0) {
        const sp_seg *last = &src.phn.v[src.phn.n - 1];
        if (last->end > native_n)
            sp_diag_add(d, phn, last->line, "last segment ends at %ld, beyond the audio's %ld samples (at %d Hz)",
                        last->end, native_n, rate);
    }
    if (d->n == before) {
        for (size_t i = 0; i < src.phn.n; i++) {
            src.phn.v[i].begin = to_16k(src.phn.v[i].begin, rate);
            src.phn.v[i].end = to_16k(src.phn.v[i].end, rate);
        }
        frame_labels(u, &src, ps);
    }
    sp_utt_free(&src);
    return (int)(d->n - before);
}

void sp_dataset_chunk(const sp_utterance *u, long frame, int T, float gain, float *out)
{
    long start = frame * SP_FRAME_SHIFT + SP_FRAME_SHIFT / 2 - T / 2;
    const float scale = gain / 32768.0f;
    for (int t = 0; t < T; t++) {
        long s = start + t;
        out[t] = s >= 0 && s < u->n ? (float)u->audio[s] * scale : 0.0f;
    }
}

int sp_dataset_sample(const sp_dataset *ds, sp_rng *rng, int T, double jitter, float *out)
{
    return sp_dataset_sample_at(ds, rng, T, jitter, out, NULL, NULL, NULL);
}

int sp_dataset_sample_at(const sp_dataset *ds, sp_rng *rng, int T, double jitter, float *out, long *utt,
                         long *start, float *gain_out)
{
    for (;;) {
        size_t ui = (size_t)sp_rng_below(rng, ds->n);
        const sp_utterance *u = &ds->utt[ui];
        /* Frames whose whole chunk lies inside the utterance. */
        long lo = (T / 2 + SP_FRAME_SHIFT - 1 - SP_FRAME_SHIFT / 2) / SP_FRAME_SHIFT;
        long hi = (u->n - (T - T / 2) - SP_FRAME_SHIFT / 2) / SP_FRAME_SHIFT;
        if (hi < lo) {
            lo = 0;
            hi = u->nframes - 1;
            if (hi < 0) continue;
        }
        long f = lo + (long)sp_rng_below(rng, (uint64_t)(hi - lo + 1));
        float gain = (float)(1.0 + jitter * (2.0 * sp_rng_uniform(rng) - 1.0));
        if (f >= u->nframes || u->label[f] < 0) continue;
        sp_dataset_chunk(u, f, T, gain, out);
        if (utt) *utt = (long)ui;
        if (start) *start = f * SP_FRAME_SHIFT + SP_FRAME_SHIFT / 2 - T / 2;
        if (gain_out) *gain_out = gain;
        return u->label[f];
    }
}
