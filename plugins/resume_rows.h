/* resume_rows.h - for probes that keep their results as one table of
 * double rows [R][ncol] in NAME.npy (column 0 the 1-based epoch) and
 * rewrite it whole at each epoch's end: on `train --resume`, the rows of
 * the epochs the checkpoint holds, so that the table continues as if the
 * run had not stopped. Included by the probes that use it (a probe links
 * against nothing of sincprobe's, so this is a header of static code). */
#ifndef SP_PLUGIN_RESUME_ROWS_H
#define SP_PLUGIN_RESUME_ROWS_H

#include <sincprobe/probe.h>

#include <stdlib.h>
#include <string.h>

/* A row's own check beyond its epoch (e.g. a layer index in range), or
 * NULL for none. */
typedef int (*sp_resume_row_ok)(const double *row, const sp_probe_run *run);

/* Read NAME.npy of the probe's folder and keep, in file order, the rows
 * whose epoch is in 1 .. run->epochs_done and that pass ok. *rows gets
 * them (malloc'd, the caller frees; NULL when none); returns their count,
 * or -1 when the file is missing or not a float64 [R][ncol] table (*rows
 * NULL: the caller's table starts again). */
static long sp_resume_rows(const sp_probe_context *ctx, const char *name, long ncol, const sp_probe_run *run,
                           sp_resume_row_ok ok, double **rows)
{
    const sp_probe_host *h = ctx->host;
    sp_probe_dtype t;
    int rank;
    long shape[SP_PROBE_NPY_MAXRANK];
    sp_probe_error ignore;
    *rows = NULL;
    double *old = h->read_npy(ctx, name, &t, &rank, shape, &ignore);
    if (!old || t != SP_PROBE_F64 || rank != 2 || shape[1] != ncol) {
        h->release(old);
        return -1;
    }
    double *keep = malloc((size_t)(shape[0] ? shape[0] : 1) * (size_t)ncol * sizeof *keep);
    long n = 0;
    for (long r = 0; keep && r < shape[0]; r++) {
        const double *v = old + (size_t)r * (size_t)ncol;
        if (v[0] >= 1 && v[0] <= run->epochs_done && (!ok || ok(v, run)))
            memcpy(keep + (size_t)n++ * (size_t)ncol, v, (size_t)ncol * sizeof *v);
    }
    h->release(old);
    *rows = keep;
    return keep ? n : -1;
}

#endif
