/* speed.c - see speed.h. */
#include "analysis/speed.h"

#include "analysis/resample.h"

#include <math.h>

int sp_speed_perturb(const float *x, long n, double factor, float **y, long *ny, sp_error *err)
{
    if (!(factor > 0) || !isfinite(factor)) return sp_fail(err, "a speed factor of %g", factor);
    /* Output sample m at input time m * factor: a rate ratio of 1 / factor. */
    return sp_resample_ratio(x, n, 1.0 / factor, y, ny, err);
}

long sp_speed_chunk_start(long start, int T, double factor)
{
    double centre = (double)start + T / 2;
    return lround(centre / factor) - T / 2;
}
