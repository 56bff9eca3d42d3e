/* synth_flite.c - the Flite engine of the synthetic corpus (see
 * synth_engine.h): CMU Flite's US English voices through its C API, the
 * phone segments of the synthesised utterance's Segment relation (each
 * item's "name" and "end" in seconds) mapped through
 * corpora/flite-timit.map, words from its Word relation.
 *
 * Prosody units: pitch is the mean F0 target in Hz
 * (int_f0_target_mean), range its standard deviation in Hz
 * (int_f0_target_stddev), rate Flite's duration_stretch (above 1 is
 * slower). A speaker's values are drawn around the voice's own.
 *
 * Voices (Debian 12's flite1-dev, all 16 kHz): kal16 (male, US, diphone),
 * slt (female, US), awb (male, Scottish), rms (male, US), the last three
 * clustergen (statistical parametric) voices. With four voices the
 * splits are fixed rather than dealt: TRAIN hears kal16 and slt (both
 * sexes, both synthesis methods), dev awb and core rms, each unheard in
 * training. cmu_us_kal (8 kHz) is not used: it is kal16's speaker at half
 * the band, so it would put one voice in two splits. cmu_time_awb speaks
 * only times of day.
 *
 * Flite's clustergen voices draw on rand() for their excitation (the
 * same sentence comes out different after a different predecessor), so
 * rand() is seeded per utterance, which makes a take depend on the seed
 * alone; its diphone voice does not. */
#include "config.h"
#include "corpus/synth_engine.h"

#include "base/util.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <flite/flite.h>
#include <flite/cst_cg.h>

/* The voice libraries export these and no header declares them. */
cst_voice *register_cmu_us_kal16(const char *voxdir);
cst_voice *register_cmu_us_awb(const char *voxdir);
cst_voice *register_cmu_us_rms(const char *voxdir);
cst_voice *register_cmu_us_slt(const char *voxdir);

static const sp_synth_voice voices[] = {
    { "kal16", 'm', SP_SYNTH_TRAIN },
    { "slt", 'f', SP_SYNTH_TRAIN },
    { "awb", 'm', SP_SYNTH_DEV },
    { "rms", 'm', SP_SYNTH_CORE },
};
#define NVOICES (sizeof voices / sizeof voices[0])
/* Their registration functions, in the same order. */
static cst_voice *(*const register_voice[NVOICES])(const char *) = {
    register_cmu_us_kal16, register_cmu_us_slt, register_cmu_us_awb, register_cmu_us_rms,
};

/* Each utterance is scaled to this peak (of full scale 1) before the
 * speaker's gain: Flite's voices differ by 7 dB in level (kal16 peaks near
 * 0.29, slt near 0.63), eSpeak's output peaks near 0.5. */
#define PEAK 0.5
/* A stop's span is cut into frames of 2 ms to find its closure. */
#define STOP_FRAME_HZ 500

/* A copy of a clustergen voice's database: see load_voice. */
static cst_cg_db cg_copy[NVOICES];

/* The voice of that name, registered once per process. rms takes its F0
 * from an accent model (spamf0) that ignores int_f0_target_mean; it also
 * ships the tree F0 model the other clustergen voices use, so its
 * database is copied with the accent model off and its pitch follows the
 * target as theirs does. */
static cst_voice *load_voice(const char *name, sp_error *err)
{
    static int ready;
    if (!ready) {
        flite_init();
        ready = 1;
    }
    size_t k = 0;
    while (k < NVOICES && strcmp(voices[k].name, name) != 0) k++;
    cst_voice *v = k < NVOICES ? register_voice[k](NULL) : NULL;
    if (!v) {
        sp_fail(err, "Flite has no voice '%s'", name);
        return NULL;
    }
    const cst_val *db = feat_val(v->features, "cg_db");
    if (db && val_cg_db(db) != &cg_copy[k] && val_cg_db(db)->spamf0) {
        cg_copy[k] = *val_cg_db(db);
        cg_copy[k].spamf0 = 0;
        flite_feat_set(v->features, "cg_db", cg_db_val(&cg_copy[k]));
    }
    return v;
}

/* The voice's own F0 mean and deviation (Hz) and duration stretch. */
static void voice_defaults(const cst_voice *v, double *f0, double *sd, double *stretch)
{
    const cst_val *db = feat_val(v->features, "cg_db");
    if (feat_present(v->features, "int_f0_target_mean") || !db) {
        *f0 = get_param_float(v->features, "int_f0_target_mean", 100.0f);
        *sd = get_param_float(v->features, "int_f0_target_stddev", 10.0f);
    } else {
        *f0 = val_cg_db(db)->f0_mean;
        *sd = val_cg_db(db)->f0_stddev;
    }
    *stretch = get_param_float(v->features, "duration_stretch", 1.0f);
}

/* A speaker: mean F0 x 0.8-1.25 (about four semitones either way), its
 * deviation x 0.6-1.6 (flatter or livelier), rate x 0.85-1.2. */
static int draw(const sp_synth_voice *sv, sp_rng *r, sp_synth_prosody *p, sp_error *err)
{
    cst_voice *v = load_voice(sv->name, err);
    if (!v) return -1;
    double f0, sd, stretch;
    voice_defaults(v, &f0, &sd, &stretch);
    p->pitch = round(10.0 * f0 * exp(log(0.8) + (log(1.25) - log(0.8)) * sp_rng_uniform(r))) / 10.0;
    p->range = round(10.0 * sd * (0.6 + 1.0 * sp_rng_uniform(r))) / 10.0;
    p->rate = round(1000.0 * stretch * (0.85 + 0.35 * sp_rng_uniform(r))) / 1000.0;
    return 0;
}

/* ------------------------------------------------------------------------
 * Segments. */

typedef struct {
    const sp_synth_map_entry *m;
    long b;            /* begin at the wave's rate; ends at the next one's */
    const cst_item *item;
} phone;

/* Smoothed log energies of the frames of [b, e): e[j], j < n. */
static int frame_energy(const float *x, long b, long e, long frame, double *out, int max)
{
    int n = (int)((e - b) / frame);
    if (n > max) n = max;
    double raw[256];
    for (int j = 0; j < n; j++) {
        double s = 1e-12;
        for (long i = b + j * frame; i < b + (j + 1) * frame; i++) s += (double)x[i] * x[i];
        raw[j] = log(s);
    }
    for (int j = 0; j < n; j++) {
        int lo = j > 0 ? j - 1 : j, hi = j + 1 < n ? j + 1 : j;
        double s = 0;
        for (int k = lo; k <= hi; k++) s += raw[k];
        out[j] = s / (hi - lo + 1);
    }
    return n;
}

/* A stop (span [b, e)) as closure + release. Flite's span of a stop runs
 * from the end of the previous phone's segment to the start of the next:
 * it holds the fading previous sound, the closure (silence, or a voice
 * bar) and the burst. On smoothed 2 ms log energies: the closure's
 * quietest frame q lies in the first four fifths of the span (the release
 * keeps the last fifth); the release begins where the energy has risen
 * halfway (in dB) from q to the loudest frame after it; the closure begins
 * where the energy has fallen halfway from the loudest frame before q,
 * the sound before that going to the previous phone (at most half the
 * span, and never to a pause or a closure). */
static void push_stop(sp_synth_take *t, const float *x, const sp_synth_map_entry *m, long b, long e, int i)
{
    long frame = t->rate / STOP_FRAME_HZ;
    double en[256];
    int n = frame_energy(x, b, e, frame, en, 256);
    if (n < 5) {
        sp_synth_take_seg(t, m->sym[0], b, i);
        sp_synth_take_seg(t, m->sym[1], b + (e - b) * 3 / 5, i);
        return;
    }
    int q = 0;
    for (int j = 1; j < n * 4 / 5; j++)
        if (en[j] < en[q]) q = j;
    double after = en[q], before = en[q];
    for (int j = q + 1; j < n; j++) after = en[j] > after ? en[j] : after;
    for (int j = 0; j < q; j++) before = en[j] > before ? en[j] : before;
    int rise = q + 1;
    while (rise < n && en[rise] < en[q] + 0.5 * (after - en[q])) rise++;
    if (rise > n * 4 / 5) rise = n * 4 / 5;
    int fall = q;
    while (fall > 0 && en[fall - 1] < en[q] + 0.5 * (before - en[q])) fall--;
    const sp_synth_seg *prev = t->nseg ? &t->seg[t->nseg - 1] : NULL;
    if (!prev || sp_synth_is_pause(prev->label) || sp_synth_is_closure(prev->label)) fall = 0;
    if (fall > n / 2) fall = n / 2;
    sp_synth_take_seg(t, m->sym[0], b + fall * frame, i);
    sp_synth_take_seg(t, m->sym[1], b + rise * frame, i);
}

/* The segments of the utterance's Segment relation, in order. */
static int map_segments(const cst_utterance *u, const sp_synth_map *map, const char *where, long n, int rate,
                        phone **out, size_t *nout, sp_error *err)
{
    size_t cap = 64, k = 0;
    phone *ph = sp_xmalloc(cap * sizeof *ph);
    long b = 0;
    for (const cst_item *s = relation_head(utt_relation(u, "Segment")); s; s = item_next(s)) {
        const char *name = item_feat_string(s, "name");
        const sp_synth_map_entry *m = sp_synth_map_find(map, name);
        if (!m) {
            free(ph);
            return sp_fail(err, "Flite phone '%s' (%s) is not in '%s'; add a line for it", name, where, map->path);
        }
        if (k == cap) ph = sp_xrealloc(ph, (cap *= 2) * sizeof *ph);
        ph[k].m = m;
        ph[k].b = b;
        ph[k].item = s;
        k++;
        /* The next begins where this ends, never before, within the audio. */
        long e = lround(item_feat_float(s, "end") * rate);
        b = e < b ? b : e > n ? n : e;
    }
    *out = ph;
    *nout = k;
    return 0;
}

/* Returns the number of phones left after joins (ph is compacted). */
static size_t build_segments(const float *x, long n, phone *ph, size_t nph, sp_synth_take *t)
{
    /* Joins, as in the eSpeak map: the span goes to the next phone, or
     * the previous one extends over it. */
    size_t k = 0;
    for (size_t i = 0; i < nph; i++) {
        if (ph[i].m->join == SP_SYNTH_JOIN_NEXT && i + 1 < nph) ph[i + 1].b = ph[i].b;
        if (ph[i].m->join == SP_SYNTH_JOIN_NONE) ph[k++] = ph[i];
    }
    if (k == 0 || ph[0].b > 0) sp_synth_take_seg(t, "pau", 0, -1);
    for (size_t i = 0; i < k; i++) {
        const sp_synth_map_entry *m = ph[i].m;
        long b = ph[i].b, e = i + 1 < k ? ph[i + 1].b : n;
        if (m->closure) {
            push_stop(t, x, m, b, e, (int)i);
        } else if (m->nsym == 2) {
            sp_synth_take_seg(t, m->sym[0], b, (int)i);
            sp_synth_take_seg(t, m->sym[1], b + (e - b) / 2, (int)i);
        } else {
            sp_synth_take_seg(t, m->sym[0], b, (int)i);
        }
    }
    return k;
}

/* Words: runs of phones under one item of the Word relation (a
 * segment's syllable's word). A word Flite splits off with an apostrophe
 * ("teacher" "'s") joins the one before. Flite renames some words (the
 * homograph "read" becomes "red"), so the words are named by the
 * sentence's own tokens when there are as many; else by Flite's names,
 * kept to what TIMIT's .WRD holds. */
static void add_words(const phone *ph, size_t nph, const char *text, sp_synth_take *t)
{
    const cst_item *cur = NULL;
    size_t first = t->nword;
    for (size_t i = 0; i < nph; i++) {
        const cst_item *w = flite_path_to_item(ph[i].item, "R:SylStructure.parent.parent");
        if (!w) continue;
        if (cur && item_equal(w, cur)) {
            t->word[t->nword - 1].p1 = (int)i;
            continue;
        }
        cur = w;
        char buf[64];
        size_t len = 0;
        for (const char *c = item_feat_string(w, "name"); *c && len + 1 < sizeof buf; c++) {
            char ch = (char)(*c >= 'A' && *c <= 'Z' ? *c - 'A' + 'a' : *c);
            if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '\'' || ch == '-') buf[len++] = ch;
        }
        if (len && buf[0] == '\'' && t->nword > first) {
            sp_synth_word *prev = &t->word[t->nword - 1];
            size_t pl = strlen(prev->word);
            prev->word = sp_xrealloc(prev->word, pl + len + 1);
            memcpy(prev->word + pl, buf, len);
            prev->word[pl + len] = '\0';
            prev->p1 = (int)i;
        } else if (len) {
            sp_synth_take_word(t, (int)i, (int)i, buf, len);
        }
    }
    sp_synth_token *tok = NULL;
    size_t ntok = sp_synth_tokenize(text, &tok);
    if (ntok == t->nword - first)
        for (size_t k = 0; k < ntok; k++) {
            sp_synth_word *w = &t->word[first + k];
            w->word = sp_xrealloc(w->word, tok[k].len + 1);
            memcpy(w->word, tok[k].b, tok[k].len);
            w->word[tok[k].len] = '\0';
            sp_strlower(w->word);
        }
    free(tok);
}

/* ------------------------------------------------------------------------
 * The engine's calls. */

typedef struct {
    cst_voice *v;
    const sp_synth_map *map;
    double f0, sd, stretch; /* the voice's own */
} state;

static void *open_voice(const sp_synth_voice *sv, const sp_synth_map *map, sp_error *err)
{
    cst_voice *v = load_voice(sv->name, err);
    if (!v) return NULL;
    state *s = sp_xcalloc(1, sizeof *s);
    s->v = v;
    s->map = map;
    voice_defaults(v, &s->f0, &s->sd, &s->stretch);
    return s;
}

static void close_voice(void *st)
{
    free(st);
}

/* The wave as floats scaled to PEAK. */
static int take_audio(const cst_wave *w, const char *where, sp_synth_take *t, sp_error *err)
{
    if (!w || w->num_samples <= 0 || w->num_channels != 1)
        return sp_fail(err, "Flite produced no mono speech for %s", where);
    int peak = 0;
    for (int i = 0; i < w->num_samples; i++) {
        int a = abs(w->samples[i]);
        peak = a > peak ? a : peak;
    }
    if (peak == 0) return sp_fail(err, "Flite produced silence for %s", where);
    t->rate = w->sample_rate;
    t->n = w->num_samples;
    t->audio = sp_xmalloc((size_t)t->n * sizeof *t->audio);
    for (long i = 0; i < t->n; i++) t->audio[i] = (float)(w->samples[i] * (PEAK / peak));
    return 0;
}

/* A little variation from sentence to sentence, as a reader has: F0
 * x 0.97-1.03, rate x 0.95-1.05. */
static int say(void *st, const char *text, const char *where, const sp_synth_prosody *p, sp_rng *r,
               sp_synth_take *t, sp_error *err)
{
    state *s = st;
    flite_feat_set_float(s->v->features, "int_f0_target_mean", (float)(p->pitch * (0.97 + 0.06 * sp_rng_uniform(r))));
    flite_feat_set_float(s->v->features, "int_f0_target_stddev", (float)p->range);
    flite_feat_set_float(s->v->features, "duration_stretch", (float)(p->rate * (0.95 + 0.1 * sp_rng_uniform(r))));
    srand((unsigned)(sp_rng_u64(r) & 0x7fffffff));
    cst_utterance *u = flite_synth_text(text, s->v);
    if (!u) return sp_fail(err, "Flite failed on %s", where);
    phone *ph = NULL;
    size_t nph = 0;
    int rc = take_audio(utt_wave(u), where, t, err);
    if (rc == 0) rc = map_segments(u, s->map, where, t->n, t->rate, &ph, &nph, err);
    if (rc == 0 && nph == 0) rc = sp_fail(err, "Flite produced no phones for %s", where);
    if (rc == 0) {
        nph = build_segments(t->audio, t->n, ph, nph, t);
        add_words(ph, nph, text, t);
    }
    free(ph);
    delete_utterance(u);
    return rc;
}

/* Every phone of the voices' phone sets. */
static int inventory(const char ***names, size_t *n, sp_error *err)
{
    *names = NULL;
    *n = 0;
    size_t cap = 0;
    for (size_t k = 0; k < NVOICES; k++) {
        cst_voice *v = load_voice(voices[k].name, err);
        if (!v) return -1;
        const cst_phoneset *ps = val_phoneset(feat_val(v->features, "phoneset"));
        for (int i = 0; i < ps->num_phones; i++) {
            size_t j = 0;
            while (j < *n && strcmp((*names)[j], ps->phonenames[i]) != 0) j++;
            if (j < *n) continue;
            if (*n == cap) *names = sp_xrealloc(*names, (cap = cap ? 2 * cap : 64) * sizeof **names);
            (*names)[(*n)++] = ps->phonenames[i];
        }
    }
    return 0;
}

const sp_synth_engine sp_synth_flite = {
    .name = "flite",
    .map_file = "flite-timit.map",
    .phone_what = "Flite phone",
    .voices = voices,
    .nvoices = NVOICES,
    .draw = draw,
    .fmt = { "%.1f", "%.1f", "%.3f" },
    .open = open_voice,
    .say = say,
    .close = close_voice,
    .inventory = inventory,
};
