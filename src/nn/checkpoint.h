/* checkpoint.h - a model and its training state in one versioned,
 * checksummed binary file, written atomically. sincprobe-checkpoint(5)
 * documents it for readers outside C (python/sincprobe_io.py is one).
 *
 * Layout (little-endian, as the machine writes it; a file from a machine
 * of the other byte order is refused by its magic):
 *   "SPCKPT\r\n"  u32 version (2; 1 is read too)
 *   u32 length, the resolved config text
 *   version 2: the tensor directory, u32 count and per tensor
 *     u32 length, its name (sp_model_tensors: "conv2.w"), u32 block
 *     (0 params, 1 state), u32 rank, u64 offset into the block,
 *     u64 shape[rank]; checked against the model the config makes
 *   u64 n, float params[n]      u64 n, float state[n] (batch-norm stats)
 *   u32 optimizer kind, i64 step, u64 n, float m[n], float v[n]
 *   the position (sp_train_pos, field by field)
 *   u32 CRC-32 (IEEE) of every byte before it
 * The config is stored as text so a checkpoint rebuilds its own model,
 * and keys added since are read as absent in older files: [model]
 * sinc_param then loads as hz, [optim] first_layer_lr_scale as 1 and
 * [train] log_every as 0 (no steps.tsv), the behaviour before they
 * existed (the format version is unchanged). */
#ifndef SP_CHECKPOINT_H
#define SP_CHECKPOINT_H

#include "nn/model.h"
#include "nn/optim.h"
#include "base/rng.h"
#include "base/error.h"
#include "base/util.h"

#define SP_CHECKPOINT_VERSION 2

/* Where training stands: enough to resume bit for bit. */
typedef struct {
    int epoch;            /* epochs completed */
    int step;             /* steps done in the epoch in progress */
    long global_step;
    double lr;            /* current learning rate */
    double best_dev_fer;  /* 2 when none yet */
    int best_epoch;       /* 0 when none yet */
    double loss_sum;      /* the epoch in progress: summed batch losses */
    long correct, count;  /* ... and frame classification counts */
    double elapsed;       /* seconds of training so far */
    sp_rng sampler;       /* the chunk sampler's stream */
    sp_rng dropout;       /* the model's dropout stream */
} sp_train_pos;

int sp_checkpoint_save(const char *path, const sp_model *m, const sp_optim *o,
                       const sp_train_pos *pos, sp_error *err);

/* Read path into a fresh model for batches of up to maxB (and into o and
 * pos unless NULL). A bad magic, version, checksum or size is an error
 * naming the file. */
int sp_checkpoint_load(const char *path, sp_model *m, int maxB, sp_optim *o,
                       sp_train_pos *pos, sp_error *err);

/* The position of a training that has not started: epoch 0, the
 * config's lr, no best epoch, the sampler seeded from [train] seed as a
 * new run seeds it, m's dropout stream. */
void sp_train_pos_fresh(sp_train_pos *pos, const sp_model *m);

/* sp_crc32, the file's checksum, is in base/util.h. */

#endif
