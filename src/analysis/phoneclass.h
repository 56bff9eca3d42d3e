/* phoneclass.h - the broad phonetic class of each of the 48 training phones
 * (corpora/phones.60-48-39.map, second column), for colouring the tsne and
 * pca probes' scatter plots. The grouping follows the TIMIT documentation's
 * broad classes, folded into six:
 *   vowels      iy ih eh ey ae aa aw ay ah ao oy ow uh uw er ax ix
 *   stops       b d g p t k dx, and the affricates ch jh (a stop release
 *               into a fricative)
 *   fricatives  s sh z zh f th v dh
 *   nasals      m n ng en
 *   semivowels and glides  l r w y hh el
 *   silence     sil cl vcl epi (pauses, closures, epenthetic silence)
 * Self-contained (libc only): compiled into the probe module. */
#ifndef SP_PHONECLASS_H
#define SP_PHONECLASS_H

typedef enum {
    SP_PC_VOWEL = 0,
    SP_PC_STOP,
    SP_PC_FRICATIVE,
    SP_PC_NASAL,
    SP_PC_SEMIVOWEL,
    SP_PC_SILENCE,
    SP_PC_N /* number of classes */
} sp_phoneclass;

/* The class of a training phone's name, or -1 for a name not among the 48
 * (e.g. the "0", "1", ... of `sincprobe analyse` without --classes). */
int sp_phoneclass_of(const char *phone);

/* "vowels", "stops", "fricatives", "nasals", "semivowels", "silence";
 * "other" for -1. */
const char *sp_phoneclass_name(int c);

#endif
