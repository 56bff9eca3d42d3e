/* sphere.c - see sphere.h. */
#include "config.h"
#include "corpus/sphere.h"
#include "base/conf.h"
#include "base/util.h"

#include <errno.h>
#include <sndfile.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define SPHERE_MAGIC "NIST_1A"

int sp_sphere_is_sphere(const char *path)
{
    char buf[8] = { 0 };
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(buf, 1, 7, f);
    fclose(f);
    return n == 7 && memcmp(buf, SPHERE_MAGIC, 7) == 0;
}

/* Parse "name -type value" into the known fields. Returns 0, or -1 with a
 * message in err when the line is malformed. */
static int parse_field(char *line, long lineno, sp_sphere_info *info, sp_error *err)
{
    char *save = NULL;
    char *name = strtok_r(line, " \t", &save);
    char *type = strtok_r(NULL, " \t", &save);
    char *value = save;
    if (!name || !type || !value) {
        return sp_fail(err, "expected a header field 'NAME -TYPE VALUE'");
    }
    while (*value == ' ' || *value == '\t') value++;
    if (*value == '\0') {
        return sp_fail(err, "header field '%s' has no value", name);
    }
    if (type[0] != '-' || (type[1] != 'i' && type[1] != 'r' && type[1] != 's')) {
        return sp_fail(err, "header field '%s' has type '%s', expected -i, -r or -sN", name, type);
    }
    if (!strcmp(name, "sample_count")) info->sample_count_line = lineno;
    if (type[1] == 'i') {
        char *end;
        errno = 0;
        long v = strtol(value, &end, 10);
        if (errno || end == value || (*end && *end != ' ')) {
            return sp_fail(err, "header field '%s' is -i but '%s' is not an integer", name, value);
        }
        long *field = !strcmp(name, "sample_rate")      ? &info->sample_rate
                      : !strcmp(name, "channel_count")  ? &info->channel_count
                      : !strcmp(name, "sample_n_bytes") ? &info->sample_n_bytes
                      : !strcmp(name, "sample_count")   ? &info->sample_count
                                                        : NULL;
        /* -1 means "absent": a negative value must not pass for that. */
        if (field && v < 0) {
            return sp_fail(err, "header field '%s' is %ld: expected a number >= 0", name, v);
        }
        if (field) *field = v;
    } else if (type[1] == 'r') {
        char *end;
        double v = strtod(value, &end);
        if (end == value) {
            return sp_fail(err, "header field '%s' is -r but '%s' is not a number", name, value);
        }
        /* TIMIT writes sample_rate as -i; some tools write it as -r. The
         * conversion to long is defined only in range (and nan fails
         * every comparison, so it is refused too). */
        if (strcmp(name, "sample_rate") == 0) {
            if (!(v >= 0 && v <= 1e9)) {
                return sp_fail(err, "header field 'sample_rate' is %s: expected a rate in Hz (0 .. 1e9)", value);
            }
            info->sample_rate = (long)(v + 0.5);
        }
    } else {
        char *end;
        long len = strtol(type + 2, &end, 10);
        if (end == type + 2 || *end || len <= 0) {
            return sp_fail(err, "header field '%s' has type '%s', expected -sN with a length N", name, type);
        }
        if ((long)strlen(value) != len) {
            return sp_fail(err, "header field '%s' declares %ld characters but has %zu", name, len, strlen(value));
        }
        if (strcmp(name, "sample_byte_format") == 0)
            snprintf(info->byte_format, sizeof info->byte_format, "%s", value);
        else if (strcmp(name, "sample_coding") == 0)
            snprintf(info->coding, sizeof info->coding, "%s", value);
    }
    return 0;
}

/* sample_count against the size of the file: the samples after the header
 * are (size - header_bytes) / (channels * 2), a division so that no
 * sample_count, however large, can overflow the comparison. Fewer
 * samples than declared is a truncated file (a problem); more is a
 * warning in d (libsndfile reads only sample_count of them), which
 * corpus check counts and a strict d makes a problem: -1 then. */
static int check_sample_count(const char *path, const sp_sphere_info *info, sp_diag *d)
{
    struct stat st;
    if (stat(path, &st) != 0) return 0; /* the reader will say why */
    long frame = 2 * (info->channel_count > 0 ? info->channel_count : 1);
    long have = ((long)st.st_size - info->header_bytes) / frame;
    if (info->sample_count > have) {
        sp_diag_add(d, path, info->sample_count_line,
                    "truncated audio: sample_count is %ld but the file holds %ld samples (%ld bytes after its "
                    "%ld-byte header)", info->sample_count, have, (long)st.st_size - info->header_bytes,
                    info->header_bytes);
        return -1;
    }
    size_t before = d->n;
    if (info->sample_count < have)
        sp_diag_warn(d, path, info->sample_count_line,
                     "sample_count is %ld but the file holds %ld samples; the last %ld are ignored",
                     info->sample_count, have, have - info->sample_count);
    return d->n > before ? -1 : 0;
}

int sp_sphere_read_header(const char *path, sp_sphere_info *info, sp_diag *d)
{
    memset(info, 0, sizeof *info);
    info->sample_rate = info->channel_count = info->sample_n_bytes = info->sample_count = -1;
    FILE *f = fopen(path, "rb");
    if (!f) {
        sp_diag_add(d, path, 0, "cannot open: %s", strerror(errno));
        return -1;
    }
    /* The header size is on line 2; read the smallest legal header first. */
    char first[1024 + 1];
    size_t got = fread(first, 1, 1024, f);
    first[got] = '\0';
    size_t before = d->n;
    if (got < 16 || memcmp(first, SPHERE_MAGIC "\n", 8) != 0) {
        sp_diag_add(d, path, 1, "not a NIST SPHERE file: expected 'NIST_1A' on the first line");
        fclose(f);
        return -1;
    }
    char *end;
    long hbytes = strtol(first + 8, &end, 10);
    if (end == first + 8 || *end != '\n' || hbytes < 16 || hbytes % 1024 != 0 || hbytes > 1 << 20) {
        sp_diag_add(d, path, 2, "expected the header size in bytes (a multiple of 1024) on line 2");
        fclose(f);
        return -1;
    }
    info->header_bytes = hbytes;
    char *hdr = sp_xmalloc((size_t)hbytes + 1);
    memcpy(hdr, first, got);
    if ((long)got < hbytes) got += fread(hdr + got, 1, (size_t)hbytes - got, f);
    fclose(f);
    if ((long)got < hbytes) {
        sp_diag_add(d, path, 0, "truncated SPHERE header: %zu of %ld bytes", got, hbytes);
        free(hdr);
        return -1;
    }
    hdr[hbytes] = '\0';
    /* Fields from line 3 to end_head. */
    long lineno = 2;
    char *p = strchr(hdr, '\n') + 1;
    p = strchr(p, '\n') + 1;
    int ended = 0;
    while (p && *p) {
        lineno++;
        char *nl = strchr(p, '\n');
        if (!nl) break;
        *nl = '\0';
        char *line = p;
        p = nl + 1;
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r') line[--ll] = '\0';
        if (strcmp(line, "end_head") == 0) {
            ended = 1;
            break;
        }
        if (ll == 0) continue;
        if (line[0] == ';') continue; /* comment */
        sp_error why;
        if (parse_field(line, lineno, info, &why) != 0) {
            sp_diag_add(d, path, lineno, "%s", why.msg);
            if (sp_diag_stop(d)) break;
        }
    }
    free(hdr);
    if (!ended && !sp_diag_stop(d))
        sp_diag_add(d, path, 0, "malformed SPHERE header: no 'end_head' within the %ld header bytes", hbytes);
    if (d->n > before) return -1;

    /* The fields TIMIT audio must have. */
    if (info->sample_count < 0)
        sp_diag_add(d, path, 0, "SPHERE header has no sample_count field");
    if (info->sample_rate < 0)
        sp_diag_add(d, path, 0, "SPHERE header has no sample_rate field");
    else if (info->sample_rate != SP_SAMPLE_RATE)
        sp_diag_add(d, path, 0, "sample rate %ld Hz, expected %d", info->sample_rate, SP_SAMPLE_RATE);
    if (info->channel_count > 1)
        sp_diag_add(d, path, 0, "%ld channels, expected mono", info->channel_count);
    if (info->sample_n_bytes >= 0 && info->sample_n_bytes != 2)
        sp_diag_add(d, path, 0, "%ld-byte samples, expected 16-bit", info->sample_n_bytes);
    /* TIMIT is uncompressed; "pcm,embedded-shorten-..." needs sph2pipe. */
    if (info->coding[0] && strcmp(info->coding, "pcm") != 0 && strcmp(info->coding, "linear") != 0)
        sp_diag_add(d, path, 0, "sample coding '%s', expected uncompressed pcm", info->coding);
    if (d->n > before) return -1;

    return check_sample_count(path, info, d);
}

int sp_sphere_write(const char *path, const int16_t *samples, long n, long rate,
                    const char *utterance_id, sp_error *err)
{
    int smin = 0, smax = 0;
    for (long i = 0; i < n; i++) {
        if (samples[i] < smin) smin = samples[i];
        if (samples[i] > smax) smax = samples[i];
    }
    char hdr[1024];
    memset(hdr, ' ', sizeof hdr);
    int len = 0;
    len += snprintf(hdr + len, sizeof hdr - (size_t)len, "NIST_1A\n   1024\n");
    if (utterance_id)
        len += snprintf(hdr + len, sizeof hdr - (size_t)len, "utterance_id -s%zu %s\n", strlen(utterance_id), utterance_id);
    len += snprintf(hdr + len, sizeof hdr - (size_t)len,
                    "channel_count -i 1\nsample_count -i %ld\nsample_rate -i %ld\n"
                    "sample_min -i %d\nsample_max -i %d\nsample_n_bytes -i 2\n"
                    "sample_byte_format -s2 01\nsample_sig_bits -i 16\nend_head\n",
                    n, rate, smin, smax);
    if (len >= (int)sizeof hdr) return sp_fail(err, "SPHERE header for '%s' does not fit in 1024 bytes", path);
    hdr[len] = ' ';
    sp_atomic_file af;
    if (sp_atomic_open(&af, path, err) != 0) return -1;
    fwrite(hdr, 1, sizeof hdr, af.f);
    /* Little endian, as sample_byte_format 01 says, whatever the host. */
    unsigned char buf[4096];
    long i = 0;
    while (i < n) {
        size_t k = 0;
        for (; k + 1 < sizeof buf && i < n; i++) {
            uint16_t u = (uint16_t)samples[i];
            buf[k++] = (unsigned char)(u & 0xff);
            buf[k++] = (unsigned char)(u >> 8);
        }
        fwrite(buf, 1, k, af.f);
    }
    return sp_atomic_commit(&af, err);
}

int sp_audio_read_pcm16(const char *path, int16_t **samples, long *n, sp_diag *d)
{
    *samples = NULL;
    *n = 0;
    /* Anything starting "NIST" is meant to be SPHERE: parse its header
     * ourselves so a broken one is reported with its line. */
    char magic[5] = { 0 };
    FILE *mf = fopen(path, "rb");
    if (mf) {
        if (fread(magic, 1, 4, mf) != 4) magic[0] = '\0';
        fclose(mf);
    }
    long declared = -1; /* SPHERE's sample_count: samples after it are not audio */
    if (strcmp(magic, "NIST") == 0) {
        sp_sphere_info info;
        if (sp_sphere_read_header(path, &info, d) != 0) return -1;
        declared = info.sample_count;
    }
    SF_INFO si;
    memset(&si, 0, sizeof si);
    SNDFILE *sf = sf_open(path, SFM_READ, &si);
    if (!sf) {
        sp_diag_add(d, path, 0, "cannot read audio: %s", sf_strerror(NULL));
        return -1;
    }
    size_t before = d->n;
    if (si.samplerate != SP_SAMPLE_RATE)
        sp_diag_add(d, path, 0, "sample rate %d Hz, expected %d", si.samplerate, SP_SAMPLE_RATE);
    if (si.channels != 1) sp_diag_add(d, path, 0, "%d channels, expected mono", si.channels);
    if ((si.format & SF_FORMAT_SUBMASK) != SF_FORMAT_PCM_16)
        sp_diag_add(d, path, 0, "samples are not 16-bit PCM");
    if (d->n > before) {
        sf_close(sf);
        return -1;
    }
    if (declared >= 0 && declared < si.frames) si.frames = declared;
    int16_t *buf = sp_xmalloc((size_t)(si.frames > 0 ? si.frames : 1) * sizeof *buf);
    sf_count_t got = sf_readf_short(sf, buf, si.frames);
    sf_close(sf);
    if (got != si.frames) {
        sp_diag_add(d, path, 0, "truncated audio: read %ld of %ld samples", (long)got, (long)si.frames);
        free(buf);
        return -1;
    }
    *samples = buf;
    *n = (long)got;
    return 0;
}
