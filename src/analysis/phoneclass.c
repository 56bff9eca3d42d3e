/* phoneclass.c - broad phonetic classes of the 48 training phones. See
 * phoneclass.h. */
#include "analysis/phoneclass.h"

#include <string.h>

static const struct {
    const char *phone;
    int cls;
} table[] = {
    { "iy", SP_PC_VOWEL },     { "ih", SP_PC_VOWEL },     { "eh", SP_PC_VOWEL },     { "ey", SP_PC_VOWEL },
    { "ae", SP_PC_VOWEL },     { "aa", SP_PC_VOWEL },     { "aw", SP_PC_VOWEL },     { "ay", SP_PC_VOWEL },
    { "ah", SP_PC_VOWEL },     { "ao", SP_PC_VOWEL },     { "oy", SP_PC_VOWEL },     { "ow", SP_PC_VOWEL },
    { "uh", SP_PC_VOWEL },     { "uw", SP_PC_VOWEL },     { "er", SP_PC_VOWEL },     { "ax", SP_PC_VOWEL },
    { "ix", SP_PC_VOWEL },     { "b", SP_PC_STOP },       { "d", SP_PC_STOP },       { "g", SP_PC_STOP },
    { "p", SP_PC_STOP },       { "t", SP_PC_STOP },       { "k", SP_PC_STOP },       { "dx", SP_PC_STOP },
    { "ch", SP_PC_STOP },      { "jh", SP_PC_STOP },      { "s", SP_PC_FRICATIVE },  { "sh", SP_PC_FRICATIVE },
    { "z", SP_PC_FRICATIVE },  { "zh", SP_PC_FRICATIVE }, { "f", SP_PC_FRICATIVE },  { "th", SP_PC_FRICATIVE },
    { "v", SP_PC_FRICATIVE },  { "dh", SP_PC_FRICATIVE }, { "m", SP_PC_NASAL },      { "n", SP_PC_NASAL },
    { "ng", SP_PC_NASAL },     { "en", SP_PC_NASAL },     { "l", SP_PC_SEMIVOWEL },  { "r", SP_PC_SEMIVOWEL },
    { "w", SP_PC_SEMIVOWEL },  { "y", SP_PC_SEMIVOWEL },  { "hh", SP_PC_SEMIVOWEL }, { "el", SP_PC_SEMIVOWEL },
    { "sil", SP_PC_SILENCE },  { "cl", SP_PC_SILENCE },   { "vcl", SP_PC_SILENCE },  { "epi", SP_PC_SILENCE },
};

int sp_phoneclass_of(const char *phone)
{
    if (!phone) return -1;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (strcmp(table[i].phone, phone) == 0) return table[i].cls;
    return -1;
}

const char *sp_phoneclass_name(int c)
{
    static const char *const names[SP_PC_N] = { "vowels", "stops", "fricatives", "nasals", "semivowels", "silence" };
    return c >= 0 && c < SP_PC_N ? names[c] : "other";
}
