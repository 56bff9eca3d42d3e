/* audio.c - see audio.h. */
#include "config.h"
#include "corpus/audio.h"
#include "analysis/resample.h"
#include "base/conf.h"
#include "base/log.h"
#include "base/util.h"

#include <math.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>

int sp_audio_load_16k(const char *path, int16_t **out, long *n, sp_error *err)
{
    *out = NULL;
    *n = 0;
    SF_INFO si;
    memset(&si, 0, sizeof si);
    SNDFILE *sf = sf_open(path, SFM_READ, &si);
    if (!sf) return sp_fail(err, "cannot read audio '%s': %s", path, sf_strerror(NULL));
    if (si.frames <= 0 || si.channels <= 0) {
        sf_close(sf);
        return sp_fail(err, "audio '%s' is empty", path);
    }
    size_t frames = (size_t)si.frames;
    float *buf = sp_xmalloc(frames * (size_t)si.channels * sizeof *buf);
    sf_count_t got = sf_readf_float(sf, buf, si.frames);
    sf_close(sf);
    if (got <= 0) {
        free(buf);
        return sp_fail(err, "cannot read the samples of '%s'", path);
    }
    frames = (size_t)got;
    if (si.channels > 1) {
        sp_log_note("'%s' has %d channels; averaging them to mono", path, si.channels);
        for (size_t i = 0; i < frames; i++) {
            float s = 0;
            for (int c = 0; c < si.channels; c++) s += buf[i * (size_t)si.channels + (size_t)c];
            buf[i] = s / (float)si.channels;
        }
    }
    float *mono = buf;
    size_t m = frames;
    if (si.samplerate != SP_SAMPLE_RATE) {
        float *res;
        long nres;
        int rc = sp_resample(buf, (long)frames, si.samplerate, SP_SAMPLE_RATE, &res, &nres, err);
        free(buf);
        if (rc != 0) return sp_error_prefix(err, "cannot resample '%s' from %d Hz: ", path, si.samplerate);
        mono = res;
        m = (size_t)nres;
    }
    int16_t *pcm = sp_xmalloc((m ? m : 1) * sizeof *pcm);
    for (size_t i = 0; i < m; i++) {
        float v = mono[i] * 32768.0f;
        pcm[i] = (int16_t)(v > 32767.0f ? 32767 : v < -32768.0f ? -32768 : lrintf(v));
    }
    free(mono);
    *out = pcm;
    *n = (long)m;
    return 0;
}
