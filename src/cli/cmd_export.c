/* cmd_export.c - `sincprobe export`: a model's named tensors, its
 * resolved config and its phone list as a .npz archive numpy.load reads
 * (nn/modelio.h; sincprobe-export(1)). */
#include "config.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "nn/modelio.h"
#include "corpus/phoneset.h"

#include <stdlib.h>

static const char *const usage[] = {
    "sincprobe export MODEL --out FILE.npz",
    "",
    "  MODEL      a checkpoint, or a run directory (its best checkpoint, else its last)",
    "  --out FILE the archive to write: one float32 array per tensor (sinc.low_hz,",
    "             conv2.w, bn1.running_var, ...), config and phones",
    "",
    "numpy.load(FILE) reads it; see sincprobe-export(1) and sincprobe-checkpoint(5).",
    NULL,
};

int cmd_export(int argc, char **argv)
{
    const char *out = NULL;
    sp_opt opts[] = {
        SP_OPT_STRING_NONEMPTY("--out", &out),
        SP_OPT_END,
    };
    int status, nargs = sp_opt_parse(usage, opts, 1, argc, argv, &status);
    if (nargs < 0) return status;
    if (nargs < 1) return sp_usage_error(usage, "give a MODEL");
    if (!out) return sp_usage_error(usage, "give the archive to write with --out");
    sp_model m;
    char *ckpt = NULL, *rundir = NULL;
    int rc = SP_EXIT_FAIL;
    if (sp_cli_load_model(argv[1], 1, &m, &ckpt, &rundir) != 0) goto out;
    sp_phoneset ps;
    sp_error err;
    if (sp_phoneset_load_default(&ps, &err) != 0 || sp_model_export_npz(&m, &ps, out, &err) != 0) sp_errorf("%s", err.msg);
    else rc = SP_EXIT_OK;
    sp_model_free(&m);
out:
    free(ckpt);
    free(rundir);
    return rc;
}
