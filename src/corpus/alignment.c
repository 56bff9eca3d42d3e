/* alignment.c - quiet silences and loud vowels: the alignment sanity
 * measure of alignment.h. */
#include "config.h"
#include "corpus/alignment.h"

#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static int in_list(const char *label, const char *const *list)
{
    for (; *list; list++)
        if (strcmp(label, *list) == 0) return 1;
    return 0;
}

static const char *const silences[] = { "h#", "pau", "epi", "bcl", "dcl", "gcl", "kcl", "pcl", "tcl", NULL };
static const char *const vowels[] = { "iy", "ih", "eh", "ey", "ae", "aa", "aw", "ay", "ah", "ao", "oy",
                                      "ow", "uh", "uw", "ux", "er", "ax", "ix", "axr", "ax-h", NULL };

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void sp_align_add(sp_align_stats *s, const sp_utt *u)
{
    long nf = u->n / SP_ALIGN_FRAME;
    if (nf < 1 || u->phn.n == 0) return;
    double *en = sp_xmalloc((size_t)nf * sizeof *en), *sorted = sp_xmalloc((size_t)nf * sizeof *sorted);
    for (long f = 0; f < nf; f++) {
        double e = 0;
        for (long i = f * SP_ALIGN_FRAME; i < (f + 1) * SP_ALIGN_FRAME; i++) e += (double)u->audio[i] * u->audio[i];
        en[f] = sorted[f] = e;
    }
    qsort(sorted, (size_t)nf, sizeof *sorted, cmp_double);
    /* The median; for an even count, the mean of the two middle values. */
    double median = nf % 2 ? sorted[nf / 2] : 0.5 * (sorted[nf / 2 - 1] + sorted[nf / 2]);
    size_t k = 0;
    for (long f = 0; f < nf; f++) {
        long centre = f * SP_ALIGN_FRAME + SP_ALIGN_FRAME / 2;
        while (k < u->phn.n && u->phn.v[k].end <= centre) k++;
        if (k == u->phn.n) break;
        if (u->phn.v[k].begin > centre) continue; /* a gap (corpus check reports it) */
        const char *label = u->phn.v[k].label;
        if (in_list(label, silences)) {
            s->silence_frames++;
            s->silence_quiet += en[f] < median;
        } else if (in_list(label, vowels)) {
            s->vowel_frames++;
            s->vowel_loud += en[f] > median;
        }
    }
    s->utterances++;
    free(en);
    free(sorted);
}

double sp_align_silence_share(const sp_align_stats *s)
{
    return s->silence_frames ? (double)s->silence_quiet / (double)s->silence_frames : 0.0;
}

double sp_align_vowel_share(const sp_align_stats *s)
{
    return s->vowel_frames ? (double)s->vowel_loud / (double)s->vowel_frames : 0.0;
}
