/* phoneset.h - the TIMIT phone sets: the 61 symbols of the corpus, the 48
 * trained on and the 39 scored on (Lee & Hon 1989, as Kaldi's
 * phones.60-48-39.map, shipped as corpora/phones.60-48-39.map and loaded
 * from there; `q` maps to nothing and is deleted).
 *
 * Indices: a 61-set index is the symbol's line in the map file (0-based);
 * 48- and 39-set indices number the symbols in order of first appearance in
 * the map's second and third columns. */
#ifndef SP_PHONESET_H
#define SP_PHONESET_H

#include "base/diag.h"
#include "base/error.h"

#define SP_MAX_PHONES 64
#define SP_PHONE_NAMELEN 8

typedef struct {
    int n61, n48, n39;
    char name61[SP_MAX_PHONES][SP_PHONE_NAMELEN];
    char name48[SP_MAX_PHONES][SP_PHONE_NAMELEN];
    char name39[SP_MAX_PHONES][SP_PHONE_NAMELEN];
    int to48[SP_MAX_PHONES];   /* 61 -> 48 index; -1 for deleted (q) */
    int to39[SP_MAX_PHONES];   /* 61 -> 39 index; -1 for deleted (q) */
    int fold48[SP_MAX_PHONES]; /* 48 -> 39 index */
} sp_phoneset;

/* Load a map file (columns: 61-symbol [48-symbol 39-symbol], white space
 * separated). Problems (bad column count, duplicate symbol, a 48 symbol
 * folded two ways) are reported to d with file and line; returns 0, or -1
 * when the file could not be used. */
int sp_phoneset_load(sp_phoneset *ps, const char *path, sp_diag *d);

/* Load the shipped map (sp_data_file "phones.60-48-39.map"); -1 with err. */
int sp_phoneset_load_default(sp_phoneset *ps, sp_error *err);

/* Index of a symbol in the 61, 48 or 39 set (exact, lowercase), or -1. */
int sp_phone61(const sp_phoneset *ps, const char *sym);
int sp_phone48(const sp_phoneset *ps, const char *sym);
int sp_phone39(const sp_phoneset *ps, const char *sym);

#endif
