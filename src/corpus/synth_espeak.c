/* synth_espeak.c - the eSpeak NG engine of the synthetic corpus (see
 * synth_engine.h): libespeak-ng's voice en-us with a voice variant,
 * phoneme and word events, mapped through corpora/espeak-timit.map.
 *
 * Prosody units: pitch and range are espeakPITCH and espeakRANGE (0-100),
 * rate is words a minute.
 *
 * eSpeak NG keeps state between syntheses (the same sentence comes out
 * with different samples after a different predecessor), it cannot be
 * re-initialised within a process (espeak_Terminate then
 * espeak_Initialize hangs in 1.51), and it is not thread safe: the
 * driver's one fresh process per speaker, reading its sentences in a
 * fixed order, is what makes the output depend on the seed alone.
 *
 * What it is not: a model of real speech. Closures come from the silence
 * eSpeak inserts before a stop, and eSpeak places some phoneme events late
 * (a vowel after a liquid or nasal is reported after its onset); the
 * labels are eSpeak's idea of the timing, not a phonetician's. */
#include "config.h"
#include "corpus/synth_engine.h"

#include "base/util.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <espeak-ng/speak_lib.h>

/* Sample positions are at eSpeak's rate until the driver maps them. */
#define ESPEAK_RATE 22050
#define LANGUAGE "en-us"

/* Speaking rates in words a minute: eSpeak's event positions drift above
 * ~350 (it time-compresses the audio after placing them), and rates much
 * above 280 no longer sound like read speech. */
#define RATE_MIN 150
#define RATE_MAX 280
#define RATE_CEIL 300

/* A stop's closure is the run of digital silence around the stop's event
 * (eSpeak's "pre-pause" before it); a run shorter than CLOSURE_MIN is not
 * one, and of a longer run than CLOSURE_MAX before the event the rest is a
 * pause. */
#define CLOSURE_MIN (ESPEAK_RATE / 2000)      /* 0.5 ms */
#define CLOSURE_MAX (ESPEAK_RATE * 60 / 1000) /* 60 ms */
/* Without such a run the closure is this share of the stop's own span
 * (a voiced stop after a vowel: its voice bar, then the burst). */
#define CLOSURE_SHARE 0.6

/* ------------------------------------------------------------------------
 * Voices: the variants of espeak-ng-data/voices/!v (1.51, Debian 12), all
 * dealt to splits from the seed. The sex is the variant's "gender" line,
 * else its pitch (a base under 150 Hz is male). Left out, and why:
 *   an echo effect, 23 (Alicia, Marco, RicishayMax, RicishayMax2,
 *     RicishayMax3, UniRobot, anikaRobot, announcer, f2, f3, f4, f5, m2,
 *     pablo, robosoft ... robosoft8, Demonic): the echo fills the silence
 *     of stop closures, which is where closures are found, and
 *     reverberation is a degradation to add on purpose, not part of a
 *     clean corpus;
 *   no voicing (caleb, whisper, whisperf): whispered vowels;
 *   fast: a test of eSpeak's speed-up, "unstable" by its own comment;
 *   Mr serious: its name has a space, and it differs from john (kept)
 *     in one formant only.
 * That leaves 73 of the 101 variants: 60 male, 13 female. */

static const sp_synth_voice voices[] = {
    /* male */
    { "Alex", 'm', SP_SYNTH_DEALT }, { "Andy", 'm', SP_SYNTH_DEALT }, { "AnxiousAndy", 'm', SP_SYNTH_DEALT },
    { "Denis", 'm', SP_SYNTH_DEALT }, { "Diogo", 'm', SP_SYNTH_DEALT }, { "Gene", 'm', SP_SYNTH_DEALT },
    { "Gene2", 'm', SP_SYNTH_DEALT }, { "Henrique", 'm', SP_SYNTH_DEALT }, { "Hugo", 'm', SP_SYNTH_DEALT },
    { "Jacky", 'm', SP_SYNTH_DEALT }, { "Lee", 'm', SP_SYNTH_DEALT }, { "Mario", 'm', SP_SYNTH_DEALT },
    { "Michael", 'm', SP_SYNTH_DEALT }, { "Mike", 'm', SP_SYNTH_DEALT }, { "Nguyen", 'm', SP_SYNTH_DEALT },
    { "Storm", 'm', SP_SYNTH_DEALT }, { "Tweaky", 'm', SP_SYNTH_DEALT }, { "adam", 'm', SP_SYNTH_DEALT },
    { "antonio", 'm', SP_SYNTH_DEALT }, { "benjamin", 'm', SP_SYNTH_DEALT }, { "boris", 'm', SP_SYNTH_DEALT },
    { "croak", 'm', SP_SYNTH_DEALT }, { "david", 'm', SP_SYNTH_DEALT }, { "ed", 'm', SP_SYNTH_DEALT },
    { "edward", 'm', SP_SYNTH_DEALT }, { "edward2", 'm', SP_SYNTH_DEALT }, { "grandpa", 'm', SP_SYNTH_DEALT },
    { "gustave", 'm', SP_SYNTH_DEALT }, { "iven", 'm', SP_SYNTH_DEALT }, { "iven2", 'm', SP_SYNTH_DEALT },
    { "iven3", 'm', SP_SYNTH_DEALT }, { "iven4", 'm', SP_SYNTH_DEALT }, { "john", 'm', SP_SYNTH_DEALT },
    { "kaukovalta", 'm', SP_SYNTH_DEALT }, { "klatt", 'm', SP_SYNTH_DEALT }, { "klatt2", 'm', SP_SYNTH_DEALT },
    { "klatt3", 'm', SP_SYNTH_DEALT }, { "klatt4", 'm', SP_SYNTH_DEALT }, { "klatt5", 'm', SP_SYNTH_DEALT },
    { "klatt6", 'm', SP_SYNTH_DEALT }, { "m1", 'm', SP_SYNTH_DEALT }, { "m3", 'm', SP_SYNTH_DEALT },
    { "m4", 'm', SP_SYNTH_DEALT }, { "m5", 'm', SP_SYNTH_DEALT }, { "m6", 'm', SP_SYNTH_DEALT },
    { "m7", 'm', SP_SYNTH_DEALT }, { "m8", 'm', SP_SYNTH_DEALT }, { "marcelo", 'm', SP_SYNTH_DEALT },
    { "max", 'm', SP_SYNTH_DEALT }, { "michel", 'm', SP_SYNTH_DEALT }, { "miguel", 'm', SP_SYNTH_DEALT },
    { "norbert", 'm', SP_SYNTH_DEALT }, { "paul", 'm', SP_SYNTH_DEALT }, { "pedro", 'm', SP_SYNTH_DEALT },
    { "quincy", 'm', SP_SYNTH_DEALT }, { "rob", 'm', SP_SYNTH_DEALT }, { "robert", 'm', SP_SYNTH_DEALT },
    { "sandro", 'm', SP_SYNTH_DEALT }, { "travis", 'm', SP_SYNTH_DEALT }, { "victor", 'm', SP_SYNTH_DEALT },
    /* female */
    { "Andrea", 'f', SP_SYNTH_DEALT }, { "Annie", 'f', SP_SYNTH_DEALT }, { "anika", 'f', SP_SYNTH_DEALT },
    { "aunty", 'f', SP_SYNTH_DEALT }, { "belinda", 'f', SP_SYNTH_DEALT }, { "f1", 'f', SP_SYNTH_DEALT },
    { "grandma", 'f', SP_SYNTH_DEALT }, { "linda", 'f', SP_SYNTH_DEALT }, { "shelby", 'f', SP_SYNTH_DEALT },
    { "steph", 'f', SP_SYNTH_DEALT }, { "steph2", 'f', SP_SYNTH_DEALT }, { "steph3", 'f', SP_SYNTH_DEALT },
    { "zac", 'f', SP_SYNTH_DEALT },
};

static int draw(const sp_synth_voice *v, sp_rng *r, sp_synth_prosody *p, sp_error *err)
{
    (void)v;
    (void)err;
    p->pitch = 20 + (double)sp_rng_below(r, 61);
    p->range = 30 + (double)sp_rng_below(r, 51);
    p->rate = RATE_MIN + (double)sp_rng_below(r, RATE_MAX - RATE_MIN + 1);
    return 0;
}

/* ------------------------------------------------------------------------
 * Capturing one synthesis: eSpeak's callback appends audio and events. */

typedef struct {
    char name[9];
    long pos; /* output sample (ESPEAK_RATE) */
} ev_phone;

typedef struct {
    long pos;  /* output sample (ESPEAK_RATE) */
    long cpos; /* character of the text, 0-based */
} ev_word;

typedef struct {
    short *audio;
    long n, cap;
    ev_phone *ph;
    size_t nph, cph;
    ev_word *wd;
    size_t nwd, cwd;
} capture;

/* The callback takes no context argument for audio-only blocks; eSpeak
 * runs one synthesis at a time per process, so one pointer suffices. */
static capture *current;

/* Drop stress marks: ASCII ' , % = and the IPA marks U+02C8, U+02CC. */
static void strip_stress(char *s)
{
    char *w = s;
    for (const char *r = s; *r;) {
        if (*r == '\'' || *r == ',' || *r == '%' || *r == '=') {
            r++;
        } else if ((unsigned char)r[0] == 0xcb && ((unsigned char)r[1] == 0x88 || (unsigned char)r[1] == 0x8c)) {
            r += 2;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

static void capture_event(capture *c, const espeak_EVENT *ev)
{
    if (ev->type == espeakEVENT_PHONEME) {
        if (c->nph == c->cph) c->ph = sp_xrealloc(c->ph, (c->cph = c->cph ? 2 * c->cph : 128) * sizeof *c->ph);
        ev_phone *p = &c->ph[c->nph++];
        /* id.string is not NUL-terminated when the name fills 8 bytes. */
        memcpy(p->name, ev->id.string, 8);
        p->name[8] = '\0';
        strip_stress(p->name);
        p->pos = ev->sample;
    } else if (ev->type == espeakEVENT_WORD) {
        if (c->nwd == c->cwd) c->wd = sp_xrealloc(c->wd, (c->cwd = c->cwd ? 2 * c->cwd : 32) * sizeof *c->wd);
        c->wd[c->nwd].pos = ev->sample;
        c->wd[c->nwd].cpos = ev->text_position - 1;
        c->nwd++;
    }
}

static int on_synth(short *wav, int n, espeak_EVENT *ev)
{
    capture *c = current;
    if (!c) return 1;
    if (wav && n > 0) {
        if (c->n + n > c->cap) {
            while (c->n + n > c->cap) c->cap = c->cap ? 2 * c->cap : 1 << 16;
            c->audio = sp_xrealloc(c->audio, (size_t)c->cap * sizeof *c->audio);
        }
        memcpy(c->audio + c->n, wav, (size_t)n * sizeof *wav);
        c->n += n;
    }
    for (; ev && ev->type != espeakEVENT_LIST_TERMINATED; ev++) capture_event(c, ev);
    return 0;
}

static void capture_free(capture *c)
{
    free(c->audio);
    free(c->ph);
    free(c->wd);
    memset(c, 0, sizeof *c);
}

/* ------------------------------------------------------------------------
 * Segments: eSpeak phonemes -> TIMIT phones at ESPEAK_RATE. */

/* One eSpeak phone after mapping. */
typedef struct {
    const sp_synth_map_entry *m;
    long b;   /* begin (ESPEAK_RATE); ends at the next phone's begin */
    int word; /* index of the word event it belongs to; -1 before the first */
} phone;

/* Map the captured phonemes; an unmapped name is an error naming it. */
static int map_phones(const sp_synth_map *map, const capture *c, const char *where, phone **out, size_t *nout,
                      sp_error *err)
{
    phone *ph = sp_xmalloc((c->nph ? c->nph : 1) * sizeof *ph);
    size_t n = 0, w = 0;
    long last = 0;
    for (size_t i = 0; i < c->nph; i++) {
        const sp_synth_map_entry *m = sp_synth_map_find(map, c->ph[i].name);
        if (!m) {
            free(ph);
            return sp_fail(err, "eSpeak phoneme '%s' (%s) is not in '%s'; add a line for it", c->ph[i].name, where,
                           map->path);
        }
        /* Event positions only move forward and stay within the audio. */
        long pos = c->ph[i].pos;
        if (pos < last) pos = last;
        if (pos > c->n) pos = c->n;
        last = pos;
        while (w < c->nwd && c->wd[w].pos <= pos) w++;
        ph[n].m = m;
        ph[n].b = pos;
        ph[n].word = (int)w - 1;
        n++;
    }
    /* Joins: the span goes to the next phone (or the previous one). */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (ph[i].m->join == SP_SYNTH_JOIN_NEXT && i + 1 < n) {
            ph[i + 1].b = ph[i].b;
            continue;
        }
        if (ph[i].m->join != SP_SYNTH_JOIN_NONE) continue; /* the previous phone extends over it */
        ph[k++] = ph[i];
    }
    *out = ph;
    *nout = k;
    return 0;
}

/* A stop (phone i, span [b, e)) as closure + release. The closure is the
 * digital silence around the stop's event: eSpeak puts its pre-pause
 * before the event, and a stop after s starts its own waveform with
 * silence. Before the event it is taken from the end of the previous
 * segment (never all of it, unless that is a pause); after it, the
 * release keeps at least a fifth of the span. */
static void push_stop(sp_synth_take *t, const capture *c, const sp_synth_map_entry *m, long b, long e, int i)
{
    const sp_synth_seg *prev = t->nseg ? &t->seg[t->nseg - 1] : NULL;
    long lo = b - CLOSURE_MAX, hi = b + (e - b) * 4 / 5;
    if (prev) {
        long plen = b - prev->b;
        long keep = sp_synth_is_pause(prev->label) || sp_synth_is_closure(prev->label) ? 0 : plen / 2;
        if (lo < prev->b + keep) lo = prev->b + keep;
    }
    if (lo < 0) lo = 0;
    long z0 = b, z1 = b, t0 = e;
    while (z0 > lo && c->audio[z0 - 1] == 0) z0--;
    while (z1 < hi && c->audio[z1] == 0) z1++;
    while (t0 > b && c->audio[t0 - 1] == 0) t0--;
    if (z1 - z0 >= CLOSURE_MIN) {
        sp_synth_take_seg(t, m->sym[0], z0, i);
        sp_synth_take_seg(t, m->sym[1], z1, i);
    } else if (e - t0 >= CLOSURE_MIN && t0 > b) {
        /* Voicing, then silence: an unreleased stop (and before another
         * stop, whose closure that silence is). TIMIT labels it with its
         * closure alone. */
        sp_synth_take_seg(t, m->sym[0], b, i);
    } else {
        sp_synth_take_seg(t, m->sym[0], b, i);
        sp_synth_take_seg(t, m->sym[1], b + (long)((double)(e - b) * CLOSURE_SHARE), i);
    }
}

/* The segments of the mapped phones. */
static void build_segments(const capture *c, const phone *ph, size_t n, sp_synth_take *t)
{
    if (n == 0 || ph[0].b > 0) sp_synth_take_seg(t, "pau", 0, -1);
    for (size_t i = 0; i < n; i++) {
        const sp_synth_map_entry *m = ph[i].m;
        long b = ph[i].b, e = i + 1 < n ? ph[i + 1].b : c->n;
        if (m->closure) {
            push_stop(t, c, m, b, e, (int)i);
        } else if (m->nsym == 2) {
            sp_synth_take_seg(t, m->sym[0], b, (int)i);
            sp_synth_take_seg(t, m->sym[1], b + (e - b) / 2, (int)i);
        } else {
            sp_synth_take_seg(t, m->sym[0], b, (int)i);
        }
    }
}

/* ------------------------------------------------------------------------
 * Words: the sentence's own tokens (sp_synth_tokenize), aligned to eSpeak's word events.
 * eSpeak's text positions are not always right ("Most of" reports "of" at
 * the second character) and it speaks some word pairs under one event
 * ("out of"), so events are matched to tokens in order, and an event
 * spanning several tokens shares its phones among them by length. */

/* Phones [list[a], list[z-1]] of each token t0..t1-1, shared by letters. */
static void share_phones(sp_synth_take *t, const size_t *list, size_t m, const sp_synth_token *tok, int t0, int t1)
{
    long letters = 0, acc = 0;
    for (int k = t0; k < t1; k++) letters += tok[k].letters > 0 ? tok[k].letters : 1;
    for (int k = t0; k < t1; k++) {
        size_t a = (size_t)((long)m * acc / letters);
        acc += tok[k].letters > 0 ? tok[k].letters : 1;
        size_t z = (size_t)((long)m * acc / letters);
        if (z <= a) continue; /* too few phones for this token */
        sp_synth_take_word(t, (int)list[a], (int)list[z - 1], tok[k].b, tok[k].len);
        sp_strlower(t->word[t->nword - 1].word);
    }
}

/* The take's words, from the sentence's tokens and the word events. */
static void align_words(const capture *c, const phone *ph, size_t nph, const char *text, sp_synth_take *t)
{
    sp_synth_token *tok = NULL;
    size_t ntok = sp_synth_tokenize(text, &tok);
    if (c->nwd == 0 || ntok == 0 || nph == 0) {
        free(tok);
        return;
    }
    /* Phones with a sound of their own (a segment that is not a pause). */
    char *voiced = sp_xcalloc(nph, 1);
    for (size_t i = 0; i < t->nseg; i++)
        if (t->seg[i].phone >= 0 && !sp_synth_is_pause(t->seg[i].label)) voiced[t->seg[i].phone] = 1;
    /* Token of each word event: the one holding its character, else the
     * next; never one at or before the previous event's. */
    int *first = sp_xmalloc(c->nwd * sizeof *first);
    int prev = -1;
    for (size_t w = 0; w < c->nwd; w++) {
        int k = 0;
        while (k < (int)ntok && tok[k].ce <= c->wd[w].cpos) k++;
        if (k <= prev) k = prev + 1;
        first[w] = k;
        prev = k;
    }
    size_t *list = sp_xmalloc(nph * sizeof *list);
    for (size_t w = 0; w < c->nwd; w++) {
        int t0 = first[w], t1 = w + 1 < c->nwd ? first[w + 1] : (int)ntok;
        if (t0 >= (int)ntok) break;
        if (t1 > (int)ntok) t1 = (int)ntok;
        size_t m = 0;
        for (size_t i = 0; i < nph; i++)
            if (ph[i].word == (int)w && voiced[i]) list[m++] = i;
        if (m > 0) share_phones(t, list, m, tok, t0, t1);
    }
    free(list);
    free(first);
    free(voiced);
    free(tok);
}

/* ------------------------------------------------------------------------
 * The engine's calls. */

typedef struct {
    const sp_synth_map *map;
} state;

/* The variant file !v/NAME is installed (after espeak_Initialize). */
static int have_variant(const char *name)
{
    espeak_VOICE spec;
    memset(&spec, 0, sizeof spec);
    spec.languages = "variant";
    char id[64];
    snprintf(id, sizeof id, "!v/%s", name);
    const espeak_VOICE **list = espeak_ListVoices(&spec);
    for (size_t i = 0; list && list[i]; i++)
        if (strcmp(list[i]->identifier, id) == 0) return 1;
    return 0;
}

static void *open_voice(const sp_synth_voice *v, const sp_synth_map *map, sp_error *err)
{
    /* DONT_EXIT: without it eSpeak calls exit() when its data is missing. */
    if (espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL,
                          espeakINITIALIZE_PHONEME_EVENTS | espeakINITIALIZE_DONT_EXIT) != ESPEAK_RATE) {
        sp_fail(err, "cannot initialise eSpeak NG at %d Hz (is espeak-ng-data installed?)", ESPEAK_RATE);
        return NULL;
    }
    espeak_SetSynthCallback(on_synth);
    /* espeak_SetVoiceByName accepts any variant name, loaded or not. */
    if (!have_variant(v->name)) {
        sp_fail(err, "eSpeak NG has no voice variant '%s' (espeak-ng-data/voices/!v/%s)", v->name, v->name);
        return NULL;
    }
    char name[64];
    snprintf(name, sizeof name, "%s+%s", LANGUAGE, v->name);
    if (espeak_SetVoiceByName(name) != EE_OK) {
        sp_fail(err, "eSpeak NG has no voice '%s' (is espeak-ng-data installed?)", name);
        return NULL;
    }
    state *s = sp_xcalloc(1, sizeof *s);
    s->map = map;
    return s;
}

static void close_voice(void *st)
{
    free(st);
}

/* Synthesise text into c with a little variation from sentence to
 * sentence, as a reader has. */
static int speak(const char *text, const char *where, const sp_synth_prosody *p, sp_rng *r, capture *c,
                 sp_error *err)
{
    int rate = (int)lround(p->rate * (0.95 + 0.1 * sp_rng_uniform(r)));
    if (rate > RATE_CEIL) rate = RATE_CEIL;
    int pitch = (int)p->pitch - 4 + (int)sp_rng_below(r, 9);
    pitch = pitch < 0 ? 0 : pitch > 100 ? 100 : pitch;
    espeak_SetParameter(espeakRATE, rate, 0);
    espeak_SetParameter(espeakPITCH, pitch, 0);
    espeak_SetParameter(espeakRANGE, (int)p->range, 0);
    /* eSpeak's noise sources may draw on rand(); seed it per utterance. */
    srand((unsigned)(sp_rng_u64(r) & 0x7fffffff));

    current = c;
    espeak_ERROR ee = espeak_Synth(text, strlen(text) + 1, 0, POS_CHARACTER, 0, espeakCHARS_UTF8 | espeakENDPAUSE,
                                   NULL, NULL);
    if (ee == EE_OK) ee = espeak_Synchronize();
    current = NULL;
    if (ee != EE_OK) return sp_fail(err, "eSpeak NG failed on %s (error %d)", where, (int)ee);
    if (c->n == 0 || c->nph == 0) return sp_fail(err, "eSpeak NG produced no speech for %s", where);
    return 0;
}

static int say(void *st, const char *text, const char *where, const sp_synth_prosody *p, sp_rng *r,
               sp_synth_take *t, sp_error *err)
{
    const state *s = st;
    capture c;
    memset(&c, 0, sizeof c);
    phone *ph = NULL;
    size_t nph = 0;
    if (speak(text, where, p, r, &c, err) != 0 || map_phones(s->map, &c, where, &ph, &nph, err) != 0) {
        capture_free(&c);
        return -1;
    }
    build_segments(&c, ph, nph, t);
    align_words(&c, ph, nph, text, t);
    t->rate = ESPEAK_RATE;
    t->n = c.n;
    t->audio = sp_xmalloc((size_t)c.n * sizeof *t->audio);
    for (long i = 0; i < c.n; i++) t->audio[i] = (float)c.audio[i] / 32768.0f; /* exact: a power of two */
    free(ph);
    capture_free(&c);
    return 0;
}

const sp_synth_engine sp_synth_espeak = {
    .name = "espeak",
    .map_file = "espeak-timit.map",
    .phone_what = "eSpeak phoneme",
    .voices = voices,
    .nvoices = sizeof voices / sizeof voices[0],
    .draw = draw,
    .fmt = { "%.0f", "%.0f", "%.0f" },
    .open = open_voice,
    .say = say,
    .close = close_voice,
    .inventory = NULL,
};
