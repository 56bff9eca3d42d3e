/* sweep_plan.c - a sweep's grid: the --vary axes checked against the
 * config schema, the runs expanded, named and their configs resolved, and
 * the sweep's files written. See sweep.h. */
#include "config.h"
#include "cli/sweep.h"
#include "base/conf.h"
#include "base/ini.h"
#include "base/util.h"
#include "nn/model.h"
#include "probe/probe_host.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- the axes */

/* The key section.name is in the config schema (conf.c's table). */
static int schema_has(const char *section, const char *name)
{
    const char *sec;
    for (int i = 0;; i++) {
        const char *k = sp_conf_key_name(i, &sec, NULL);
        if (!k) return 0;
        if (!strcmp(k, name) && !strcmp(sec, section)) return 1;
    }
}

/* Split list at sep into a's values; -1 with err on an empty or repeated
 * value. */
static int axis_values(sp_sweep_axis *a, const char *list, char sep, sp_error *err)
{
    for (const char *p = list;;) {
        size_t n = strcspn(p, (char[]){ sep, 0 });
        char *v = sp_xasprintf("%.*s", (int)n, p);
        sp_strtrim(v);
        if (!*v) {
            free(v);
            return sp_fail(err, "--vary '%s': an empty value", a->key);
        }
        for (int i = 0; i < a->nv; i++)
            if (!strcmp(a->v[i], v)) {
                sp_fail(err, "--vary '%s': the value '%s' is given twice", a->key, v);
                free(v);
                return -1;
            }
        a->v = sp_xrealloc(a->v, (size_t)(a->nv + 1) * sizeof *a->v);
        a->v[a->nv++] = v;
        if (!p[n]) return 0;
        p += n + 1;
    }
}

/* An axis of a [probe ID] section's option: its section "probe ID" as
 * in the config's brackets or the shell-friendly probe.ID (the ID ends at
 * the first '.': a probe ID has none), KEY up to the '='. Fills a (key
 * spelled probe.ID.KEY, one name for both spellings in run names,
 * sweep.tsv and the report) and returns 1; 0 when arg names no probe
 * (a schema key); -1 with err when it does but is malformed. */
static int probe_axis(sp_sweep_axis *a, const char *arg, const char *eq, sp_error *err)
{
    if (strncmp(arg, "probe", 5) != 0) return 0;
    const char *id;
    if (arg[5] == '.') id = arg + 6;
    else if (arg[5] == ' ' || arg[5] == '\t') id = arg + 5 + strspn(arg + 5, " \t");
    else return 0;
    const char *dot = id + strcspn(id, ".=");
    if (!eq || dot == id || *dot != '.' || dot + 1 >= eq)
        return sp_fail(err, "--vary '%s': expected 'probe ID.KEY=V1,V2,...' or probe.ID.KEY=V1,V2,... "
                            "(probe.noise.snr_db=0,10,20)", arg);
    a->section = sp_xasprintf("probe %.*s", (int)(dot - id), id);
    a->name = sp_xasprintf("%.*s", (int)(eq - dot - 1), dot + 1);
    a->key = sp_xasprintf("probe.%.*s.%s", (int)(dot - id), id, a->name);
    return 1;
}

static int is_probe_axis(const sp_sweep_axis *a)
{
    return !strncmp(a->section, "probe ", 6);
}

/* A schema key's axis SECTION.KEY: 0, or -1 with err when malformed. */
static int schema_axis(sp_sweep_axis *a, const char *arg, const char *eq, sp_error *err)
{
    const char *dot = strchr(arg, '.');
    if (!eq || !dot || dot > eq || dot == arg || dot + 1 == eq)
        return sp_fail(err, "--vary '%s': expected SECTION.KEY=V1,V2,... (train.batch=32,64)", arg);
    a->key = sp_xasprintf("%.*s", (int)(eq - arg), arg);
    a->section = sp_xasprintf("%.*s", (int)(dot - arg), arg);
    a->name = sp_xasprintf("%.*s", (int)(eq - dot - 1), dot + 1);
    return 0;
}

/* A probe axis is checked against the config's probes by sp_sweep_expand
 * (check_probe_axes), which has the config. */
static int parse_axis(sp_sweep *s, const char *arg, sp_error *err)
{
    const char *eq = strchr(arg, '=');
    sp_sweep_axis a = { 0 };
    int probe = probe_axis(&a, arg, eq, err);
    if (probe < 0 || (!probe && schema_axis(&a, arg, eq, err) != 0)) return -1;
    s->ax = sp_xrealloc(s->ax, (size_t)(s->nax + 1) * sizeof *s->ax);
    s->ax[s->nax++] = a; /* owned by s from here on, freed with it */
    if (!probe && !schema_has(a.section, a.name))
        return sp_fail(err, "unknown key '%s' in --vary: sincprobe.conf(5) lists the keys", a.key);
    if (!strcmp(a.key, "train.seed"))
        return sp_fail(err, "--vary '%s': give --seeds K instead (seeds [train] seed + 0 .. K-1)", a.key);
    if (!strcmp(a.key, "run.dir")) return sp_fail(err, "--vary '%s': the sweep names the run directories", a.key);
    for (int i = 0; i < s->nax - 1; i++)
        if (!strcmp(s->ax[i].key, a.key)) return sp_fail(err, "--vary '%s' is given twice", a.key);
    return axis_values(&s->ax[s->nax - 1], eq + 1, strchr(eq + 1, ';') ? ';' : ',', err);
}

int sp_sweep_axes(sp_sweep *s, const char *const *vary, int nvary, sp_error *err)
{
    for (int i = 0; i < nvary; i++)
        if (parse_axis(s, vary[i], err) != 0) return -1;
    return 0;
}

/* ---- one run's config */

/* Set section/key to value in ini, adding the entry when absent (line 0:
 * it comes from the command line). */
static void ini_set(sp_ini *ini, const char *section, const char *key, const char *value)
{
    for (size_t i = 0; i < ini->n; i++)
        if (!strcmp(ini->v[i].section, section) && !strcmp(ini->v[i].key, key)) {
            free(ini->v[i].value);
            ini->v[i].value = sp_xstrdup(value);
            ini->v[i].line = 0;
            return;
        }
    ini->v = sp_xrealloc(ini->v, (ini->n + 1) * sizeof *ini->v);
    ini->v[ini->n++] = (sp_ini_entry){ sp_xstrdup(section), sp_xstrdup(key), sp_xstrdup(value), 0 };
}

/* The first problem of d as err, prefixed by what (NULL: none): -1. */
static int diag_fail(const sp_diag *d, const char *what, sp_error *err)
{
    const sp_problem *p = &d->v[0];
    int rc = p->line ? sp_fail(err, "%s:%ld: %s", p->file, p->line, p->message) : sp_fail(err, "%s", p->message);
    return what ? sp_error_prefix(err, "%s: ", what) : rc;
}

/* The config with the values vi[] of the axes (NULL: none) resolved into
 * c; -1 with err naming what. */
static int resolve(const sp_sweep *s, const int *vi, sp_conf *c, const char *what, sp_error *err)
{
    sp_diag d;
    sp_diag_init(&d, 0);
    sp_ini ini;
    int rc = sp_ini_load(&ini, s->config, &d);
    if (rc == 0) {
        for (int a = 0; vi && a < s->nax; a++) ini_set(&ini, s->ax[a].section, s->ax[a].name, s->ax[a].v[vi[a]]);
        rc = sp_conf_resolve_file(c, &ini, &d);
    }
    if (rc != 0) rc = d.n ? diag_fail(&d, what, err) : sp_fail(err, "%s: cannot read '%s'", what, s->config);
    sp_ini_free(&ini);
    sp_diag_free(&d);
    return rc;
}

/* The layer names of c's network against the probes' layers options, as
 * train checks them (a model for a batch of 1, made and dropped). */
static int check_layers(const sp_probe_chain *ch, const sp_conf *c, sp_error *err)
{
    sp_model m;
    if (sp_model_init(&m, c, 1, err) != 0) return -1;
    int rc = sp_probe_chain_check_layers(ch, &m, err);
    sp_model_free(&m);
    return rc;
}

/* c's [probe ID] sections through train's path (run/train.c's
 * open_probes): resolved by the chain (each option's type and range),
 * the layers options checked against c's network when layers is set,
 * stored into c (every option filled in, relative paths made absolute
 * against the sweep config's folder, so that a run's config trains alone
 * from its configs/ folder), and the probes created (their create checks
 * what an option's type cannot: the noise probe's snr_db) in a chain then
 * dropped. dir: the run's directory; nothing is written. -1 with err,
 * "FILE:LINE: ..." as train would say it. */
static int probes_as_train(sp_conf *c, const char *dir, int layers, sp_error *err)
{
    if (!c->probes[0]) return 0;
    sp_diag d;
    sp_diag_init(&d, 0);
    sp_probe_chain *ch = sp_probe_chain_from_conf(c, &d);
    int rc = ch ? 0 : diag_fail(&d, NULL, err);
    if (rc == 0 && layers) rc = check_layers(ch, c, err);
    if (rc == 0) rc = sp_probe_chain_store(ch, c, err);
    char *probes = sp_path_join(dir, "probes");
    if (rc == 0) rc = sp_probe_chain_create(ch, SP_PROBE_MODE_TRAIN, probes, (uint64_t)c->seed, err);
    free(probes);
    sp_probe_chain_free(ch);
    sp_diag_free(&d);
    return rc;
}

/* msg without a leading "FILE:LINE: " before "[probe ID]": the line
 * would be that of an entry the command line changed. */
static const char *past_location(const char *msg)
{
    const char *p = strstr(msg, ": [probe ");
    return p ? p + 2 : msg;
}

/* The config with schema axis a's value set (in ini, its problems in d):
 * the command line's entries (line 0) are the value's. 0, or -1 with err. */
static int check_schema_value(const sp_sweep_axis *a, const char *v, sp_ini *ini, sp_diag *d, sp_error *err)
{
    sp_conf c;
    sp_conf_resolve(&c, ini, d);
    for (size_t i = 0; i < d->n; i++)
        if (d->v[i].line == 0)
            return sp_fail(err, "invalid value '%s' in --vary '%s': %s", v, a->key, d->v[i].message);
    return 0;
}

/* The config with probe axis a's value set, through train's path (the
 * layers options checked too): the base config's probes passed
 * (check_probe_axes), so a refusal is the value's. 0, or -1 with err. */
static int check_probe_value(const sp_sweep_axis *a, const char *v, sp_ini *ini, sp_diag *d, sp_error *err)
{
    sp_conf c;
    sp_error why;
    int rc = sp_conf_resolve_file(&c, ini, d) != 0 ? diag_fail(d, NULL, &why) : probes_as_train(&c, c.dir, 1, &why);
    if (rc != 0) sp_fail(err, "invalid value '%s' in --vary '%s': %s", v, a->key, past_location(why.msg));
    return rc;
}

/* Value v of axis a alone on the config: 0, or -1 with err. */
static int check_value(const sp_sweep *s, const sp_sweep_axis *a, const char *v, sp_error *err)
{
    sp_diag d;
    sp_diag_init(&d, 0);
    sp_ini ini;
    int rc = sp_ini_load(&ini, s->config, &d);
    if (rc != 0) rc = d.n ? diag_fail(&d, s->config, err) : sp_fail(err, "cannot read '%s'", s->config);
    else {
        ini_set(&ini, a->section, a->name, v);
        rc = (is_probe_axis(a) ? check_probe_value : check_schema_value)(a, v, &ini, &d, err);
    }
    sp_ini_free(&ini);
    sp_diag_free(&d);
    return rc;
}

/* Each value of each axis alone on the config: a bad value is named by
 * its --vary before any combination is tried. */
static int check_values(const sp_sweep *s, sp_error *err)
{
    for (int a = 0; a < s->nax; a++)
        for (int k = 0; k < s->ax[a].nv; k++) {
            const sp_sweep_axis *x = &s->ax[a];
            if (check_value(s, x, x->v[k], err) != 0) return -1;
        }
    return 0;
}

/* The probe axes against the config's [probe ID] sections, as resolved
 * by the chain: the section must be there and its probe must take the
 * key. 0; -1 with err when the config's probes are refused (the config
 * is at fault); -2 with err when an axis is (the command line is). */
static int check_probe_axes(const sp_sweep *s, const sp_conf *base, sp_error *err)
{
    int any = 0;
    for (int a = 0; a < s->nax; a++) any |= is_probe_axis(&s->ax[a]);
    if (!any) return 0;
    sp_diag d;
    sp_diag_init(&d, 0);
    sp_probe_chain *ch = base->probes[0] ? sp_probe_chain_from_conf(base, &d) : NULL;
    int rc = d.n ? diag_fail(&d, s->config, err) : 0;
    for (int a = 0; a < s->nax && rc == 0; a++) {
        sp_error why;
        const sp_sweep_axis *x = &s->ax[a];
        if (is_probe_axis(x) && sp_probe_chain_has_option(ch, x->section + 6, x->name, &why) != 0) {
            sp_fail(err, "unknown key '%s' in --vary: '%s': %s", x->key, s->config, why.msg);
            rc = -2;
        }
    }
    sp_probe_chain_free(ch);
    sp_diag_free(&d);
    return rc;
}

/* "train.batch=64": characters outside [A-Za-z0-9._+-] of the value
 * become '_' (a directory name, readable in a shell). */
static void name_part(char **name, const char *key, const char *value)
{
    char *v = sp_xstrdup(value);
    for (char *p = v; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("._+-", *p)))
            *p = '_';
    char *n = sp_xasprintf("%s%s%s=%s", *name ? *name : "", *name ? "," : "", key, v);
    free(*name);
    free(v);
    *name = n;
}

/* The config text of run r: the resolved config with its values, its
 * seed, its run directory, the corpus and the probes' paths absolute (so
 * that the run trains the same from any directory). */
static int run_text(const sp_sweep *s, sp_sweep_run *r, sp_error *err)
{
    sp_conf c;
    if (resolve(s, r->vi, &c, r->name, err) != 0) return -1;
    c.seed = r->seed;
    if (strlen(r->dir) >= sizeof c.dir) return sp_fail(err, "run directory '%s' is too long", r->dir);
    snprintf(c.dir, sizeof c.dir, "%s", r->dir);
    if (probes_as_train(&c, r->dir, 0, err) != 0) return sp_error_prefix(err, "%s: ", r->name);
    size_t len = 0;
    FILE *f = open_memstream(&r->text, &len);
    if (!f) return sp_fail_oom(err, 0);
    fprintf(f, "# run %s of the sweep of '%s' (sincprobe sweep); train it alone with\n#   sincprobe train %s\n",
            r->name, s->config, r->conf);
    sp_conf_write(f, &c);
    if (fclose(f) != 0) return sp_fail_oom(err, len);
    return 0;
}

/* ---- the grid */

static char *absolute(const char *path)
{
    if (path[0] == '/') return sp_xstrdup(path);
    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) return sp_xstrdup(path);
    return sp_path_join(cwd, path);
}

/* Run i's values: i in mixed radix, the seed the last digit. */
static void run_make(sp_sweep *s, int i)
{
    sp_sweep_run *r = &s->run[i];
    r->vi = sp_xcalloc((size_t)(s->nax ? s->nax : 1), sizeof *r->vi);
    int q = i / s->seeds;
    r->seed = s->seed0 + i % s->seeds;
    for (int a = s->nax - 1; a >= 0; a--) {
        r->vi[a] = q % s->ax[a].nv;
        q /= s->ax[a].nv;
    }
    for (int a = 0; a < s->nax; a++) name_part(&r->name, s->ax[a].key, s->ax[a].v[r->vi[a]]);
    char seed[32];
    snprintf(seed, sizeof seed, "%ld", r->seed);
    name_part(&r->name, "seed", seed);
    r->dir = sp_path_join(s->out, r->name);
    char *confs = sp_path_join(s->out, "configs");
    r->conf = sp_xasprintf("%s/%s.conf", confs, r->name);
    free(confs);
}

/* A run already in its directory must be of the config it gets now. */
static int check_existing(const sp_sweep_run *r, sp_error *err)
{
    if (sp_sweep_state(r) == SP_RUN_NEW || !sp_is_file(r->conf)) return 0;
    size_t len;
    char *old = sp_read_file(r->conf, &len, err);
    if (!old) return -1;
    int same = !strcmp(old, r->text);
    free(old);
    if (!same)
        return sp_fail(err, "'%s' holds a run of another config than '%s' would now be; give another --out", r->dir,
                       r->conf);
    return 0;
}

int sp_sweep_expand(sp_sweep *s, const char *config, const char *out, int seeds, sp_error *err)
{
    s->config = sp_xstrdup(config);
    s->seeds = seeds;
    sp_conf base;
    if (resolve(s, NULL, &base, config, err) != 0) return -1;
    int rc = check_probe_axes(s, &base, err);
    if (rc != 0) return rc;
    if (check_values(s, err) != 0) return -2;
    s->seed0 = base.seed;
    s->threads = base.threads;
    s->out = absolute(out ? out : base.dir);
    long n = seeds;
    for (int a = 0; a < s->nax; a++) {
        n *= s->ax[a].nv;
        if (n > 100000) return sp_fail(err, "the grid has more than 100000 runs"), -2;
    }
    s->run = sp_xcalloc((size_t)n, sizeof *s->run);
    s->n = (int)n;
    for (int i = 0; i < s->n; i++) {
        run_make(s, i);
        if (strlen(s->run[i].name) > 200)
            return sp_fail(err, "run name '%s' is longer than 200 characters; vary fewer keys or shorter values",
                           s->run[i].name), -2;
        for (int j = 0; j < i; j++)
            if (!strcmp(s->run[j].name, s->run[i].name))
                return sp_fail(err, "two runs would be named '%s': values that differ only in characters other "
                                    "than [A-Za-z0-9._+-]", s->run[i].name), -2;
        if (run_text(s, &s->run[i], err) != 0) return -2; /* the base resolved: the values do not go together */
        if (check_existing(&s->run[i], err) != 0) return -1;
    }
    return 0;
}

/* ---- the files */

static int write_text(const char *path, const char *text, sp_error *err)
{
    sp_atomic_file af;
    if (sp_atomic_open(&af, path, err) != 0) return -1;
    fputs(text, af.f);
    return sp_atomic_commit(&af, err);
}

/* path with text, unless it has it already (its time then says when the
 * run's config was made). */
static int write_if_changed(const char *path, const char *text, sp_error *err)
{
    if (sp_is_file(path)) {
        size_t len;
        sp_error ignore;
        char *old = sp_read_file(path, &len, &ignore);
        int same = old && !strcmp(old, text);
        free(old);
        if (same) return 0;
    }
    return write_text(path, text, err);
}

static int write_index(const sp_sweep *s, sp_error *err)
{
    char *tsv = NULL, *list = NULL;
    size_t tl = 0, ll = 0;
    FILE *t = open_memstream(&tsv, &tl), *l = open_memstream(&list, &ll);
    if (!t || !l) return sp_fail_oom(err, 0);
    fputs("run\tname", t);
    for (int a = 0; a < s->nax; a++) fprintf(t, "\t%s", s->ax[a].key);
    fputs("\tseed\n", t);
    for (int i = 0; i < s->n; i++) {
        const sp_sweep_run *r = &s->run[i];
        fprintf(t, "%d\t%s", i, r->name);
        for (int a = 0; a < s->nax; a++) fprintf(t, "\t%s", s->ax[a].v[r->vi[a]]);
        fprintf(t, "\t%ld\n", r->seed);
        fprintf(l, "%s\n", r->name);
    }
    fclose(t);
    fclose(l);
    char *pt = sp_path_join(s->out, "sweep.tsv"), *pl = sp_path_join(s->out, "runs.list");
    int rc = write_text(pt, tsv, err);
    if (rc == 0) rc = write_text(pl, list, err);
    free(pt);
    free(pl);
    free(tsv);
    free(list);
    return rc;
}

int sp_sweep_write(const sp_sweep *s, sp_error *err)
{
    char *confs = sp_path_join(s->out, "configs"), *logs = sp_path_join(s->out, "logs");
    int rc = sp_mkdirs(confs, err);
    if (rc == 0) rc = sp_mkdirs(logs, err);
    for (int i = 0; i < s->n && rc == 0; i++) rc = write_if_changed(s->run[i].conf, s->run[i].text, err);
    if (rc == 0) rc = write_index(s, err);
    free(confs);
    free(logs);
    return rc;
}

sp_run_state sp_sweep_state(const sp_sweep_run *r)
{
    char *fin = sp_path_join(r->dir, "finished.tsv"), *last = sp_path_join(r->dir, "checkpoints/last.ckpt");
    sp_run_state st = sp_is_file(fin) ? SP_RUN_FINISHED : sp_is_file(last) ? SP_RUN_PARTIAL : SP_RUN_NEW;
    free(fin);
    free(last);
    return st;
}

void sp_sweep_free(sp_sweep *s)
{
    for (int a = 0; a < s->nax; a++) {
        for (int k = 0; k < s->ax[a].nv; k++) free(s->ax[a].v[k]);
        free(s->ax[a].v);
        free(s->ax[a].key);
        free(s->ax[a].section);
        free(s->ax[a].name);
    }
    free(s->ax);
    for (int i = 0; i < s->n; i++) {
        free(s->run[i].name);
        free(s->run[i].dir);
        free(s->run[i].conf);
        free(s->run[i].vi);
        free(s->run[i].text);
    }
    free(s->run);
    free(s->config);
    free(s->out);
    memset(s, 0, sizeof *s);
}
