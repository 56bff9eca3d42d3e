/* synth_engine.h - what the synthetic corpus's driver (synth.c) asks of a
 * speech engine, and the helpers the engines share (internal to corpus/).
 *
 * The driver plans the corpus (speakers, their voices and prosody, the
 * sentences each reads), runs one worker process per speaker and writes
 * the TIMIT files. An engine (synth_espeak.c, synth_flite.c) knows only
 * its own library: it lists its voices, draws a speaker's prosody, and
 * in the worker turns one sentence into a "take": audio at its own rate,
 * TIMIT phone segments mapped through its phone map, and words as ranges
 * of its phones. The driver resamples the take to 16 kHz, pads it with
 * silence, names the outer pauses h#, adds the noise floor and the
 * speaker's gain. No engine includes another's header or calls another's
 * code. */
#ifndef SP_SYNTH_ENGINE_H
#define SP_SYNTH_ENGINE_H

#include <stddef.h>

#include "base/error.h"
#include "base/rng.h"
#include "corpus/phoneset.h"

/* The corpus's three splits; a voice is in exactly one of them. */
enum { SP_SYNTH_TRAIN = 0, SP_SYNTH_DEV = 1, SP_SYNTH_CORE = 2, SP_SYNTH_NSPLITS = 3 };
/* sp_synth_voice.split of a voice the driver deals to a split from the seed. */
#define SP_SYNTH_DEALT (-1)

typedef struct {
    const char *name; /* as the engine names it: "m3", "slt" */
    char sex;         /* 'f' or 'm': the speaker's sex in the TIMIT id */
    int split;        /* SP_SYNTH_TRAIN/DEV/CORE, or SP_SYNTH_DEALT */
} sp_synth_voice;

/* A speaker's prosody, in the engine's own units (its file says which):
 * mean pitch, pitch range and speaking rate. */
typedef struct {
    double pitch, range, rate;
} sp_synth_prosody;

/* ------------------------------------------------------------------------
 * Phone maps: "engine_phone timit_symbol [timit_symbol2]" a line, or
 * "engine_phone >" / "engine_phone <" for a phone whose span goes to the
 * next or previous one (corpora/espeak-timit.map documents the format). */

enum { SP_SYNTH_JOIN_NONE = 0, SP_SYNTH_JOIN_PREV = -1, SP_SYNTH_JOIN_NEXT = 1 };

typedef struct {
    char name[16];  /* the engine's phone name */
    char sym[2][8]; /* TIMIT symbols */
    int nsym;       /* 1 or 2; 0 for a join */
    int join;       /* SP_SYNTH_JOIN_* */
    int closure;    /* sym[0] is a closure (bcl ... tcl) and sym[1] its release */
} sp_synth_map_entry;

typedef struct {
    sp_synth_map_entry *v;
    size_t n;
    char *path;
    const char *what; /* "eSpeak phoneme", "Flite phone": for messages */
} sp_synth_map;

/* Load data file `file` (sp_data_file) with every symbol checked against
 * ps. Returns 0, or -1 with err naming FILE:LINE. */
int sp_synth_map_load(sp_synth_map *m, const char *file, const char *what, const sp_phoneset *ps, sp_error *err);
void sp_synth_map_free(sp_synth_map *m);
/* The entry of an engine phone, or NULL. */
const sp_synth_map_entry *sp_synth_map_find(const sp_synth_map *m, const char *name);

int sp_synth_is_closure(const char *sym); /* bcl dcl gcl kcl pcl tcl */
int sp_synth_is_pause(const char *sym);   /* pau h# */
/* Length of the UTF-8 sequence at p, or 0 when it is not valid UTF-8. */
int sp_synth_utf8_len(const unsigned char *p);

/* A sentence's words as TIMIT's .WRD holds them: runs of letters, digits,
 * ' and - (and any non-ASCII character), without ' and - at their ends. */
typedef struct {
    long cb, ce;   /* characters [cb, ce) of the text */
    const char *b; /* the token's bytes, in the text */
    size_t len;
    int letters;   /* characters other than ' and - */
} sp_synth_token;

/* The tokens of text into *out (malloc'd, caller frees); their count. */
size_t sp_synth_tokenize(const char *text, sp_synth_token **out);

/* ------------------------------------------------------------------------
 * One sentence spoken: what an engine hands the driver. */

typedef struct {
    char label[8]; /* a TIMIT symbol */
    long b;        /* first sample at the take's rate; a segment ends where
                      the next begins, the last at the end of the audio */
    int phone;     /* index of the engine phone it comes from; -1 for none */
} sp_synth_seg;

typedef struct {
    int p0, p1;    /* the word's engine phones, p0 <= p1 */
    char *word;    /* lower case, TIMIT style (letters, digits, ' and -) */
} sp_synth_word;

typedef struct {
    float *audio;  /* mono, full scale 1.0 */
    long n;
    int rate;      /* Hz */
    sp_synth_seg *seg;
    size_t nseg, cseg;
    sp_synth_word *word;
    size_t nword, cword;
} sp_synth_take;

void sp_synth_take_free(sp_synth_take *t);
void sp_synth_take_seg(sp_synth_take *t, const char *label, long b, int phone);
/* Appends a copy of word[0, len). */
void sp_synth_take_word(sp_synth_take *t, int p0, int p1, const char *word, size_t len);

/* ------------------------------------------------------------------------
 * An engine. The parent process calls draw; a worker process calls open
 * once, say for each of its speaker's sentences in order, then close.
 * Everything an engine draws at random comes from the sp_rng it is given
 * (and, for libraries that call rand(), from srand seeded from it), so a
 * take depends only on the seed, the speaker and the sentence. */
typedef struct {
    const char *name;      /* "espeak", "flite": --engines and voices.tsv */
    const char *map_file;  /* its phone map in the data directory */
    const char *phone_what;/* what its phones are called in messages */
    const sp_synth_voice *voices;
    size_t nvoices;
    /* A speaker's prosody for voice v. Returns 0, or -1 with err. */
    int (*draw)(const sp_synth_voice *v, sp_rng *r, sp_synth_prosody *p, sp_error *err);
    /* printf formats of pitch, range and rate in --list-voices. */
    const char *fmt[3];
    /* Ready the voice; the state is passed to say and close. */
    void *(*open)(const sp_synth_voice *v, const sp_synth_map *map, sp_error *err);
    /* Speak text (where names it in messages: "FILE:LINE") into t. */
    int (*say)(void *state, const char *text, const char *where, const sp_synth_prosody *p, sp_rng *r,
               sp_synth_take *t, sp_error *err);
    void (*close)(void *state);
    /* Every phone the engine can produce, when it can say (else NULL):
     * fills *names (static strings, caller frees the array). */
    int (*inventory)(const char ***names, size_t *n, sp_error *err);
} sp_synth_engine;

/* The engines, one file each. */
extern const sp_synth_engine sp_synth_espeak;
extern const sp_synth_engine sp_synth_flite;

#endif
