/* priors.c - class priors from training frame labels (add-one smoothed),
 * for turning posteriors into scaled likelihoods; see decode.h. */
#include "config.h"
#include "decode/decode.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int sp_priors_init(sp_priors *p, int n, sp_error *err)
{
    memset(p, 0, sizeof *p);
    if (n < 1 || n > SP_MAX_PHONES)
        return sp_fail(err, "priors: class count %d is not in 1..%d", n, SP_MAX_PHONES);
    p->n = n;
    p->count = sp_xcalloc((size_t)n, sizeof *p->count);
    p->logprior = sp_xcalloc((size_t)n, sizeof *p->logprior);
    return 0;
}

void sp_priors_free(sp_priors *p)
{
    free(p->count);
    free(p->logprior);
    p->count = NULL;
    p->logprior = NULL;
    p->finalised = 0;
}

int sp_priors_add(sp_priors *p, const int *labels, size_t T, sp_error *err)
{
    for (size_t t = 0; t < T; t++)
        if (labels[t] >= p->n)
            return sp_fail(err, "priors: label %d at frame %zu is not below %d", labels[t], t, p->n);
    for (size_t t = 0; t < T; t++) {
        if (labels[t] < 0) continue;
        p->count[labels[t]]++;
        p->total++;
    }
    p->finalised = 0;
    return 0;
}

int sp_priors_finalise(sp_priors *p, sp_error *err)
{
    if (!p->count) return sp_fail(err, "priors: not initialised");
    if (p->total == 0) return sp_fail(err, "priors: no labelled frames counted");
    double denom = (double)p->total + p->n;
    for (int c = 0; c < p->n; c++)
        p->logprior[c] = log(((double)p->count[c] + 1.0) / denom);
    p->finalised = 1;
    return 0;
}
