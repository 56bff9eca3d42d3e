/* probe_host.c - see probe_host.h. Sections: the loader (search path,
 * loading files, checking descriptors), option values, the chain's
 * resolution, the services probes get, then running the chain. */
#include "config.h"
#include "probe/probe_host.h"
#include "base/npy.h"
#include "base/rng.h"
#include "base/util.h"

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_OPTIONS 256
#define MAX_INDEX 1024            /* descriptors per file, a guard against a probe that never says NULL */
#define DEFAULT_PROBE_FRAMES 4096
#define MAX_PROBE_FRAMES 100000000L
#define PROBE_SET_STREAM 0x70726f62655f7365ull /* "probe_se" */

_Static_assert((int)SP_PROBE_F32 == (int)SP_NPY_F32 && (int)SP_PROBE_F64 == (int)SP_NPY_F64 &&
                   (int)SP_PROBE_I32 == (int)SP_NPY_I32 && SP_PROBE_NPY_MAXRANK == SP_NPY_MAXRANK,
               "sp_probe_dtype and sp_npy_dtype agree");

/* ------------------------------------------------------------------------
 * The search path
 * ---------------------------------------------------------------------- */

static void push_dir(char ***v, size_t *n, const char *dir)
{
    for (size_t i = 0; i < *n; i++)
        if (!strcmp((*v)[i], dir)) return;
    *v = sp_xrealloc(*v, (*n + 2) * sizeof **v);
    (*v)[(*n)++] = sp_xstrdup(dir);
    (*v)[*n] = NULL;
}

char **sp_probe_path(void)
{
    char **v = sp_xcalloc(1, sizeof *v);
    size_t n = 0;
    const char *env = getenv("SINCPROBE_PLUGIN_PATH");
    if (env) {
        char *copy = sp_xstrdup(env), *save = NULL;
        for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save))
            if (*d) push_dir(&v, &n, d);
        free(copy);
    }
    push_dir(&v, &n, SP_PROBEDIR);
    /* A build tree: SRC/sincprobe or tests/X beside plugins/.libs. */
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            char *cand = sp_xasprintf("%s/../plugins/.libs", exe);
            char real[PATH_MAX];
            if (sp_is_dir(cand) && realpath(cand, real)) push_dir(&v, &n, real);
            free(cand);
        }
    }
    return v;
}

void sp_probe_path_free(char **dirs)
{
    if (!dirs) return;
    for (size_t i = 0; dirs[i]; i++) free(dirs[i]);
    free(dirs);
}

char *sp_probe_path_string(void)
{
    char **dirs = sp_probe_path();
    size_t len = 1;
    for (size_t i = 0; dirs[i]; i++) len += strlen(dirs[i]) + 1;
    char *s = sp_xmalloc(len);
    s[0] = '\0';
    for (size_t i = 0; dirs[i]; i++) {
        if (i) strcat(s, ":");
        strcat(s, dirs[i]);
    }
    sp_probe_path_free(dirs);
    return s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.so files of dir, sorted; NULL-terminated, or NULL when unreadable. */
static char **list_so(const char *dir)
{
    DIR *dh = opendir(dir);
    if (!dh) return NULL;
    char **v = NULL;
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(dh))) {
        size_t l = strlen(de->d_name);
        if (l < 4 || de->d_name[0] == '.' || strcmp(de->d_name + l - 3, ".so") != 0) continue;
        char *p = sp_path_join(dir, de->d_name);
        if (!sp_is_file(p)) {
            free(p);
            continue;
        }
        v = sp_xrealloc(v, (n + 2) * sizeof *v);
        v[n++] = p;
    }
    closedir(dh);
    if (!v) return NULL;
    v[n] = NULL;
    qsort(v, n, sizeof *v, cmp_str);
    return v;
}

static void free_list(char **v)
{
    if (!v) return;
    for (size_t i = 0; v[i]; i++) free(v[i]);
    free(v);
}

/* ------------------------------------------------------------------------
 * Loaded files and descriptor checks
 * ---------------------------------------------------------------------- */

typedef struct lib {
    char *file;
    void *handle;
    sp_probe_descriptor_fn fn;
    char *problem;            /* why it is not a probe; fn NULL then */
    struct lib *next;
} lib;

/* Load file once per catalog (remembering failures too). */
static lib *lib_open(sp_probe_catalog *cat, const char *file)
{
    for (lib *l = cat->libs; l; l = l->next)
        if (!strcmp(l->file, file)) return l;
    lib *l = sp_xcalloc(1, sizeof *l);
    l->file = sp_xstrdup(file);
    l->next = cat->libs;
    cat->libs = l;
    dlerror();
    l->handle = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (!l->handle) {
        const char *e = dlerror();
        l->problem = sp_xasprintf("'%s' cannot be loaded: %s", file, e ? e : "unknown dlopen error");
        return l;
    }
    void *sym = dlsym(l->handle, SP_PROBE_DESCRIPTOR_SYMBOL);
    if (!sym) {
        l->problem = sp_xasprintf("'%s' is not a sincprobe probe: it has no function '%s'", file,
                                  SP_PROBE_DESCRIPTOR_SYMBOL);
        dlclose(l->handle);
        l->handle = NULL;
        return l;
    }
    /* POSIX: a data pointer converts to a function pointer through memcpy. */
    memcpy(&l->fn, &sym, sizeof l->fn);
    return l;
}

static int valid_identifier(const char *s)
{
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_' || *s == '-')) return 0;
    return 1;
}

static int valid_option_name(const char *s)
{
    if (!s || !*s) return 0;
    for (; *s; s++)
        if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '_')) return 0;
    return 1;
}

static const char *type_name(sp_probe_opt_type t)
{
    switch (t) {
    case SP_PROBE_OPT_INT: return "int";
    case SP_PROBE_OPT_FLOAT: return "float";
    case SP_PROBE_OPT_STRING: return "string";
    case SP_PROBE_OPT_BOOL: return "bool";
    case SP_PROBE_OPT_ENUM: return "enum";
    }
    return "?";
}

void sp_probe_option_type(const sp_probe_option *o, char *buf, size_t n)
{
    if (o->type == SP_PROBE_OPT_ENUM) snprintf(buf, n, "enum %s", o->choices ? o->choices : "");
    else if ((o->type == SP_PROBE_OPT_INT || o->type == SP_PROBE_OPT_FLOAT) && o->min < o->max)
        snprintf(buf, n, "%s [%.15g, %.15g]", type_name(o->type), o->min, o->max);
    else snprintf(buf, n, "%s", type_name(o->type));
}

/* Parse text as a value of o: fills *v (v->text is left alone) and the
 * normalised text into norm (SP_ERRLEN); 0, or -1 with msg. */
static int parse_value(const sp_probe_option *o, const char *text, sp_probe_value *v, char *norm, char *msg)
{
    memset(v, 0, sizeof *v);
    snprintf(norm, SP_ERRLEN, "%s", text);
    char *end;
    switch (o->type) {
    case SP_PROBE_OPT_INT: {
        errno = 0;
        long long x = strtoll(text, &end, 10);
        if (errno || end == text || *end) return sp_fail(msg, "'%s' is not an integer", text);
        if (o->min < o->max && ((double)x < o->min || (double)x > o->max))
            return sp_fail(msg, "%lld is out of range [%.15g, %.15g]", x, o->min, o->max);
        v->i = x;
        v->f = (double)x;
        return 0;
    }
    case SP_PROBE_OPT_FLOAT: {
        errno = 0;
        double x = strtod(text, &end);
        if (errno || end == text || *end || !isfinite(x)) return sp_fail(msg, "'%s' is not a number", text);
        if (o->min < o->max && (x < o->min || x > o->max))
            return sp_fail(msg, "%g is out of range [%.15g, %.15g]", x, o->min, o->max);
        v->f = x;
        return 0;
    }
    case SP_PROBE_OPT_STRING:
        return 0;
    case SP_PROBE_OPT_BOOL:
        if (!strcmp(text, "yes") || !strcmp(text, "true") || !strcmp(text, "on") || !strcmp(text, "1")) v->i = 1;
        else if (!strcmp(text, "no") || !strcmp(text, "false") || !strcmp(text, "off") || !strcmp(text, "0")) v->i = 0;
        else return sp_fail(msg, "'%s' is not yes or no", text);
        snprintf(norm, SP_ERRLEN, "%s", v->i ? "yes" : "no");
        return 0;
    case SP_PROBE_OPT_ENUM: {
        size_t n = strlen(text);
        long long k = 0;
        for (const char *p = o->choices; p && *p; k++) {
            size_t m = strcspn(p, "|");
            if (m == n && !strncmp(p, text, n)) {
                v->i = k;
                return 0;
            }
            p += m + (p[m] == '|');
        }
        return sp_fail(msg, "'%s' is not one of %s", text, o->choices ? o->choices : "");
    }
    }
    return sp_fail(msg, "option type %d is unknown", (int)o->type);
}

/* A descriptor's well-formedness (past its ABI check); 0 or -1 with msg. */
static int check_descriptor(const sp_probe_descriptor *d, const char *file, char *msg)
{
    const char *id = d->identifier;
    if (!valid_identifier(id))
        return sp_fail(msg, "'%s': a probe's identifier must be [a-z0-9_-]+, got '%s'", file, id ? id : "(null)");
    if (!d->name || !d->version || !d->summary)
        return sp_fail(msg, "'%s': probe '%s' lacks a name, version or summary", file, id);
    if (d->noptions > MAX_OPTIONS || (d->noptions && !d->options))
        return sp_fail(msg, "'%s': probe '%s' declares %lu options without a table (at most %d)", file, id,
                       d->noptions, MAX_OPTIONS);
    for (unsigned long i = 0; i < d->noptions; i++) {
        const sp_probe_option *o = &d->options[i];
        if (!valid_option_name(o->name) || !strcmp(o->name, "use") || !strcmp(o->name, "probe_frames"))
            return sp_fail(msg, "'%s': probe '%s': option %lu's name '%s' is not [a-z0-9_]+ or is the host's (use, probe_frames)",
                           file, id, i + 1, o->name ? o->name : "(null)");
        for (unsigned long j = 0; j < i; j++)
            if (!strcmp(d->options[j].name, o->name))
                return sp_fail(msg, "'%s': probe '%s' declares option '%s' twice", file, id, o->name);
        if (o->type < SP_PROBE_OPT_INT || o->type > SP_PROBE_OPT_ENUM)
            return sp_fail(msg, "'%s': probe '%s': option '%s' has unknown type %d", file, id, o->name, (int)o->type);
        if (o->type == SP_PROBE_OPT_ENUM) {
            const char *c = o->choices;
            if (!c || !*c || *c == '|' || c[strlen(c) - 1] == '|' || strstr(c, "||"))
                return sp_fail(msg, "'%s': probe '%s': enum option '%s' needs choices 'a|b|...'", file, id, o->name);
        }
        if (!o->help) return sp_fail(msg, "'%s': probe '%s': option '%s' has no help", file, id, o->name);
        if (o->default_value) {
            sp_probe_value v;
            char norm[SP_ERRLEN], why[SP_ERRLEN];
            if (parse_value(o, o->default_value, &v, norm, why) != 0)
                return sp_fail(msg, "'%s': probe '%s': the default of option '%s': %s", file, id, o->name, why);
        }
    }
    return 0;
}

/* Descriptor index of a loaded file: the one called ident (or any, when
 * NULL). Returns 1 found (*out), 0 not in this file, -1 found but refused
 * (ABI, a bad descriptor); msg says why for 0 and -1. */
static int lib_descriptor(const lib *l, const char *ident, const sp_probe_descriptor **out, unsigned long *index,
                          char *msg)
{
    unsigned long i;
    char names[512] = "";
    for (i = 0; i < MAX_INDEX; i++) {
        const sp_probe_descriptor *d = l->fn(SP_PROBE_ABI_VERSION, i);
        if (!d) break;
        /* abi_version and identifier are the first two members in every ABI. */
        const char *did = d->identifier ? d->identifier : "(null)";
        if (ident && strcmp(did, ident) != 0) {
            size_t at = strlen(names);
            snprintf(names + at, sizeof names - at, "%s%s", at ? ", " : "", did);
            continue;
        }
        if (d->abi_version < SP_PROBE_ABI_MIN || d->abi_version > SP_PROBE_ABI_VERSION) {
            char accepts[64];
            if (SP_PROBE_ABI_MIN == SP_PROBE_ABI_VERSION) snprintf(accepts, sizeof accepts, "%u", SP_PROBE_ABI_VERSION);
            else snprintf(accepts, sizeof accepts, "%u to %u", SP_PROBE_ABI_MIN, SP_PROBE_ABI_VERSION);
            sp_fail(msg, "'%s': probe '%s' was built for probe ABI %u; this sincprobe accepts ABI %s "
                         "(rebuild it against this sincprobe's <sincprobe/probe.h>)",
                    l->file, did, d->abi_version, accepts);
            return -1;
        }
        if (check_descriptor(d, l->file, msg) != 0) return -1;
        *out = d;
        *index = i;
        return 1;
    }
    if (i == 0)
        sp_fail(msg, "'%s' offers no probe to a host of probe ABI %u (%s returned NULL)", l->file, SP_PROBE_ABI_VERSION,
                SP_PROBE_DESCRIPTOR_SYMBOL);
    else
        sp_fail(msg, "'%s' has no probe '%s' (it has %s)", l->file, ident ? ident : "", names);
    return 0;
}

/* ------------------------------------------------------------------------
 * Catalog: scanning and finding
 * ---------------------------------------------------------------------- */

static void add_found(sp_probe_catalog *cat, const char *file, unsigned long index, const sp_probe_descriptor *d,
                      const char *problem)
{
    cat->v = sp_xrealloc(cat->v, (cat->n + 1) * sizeof *cat->v);
    sp_probe_found *f = &cat->v[cat->n++];
    memset(f, 0, sizeof *f);
    f->file = sp_xstrdup(file);
    f->index = index;
    f->desc = d;
    f->problem = problem ? sp_xstrdup(problem) : NULL;
    if (d)
        for (size_t i = 0; i + 1 < cat->n; i++)
            if (cat->v[i].desc && !strcmp(cat->v[i].desc->identifier, d->identifier)) f->shadowed = 1;
}

void sp_probe_scan(sp_probe_catalog *cat)
{
    memset(cat, 0, sizeof *cat);
    char **dirs = sp_probe_path();
    for (size_t k = 0; dirs[k]; k++) {
        char **files = list_so(dirs[k]);
        for (size_t j = 0; files && files[j]; j++) {
            lib *l = lib_open(cat, files[j]);
            if (!l->fn) {
                add_found(cat, files[j], 0, NULL, l->problem);
                continue;
            }
            unsigned long i;
            for (i = 0; i < MAX_INDEX; i++) {
                const sp_probe_descriptor *d = l->fn(SP_PROBE_ABI_VERSION, i);
                if (!d) break;
                char msg[SP_ERRLEN];
                const sp_probe_descriptor *ok = NULL;
                unsigned long idx;
                /* Check this one descriptor by its own identifier. */
                int rc = d->identifier ? lib_descriptor(l, d->identifier, &ok, &idx, msg) : -1;
                if (rc == 1 && idx == i) add_found(cat, files[j], i, ok, NULL);
                else if (rc != 1) add_found(cat, files[j], i, NULL, d->identifier ? msg : "a descriptor without an identifier");
            }
            if (i == 0) {
                char msg[SP_ERRLEN];
                sp_fail(msg, "'%s' offers no probe to a host of probe ABI %u", files[j], SP_PROBE_ABI_VERSION);
                add_found(cat, files[j], 0, NULL, msg);
            }
        }
        free_list(files);
    }
    sp_probe_path_free(dirs);
}

void sp_probe_catalog_free(sp_probe_catalog *cat)
{
    for (size_t i = 0; i < cat->n; i++) {
        free(cat->v[i].file);
        free(cat->v[i].problem);
    }
    free(cat->v);
    for (lib *l = cat->libs, *next; l; l = next) {
        next = l->next;
        if (l->handle) dlclose(l->handle);
        free(l->file);
        free(l->problem);
        free(l);
    }
    memset(cat, 0, sizeof *cat);
}

const sp_probe_descriptor *sp_probe_find(sp_probe_catalog *cat, const char *name, const char **file, char *msg)
{
    const sp_probe_descriptor *d = NULL;
    unsigned long idx;
    if (strchr(name, '/')) {
        lib *l = lib_open(cat, name);
        if (!l->fn) {
            sp_fail(msg, "%s", l->problem);
            return NULL;
        }
        if (lib_descriptor(l, NULL, &d, &idx, msg) != 1) return NULL;
        *file = l->file;
        return d;
    }
    if (!valid_identifier(name)) {
        sp_fail(msg, "'%s' is neither a probe identifier ([a-z0-9_-]+) nor a file path (with a '/')", name);
        return NULL;
    }
    char **dirs = sp_probe_path();
    char *so = sp_xasprintf("%s.so", name);
    for (size_t k = 0; dirs[k] && !d; k++) {
        char *path = sp_path_join(dirs[k], so);
        if (sp_is_file(path)) {
            lib *l = lib_open(cat, path);
            free(path);
            if (!l->fn) sp_fail(msg, "%s", l->problem);
            else if (lib_descriptor(l, name, &d, &idx, msg) == 1) *file = l->file;
            free(so);
            sp_probe_path_free(dirs);
            return d;
        }
        free(path);
    }
    free(so);
    for (size_t k = 0; dirs[k] && !d; k++) {
        char **files = list_so(dirs[k]);
        for (size_t j = 0; files && files[j] && !d; j++) {
            lib *l = lib_open(cat, files[j]);
            char why[SP_ERRLEN];
            int rc = l->fn ? lib_descriptor(l, name, &d, &idx, why) : 0;
            if (rc == 1) *file = l->file;
            else if (rc < 0) { /* it is the probe asked for, but refused */
                sp_fail(msg, "%s", why);
                free_list(files);
                sp_probe_path_free(dirs);
                return NULL;
            }
        }
        free_list(files);
    }
    if (!d) {
        char *path = sp_probe_path_string();
        sp_fail(msg, "no probe '%s' in %s (SINCPROBE_PLUGIN_PATH, then the installed probes; 'sincprobe plugins' lists them)",
                name, path);
        free(path);
    }
    sp_probe_path_free(dirs);
    return d;
}

/* ------------------------------------------------------------------------
 * The chain's data
 * ---------------------------------------------------------------------- */

struct sp_probe_rng {
    sp_rng r;
};

typedef struct entry {
    sp_probe_chain *chain;
    char *id, *use, *conf;        /* section ID, `use` text, config file name */
    const char *file;             /* the shared object (the catalog's) */
    long line, use_line;          /* of the section header, of `use` */
    const sp_probe_descriptor *d;
    sp_probe_value *values;       /* [noptions] */
    char **texts;                 /* [noptions] owned value texts */
    long *opt_line;               /* [noptions] config line; 0: the default */
    long probe_frames;
    /* The hooks, no-ops where the probe has none. */
    int (*on_start)(void *, const sp_probe_run *, sp_probe_error *);
    int (*on_batch)(void *, sp_probe_batch *, sp_probe_error *);
    int (*on_gradients)(void *, const sp_probe_gradients *, sp_probe_error *);
    int (*on_epoch_end)(void *, const sp_probe_view *, sp_probe_error *);
    int (*on_finish)(void *, const sp_probe_run *, sp_probe_error *);
    void (*destroy)(void *);
    void *self;
    sp_probe_context ctx;
    struct sp_probe_rng rng;
    char *dir;
    int created, started, finished, in_start;
    unsigned char *want;          /* [nlayers] activations asked for */
    long *steps;                  /* [nsteps] sorted, unique: want_steps */
    long nsteps;
    sp_probe_layer *vlayers;      /* [nlayers] the view's, with act */
} entry;

struct sp_probe_chain {
    entry *e;
    int n;
    sp_probe_catalog cat;
    sp_probe_mode mode;
    uint64_t seed;
    char *probes_dir, *log_path;
    FILE *log;
    char *log_buf;                /* lines logged before the log file opens */
    size_t log_len;
    int log_failed;
    int ready;                    /* files may be written (after start made the folders) */
    /* the run */
    sp_model *m;
    sp_probe_run run;
    const sp_dataset *ds[SP_PROBE_NROLES];
    const char *split[SP_PROBE_NROLES];
    sp_probe_dataset data[SP_PROBE_NROLES];
    sp_probe_utterance *utt[SP_PROBE_NROLES];
    const char *classes[SP_MAX_PHONES];
    sp_probe_layer *layers, *glayers; /* [nlayers] values; values and grads */
    int nlayers, first;           /* first: index of the first layer (sinc or conv1) */
    sp_probe_filters filters, gfilters;
    float *taps, *f1, *f2;
    /* batch scratch, [maxB] */
    int maxB;
    int *labels;
    long *butt, *bstart;
    float *bgain;
    /* evaluation passes */
    sp_probe_role role;
    int epoch;
    long eval_step;
    char error[SP_ERRLEN];
    /* the probe set */
    long pset_n;
    sp_probe_epoch_stats last;    /* the last epoch's numbers, for at_step views */
    long *pset_utt, *pset_frame;
    int *pset_label;
};

static int noop_start(void *s, const sp_probe_run *r, sp_probe_error *e) { (void)s; (void)r; (void)e; return 0; }
static int noop_batch(void *s, sp_probe_batch *b, sp_probe_error *e) { (void)s; (void)b; (void)e; return 0; }
static int noop_grads(void *s, const sp_probe_gradients *g, sp_probe_error *e) { (void)s; (void)g; (void)e; return 0; }
static int noop_epoch(void *s, const sp_probe_view *v, sp_probe_error *e) { (void)s; (void)v; (void)e; return 0; }
static void noop_destroy(void *s) { (void)s; }

static void entry_free(entry *e)
{
    for (unsigned long i = 0; e->d && i < e->d->noptions; i++) free(e->texts[i]);
    free(e->texts);
    free(e->values);
    free(e->opt_line);
    free(e->id);
    free(e->use);
    free(e->conf);
    free(e->dir);
    free(e->want);
    free(e->steps);
    free(e->vlayers);
}

int sp_probe_chain_size(const sp_probe_chain *ch)
{
    return ch ? ch->n : 0;
}

/* ------------------------------------------------------------------------
 * Resolution
 * ---------------------------------------------------------------------- */

static int valid_id(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-') return 0;
    return 1;
}

static void option_names(const sp_probe_descriptor *d, char *buf, size_t n)
{
    buf[0] = '\0';
    for (unsigned long i = 0; i < d->noptions; i++) {
        size_t at = strlen(buf);
        snprintf(buf + at, n - at, "%s%s", i ? ", " : "", d->options[i].name);
    }
    if (!d->noptions) snprintf(buf, n, "none");
}

sp_probe_chain *sp_probe_chain_resolve(const sp_ini *ini, sp_diag *d)
{
    size_t before = d->n;
    sp_probe_chain *ch = sp_xcalloc(1, sizeof *ch);
    const char *path = ini->path;
    for (size_t si = 0; si < ini->nsections; si++) {
        const sp_ini_section *s = &ini->sections[si];
        if (strncmp(s->section, "probe ", 6) != 0) continue;
        const char *id = s->section + 6;
        ch->e = sp_xrealloc(ch->e, (size_t)(ch->n + 1) * sizeof *ch->e);
        entry *e = &ch->e[ch->n++];
        memset(e, 0, sizeof *e);
        e->id = sp_xstrdup(id);
        e->conf = sp_xstrdup(path);
        e->line = s->line;
        e->probe_frames = DEFAULT_PROBE_FRAMES;
        if (!valid_id(id)) {
            sp_diag_add(d, path, s->line, "[probe %s]: a probe ID is letters, digits, '_' and '-'", id);
            continue;
        }
        const sp_ini_entry *use = sp_ini_get(ini, s->section, "use");
        if (!use) {
            sp_diag_add(d, path, s->line, "[probe %s] has no 'use = NAME' naming the probe to run", id);
            continue;
        }
        e->use = sp_xstrdup(use->value);
        e->use_line = use->line;
        char msg[SP_ERRLEN];
        const sp_probe_descriptor *desc = sp_probe_find(&ch->cat, use->value, &e->file, msg);
        if (!desc) {
            sp_diag_add(d, path, use->line, "[probe %s] use = %s: %s", id, use->value, msg);
            continue;
        }
        e->d = desc;
        unsigned long no = desc->noptions;
        e->values = sp_xcalloc(no ? no : 1, sizeof *e->values);
        e->texts = sp_xcalloc(no ? no : 1, sizeof *e->texts);
        e->opt_line = sp_xcalloc(no ? no : 1, sizeof *e->opt_line);
        for (size_t k = 0; k < ini->n; k++) {
            const sp_ini_entry *x = &ini->v[k];
            if (strcmp(x->section, s->section) != 0 || !strcmp(x->key, "use")) continue;
            if (!strcmp(x->key, "probe_frames")) {
                char *end;
                errno = 0;
                long v = strtol(x->value, &end, 10);
                if (errno || end == x->value || *end || v < 0 || v > MAX_PROBE_FRAMES)
                    sp_diag_add(d, path, x->line, "[probe %s] probe_frames: '%s' is not an integer in [0, %ld]", id,
                                x->value, MAX_PROBE_FRAMES);
                else e->probe_frames = v;
                continue;
            }
            unsigned long oi;
            for (oi = 0; oi < no; oi++)
                if (!strcmp(desc->options[oi].name, x->key)) break;
            if (oi == no) {
                char names[1024];
                option_names(desc, names, sizeof names);
                sp_diag_add(d, path, x->line, "[probe %s] unknown option '%s' for probe '%s' ('%s'); its options: %s",
                            id, x->key, desc->identifier, e->file, names);
                continue;
            }
            char norm[SP_ERRLEN];
            if (parse_value(&desc->options[oi], x->value, &e->values[oi], norm, msg) != 0) {
                char type[256];
                sp_probe_option_type(&desc->options[oi], type, sizeof type);
                sp_diag_add(d, path, x->line, "[probe %s] %s: %s (expected %s; probe '%s', '%s')", id, x->key, msg,
                            type, desc->identifier, e->file);
                continue;
            }
            e->texts[oi] = sp_xstrdup(norm);
            e->values[oi].given = 1;
            e->opt_line[oi] = x->line;
        }
        for (unsigned long oi = 0; oi < no; oi++) {
            const sp_probe_option *o = &desc->options[oi];
            if (e->texts[oi]) {
                e->values[oi].text = e->texts[oi];
                continue;
            }
            if (!o->default_value) {
                if (!sp_ini_get(ini, s->section, o->name))
                    sp_diag_add(d, path, s->line, "[probe %s] lacks option '%s' of probe '%s' ('%s'), which has no default: %s",
                                id, o->name, desc->identifier, e->file, o->help);
                continue;
            }
            char norm[SP_ERRLEN];
            parse_value(o, o->default_value, &e->values[oi], norm, msg); /* checked with the descriptor */
            e->texts[oi] = sp_xstrdup(norm);
            e->values[oi].text = e->texts[oi];
        }
    }
    if (d->n > before) {
        sp_probe_chain_free(ch);
        return NULL;
    }
    return ch;
}

sp_probe_chain *sp_probe_chain_from_conf(const sp_conf *c, sp_diag *d)
{
    sp_ini ini;
    const char *name = c->probes_file[0] ? c->probes_file : "config";
    if (sp_ini_parse(&ini, name, c->probes, d) != 0) {
        sp_ini_free(&ini);
        return NULL;
    }
    sp_probe_chain *ch = sp_probe_chain_resolve(&ini, d);
    sp_ini_free(&ini);
    return ch;
}

void sp_probe_chain_write(FILE *f, const sp_probe_chain *ch)
{
    for (int i = 0; ch && i < ch->n; i++) {
        const entry *e = &ch->e[i];
        fprintf(f, "[probe %s]\nuse = %s\n", e->id, e->use);
        if (e->d->on_epoch_end) fprintf(f, "probe_frames = %ld\n", e->probe_frames);
        for (unsigned long k = 0; k < e->d->noptions; k++)
            fprintf(f, "%s =%s%s\n", e->d->options[k].name, *e->values[k].text ? " " : "", e->values[k].text);
    }
}

int sp_probe_chain_store(const sp_probe_chain *ch, sp_conf *c, char *err)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return sp_fail(err, "out of memory");
    sp_probe_chain_write(f, ch);
    fclose(f);
    int rc = 0;
    if (len >= sizeof c->probes)
        rc = sp_fail(err, "the resolved [probe ID] sections take %zu bytes, more than %zu", len, sizeof c->probes - 1);
    else memcpy(c->probes, text, len + 1);
    free(text);
    return rc;
}

char *sp_probe_chain_describe(const sp_probe_chain *ch)
{
    char *s = sp_xstrdup("");
    for (int i = 0; ch && i < ch->n; i++) {
        char *t = sp_xasprintf("%s%s%s (%s %s)", s, i ? ", " : "", ch->e[i].id, ch->e[i].d->identifier,
                               ch->e[i].d->version);
        free(s);
        s = t;
    }
    return s;
}

int sp_probe_diag_fail(const sp_diag *d, char *err)
{
    if (d->n == 0) return sp_fail(err, "probe chain: unknown problem");
    for (size_t i = 0; i + 1 < d->n; i++) {
        fputs("sincprobe: ", stderr);
        sp_problem_print(stderr, &d->v[i]);
    }
    const sp_problem *p = &d->v[d->n - 1];
    if (p->line > 0) return sp_fail(err, "%s:%ld: %s", p->file, p->line, p->message);
    return sp_fail(err, "%s: %s", p->file, p->message);
}

/* ------------------------------------------------------------------------
 * Services
 * ---------------------------------------------------------------------- */

static entry *entry_of(const sp_probe_context *ctx)
{
    return (entry *)ctx->host_data;
}

static void chain_log(sp_probe_chain *ch, const char *line)
{
    if (ch->log) {
        if (fputs(line, ch->log) == EOF || fflush(ch->log) != 0) {
            if (!ch->log_failed) fprintf(stderr, "sincprobe: warning: cannot write '%s'\n", ch->log_path);
            ch->log_failed = 1;
        }
        return;
    }
    size_t n = strlen(line);
    ch->log_buf = sp_xrealloc(ch->log_buf, ch->log_len + n + 1);
    memcpy(ch->log_buf + ch->log_len, line, n + 1);
    ch->log_len += n;
}

static void svc_log(const sp_probe_context *ctx, sp_probe_log_level level, const char *fmt, ...)
{
    entry *e = entry_of(ctx);
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n') msg[--n] = '\0';
    char *line = sp_xasprintf("probe %s: %s%s\n", e->id, level == SP_PROBE_WARN ? "warning: " : "", msg);
    fputs(line, stderr);
    chain_log(e->chain, line);
    free(line);
}

static uint64_t svc_u64(sp_probe_rng *r) { return sp_rng_u64(&r->r); }
static uint64_t svc_below(sp_probe_rng *r, uint64_t n) { return n ? sp_rng_below(&r->r, n) : 0; }
static double svc_uniform(sp_probe_rng *r) { return sp_rng_uniform(&r->r); }
static double svc_normal(sp_probe_rng *r) { return sp_rng_normal(&r->r); }
static void svc_seed(sp_probe_rng *r, uint64_t seed, uint64_t stream) { sp_rng_seed(&r->r, seed, stream); }

static sp_probe_rng *svc_rng_new(const sp_probe_context *ctx, uint64_t seed, uint64_t stream)
{
    (void)ctx;
    sp_probe_rng *r = sp_xmalloc(sizeof *r);
    sp_rng_seed(&r->r, seed, stream);
    return r;
}

static void svc_rng_free(sp_probe_rng *r)
{
    free(r);
}

static int probe_error(sp_probe_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int probe_error(sp_probe_error *err, const char *fmt, ...)
{
    if (!err) return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, ap);
    va_end(ap);
    return -1;
}

/* The path of a file of the probe's folder; NULL with err for a bad name
 * or before the folders exist. Caller frees. */
static char *out_path(const sp_probe_context *ctx, const char *name, sp_probe_error *err)
{
    entry *e = entry_of(ctx);
    size_t n = name ? strlen(name) : 0;
    int ok = n > 0 && n < 256 && name[0] != '.';
    for (size_t i = 0; ok && i < n; i++)
        ok = isalnum((unsigned char)name[i]) || name[i] == '.' || name[i] == '_' || name[i] == '-';
    if (!ok) {
        probe_error(err, "bad file name '%s': use [A-Za-z0-9._-], no '/', not starting with '.'", name ? name : "(null)");
        return NULL;
    }
    if (!e->chain->ready) {
        probe_error(err, "cannot write '%s' yet: a probe's files are written from on_start on", name);
        return NULL;
    }
    return sp_path_join(e->dir, name);
}

static int svc_write_npy(const sp_probe_context *ctx, const char *name, sp_probe_dtype dtype, const void *data,
                         int rank, const long *shape, sp_probe_error *err)
{
    char *path = out_path(ctx, name, err);
    if (!path) return -1;
    char msg[SP_ERRLEN];
    int rc = sp_npy_write(path, (sp_npy_dtype)dtype, data, rank, shape, msg);
    if (rc) probe_error(err, "%s", msg);
    free(path);
    return rc;
}

static int svc_write_tsv(const sp_probe_context *ctx, const char *name, int ncols, const char *const *header,
                         long nrows, const double *rows, sp_probe_error *err)
{
    char *path = out_path(ctx, name, err);
    if (!path) return -1;
    char msg[SP_ERRLEN];
    int rc = sp_tsv_write(path, ncols, header, nrows, rows, msg);
    if (rc) probe_error(err, "%s", msg);
    free(path);
    return rc;
}

static int svc_write_text(const sp_probe_context *ctx, const char *name, const char *text, size_t len,
                          sp_probe_error *err)
{
    char *path = out_path(ctx, name, err);
    if (!path) return -1;
    char msg[SP_ERRLEN];
    int rc = sp_text_write(path, text, len, msg);
    if (rc) probe_error(err, "%s", msg);
    free(path);
    return rc;
}

static void *svc_read_npy(const sp_probe_context *ctx, const char *name, sp_probe_dtype *dtype, int *rank,
                          long *shape, sp_probe_error *err)
{
    char *path = out_path(ctx, name, err);
    if (!path) return NULL;
    char msg[SP_ERRLEN];
    sp_npy_dtype t;
    void *p = sp_npy_read(path, &t, rank, shape, msg);
    if (!p) probe_error(err, "%s", msg);
    else *dtype = (sp_probe_dtype)t;
    free(path);
    return p;
}

static void svc_release(void *p)
{
    free(p);
}

static int svc_want_activations(const sp_probe_context *ctx, const char *layers, sp_probe_error *err)
{
    entry *e = entry_of(ctx);
    sp_probe_chain *ch = e->chain;
    if (e->in_start && ch->mode == SP_PROBE_MODE_ANALYSE) { /* the one layer is always shown */
        memset(e->want, 1, (size_t)ch->nlayers);
        return 0;
    }
    if (!e->in_start || ch->mode != SP_PROBE_MODE_TRAIN)
        return probe_error(err, "want_activations: only from on_start, in train mode");
    char *copy = sp_xstrdup(layers ? layers : ""), *save = NULL;
    int rc = 0;
    for (char *w = strtok_r(copy, ", ", &save); w && !rc; w = strtok_r(NULL, ", ", &save)) {
        if (!strcmp(w, "all")) {
            memset(e->want, 1, (size_t)ch->nlayers);
            continue;
        }
        int i;
        for (i = 0; i < ch->nlayers; i++)
            if (!strcmp(ch->layers[i].name, w)) break;
        if (i < ch->nlayers) {
            e->want[i] = 1;
            continue;
        }
        char names[2048] = "";
        for (int k = 0; k < ch->nlayers; k++) {
            size_t at = strlen(names);
            snprintf(names + at, sizeof names - at, "%s%s", k ? ", " : "", ch->layers[k].name);
        }
        rc = probe_error(err, "want_activations: no layer '%s' (the layers: %s)", w, names);
    }
    free(copy);
    return rc;
}

static int cmp_long(const void *a, const void *b)
{
    long x = *(const long *)a, y = *(const long *)b;
    return (x > y) - (x < y);
}

static int svc_want_steps(const sp_probe_context *ctx, const long *steps, long n, sp_probe_error *err)
{
    entry *e = entry_of(ctx);
    sp_probe_chain *ch = e->chain;
    if (e->in_start && ch->mode == SP_PROBE_MODE_ANALYSE) return 0; /* one matrix: no steps */
    if (!e->in_start || ch->mode != SP_PROBE_MODE_TRAIN)
        return probe_error(err, "want_steps: only from on_start, in train mode");
    if (n < 0 || (n > 0 && !steps)) return probe_error(err, "want_steps: no steps given");
    long total = (long)ch->run.epochs * ch->run.steps_per_epoch;
    for (long i = 0; i < n; i++)
        if (steps[i] < 1 || steps[i] > total)
            return probe_error(err, "want_steps: step %ld is not in 1 .. %ld (epochs x steps_per_epoch)", steps[i], total);
    e->steps = sp_xrealloc(e->steps, (size_t)(e->nsteps + n + 1) * sizeof *e->steps);
    memcpy(e->steps + e->nsteps, steps, (size_t)n * sizeof *steps);
    e->nsteps += n;
    qsort(e->steps, (size_t)e->nsteps, sizeof *e->steps, cmp_long);
    long u = 0;
    for (long i = 0; i < e->nsteps; i++)
        if (!u || e->steps[i] != e->steps[u - 1]) e->steps[u++] = e->steps[i];
    e->nsteps = u;
    return 0;
}

static const sp_probe_host host_services = {
    SP_PROBE_ABI_VERSION,
    svc_log,
    svc_u64,
    svc_below,
    svc_uniform,
    svc_normal,
    svc_seed,
    svc_rng_new,
    svc_rng_free,
    svc_write_npy,
    svc_write_tsv,
    svc_write_text,
    svc_read_npy,
    svc_release,
    svc_want_activations,
    svc_want_steps,
};

/* ------------------------------------------------------------------------
 * Creating and destroying
 * ---------------------------------------------------------------------- */

/* FNV-1a of the ID and the mode: the probe's stream number. */
static uint64_t stream_of(const char *id, sp_probe_mode mode)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) h = (h ^ *p) * 0x100000001b3ull;
    return h ^ (mode == SP_PROBE_MODE_EVAL ? 0x9e3779b97f4a7c15ull : 0);
}

/* "CONF:LINE: [probe ID] ('FILE'): HOOK: MESSAGE" into err; -1. */
static int hook_fail(const entry *e, const char *hook, const sp_probe_error *pe, long line, char *err)
{
    return sp_fail(err, "%s:%ld: [probe %s] ('%s'): %s: %s", e->conf, line ? line : e->line, e->id, e->file, hook,
                   pe->message[0] ? pe->message : "failed without a message");
}

static void destroy_all(sp_probe_chain *ch)
{
    for (int i = ch->n - 1; i >= 0; i--) {
        entry *e = &ch->e[i];
        if (e->created) e->destroy(e->self);
        e->created = 0;
    }
}

int sp_probe_chain_create(sp_probe_chain *ch, sp_probe_mode mode, const char *probes_dir, uint64_t seed, char *err)
{
    if (!ch || !ch->n) return 0;
    ch->mode = mode;
    ch->seed = seed;
    free(ch->probes_dir);
    free(ch->log_path);
    ch->probes_dir = sp_xstrdup(probes_dir);
    ch->log_path = sp_path_join(probes_dir, "log.txt");
    for (int i = 0; i < ch->n; i++) {
        entry *e = &ch->e[i];
        const sp_probe_descriptor *d = e->d;
        e->chain = ch;
        free(e->dir);
        /* analyse: the probe writes straight into the --out folder */
        e->dir = mode == SP_PROBE_MODE_ANALYSE ? sp_xstrdup(probes_dir) : sp_path_join(probes_dir, e->id);
        sp_rng_seed(&e->rng.r, seed, stream_of(e->id, mode));
        e->ctx.host = &host_services;
        e->ctx.id = e->id;
        e->ctx.file = e->file;
        e->ctx.dir = e->dir;
        e->ctx.mode = mode;
        e->ctx.values = e->values;
        e->ctx.nvalues = d->noptions;
        e->ctx.rng = &e->rng;
        e->ctx.seed = seed;
        e->ctx.host_data = e;
        e->on_start = d->on_start ? d->on_start : noop_start;
        e->on_batch = d->on_batch ? d->on_batch : noop_batch;
        e->on_gradients = d->on_gradients ? d->on_gradients : noop_grads;
        e->on_epoch_end = d->on_epoch_end ? d->on_epoch_end : noop_epoch;
        e->on_finish = d->on_finish ? d->on_finish : noop_start;
        e->destroy = d->destroy ? d->destroy : noop_destroy;
        e->self = NULL;
        if (d->create) {
            sp_probe_error pe;
            memset(&pe, 0, sizeof pe);
            pe.option = -1;
            if (d->create(&e->ctx, &e->self, &pe) != 0) {
                long line = pe.option >= 0 && (unsigned long)pe.option < d->noptions && e->opt_line[pe.option]
                                ? e->opt_line[pe.option] : e->line;
                hook_fail(e, "create", &pe, line, err);
                destroy_all(ch);
                return -1;
            }
        }
        e->created = 1;
    }
    return 0;
}

void sp_probe_chain_free(sp_probe_chain *ch)
{
    if (!ch) return;
    destroy_all(ch);
    for (int i = 0; i < ch->n; i++) entry_free(&ch->e[i]);
    free(ch->e);
    if (ch->log) fclose(ch->log);
    free(ch->log_buf);
    free(ch->log_path);
    free(ch->probes_dir);
    for (int r = 0; r < SP_PROBE_NROLES; r++) free(ch->utt[r]);
    free(ch->layers);
    free(ch->glayers);
    free(ch->taps);
    free(ch->f1);
    free(ch->f2);
    free(ch->labels);
    free(ch->butt);
    free(ch->bstart);
    free(ch->bgain);
    free(ch->pset_utt);
    free(ch->pset_frame);
    free(ch->pset_label);
    sp_probe_catalog_free(&ch->cat);
    free(ch);
}

/* ------------------------------------------------------------------------
 * The model as probes see it
 * ---------------------------------------------------------------------- */

static void set_param(sp_probe_param *p, const char *name, const float *value, size_t n, int rank, long a, long b,
                      long c)
{
    p->name = name;
    p->value = value;
    p->n = n;
    p->rank = rank;
    p->shape[0] = a;
    p->shape[1] = b;
    p->shape[2] = c;
    if ((size_t)a * (size_t)(rank > 1 ? b : 1) * (size_t)(rank > 2 ? c : 1) != n) { /* never: a safe fallback */
        p->rank = 1;
        p->shape[0] = (long)n;
        p->shape[1] = p->shape[2] = 0;
    }
}

static void build_layers(sp_probe_chain *ch)
{
    sp_model *m = ch->m;
    ch->nlayers = m->nlayers;
    ch->layers = sp_xcalloc((size_t)m->nlayers, sizeof *ch->layers);
    ch->first = -1;
    for (int i = 0; i < m->nlayers; i++) {
        const sp_layer *l = &m->layer[i];
        sp_probe_layer *p = &ch->layers[i];
        p->name = l->name;
        p->kind = sp_layer_kind_name(l->kind);
        p->in_c = l->in_c;
        p->in_t = l->in_t;
        p->out_c = l->out_c;
        p->out_t = l->out_t;
        p->out_n = l->out_n;
        p->nparams = l->np;
        for (int j = 0; j < l->np; j++) /* names and shapes as the model gives them */
            set_param(&p->param[j], l->p_name[j], m->params + l->p_off[j], l->p_len[j], l->p_rank[j],
                      l->p_shape[j][0], l->p_shape[j][1], l->p_shape[j][2]);
        if (ch->first < 0 && (l->kind == SP_LAYER_SINC || l->kind == SP_LAYER_CONV)) ch->first = i;
    }
    ch->glayers = sp_xmalloc((size_t)m->nlayers * sizeof *ch->glayers);
    memcpy(ch->glayers, ch->layers, (size_t)m->nlayers * sizeof *ch->glayers);
    for (int i = 0; i < m->nlayers; i++)
        for (int j = 0; j < ch->glayers[i].nparams; j++) ch->glayers[i].param[j].grad = m->grads + m->layer[i].p_off[j];
    const sp_layer *f = &m->layer[ch->first];
    int F = f->out_c, K = f->K;
    ch->taps = sp_xcalloc((size_t)F * (size_t)K, sizeof *ch->taps);
    ch->f1 = sp_xcalloc((size_t)F, sizeof *ch->f1);
    ch->f2 = sp_xcalloc((size_t)F, sizeof *ch->f2);
    sp_probe_filters *pf = &ch->filters;
    pf->layer = f->name;
    pf->F = F;
    pf->K = K;
    pf->sample_rate = SP_SAMPLE_RATE;
    ch->gfilters = *pf;
}

/* Fill the filters from the current parameters; gradients: the taps the
 * last forward pass used. */
static void update_filters(sp_probe_chain *ch, int grads)
{
    sp_model *m = ch->m;
    const sp_param_tensors *p = &m->param;
    sp_probe_filters *pf = grads ? &ch->gfilters : &ch->filters;
    if (p->sinc_low_p) {
        sp_sinc_cutoffs(ch->f1, ch->f2, p->sinc_low_p, p->sinc_band_p, &m->sinc);
        if (grads) pf->taps = m->taps;
        else {
            sp_sinc_taps(ch->taps, p->sinc_low_p, p->sinc_band_p, &m->sinc);
            pf->taps = ch->taps;
        }
        pf->f1 = ch->f1;
        pf->f2 = ch->f2;
    } else {
        pf->taps = p->conv_w[0]; /* conv1's w [F][1][K] is [F][K] */
        pf->f1 = pf->f2 = NULL;
    }
}

static void build_data(sp_probe_chain *ch, int role, const sp_dataset *ds, const char *split)
{
    ch->ds[role] = ds;
    ch->split[role] = split;
    if (!ds) return;
    ch->utt[role] = sp_xcalloc(ds->n ? ds->n : 1, sizeof *ch->utt[role]);
    for (size_t i = 0; i < ds->n; i++) {
        const sp_utterance *u = &ds->utt[i];
        sp_probe_utterance *p = &ch->utt[role][i];
        p->id = u->id;
        p->audio = u->audio;
        p->samples = u->n;
        p->labels = (const signed char *)u->label;
        p->frames = u->nframes;
    }
    ch->data[role].split = split;
    ch->data[role].utt = ch->utt[role];
    ch->data[role].n = ds->n;
    ch->run.data[role] = &ch->data[role];
}

/* N labelled frames of the dev split, uniformly without replacement, in a
 * random order (so any prefix is a uniform sample too). */
static void draw_probe_set(sp_probe_chain *ch, long want)
{
    const sp_dataset *dev = ch->ds[SP_PROBE_DEV];
    long L = 0;
    for (size_t i = 0; i < dev->n; i++)
        for (long f = 0; f < dev->utt[i].nframes; f++) L += dev->utt[i].label[f] >= 0;
    long *pu = sp_xmalloc((size_t)(L ? L : 1) * sizeof *pu), *pf = sp_xmalloc((size_t)(L ? L : 1) * sizeof *pf);
    long k = 0;
    for (size_t i = 0; i < dev->n; i++)
        for (long f = 0; f < dev->utt[i].nframes; f++)
            if (dev->utt[i].label[f] >= 0) {
                pu[k] = (long)i;
                pf[k++] = f;
            }
    long n = want < L ? want : L;
    sp_rng r;
    sp_rng_seed(&r, ch->seed, PROBE_SET_STREAM);
    for (long i = 0; i < n; i++) {
        long j = i + (long)sp_rng_below(&r, (uint64_t)(L - i));
        long t = pu[i];
        pu[i] = pu[j];
        pu[j] = t;
        t = pf[i];
        pf[i] = pf[j];
        pf[j] = t;
    }
    ch->pset_n = n;
    ch->pset_utt = sp_xrealloc(pu, (size_t)(n ? n : 1) * sizeof *pu);
    ch->pset_frame = sp_xrealloc(pf, (size_t)(n ? n : 1) * sizeof *pf);
    ch->pset_label = sp_xmalloc((size_t)(n ? n : 1) * sizeof *ch->pset_label);
    for (long i = 0; i < n; i++) ch->pset_label[i] = dev->utt[ch->pset_utt[i]].label[ch->pset_frame[i]];
}

/* ------------------------------------------------------------------------
 * Running
 * ---------------------------------------------------------------------- */

int sp_probe_chain_start(sp_probe_chain *ch, const sp_probe_start *s, char *err)
{
    if (!ch || !ch->n) return 0;
    sp_model *m = s->model;
    ch->m = m;
    build_layers(ch);
    update_filters(ch, 0);
    for (int r = 0; r < SP_PROBE_NROLES; r++) build_data(ch, r, s->data[r], s->split[r]);
    for (int i = 0; i < s->ps->n48 && i < SP_MAX_PHONES; i++) ch->classes[i] = s->ps->name48[i];
    ch->maxB = m->maxB;
    /* at_step views before the first epoch end (or a resume's) carry NaN. */
    ch->last = (sp_probe_epoch_stats){ 0, 0, NAN, NAN, NAN, NAN, NAN };
    ch->labels = sp_xcalloc((size_t)ch->maxB, sizeof *ch->labels);
    ch->butt = sp_xcalloc((size_t)ch->maxB, sizeof *ch->butt);
    ch->bstart = sp_xcalloc((size_t)ch->maxB, sizeof *ch->bstart);
    ch->bgain = sp_xcalloc((size_t)ch->maxB, sizeof *ch->bgain);

    /* Folders and the log. */
    for (int i = 0; i < ch->n; i++)
        if (sp_mkdirs(ch->e[i].dir, err) != 0) return -1;
    ch->log = fopen(ch->log_path, "a");
    if (!ch->log) return sp_fail(err, "cannot open '%s': %s", ch->log_path, strerror(errno));
    if (ch->log_len) {
        fputs(ch->log_buf, ch->log);
        fflush(ch->log);
    }
    ch->ready = 1;
    char *desc = sp_probe_chain_describe(ch);
    fprintf(stderr, "probes: %s\n", desc);
    free(desc);

    sp_probe_run *run = &ch->run;
    run->mode = ch->mode;
    run->run_dir = s->run_dir;
    run->sample_rate = SP_SAMPLE_RATE;
    run->T = m->T;
    run->max_batch = m->maxB;
    run->epochs = s->epochs;
    run->steps_per_epoch = s->steps_per_epoch;
    run->epochs_done = s->epochs_done;
    run->steps_done = s->steps_done;
    run->resumed = s->resumed;
    run->seed = ch->seed;
    run->nclasses = s->ps->n48;
    run->classes = ch->classes;
    run->nlayers = ch->nlayers;
    run->layers = ch->layers;
    run->filters = &ch->filters;
    run->status = SP_PROBE_COMPLETED;
    for (int i = 0; i < ch->n; i++) {
        entry *e = &ch->e[i];
        e->want = sp_xcalloc((size_t)ch->nlayers, 1);
        e->vlayers = sp_xmalloc((size_t)ch->nlayers * sizeof *e->vlayers);
        memcpy(e->vlayers, ch->layers, (size_t)ch->nlayers * sizeof *e->vlayers);
        sp_probe_error pe;
        memset(&pe, 0, sizeof pe);
        pe.option = -1;
        e->in_start = 1;
        int rc = e->on_start(e->self, run, &pe);
        e->in_start = 0;
        if (rc != 0) return hook_fail(e, "on_start", &pe, 0, err);
        e->started = 1;
    }

    /* The probe set, for the probes that look at epoch ends. */
    long want = 0;
    for (int i = 0; i < ch->n; i++)
        if (ch->e[i].d->on_epoch_end && ch->e[i].probe_frames > want) want = ch->e[i].probe_frames;
    if (ch->mode == SP_PROBE_MODE_TRAIN && want > 0 && ch->ds[SP_PROBE_DEV]) {
        draw_probe_set(ch, want);
        double mb = 0;
        for (int k = 0; k < ch->nlayers; k++) {
            int any = 0;
            for (int i = 0; i < ch->n; i++) any |= ch->e[i].want[k];
            if (any) mb += 4.0 * (double)ch->pset_n * (double)ch->layers[k].out_n / 1048576.0;
        }
        fprintf(stderr, "probe set: %ld frames of the %s split%s", ch->pset_n, ch->split[SP_PROBE_DEV],
                mb > 0 ? "" : "\n");
        if (mb > 0) fprintf(stderr, "; activations at each epoch's end: %.1f MB\n", mb);
    }
    return 0;
}

/* Run every on_batch on b; a TRAIN label outside [0, nclasses) after a
 * probe is that probe's error. */
static int run_batches(sp_probe_chain *ch, sp_probe_batch *b, char *err)
{
    for (int i = 0; i < ch->n; i++) {
        entry *e = &ch->e[i];
        sp_probe_error pe;
        pe.message[0] = '\0';
        pe.option = -1;
        if (e->on_batch(e->self, b, &pe) != 0) return hook_fail(e, "on_batch", &pe, 0, err);
        if (b->role != SP_PROBE_TRAIN) continue;
        for (int k = 0; k < b->B; k++)
            if (b->labels[k] < 0 || b->labels[k] >= ch->run.nclasses) {
                snprintf(pe.message, sizeof pe.message, "label %d of chunk %d is outside [0, %d)", b->labels[k], k,
                         ch->run.nclasses);
                return hook_fail(e, "on_batch", &pe, 0, err);
            }
    }
    return 0;
}

int sp_probe_chain_train_batch(sp_probe_chain *ch, float *audio, int *labels, int B, const long *utt,
                               const long *start, const float *gain, long step, int epoch, char *err)
{
    if (!ch || !ch->n) return 0;
    sp_probe_batch b;
    memset(&b, 0, sizeof b);
    b.role = SP_PROBE_TRAIN;
    b.split = ch->split[SP_PROBE_TRAIN];
    b.B = B;
    b.T = ch->m->T;
    b.audio = audio;
    b.labels = labels;
    b.utterance = utt;
    b.start = start;
    b.gain = gain;
    b.step = step;
    b.epoch = epoch;
    return run_batches(ch, &b, err);
}

void sp_probe_chain_eval_begin(sp_probe_chain *ch, sp_probe_role role, int epoch)
{
    if (!ch) return;
    ch->role = role;
    ch->epoch = epoch;
    ch->eval_step = 0;
    ch->error[0] = '\0';
}

int sp_probe_chain_eval_batch(void *vch, size_t ui, long frame0, int nb, float *input, int T)
{
    sp_probe_chain *ch = vch;
    if (!ch || !ch->n) return 0;
    const sp_dataset *ds = ch->ds[ch->role];
    if (!ds || ui >= ds->n || nb > ch->maxB) {
        snprintf(ch->error, sizeof ch->error, "probe chain: an evaluation batch of a split it was not started with");
        return 1;
    }
    const sp_utterance *u = &ds->utt[ui];
    for (int b = 0; b < nb; b++) {
        long f = frame0 + b;
        ch->labels[b] = f < u->nframes ? u->label[f] : -1;
        ch->butt[b] = (long)ui;
        ch->bstart[b] = f * SP_FRAME_SHIFT + SP_FRAME_SHIFT / 2 - T / 2;
        ch->bgain[b] = 1.0f;
    }
    sp_probe_batch b;
    memset(&b, 0, sizeof b);
    b.role = ch->role;
    b.split = ch->split[ch->role];
    b.B = nb;
    b.T = T;
    b.audio = input;
    b.labels = ch->labels;
    b.utterance = ch->butt;
    b.start = ch->bstart;
    b.gain = ch->bgain;
    b.step = ch->eval_step++;
    b.epoch = ch->epoch;
    return run_batches(ch, &b, ch->error) != 0;
}

const char *sp_probe_chain_error(const sp_probe_chain *ch)
{
    return ch && ch->error[0] ? ch->error : "probe chain: unknown error";
}

int sp_probe_chain_gradients(sp_probe_chain *ch, long step, int epoch, int B, double loss, char *err)
{
    if (!ch || !ch->n) return 0;
    update_filters(ch, 1);
    sp_probe_gradients g;
    memset(&g, 0, sizeof g);
    g.step = step;
    g.epoch = epoch;
    g.B = B;
    g.loss = loss;
    g.nlayers = ch->nlayers;
    g.layers = ch->glayers;
    g.filters = &ch->gfilters;
    for (int i = 0; i < ch->n; i++) {
        entry *e = &ch->e[i];
        sp_probe_error pe;
        pe.message[0] = '\0';
        pe.option = -1;
        if (e->on_gradients(e->self, &g, &pe) != 0) return hook_fail(e, "on_gradients", &pe, 0, err);
    }
    return 0;
}

/* 1 when entry e asked (want_steps) for a view after `steps` global steps. */
static int wants_step(const entry *e, long steps)
{
    return e->nsteps && bsearch(&steps, e->steps, (size_t)e->nsteps, sizeof *e->steps, cmp_long) != NULL;
}

/* The probe set through the network for the layers the selected entries
 * asked for (sel[i] set), then on_epoch_end of each selected entry in
 * order. at_step: 0 at an epoch's end, 1 for a want_steps call. */
static int deliver_view(sp_probe_chain *ch, const sp_probe_epoch_stats *st, int at_step, const unsigned char *sel,
                        char *err)
{
    sp_model *m = ch->m;
    update_filters(ch, 0);
    float **act = sp_xcalloc((size_t)ch->nlayers, sizeof *act);
    int any = 0;
    for (int k = 0; k < ch->nlayers && ch->pset_n > 0; k++) {
        for (int i = 0; i < ch->n; i++)
            if (sel[i] && ch->e[i].want[k]) {
                act[k] = sp_xmalloc((size_t)ch->pset_n * ch->layers[k].out_n * sizeof **act);
                any = 1;
                break;
            }
    }
    if (any) {
        const sp_dataset *dev = ch->ds[SP_PROBE_DEV];
        for (long f0 = 0; f0 < ch->pset_n; f0 += m->maxB) {
            int nb = (int)(ch->pset_n - f0 < m->maxB ? ch->pset_n - f0 : m->maxB);
            for (int b = 0; b < nb; b++)
                sp_dataset_chunk(&dev->utt[ch->pset_utt[f0 + b]], ch->pset_frame[f0 + b], m->T, 1.0f,
                                 m->input + (size_t)b * (size_t)m->T);
            sp_model_forward(m, nb, 0);
            for (int k = 0; k < ch->nlayers; k++)
                if (act[k])
                    memcpy(act[k] + (size_t)f0 * ch->layers[k].out_n, m->layer[k].out,
                           (size_t)nb * ch->layers[k].out_n * sizeof(float));
        }
    }
    int rc = 0;
    for (int i = 0; i < ch->n && !rc; i++) {
        if (!sel[i]) continue;
        entry *e = &ch->e[i];
        for (int k = 0; k < ch->nlayers; k++) e->vlayers[k].act = e->want[k] ? act[k] : NULL;
        sp_probe_view v;
        memset(&v, 0, sizeof v);
        v.epoch = st->epoch;
        v.step = st->step;
        v.lr = st->lr;
        v.train_loss = st->train_loss;
        v.train_fer = st->train_fer;
        v.dev_loss = st->dev_loss;
        v.dev_fer = st->dev_fer;
        v.nlayers = ch->nlayers;
        v.layers = e->vlayers;
        v.filters = &ch->filters;
        v.N = e->probe_frames < ch->pset_n ? e->probe_frames : ch->pset_n;
        v.labels = ch->pset_label;
        v.utterance = ch->pset_utt;
        v.frame = ch->pset_frame;
        v.at_step = at_step;
        sp_probe_error pe;
        pe.message[0] = '\0';
        pe.option = -1;
        if (e->on_epoch_end(e->self, &v, &pe) != 0) rc = hook_fail(e, "on_epoch_end", &pe, 0, err);
        for (int k = 0; k < ch->nlayers; k++) e->vlayers[k].act = NULL;
    }
    for (int k = 0; k < ch->nlayers; k++) free(act[k]);
    free(act);
    return rc;
}

int sp_probe_chain_epoch_end(sp_probe_chain *ch, const sp_probe_epoch_stats *st, char *err)
{
    if (!ch || !ch->n) return 0;
    ch->last = *st;
    unsigned char *sel = sp_xmalloc((size_t)ch->n);
    memset(sel, 1, (size_t)ch->n);
    int rc = deliver_view(ch, st, 0, sel, err);
    free(sel);
    return rc;
}

int sp_probe_chain_step_done(sp_probe_chain *ch, long steps_done, int epoch, double lr, char *err)
{
    if (!ch || !ch->n) return 0;
    unsigned char *sel = NULL;
    for (int i = 0; i < ch->n; i++)
        if (wants_step(&ch->e[i], steps_done)) {
            if (!sel) sel = sp_xcalloc((size_t)ch->n, 1);
            sel[i] = 1;
        }
    if (!sel) return 0;
    sp_probe_epoch_stats st = ch->last;
    st.epoch = epoch;
    st.step = steps_done;
    st.lr = lr;
    int rc = deliver_view(ch, &st, 1, sel, err);
    free(sel);
    return rc;
}

int sp_probe_chain_finish(sp_probe_chain *ch, sp_probe_status status, int epochs_done, long steps_done, char *err)
{
    if (!ch || !ch->n || !ch->m) return 0;
    update_filters(ch, 0);
    ch->run.status = status;
    ch->run.epochs_done = epochs_done;
    ch->run.steps_done = steps_done;
    int rc = 0;
    for (int i = 0; i < ch->n; i++) {
        entry *e = &ch->e[i];
        if (!e->started || e->finished) continue;
        e->finished = 1;
        sp_probe_error pe;
        pe.message[0] = '\0';
        pe.option = -1;
        if (e->on_finish(e->self, &ch->run, &pe) != 0) {
            char msg[SP_ERRLEN];
            hook_fail(e, "on_finish", &pe, 0, msg);
            if (!rc) rc = sp_fail(err, "%s", msg);
            else fprintf(stderr, "sincprobe: %s\n", msg);
        }
    }
    return rc;
}

/* ------------------------------------------------------------------------
 * sincprobe analyse: one probe on one matrix
 * ---------------------------------------------------------------------- */

int sp_probe_chain_analyse(sp_probe_chain *ch, const sp_probe_analysis *a, char *err)
{
    if (!ch || ch->n != 1 || ch->mode != SP_PROBE_MODE_ANALYSE)
        return sp_fail(err, "analyse: needs a chain of one probe created in analyse mode");
    entry *e = &ch->e[0];
    if (e->d->abi_version < 2)
        return sp_fail(err, "probe '%s' ('%s') was built for probe ABI %u, which has no analyse mode (ABI 2)",
                       e->d->identifier, e->file, e->d->abi_version);
    if (!e->d->on_epoch_end)
        return sp_fail(err, "probe '%s' ('%s') does not look at activations (no on_epoch_end): nothing to analyse",
                       e->d->identifier, e->file);
    if (sp_mkdirs(e->dir, err) != 0) return -1;
    ch->log = fopen(ch->log_path, "a");
    if (!ch->log) return sp_fail(err, "cannot open '%s': %s", ch->log_path, strerror(errno));
    if (ch->log_len) {
        fputs(ch->log_buf, ch->log);
        fflush(ch->log);
    }
    ch->ready = 1;

    /* One layer, named after the matrix, kind "other", no parameters. */
    ch->nlayers = 1;
    ch->layers = sp_xcalloc(1, sizeof *ch->layers);
    sp_probe_layer *L = &ch->layers[0];
    L->name = a->layer;
    L->kind = "other";
    L->in_c = L->out_c = 1;
    L->in_t = L->out_t = (int)a->D;
    L->out_n = (unsigned long)a->D;

    sp_probe_run *run = &ch->run;
    memset(run, 0, sizeof *run);
    run->mode = SP_PROBE_MODE_ANALYSE;
    run->run_dir = a->out_dir;
    run->sample_rate = SP_SAMPLE_RATE;
    run->epochs = 1;
    run->seed = ch->seed;
    run->nclasses = a->nclasses;
    run->classes = a->classes;
    run->nlayers = 1;
    run->layers = ch->layers;
    run->filters = NULL;
    run->status = SP_PROBE_COMPLETED;

    e->want = sp_xcalloc(1, 1);
    e->vlayers = sp_xmalloc(sizeof *e->vlayers);
    *e->vlayers = *L;
    sp_probe_error pe;
    memset(&pe, 0, sizeof pe);
    pe.option = -1;
    e->in_start = 1;
    int rc = e->on_start(e->self, run, &pe);
    e->in_start = 0;
    if (rc != 0) return hook_fail(e, "on_start", &pe, 0, err);
    e->started = 1;

    long *idx = sp_xmalloc((size_t)(a->N ? a->N : 1) * sizeof *idx);
    long *zero = sp_xcalloc((size_t)(a->N ? a->N : 1), sizeof *zero);
    for (long i = 0; i < a->N; i++) idx[i] = i;
    e->vlayers[0].act = a->X;
    sp_probe_view v;
    memset(&v, 0, sizeof v);
    v.epoch = 0;
    v.lr = v.train_loss = v.train_fer = v.dev_loss = v.dev_fer = NAN;
    v.lr = 0;
    v.nlayers = 1;
    v.layers = e->vlayers;
    v.filters = NULL;
    v.N = a->N;
    v.labels = a->labels;
    v.utterance = idx;
    v.frame = zero;
    memset(&pe, 0, sizeof pe);
    pe.option = -1;
    rc = e->on_epoch_end(e->self, &v, &pe) != 0 ? hook_fail(e, "on_epoch_end", &pe, 0, err) : 0;
    e->vlayers[0].act = NULL;
    free(idx);
    free(zero);

    run->status = rc ? SP_PROBE_FAILED : SP_PROBE_COMPLETED;
    run->epochs_done = rc ? 0 : 1;
    e->finished = 1;
    memset(&pe, 0, sizeof pe);
    pe.option = -1;
    if (e->on_finish(e->self, run, &pe) != 0 && !rc) rc = hook_fail(e, "on_finish", &pe, 0, err);
    return rc;
}
