/* activations.c - see activations.h. */
#include "config.h"
#include "run/activations.h"

#include <math.h>
#include <string.h>

void sp_activations_compute(sp_model *m, const sp_dataset *ds, const long *utt, const long *frame, long n,
                            const int *layers, int nl, float *const *out, float *post,
                            const sp_eval_progress *progress)
{
    if (progress) progress->begin(progress->ctx, n);
    for (long f0 = 0; f0 < n; f0 += m->maxB) {
        int nb = (int)(n - f0 < m->maxB ? n - f0 : m->maxB);
        for (int b = 0; b < nb; b++)
            sp_dataset_chunk(&ds->utt[utt[f0 + b]], frame[f0 + b], m->T, 1.0f, m->input + (size_t)b * (size_t)m->T);
        sp_model_forward(m, nb, 0);
        for (int k = 0; k < nl; k++) {
            const sp_layer *l = &m->layer[layers[k]];
            memcpy(out[k] + (size_t)f0 * l->out_n, l->out, (size_t)nb * l->out_n * sizeof(float));
        }
        if (post)
            for (size_t i = 0; i < (size_t)nb * SP_NCLASSES; i++)
                post[(size_t)f0 * SP_NCLASSES + i] = expf(m->logp[i]);
        if (progress) progress->update(progress->ctx, f0 + nb);
    }
    if (progress) progress->end(progress->ctx);
}
