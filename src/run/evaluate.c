/* evaluate.c - see evaluate.h. */
#include "config.h"
#include "run/evaluate.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

int sp_argmax(const float *x, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (x[i] > x[best]) best = i;
    return best;
}

void sp_evaluate(sp_model *m, const sp_dataset *ds, sp_eval_fn fn, void *ctx,
                 const sp_eval_progress *progress, sp_eval_result *out)
{
    sp_evaluate_with(m, ds, NULL, NULL, fn, ctx, progress, out, NULL);
}

int sp_evaluate_with(sp_model *m, const sp_dataset *ds, sp_eval_batch_fn batch_fn, void *bctx,
                     sp_eval_fn fn, void *ctx, const sp_eval_progress *progress, sp_eval_result *out,
                     sp_error *err)
{
    int rc = 0;
    memset(out, 0, sizeof *out);
    const int B = m->maxB, T = m->T;
    long maxf = 0;
    for (size_t i = 0; i < ds->n; i++)
        if (ds->utt[i].nframes > maxf) maxf = ds->utt[i].nframes;
    float *post = sp_xmalloc((size_t)(maxf > 0 ? maxf : 1) * SP_NCLASSES * sizeof(float));
    double loss = 0;
    if (progress) progress->begin(progress->ctx, (long)ds->n);
    for (size_t i = 0; i < ds->n && !rc; i++) {
        const sp_utterance *u = &ds->utt[i];
        for (long f0 = 0; f0 < u->nframes && !rc; f0 += B) {
            int nb = (int)(u->nframes - f0 < B ? u->nframes - f0 : B);
            for (int b = 0; b < nb; b++) sp_dataset_chunk(u, f0 + b, T, 1.0f, m->input + (size_t)b * T);
            if (batch_fn && (rc = batch_fn(bctx, i, f0, nb, m->input, T, err)) != 0) break;
            sp_model_infer(m, nb);
            memcpy(post + (size_t)f0 * SP_NCLASSES, m->logp, (size_t)nb * SP_NCLASSES * sizeof(float));
        }
        if (rc) break;
        for (long f = 0; f < u->nframes; f++) {
            int lab = u->label[f];
            if (lab < 0) continue;
            const float *row = post + (size_t)f * SP_NCLASSES;
            loss -= row[lab];
            out->frames++;
            if (sp_argmax(row, SP_NCLASSES) != lab) out->errors++;
        }
        if (fn) fn(ctx, u, post);
        if (progress) progress->update(progress->ctx, (long)i + 1);
    }
    if (progress) progress->end(progress->ctx);
    free(post);
    out->loss = out->frames ? loss / (double)out->frames : 0.0;
    out->fer = out->frames ? (double)out->errors / (double)out->frames : 0.0;
    return rc;
}
