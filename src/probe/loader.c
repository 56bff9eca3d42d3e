/* loader.c - finding and loading probes (probe_host.h): the search
 * path, loading each file once, checking what its descriptors declare,
 * and the catalog that `sincprobe plugins` lists and the chain resolves
 * `use = NAME` with. */
#include "config.h"
#include "probe/host_private.h"
#include "base/log.h"
#include "base/util.h"

#include <ctype.h>
#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_OPTIONS 256
#define MAX_INDEX 1024            /* descriptors per file, a guard against a probe that never says NULL */

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

/* A warning, once per catalog and path, when path (a directory of the
 * search path, or a probe file) is writable by every user: anyone on the
 * machine could put there code that sincprobe then runs. */
static void warn_writable(sp_probe_catalog *cat, const char *path, const char *what)
{
    struct stat st;
    if (stat(path, &st) != 0 || !(st.st_mode & S_IWOTH)) return;
    for (size_t i = 0; i < cat->nwarned; i++)
        if (!strcmp(cat->warned[i], path)) return;
    cat->warned = sp_xrealloc(cat->warned, (cat->nwarned + 1) * sizeof *cat->warned);
    cat->warned[cat->nwarned++] = sp_xstrdup(path);
    sp_log_warn("probe %s '%s' is world-writable: any user can put code there that sincprobe loads "
                "(chmod o-w it, or take it off SINCPROBE_PLUGIN_PATH)",
                what, path);
}

/* Load file once per catalog (remembering failures too). */
static lib *lib_open(sp_probe_catalog *cat, const char *file)
{
    for (lib *l = cat->libs; l; l = l->next)
        if (!strcmp(l->file, file)) return l;
    lib *l = sp_xcalloc(1, sizeof *l);
    l->file = sp_xstrdup(file);
    l->next = cat->libs;
    cat->libs = l;
    char *dir = sp_xstrdup(file), *slash = strrchr(dir, '/');
    if (slash) {
        slash[slash == dir] = '\0'; /* the file's folder; "/" for a file at the root */
        warn_writable(cat, dir, "directory");
    }
    free(dir);
    warn_writable(cat, file, "file");
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

/* A descriptor's well-formedness (past its ABI check); 0 or -1 with err. */
static int check_descriptor(const sp_probe_descriptor *d, const char *file, sp_error *err)
{
    const char *id = d->identifier;
    if (!valid_identifier(id))
        return sp_fail(err, "'%s': a probe's identifier must be [a-z0-9_-]+, got '%s'", file, id ? id : "(null)");
    if (!d->name || !d->version || !d->summary)
        return sp_fail(err, "'%s': probe '%s' lacks a name, version or summary", file, id);
    if (d->noptions > MAX_OPTIONS || (d->noptions && !d->options))
        return sp_fail(err, "'%s': probe '%s' declares %lu options without a table (at most %d)", file, id,
                       d->noptions, MAX_OPTIONS);
    for (unsigned long i = 0; i < d->noptions; i++) {
        const sp_probe_option *o = &d->options[i];
        if (!valid_option_name(o->name) || !strcmp(o->name, "use") || !strcmp(o->name, "probe_frames") ||
            !strcmp(o->name, "probe_timeout"))
            return sp_fail(err, "'%s': probe '%s': option %lu's name '%s' is not [a-z0-9_]+ or is the host's (use, probe_frames, probe_timeout)",
                           file, id, i + 1, o->name ? o->name : "(null)");
        for (unsigned long j = 0; j < i; j++)
            if (!strcmp(d->options[j].name, o->name))
                return sp_fail(err, "'%s': probe '%s' declares option '%s' twice", file, id, o->name);
        /* the path types came with ABI 3 */
        sp_probe_opt_type last = d->abi_version >= 3 ? SP_PROBE_OPT_NAME_OR_PATH : SP_PROBE_OPT_ENUM;
        if (o->type < SP_PROBE_OPT_INT || o->type > last)
            return sp_fail(err, "'%s': probe '%s': option '%s' has unknown type %d (for probe ABI %u)", file, id,
                           o->name, (int)o->type, d->abi_version);
        if (o->type == SP_PROBE_OPT_ENUM) {
            const char *c = o->choices;
            if (!c || !*c || *c == '|' || c[strlen(c) - 1] == '|' || strstr(c, "||"))
                return sp_fail(err, "'%s': probe '%s': enum option '%s' needs choices 'a|b|...'", file, id, o->name);
        }
        if (!o->help) return sp_fail(err, "'%s': probe '%s': option '%s' has no help", file, id, o->name);
        if (o->default_value) {
            sp_probe_value v;
            char norm[SP_ERRLEN];
            sp_error why;
            if (sp_probe_parse_value(o, o->default_value, &v, norm, &why) != 0)
                return sp_fail(err, "'%s': probe '%s': the default of option '%s': %s", file, id, o->name, why.msg);
        }
    }
    return 0;
}

/* Descriptor index of a loaded file: the one called ident (or any, when
 * NULL). Returns 1 found (*out), 0 not in this file, -1 found but refused
 * (ABI, a bad descriptor); err says why for 0 and -1. */
static int lib_descriptor(const lib *l, const char *ident, const sp_probe_descriptor **out, unsigned long *index,
                          sp_error *err)
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
            sp_fail(err, "'%s': probe '%s' was built for probe ABI %u; this sincprobe accepts ABI %s "
                         "(rebuild it against this sincprobe's <sincprobe/probe.h>)",
                    l->file, did, d->abi_version, accepts);
            return -1;
        }
        if (check_descriptor(d, l->file, err) != 0) return -1;
        *out = d;
        *index = i;
        return 1;
    }
    if (i == 0)
        sp_fail(err, "'%s' offers no probe to a host of probe ABI %u (%s returned NULL)", l->file, SP_PROBE_ABI_VERSION,
                SP_PROBE_DESCRIPTOR_SYMBOL);
    else
        sp_fail(err, "'%s' has no probe '%s' (it has %s)", l->file, ident ? ident : "", names);
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
        warn_writable(cat, dirs[k], "directory");
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
                sp_error why;
                const sp_probe_descriptor *ok = NULL;
                unsigned long idx;
                /* Check this one descriptor by its own identifier. */
                int rc = d->identifier ? lib_descriptor(l, d->identifier, &ok, &idx, &why) : -1;
                if (rc == 1 && idx == i) add_found(cat, files[j], i, ok, NULL);
                else if (rc != 1) add_found(cat, files[j], i, NULL, d->identifier ? why.msg : "a descriptor without an identifier");
            }
            if (i == 0) {
                sp_error why;
                sp_fail(&why, "'%s' offers no probe to a host of probe ABI %u", files[j], SP_PROBE_ABI_VERSION);
                add_found(cat, files[j], 0, NULL, why.msg);
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
    for (size_t i = 0; i < cat->nwarned; i++) free(cat->warned[i]);
    free(cat->warned);
    for (lib *l = cat->libs, *next; l; l = next) {
        next = l->next;
        if (l->handle) dlclose(l->handle);
        free(l->file);
        free(l->problem);
        free(l);
    }
    memset(cat, 0, sizeof *cat);
}

/* "FILE:ID" -> FILE and ID when what follows the last ':' is an
 * identifier and something precedes it; otherwise the whole value is the
 * name and *ident is NULL. Caller frees *fname and *ident. */
static void split_use(const char *use, char **fname, char **ident)
{
    const char *colon = strrchr(use, ':');
    if (colon && colon > use && valid_identifier(colon + 1)) {
        *fname = sp_xasprintf("%.*s", (int)(colon - use), use);
        *ident = sp_xstrdup(colon + 1);
    } else {
        *fname = sp_xstrdup(use);
        *ident = NULL;
    }
}

/* `use = PATH` or `use = PATH:ID`: that file, made absolute (relative to
 * the current directory) so a run records where it really was. */
static const sp_probe_descriptor *find_by_path(sp_probe_catalog *cat, const char *path, const char *ident,
                                               const char **file, sp_error *err)
{
    char real[PATH_MAX];
    const char *open = realpath(path, real) ? real : path; /* a missing file: dlopen says so */
    lib *l = lib_open(cat, open);
    if (!l->fn) {
        sp_fail(err, "%s", l->problem);
        return NULL;
    }
    const sp_probe_descriptor *d = NULL;
    unsigned long idx;
    if (lib_descriptor(l, ident, &d, &idx, err) != 1) return NULL;
    *file = l->file;
    return d;
}

/* `use = NAME` or `use = NAME:ID`: NAME.so in the first directory of the
 * path that has one, and only that file (loading a library runs its
 * constructors, so no other file is opened to look for an identifier). */
static const sp_probe_descriptor *find_on_path(sp_probe_catalog *cat, const char *fname, const char *ident,
                                               const char **file, sp_error *err)
{
    char **dirs = sp_probe_path();
    char *so = sp_xasprintf("%s.so", fname);
    const sp_probe_descriptor *d = NULL;
    int found = 0;
    for (size_t k = 0; dirs[k] && !found; k++) {
        warn_writable(cat, dirs[k], "directory");
        char *path = sp_path_join(dirs[k], so);
        if (sp_is_file(path)) {
            found = 1;
            lib *l = lib_open(cat, path);
            unsigned long idx;
            int rc = l->fn ? lib_descriptor(l, ident, &d, &idx, err) : -1;
            if (!l->fn) sp_fail(err, "%s", l->problem);
            else if (rc == 1) *file = l->file;
            else if (rc == 0 && l->fn(SP_PROBE_ABI_VERSION, 0)) {
                sp_error why = *err;
                sp_fail(err, "%s; name one of them as 'use = %s:ID'", why.msg, fname);
            }
        }
        free(path);
    }
    if (!found) {
        char *joined = sp_probe_path_string();
        sp_fail(err, "no probe '%s' in %s: no file '%s' in those directories (SINCPROBE_PLUGIN_PATH, then the "
                     "installed probes; a probe in a file named otherwise is 'use = FILE:ID', and 'sincprobe plugins' "
                     "lists each probe's file)",
                ident, joined, so);
        free(joined);
    }
    free(so);
    sp_probe_path_free(dirs);
    return d;
}

const sp_probe_descriptor *sp_probe_find(sp_probe_catalog *cat, const char *name, const char **file, sp_error *err)
{
    char *fname, *ident;
    split_use(name, &fname, &ident);
    const sp_probe_descriptor *d = NULL;
    if (strchr(fname, '/')) {
        d = find_by_path(cat, fname, ident, file, err);
    } else if (!valid_identifier(fname)) {
        sp_fail(err, "'%s' is neither a probe identifier ([a-z0-9_-]+), nor FILE:IDENTIFIER, nor a file path (with a '/')",
                name);
    } else {
        d = find_on_path(cat, fname, ident ? ident : fname, file, err);
    }
    free(fname);
    free(ident);
    return d;
}

char *sp_probe_use_recorded(const char *use, const char *file)
{
    char *fname, *ident;
    split_use(use, &fname, &ident);
    char *r = !strchr(fname, '/') ? sp_xstrdup(use)
              : ident            ? sp_xasprintf("%s:%s", file, ident)
                                 : sp_xstrdup(file);
    free(fname);
    free(ident);
    return r;
}
