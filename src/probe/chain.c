/* chain.c - the chain of [probe ID] sections (probe_host.h): option
 * values as the host parses and checks them, resolving the sections
 * against the descriptors found, the resolved text a run stores, and
 * making and freeing the instances. */
#include "config.h"
#include "probe/host_private.h"
#include "base/log.h"
#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_PROBE_FRAMES 4096
#define MAX_PROBE_FRAMES 100000000L
/* a week: setitimer's seconds stay far from overflow */
#define MAX_PROBE_TIMEOUT 604800.0

/* ------------------------------------------------------------------------
 * Option values
 * ---------------------------------------------------------------------- */

static const char *type_name(sp_probe_opt_type t)
{
    switch (t) {
    case SP_PROBE_OPT_INT: return "int";
    case SP_PROBE_OPT_FLOAT: return "float";
    case SP_PROBE_OPT_STRING: return "string";
    case SP_PROBE_OPT_BOOL: return "bool";
    case SP_PROBE_OPT_ENUM: return "enum";
    case SP_PROBE_OPT_PATH: return "path";
    case SP_PROBE_OPT_PATHS: return "paths";
    case SP_PROBE_OPT_NAME_OR_PATH: return "name or path";
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

/* See host_private.h. */
int sp_probe_parse_value(const sp_probe_option *o, const char *text, sp_probe_value *v, char *norm, sp_error *err)
{
    memset(v, 0, sizeof *v);
    snprintf(norm, SP_ERRLEN, "%s", text);
    char *end;
    switch (o->type) {
    case SP_PROBE_OPT_INT: {
        errno = 0;
        long long x = strtoll(text, &end, 10);
        if (errno || end == text || *end) return sp_fail(err, "'%s' is not an integer", text);
        if (o->min < o->max && ((double)x < o->min || (double)x > o->max))
            return sp_fail(err, "%lld is out of range [%.15g, %.15g]", x, o->min, o->max);
        v->i = x;
        v->f = (double)x;
        return 0;
    }
    case SP_PROBE_OPT_FLOAT: {
        errno = 0;
        double x = strtod(text, &end);
        if (errno || end == text || *end || !isfinite(x)) return sp_fail(err, "'%s' is not a number", text);
        if (o->min < o->max && (x < o->min || x > o->max))
            return sp_fail(err, "%g is out of range [%.15g, %.15g]", x, o->min, o->max);
        v->f = x;
        return 0;
    }
    case SP_PROBE_OPT_STRING:
    case SP_PROBE_OPT_PATH:
    case SP_PROBE_OPT_PATHS:
    case SP_PROBE_OPT_NAME_OR_PATH:
        return 0;
    case SP_PROBE_OPT_BOOL:
        if (!strcmp(text, "yes") || !strcmp(text, "true") || !strcmp(text, "on") || !strcmp(text, "1")) v->i = 1;
        else if (!strcmp(text, "no") || !strcmp(text, "false") || !strcmp(text, "off") || !strcmp(text, "0")) v->i = 0;
        else return sp_fail(err, "'%s' is not yes or no", text);
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
        return sp_fail(err, "'%s' is not one of %s", text, o->choices ? o->choices : "");
    }
    }
    return sp_fail(err, "option type %d is unknown", (int)o->type);
}

/* ------------------------------------------------------------------------
 * Resolution
 * ---------------------------------------------------------------------- */

int sp_probe_chain_size(const sp_probe_chain *ch)
{
    return ch ? ch->n : 0;
}

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

/* " (did you mean 'NAME'?)" for an option NAME of d (or probe_frames,
 * probe_timeout, use) near key, else "". */
static void option_near(const sp_probe_descriptor *d, const char *key, char *buf, size_t n)
{
    sp_suggest s;
    sp_suggest_init(&s, key);
    for (unsigned long i = 0; i < d->noptions; i++) sp_suggest_add(&s, d->options[i].name);
    sp_suggest_add(&s, "probe_frames");
    sp_suggest_add(&s, "probe_timeout");
    if (sp_suggest_best(&s)) snprintf(buf, n, " (did you mean '%s'?)", sp_suggest_best(&s));
}

/* The entry of ID id among the first n of ch, or NULL. */
static const entry *find_id(const sp_probe_chain *ch, int n, const char *id)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(ch->e[i].id, id)) return &ch->e[i];
    return NULL;
}

/* ---- paths (begin): relative paths resolved against the config's
 * folder base (the current directory when NULL), kept absolute so that
 * the run's config.conf names the same files from anywhere */

static int is_path_type(sp_probe_opt_type t)
{
    return t == SP_PROBE_OPT_PATH || t == SP_PROBE_OPT_PATHS || t == SP_PROBE_OPT_NAME_OR_PATH;
}

/* The value text of a path option, resolved: PATH one path; PATHS a
 * comma list, each element resolved (spaces around commas dropped);
 * NAME_OR_PATH a path when it holds a '/', else a name left as is. ""
 * stays "". Caller frees. */
static char *resolve_paths(sp_probe_opt_type t, const char *text, const char *base)
{
    if (!*text || (t == SP_PROBE_OPT_NAME_OR_PATH && !strchr(text, '/'))) return sp_xstrdup(text);
    if (t != SP_PROBE_OPT_PATHS) return sp_path_absolute(base, text);
    char *out = NULL;
    for (const char *p = text;;) {
        size_t n = strcspn(p, ",");
        char *item = sp_xasprintf("%.*s", (int)n, p);
        sp_strtrim(item);
        /* an empty item stays empty, for the probe to refuse */
        char *abs = *item ? sp_path_absolute(base, item) : sp_xstrdup("");
        char *joined = sp_xasprintf("%s%s%s", out ? out : "", out ? "," : "", abs);
        free(out);
        free(abs);
        free(item);
        out = joined;
        if (!p[n]) break;
        p += n + 1;
    }
    return out;
}

/* ---- paths (end) */

static int chain_add(sp_probe_chain *ch, const sp_ini *ini, const char *base, sp_diag *d);

int sp_probe_chain_add(sp_probe_chain *ch, const sp_ini *ini, sp_diag *d)
{
    return chain_add(ch, ini, NULL, d);
}

static int chain_add(sp_probe_chain *ch, const sp_ini *ini, const char *base, sp_diag *d)
{
    size_t before = d->n;
    const char *path = ini->path;
    int had = ch->n;
    for (size_t si = 0; si < ini->nsections; si++) {
        const sp_ini_section *s = &ini->sections[si];
        if (strncmp(s->section, "probe ", 6) != 0) continue;
        const char *id = s->section + 6;
        ch->e = sp_xrealloc(ch->e, (size_t)(ch->n + 1) * sizeof *ch->e);
        /* looked up after the realloc, which may move the entries */
        const entry *twin = find_id(ch, had, id);
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
        if (twin) {
            sp_diag_add(d, path, s->line, "[probe %s]: the chain already has a probe of that ID (%s:%ld)", id,
                        twin->conf, twin->line);
            continue;
        }
        const sp_ini_entry *use = sp_ini_get(ini, s->section, "use");
        if (!use) {
            sp_diag_add(d, path, s->line, "[probe %s] has no 'use = NAME' naming the probe to run", id);
            continue;
        }
        /* a path (with a '/'), against the config's folder; a name as is */
        e->use = strchr(use->value, '/') ? sp_path_absolute(base, use->value) : sp_xstrdup(use->value);
        e->use_line = use->line;
        sp_error why;
        const sp_probe_descriptor *desc = sp_probe_find(&ch->cat, e->use, &e->file, &why);
        if (!desc) {
            sp_diag_add(d, path, use->line, "[probe %s] use = %s: %s", id, use->value, why.msg);
            continue;
        }
        e->d = desc;
        /* A path is recorded absolute, so eval and --resume find the file
         * from any directory. */
        free(e->use);
        e->use = sp_probe_use_recorded(use->value, e->file);
        unsigned long no = desc->noptions;
        e->values = sp_xcalloc(no ? no : 1, sizeof *e->values);
        e->texts = sp_xcalloc(no ? no : 1, sizeof *e->texts);
        e->opt_line = sp_xcalloc(no ? no : 1, sizeof *e->opt_line);
        for (size_t k = 0; k < ini->n; k++) {
            const sp_ini_entry *x = &ini->v[k];
            if (strcmp(x->section, s->section) != 0 || !strcmp(x->key, "use")) continue;
            if (!strcmp(x->key, "probe_timeout")) {
                char *end;
                errno = 0;
                double v = strtod(x->value, &end);
                if (errno || end == x->value || *end || !(v >= 0 && v <= MAX_PROBE_TIMEOUT))
                    sp_diag_add(d, path, x->line, "[probe %s] probe_timeout: '%s' is not a number of seconds in [0, %g]",
                                id, x->value, MAX_PROBE_TIMEOUT);
                else e->timeout = v;
                continue;
            }
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
                char names[1024], near[128] = "";
                option_names(desc, names, sizeof names);
                option_near(desc, x->key, near, sizeof near);
                sp_diag_add(d, path, x->line, "[probe %s] unknown option '%s' for probe '%s' ('%s')%s; its options: %s",
                            id, x->key, desc->identifier, e->file, near, names);
                continue;
            }
            char norm[SP_ERRLEN];
            if (sp_probe_parse_value(&desc->options[oi], x->value, &e->values[oi], norm, &why) != 0) {
                char type[256];
                sp_probe_option_type(&desc->options[oi], type, sizeof type);
                sp_diag_add(d, path, x->line, "[probe %s] %s: %s (expected %s; probe '%s', '%s')", id, x->key, why.msg,
                            type, desc->identifier, e->file);
                continue;
            }
            const sp_probe_opt_type t = desc->options[oi].type;
            e->texts[oi] = is_path_type(t) ? resolve_paths(t, norm, base) : sp_xstrdup(norm);
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
            sp_probe_parse_value(o, o->default_value, &e->values[oi], norm, &why); /* checked with the descriptor */
            e->texts[oi] = is_path_type(o->type) ? resolve_paths(o->type, norm, NULL) : sp_xstrdup(norm);
            e->values[oi].text = e->texts[oi];
        }
    }
    return d->n > before ? -1 : 0;
}

sp_probe_chain *sp_probe_chain_resolve(const sp_ini *ini, sp_diag *d)
{
    sp_probe_chain *ch = sp_xcalloc(1, sizeof *ch);
    if (sp_probe_chain_add(ch, ini, d) != 0) {
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
    sp_probe_chain *ch = sp_xcalloc(1, sizeof *ch);
    if (chain_add(ch, &ini, c->probes_base, d) != 0) {
        sp_probe_chain_free(ch);
        ch = NULL;
    }
    sp_ini_free(&ini);
    return ch;
}

void sp_probe_chain_write(FILE *f, const sp_probe_chain *ch)
{
    for (int i = 0; ch && i < ch->n; i++) {
        const entry *e = &ch->e[i];
        fprintf(f, "[probe %s]\nuse = %s\n", e->id, e->use);
        if (e->d->on_epoch_end) fprintf(f, "probe_frames = %ld\n", e->probe_frames);
        if (e->timeout > 0) fprintf(f, "probe_timeout = %.17g\n", e->timeout);
        for (unsigned long k = 0; k < e->d->noptions; k++)
            fprintf(f, "%s =%s%s\n", e->d->options[k].name, *e->values[k].text ? " " : "", e->values[k].text);
    }
}

int sp_probe_chain_store(const sp_probe_chain *ch, sp_conf *c, sp_error *err)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) return sp_fail_oom(err, 0);
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

/* See probe_host.h. The messages are those of chain_add's refusals, so
 * that a key refused on a command line reads as in a config. */
int sp_probe_chain_has_option(const sp_probe_chain *ch, const char *id, const char *key, sp_error *err)
{
    const entry *e = ch ? find_id(ch, ch->n, id) : NULL;
    if (!e) {
        sp_suggest s;
        sp_suggest_init(&s, id);
        char ids[1024] = "";
        for (int i = 0; ch && i < ch->n; i++) {
            sp_suggest_add(&s, ch->e[i].id);
            size_t at = strlen(ids);
            snprintf(ids + at, sizeof ids - at, "%s[probe %s]", i ? ", " : "", ch->e[i].id);
        }
        char near[128] = "";
        if (sp_suggest_best(&s)) snprintf(near, sizeof near, " (did you mean [probe %s]?)", sp_suggest_best(&s));
        return sp_fail(err, "no section [probe %s]%s; its probe sections: %s", id, near, *ids ? ids : "none");
    }
    if (!strcmp(key, "use") || !strcmp(key, "probe_frames") || !strcmp(key, "probe_timeout")) return 0;
    for (unsigned long oi = 0; oi < e->d->noptions; oi++)
        if (!strcmp(e->d->options[oi].name, key)) return 0;
    char names[1024], near[128] = "";
    option_names(e->d, names, sizeof names);
    option_near(e->d, key, near, sizeof near);
    return sp_fail(err, "[probe %s] unknown option '%s' for probe '%s' ('%s')%s; its options: %s", id, key,
                   e->d->identifier, e->file, near, names);
}

int sp_probe_diag_fail(const sp_diag *d, sp_error *err)
{
    if (d->n == 0) return sp_fail(err, "probe chain: unknown problem");
    for (size_t i = 0; i + 1 < d->n; i++) sp_problem_log(SP_LOG_ERROR, &d->v[i]);
    return sp_problem_fail(&d->v[d->n - 1], err);
}

/* ------------------------------------------------------------------------
 * Creating and destroying
 * ---------------------------------------------------------------------- */

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

/* FNV-1a of the ID and the mode: the probe's stream number. */
static uint64_t stream_of(const char *id, sp_probe_mode mode)
{
    uint64_t h = 0xcbf29ce484222325ull;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) h = (h ^ *p) * 0x100000001b3ull;
    return h ^ (mode == SP_PROBE_MODE_EVAL ? 0x9e3779b97f4a7c15ull : 0);
}

/* "CONF:LINE: [probe ID] ('FILE'): HOOK: MESSAGE" into err; -1. */
int sp_probe_hook_fail(const entry *e, const char *hook, const sp_probe_error *pe, long line, sp_error *err)
{
    return sp_fail(err, "%s:%ld: [probe %s] ('%s'): %s: %s", e->conf, line ? line : e->line, e->id, e->file, hook,
                   pe->message[0] ? pe->message : "failed without a message");
}

int sp_probe_option_fail(entry *e, const char *hook, const sp_probe_error *pe, sp_error *err)
{
    int named = pe->option >= 0 && (unsigned long)pe->option < e->d->noptions;
    if (named) e->chain->refused = 1;
    long line = named && e->opt_line[pe->option] ? e->opt_line[pe->option] : e->line;
    return sp_probe_hook_fail(e, hook, pe, line, err);
}

int sp_probe_chain_refused(const sp_probe_chain *ch)
{
    return ch && ch->refused;
}

static void destroy_all(sp_probe_chain *ch)
{
    for (int i = ch->n - 1; i >= 0; i--) {
        entry *e = &ch->e[i];
        if (e->created) {
            sp_probe_guard_enter(e, "destroy");
            e->destroy(e->self);
            sp_probe_guard_leave();
        }
        e->created = 0;
    }
}

int sp_probe_chain_create(sp_probe_chain *ch, sp_probe_mode mode, const char *probes_dir, uint64_t seed, sp_error *err)
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
        e->ctx.host = &sp_probe_services;
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
            sp_probe_guard_enter(e, "create");
            int rc = d->create(&e->ctx, &e->self, &pe);
            sp_probe_guard_leave();
            if (rc != 0) {
                sp_probe_option_fail(e, "create", &pe, err);
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
    free(ch->sinc_hz);
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
