/* chunk_logp.c - a test driver: the log-posteriors a sincprobe model
 * gives for chunks given as a .npy, for tests/torch.sh to compare with
 * PyTorch's (python/sincprobe_torch.py).
 *
 *   chunk_logp MODEL CHUNKS.npy OUT.npy [forward|infer]
 *
 * MODEL: a checkpoint or run directory; CHUNKS: float32 [B][T] with T the
 * model's input samples; OUT: float32 [B][48], log-softmax outputs of
 * sp_model_forward in eval mode (default) or of sp_model_infer, the fused
 * inference path eval and decode use. */
#include "config.h"
#include "nn/checkpoint.h"
#include "decode/phonedecoder.h"
#include "base/npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(const char *msg)
{
    fprintf(stderr, "chunk_logp: %s\n", msg);
    return 1;
}

int main(int argc, char **argv)
{
    if (argc < 4) return fail("usage: chunk_logp MODEL CHUNKS.npy OUT.npy [forward|infer]");
    int infer = argc > 4 && !strcmp(argv[4], "infer");
    sp_error err;
    char *rundir = NULL, *ckpt = sp_resolve_model(argv[1], &rundir, &err);
    free(rundir);
    if (!ckpt) return fail(err.msg);
    sp_npy_dtype t;
    int rank;
    long shape[SP_NPY_MAXRANK];
    float *x = sp_npy_read(argv[2], &t, &rank, shape, &err);
    if (!x) return fail(err.msg);
    if (t != SP_NPY_F32 || rank != 2) return fail("chunks must be float32 [B][T]");
    sp_model m;
    if (sp_checkpoint_load(ckpt, &m, (int)shape[0], NULL, NULL, &err) != 0) return fail(err.msg);
    if (shape[1] != m.T) return fail("chunks are not of the model's input length");
    int B = (int)shape[0];
    memcpy(m.input, x, sizeof(float) * (size_t)B * (size_t)m.T);
    if (infer) sp_model_infer(&m, B);
    else sp_model_forward(&m, B, 0);
    long out_shape[2] = { B, 48 };
    int rc = sp_npy_write(argv[3], SP_NPY_F32, m.logp, 2, out_shape, &err) == 0 ? 0 : fail(err.msg);
    sp_model_free(&m);
    free(x);
    free(ckpt);
    return rc;
}
