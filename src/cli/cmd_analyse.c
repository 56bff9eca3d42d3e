/* cmd_analyse.c - `sincprobe analyse KIND ACTIVATIONS.npy LABELS --out DIR`:
 * the analysis probes (mi, tsne, pca, linsep) on a matrix saved from any
 * network.
 *
 * The command runs the very probe a training run would (probe_host.c's
 * sp_probe_chain_analyse, probe ABI 2's analyse mode), so the options are
 * the probe's own (--bins 30 is `bins = 30` of a [probe] section) and the
 * files in DIR are the ones the probe writes into its folder of a run.
 * The matrix is one layer named after the file; the probe sees it as the
 * activations of epoch 0. --json prints the probe's summary table
 * (KIND.tsv: mi.tsv, tsne.tsv, pca.tsv, linsep.tsv) as JSON: its first
 * row's columns as members (mi: i_xt, i_ty; tsne: kl, trustworthiness,
 * knn_preservation; pca: explained_variance; linsep: accuracy) and every
 * row under "rows". */
#include "config.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "base/diag.h"
#include "base/ini.h"
#include "base/json.h"
#include "base/npy.h"
#include "corpus/phoneset.h"
#include "probe/probe_host.h"
#include "run/rundir.h"
#include "base/util.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
    "sincprobe analyse mi|tsne|pca|linsep ACTIVATIONS.npy LABELS --out DIR [--json] [--classes FILE|timit48] [--layer NAME] [--seed N] [--OPTION VALUE ...]",
    "",
    "  ACTIVATIONS.npy        an N x D float32 or float64 matrix (one row per example;",
    "                         a vector is N x 1)",
    "  LABELS                 N integer labels >= 0: a .npy vector (int32, int64 or",
    "                         integral floats) or a text file, one per line",
    "  --out DIR              the folder for the probe's files (made if missing)",
    "  --json                 print the probe's summary as one JSON object",
    "  --classes timit48      the labels are sincprobe's 48 training phones (names,",
    "                         broad classes in the plots)",
    "  --classes FILE         class names, one per line, label 0 first",
    "  --layer NAME           the name the outputs use (default: the file's name)",
    "  --seed N               the seed of the probe's random choices (default 1)",
    "  --OPTION VALUE         any option of the probe (sincprobe plugins KIND lists",
    "                         them; --log-steps is log_steps); --OPTION=VALUE also works",
    NULL,
};

static const char *const kinds[] = { "mi", "tsne", "pca", "linsep", NULL };

/* The matrix as float32 [N][D]; rank 1 is N x 1. The probes compute on
 * float32 activations (the probe ABI's layer view), so a float64 matrix
 * is rounded to float32 here, and the user is told so once. */
static float *load_matrix(const char *path, long *N, long *D, sp_error *err)
{
    sp_npy_dtype t;
    int rank;
    long shape[SP_NPY_MAXRANK];
    void *raw = sp_npy_read(path, &t, &rank, shape, err);
    if (!raw) return NULL;
    if (rank != 1 && rank != 2) {
        free(raw);
        sp_fail(err, "'%s': expected an N x D matrix, got an array of rank %d", path, rank);
        return NULL;
    }
    *N = shape[0];
    *D = rank == 2 ? shape[1] : 1;
    if (*N < 2 || *D < 1) {
        free(raw);
        sp_fail(err, "'%s': expected at least 2 rows and 1 column, got %ld x %ld", path, *N, *D);
        return NULL;
    }
    size_t n = (size_t)*N * (size_t)*D, rounded = 0;
    float *X = sp_xmalloc(n * sizeof *X);
    for (size_t i = 0; i < n; i++) {
        double v = t == SP_NPY_F32 ? ((float *)raw)[i] : t == SP_NPY_F64 ? ((double *)raw)[i] : ((int32_t *)raw)[i];
        if (!isfinite(v) || fabs(v) > 3.0e38) {
            sp_fail(err, "'%s': element [%zu][%zu] is %s: expected finite numbers", path, i / (size_t)*D,
                    i % (size_t)*D, isfinite(v) ? "out of float32 range" : "not finite");
            free(raw);
            free(X);
            return NULL;
        }
        X[i] = (float)v;
        rounded += (double)X[i] != v;
    }
    free(raw);
    if (t == SP_NPY_F64)
        sp_log_note("'%s' is float64: converted to float32, as the probes compute in float32 (%zu of %zu values "
                    "rounded to the nearest float32); the results are those of its float32 cast",
                    path, rounded, n);
    return X;
}

/* N labels from a .npy vector or a text file (one integer per line; blank
 * lines and '#' comments skipped). */
static int *load_labels(const char *path, long *n, sp_error *err)
{
    if (sp_endswith_ci(path, ".npy")) {
        sp_npy_dtype t;
        int rank;
        long shape[SP_NPY_MAXRANK];
        void *raw = sp_npy_read(path, &t, &rank, shape, err);
        if (!raw) return NULL;
        if (!(rank == 1 || (rank == 2 && shape[1] == 1))) {
            free(raw);
            sp_fail(err, "'%s': expected a vector of labels, got an array of rank %d", path, rank);
            return NULL;
        }
        *n = shape[0];
        int *y = sp_xmalloc((size_t)(*n ? *n : 1) * sizeof *y);
        for (long i = 0; i < *n; i++) {
            double v = t == SP_NPY_F32 ? ((float *)raw)[i] : t == SP_NPY_F64 ? ((double *)raw)[i] : ((int32_t *)raw)[i];
            if (!(v >= 0 && v <= 1e6 && v == floor(v))) {
                sp_fail(err, "'%s': label %ld is %g: expected an integer in 0 .. 1000000", path, i, v);
                free(raw);
                free(y);
                return NULL;
            }
            y[i] = (int)v;
        }
        free(raw);
        return y;
    }
    size_t len;
    char *text = sp_read_file(path, &len, err);
    if (!text) return NULL;
    long cap = 1024, k = 0, line = 0;
    int *y = sp_xmalloc((size_t)cap * sizeof *y);

    for (char *s = text, *nl; s && *s; s = nl) {
        nl = strchr(s, '\n');
        if (nl) *nl++ = '\0';
        line++;
        char *hash = strchr(s, '#');
        if (hash) *hash = '\0';
        char *w = sp_strtrim(s);
        if (!*w) continue;
        long v;
        if (sp_parse_long(w, 0, 1000000, &v) != 0) {
            sp_fail(err, "%s:%ld: '%s' is not a label: expected an integer in 0 .. 1000000", path, line, w);
            free(text);
            free(y);
            return NULL;
        }
        if (k == cap) y = sp_xrealloc(y, (size_t)(cap *= 2) * sizeof *y);
        y[k++] = (int)v;
    }
    free(text);
    *n = k;
    return y;
}

/* Class names: the 48 phones, a file's lines, or "0", "1", ... */
static char **class_names(const char *spec, int nclasses, sp_error *err)
{
    char **names = sp_xcalloc((size_t)nclasses, sizeof *names);
    if (spec && !strcmp(spec, "timit48")) {
        sp_phoneset ps;
        if (sp_phoneset_load_default(&ps, err) != 0) goto bad;
        if (nclasses > ps.n48) {
            sp_fail(err, "--classes timit48: label %d is not one of the 48 phones (0 .. 47)", nclasses - 1);
            goto bad;
        }
        for (int i = 0; i < nclasses; i++) names[i] = sp_xstrdup(ps.name48[i]);
        return names;
    }
    if (spec) {
        size_t len;
        char *text = sp_read_file(spec, &len, err);
        if (!text) goto bad;
        int k = 0;
        long line = 0;
        for (char *s = text, *nl; s && *s && k < nclasses; s = nl) {
            nl = strchr(s, '\n');
            if (nl) *nl++ = '\0';
            line++;
            char *w = sp_strtrim(s);
            if (!*w) continue;
            if (strpbrk(w, "\t")) {
                sp_fail(err, "%s:%ld: a class name cannot hold a tab", spec, line);
                free(text);
                goto bad;
            }
            names[k++] = sp_xstrdup(w);
        }
        free(text);
        if (k < nclasses) {
            sp_fail(err, "'%s' names %d classes, but the labels go up to %d", spec, k, nclasses - 1);
            goto bad;
        }
        return names;
    }
    for (int i = 0; i < nclasses; i++) names[i] = sp_xasprintf("%d", i);
    return names;
bad:
    for (int i = 0; i < nclasses; i++) free(names[i]);
    free(names);
    return NULL;
}

/* The layer name outputs use: the file name without directories and
 * ".npy", with anything but [A-Za-z0-9_-] made '_'. */
static char *layer_name(const char *path)
{
    const char *b = strrchr(path, '/');
    char *s = sp_xstrdup(b ? b + 1 : path);
    if (sp_endswith_ci(s, ".npy")) s[strlen(s) - 4] = '\0';
    if (!*s) {
        free(s);
        return sp_xstrdup("input");
    }
    for (char *p = s; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-') *p = '_';
    return s;
}

/* --json: KIND.tsv of DIR as one object (first row's columns, "rows"). */
static int print_json(const char *kind, const char *dir, const char *layer, long N, long D, sp_error *err)
{
    char *name = sp_xasprintf("%s.tsv", kind);
    char *path = sp_path_join(dir, name);
    free(name);
    size_t len;
    char *text = sp_read_file(path, &len, err);
    if (!text) {
        free(path);
        return -1;
    }
    /* Split into lines and tab-separated cells. */
    char **cells = NULL;
    long ncells = 0, nrows = 0, ncols = 0;
    for (char *s = text, *nl; s && *s; s = nl) {
        nl = strchr(s, '\n');
        if (nl) *nl++ = '\0';
        if (!*s) continue;
        long k = 0;
        for (char *c = s, *tab; c; c = tab, k++) {
            tab = strchr(c, '\t');
            if (tab) *tab++ = '\0';
            cells = sp_xrealloc(cells, (size_t)(ncells + 1) * sizeof *cells);
            cells[ncells++] = c;
        }
        if (!nrows) ncols = k;
        else if (k != ncols) {
            sp_fail(err, "%s:%ld: %ld columns, the header has %ld", path, nrows + 1, k, ncols);
            free(cells);
            free(text);
            free(path);
            return -1;
        }
        nrows++;
    }
    if (nrows < 2) {
        sp_fail(err, "'%s' has no rows: the probe wrote no results", path);
        free(cells);
        free(text);
        free(path);
        return -1;
    }
    sp_json j;
    sp_json_init(&j, stdout, 1);
    sp_json_begin_object(&j, NULL);
    sp_json_string(&j, "analysis", kind);
    sp_json_string(&j, "layer", layer);
    sp_json_long(&j, "rows_in", N);
    sp_json_long(&j, "columns_in", D);
    sp_json_string(&j, "out", dir);
    for (int pass = 0; pass < 2; pass++) {
        if (pass) sp_json_begin_array(&j, "rows");
        for (long r = 1; r < (pass ? nrows : 2); r++) {
            if (pass) sp_json_begin_object(&j, NULL);
            for (long c = 0; c < ncols; c++) {
                const char *key = cells[c], *v = cells[r * ncols + c];
                if (!pass && !strcmp(key, "layer")) continue; /* already a member */
                char *end;
                double x = strtod(v, &end);
                if (*v && !*end) sp_json_double(&j, key, x);
                else sp_json_string(&j, key, v);
            }
            if (pass) sp_json_end_object(&j);
        }
        if (pass) sp_json_end_array(&j);
    }
    sp_json_end_object(&j);
    sp_json_finish(&j);
    free(cells);
    free(text);
    free(path);
    return 0;
}

/* ---- the arguments */

typedef struct {
    const char *kind, *act, *labels, *out, *classes, *layer;
    int json;
    long seed;
    sp_opt_pairs probe_opts; /* --OPTION VALUE: the probe's own */
    char *section;           /* "[probe KIND]", "use = KIND", then probe_opts[k] on line 3 + k */
} analyse_args;

static void args_free(analyse_args *a)
{
    sp_opt_pairs_free(&a->probe_opts);
    free(a->section);
}

/* The probe's options as "key = value" lines of a [probe KIND] section
 * (--log-steps is log_steps). -1, or the exit status of a usage error. */
static int probe_section(analyse_args *a)
{
    a->section = sp_xasprintf("[probe %s]\nuse = %s\n", a->kind, a->kind);
    for (size_t k = 0; k < a->probe_opts.n; k++) {
        const sp_opt_pair *p = &a->probe_opts.v[k];
        char *key = sp_xasprintf("%.*s", (int)p->namelen, p->name);
        if (!strcmp(key, "use") || !strcmp(key, "probe_frames") || strchr(p->value, '\n') || !*key) {
            free(key);
            return sp_usage_error(usage, "'%s' is not an option of the %s probe", p->arg, a->kind);
        }
        for (char *c = key; *c; c++)
            if (*c == '-') *c = '_';
        char *s2 = sp_xasprintf("%s%s = %s\n", a->section, key, p->value);
        free(a->section);
        free(key);
        a->section = s2;
    }
    return -1;
}

/* -1 to go on, or the exit status. */
static int parse_args(analyse_args *a, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->seed = 1;
    if (argc < 2) return sp_usage_error(usage, "which analysis: mi, tsne, pca or linsep");
    if (sp_is_help(argv[1])) {
        sp_usage_print(stdout, usage);
        return SP_EXIT_OK;
    }
    a->kind = argv[1];
    int known = 0;
    for (int i = 0; kinds[i]; i++) known |= !strcmp(kinds[i], a->kind);
    char near[128];
    if (!known)
        return sp_usage_error(usage, "unknown analysis '%s': expected mi, tsne, pca or linsep%s", a->kind,
                              sp_did_you_mean(near, sizeof near, a->kind, kinds));

    sp_opt opts[] = {
        SP_OPT_STRING("--out", &a->out),
        SP_OPT_FLAG("--json", &a->json),
        SP_OPT_STRING("--classes", &a->classes),
        SP_OPT_STRING("--layer", &a->layer),
        SP_OPT_LONG("--seed", &a->seed, 0, LONG_MAX),
        SP_OPT_OTHER(&a->probe_opts),
        SP_OPT_END,
    };
    /* argv[1], KIND, stands as the command's name */
    int status, nargs = sp_opt_parse(usage, opts, 2, argc - 1, argv + 1, &status);
    if (nargs < 0) return status;
    if ((status = probe_section(a)) >= 0) return status;
    a->act = nargs > 0 ? argv[2] : NULL;
    a->labels = nargs > 1 ? argv[3] : NULL;
    if (!a->act || !a->labels || !a->out)
        return sp_usage_error(usage, "%s",
                              !a->act ? "no ACTIVATIONS.npy given" : !a->labels ? "no LABELS given" : "--out DIR is required");
    return -1;
}

/* ---- the probe, first: a bad option is refused before the data is read */

/* The name of the [probe KIND] section analyse makes of the options: the
 * "file" the probe host's messages name; print_hook_error puts the
 * options as typed in its place. */
#define SECTION_NAME "sincprobe analyse"

/* The option as typed that is line `line` of the section, or NULL. */
static const char *option_at(const analyse_args *a, long line)
{
    return line >= 3 && (size_t)(line - 3) < a->probe_opts.n ? a->probe_opts.v[line - 3].arg : NULL;
}

/* A hook's failure as the probe host words it for a config,
 * "sincprobe analyse:LINE: [probe KIND] ('FILE'): HOOK: MESSAGE"
 * (sp_probe_hook_fail), in the words of the command line: "KIND --OPTION:
 * MESSAGE" when LINE is an option's, else "KIND: HOOK: MESSAGE" (create's
 * name dropped: that is the options' check). Other messages as they are. */
static void print_hook_error(const analyse_args *a, const char *msg)
{
    static const char name[] = SECTION_NAME ":";
    const char *rest = strstr(msg, "): ");
    if (strncmp(msg, name, sizeof name - 1) != 0 || !rest) {
        sp_errorf("%s", msg);
        return;
    }
    long line = strtol(msg + sizeof name - 1, NULL, 10);
    rest += 3;
    if (!strncmp(rest, "create: ", 8)) rest += 8;
    const char *opt = option_at(a, line);
    if (!opt) {
        sp_errorf("%s: %s", a->kind, rest);
        return;
    }
    /* "--bins" typed, "bins: ..." said: the key once */
    size_t klen = strcspn(opt + 2, "=");
    if (!strncmp(rest, opt + 2, klen) && !strncmp(rest + klen, ": ", 2)) rest += klen + 2;
    sp_errorf("%s %.*s: %s", a->kind, (int)(klen + 2), opt, rest);
}

/* The chain of the one probe; NULL with the problems printed, naming
 * the option as typed: "[probe mi] bins: ..." -> "mi --bins VALUE: ...". */
static sp_probe_chain *probe_chain(const analyse_args *a, sp_ini *ini)
{
    sp_probe_chain *ch = NULL;
    sp_diag d;
    sp_diag_init(&d, 0);
    if (sp_ini_parse(ini, SECTION_NAME, a->section, &d) == 0) ch = sp_probe_chain_resolve(ini, &d);
    if (d.n || !ch) {
        for (size_t k = 0; k < d.n; k++) {
            const sp_problem *p = &d.v[k];
            const char *m = p->message;
            if (!strncmp(m, "[probe ", 7) && strstr(m, "] ")) m = strstr(m, "] ") + 2;
            if (option_at(a, p->line)) sp_errorf("%s %s: %s", a->kind, option_at(a, p->line), m);
            else sp_errorf("%s: %s", a->kind, m);
        }
        if (!d.n) sp_errorf("%s: the probe could not be set up", a->kind);
        sp_probe_chain_free(ch);
        ch = NULL;
    }
    sp_diag_free(&d);
    return ch;
}

/* ---- the data, the analysis, its summary */

typedef struct {
    float *X;      /* [N][D] */
    long N, D;
    int *y;        /* [N] */
    int nclasses;
    char **names;  /* [nclasses] */
    char *layer;
} analyse_data;

static void data_free(analyse_data *dt)
{
    for (int i = 0; dt->names && i < dt->nclasses; i++) free(dt->names[i]);
    free(dt->names);
    free(dt->layer);
    free(dt->X);
    free(dt->y);
}

/* The matrix, the labels, the class names. 0, or -1 with err. */
static int load_data(const analyse_args *a, analyse_data *dt, sp_error *err)
{
    long ny = 0;
    dt->X = load_matrix(a->act, &dt->N, &dt->D, err);
    if (!dt->X) return -1;
    dt->y = load_labels(a->labels, &ny, err);
    if (!dt->y) return -1;
    if (ny != dt->N) return sp_fail(err, "'%s' has %ld rows but '%s' has %ld labels", a->act, dt->N, a->labels, ny);
    for (long i = 0; i < dt->N; i++)
        if (dt->y[i] + 1 > dt->nclasses) dt->nclasses = dt->y[i] + 1;
    dt->names = class_names(a->classes, dt->nclasses, err);
    if (!dt->names) return -1;
    dt->layer = a->layer ? sp_xstrdup(a->layer) : layer_name(a->act);
    return 0;
}

/* KIND.tsv of the output folder on stdout, as written. */
static int print_tsv(const analyse_args *a, sp_error *err)
{
    char *name = sp_xasprintf("%s.tsv", a->kind);
    char *path = sp_path_join(a->out, name);
    size_t len;
    char *text = sp_read_file(path, &len, err);
    if (text) fputs(text, stdout);
    int rc = text ? 0 : -1;
    free(text);
    free(path);
    free(name);
    return rc;
}

/* Run the probe (created) on the data and print its summary. 0, or -1
 * with err. */
static int run(const analyse_args *a, sp_probe_chain *ch, analyse_data *dt, int *made_out, sp_error *err)
{
    *made_out = !sp_is_dir(a->out);
    if (sp_mkdirs(a->out, err) != 0) return -1;
    sp_log_info("analyse %s: %ld x %ld from '%s', %d classes; writing '%s'", a->kind, dt->N, dt->D, a->act,
                dt->nclasses, a->out);
    sp_probe_analysis an = { dt->layer, a->out, dt->X, dt->N, dt->D, dt->y, dt->nclasses,
                             (const char *const *)dt->names };
    double t0 = sp_now();
    if (sp_probe_chain_analyse(ch, &an, err) != 0) return -1;
    sp_log_info("analyse %s: done in %.1f s", a->kind, sp_now() - t0);
    if (a->json) return print_json(a->kind, a->out, dt->layer, dt->N, dt->D, err);
    return print_tsv(a, err);
}

int cmd_analyse(int argc, char **argv)
{
    analyse_args a;
    int rc = parse_args(&a, argc, argv);
    if (rc >= 0) {
        args_free(&a);
        return rc;
    }
    sp_ini ini;
    memset(&ini, 0, sizeof ini);
    sp_probe_chain *ch = probe_chain(&a, &ini);
    rc = SP_EXIT_USAGE;
    sp_error err = { "" };
    /* the probe's own check of its options (create), before any file:
     * a value it refuses is a usage error */
    if (ch && sp_probe_chain_create(ch, SP_PROBE_MODE_ANALYSE, a.out, (uint64_t)a.seed, &err) != 0) {
        print_hook_error(&a, err.msg);
    } else if (ch) {
        analyse_data dt;
        memset(&dt, 0, sizeof dt);
        rc = SP_EXIT_OK;
        int made_out = 0;
        if (load_data(&a, &dt, &err) != 0 || run(&a, ch, &dt, &made_out, &err) != 0) {
            print_hook_error(&a, err.msg);
            rc = SP_EXIT_FAIL;
            /* an option the probe could check only against the data (its
             * on_start: a --pair class the labels lack) is a usage error,
             * and the --out folder made for it goes (the probe's empty log) */
            if (sp_probe_chain_refused(ch)) {
                rc = SP_EXIT_USAGE;
                if (made_out) sp_rundir_remove_new(a.out);
            }
        }
        data_free(&dt);
    }
    sp_probe_chain_free(ch);
    sp_ini_free(&ini);
    args_free(&a);
    return rc;
}
