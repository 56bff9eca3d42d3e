/* sincprobe.c - the sincprobe LADSPA library (installed as
 * $(libdir)/ladspa/sincprobe.so): each exported filterbank
 * (`sincprobe export-ladspa`, src/ladspa/fbfile.h) as two plugins.
 *
 *   NAME_bank    UniqueID from the file's ids (the first): the whole bank as
 *                one filter, the normalised sum (src/ladspa/fbdesign.h: each
 *                filter scaled to unit peak gain, then averaged; its
 *                magnitude response is the peak-normalised AFR in the
 *                pass-bands). Ports: 0 input, 1 output (audio), 2 latency
 *                (control out).
 *   NAME_filter  the second ID: one filter, chosen by port 2 `filter`
 *                (control in, integer 0 .. C-1, default 0), scaled to unit
 *                peak gain. Ports: 0 input, 1 output (audio), 2 filter,
 *                3 `centre (Hz)` and 4 `bandwidth (Hz)` (control out: the
 *                chosen filter's band, (f1 + f2) / 2 and f2 - f1), 5 latency.
 * Every control port has a default hint, so a host that fills controls
 * positionally with defaults (sox without -l) accepts both plugins.
 * `latency` is the delay in samples a host should compensate
 * (src/ladspa/fir.h): (K-1)/2, plus the block on the FFT path; sox -l and
 * Ardour read a control output of that name.
 *
 * Loading: the files of the search path (src/ladspa/fbdir.h), read once,
 * when a host first asks for a descriptor; unreadable, invalid or
 * clashing files are skipped, silently (the library never prints).
 *
 * Sample rates: at the file's sample_rate the exported taps are used as
 * they are. At another rate a sinc bank is redesigned from its cut-offs
 * (same formula and window, same duration in taps, f2 clipped to the
 * host's Nyquist frequency; a filter whose f1 is at or above it is
 * silent and reports bandwidth 0); a conv bank cannot be (its kernels are
 * learned at one rate), so instantiate returns NULL, which sox reports as
 * "could not instantiate plugin": resample to the model's rate first.
 *
 * Real time: instantiate allocates everything and plans the FFTs; run()
 * allocates nothing, takes no lock (LADSPA_PROPERTY_HARD_RT_CAPABLE) and
 * handles input and output in the same buffer. The environment variable
 * SINCPROBE_LADSPA_CONV=direct|fft, read at instantiate, forces a
 * convolution path (tests and benchmarks; default by tap count). */
#include "ladspa/fbdesign.h"
#include "ladspa/fbdir.h"
#include "ladspa/fbfile.h"
#include "ladspa/fir.h"

#include <ladspa.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

enum { P_IN, P_OUT, P_BANK_LATENCY, P_BANK_N = 3 };
enum { P_FILTER = 2, P_CENTRE, P_BAND, P_FILTER_LATENCY, P_FILTER_N };

typedef struct {
    sp_fbfile fb;
    char label[2][SP_FB_LABEL_MAX];
    char name[2][SP_FB_NAME_MAX + 96];
    LADSPA_PortRangeHint hints[P_FILTER_N]; /* the filter plugin's (the bank's are static) */
    LADSPA_Descriptor d[2];                  /* bank, filter */
} model;

static model *models;
static int nmodels;
static pthread_once_t loaded = PTHREAD_ONCE_INIT;

static const LADSPA_PortDescriptor bank_ports[P_BANK_N] = {
    LADSPA_PORT_INPUT | LADSPA_PORT_AUDIO,
    LADSPA_PORT_OUTPUT | LADSPA_PORT_AUDIO,
    LADSPA_PORT_OUTPUT | LADSPA_PORT_CONTROL,
};
static const char *const bank_names[P_BANK_N] = { "input", "output", "latency" };
static const LADSPA_PortRangeHint bank_hints[P_BANK_N] = {
    { 0, 0, 0 },
    { 0, 0, 0 },
    { LADSPA_HINT_INTEGER | LADSPA_HINT_DEFAULT_0, 0, 0 },
};
static const LADSPA_PortDescriptor filter_ports[P_FILTER_N] = {
    LADSPA_PORT_INPUT | LADSPA_PORT_AUDIO,     LADSPA_PORT_OUTPUT | LADSPA_PORT_AUDIO,
    LADSPA_PORT_INPUT | LADSPA_PORT_CONTROL,   LADSPA_PORT_OUTPUT | LADSPA_PORT_CONTROL,
    LADSPA_PORT_OUTPUT | LADSPA_PORT_CONTROL,  LADSPA_PORT_OUTPUT | LADSPA_PORT_CONTROL,
};
static const char *const filter_names[P_FILTER_N] = { "input",       "output",         "filter",
                                                      "centre (Hz)", "bandwidth (Hz)", "latency" };

// ----------------------------------------------------------------------------
// instances

typedef struct {
    const model *m;
    int bank;       /* 1: NAME_bank, 0: NAME_filter */
    sp_fir *fir;
    int C, K;       /* at the host's rate */
    float *taps;    /* filter plugin: [C][K], each at unit peak gain (or all 0) */
    float *centre, *band; /* [C] in Hz */
    int current;    /* the filter in the FIR, -1 before the first run */
    LADSPA_Data *port[P_FILTER_N];
} instance;

static void cleanup(LADSPA_Handle h)
{
    instance *in = h;
    sp_fir_free(in->fir);
    free(in->taps);
    free(in->centre);
    free(in);
}

static sp_fir_path conv_path(void)
{
    const char *e = getenv("SINCPROBE_LADSPA_CONV");
    if (e && strcmp(e, "direct") == 0) return SP_FIR_DIRECT;
    if (e && strcmp(e, "fft") == 0) return SP_FIR_FFT;
    return SP_FIR_AUTO;
}

/* The bank's filters at rate fs into taps [C][K] (malloc'd), peak [C],
 * and each one's band: the file's at its own rate, else the sinc filters
 * redesigned (the file's header comment). -1 when impossible or out of
 * memory. */
static int design(const sp_fbfile *fb, double fs, float **taps, int *K, float *peak, float *f1, float *f2)
{
    int C = fb->C;
    if (fs == (double)fb->sample_rate) {
        *K = fb->K;
        if (!(*taps = malloc(sizeof(float) * (size_t)C * fb->K))) return -1;
        memcpy(*taps, fb->taps, sizeof(float) * (size_t)C * fb->K);
        memcpy(peak, fb->peak, sizeof(float) * (size_t)C);
        memcpy(f1, fb->f1, sizeof(float) * (size_t)C);
        memcpy(f2, fb->f2, sizeof(float) * (size_t)C);
        return 0;
    }
    if (fb->kind != SP_FB_SINC) return -1;
    int k = *K = sp_fbd_redesign_taps(fb->K, (double)fb->sample_rate, fs);
    if (!(*taps = calloc((size_t)C * k, sizeof(float)))) return -1;
    for (int c = 0; c < C; c++) {
        f1[c] = fb->f1[c];
        f2[c] = fb->f2[c] < fs / 2 ? fb->f2[c] : (float)(fs / 2);
        if (f1[c] >= f2[c]) f2[c] = f1[c]; /* above the host's Nyquist: silent */
        else sp_fbd_sinc(*taps + (size_t)c * k, k, fs, f1[c], f2[c]);
    }
    if (sp_fbd_response(*taps, C, k, fs, peak, NULL, NULL, NULL) != 0) return -1;
    for (int c = 0; c < C; c++)
        if (f1[c] >= f2[c]) peak[c] = 0;
    return 0;
}

/* Finish an instance from its filters: the bank's sum into the FIR, or
 * the unit-peak filters kept for run() to choose from. */
static int setup(instance *in, float *taps, const float *peak, const float *f1, const float *f2)
{
    int C = in->C, K = in->K;
    if (in->bank) {
        float *b = malloc(sizeof(float) * (size_t)K);
        if (!b) return -1;
        sp_fbd_bank(b, taps, peak, C, K);
        sp_fir_set_taps(in->fir, b);
        free(b);
        return 0;
    }
    for (int c = 0; c < C; c++) {
        float *h = taps + (size_t)c * K;
        float s = peak[c] > 0 ? 1.0f / peak[c] : 0.0f;
        for (int k = 0; k < K; k++) h[k] *= s;
        in->centre[c] = 0.5f * (f1[c] + f2[c]);
        in->band[c] = f2[c] - f1[c];
    }
    in->taps = taps; /* kept */
    return 0;
}

static LADSPA_Handle instantiate(const LADSPA_Descriptor *d, unsigned long rate)
{
    const model *m = d->ImplementationData;
    const sp_fbfile *fb = &m->fb;
    instance *in = calloc(1, sizeof *in);
    float *sum = calloc(3 * (size_t)fb->C, sizeof(float)); /* peak, f1, f2 */
    float *taps = NULL;
    if (!in || !sum) goto fail;
    in->m = m;
    in->bank = d == &m->d[0];
    in->C = fb->C;
    in->current = -1;
    float *peak = sum, *f1 = sum + fb->C, *f2 = sum + 2 * (size_t)fb->C;
    if (rate == 0 || design(fb, (double)rate, &taps, &in->K, peak, f1, f2) != 0) goto fail;
    if (!(in->fir = sp_fir_new(in->K, conv_path(), NULL))) goto fail;
    if (!in->bank && !(in->centre = malloc(2 * sizeof(float) * (size_t)fb->C))) goto fail;
    in->band = in->centre ? in->centre + fb->C : NULL;
    if (setup(in, taps, peak, f1, f2) != 0) goto fail;
    if (in->bank) free(taps);
    free(sum);
    return in;
fail:
    free(taps);
    free(sum);
    if (in) {
        in->taps = NULL;
        cleanup(in);
    }
    return NULL;
}

static void connect_port(LADSPA_Handle h, unsigned long port, LADSPA_Data *where)
{
    instance *in = h;
    if (port < P_FILTER_N) in->port[port] = where;
}

static void activate(LADSPA_Handle h)
{
    sp_fir_reset(((instance *)h)->fir);
}

static void put(LADSPA_Data *port, float v)
{
    if (port) *port = v;
}

/* The filter index the `filter` port asks for: rounded, within 0 .. C-1. */
static int chosen(const instance *in)
{
    float v = in->port[P_FILTER] ? *in->port[P_FILTER] : 0.0f;
    if (!(v >= 0)) return 0; /* also NaN */
    if (v > in->C - 1) return in->C - 1;
    return (int)lrintf(v);
}

static void run(LADSPA_Handle h, unsigned long n)
{
    instance *in = h;
    if (in->bank) {
        put(in->port[P_BANK_LATENCY], (float)sp_fir_latency(in->fir));
    } else {
        int c = chosen(in);
        if (c != in->current) {
            sp_fir_set_taps(in->fir, in->taps + (size_t)c * in->K);
            in->current = c;
        }
        put(in->port[P_CENTRE], in->centre[c]);
        put(in->port[P_BAND], in->band[c]);
        put(in->port[P_FILTER_LATENCY], (float)sp_fir_latency(in->fir));
    }
    if (n && in->port[P_IN] && in->port[P_OUT]) sp_fir_run(in->fir, in->port[P_IN], in->port[P_OUT], n);
}

// ----------------------------------------------------------------------------
// descriptors

static void describe(model *m)
{
    const sp_fbfile *fb = &m->fb;
    const char *kind = fb->kind == SP_FB_SINC ? "sinc" : "conv";
    sp_fb_label_bank(m->label[0], fb->name);
    sp_fb_label_filter(m->label[1], fb->name);
    snprintf(m->name[0], sizeof m->name[0], "sincprobe %s: filterbank, normalised sum of %d %s filters", fb->name,
             fb->C, kind);
    snprintf(m->name[1], sizeof m->name[1], "sincprobe %s: one of %d %s filters", fb->name, fb->C, kind);
    memcpy(m->hints, bank_hints, 2 * sizeof *m->hints);
    m->hints[P_FILTER] = (LADSPA_PortRangeHint){ LADSPA_HINT_BOUNDED_BELOW | LADSPA_HINT_BOUNDED_ABOVE |
                                                     LADSPA_HINT_INTEGER | LADSPA_HINT_DEFAULT_MINIMUM,
                                                 0.0f, (float)(fb->C - 1) };
    for (int p = P_CENTRE; p < P_FILTER_N; p++) m->hints[p] = (LADSPA_PortRangeHint){ LADSPA_HINT_DEFAULT_0, 0, 0 };
    m->hints[P_FILTER_LATENCY].HintDescriptor |= LADSPA_HINT_INTEGER;
    for (int i = 0; i < 2; i++) {
        LADSPA_Descriptor *d = &m->d[i];
        d->UniqueID = i == 0 ? fb->id_bank : fb->id_filter;
        d->Label = m->label[i];
        d->Properties = LADSPA_PROPERTY_HARD_RT_CAPABLE;
        d->Name = m->name[i];
        d->Maker = "sincprobe export-ladspa";
        d->Copyright = "None";
        d->PortCount = i == 0 ? P_BANK_N : P_FILTER_N;
        d->PortDescriptors = i == 0 ? bank_ports : filter_ports;
        d->PortNames = i == 0 ? bank_names : filter_names;
        d->PortRangeHints = i == 0 ? bank_hints : m->hints;
        d->ImplementationData = m;
        d->instantiate = instantiate;
        d->connect_port = connect_port;
        d->activate = activate;
        d->run = run;
        d->cleanup = cleanup;
    }
}

static void load(void)
{
    char **dirs;
    int ndirs;
    sp_fb_catalog cat;
    if (sp_fb_search_path(&dirs, &ndirs, NULL) != 0) return;
    int rc = sp_fb_catalog_load(&cat, dirs, ndirs, NULL);
    sp_fb_dirs_free(dirs, ndirs);
    if (rc != 0) return;
    int n = 0;
    for (int i = 0; i < cat.n; i++) n += cat.e[i].loaded;
    if (n && (models = calloc((size_t)n, sizeof *models))) {
        for (int i = 0; i < cat.n; i++) {
            if (!cat.e[i].loaded) continue;
            model *m = &models[nmodels++];
            m->fb = cat.e[i].fb; /* moved: the catalog no longer owns it */
            memset(&cat.e[i].fb, 0, sizeof cat.e[i].fb);
            describe(m);
        }
    }
    sp_fb_catalog_free(&cat);
}

__attribute__((destructor)) static void unload(void)
{
    for (int i = 0; i < nmodels; i++) sp_fbfile_free(&models[i].fb);
    free(models);
    models = NULL;
    nmodels = 0;
}

__attribute__((visibility("default"))) const LADSPA_Descriptor *ladspa_descriptor(unsigned long index)
{
    pthread_once(&loaded, load);
    if (index >= 2 * (unsigned long)nmodels) return NULL;
    return &models[index / 2].d[index % 2];
}
