/* synth.c - the synthetic corpus's driver: speech from several engines
 * with phone alignments in TIMIT layout (see synth.h and
 * sincprobe-corpus(1)).
 *
 * What it is: a parent process that reads the sentence set and each
 * engine's phone map, plans every speaker (engine, voice, prosody,
 * sentences) from the seed, and runs one worker process per speaker, at
 * most --jobs at a time. A worker has its engine speak the speaker's
 * sentences (synth_engine.h: a "take" of audio, TIMIT segments and words
 * at the engine's rate), resamples each take to 16 kHz, pads it, adds
 * the noise floor and the speaker's gain, and writes the four TIMIT files
 * of each utterance.
 *
 * Why one fresh process per speaker: eSpeak NG keeps state between
 * syntheses and can neither be re-initialised nor run in threads
 * (synth_espeak.c); a fresh process per speaker that reads its sentences
 * in a fixed order gives the same bytes whatever --jobs is. Flite runs in
 * the same kind of worker.
 *
 * Voices and splits: every voice is in one split only. An engine either
 * fixes its voices' splits (Flite, with four voices) or leaves them to be
 * dealt from the seed: each sex's voices are shuffled, and an eighth of
 * them (at least one) go to dev, as many to core, the rest to TRAIN
 * (about TIMIT's share of test speakers). A split's speakers take the
 * selected engines in turn (TRAIN from the first, dev from the second,
 * core from the third, modulo their number), and each engine's speakers in a split take
 * its voices there in shuffled cycles alternating the sexes, so every
 * voice is used once before any is used twice. */
#include "config.h"
#include "corpus/synth.h"
#include "base/conf.h"

#include "analysis/resample.h"
#include "base/log.h"
#include "base/rng.h"
#include "base/util.h"
#include "corpus/phoneset.h"
#include "corpus/sphere.h"
#include "corpus/synth_engine.h"
#include "corpus/voices.h"

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

#define OUT_RATE SP_SAMPLE_RATE

/* Silence added around each sentence, in output samples: TIMIT
 * utterances start and end with 100-200 ms of h#, the engines with less. */
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

/* Every engine built in, in the order of --engines' default. */
static const sp_synth_engine *const all_engines[] = { &sp_synth_espeak, &sp_synth_flite };
#define NENGINES (sizeof all_engines / sizeof all_engines[0])

static const char *const split_names[SP_SYNTH_NSPLITS] = { "train", "dev", "core" };

/* ------------------------------------------------------------------------
 * The sentence set. */

typedef struct {
    char *text;
    long line; /* line in the file: names the utterance */
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

/* A sentence line: valid UTF-8, no control characters, some letters,
 * not too long. Returns 0 or -1 with err. */
static int check_sentence(const char *path, long lineno, const char *line, sp_error *err)
{
    int letters = 0;
    for (const unsigned char *p = (const unsigned char *)line; *p;) {
        int n = sp_synth_utf8_len(p);
        if (n == 0) return sp_fail(err, "%s:%ld: not valid UTF-8", path, lineno);
        if (n == 1 && *p < 0x20 && *p != '\t') return sp_fail(err, "%s:%ld: control character in the sentence", path, lineno);
        if (n > 1 || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) letters++;
        p += n;
    }
    if (!letters) return sp_fail(err, "%s:%ld: expected a sentence, found no letters", path, lineno);
    if (strlen(line) > MAX_SENTENCE_BYTES)
        return sp_fail(err, "%s:%ld: sentence longer than %d bytes", path, lineno, MAX_SENTENCE_BYTES);
    return 0;
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
    for (char *line = text, *next; line && rc == 0; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        else if (!*line) break;
        lineno++;
        sp_strtrim(line);
        if (!*line || line[0] == '#') continue;
        rc = check_sentence(s->path, lineno, line, err);
        if (rc) break;
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
 * Engines named by --engines. */

/* Parse "espeak,flite" into eng[] (in the order given, each once);
 * NULL means every engine built in. Returns the count, or -1 with err. */
static int parse_engines(const char *list, const sp_synth_engine **eng, sp_error *err)
{
    int n = 0;
    if (!list) {
        for (size_t i = 0; i < NENGINES; i++) eng[n++] = all_engines[i];
        return n;
    }
    char *copy = sp_xstrdup(list);
    int rc = 0;
    for (char *tok = copy, *next; tok && rc == 0; tok = next) {
        next = strchr(tok, ',');
        if (next) *next++ = '\0';
        size_t i = 0;
        while (i < NENGINES && strcmp(all_engines[i]->name, tok) != 0) i++;
        if (i == NENGINES) {
            rc = sp_fail(err, "unknown engine '%s' in '%s': expected espeak or flite, separated by commas", tok, list);
            break;
        }
        int seen = 0;
        for (int k = 0; k < n; k++) seen |= eng[k] == all_engines[i];
        if (!seen) eng[n++] = all_engines[i];
    }
    free(copy);
    return rc ? -1 : n;
}

int sp_synth_check_engines(const char *list, sp_error *err)
{
    const sp_synth_engine *eng[NENGINES];
    return parse_engines(list, eng, err) < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * The plan: every speaker and what it reads, drawn from the seed in the
 * parent, so that a worker needs nothing but its speaker. */

typedef struct {
    char id[8];                 /* lower case, e.g. "fabc0" */
    char sex;                   /* 'f' or 'm' */
    int split;                  /* SP_SYNTH_TRAIN/DEV/CORE */
    int dialect;                /* 1..8 */
    int engine;                 /* index into plan.eng */
    const sp_synth_voice *voice;
    sp_synth_prosody prosody;
    double gain;                /* output level */
    int *sent;                  /* indices into the sentence set */
    uint64_t stream;            /* RNG stream of its utterances */
} speaker;

/* The voices of one engine in one split, dealt in shuffled cycles. */
typedef struct {
    const sp_synth_voice **v;
    int n, pos;
} deck;

typedef struct {
    const sp_synth_opts *o;
    sentence_set ss;
    sp_phoneset ps;
    const sp_synth_engine *eng[NENGINES];
    int neng;
    sp_synth_map map[NENGINES];
    int *vsplit[NENGINES];      /* split of each of the engine's voices */
    deck decks[NENGINES][SP_SYNTH_NSPLITS];
    speaker *spk;
    int nspk;
} plan;

static void plan_free(plan *p)
{
    for (int i = 0; i < p->nspk; i++) free(p->spk[i].sent);
    free(p->spk);
    sentences_free(&p->ss);
    for (int e = 0; e < p->neng; e++) {
        sp_synth_map_free(&p->map[e]);
        free(p->vsplit[e]);
        for (int s = 0; s < SP_SYNTH_NSPLITS; s++) free(p->decks[e][s].v);
    }
    p->spk = NULL;
    p->nspk = 0;
    p->neng = 0;
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

/* The splits of engine e's voices: fixed ones as the engine says; the
 * others, per sex, shuffled and cut into dev (an eighth, at least one),
 * core (as many) and TRAIN (the rest), when there are at least three. */
static void deal_voices(plan *p, int e, sp_rng *r)
{
    const sp_synth_engine *en = p->eng[e];
    int nv = (int)en->nvoices;
    int *split = p->vsplit[e] = sp_xmalloc((size_t)nv * sizeof *split);
    int *idx = sp_xmalloc((size_t)nv * sizeof *idx);
    for (int sex = 0; sex < 2; sex++) {
        int n = 0;
        for (int i = 0; i < nv; i++) {
            if (en->voices[i].split != SP_SYNTH_DEALT) split[i] = en->voices[i].split;
            else if ((en->voices[i].sex == 'f') == sex) idx[n++] = i;
        }
        shuffle(idx, n, r);
        int held = n >= 3 ? (int)lround(n / 8.0) : 0;
        if (n >= 3 && held < 1) held = 1;
        for (int k = 0; k < n; k++)
            split[idx[k]] = k < held ? SP_SYNTH_DEV : k < 2 * held ? SP_SYNTH_CORE : SP_SYNTH_TRAIN;
    }
    free(idx);
}

/* Refill a deck: the split's voices of each sex shuffled, then taken
 * alternately (male, female, ...) while both last. */
static void deck_fill(plan *p, int e, int s, sp_rng *r)
{
    const sp_synth_engine *en = p->eng[e];
    deck *d = &p->decks[e][s];
    int nv = (int)en->nvoices;
    int *by[2], nb[2] = { 0, 0 };
    by[0] = sp_xmalloc((size_t)nv * sizeof(int));
    by[1] = sp_xmalloc((size_t)nv * sizeof(int));
    for (int i = 0; i < nv; i++)
        if (p->vsplit[e][i] == s) {
            int f = en->voices[i].sex == 'f';
            by[f][nb[f]++] = i;
        }
    shuffle(by[0], nb[0], r);
    shuffle(by[1], nb[1], r);
    if (!d->v) d->v = sp_xmalloc((size_t)(nv ? nv : 1) * sizeof *d->v);
    d->n = 0;
    for (int k = 0, a = 0, b = 0; k < nb[0] + nb[1]; k++) {
        int f = (k % 2 == 1 && b < nb[1]) || a == nb[0];
        d->v[d->n++] = &en->voices[f ? by[1][b++] : by[0][a++]];
    }
    d->pos = 0;
    free(by[0]);
    free(by[1]);
}

static const sp_synth_voice *deck_next(plan *p, int e, int s, sp_rng *r)
{
    deck *d = &p->decks[e][s];
    if (!d->v || d->pos == d->n) deck_fill(p, e, s, r);
    return d->n ? d->v[d->pos++] : NULL;
}

/* Deal `per` distinct sentences of pool (np of them) to each speaker of
 * the group, like cards from a shuffled deck, reshuffled when it runs
 * out: every sentence is read about equally often. */
static void deal_sentences(speaker **group, int ng, const int *pool, int np, int per, sp_rng *r)
{
    int *cards = sp_xmalloc((size_t)np * sizeof *cards);
    memcpy(cards, pool, (size_t)np * sizeof *cards);
    shuffle(cards, np, r);
    int pos = 0;
    for (int g = 0; g < ng; g++) {
        speaker *s = group[g];
        s->sent = sp_xmalloc((size_t)per * sizeof *s->sent);
        for (int j = 0; j < per; j++) {
            for (;;) {
                int k = pos;
                for (; k < np; k++) {
                    int used = 0;
                    for (int u = 0; u < j; u++) used |= s->sent[u] == cards[k];
                    if (!used) break;
                }
                if (k < np) {
                    int t = cards[pos];
                    cards[pos] = cards[k];
                    cards[k] = t;
                    s->sent[j] = cards[pos++];
                    break;
                }
                /* The rest of the deck is all this speaker's: start a new
                 * one (np > j, so it holds a sentence not yet read). */
                shuffle(cards, np, r);
                pos = 0;
            }
        }
    }
    free(cards);
}

static int id_taken(const plan *p, int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (strcmp(p->spk[i].id, id) == 0) return 1;
    return 0;
}

/* Initials and a digit, as TIMIT's; the digit tells apart speakers whose
 * sex and initials coincide. */
static void make_id(plan *p, int i, sp_rng *r)
{
    speaker *s = &p->spk[i];
    char base[5];
    base[0] = s->sex;
    for (int c = 1; c < 4; c++) base[c] = (char)('a' + sp_rng_below(r, 26));
    base[4] = '\0';
    int digit = 0;
    do snprintf(s->id, sizeof s->id, "%s%d", base, digit++);
    while (id_taken(p, i, s->id) && digit <= 9);
    while (id_taken(p, i, s->id)) { /* ten of one initials: new ones */
        for (int c = 1; c < 4; c++) base[c] = (char)('a' + sp_rng_below(r, 26));
        snprintf(s->id, sizeof s->id, "%s0", base);
    }
}

/* Speaker i: the j-th of its split, which takes the engines in turn,
 * starting from a different one in each split (so that two TEST speakers,
 * one dev and one core, come from two engines). */
static int make_speaker(plan *p, int i, int split, int j, sp_rng *r, sp_error *err)
{
    speaker *s = &p->spk[i];
    s->split = split;
    s->engine = (j + split) % p->neng;
    const sp_synth_engine *en = p->eng[s->engine];
    s->dialect = 1 + (int)sp_rng_below(r, 8);
    s->voice = deck_next(p, s->engine, split, r);
    if (!s->voice) return sp_fail(err, "engine '%s' has no voice for the %s split", en->name, split_names[split]);
    s->sex = s->voice->sex;
    if (en->draw(s->voice, r, &s->prosody, err) != 0) return -1;
    s->gain = 0.45 + 0.45 * sp_rng_uniform(r);
    s->stream = 1 + (uint64_t)i;
    make_id(p, i, r);
    return 0;
}

/* The sentence pools: every fourth sentence is for TEST speakers only, as
 * TIMIT keeps its test sentences out of training; when either part would
 * be smaller than what one speaker reads, both read from the whole set. */
static void deal_all_sentences(plan *p, sp_rng *r)
{
    const int ns = p->ss.n, per = p->o->sentences;
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
    speaker **group = sp_xmalloc((size_t)p->nspk * sizeof *group);
    int ng = 0;
    for (int i = 0; i < p->nspk; i++)
        if (p->spk[i].split == SP_SYNTH_TRAIN) group[ng++] = &p->spk[i];
    deal_sentences(group, ng, train_pool, ntrain, per, r);
    ng = 0;
    for (int i = 0; i < p->nspk; i++)
        if (p->spk[i].split != SP_SYNTH_TRAIN) group[ng++] = &p->spk[i];
    deal_sentences(group, ng, test_pool, ntest, per, r);
    free(group);
    free(train_pool);
    free(test_pool);
}

static int plan_load(plan *p, const sp_synth_opts *o, sp_error *err)
{
    memset(p, 0, sizeof *p);
    p->o = o;
    if ((p->neng = parse_engines(o->engines, p->eng, err)) < 0) {
        p->neng = 0;
        return -1;
    }
    if (sp_phoneset_load_default(&p->ps, err) != 0) return -1;
    for (int e = 0; e < p->neng; e++)
        if (sp_synth_map_load(&p->map[e], p->eng[e]->map_file, p->eng[e]->phone_what, &p->ps, err) != 0) return -1;
    if (sentences_load(&p->ss, o->text, err) != 0) return -1;
    if (p->ss.n < o->sentences)
        return sp_fail(err, "'%s' holds %d sentence%s, fewer than the %d each speaker reads (--sentences)",
                       p->ss.path, p->ss.n, p->ss.n == 1 ? "" : "s", o->sentences);
    return 0;
}

static int plan_make(plan *p, const sp_synth_opts *o, sp_error *err)
{
    if (plan_load(p, o, err) != 0) {
        plan_free(p);
        return -1;
    }
    sp_rng r;
    sp_rng_seed(&r, o->seed, 0);
    for (int e = 0; e < p->neng; e++) deal_voices(p, e, &r);
    /* TRAIN speakers first; then TEST, alternately dev and core. */
    p->nspk = o->speakers + o->test_speakers;
    p->spk = sp_xcalloc((size_t)p->nspk, sizeof *p->spk);
    int rc = 0;
    for (int i = 0; i < p->nspk && rc == 0; i++) {
        int k = i - o->speakers;
        if (k < 0) rc = make_speaker(p, i, SP_SYNTH_TRAIN, i, &r, err);
        else rc = make_speaker(p, i, k % 2 == 0 ? SP_SYNTH_DEV : SP_SYNTH_CORE, k / 2, &r, err);
    }
    if (rc == 0) deal_all_sentences(p, &r);
    if (rc) plan_free(p);
    return rc;
}

/* "TRAIN/DR3/FABC0" under the output root. Caller frees. */
static char *speaker_dir(const char *out, const speaker *s)
{
    char up[8];
    snprintf(up, sizeof up, "%s", s->id);
    sp_strupper(up);
    return sp_xasprintf("%s/%s/DR%d/%s", out, s->split == SP_SYNTH_TRAIN ? "TRAIN" : "TEST", s->dialect, up);
}

/* "SX45" / "SI245": the sentence's line; the first half of the set is
 * SX, the second SI (TIMIT's two kinds, which here differ only in name). */
static void utt_name(const plan *p, int sent, char *buf, size_t n)
{
    snprintf(buf, n, "%s%ld", sent < (p->ss.n + 1) / 2 ? "SX" : "SI", p->ss.v[sent].line);
}

/* The voices table: one speaker a line, as voices.tsv and --list-voices. */
static void print_voices(const plan *p, FILE *f)
{
    fprintf(f, "speaker\tsplit\tengine\tvoice\tsex\tpitch\trange\trate\n");
    for (int i = 0; i < p->nspk; i++) {
        const speaker *s = &p->spk[i];
        const sp_synth_engine *en = p->eng[s->engine];
        fprintf(f, "%s\t%s\t%s\t%s\t%c\t", s->id, split_names[s->split], en->name, s->voice->name, s->sex);
        fprintf(f, en->fmt[0], s->prosody.pitch);
        fputc('\t', f);
        fprintf(f, en->fmt[1], s->prosody.range);
        fputc('\t', f);
        fprintf(f, en->fmt[2], s->prosody.rate);
        fputc('\n', f);
    }
}

/* ------------------------------------------------------------------------
 * One utterance: a take made into TIMIT files. */

/* Position at rate -> output sample, rounded. */
static long to_out(long pos, int rate)
{
    return (long)(((int64_t)pos * OUT_RATE + rate / 2) / rate);
}

/* Map the take's segments to output samples (after `lead` samples of
 * padding, nout of speech, `total` in all), add the end padding, drop
 * empty segments, merge adjacent pauses and name the outer ones h#. */
static void finish_segments(sp_synth_take *t, long lead, long nout, long total)
{
    for (size_t i = 0; i < t->nseg; i++) {
        long b = lead + to_out(t->seg[i].b, t->rate);
        t->seg[i].b = b > lead + nout ? lead + nout : b;
    }
    /* The padding before and after the speech is silence too. */
    if (t->nseg == 0 || t->seg[0].b > 0) {
        sp_synth_take_seg(t, "pau", 0, -1);
        memmove(t->seg + 1, t->seg, (t->nseg - 1) * sizeof *t->seg);
        t->seg[0].b = 0;
        snprintf(t->seg[0].label, sizeof t->seg[0].label, "pau");
        t->seg[0].phone = -1;
    }
    sp_synth_take_seg(t, "pau", lead + nout, -1);

    size_t k = 0;
    for (size_t i = 0; i < t->nseg; i++) {
        long e = i + 1 < t->nseg ? t->seg[i + 1].b : total;
        if (e <= t->seg[i].b) continue; /* empty: its neighbours meet */
        if (k > 0 && sp_synth_is_pause(t->seg[k - 1].label) && sp_synth_is_pause(t->seg[i].label)) continue;
        t->seg[k++] = t->seg[i];
    }
    t->nseg = k;
    /* An empty segment dropped before a kept one leaves the kept one's
     * begin as it was; the previous segment's end is implicit, so the
     * cover stays gap-free. */
    if (k > 0) {
        if (sp_synth_is_pause(t->seg[0].label)) snprintf(t->seg[0].label, sizeof t->seg[0].label, "h#");
        if (sp_synth_is_pause(t->seg[k - 1].label)) snprintf(t->seg[k - 1].label, sizeof t->seg[k - 1].label, "h#");
    }
}

typedef struct {
    long b, e;
    const char *word;
} word_seg;

/* Word spans from the final segments: a word runs from the first sound of
 * its first phone to the end of its last (pauses are not part of a word),
 * after the previous word. */
static size_t word_spans(const sp_synth_take *t, long total, word_seg *ws)
{
    int nph = 0;
    for (size_t i = 0; i < t->nseg; i++) nph = t->seg[i].phone >= nph ? t->seg[i].phone + 1 : nph;
    for (size_t w = 0; w < t->nword; w++) nph = t->word[w].p1 >= nph ? t->word[w].p1 + 1 : nph;
    long *pb = sp_xmalloc((size_t)(nph ? nph : 1) * sizeof *pb), *pe = sp_xmalloc((size_t)(nph ? nph : 1) * sizeof *pe);
    for (int i = 0; i < nph; i++) pb[i] = pe[i] = -1;
    for (size_t i = 0; i < t->nseg; i++) {
        int k = t->seg[i].phone;
        if (k < 0 || sp_synth_is_pause(t->seg[i].label)) continue;
        if (pb[k] < 0) pb[k] = t->seg[i].b;
        pe[k] = i + 1 < t->nseg ? t->seg[i + 1].b : total;
    }
    size_t n = 0;
    for (size_t w = 0; w < t->nword; w++) {
        long b = -1, e = -1;
        for (int k = t->word[w].p0; k <= t->word[w].p1; k++) {
            if (pb[k] >= 0 && b < 0) b = pb[k];
            if (pe[k] >= 0) e = pe[k];
        }
        if (n > 0 && b < ws[n - 1].e) b = ws[n - 1].e;
        if (b < 0 || e <= b) continue;
        ws[n].b = b;
        ws[n].e = e;
        ws[n].word = t->word[w].word;
        n++;
    }
    free(pb);
    free(pe);
    return n;
}

/* .PHN: "begin end label" covering [0, total) without gaps. */
static int write_phn(const char *path, const sp_synth_take *t, long total, sp_error *err)
{
    sp_atomic_file af;
    if (sp_atomic_open(&af, path, err) != 0) return -1;
    for (size_t i = 0; i < t->nseg; i++)
        fprintf(af.f, "%ld %ld %s\n", t->seg[i].b, i + 1 < t->nseg ? t->seg[i + 1].b : total, t->seg[i].label);
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

/* The take's speech at OUT_RATE with seeded padding, gain and noise
 * floor: *pcm (total samples), segments finished. */
static int take_pcm(const speaker *sp, sp_synth_take *t, sp_rng *r, int16_t **pcm, long *total, sp_error *err)
{
    float *f16 = NULL;
    long n16 = 0;
    if (sp_resample(t->audio, t->n, t->rate, OUT_RATE, &f16, &n16, err) != 0)
        return sp_error_prefix(err, "cannot resample: ");
    long lead = LEAD_MIN + (long)sp_rng_below(r, LEAD_SPAN + 1);
    long trail = TRAIL_MIN + (long)sp_rng_below(r, TRAIL_SPAN + 1);
    *total = lead + n16 + trail;
    finish_segments(t, lead, n16, *total);
    int16_t *out = sp_xmalloc((size_t)*total * sizeof *out);
    for (long i = 0; i < *total; i++) {
        double v = i >= lead && i < lead + n16 ? (double)f16[i - lead] * 32768.0 * sp->gain : 0.0;
        v += NOISE_SIGMA * sp_rng_normal(r);
        long q = lrint(v);
        out[i] = (int16_t)(q > 32767 ? 32767 : q < -32768 ? -32768 : q);
    }
    free(f16);
    *pcm = out;
    return 0;
}

static int write_utterance(const plan *p, const speaker *sp, int k, const char *dir, const sp_synth_take *t,
                           const int16_t *pcm, long total, sp_error *err)
{
    const sentence *snt = &p->ss.v[sp->sent[k]];
    char name[24], uttid[40];
    utt_name(p, sp->sent[k], name, sizeof name);
    /* TIMIT's SPHERE utterance_id: speaker without its sex, utterance. */
    snprintf(uttid, sizeof uttid, "%s_%s", sp->id + 1, name);
    sp_strlower(uttid);
    word_seg *ws = sp_xmalloc((t->nword ? t->nword : 1) * sizeof *ws);
    size_t nw = word_spans(t, total, ws);
    char *base = sp_xasprintf("%s/%s", dir, name);
    char *path = sp_xasprintf("%s.WAV", base);
    int rc = sp_sphere_write(path, pcm, total, OUT_RATE, uttid, err);
    free(path);
    if (rc == 0) {
        path = sp_xasprintf("%s.PHN", base);
        rc = write_phn(path, t, total, err);
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
    free(ws);
    return rc;
}

static int synth_utterance(const plan *p, const speaker *sp, void *st, int k, const char *dir, long *samples,
                           sp_error *err)
{
    const sp_synth_engine *en = p->eng[sp->engine];
    const sentence *snt = &p->ss.v[sp->sent[k]];
    sp_rng r;
    sp_rng_seed(&r, p->o->seed, sp->stream * 4096 + (uint64_t)k);
    char where[PATH_MAX + 32];
    snprintf(where, sizeof where, "%s:%ld", p->ss.path, snt->line);
    sp_synth_take t;
    memset(&t, 0, sizeof t);
    int16_t *pcm = NULL;
    long total = 0;
    int rc = en->say(st, snt->text, where, &sp->prosody, &r, &t, err);
    if (rc == 0) rc = take_pcm(sp, &t, &r, &pcm, &total, err);
    if (rc == 0) rc = write_utterance(p, sp, k, dir, &t, pcm, total, err);
    free(pcm);
    sp_synth_take_free(&t);
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
    const sp_synth_engine *en = p->eng[sp->engine];
    char *dir = speaker_dir(p->o->out, sp);
    int rc = sp_mkdirs(dir, err);
    void *st = rc == 0 ? en->open(sp->voice, &p->map[sp->engine], err) : NULL;
    if (!st) rc = -1;
    for (int k = 0; rc == 0 && k < p->o->sentences; k++) {
        long samples = 0;
        rc = synth_utterance(p, sp, st, k, dir, &samples, err);
        if (rc == 0 && send_msg(fd, MSG_UTT, samples, NULL) != 0) rc = sp_fail(err, "lost the parent process");
    }
    if (st) en->close(st);
    free(dir);
    return rc;
}

typedef struct {
    pid_t pid;
    int fd;
    int spk;
    int done;   /* sent MSG_DONE */
    int failed; /* sent MSG_FAIL */
    char text[SP_ERRLEN];
    size_t got; /* bytes of the message being read */
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

/* The parent's side of the workers. */
typedef struct {
    const plan *p;
    worker *w;
    int jobs, next, running, failed;
    long done_utts, samples;
    sp_progress pg;
} pool;

/* Start workers up to --jobs; after a failure, only let the running ones
 * finish (no half-written files left behind). */
static void pool_start(pool *q, sp_error *err)
{
    for (int i = 0; i < q->jobs && !q->failed && q->next < q->p->nspk; i++) {
        if (q->w[i].pid > 0) continue;
        memset(&q->w[i], 0, sizeof q->w[i]);
        int fd = -1;
        pid_t pid = start_worker(q->p, q->next, q->w, q->jobs, &fd, err);
        if (pid < 0) {
            q->failed = 1;
            break;
        }
        q->w[i].pid = pid;
        q->w[i].fd = fd;
        q->w[i].spk = q->next++;
        q->running++;
    }
}

/* A worker's pipe reached its end: reap it and judge how it ended. */
static void pool_reap(pool *q, worker *x, sp_error *err)
{
    const char *id = q->p->spk[x->spk].id;
    close(x->fd);
    int status = 0;
    while (waitpid(x->pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (!x->done && !q->failed) {
        if (x->failed) sp_fail(err, "speaker '%s': %s", id, x->text);
        else if (WIFSIGNALED(status))
            sp_fail(err, "the worker for speaker '%s' was killed by signal %d", id, WTERMSIG(status));
        else
            sp_fail(err, "the worker for speaker '%s' stopped without finishing (exit status %d)", id,
                    WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    if (!x->done) q->failed = 1;
    x->pid = 0;
    q->running--;
}

/* Read what worker x has to say. */
static void pool_read(pool *q, worker *x, sp_error *err)
{
    ssize_t got = read(x->fd, (char *)&x->m + x->got, sizeof x->m - x->got);
    if (got < 0 && errno == EINTR) return;
    if (got <= 0) {
        pool_reap(q, x, err);
        return;
    }
    x->got += (size_t)got;
    if (x->got < sizeof x->m) return;
    x->got = 0;
    if (x->m.kind == MSG_UTT) {
        q->samples += x->m.samples;
        q->done_utts++;
        if (q->p->o->progress) sp_progress_update(&q->pg, q->done_utts);
    } else if (x->m.kind == MSG_DONE) {
        x->done = 1;
    } else {
        x->failed = 1;
        snprintf(x->text, sizeof x->text, "%s", x->m.text);
    }
}

static void run_workers(pool *q, sp_error *err)
{
    struct pollfd *pfd = sp_xcalloc((size_t)q->jobs, sizeof *pfd);
    int *idx = sp_xcalloc((size_t)q->jobs, sizeof *idx);
    while (q->running > 0 || (!q->failed && q->next < q->p->nspk)) {
        pool_start(q, err);
        if (q->running == 0) break;
        int np = 0;
        for (int i = 0; i < q->jobs; i++)
            if (q->w[i].pid > 0) {
                pfd[np].fd = q->w[i].fd;
                pfd[np].events = POLLIN;
                pfd[np].revents = 0;
                idx[np++] = i;
            }
        if (poll(pfd, (nfds_t)np, -1) < 0) {
            if (errno == EINTR) continue;
            if (!q->failed) sp_fail(err, "cannot wait for the workers: %s", strerror(errno));
            q->failed = 1;
            break;
        }
        for (int j = 0; j < np; j++)
            if (pfd[j].revents) pool_read(q, &q->w[idx[j]], err);
    }
    free(idx);
    free(pfd);
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
    o->engines = NULL;
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

static int write_list(const plan *p, const char *name, int split, sp_error *err)
{
    const char **ids = sp_xmalloc((size_t)p->nspk * sizeof *ids);
    int n = 0;
    for (int i = 0; i < p->nspk; i++)
        if (p->spk[i].split == split) ids[n++] = p->spk[i].id;
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

static int write_voices(const plan *p, sp_error *err)
{
    char *path = sp_path_join(p->o->out, "voices.tsv");
    sp_atomic_file af;
    int rc = sp_atomic_open(&af, path, err);
    if (rc == 0) {
        print_voices(p, af.f);
        rc = sp_atomic_commit(&af, err);
    }
    free(path);
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

int sp_synth_list_voices(const sp_synth_opts *o, FILE *f, sp_error *err)
{
    if (check_opts(o, err) != 0) return -1;
    plan p;
    if (plan_make(&p, o, err) != 0) return -1;
    print_voices(&p, f);
    plan_free(&p);
    return 0;
}

/* Distinct voices per engine and split, for the summary. */
static void count_voices(const plan *p, sp_synth_stats *st)
{
    st->nengines = p->neng;
    for (int e = 0; e < p->neng; e++) {
        st->engine[e] = p->eng[e]->name;
        for (int s = 0; s < SP_SYNTH_NSPLITS; s++)
            for (size_t v = 0; v < p->eng[e]->nvoices; v++) {
                int used = 0;
                for (int i = 0; i < p->nspk && !used; i++)
                    used = p->spk[i].engine == e && p->spk[i].split == s && p->spk[i].voice == &p->eng[e]->voices[v];
                st->voices[e][s] += used;
            }
    }
}

int sp_synth_corpus_stats(const sp_synth_opts *o, sp_synth_stats *st, sp_error *err)
{
    if (st) memset(st, 0, sizeof *st);
    if (check_opts(o, err) != 0) return -1;
    plan p;
    if (plan_make(&p, o, err) != 0) return -1;
    /* The marker first: until it says complete, the tree is not a corpus. */
    if (prepare_out(o->out, err) != 0 || sp_synth_status_write(o->out, 0, err) != 0) {
        plan_free(&p);
        return -1;
    }
    pool q;
    memset(&q, 0, sizeof q);
    q.p = &p;
    q.jobs = o->jobs < p.nspk ? o->jobs : p.nspk;
    q.w = sp_xcalloc((size_t)q.jobs, sizeof *q.w);
    if (o->progress) sp_progress_start(&q.pg, "synth", (long)p.nspk * o->sentences);
    /* A worker's write to a pipe whose parent is gone fails rather than
     * killing it; the parent itself never writes to a pipe. */
    void (*old_sigpipe)(int) = signal(SIGPIPE, SIG_IGN);
    run_workers(&q, err);
    signal(SIGPIPE, old_sigpipe);
    if (o->progress && !q.failed) sp_progress_end(&q.pg);
    else if (o->progress && q.pg.tty) sp_log_progress("\n");
    free(q.w);

    /* The voices, the speaker lists, then the marker saying complete. */
    int rc = q.failed ? -1 : 0;
    if (q.failed) sp_error_append(err, "; the corpus in '%s' is incomplete", o->out);
    if (rc == 0) rc = write_voices(&p, err);
    if (rc == 0) rc = write_list(&p, "dev_spk.list", SP_SYNTH_DEV, err);
    if (rc == 0) rc = write_list(&p, "core_spk.list", SP_SYNTH_CORE, err);
    if (rc == 0) rc = sp_synth_status_write(o->out, 1, err);
    if (rc == 0 && st) {
        st->speakers = p.nspk;
        st->train_speakers = o->speakers;
        st->test_speakers = o->test_speakers;
        st->utterances = q.done_utts;
        st->samples = q.samples;
        st->hours = (double)q.samples / OUT_RATE / 3600.0;
        count_voices(&p, st);
    }
    plan_free(&p);
    return rc;
}

int sp_synth_corpus(const sp_synth_opts *o, sp_error *err)
{
    return sp_synth_corpus_stats(o, NULL, err);
}
