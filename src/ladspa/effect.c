/* effect.c - one instance of a LADSPA plugin with its ports mapped for
 * mono audio, its controls set and checked, run over a signal with its
 * latency compensated (host.h: sp_ladspa_fx_*). */
#include "config.h"
#include "ladspa/host.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__SSE__) || defined(__x86_64__)
#include <xmmintrin.h>
#define SP_HAVE_MXCSR 1
#endif

enum { DEFAULT_BLOCK = 1024, MAX_LATENCY_S = 10 };

struct sp_ladspa_fx {
    const LADSPA_Descriptor *d;
    LADSPA_Handle h;
    double rate;
    unsigned long block;
    long in_port;      /* the one audio input fed, or -1: all of them */
    long out_port;     /* the audio output taken */
    long latency_port; /* control output "latency", or -1 */
    float *value;      /* [PortCount] control values, inputs and outputs */
    int *given;        /* [PortCount] set from the controls text */
    float *in, *zeros; /* [block] the signal's block, silence */
    float **out;       /* [PortCount] a buffer per audio output, else NULL */
    int used;          /* fx->h has processed a signal: the next gets a new instance */
    float *acc;        /* the output before the latency is dropped */
    size_t acc_cap;
};

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) s[--n] = '\0';
    return s;
}

/* "'lpf' (/usr/lib/ladspa/cmt.so)" style name of the plugin, for errors. */
static const char *who(const sp_ladspa_fx *fx, char *buf, size_t n)
{
    snprintf(buf, n, "plugin '%s'", fx->d->Label);
    return buf;
}

/* The control inputs' names, "'Gain (dB)', 'Cutoff'", into out[n]. */
static void control_names(const LADSPA_Descriptor *d, char *out, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (unsigned long p = 0; p < d->PortCount && len + 1 < n; p++) {
        LADSPA_PortDescriptor k = d->PortDescriptors[p];
        if (!LADSPA_IS_PORT_CONTROL(k) || !LADSPA_IS_PORT_INPUT(k)) continue;
        int w = snprintf(out + len, n - len, "%s'%s'", len ? ", " : "", d->PortNames[p]);
        if (w < 0) break;
        len += (size_t)w;
    }
    if (!len) snprintf(out, n, "none");
}

/* Check v against port p's hints at the instance's rate. */
static int check_value(const sp_ladspa_fx *fx, unsigned long p, double v, sp_error *err)
{
    char w[256], range[160], lo[32] = "-inf", hi[32] = "inf";
    sp_ladspa_range r = sp_ladspa_port_range(fx->d, p, fx->rate);
    if (r.has_lo) snprintf(lo, sizeof lo, "%g", r.lo);
    if (r.has_hi) snprintf(hi, sizeof hi, "%g", r.hi);
    snprintf(range, sizeof range, "%s to %s", lo, hi);
    const char *name = fx->d->PortNames[p];
    double tol = 1e-6 * fmax(1.0, fmax(fabs(r.lo), fabs(r.hi)));
    if (r.toggled && v != 0 && v != 1)
        return sp_fail(err, "%s: control '%s' is a toggle: 0 or 1, not %g", who(fx, w, sizeof w), name, v);
    if (r.integer && v != floor(v))
        return sp_fail(err, "%s: control '%s' takes whole numbers, not %g (%s)", who(fx, w, sizeof w), name, v,
                       range);
    if ((r.has_lo && v < r.lo - tol) || (r.has_hi && v > r.hi + tol))
        return sp_fail(err, "%s: control '%s' = %g is out of its range %s%s", who(fx, w, sizeof w), name, v, range,
                       r.sample_rate ? " (its bounds times the sample rate)" : "");
    return 0;
}

/* One "name=value" item of the controls text. */
static int set_control(sp_ladspa_fx *fx, char *item, sp_error *err)
{
    char w[256], names[1024];
    char *eq = strrchr(item, '=');
    if (!eq) return sp_fail(err, "%s: controls: '%s' is not name=value", who(fx, w, sizeof w), trim(item));
    *eq = '\0';
    char *name = trim(item), *text = trim(eq + 1), *end;
    long p = sp_ladspa_port_named(fx->d, name, LADSPA_PORT_INPUT | LADSPA_PORT_CONTROL);
    if (p < 0) {
        control_names(fx->d, names, sizeof names);
        return sp_fail(err, "%s has no control input '%s'; its control inputs: %s", who(fx, w, sizeof w), name, names);
    }
    errno = 0;
    double v = strtod(text, &end);
    if (!*text || *end || errno || !isfinite(v))
        return sp_fail(err, "%s: control '%s': '%s' is not a number", who(fx, w, sizeof w), fx->d->PortNames[p], text);
    if (fx->given[p])
        return sp_fail(err, "%s: control '%s' is given twice", who(fx, w, sizeof w), fx->d->PortNames[p]);
    if (check_value(fx, (unsigned long)p, v, err) != 0) return -1;
    fx->value[p] = (float)v;
    fx->given[p] = 1;
    return 0;
}

static int set_controls(sp_ladspa_fx *fx, const char *text, sp_error *err)
{
    for (unsigned long p = 0; p < fx->d->PortCount; p++)
        if (LADSPA_IS_PORT_CONTROL(fx->d->PortDescriptors[p]))
            fx->value[p] = sp_ladspa_port_range(fx->d, p, fx->rate).def;
    if (!text) return 0;
    char *copy = strdup(text);
    if (!copy) return sp_fail(err, "out of memory");
    int rc = 0;
    for (char *save = NULL, *item = strtok_r(copy, ",;", &save); item && rc == 0; item = strtok_r(NULL, ",;", &save))
        if (*trim(item)) rc = set_control(fx, item, err);
    free(copy);
    return rc;
}

/* The audio port named name of direction dir, or the first one (name
 * NULL); -1 with err. */
static long audio_port(const sp_ladspa_fx *fx, const char *name, int dir, sp_error *err)
{
    char w[256];
    const char *what = dir == LADSPA_PORT_INPUT ? "input" : "output";
    if (name && *name) {
        long p = sp_ladspa_port_named(fx->d, name, dir | LADSPA_PORT_AUDIO);
        if (p < 0) sp_fail(err, "%s has no audio %s port '%s'", who(fx, w, sizeof w), what, name);
        return p;
    }
    for (unsigned long p = 0; p < fx->d->PortCount; p++)
        if ((fx->d->PortDescriptors[p] & (dir | LADSPA_PORT_AUDIO)) == (LADSPA_PortDescriptor)(dir | LADSPA_PORT_AUDIO))
            return (long)p;
    sp_fail(err, "%s (%s) has no audio %s port: sincprobe needs one audio input and one audio output",
            who(fx, w, sizeof w), fx->d->Name, what);
    return -1;
}

/* The buffers: the signal's block, silence, one per audio output. */
static int alloc_buffers(sp_ladspa_fx *fx, sp_error *err)
{
    const LADSPA_Descriptor *d = fx->d;
    fx->in = calloc(fx->block, sizeof *fx->in);
    fx->zeros = calloc(fx->block, sizeof *fx->zeros);
    if (!fx->in || !fx->zeros) return sp_fail(err, "out of memory");
    for (unsigned long p = 0; p < d->PortCount; p++)
        if (LADSPA_IS_PORT_AUDIO(d->PortDescriptors[p]) && LADSPA_IS_PORT_OUTPUT(d->PortDescriptors[p]) &&
            !(fx->out[p] = calloc(fx->block, sizeof *fx->out[p])))
            return sp_fail(err, "out of memory");
    return 0;
}

/* A new instance in fx->h with every port connected. */
static int instantiate(sp_ladspa_fx *fx, sp_error *err)
{
    const LADSPA_Descriptor *d = fx->d;
    if (fx->h && d->cleanup) d->cleanup(fx->h);
    fx->h = d->instantiate(d, (unsigned long)lround(fx->rate));
    if (!fx->h) return sp_fail(err, "plugin '%s' refused to be instantiated at %g Hz", d->Label, fx->rate);
    for (unsigned long p = 0; p < d->PortCount; p++) {
        LADSPA_PortDescriptor k = d->PortDescriptors[p];
        if (LADSPA_IS_PORT_CONTROL(k))
            d->connect_port(fx->h, p, &fx->value[p]);
        else if (LADSPA_IS_PORT_INPUT(k))
            d->connect_port(fx->h, p, fx->in_port < 0 || (long)p == fx->in_port ? fx->in : fx->zeros);
        else
            d->connect_port(fx->h, p, fx->out[p]);
    }
    return 0;
}

sp_ladspa_fx *sp_ladspa_fx_new(const sp_ladspa_lib *lib, const LADSPA_Descriptor *d, const sp_ladspa_setup *setup,
                               sp_error *err)
{
    (void)lib;
    sp_ladspa_fx *fx = calloc(1, sizeof *fx);
    if (!fx) return sp_fail(err, "out of memory"), NULL;
    fx->d = d;
    fx->rate = setup->rate;
    fx->block = setup->block ? setup->block : DEFAULT_BLOCK;
    fx->value = calloc(d->PortCount + 1, sizeof *fx->value);
    fx->given = calloc(d->PortCount + 1, sizeof *fx->given);
    fx->out = calloc(d->PortCount + 1, sizeof *fx->out);
    if (!fx->value || !fx->given || !fx->out) {
        sp_fail(err, "out of memory");
        goto fail;
    }
    fx->in_port = -1;
    if (setup->in_port && *setup->in_port && (fx->in_port = audio_port(fx, setup->in_port, LADSPA_PORT_INPUT, err)) < 0)
        goto fail;
    if (audio_port(fx, NULL, LADSPA_PORT_INPUT, err) < 0) goto fail;
    if ((fx->out_port = audio_port(fx, setup->out_port, LADSPA_PORT_OUTPUT, err)) < 0) goto fail;
    fx->latency_port = sp_ladspa_port_named(d, "latency", LADSPA_PORT_OUTPUT | LADSPA_PORT_CONTROL);
    if (set_controls(fx, setup->controls, err) != 0 || alloc_buffers(fx, err) != 0 || instantiate(fx, err) != 0)
        goto fail;
    return fx;
fail:
    sp_ladspa_fx_free(fx);
    return NULL;
}

void sp_ladspa_fx_free(sp_ladspa_fx *fx)
{
    if (!fx) return;
    if (fx->h && fx->d->cleanup) fx->d->cleanup(fx->h);
    if (fx->out)
        for (unsigned long p = 0; p < fx->d->PortCount; p++) free(fx->out[p]);
    free(fx->out);
    free(fx->value);
    free(fx->given);
    free(fx->in);
    free(fx->zeros);
    free(fx->acc);
    free(fx);
}

const LADSPA_Descriptor *sp_ladspa_fx_descriptor(const sp_ladspa_fx *fx) { return fx->d; }

float sp_ladspa_fx_control(const sp_ladspa_fx *fx, unsigned long port)
{
    if (port >= fx->d->PortCount || !LADSPA_IS_PORT_CONTROL(fx->d->PortDescriptors[port])) return NAN;
    return fx->value[port];
}

static int grow(sp_ladspa_fx *fx, size_t need, sp_error *err)
{
    if (need <= fx->acc_cap) return 0;
    size_t cap = fx->acc_cap ? fx->acc_cap : 4096;
    while (cap < need) cap *= 2;
    float *a = realloc(fx->acc, cap * sizeof *a);
    if (!a) return sp_fail(err, "out of memory");
    fx->acc = a, fx->acc_cap = cap;
    return 0;
}

/* Run the plugin over in[n] followed by zeros until n + L outputs are in
 * fx->acc (L read after the first block). Returns L, or -1. */
static long run_blocks(sp_ladspa_fx *fx, const float *in, long n, sp_error *err)
{
    long produced = 0, latency = -1;
    while (latency < 0 || produced < n + latency) {
        unsigned long m = fx->block;
        for (unsigned long i = 0; i < m; i++) {
            long s = produced + (long)i;
            fx->in[i] = s < n ? in[s] : 0.0f;
        }
        fx->d->run(fx->h, m);
        if (latency < 0) {
            double l = fx->latency_port >= 0 ? fx->value[fx->latency_port] : 0;
            if (!(l >= 0 && l < MAX_LATENCY_S * fx->rate))
                return sp_fail(err, "plugin '%s' reports a latency of %g samples", fx->d->Label, l);
            latency = lround(l);
        }
        if (grow(fx, (size_t)(produced + (long)m), err) != 0) return -1;
        memcpy(fx->acc + produced, fx->out[fx->out_port], m * sizeof *fx->acc);
        produced += (long)m;
    }
    return latency;
}

long sp_ladspa_fx_process(sp_ladspa_fx *fx, const float *in, float *out, long n, double mix, unsigned seed,
                          sp_error *err)
{
    if (fx->used && instantiate(fx, err) != 0) return -1;
    fx->used = 1;
#ifdef SP_HAVE_MXCSR
    unsigned csr = _mm_getcsr();
    _mm_setcsr(csr | 0x8040); /* FTZ (bit 15) and DAZ (bit 6) */
#endif
    srand(seed);
    if (fx->d->activate) fx->d->activate(fx->h);
    long latency = run_blocks(fx, in, n, err);
    if (fx->d->deactivate) fx->d->deactivate(fx->h);
#ifdef SP_HAVE_MXCSR
    _mm_setcsr(csr);
#endif
    if (latency < 0) return -1;
    for (long i = 0; i < n; i++) {
        float y = fx->acc[latency + i];
        out[i] = mix >= 1 ? y : (float)((1 - mix) * in[i] + mix * y);
    }
    return latency;
}
