/* evaluate.h - run a model over every 10 ms frame of a dataset (one
 * chunk centred on each frame, zero-padded at the ends, as SincNet's
 * evaluation) and gather the loss, the frame error rate and, through a
 * callback, each utterance's frame log posteriors. */
#ifndef SP_EVALUATE_H
#define SP_EVALUATE_H

#include "corpus/dataset.h"
#include "nn/model.h"
#include "base/error.h"

typedef struct {
    double loss;      /* mean NLL over labelled frames */
    long frames;      /* labelled frames */
    long errors;      /* arg-max != label, 48 classes */
    double fer;       /* errors / frames */
} sp_eval_result;

/* How far an evaluation is, for a display the caller draws (the engine
 * prints nothing): begin(ctx, total) once with the number of utterances,
 * update(ctx, done) after each utterance, end(ctx) once, also when a
 * batch hook stopped the evaluation. All three are set. */
typedef struct {
    void (*begin)(void *ctx, long total);
    void (*update)(void *ctx, long done);
    void (*end)(void *ctx);
    void *ctx;
} sp_eval_progress;

/* fn (may be NULL) receives each utterance and its log posteriors
 * [nframes][48] (valid during the call). progress: NULL for none. */
typedef void (*sp_eval_fn)(void *ctx, const sp_utterance *u, const float *logp);
void sp_evaluate(sp_model *m, const sp_dataset *ds, sp_eval_fn fn, void *ctx,
                 const sp_eval_progress *progress, sp_eval_result *out);

/* The same with a hook on each batch before its forward pass (the probe
 * chain): batch_fn gets the utterance's index in ds, the frame of the
 * first chunk, the chunks m->input[nb][T] (writable) and returns 0, or -1
 * with err (base/error.h) to stop the evaluation, which then returns -1
 * with that err (out holds what was evaluated so far). batch_fn NULL:
 * sp_evaluate. */
typedef int (*sp_eval_batch_fn)(void *bctx, size_t utt, long frame0, int nb, float *input, int T, sp_error *err);
int sp_evaluate_with(sp_model *m, const sp_dataset *ds, sp_eval_batch_fn batch_fn, void *bctx,
                     sp_eval_fn fn, void *ctx, const sp_eval_progress *progress, sp_eval_result *out,
                     sp_error *err);

/* Arg-max of one row of n scores (ties to the lower index). */
int sp_argmax(const float *x, int n);

#endif
