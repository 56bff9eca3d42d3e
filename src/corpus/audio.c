/* audio.c - see audio.h. */
#include "config.h"
#include "corpus/audio.h"
#include "analysis/resample.h"
#include "base/conf.h"
#include "base/log.h"
#include "base/util.h"

#include <errno.h>
#include <math.h>
#include <sndfile.h>
#include <stdio.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>

/* 1 when the first bytes b[0 .. n) start an MPEG audio stream: an ID3v2
 * tag, or a frame header (11 sync bits set). */
static int mpeg_start(const unsigned char *b, size_t n)
{
    if (n >= 3 && b[0] == 'I' && b[1] == 'D' && b[2] == '3') return 1;
    return n >= 2 && b[0] == 0xFF && (b[1] & 0xE0) == 0xE0;
}

int sp_audio_precheck(const char *path, sp_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        if (errno == ENOENT) return sp_fail(err, "'%s' does not exist", path);
        return sp_fail(err, "cannot open '%s': %s", path, strerror(errno));
    }
    if (S_ISDIR(st.st_mode)) return sp_fail(err, "'%s' is a directory, not an audio file", path);
    if (S_ISREG(st.st_mode) && st.st_size == 0) return sp_fail(err, "'%s' is empty (0 bytes), not an audio file", path);
    if (!sp_endswith_ci(path, ".mp3") && !sp_endswith_ci(path, ".mp2") && !sp_endswith_ci(path, ".mpga")) return 0;
    FILE *f = fopen(path, "rb");
    if (!f) return sp_fail(err, "cannot open '%s': %s", path, strerror(errno));
    unsigned char b[3];
    size_t got = fread(b, 1, sizeof b, f);
    fclose(f);
    if (!mpeg_start(b, got)) return sp_fail(err, "'%s' is not an audio file (no MPEG audio header)", path);
    return 0;
}

int sp_audio_open_failed(const char *path, sp_error *err)
{
    if (sf_error(NULL) == SF_ERR_MALFORMED_FILE) {
        char why[256];
        snprintf(why, sizeof why, "%s", sf_strerror(NULL));
        size_t len = strlen(why);
        while (len && (why[len - 1] == '.' || why[len - 1] == '\n' || why[len - 1] == ' ')) why[--len] = '\0';
        return sp_fail(err, "'%s' is a damaged audio file (%s)", path, why);
    }
    return sp_fail(err, "'%s' is not an audio file (not in a format libsndfile reads: WAV, FLAC, Ogg, MP3, AIFF, ...)",
                   path);
}

int sp_audio_load_16k(const char *path, int16_t **out, long *n, sp_error *err)
{
    return sp_audio_load_16k_native(path, out, n, NULL, NULL, err);
}

int sp_audio_load_16k_native(const char *path, int16_t **out, long *n, int *rate, long *native_n, sp_error *err)
{
    *out = NULL;
    *n = 0;
    if (sp_audio_precheck(path, err) != 0) return -1;
    SF_INFO si;
    memset(&si, 0, sizeof si);
    SNDFILE *sf = sf_open(path, SFM_READ, &si);
    if (!sf) return sp_audio_open_failed(path, err);
    if (si.frames <= 0 || si.channels <= 0) {
        sf_close(sf);
        return sp_fail(err, "'%s' holds no audio (0 samples)", path);
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
    if (rate) *rate = si.samplerate;
    if (native_n) *native_n = (long)frames;
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
