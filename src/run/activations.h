/* activations.h - a model's layer outputs and frame posteriors on chosen
 * frames of a dataset (`sincprobe activations`): for frame f of an
 * utterance, the 200 ms (input_ms) chunk centred on it, as training and
 * the probe set cut it (sp_dataset_chunk, gain 1), through
 * sp_model_forward(m, B, 0) in batches of m->maxB, the forward pass the
 * probe host runs for a model view (probe/hooks.c). With m->maxB equal to
 * the training batch and the probe set's frames, the matrices are the
 * ones probes get at an epoch's end, bit for bit. */
#ifndef SP_ACTIVATIONS_H
#define SP_ACTIVATIONS_H

#include "corpus/dataset.h"
#include "nn/model.h"
#include "run/evaluate.h"

/* The n frames (utterance utt[i] of ds, frame frame[i]) through m. For
 * each k < nl, out[k] [n][m->layer[layers[k]].out_n] gets that layer's
 * outputs; post (NULL: not wanted) [n][48] the posteriors exp(log p).
 * progress (NULL: none) counts frames. */
void sp_activations_compute(sp_model *m, const sp_dataset *ds, const long *utt, const long *frame, long n,
                            const int *layers, int nl, float *const *out, float *post,
                            const sp_eval_progress *progress);

#endif
