/* modelio.h - a model's named tensors (sp_model_tensors) in and out of
 * .npz archives, and from one model into another: `sincprobe export`,
 * `sincprobe import` and [train] init_from.
 *
 * An export holds one float32 array per named tensor ("sinc.low_hz",
 * "conv2.w", "bn1.running_var", ...: model.h) in its shape, and two text
 * arrays: "config", the resolved config (str(a) in numpy), and "phones",
 * the 48 phone symbols in the order of the model's outputs. */
#ifndef SP_MODELIO_H
#define SP_MODELIO_H

#include "nn/model.h"
#include "corpus/phoneset.h"
#include "base/error.h"

/* The member names that are not tensors. */
#define SP_EXPORT_CONFIG "config"
#define SP_EXPORT_PHONES "phones"

/* Write m (and ps's 48 phones) to path, atomically. */
int sp_model_export_npz(const sp_model *m, const sp_phoneset *ps, const char *path, sp_error *err);

/* Set every named tensor of m (a model built from its config) from the
 * arrays of the .npz at path (float32, or float64 rounded to float). Any
 * tensor missing or of another shape, and any array that is neither a
 * tensor of m nor config/phones, is an error; the message names each
 * (up to what it holds) with the expected shape. m is then unchanged. */
int sp_model_load_npz(sp_model *m, const char *path, sp_error *err);

/* The same from the tensors of src (a loaded checkpoint), which must be
 * those of dst by name and shape; from names src in messages. */
int sp_model_copy_tensors(sp_model *dst, const sp_model *src, const char *from, sp_error *err);

/* The config text of an export at path (caller frees), or NULL with err
 * when it has none. */
char *sp_export_config_text(const char *path, sp_error *err);

#endif
