/* host.c - see host.h. */
#include "config.h"
#include "ladspa/host.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

enum { MAX_PLUGINS = 100000 };

/* ---------------------------------------------------------------------- */
/* libraries */

struct sp_ladspa_lib {
    void *dl;
    char *path;
    const LADSPA_Descriptor **desc;
    unsigned long n;
};

const char *sp_ladspa_path(int *is_default)
{
    const char *p = getenv("LADSPA_PATH");
    int def = !p || !*p;
    if (is_default) *is_default = def;
    return def ? SP_LADSPA_DEFAULT_PATH : p;
}

static int is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int sp_ladspa_find(const char *name, char *path, size_t n, sp_error *err)
{
    if (!name || !*name) return sp_fail(err, "no LADSPA library named (plugin = FILE)");
    if (strchr(name, '/')) {
        if (!is_file(name)) return sp_fail(err, "LADSPA library '%s': no such file", name);
        snprintf(path, n, "%s", name);
        return 0;
    }
    int def;
    const char *dirs = sp_ladspa_path(&def);
    const char *d = dirs;
    while (*d) {
        size_t len = strcspn(d, ":");
        static const char *const suffix[] = { "", ".so" };
        for (int s = 0; s < 2 && len > 0; s++) {
            snprintf(path, n, "%.*s/%s%s", (int)len, d, name, suffix[s]);
            if (is_file(path)) return 0;
        }
        d += len + (d[len] == ':');
    }
    return sp_fail(err, "LADSPA library '%s' not found in %s%s", name, dirs,
                   def ? " (LADSPA_PATH is unset: the default path)" : " (LADSPA_PATH)");
}

/* A descriptor the host can rely on: names, a label, sane port kinds. */
static int check_descriptor(const LADSPA_Descriptor *d, const char *path, unsigned long i, sp_error *err)
{
    if (!d->Label || !*d->Label || !d->Name || !d->instantiate || !d->connect_port || !d->run)
        return sp_fail(err, "%s: plugin %lu has no label, name, instantiate, connect_port or run", path, i);
    if (d->PortCount && (!d->PortDescriptors || !d->PortNames || !d->PortRangeHints))
        return sp_fail(err, "%s: plugin '%s' lists %lu ports without their descriptors, names or hints", path,
                       d->Label, d->PortCount);
    for (unsigned long p = 0; p < d->PortCount; p++) {
        LADSPA_PortDescriptor k = d->PortDescriptors[p];
        if (!d->PortNames[p])
            return sp_fail(err, "%s: plugin '%s' port %lu has no name", path, d->Label, p);
        if (LADSPA_IS_PORT_INPUT(k) == LADSPA_IS_PORT_OUTPUT(k) ||
            LADSPA_IS_PORT_AUDIO(k) == LADSPA_IS_PORT_CONTROL(k))
            return sp_fail(err, "%s: plugin '%s' port '%s' is not exactly one of input/output and audio/control",
                           path, d->Label, d->PortNames[p]);
    }
    return 0;
}

sp_ladspa_lib *sp_ladspa_open(const char *path, sp_error *err)
{
    dlerror();
    void *dl = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!dl) {
        const char *why = dlerror();
        sp_fail(err, "cannot load LADSPA library '%s': %s", path, why ? why : "dlopen failed");
        return NULL;
    }
    LADSPA_Descriptor_Function f;
    *(void **)&f = dlsym(dl, "ladspa_descriptor");
    if (!f) {
        sp_fail(err, "'%s' is not a LADSPA plugin library (it exports no ladspa_descriptor)", path);
        dlclose(dl);
        return NULL;
    }
    sp_ladspa_lib *lib = calloc(1, sizeof *lib);
    if (!lib || !(lib->path = strdup(path))) goto oom;
    lib->dl = dl;
    for (unsigned long i = 0; i < MAX_PLUGINS && f(i); i++) {
        const LADSPA_Descriptor *d = f(i);
        if (check_descriptor(d, path, i, err) != 0) goto fail;
        const LADSPA_Descriptor **v = realloc(lib->desc, (i + 1) * sizeof *v);
        if (!v) goto oom;
        lib->desc = v;
        lib->desc[lib->n++] = d;
    }
    if (lib->n == 0) {
        sp_fail(err, "LADSPA library '%s' describes no plugin", path);
        goto fail;
    }
    return lib;
oom:
    sp_fail(err, "out of memory loading '%s'", path);
fail:
    if (lib) {
        free(lib->desc);
        free(lib->path);
        free(lib);
    }
    dlclose(dl);
    return NULL;
}

void sp_ladspa_close(sp_ladspa_lib *lib)
{
    if (!lib) return;
    dlclose(lib->dl);
    free(lib->desc);
    free(lib->path);
    free(lib);
}

const char *sp_ladspa_lib_path(const sp_ladspa_lib *lib) { return lib->path; }
unsigned long sp_ladspa_count(const sp_ladspa_lib *lib) { return lib->n; }

const LADSPA_Descriptor *sp_ladspa_get(const sp_ladspa_lib *lib, unsigned long i)
{
    return i < lib->n ? lib->desc[i] : NULL;
}

/* "amp, lpf, gsm" into out[n]. */
static void list_labels(const sp_ladspa_lib *lib, char *out, size_t n)
{
    size_t len = 0;
    out[0] = '\0';
    for (unsigned long i = 0; i < lib->n && len + 1 < n; i++) {
        int w = snprintf(out + len, n - len, "%s%s (%lu)", i ? ", " : "", lib->desc[i]->Label,
                         lib->desc[i]->UniqueID);
        if (w < 0) break;
        len += (size_t)w;
    }
}

const LADSPA_Descriptor *sp_ladspa_pick(const sp_ladspa_lib *lib, const char *label, unsigned long id,
                                        sp_error *err)
{
    char labels[1024];
    list_labels(lib, labels, sizeof labels);
    if (label && *label) {
        for (unsigned long i = 0; i < lib->n; i++)
            if (strcmp(lib->desc[i]->Label, label) == 0) return lib->desc[i];
        sp_fail(err, "LADSPA library '%s' has no plugin labelled '%s'; it has: %s", lib->path, label, labels);
        return NULL;
    }
    if (id) {
        for (unsigned long i = 0; i < lib->n; i++)
            if (lib->desc[i]->UniqueID == id) return lib->desc[i];
        sp_fail(err, "LADSPA library '%s' has no plugin with id %lu; it has: %s", lib->path, id, labels);
        return NULL;
    }
    if (lib->n == 1) return lib->desc[0];
    sp_fail(err, "LADSPA library '%s' has %lu plugins: say which (label or id): %s", lib->path, lib->n, labels);
    return NULL;
}

/* ---------------------------------------------------------------------- */
/* ports */

/* The value a fraction t of the way from lo to hi, geometrically when log. */
static float between(float lo, float hi, double t, int geometric)
{
    if (geometric && lo > 0 && hi > 0) return (float)exp((1 - t) * log(lo) + t * log(hi));
    return (float)((1 - t) * lo + t * hi);
}

static float hinted_default(LADSPA_PortRangeHintDescriptor h, const sp_ladspa_range *r, int *has)
{
    int geo = LADSPA_IS_HINT_LOGARITHMIC(h) != 0;
    *has = 1;
    switch (h & LADSPA_HINT_DEFAULT_MASK) {
    case LADSPA_HINT_DEFAULT_MINIMUM: return r->lo;
    case LADSPA_HINT_DEFAULT_LOW: return between(r->lo, r->hi, 0.25, geo);
    case LADSPA_HINT_DEFAULT_MIDDLE: return between(r->lo, r->hi, 0.5, geo);
    case LADSPA_HINT_DEFAULT_HIGH: return between(r->lo, r->hi, 0.75, geo);
    case LADSPA_HINT_DEFAULT_MAXIMUM: return r->hi;
    case LADSPA_HINT_DEFAULT_0: return 0;
    case LADSPA_HINT_DEFAULT_1: return 1;
    case LADSPA_HINT_DEFAULT_100: return 100;
    case LADSPA_HINT_DEFAULT_440: return 440;
    }
    *has = 0;
    return r->has_lo ? r->lo : 0;
}

sp_ladspa_range sp_ladspa_port_range(const LADSPA_Descriptor *d, unsigned long p, double rate)
{
    LADSPA_PortRangeHintDescriptor h = d->PortRangeHints[p].HintDescriptor;
    sp_ladspa_range r = { 0 };
    double scale = LADSPA_IS_HINT_SAMPLE_RATE(h) ? rate : 1;
    r.sample_rate = LADSPA_IS_HINT_SAMPLE_RATE(h) != 0;
    r.integer = LADSPA_IS_HINT_INTEGER(h) != 0;
    r.toggled = LADSPA_IS_HINT_TOGGLED(h) != 0;
    r.logarithmic = LADSPA_IS_HINT_LOGARITHMIC(h) != 0;
    r.has_lo = LADSPA_IS_HINT_BOUNDED_BELOW(h) != 0;
    r.has_hi = LADSPA_IS_HINT_BOUNDED_ABOVE(h) != 0;
    if (r.has_lo) r.lo = (float)(d->PortRangeHints[p].LowerBound * scale);
    if (r.has_hi) r.hi = (float)(d->PortRangeHints[p].UpperBound * scale);
    if (r.toggled) r.has_lo = r.has_hi = 1, r.lo = 0, r.hi = 1;
    float v = hinted_default(h, &r, &r.has_default);
    if (r.has_hi && v > r.hi) v = r.hi;
    if (r.has_lo && v < r.lo) v = r.lo;
    if (r.integer) v = roundf(v);
    r.def = v;
    return r;
}

void sp_ladspa_range_text(const sp_ladspa_range *r, char *out, size_t n)
{
    char lo[32] = "-inf", hi[32] = "inf";
    if (r->has_lo) snprintf(lo, sizeof lo, "%g", r->lo);
    if (r->has_hi) snprintf(hi, sizeof hi, "%g", r->hi);
    if (r->toggled)
        snprintf(out, n, "toggled, default %g", r->def);
    else
        snprintf(out, n, "%s to %s%s, %s %g%s%s", lo, hi, r->sample_rate ? " (bounds x the sample rate)" : "",
                 r->has_default ? "default" : "no default hint, using", r->def, r->integer ? ", integer" : "",
                 r->logarithmic ? ", logarithmic" : "");
}

/* name without a trailing " (unit)" or " [unit]": its length. */
static size_t bare_length(const char *name)
{
    size_t n = strlen(name);
    if (n > 2 && (name[n - 1] == ')' || name[n - 1] == ']')) {
        char open = name[n - 1] == ')' ? '(' : '[';
        const char *o = strrchr(name, open);
        if (o && o > name) {
            while (o > name && o[-1] == ' ') o--;
            return (size_t)(o - name);
        }
    }
    return n;
}

long sp_ladspa_port_named(const LADSPA_Descriptor *d, const char *name, int kind)
{
    long hit = -1;
    int hits = 0;
    for (int pass = 0; pass < 3 && hits == 0; pass++)
        for (unsigned long p = 0; p < d->PortCount; p++) {
            if ((d->PortDescriptors[p] & kind) != kind) continue;
            const char *pn = d->PortNames[p];
            int same = pass == 0   ? strcmp(pn, name) == 0
                       : pass == 1 ? strcasecmp(pn, name) == 0
                                   : strlen(name) == bare_length(pn) && strncasecmp(pn, name, strlen(name)) == 0;
            if (same) hit = (long)p, hits++;
            if (same && pass == 0) return hit;
        }
    return hits == 1 ? hit : -1;
}
