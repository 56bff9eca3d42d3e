/* resample.c - see resample.h. */
#include "analysis/resample.h"

#include <math.h>
#include <samplerate.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The one quality (resample.h says why). */
#define QUALITY SRC_SINC_BEST_QUALITY

int sp_resample(const float *in, long n, int from_hz, int to_hz, float **out, long *nout, sp_error *err)
{
    *out = NULL;
    *nout = 0;
    if (from_hz <= 0 || to_hz <= 0) return sp_fail(err, "cannot resample from %d Hz to %d Hz", from_hz, to_hz);
    return sp_resample_ratio(in, n, from_hz == to_hz ? 1.0 : (double)to_hz / from_hz, out, nout, err);
}

int sp_resample_ratio(const float *in, long n, double ratio, float **out, long *nout, sp_error *err)
{
    *out = NULL;
    *nout = 0;
    if (!(ratio > 0) || !isfinite(ratio) || !src_is_valid_ratio(ratio))
        return sp_fail(err, "cannot resample by a ratio of %g", ratio);
    if (n < 0) n = 0;
    /* The converter emits about n * ratio samples; the margin is room for
     * its rounding, never reached. */
    long cap = ratio == 1.0 ? n : (long)ceil((double)n * ratio) + 64;
    float *y = malloc((size_t)(cap > 0 ? cap : 1) * sizeof *y);
    if (!y) return sp_fail_oom(err, (size_t)(cap > 0 ? cap : 1) * sizeof *y);
    if (ratio == 1.0 || n == 0) {
        if (n) memcpy(y, in, (size_t)n * sizeof *y);
        *out = y;
        *nout = n;
        return 0;
    }
    SRC_DATA d;
    memset(&d, 0, sizeof d);
    d.data_in = in;
    d.input_frames = n;
    d.data_out = y;
    d.output_frames = cap;
    d.src_ratio = ratio;
    int e = src_simple(&d, QUALITY, 1);
    if (e != 0) {
        free(y);
        return sp_fail(err, "%s", src_strerror(e));
    }
    *out = y;
    *nout = d.output_frames_gen;
    return 0;
}
