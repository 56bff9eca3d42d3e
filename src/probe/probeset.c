/* probeset.c - the probe set (probe_host.h): the frames on which probes
 * see activations at epoch ends, and which `sincprobe activations`
 * draws again so that its matrices are the probes'. */
#include "config.h"
#include "probe/probe_host.h"
#include "base/rng.h"
#include "base/util.h"

#define PROBE_SET_STREAM 0x70726f62655f7365ull /* "probe_se" */

/* The candidates (every frame, or the labelled ones) in utterance and
 * frame order; then a partial Fisher-Yates shuffle of the first n picks
 * n of them uniformly without replacement, in a random order, so any
 * prefix of the set is a uniform sample too (a probe with fewer
 * probe_frames takes a prefix). */
long sp_probe_set_draw(const sp_dataset *ds, long want, uint64_t seed, int labelled_only, long **utt, long **frame)
{
    long L = 0;
    for (size_t i = 0; i < ds->n; i++)
        for (long f = 0; f < ds->utt[i].nframes; f++) L += !labelled_only || ds->utt[i].label[f] >= 0;
    long *pu = sp_xmalloc((size_t)(L ? L : 1) * sizeof *pu), *pf = sp_xmalloc((size_t)(L ? L : 1) * sizeof *pf);
    long k = 0;
    for (size_t i = 0; i < ds->n; i++)
        for (long f = 0; f < ds->utt[i].nframes; f++)
            if (!labelled_only || ds->utt[i].label[f] >= 0) {
                pu[k] = (long)i;
                pf[k++] = f;
            }
    long n = want < L ? want : L;
    sp_rng r;
    sp_rng_seed(&r, seed, PROBE_SET_STREAM);
    for (long i = 0; i < n; i++) {
        long j = i + (long)sp_rng_below(&r, (uint64_t)(L - i));
        long t = pu[i];
        pu[i] = pu[j];
        pu[j] = t;
        t = pf[i];
        pf[i] = pf[j];
        pf[j] = t;
    }
    *utt = sp_xrealloc(pu, (size_t)(n ? n : 1) * sizeof *pu);
    *frame = sp_xrealloc(pf, (size_t)(n ? n : 1) * sizeof *pf);
    return n;
}
