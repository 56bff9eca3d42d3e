/* synth.c - the synthetic corpus: eSpeak NG speech with phone alignments
 * in TIMIT layout (see synth.h and sincprobe-corpus(1)).
 *
 * What it is: a parent process that reads the sentence set and the
 * eSpeak-to-TIMIT phone map, plans every speaker (voice variant, pitch,
 * rate, sentences) from the seed, and runs one worker process per speaker,
 * at most --jobs at a time. A worker synthesises its speaker's sentences
 * with libespeak-ng, turns the phoneme and word events into .PHN and .WRD
 * segments, resamples the audio 22050 -> 16000 Hz and writes the four
 * TIMIT files of each utterance.
 *
 * Why one fresh process per speaker: eSpeak NG keeps state between
 * syntheses (the same sentence comes out with different samples after a
 * different predecessor), it cannot be re-initialised within a process
 * (espeak_Terminate then espeak_Initialize hangs in 1.51), and it is not
 * thread safe. A fresh process per speaker that reads the speaker's
 * sentences in a fixed order gives the same bytes whatever --jobs is.
 *
 * What it is not: a model of real speech. Closures come from the silence
 * eSpeak inserts before a stop, and eSpeak places some phoneme events late
 * (a vowel after a liquid or nasal is reported after its onset); the
 * labels are eSpeak's idea of the timing, not a phonetician's. */
#include "config.h"
#include "corpus/synth.h"
#include "base/conf.h"

#include "corpus/phoneset.h"
#include "analysis/resample.h"
#include "base/rng.h"
#include "corpus/sphere.h"
#include "base/log.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <espeak-ng/speak_lib.h>

/* ------------------------------------------------------------------------
 * Constants. Sample positions are at eSpeak's rate (ESPEAK_RATE) until
 * they are mapped to the corpus rate (OUT_RATE) by the ratio of the two. */

#define ESPEAK_RATE 22050
#define OUT_RATE SP_SAMPLE_RATE
#define VOICE "en-us"

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

/* Silence added around each sentence, in output samples: TIMIT
 * utterances start and end with 100-200 ms of h#, eSpeak with ~10 ms. */
#define LEAD_MIN 1600
#define LEAD_SPAN 1600
#define TRAIL_MIN 800
#define TRAIL_SPAN 1600
/* Standard deviation of the noise floor in LSB (about -72 dBFS): no
 * microphone gives exact digital zeros, and all-zero windows are a
 * degenerate input for normalisation layers and information estimates. */
#define NOISE_SIGMA 8.0

#define MAX_SPEAKERS 5000
#define MAX_SENTENCE_BYTES 1000

/* ------------------------------------------------------------------------
 * Voice variants (espeak-ng-data/voices/!v), by sex. Every fourth of each
 * list is kept for TEST speakers, so test voices are unheard in training
 * as TIMIT's test speakers are. Left out: robotic, whispering and extreme
 * variants, and those with an echo (f2-f5, m2, Alicia, pablo): the echo
 * fills the silence of stop closures, which is where closures are found,
 * and reverberation is a degradation for the probes to add, not part of a
 * clean corpus. */

static const char *const male_variants[] = {
    "m1", "m3", "m4", "m5", "m6", "m7", "m8", "Andy",
    "Lee", "Denis", "Diogo", "Henrique", "Hugo", "antonio", "michel", "miguel",
    "travis", "victor", "Mike", "Jacky", "Mario", "Michael", "gustave", "marcelo",
    "robert", "quincy", "paul", "pedro", "john", "norbert",
};
static const char *const female_variants[] = {
    "f1", "Andrea", "Annie", "anika", "aunty", "belinda", "linda", "steph",
    "steph2", "steph3", "shelby", "grandma",
};

/* ------------------------------------------------------------------------
 * The phone map (corpora/espeak-timit.map). */

enum { JOIN_NONE = 0, JOIN_PREV = -1, JOIN_NEXT = 1 };

typedef struct {
    char esp[16];     /* eSpeak phoneme name */
    char sym[2][8];   /* TIMIT symbols */
    int nsym;         /* 1 or 2; 0 for a join */
    int join;         /* JOIN_* */
    int closure;      /* sym[0] is a closure (bcl ... tcl) and sym[1] its release */
} map_entry;

typedef struct {
    map_entry *v;
    size_t n;
    char *path;
} phone_map;

static int is_closure(const char *sym)
{
    size_t n = strlen(sym);
    return n == 3 && strcmp(sym + 1, "cl") == 0;
}

static int is_pause(const char *sym)
{
    return strcmp(sym, "pau") == 0 || strcmp(sym, "h#") == 0;
}

/* Cut a line into white-space separated fields, dropping a comment (a
 * '#' at the start or after white space: '#' inside a name is kept). */
static int split_fields(char *line, char **f, int max)
{
    int n = 0;
    char *p = line;
    for (;;) {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++;
        if (!*p || *p == '#') break;
        if (n == max) return max + 1;
        f[n++] = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n') p++;
        if (*p) *p++ = '\0';
    }
    return n;
}

static void map_free(phone_map *m)
{
    free(m->v);
    free(m->path);
    m->v = NULL;
    m->n = 0;
    m->path = NULL;
}

static int map_load(phone_map *m, const sp_phoneset *ps, sp_error *err)
{
    memset(m, 0, sizeof *m);
    m->path = sp_data_file("espeak-timit.map", err);
    if (!m->path) return -1;
    char *text = sp_read_file(m->path, NULL, err);
    if (!text) {
        map_free(m);
        return -1;
    }
    size_t cap = 0;
    long lineno = 0;
    int rc = 0;
    for (char *line = text, *next; line && rc == 0; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        lineno++;
        char *f[4];
        int nf = split_fields(line, f, 3);
        if (nf == 0) continue;
        if (nf < 2 || nf > 3) {
            rc = sp_fail(err, "%s:%ld: expected 'espeak_phoneme timit_symbol [timit_symbol2]'", m->path, lineno);
            break;
        }
        map_entry e;
        memset(&e, 0, sizeof e);
        if (strlen(f[0]) >= sizeof e.esp) {
            rc = sp_fail(err, "%s:%ld: eSpeak phoneme name '%s' is too long", m->path, lineno, f[0]);
            break;
        }
        strcpy(e.esp, f[0]);
        if (strcmp(f[1], ">") == 0 || strcmp(f[1], "<") == 0) {
            if (nf != 2) {
                rc = sp_fail(err, "%s:%ld: '%s' takes no second symbol", m->path, lineno, f[1]);
                break;
            }
            e.join = f[1][0] == '>' ? JOIN_NEXT : JOIN_PREV;
        } else {
            for (int k = 1; k < nf; k++) {
                if (sp_phone61(ps, f[k]) < 0) {
                    rc = sp_fail(err, "%s:%ld: '%s' is not one of the 61 TIMIT symbols", m->path, lineno, f[k]);
                    break;
                }
                strcpy(e.sym[k - 1], f[k]);
            }
            if (rc) break;
            e.nsym = nf - 1;
            e.closure = e.nsym == 2 && is_closure(e.sym[0]) && !is_closure(e.sym[1]);
        }
        for (size_t i = 0; i < m->n; i++)
            if (strcmp(m->v[i].esp, e.esp) == 0) {
                rc = sp_fail(err, "%s:%ld: eSpeak phoneme '%s' is mapped twice", m->path, lineno, e.esp);
                break;
            }
        if (rc) break;
        if (m->n == cap) m->v = sp_xrealloc(m->v, (cap = cap ? 2 * cap : 128) * sizeof *m->v);
        m->v[m->n++] = e;
    }
    free(text);
    if (rc == 0 && m->n == 0) rc = sp_fail(err, "'%s' maps no phonemes", m->path);
    if (rc) map_free(m);
    return rc;
}

static const map_entry *map_find(const phone_map *m, const char *name)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->v[i].esp, name) == 0) return &m->v[i];
    return NULL;
}

/* ------------------------------------------------------------------------
 * The sentence set. */

typedef struct {
    char *text;
    long line;      /* line in the file: names the utterance */
} sentence;

typedef struct {
    sentence *v;
    int n;
    char *path;
} sentence_set;

static void sentences_free(sentence_set *s)
{
    for (int i = 0; i < s->n; i++) free(s->v[i].text);
    free(s->v);
    free(s->path);
    memset(s, 0, sizeof *s);
}

/* Length of the UTF-8 sequence at p, or 0 when it is not valid UTF-8. */
static int utf8_len(const unsigned char *p)
{
    int n = p[0] < 0x80 ? 1 : (p[0] & 0xe0) == 0xc0 ? 2 : (p[0] & 0xf0) == 0xe0 ? 3 : (p[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 2 && p[0] < 0xc2) return 0;
    for (int i = 1; i < n; i++)
        if ((p[i] & 0xc0) != 0x80) return 0;
    return n;
}

static int sentences_load(sentence_set *s, const char *path, sp_error *err)
{
    memset(s, 0, sizeof *s);
    s->path = path ? sp_xstrdup(path) : sp_data_file("sentences.txt", err);
    if (!s->path) return -1;
    char *text = sp_read_file(s->path, NULL, err);
    if (!text) {
        sentences_free(s);
        return -1;
    }
    int cap = 0, rc = 0;
    long lineno = 0;
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        else if (!*line) break;
        lineno++;
        sp_strtrim(line);
        if (!*line || line[0] == '#') continue;
        int letters = 0;
        for (const unsigned char *p = (const unsigned char *)line; *p;) {
            int n = utf8_len(p);
            if (n == 0) {
                rc = sp_fail(err, "%s:%ld: not valid UTF-8", s->path, lineno);
                break;
            }
            if (n == 1 && *p < 0x20 && *p != '\t') {
                rc = sp_fail(err, "%s:%ld: control character in the sentence", s->path, lineno);
                break;
            }
            if (n > 1 || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) letters++;
            p += n;
        }
        if (rc) break;
        if (!letters) {
            rc = sp_fail(err, "%s:%ld: expected a sentence, found no letters", s->path, lineno);
            break;
        }
        if (strlen(line) > MAX_SENTENCE_BYTES) {
            rc = sp_fail(err, "%s:%ld: sentence longer than %d bytes", s->path, lineno, MAX_SENTENCE_BYTES);
            break;
        }
        for (char *p = line; *p; p++)
            if (*p == '\t') *p = ' ';
        if (s->n == cap) s->v = sp_xrealloc(s->v, (size_t)(cap = cap ? 2 * cap : 256) * sizeof *s->v);
        s->v[s->n].text = sp_xstrdup(line);
        s->v[s->n].line = lineno;
        s->n++;
    }
    free(text);
    if (rc == 0 && s->n == 0) rc = sp_fail(err, "'%s' holds no sentences", s->path);
    if (rc) sentences_free(s);
    return rc;
}

/* ------------------------------------------------------------------------
 * The plan: every speaker and what it reads, drawn from the seed in the
 * parent, so that a worker needs nothing but its speaker. */

typedef struct {
    char id[8];           /* lower case, e.g. "fabc0" */
    char sex;             /* 'f' or 'm' */
    int test;             /* under TEST */
    int dev;              /* TEST speaker listed in dev_spk.list (else core) */
    int dialect;          /* 1..8 */
    const char *variant;  /* eSpeak voice variant */
    int pitch, range;     /* espeakPITCH, espeakRANGE (0..100) */
    int rate;             /* words a minute */
    double gain;          /* output level */
    int *sent;            /* indices into the sentence set */
    uint64_t stream;      /* RNG stream of its utterances */
} speaker;

typedef struct {
    const sp_synth_opts *o;
    sentence_set ss;
    phone_map map;
    sp_phoneset ps;
    speaker *spk;
    int nspk;
} plan;

static void plan_free(plan *p)
{
    for (int i = 0; i < p->nspk; i++) free(p->spk[i].sent);
    free(p->spk);
    sentences_free(&p->ss);
    map_free(&p->map);
    p->spk = NULL;
    p->nspk = 0;
}

static void shuffle(int *v, int n, sp_rng *r)
{
    for (int i = n - 1; i > 0; i--) {
        int j = (int)sp_rng_below(r, (uint64_t)i + 1);
        int t = v[i];
        v[i] = v[j];
        v[j] = t;
    }
}

/* Deal `per` distinct sentences of pool (np of them) to each speaker of
 * the group, like cards from a shuffled deck, reshuffled when it runs
 * out: every sentence is read about equally often. */
static void deal_sentences(speaker **group, int ng, const int *pool, int np, int per, sp_rng *r)
{
    int *deck = sp_xmalloc((size_t)np * sizeof *deck);
    memcpy(deck, pool, (size_t)np * sizeof *deck);
    shuffle(deck, np, r);
    int pos = 0;
    for (int g = 0; g < ng; g++) {
        speaker *s = group[g];
        s->sent = sp_xmalloc((size_t)per * sizeof *s->sent);
        for (int j = 0; j < per; j++) {
            for (;;) {
                int k = pos;
                for (; k < np; k++) {
                    int used = 0;
                    for (int u = 0; u < j; u++) used |= s->sent[u] == deck[k];
                    if (!used) break;
                }
                if (k < np) {
                    int t = deck[pos];
                    deck[pos] = deck[k];
                    deck[k] = t;
                    s->sent[j] = deck[pos++];
                    break;
                }
                /* The rest of the deck is all this speaker's: start a new
                 * one (np > j, so it holds a sentence not yet read). */
                shuffle(deck, np, r);
                pos = 0;
            }
        }
    }
    free(deck);
}

static int id_taken(const plan *p, int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (strcmp(p->spk[i].id, id) == 0) return 1;
    return 0;
}

static int plan_make(plan *p, const sp_synth_opts *o, sp_error *err)
{
    memset(p, 0, sizeof *p);
    p->o = o;
    if (sp_phoneset_load_default(&p->ps, err) != 0) return -1;
    if (map_load(&p->map, &p->ps, err) != 0) return -1;
    if (sentences_load(&p->ss, o->text, err) != 0) {
        plan_free(p);
        return -1;
    }
    const int ns = p->ss.n, per = o->sentences;
    if (ns < per) {
        sp_fail(err, "'%s' holds %d sentence%s, fewer than the %d each speaker reads (--sentences)", p->ss.path, ns,
                ns == 1 ? "" : "s", per);
        plan_free(p);
        return -1;
    }

    /* Every fourth sentence is for TEST speakers only, as TIMIT keeps its
     * test sentences out of training; when either part would be smaller
     * than what one speaker reads, both read from the whole set. */
    int *train_pool = sp_xmalloc((size_t)ns * sizeof(int)), *test_pool = sp_xmalloc((size_t)ns * sizeof(int));
    int ntrain = 0, ntest = 0;
    for (int i = 0; i < ns; i++) {
        if (i % 4 == 3) test_pool[ntest++] = i;
        else train_pool[ntrain++] = i;
    }
    if (ntrain < per || ntest < per) {
        for (int i = 0; i < ns; i++) train_pool[i] = test_pool[i] = i;
        ntrain = ntest = ns;
    }

    p->nspk = o->speakers + o->test_speakers;
    p->spk = sp_xcalloc((size_t)p->nspk, sizeof *p->spk);
    sp_rng r;
    sp_rng_seed(&r, o->seed, 0);

    /* Voice variants per sex and set, each list dealt in a shuffled cycle
     * so that every variant is used about equally often. */
    const size_t nm = sizeof male_variants / sizeof male_variants[0];
    const size_t nf = sizeof female_variants / sizeof female_variants[0];
    _Static_assert(sizeof male_variants / sizeof male_variants[0] <= 32 &&
                       sizeof female_variants / sizeof female_variants[0] <= 32,
                   "the variant lists below hold 32 names");
    const char *vlist[2][2][32]; /* [test][female][] */
    int vn[2][2] = { { 0 } }, vpos[2][2] = { { 0 } };
    int vorder[2][2][32];
    for (size_t i = 0; i < nm; i++) {
        int t = i % 4 == 3;
        vlist[t][0][vn[t][0]++] = male_variants[i];
    }
    for (size_t i = 0; i < nf; i++) {
        int t = i % 4 == 3;
        vlist[t][1][vn[t][1]++] = female_variants[i];
    }
    for (int t = 0; t < 2; t++)
        for (int f = 0; f < 2; f++) {
            for (int i = 0; i < vn[t][f]; i++) vorder[t][f][i] = i;
            shuffle(vorder[t][f], vn[t][f], &r);
        }

    for (int i = 0; i < p->nspk; i++) {
        speaker *s = &p->spk[i];
        int test = i >= o->speakers;
        int k = test ? i - o->speakers : i;
        s->test = test;
        /* TRAIN alternates m f m f; TEST goes m m f f so that alternating
         * dev/core halves each get both sexes. */
        s->sex = test ? ((k / 2) % 2 ? 'f' : 'm') : (k % 2 ? 'f' : 'm');
        s->dev = test && k % 2 == 0;
        s->dialect = 1 + (int)sp_rng_below(&r, 8);
        int fem = s->sex == 'f';
        if (vpos[test][fem] == vn[test][fem]) {
            shuffle(vorder[test][fem], vn[test][fem], &r);
            vpos[test][fem] = 0;
        }
        s->variant = vlist[test][fem][vorder[test][fem][vpos[test][fem]++]];
        s->pitch = 20 + (int)sp_rng_below(&r, 61);
        s->range = 30 + (int)sp_rng_below(&r, 51);
        s->rate = RATE_MIN + (int)sp_rng_below(&r, RATE_MAX - RATE_MIN + 1);
        s->gain = 0.45 + 0.45 * sp_rng_uniform(&r);
        s->stream = 1 + (uint64_t)i;
        /* Initials and a digit, as TIMIT's; the digit tells apart
         * speakers whose sex and initials coincide. */
        char base[5];
        base[0] = s->sex;
        for (int c = 1; c < 4; c++) base[c] = (char)('a' + sp_rng_below(&r, 26));
        base[4] = '\0';
        int digit = 0;
        do snprintf(s->id, sizeof s->id, "%s%d", base, digit++);
        while (id_taken(p, i, s->id) && digit <= 9);
        while (id_taken(p, i, s->id)) { /* ten of one initials: new ones */
            for (int c = 1; c < 4; c++) base[c] = (char)('a' + sp_rng_below(&r, 26));
            snprintf(s->id, sizeof s->id, "%s0", base);
        }
    }

    speaker **group = sp_xmalloc((size_t)p->nspk * sizeof *group);
    for (int i = 0; i < o->speakers; i++) group[i] = &p->spk[i];
    deal_sentences(group, o->speakers, train_pool, ntrain, per, &r);
    for (int i = 0; i < o->test_speakers; i++) group[i] = &p->spk[o->speakers + i];
    deal_sentences(group, o->test_speakers, test_pool, ntest, per, &r);
    free(group);
    free(train_pool);
    free(test_pool);
    return 0;
}

/* "TRAIN/DR3/FABC0" under the output root. Caller frees. */
static char *speaker_dir(const char *out, const speaker *s)
{
    char up[8];
    snprintf(up, sizeof up, "%s", s->id);
    sp_strupper(up);
    return sp_xasprintf("%s/%s/DR%d/%s", out, s->test ? "TEST" : "TRAIN", s->dialect, up);
}

/* "SX45" / "SI245": the sentence's line; the first half of the set is
 * SX, the second SI (TIMIT's two kinds, which here differ only in name). */
static void utt_name(const plan *p, int sent, char *buf, size_t n)
{
    snprintf(buf, n, "%s%ld", sent < (p->ss.n + 1) / 2 ? "SX" : "SI", p->ss.v[sent].line);
}

/* ------------------------------------------------------------------------
 * Capturing one synthesis: eSpeak's callback appends audio and events. */

typedef struct {
    char name[9];
    long pos;       /* output sample (ESPEAK_RATE) */
} ev_phone;

typedef struct {
    long pos;       /* output sample (ESPEAK_RATE) */
    long cpos;      /* character of the text, 0-based */
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
    for (; ev && ev->type != espeakEVENT_LIST_TERMINATED; ev++) {
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
 * Segments: eSpeak phonemes -> TIMIT phones, with positions first at
 * ESPEAK_RATE and then in output samples. A segment ends where the next
 * begins; the last ends at the end of the audio. */

typedef struct {
    char label[8];
    long b;
    int phone;      /* index of the eSpeak phone it comes from; -1 for padding */
} seg;

typedef struct {
    seg *v;
    size_t n, cap;
} segs;

static void segs_push(segs *s, const char *label, long b, int phone)
{
    if (s->n == s->cap) s->v = sp_xrealloc(s->v, (s->cap = s->cap ? 2 * s->cap : 128) * sizeof *s->v);
    seg *g = &s->v[s->n++];
    snprintf(g->label, sizeof g->label, "%s", label);
    g->b = b;
    g->phone = phone;
}

/* One eSpeak phone after mapping. */
typedef struct {
    const map_entry *m;
    long b;         /* begin (ESPEAK_RATE); ends at the next phone's begin */
    int word;       /* index of the word event it belongs to; -1 before the first */
} phone;

/* Map the captured phonemes; an unmapped name is an error naming it. */
static int map_phones(const plan *p, const capture *c, const sentence *snt, phone **out, size_t *nout, sp_error *err)
{
    phone *ph = sp_xmalloc((c->nph ? c->nph : 1) * sizeof *ph);
    size_t n = 0;
    size_t w = 0;
    long last = 0;
    for (size_t i = 0; i < c->nph; i++) {
        const map_entry *m = map_find(&p->map, c->ph[i].name);
        if (!m) {
            free(ph);
            return sp_fail(err, "eSpeak phoneme '%s' (%s:%ld) is not in '%s'; add a line for it", c->ph[i].name,
                           p->ss.path, snt->line, p->map.path);
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
        if (ph[i].m->join == JOIN_NEXT && i + 1 < n) {
            ph[i + 1].b = ph[i].b;
            continue;
        }
        if (ph[i].m->join != JOIN_NONE) continue; /* the previous phone extends over it */
        ph[k++] = ph[i];
    }
    *out = ph;
    *nout = k;
    return 0;
}

/* Build the segments at ESPEAK_RATE from the mapped phones. */
static void build_segments(const capture *c, const phone *ph, size_t n, segs *s)
{
    if (n == 0 || ph[0].b > 0) segs_push(s, "pau", 0, -1);
    for (size_t i = 0; i < n; i++) {
        const map_entry *m = ph[i].m;
        long b = ph[i].b, e = i + 1 < n ? ph[i + 1].b : c->n;
        if (m->closure) {
            /* The closure is the digital silence around the stop's event:
             * eSpeak puts its pre-pause before the event, and a stop after
             * s starts its own waveform with silence. Before the event it
             * is taken from the end of the previous segment (never all of
             * it, unless that is a pause); after it, the release keeps at
             * least a fifth of the span. */
            seg *prev = s->n ? &s->v[s->n - 1] : NULL;
            long lo = b - CLOSURE_MAX, hi = b + (e - b) * 4 / 5;
            if (prev) {
                long plen = b - prev->b;
                long keep = is_pause(prev->label) || is_closure(prev->label) ? 0 : plen / 2;
                if (lo < prev->b + keep) lo = prev->b + keep;
            }
            if (lo < 0) lo = 0;
            long z0 = b, z1 = b, t0 = e;
            while (z0 > lo && c->audio[z0 - 1] == 0) z0--;
            while (z1 < hi && c->audio[z1] == 0) z1++;
            while (t0 > b && c->audio[t0 - 1] == 0) t0--;
            if (z1 - z0 >= CLOSURE_MIN) {
                segs_push(s, m->sym[0], z0, (int)i);
                segs_push(s, m->sym[1], z1, (int)i);
            } else if (e - t0 >= CLOSURE_MIN && t0 > b) {
                /* Voicing, then silence: an unreleased stop (and before
                 * another stop, whose closure that silence is). TIMIT
                 * labels it with its closure alone. */
                segs_push(s, m->sym[0], b, (int)i);
            } else {
                segs_push(s, m->sym[0], b, (int)i);
                segs_push(s, m->sym[1], b + (long)((double)(e - b) * CLOSURE_SHARE), (int)i);
            }
        } else if (m->nsym == 2) {
            segs_push(s, m->sym[0], b, (int)i);
            segs_push(s, m->sym[1], b + (e - b) / 2, (int)i);
        } else {
            segs_push(s, m->sym[0], b, (int)i);
        }
    }
}

/* ESPEAK_RATE position -> output sample, rounded. */
static long to_out(long pos)
{
    return (long)(((int64_t)pos * OUT_RATE + ESPEAK_RATE / 2) / ESPEAK_RATE);
}

/* Map to output samples (after `lead` samples of padding, nout of speech,
 * `total` in all), add the end padding, drop empty segments, merge
 * adjacent pauses and name the outer ones h#. */
static void finish_segments(segs *s, long lead, long nout, long total)
{
    for (size_t i = 0; i < s->n; i++) {
        long b = lead + to_out(s->v[i].b);
        s->v[i].b = b > lead + nout ? lead + nout : b;
    }
    /* The padding before and after the speech is silence too. */
    if (s->n == 0 || s->v[0].b > 0) {
        segs_push(s, "pau", 0, -1);
        memmove(s->v + 1, s->v, (s->n - 1) * sizeof *s->v);
        s->v[0].b = 0;
        snprintf(s->v[0].label, sizeof s->v[0].label, "pau");
        s->v[0].phone = -1;
    }
    segs_push(s, "pau", lead + nout, -1);

    size_t k = 0;
    for (size_t i = 0; i < s->n; i++) {
        long e = i + 1 < s->n ? s->v[i + 1].b : total;
        if (e <= s->v[i].b) continue; /* empty: its neighbours meet */
        if (k > 0 && is_pause(s->v[k - 1].label) && is_pause(s->v[i].label)) continue; /* one pause */
        s->v[k++] = s->v[i];
    }
    s->n = k;
    /* An empty segment dropped before a kept one leaves the kept one's
     * begin as it was; the previous segment's end is implicit, so the
     * cover stays gap-free. */
    if (k > 0) {
        if (is_pause(s->v[0].label)) snprintf(s->v[0].label, sizeof s->v[0].label, "h#");
        if (is_pause(s->v[k - 1].label)) snprintf(s->v[k - 1].label, sizeof s->v[k - 1].label, "h#");
    }
}

/* ------------------------------------------------------------------------
 * Words: the sentence's own tokens, aligned to eSpeak's word events.
 * eSpeak's text positions are not always right ("Most of" reports "of" at
 * the second character) and it speaks some word pairs under one event
 * ("out of"), so events are matched to tokens in order, and an event
 * spanning several tokens shares its phones among them by length. */

typedef struct {
    long cb, ce;    /* characters [cb, ce) */
    char *word;     /* lower case, TIMIT style: letters, digits, ' and - */
    int letters;
} token;

static int word_char(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '\'' ||
           ch == '-' || ch >= 0x80;
}

static size_t tokenize(const char *text, token **out)
{
    size_t n = 0, cap = 16;
    token *t = sp_xmalloc(cap * sizeof *t);
    const unsigned char *p = (const unsigned char *)text;
    long ci = 0;
    while (*p) {
        if (!word_char(*p)) {
            p++;
            ci++;
            continue;
        }
        const unsigned char *b = p;
        long cb = ci;
        while (*p && word_char(*p)) {
            int len = utf8_len(p);
            p += len ? len : 1;
            ci++;
        }
        /* Strip apostrophes and hyphens at the ends (quotes, dashes). */
        const unsigned char *e = p;
        long ce = ci;
        while (b < e && (*b == '\'' || *b == '-')) b++, cb++;
        while (e > b && (e[-1] == '\'' || e[-1] == '-')) e--, ce--;
        if (b == e) continue;
        if (n == cap) t = sp_xrealloc(t, (cap *= 2) * sizeof *t);
        t[n].cb = cb;
        t[n].ce = ce;
        t[n].word = sp_xmalloc((size_t)(e - b) + 1);
        memcpy(t[n].word, b, (size_t)(e - b));
        t[n].word[e - b] = '\0';
        sp_strlower(t[n].word);
        t[n].letters = 0;
        for (const unsigned char *q = b; q < e; q++) t[n].letters += *q != '\'' && *q != '-' && (*q & 0xc0) != 0x80;
        n++;
    }
    *out = t;
    return n;
}

typedef struct {
    long b, e;
    const char *word;
} word_seg;

/* Word segments from the final phone segments. */
static size_t align_words(const capture *c, const phone *ph, size_t nph, const segs *s, long total, token *tok,
                          size_t ntok, word_seg **out)
{
    *out = NULL;
    if (c->nwd == 0 || ntok == 0 || nph == 0) return 0;
    /* Each phone's span in output samples, over its non-pause segments. */
    long *pb = sp_xmalloc(nph * sizeof *pb), *pe = sp_xmalloc(nph * sizeof *pe);
    for (size_t i = 0; i < nph; i++) pb[i] = pe[i] = -1;
    for (size_t i = 0; i < s->n; i++) {
        int k = s->v[i].phone;
        if (k < 0 || is_pause(s->v[i].label)) continue;
        long e = i + 1 < s->n ? s->v[i + 1].b : total;
        if (pb[k] < 0) pb[k] = s->v[i].b;
        pe[k] = e;
    }
    /* Token of each word event: the one holding its character, else the
     * next; never one at or before the previous event's. */
    int *first = sp_xmalloc(c->nwd * sizeof *first);
    int prev = -1;
    for (size_t w = 0; w < c->nwd; w++) {
        int t = 0;
        while (t < (int)ntok && tok[t].ce <= c->wd[w].cpos) t++;
        if (t <= prev) t = prev + 1;
        first[w] = t;
        prev = t;
    }
    word_seg *ws = sp_xmalloc(ntok * sizeof *ws);
    size_t nw = 0;
    size_t *list = sp_xmalloc(nph * sizeof *list);
    for (size_t w = 0; w < c->nwd; w++) {
        int t0 = first[w], t1 = w + 1 < c->nwd ? first[w + 1] : (int)ntok;
        if (t0 >= (int)ntok) break;
        if (t1 > (int)ntok) t1 = (int)ntok;
        size_t m = 0;
        for (size_t i = 0; i < nph; i++)
            if (ph[i].word == (int)w && pb[i] >= 0) list[m++] = i;
        if (m == 0) continue;
        long letters = 0;
        for (int t = t0; t < t1; t++) letters += tok[t].letters > 0 ? tok[t].letters : 1;
        long acc = 0;
        for (int t = t0; t < t1; t++) {
            size_t a = (size_t)((long)m * acc / letters);
            acc += tok[t].letters > 0 ? tok[t].letters : 1;
            size_t z = (size_t)((long)m * acc / letters);
            if (z <= a) continue; /* too few phones for this token */
            long b = pb[list[a]], e = pe[list[z - 1]];
            if (nw > 0 && b < ws[nw - 1].e) b = ws[nw - 1].e;
            if (e <= b) continue;
            ws[nw].b = b;
            ws[nw].e = e;
            ws[nw].word = tok[t].word;
            nw++;
        }
    }
    free(list);
    free(first);
    free(pb);
    free(pe);
    *out = ws;
    return nw;
}

/* ------------------------------------------------------------------------
 * One utterance: synthesise, resample, segment, write. */

/* .PHN: "begin end label" covering [0, total) without gaps. */
static int write_phn(const char *path, const segs *s, long total, sp_error *err)
{
    sp_atomic_file af;
    if (sp_atomic_open(&af, path, err) != 0) return -1;
    for (size_t i = 0; i < s->n; i++)
        fprintf(af.f, "%ld %ld %s\n", s->v[i].b, i + 1 < s->n ? s->v[i + 1].b : total, s->v[i].label);
    return sp_atomic_commit(&af, err);
}

static int write_wrd(const char *path, const word_seg *w, size_t n, sp_error *err)
{
    sp_atomic_file af;
    if (sp_atomic_open(&af, path, err) != 0) return -1;
    for (size_t i = 0; i < n; i++) fprintf(af.f, "%ld %ld %s\n", w[i].b, w[i].e, w[i].word);
    return sp_atomic_commit(&af, err);
}

/* .TXT: "0 total The sentence." */
static int write_txt(const char *path, long total, const char *text, sp_error *err)
{
    sp_atomic_file af;
    if (sp_atomic_open(&af, path, err) != 0) return -1;
    fprintf(af.f, "0 %ld %s\n", total, text);
    return sp_atomic_commit(&af, err);
}

/* eSpeak's int16 samples at ESPEAK_RATE -> float at OUT_RATE. */
static int resample(const short *in, long n, float **out, long *nout, sp_error *err)
{
    float *fin = sp_xmalloc((size_t)(n ? n : 1) * sizeof *fin);
    for (long i = 0; i < n; i++) fin[i] = (float)in[i] / 32768.0f; /* exact: a power of two */
    int rc = sp_resample(fin, n, ESPEAK_RATE, OUT_RATE, out, nout, err);
    free(fin);
    return rc != 0 ? sp_error_prefix(err, "cannot resample: ") : 0;
}

static int synth_utterance(const plan *p, const speaker *sp, int k, const char *dir, long *samples, sp_error *err)
{
    const sentence *snt = &p->ss.v[sp->sent[k]];
    sp_rng r;
    sp_rng_seed(&r, p->o->seed, sp->stream * 4096 + (uint64_t)k);

    /* A little variation from sentence to sentence, as a reader has. */
    int rate = (int)lround(sp->rate * (0.95 + 0.1 * sp_rng_uniform(&r)));
    if (rate > RATE_CEIL) rate = RATE_CEIL;
    int pitch = sp->pitch - 4 + (int)sp_rng_below(&r, 9);
    pitch = pitch < 0 ? 0 : pitch > 100 ? 100 : pitch;
    espeak_SetParameter(espeakRATE, rate, 0);
    espeak_SetParameter(espeakPITCH, pitch, 0);
    espeak_SetParameter(espeakRANGE, sp->range, 0);
    /* eSpeak's noise sources may draw on rand(); seed it per utterance. */
    srand((unsigned)(sp_rng_u64(&r) & 0x7fffffff));

    capture c;
    memset(&c, 0, sizeof c);
    current = &c;
    espeak_ERROR ee = espeak_Synth(snt->text, strlen(snt->text) + 1, 0, POS_CHARACTER, 0,
                                   espeakCHARS_UTF8 | espeakENDPAUSE, NULL, NULL);
    if (ee == EE_OK) ee = espeak_Synchronize();
    current = NULL;
    if (ee != EE_OK) {
        capture_free(&c);
        return sp_fail(err, "eSpeak NG failed on %s:%ld (error %d)", p->ss.path, snt->line, (int)ee);
    }
    if (c.n == 0 || c.nph == 0) {
        capture_free(&c);
        return sp_fail(err, "eSpeak NG produced no speech for %s:%ld", p->ss.path, snt->line);
    }

    phone *ph = NULL;
    size_t nph = 0;
    if (map_phones(p, &c, snt, &ph, &nph, err) != 0) {
        capture_free(&c);
        return -1;
    }
    segs s = { 0 };
    build_segments(&c, ph, nph, &s);

    float *f16 = NULL;
    long n16 = 0;
    if (resample(c.audio, c.n, &f16, &n16, err) != 0) {
        free(ph);
        free(s.v);
        capture_free(&c);
        return -1;
    }
    long lead = LEAD_MIN + (long)sp_rng_below(&r, LEAD_SPAN + 1);
    long trail = TRAIL_MIN + (long)sp_rng_below(&r, TRAIL_SPAN + 1);
    long total = lead + n16 + trail;
    finish_segments(&s, lead, n16, total);

    int16_t *pcm = sp_xmalloc((size_t)total * sizeof *pcm);
    for (long i = 0; i < total; i++) {
        double v = i >= lead && i < lead + n16 ? (double)f16[i - lead] * 32768.0 * sp->gain : 0.0;
        v += NOISE_SIGMA * sp_rng_normal(&r);
        long q = lrint(v);
        pcm[i] = (int16_t)(q > 32767 ? 32767 : q < -32768 ? -32768 : q);
    }
    free(f16);

    token *tok = NULL;
    size_t ntok = tokenize(snt->text, &tok);
    word_seg *ws = NULL;
    size_t nw = align_words(&c, ph, nph, &s, total, tok, ntok, &ws);

    char name[24], uttid[40];
    utt_name(p, sp->sent[k], name, sizeof name);
    /* TIMIT's SPHERE utterance_id: speaker without its sex, utterance. */
    snprintf(uttid, sizeof uttid, "%s_%s", sp->id + 1, name);
    sp_strlower(uttid);
    char *base = sp_xasprintf("%s/%s", dir, name);
    char *path = sp_xasprintf("%s.WAV", base);
    int rc = sp_sphere_write(path, pcm, total, OUT_RATE, uttid, err);
    free(path);
    if (rc == 0) {
        path = sp_xasprintf("%s.PHN", base);
        rc = write_phn(path, &s, total, err);
        free(path);
    }
    if (rc == 0) {
        path = sp_xasprintf("%s.WRD", base);
        rc = write_wrd(path, ws, nw, err);
        free(path);
    }
    if (rc == 0) {
        path = sp_xasprintf("%s.TXT", base);
        rc = write_txt(path, total, snt->text, err);
        free(path);
    }
    free(base);
    for (size_t i = 0; i < ntok; i++) free(tok[i].word);
    free(tok);
    free(ws);
    free(pcm);
    free(ph);
    free(s.v);
    capture_free(&c);
    if (rc == 0) *samples = total;
    return rc;
}

/* ------------------------------------------------------------------------
 * Workers: one process per speaker; messages to the parent on a pipe. */

enum { MSG_UTT = 1, MSG_DONE = 2, MSG_FAIL = 3 };

/* Smaller than PIPE_BUF, so each write arrives whole. */
typedef struct {
    int kind;
    long samples;
    char text[SP_ERRLEN];
} msg;

static int send_msg(int fd, int kind, long samples, const char *text)
{
    msg m;
    memset(&m, 0, sizeof m);
    m.kind = kind;
    m.samples = samples;
    if (text) snprintf(m.text, sizeof m.text, "%s", text);
    for (;;) {
        ssize_t w = write(fd, &m, sizeof m);
        if (w == (ssize_t)sizeof m) return 0;
        if (w < 0 && errno == EINTR) continue;
        return -1;
    }
}

/* The work of one speaker's process. Returns 0, or -1 with err. */
static int run_speaker(const plan *p, const speaker *sp, int fd, sp_error *err)
{
    char *dir = speaker_dir(p->o->out, sp);
    int rc = sp_mkdirs(dir, err);
    /* DONT_EXIT: without it eSpeak calls exit() when its data is missing. */
    if (rc == 0 &&
        espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL,
                          espeakINITIALIZE_PHONEME_EVENTS | espeakINITIALIZE_DONT_EXIT) != ESPEAK_RATE)
        rc = sp_fail(err, "cannot initialise eSpeak NG at %d Hz (is espeak-ng-data installed?)", ESPEAK_RATE);
    if (rc == 0) {
        espeak_SetSynthCallback(on_synth);
        char voice[64];
        snprintf(voice, sizeof voice, "%s+%s", VOICE, sp->variant);
        if (espeak_SetVoiceByName(voice) != EE_OK)
            rc = sp_fail(err, "eSpeak NG has no voice '%s' (is espeak-ng-data installed?)", voice);
    }
    for (int k = 0; rc == 0 && k < p->o->sentences; k++) {
        long samples = 0;
        rc = synth_utterance(p, sp, k, dir, &samples, err);
        if (rc == 0 && send_msg(fd, MSG_UTT, samples, NULL) != 0) rc = sp_fail(err, "lost the parent process");
    }
    free(dir);
    return rc;
}

typedef struct {
    pid_t pid;
    int fd;
    int spk;
    int done;           /* sent MSG_DONE */
    int failed;         /* sent MSG_FAIL */
    char text[SP_ERRLEN];
    size_t got;         /* bytes of the message being read */
    msg m;
} worker;

static pid_t start_worker(const plan *p, int si, worker *all, int nall, int *fd_out, sp_error *err)
{
    int fds[2];
    if (pipe(fds) != 0) return sp_fail(err, "cannot create a pipe: %s", strerror(errno));
    /* Buffered output would otherwise be written twice, once per process. */
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        int e = errno;
        close(fds[0]);
        close(fds[1]);
        return sp_fail(err, "cannot start a worker process: %s", strerror(e));
    }
    if (pid == 0) {
        close(fds[0]);
        for (int i = 0; i < nall; i++)
            if (all[i].pid > 0) close(all[i].fd);
        sp_error werr = { "" };
        int rc = run_speaker(p, &p->spk[si], fds[1], &werr);
        send_msg(fds[1], rc == 0 ? MSG_DONE : MSG_FAIL, 0, rc == 0 ? NULL : werr.msg);
        close(fds[1]);
        /* _exit: the parent's atexit handlers and stdio buffers are not
         * this process's to run or flush. */
        _exit(rc == 0 ? 0 : 1);
    }
    close(fds[1]);
    *fd_out = fds[0];
    return pid;
}

/* ------------------------------------------------------------------------
 * The corpus. */

void sp_synth_defaults(sp_synth_opts *o)
{
    memset(o, 0, sizeof *o);
    o->out = "synth-timit";
    o->speakers = 48;
    o->test_speakers = 16;
    o->sentences = 10;
    o->seed = 1;
    o->text = NULL;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    o->jobs = n < 1 ? 1 : n > 64 ? 64 : (int)n;
    o->progress = 1;
}

/* The output directory must be absent or empty: nothing of the user's is
 * overwritten or mixed with the new corpus. */
static int prepare_out(const char *out, sp_error *err)
{
    struct stat st;
    if (stat(out, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) return sp_fail(err, "'%s' exists and is not a directory", out);
        DIR *d = opendir(out);
        if (!d) return sp_fail(err, "cannot read directory '%s': %s", out, strerror(errno));
        struct dirent *e;
        int empty = 1;
        while ((e = readdir(d)) != NULL)
            if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0) empty = 0;
        closedir(d);
        if (!empty)
            return sp_fail(err, "output directory '%s' is not empty; choose a new --out or remove it first", out);
        return 0;
    }
    if (errno != ENOENT) return sp_fail(err, "cannot use '%s': %s", out, strerror(errno));
    return sp_mkdirs(out, err);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int write_list(const plan *p, const char *name, int dev, sp_error *err)
{
    const char **ids = sp_xmalloc((size_t)p->nspk * sizeof *ids);
    int n = 0;
    for (int i = 0; i < p->nspk; i++)
        if (p->spk[i].test && p->spk[i].dev == dev) ids[n++] = p->spk[i].id;
    qsort(ids, (size_t)n, sizeof *ids, cmp_str);
    char *path = sp_path_join(p->o->out, name);
    sp_atomic_file af;
    int rc = sp_atomic_open(&af, path, err);
    if (rc == 0) {
        for (int i = 0; i < n; i++) fprintf(af.f, "%s\n", ids[i]);
        rc = sp_atomic_commit(&af, err);
    }
    free(path);
    free(ids);
    return rc;
}

static int check_opts(const sp_synth_opts *o, sp_error *err)
{
    if (!o->out || !*o->out) return sp_fail(err, "no output directory given");
    if (o->speakers < 1 || o->speakers > MAX_SPEAKERS)
        return sp_fail(err, "%d training speakers: expected 1 to %d", o->speakers, MAX_SPEAKERS);
    if (o->test_speakers < 2 || o->test_speakers > MAX_SPEAKERS)
        return sp_fail(err, "%d test speakers: expected 2 to %d (dev and core need one each)", o->test_speakers,
                       MAX_SPEAKERS);
    if (o->sentences < 1 || o->sentences > 4095)
        return sp_fail(err, "%d sentences a speaker: expected 1 to 4095", o->sentences);
    if (o->jobs < 1) return sp_fail(err, "%d jobs: expected at least 1", o->jobs);
    return 0;
}

int sp_synth_corpus_stats(const sp_synth_opts *o, sp_synth_stats *st, sp_error *err)
{
    if (st) memset(st, 0, sizeof *st);
    if (check_opts(o, err) != 0) return -1;
    plan p;
    if (plan_make(&p, o, err) != 0) return -1;
    if (prepare_out(o->out, err) != 0) {
        plan_free(&p);
        return -1;
    }

    int jobs = o->jobs < p.nspk ? o->jobs : p.nspk;
    worker *w = sp_xcalloc((size_t)jobs, sizeof *w);
    struct pollfd *pfd = sp_xcalloc((size_t)jobs, sizeof *pfd);
    int *idx = sp_xcalloc((size_t)jobs, sizeof *idx);
    long total_utts = (long)p.nspk * o->sentences, done_utts = 0;
    long samples = 0;
    int next = 0, running = 0, failed = 0;
    sp_progress pg;
    if (o->progress) sp_progress_start(&pg, "synth", total_utts);
    /* A worker's write to a pipe whose parent is gone fails rather than
     * killing it; the parent itself never writes to a pipe. */
    void (*old_sigpipe)(int) = signal(SIGPIPE, SIG_IGN);

    while (running > 0 || (!failed && next < p.nspk)) {
        /* Start workers up to --jobs; after a failure, only let the
         * running ones finish (no half-written files left behind). */
        for (int i = 0; i < jobs && !failed && next < p.nspk; i++) {
            if (w[i].pid > 0) continue;
            memset(&w[i], 0, sizeof w[i]);
            int fd = -1;
            pid_t pid = start_worker(&p, next, w, jobs, &fd, err);
            if (pid < 0) {
                failed = 1;
                break;
            }
            w[i].pid = pid;
            w[i].fd = fd;
            w[i].spk = next++;
            running++;
        }
        if (running == 0) break;
        int np = 0;
        for (int i = 0; i < jobs; i++)
            if (w[i].pid > 0) {
                pfd[np].fd = w[i].fd;
                pfd[np].events = POLLIN;
                pfd[np].revents = 0;
                idx[np++] = i;
            }
        if (poll(pfd, (nfds_t)np, -1) < 0) {
            if (errno == EINTR) continue;
            if (!failed) sp_fail(err, "cannot wait for the workers: %s", strerror(errno));
            failed = 1;
            break;
        }
        for (int j = 0; j < np; j++) {
            if (!pfd[j].revents) continue;
            worker *x = &w[idx[j]];
            ssize_t got = read(x->fd, (char *)&x->m + x->got, sizeof x->m - x->got);
            if (got < 0 && errno == EINTR) continue;
            if (got > 0) {
                x->got += (size_t)got;
                if (x->got < sizeof x->m) continue;
                x->got = 0;
                if (x->m.kind == MSG_UTT) {
                    samples += x->m.samples;
                    done_utts++;
                    if (o->progress) sp_progress_update(&pg, done_utts);
                } else if (x->m.kind == MSG_DONE) {
                    x->done = 1;
                } else {
                    x->failed = 1;
                    snprintf(x->text, sizeof x->text, "%s", x->m.text);
                }
                continue;
            }
            /* End of file: the worker has exited. */
            close(x->fd);
            int status = 0;
            while (waitpid(x->pid, &status, 0) < 0 && errno == EINTR) {
            }
            if (!x->done && !failed) {
                failed = 1;
                if (x->failed)
                    sp_fail(err, "speaker '%s': %s", p.spk[x->spk].id, x->text);
                else if (WIFSIGNALED(status))
                    sp_fail(err, "the worker for speaker '%s' was killed by signal %d", p.spk[x->spk].id,
                            WTERMSIG(status));
                else
                    sp_fail(err, "the worker for speaker '%s' stopped without finishing (exit status %d)",
                            p.spk[x->spk].id, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
            } else if (!x->done) {
                failed = 1;
            }
            x->pid = 0;
            running--;
        }
    }
    signal(SIGPIPE, old_sigpipe);
    if (o->progress && !failed) sp_progress_end(&pg);
    else if (o->progress && pg.tty) sp_log_progress("\n");
    free(idx);
    free(pfd);
    free(w);

    /* The speaker lists last: a corpus that has them is complete. */
    int rc = failed ? -1 : 0;
    if (failed) sp_error_append(err, "; the corpus in '%s' is incomplete", o->out);
    if (rc == 0) rc = write_list(&p, "dev_spk.list", 1, err);
    if (rc == 0) rc = write_list(&p, "core_spk.list", 0, err);
    if (rc == 0 && st) {
        st->speakers = p.nspk;
        st->train_speakers = o->speakers;
        st->test_speakers = o->test_speakers;
        st->utterances = done_utts;
        st->samples = samples;
        st->hours = (double)samples / OUT_RATE / 3600.0;
    }
    plan_free(&p);
    return rc;
}

int sp_synth_corpus(const sp_synth_opts *o, sp_error *err)
{
    return sp_synth_corpus_stats(o, NULL, err);
}
