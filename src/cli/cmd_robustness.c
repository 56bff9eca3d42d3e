/* cmd_robustness.c - `sincprobe robustness`: every model under every test
 * condition (clean, and noise types at SNRs), scored as `eval` scores
 * (run/scoring.h), into a PER/FER table (TSV and JSON, written atomically
 * after each cell so that an interrupted grid resumes where it stopped),
 * a printed table with the models as rows, the Aurora-style summary (PER
 * per noise type per SNR and its mean over 0-20 dB) and a figure of PER
 * against SNR. */
#include "config.h"
#include "cli/cli.h"
#include "cli/conditions.h"
#include "cli/opt.h"
#include "run/scoring.h"
#include "decode/phonedecoder.h"
#include "corpus/timit.h"
#include "plot/plot.h"
#include "base/json.h"
#include "base/util.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
    "sincprobe robustness MODEL ... [--conditions LIST]... [--condition SPEC]... [--split S] [--out DIR]",
    "",
    "  MODEL              a checkpoint, or a run directory (its best checkpoint)",
    "  --conditions LIST  comma-separated conditions: clean, TYPE@SNR[:SNR...], TYPE:ARG@SNR...;",
    "                     an item without '@' takes the next item's SNRs:",
    "                     clean,white,pink,babble@20:10:5:0:-5  band:1200-1600+1800-2100@0",
    "                     tone:1000@10  babble:8@5  file:cafe.wav@10:0  white+pink+babble@5",
    "                     (repeatable)",
    "  --condition SPEC   one condition as eval --noise takes it: type=babble,k=8,snr_db=5",
    "                     (repeatable)",
    "  --split S          dev, core, test, train or all (default: core)",
    "  --out DIR          where the table, summary and figure go (default: robustness)",
    NULL,
};

/* ------------------------------------------------------------------------
 * The table: one row per model x condition x split
 * ---------------------------------------------------------------------- */

enum {
    C_MODEL, C_CONDITION, C_TYPE, C_SNR, C_PER, C_FER, C_FER39, C_SUB, C_DEL, C_INS, C_REF, C_FRAMES, C_UTTS,
    C_LOSS, C_SPLIT, C_NOISE, C_SPEC, C_CKPT, C_SUM, C_SECONDS, NCOL
};
static const char *const columns[NCOL] = {
    "model", "condition", "type", "snr_db", "per", "fer", "fer39", "substitutions", "deletions", "insertions",
    "reference_phones", "frames", "utterances", "loss", "split", "noise", "spec", "checkpoint", "checksum",
    "seconds",
};

/* A row as text, column by column (what the TSV holds), with the
 * numbers the table and figure need. */
typedef struct {
    char *f[NCOL];
    double per, fer, snr;
} row;

typedef struct {
    row *v;
    size_t n;
    char *path, *json_path;
} table;

static void row_free(row *r)
{
    for (int k = 0; k < NCOL; k++) free(r->f[k]);
}

static void table_free(table *t)
{
    for (size_t i = 0; i < t->n; i++) row_free(&t->v[i]);
    free(t->v);
    free(t->path);
    free(t->json_path);
}

/* A number of a field: NaN when empty or not one. */
static double field_number(const char *s)
{
    char *end;
    double x = strtod(s, &end);
    return *s && end != s && !*end ? x : NAN;
}

static void row_numbers(row *r)
{
    r->per = field_number(r->f[C_PER]);
    r->fer = field_number(r->f[C_FER]);
    r->snr = field_number(r->f[C_SNR]);
}

/* Split line (no newline) on tabs into the columns of header map
 * (map[k]: the index of column k in the line, -1 when absent). */
static int parse_line(char *line, const int *map, int nfields, row *r)
{
    char *fields[NCOL * 2];
    int n = 0;
    for (char *p = line;; n++) {
        if (n == nfields) return -1;
        fields[n] = p;
        char *tab = strchr(p, '\t');
        if (!tab) break;
        *tab = '\0';
        p = tab + 1;
    }
    if (n + 1 != nfields) return -1;
    memset(r, 0, sizeof *r);
    for (int k = 0; k < NCOL; k++) r->f[k] = sp_xstrdup(map[k] >= 0 ? fields[map[k]] : "");
    row_numbers(r);
    return 0;
}

/* The header line: map each known column to its index. */
static int parse_header(char *line, int *map, int *nfields, const char *path, sp_error *err)
{
    for (int k = 0; k < NCOL; k++) map[k] = -1;
    int n = 0;
    for (char *p = line; p; n++) {
        char *tab = strchr(p, '\t');
        if (tab) *tab = '\0';
        for (int k = 0; k < NCOL; k++)
            if (!strcmp(p, columns[k])) map[k] = n;
        p = tab ? tab + 1 : NULL;
    }
    *nfields = n;
    static const int need[] = { C_MODEL, C_CONDITION, C_PER, C_FER, C_SPLIT, C_SPEC, C_SUM };
    for (size_t i = 0; i < sizeof need / sizeof *need; i++)
        if (map[need[i]] < 0)
            return sp_fail(err, "%s:1: no column '%s': not a table of sincprobe robustness (move it away to start anew)",
                           path, columns[need[i]]);
    if (n > NCOL * 2) return sp_fail(err, "%s:1: %d columns, more than a robustness table has", path, n);
    return 0;
}

/* The rows of an earlier run from t->path, when it exists. */
static int table_load(table *t, sp_error *err)
{
    if (!sp_is_file(t->path)) return 0;
    size_t len;
    char *text = sp_read_file(t->path, &len, err);
    if (!text) return -1;
    int map[NCOL], nfields = 0, rc = 0;
    long lineno = 0;
    for (char *p = text, *nl; p && *p && rc == 0; p = nl ? nl + 1 : NULL) {
        nl = strchr(p, '\n');
        if (nl) *nl = '\0';
        if (++lineno == 1) {
            rc = parse_header(p, map, &nfields, t->path, err);
            continue;
        }
        if (!*p) continue;
        row r;
        if (parse_line(p, map, nfields, &r) != 0) {
            rc = sp_fail(err, "%s:%ld: expected %d tab-separated fields as in its header", t->path, lineno, nfields);
            break;
        }
        t->v = sp_xrealloc(t->v, (t->n + 1) * sizeof *t->v);
        t->v[t->n++] = r;
    }
    free(text);
    return rc;
}

/* The row of (checksum, spec, split), or NULL. */
static row *table_find(table *t, const char *sum, const char *spec, const char *split)
{
    for (size_t i = 0; i < t->n; i++) {
        row *r = &t->v[i];
        if (!strcmp(r->f[C_SUM], sum) && !strcmp(r->f[C_SPEC], spec) && !strcmp(r->f[C_SPLIT], split)) return r;
    }
    return NULL;
}

/* A field as the TSV can hold it: tabs and newlines become spaces. */
static void put_field(FILE *f, const char *s, int last)
{
    for (; *s; s++) fputc(*s == '\t' || *s == '\n' || *s == '\r' ? ' ' : *s, f);
    fputc(last ? '\n' : '\t', f);
}

static int table_write_tsv(const table *t, sp_error *err)
{
    sp_atomic_file af;
    if (sp_atomic_open(&af, t->path, err) != 0) return -1;
    for (int k = 0; k < NCOL; k++) put_field(af.f, columns[k], k == NCOL - 1);
    for (size_t i = 0; i < t->n; i++)
        for (int k = 0; k < NCOL; k++) put_field(af.f, t->v[i].f[k], k == NCOL - 1);
    return sp_atomic_commit(&af, err);
}

/* ------------------------------------------------------------------------
 * The grid: models x conditions on one split
 * ---------------------------------------------------------------------- */

typedef struct {
    const char *arg;  /* MODEL as given: the table's model column */
    char *ckpt;       /* the checkpoint it means */
    char *sum;        /* FNV-1a of the checkpoint file, hex: its identity in the table */
} model_id;

typedef struct {
    model_id *m;
    size_t nm;
    sp_conditions cs;
    const char *split, *out;
    char *probes_dir;
    table t;
    size_t done, total;  /* cells so far, for the progress lines */
} grid;

/* FNV-1a (64 bits) of a whole file, as 16 hex digits into hex[17]. Not
 * the CRC-32 the checkpoint format uses: a file that ends with the CRC of
 * what precedes it has the same CRC residue whatever its contents. */
static int file_hash(const char *path, char *hex, sp_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return sp_fail(err, "cannot open '%s': %s", path, strerror(errno));
    unsigned char *buf = sp_xmalloc(1 << 20);
    uint64_t h = 0xcbf29ce484222325ull;
    size_t n;
    while ((n = fread(buf, 1, 1 << 20, f)) > 0)
        for (size_t i = 0; i < n; i++) h = (h ^ buf[i]) * 0x100000001b3ull;
    int bad = ferror(f);
    fclose(f);
    free(buf);
    if (bad) return sp_fail(err, "cannot read '%s'", path);
    snprintf(hex, 17, "%016llx", (unsigned long long)h);
    return 0;
}

/* Resolve every MODEL and take its checksum, before any work. */
static int identify_models(grid *g, char **args, size_t n)
{
    g->m = sp_xcalloc(n, sizeof *g->m);
    g->nm = n;
    for (size_t i = 0; i < n; i++) {
        model_id *m = &g->m[i];
        sp_error err;
        char *rundir = NULL, hex[17];
        m->arg = args[i];
        m->ckpt = sp_resolve_model(args[i], &rundir, &err);
        free(rundir);
        if (!m->ckpt || file_hash(m->ckpt, hex, &err) != 0) {
            sp_errorf("%s", err.msg);
            return -1;
        }
        m->sum = sp_xstrdup(hex);
    }
    return 0;
}

/* The row of model i under condition c, or NULL when not yet scored. */
static row *cell(grid *g, size_t i, const sp_condition *c)
{
    return table_find(&g->t, g->m[i].sum, c->spec ? c->spec : "", g->split);
}

/* The numbers of one pass as a new row of the table. */
static void add_row(grid *g, size_t i, const sp_condition *c, const sp_scores *sc, double seconds)
{
    g->t.v = sp_xrealloc(g->t.v, (g->t.n + 1) * sizeof *g->t.v);
    row *r = &g->t.v[g->t.n++];
    memset(r, 0, sizeof *r);
    const sp_edit_counts *e = &sc->total;
    r->f[C_MODEL] = sp_xstrdup(g->m[i].arg);
    r->f[C_CONDITION] = sp_xstrdup(c->name);
    r->f[C_TYPE] = sp_xstrdup(c->type);
    r->f[C_SNR] = sp_xstrdup(c->snr);
    r->f[C_PER] = sp_xasprintf("%.10g", sc->per);
    r->f[C_FER] = sp_xasprintf("%.10g", sc->fer);
    r->f[C_FER39] = sp_xasprintf("%.10g", sc->fer39);
    r->f[C_SUB] = sp_xasprintf("%ld", e->sub);
    r->f[C_DEL] = sp_xasprintf("%ld", e->del);
    r->f[C_INS] = sp_xasprintf("%ld", e->ins);
    r->f[C_REF] = sp_xasprintf("%ld", e->ref);
    r->f[C_FRAMES] = sp_xasprintf("%ld", sc->frames);
    r->f[C_UTTS] = sp_xasprintf("%ld", sc->utterances);
    r->f[C_LOSS] = sp_xasprintf("%.10g", sc->loss);
    r->f[C_SPLIT] = sp_xstrdup(g->split);
    r->f[C_NOISE] = sp_xstrdup(c->noise);
    r->f[C_SPEC] = sp_xstrdup(c->spec ? c->spec : "");
    r->f[C_CKPT] = sp_xstrdup(g->m[i].ckpt);
    r->f[C_SUM] = sp_xstrdup(g->m[i].sum);
    r->f[C_SECONDS] = sp_xasprintf("%.2f", seconds);
    row_numbers(r);
}

/* ------------------------------------------------------------------------
 * The Aurora-style summary: PER per noise per SNR, mean over 0-20 dB
 * ---------------------------------------------------------------------- */

typedef struct {
    const char **noise;  /* distinct noises of conditions with one SNR, in condition order */
    size_t nn;
    double *snr;         /* their distinct SNRs, highest first */
    size_t ns;
    double *per;         /* [model][noise][snr]; NaN: not in the grid */
    double *avg;         /* [model][noise]: mean PER over the SNRs in [0, 20] dB */
    double *clean;       /* [model]; NaN without a clean condition */
} summary;

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* n, or 1 for 0: a size to allocate. */
static size_t at_least_1(size_t n)
{
    return n ? n : 1;
}

static void summary_make(summary *s, grid *g)
{
    memset(s, 0, sizeof *s);
    size_t nc = g->cs.n;
    s->noise = sp_xcalloc(at_least_1(nc), sizeof *s->noise);
    s->snr = sp_xcalloc(at_least_1(nc), sizeof *s->snr);
    for (size_t j = 0; j < nc; j++) {
        const sp_condition *c = &g->cs.v[j];
        if (!c->spec || isnan(c->snr_db)) continue;
        size_t k;
        for (k = 0; k < s->nn && strcmp(s->noise[k], c->noise); k++) continue;
        if (k == s->nn) s->noise[s->nn++] = c->noise;
        for (k = 0; k < s->ns && s->snr[k] != c->snr_db; k++) continue;
        if (k == s->ns) s->snr[s->ns++] = c->snr_db;
    }
    qsort(s->snr, s->ns, sizeof *s->snr, cmp_desc);
    size_t nm = g->nm, nn = s->nn, ns = s->ns;
    s->per = sp_xmalloc(at_least_1(nm * nn * ns) * sizeof *s->per);
    s->avg = sp_xmalloc(at_least_1(nm * nn) * sizeof *s->avg);
    s->clean = sp_xmalloc(at_least_1(nm) * sizeof *s->clean);
    for (size_t i = 0; i < nm * nn * ns; i++) s->per[i] = NAN;
    for (size_t i = 0; i < nm; i++) {
        s->clean[i] = NAN;
        for (size_t j = 0; j < nc; j++) {
            const sp_condition *c = &g->cs.v[j];
            const row *r = cell(g, i, c);
            if (!r) continue;
            if (!c->spec) s->clean[i] = r->per;
            size_t a, b;
            for (a = 0; a < nn && (isnan(c->snr_db) || !c->spec || strcmp(s->noise[a], c->noise)); a++) continue;
            for (b = 0; b < ns && s->snr[b] != c->snr_db; b++) continue;
            if (a < nn && b < ns) s->per[(i * nn + a) * ns + b] = r->per;
        }
        for (size_t a = 0; a < nn; a++) {
            double sum = 0;
            int n = 0;
            for (size_t b = 0; b < ns; b++) {
                double p = s->per[(i * nn + a) * ns + b];
                if (s->snr[b] >= 0 && s->snr[b] <= 20 && !isnan(p)) sum += p, n++;
            }
            s->avg[i * nn + a] = n ? sum / n : NAN;
        }
    }
}

static void summary_free(summary *s)
{
    free(s->noise);
    free(s->snr);
    free(s->per);
    free(s->avg);
    free(s->clean);
}

/* ------------------------------------------------------------------------
 * Output: JSON, the summary's TSV, the printed tables, the figure
 * ---------------------------------------------------------------------- */

/* The table's rows, with numbers as JSON numbers (null when empty). */
static void json_rows(sp_json *j, const table *t)
{
    static const int text[] = { C_MODEL, C_CONDITION, C_TYPE, C_SPLIT, C_NOISE, C_SPEC, C_CKPT, C_SUM };
    static const int counts[] = { C_SUB, C_DEL, C_INS, C_REF, C_FRAMES, C_UTTS };
    sp_json_begin_array(j, "rows");
    for (size_t i = 0; i < t->n; i++) {
        const row *r = &t->v[i];
        sp_json_begin_object(j, NULL);
        for (int k = 0; k < NCOL; k++) {
            int is_text = 0, is_count = 0;
            for (size_t x = 0; x < sizeof text / sizeof *text; x++) is_text |= text[x] == k;
            for (size_t x = 0; x < sizeof counts / sizeof *counts; x++) is_count |= counts[x] == k;
            if (is_text) sp_json_string(j, columns[k], r->f[k]);
            else if (is_count) sp_json_long(j, columns[k], strtol(r->f[k], NULL, 10));
            else sp_json_double(j, columns[k], field_number(r->f[k]));
        }
        sp_json_end_object(j);
    }
    sp_json_end_array(j);
}

static void json_summary(sp_json *j, const grid *g, const summary *s)
{
    sp_json_begin_array(j, "summary");
    for (size_t i = 0; i < g->nm; i++)
        for (size_t a = 0; a < s->nn; a++) {
            sp_json_begin_object(j, NULL);
            sp_json_string(j, "model", g->m[i].arg);
            sp_json_string(j, "noise", s->noise[a]);
            sp_json_double(j, "clean_per", s->clean[i]);
            sp_json_begin_array(j, "snr_db");
            for (size_t b = 0; b < s->ns; b++) sp_json_double(j, NULL, s->snr[b]);
            sp_json_end_array(j);
            sp_json_begin_array(j, "per");
            for (size_t b = 0; b < s->ns; b++) sp_json_double(j, NULL, s->per[(i * s->nn + a) * s->ns + b]);
            sp_json_end_array(j);
            sp_json_double(j, "per_avg_0_20", s->avg[i * s->nn + a]);
            sp_json_end_object(j);
        }
    sp_json_end_array(j);
}

/* robustness.json: every row of the table, and the summary of this grid. */
static int write_json(grid *g, sp_error *err)
{
    summary s;
    summary_make(&s, g);
    sp_atomic_file af;
    int rc = sp_atomic_open(&af, g->t.json_path, err);
    if (rc == 0) {
        sp_json j;
        sp_json_init(&j, af.f, 1);
        sp_json_begin_object(&j, NULL);
        sp_json_string(&j, "split", g->split);
        json_rows(&j, &g->t);
        json_summary(&j, g, &s);
        sp_json_end_object(&j);
        sp_json_finish(&j);
        rc = sp_atomic_commit(&af, err);
    }
    summary_free(&s);
    return rc;
}

/* A number as the TSVs hold it; NaN: an empty field. */
static void put_number(FILE *f, double x)
{
    if (!isnan(x)) fprintf(f, "%.10g", x);
}

/* summary.tsv: model, noise, clean, PER at each SNR, the 0-20 dB mean. */
static int write_summary(const grid *g, const summary *s, sp_error *err)
{
    char *path = sp_path_join(g->out, "summary.tsv");
    sp_atomic_file af;
    int rc = sp_atomic_open(&af, path, err);
    free(path);
    if (rc != 0) return -1;
    fputs("model\tnoise\tclean", af.f);
    for (size_t b = 0; b < s->ns; b++) fprintf(af.f, "\t%g", s->snr[b]);
    fputs("\tavg_0_20\n", af.f);
    for (size_t i = 0; i < g->nm; i++)
        for (size_t a = 0; a < s->nn; a++) {
            put_field(af.f, g->m[i].arg, 0);
            put_field(af.f, s->noise[a], 0);
            put_number(af.f, s->clean[i]);
            for (size_t b = 0; b < s->ns; b++) {
                fputc('\t', af.f);
                put_number(af.f, s->per[(i * s->nn + a) * s->ns + b]);
            }
            fputc('\t', af.f);
            put_number(af.f, s->avg[i * s->nn + a]);
            fputc('\n', af.f);
        }
    return sp_atomic_commit(&af, err);
}

/* "  12.34" or "      -" in width w. */
static void print_pct(double x, int w)
{
    if (isnan(x)) printf("  %*s", w, "-");
    else printf("  %*.2f", w, 100 * x);
}

static int model_width(const grid *g, int least)
{
    int w = least;
    for (size_t i = 0; i < g->nm; i++)
        if ((int)strlen(g->m[i].arg) > w) w = (int)strlen(g->m[i].arg);
    return w;
}

/* PER or FER (%), the models as rows and the conditions as columns. */
static void print_grid(grid *g, int fer)
{
    int mw = model_width(g, 7);
    printf("%-*s", mw, fer ? "FER (%)" : "PER (%)");
    for (size_t j = 0; j < g->cs.n; j++) printf("  %6s", g->cs.v[j].name);
    putchar('\n');
    for (size_t i = 0; i < g->nm; i++) {
        printf("%-*s", mw, g->m[i].arg);
        for (size_t j = 0; j < g->cs.n; j++) {
            const row *r = cell(g, i, &g->cs.v[j]);
            int w = (int)strlen(g->cs.v[j].name);
            print_pct(r ? (fer ? r->fer : r->per) : NAN, w < 6 ? 6 : w);
        }
        putchar('\n');
    }
}

static void print_summary(const grid *g, const summary *s)
{
    if (!s->nn) return;
    int mw = model_width(g, 5), nw = 5;
    for (size_t a = 0; a < s->nn; a++)
        if ((int)strlen(s->noise[a]) > nw) nw = (int)strlen(s->noise[a]);
    printf("\nPER (%%) per noise and SNR (dB), and its mean over 0-20 dB (Aurora style)\n");
    printf("%-*s  %-*s  %6s", mw, "model", nw, "noise", "clean");
    for (size_t b = 0; b < s->ns; b++) printf("  %6g", s->snr[b]);
    printf("  %8s\n", "avg 0-20");
    for (size_t i = 0; i < g->nm; i++)
        for (size_t a = 0; a < s->nn; a++) {
            printf("%-*s  %-*s", mw, g->m[i].arg, nw, s->noise[a]);
            print_pct(s->clean[i], 6);
            for (size_t b = 0; b < s->ns; b++) print_pct(s->per[(i * s->nn + a) * s->ns + b], 6);
            print_pct(s->avg[i * s->nn + a], 8);
            putchar('\n');
        }
}

/* per-snr.png and .svg: PER against SNR, one curve per model and noise
 * through the SNRs it was scored at, each model's clean PER a dashed
 * level line across the SNR axis; a colour per noise, a marker shape per
 * model. */
static int draw_figure(const grid *g, const summary *s, sp_error *err)
{
    if (!s->ns) return 0;
    size_t cap = g->nm * (s->nn + 1), ns = s->ns;
    sp_plot_series *ser = sp_xcalloc(cap, sizeof *ser);
    char **names = sp_xcalloc(cap, sizeof *names);
    double *xy = sp_xmalloc(cap * 2 * (ns + 2) * sizeof *xy);
    int n = 0;
    for (size_t i = 0; i < g->nm; i++) {
        for (size_t a = 0; a <= s->nn; a++) {
            int clean = a == s->nn;
            if (clean && isnan(s->clean[i])) continue;
            double *x = xy + (size_t)n * 2 * (ns + 2), *y = x + ns + 2;
            int k = 0;
            if (clean) {
                x[0] = s->snr[ns - 1], x[1] = s->snr[0];
                y[0] = y[1] = 100 * s->clean[i];
                k = 2;
            }
            for (size_t b = ns; !clean && b-- > 0;) { /* ascending SNR, the points scored */
                double p = s->per[(i * s->nn + a) * ns + b];
                if (!isnan(p)) x[k] = s->snr[b], y[k++] = 100 * p;
            }
            if (!k) continue;
            names[n] = sp_xasprintf("%s: %s", g->m[i].arg, clean ? "clean" : s->noise[a]);
            /* a colour per noise (clean the last), a marker per model */
            ser[n] = (sp_plot_series){ .name = names[n], .n = k, .x = x, .y = y, .dashed = clean,
                                       .colour = 1 + (int)a, .marker = (int)i };
            n++;
        }
    }
    char *title = sp_xasprintf("PER against SNR (%s split)", g->split);
    sp_plot_lines p = { .title = title, .xlabel = "SNR (dB)", .ylabel = "PER (%)", .markers = 1,
                        .nseries = n, .series = ser };
    char *base = sp_path_join(g->out, "per-snr");
    int rc = n ? sp_plot_lines_write(base, &p, err) : 1;
    free(base);
    free(title);
    for (int k = 0; k < n; k++) free(names[k]);
    free(names);
    free(ser);
    free(xy);
    return rc < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------------
 * Running the grid
 * ---------------------------------------------------------------------- */

/* Model i under condition c: a noise probe (none for clean) on the
 * evaluated chunks, every frame scored, the row added and the table
 * written. 0, or -1 with err. */
static int run_cell(grid *g, size_t i, sp_scoring *s, const sp_condition *c, sp_error *err)
{
    sp_probe_chain *ch = NULL;
    if (c->spec) {
        const char *spec = c->spec;
        if (!(ch = sp_noise_chain(NULL, &spec, 1, s->role, err))) return -1;
        if (sp_probe_chain_create(ch, SP_PROBE_MODE_EVAL, g->probes_dir, (uint64_t)s->c.seed, err) != 0) {
            sp_probe_chain_free(ch);
            return -1;
        }
    }
    sp_cli_bar bar;
    const sp_eval_progress *progress = sp_cli_bar_init(&bar, c->name);
    double t0 = sp_now();
    int rc = sp_scoring_run(s, ch, g->out, progress, err);
    sp_probe_chain_free(ch);
    if (rc != 0) return -1;
    sp_scores sc;
    sp_scoring_get(s, &sc);
    add_row(g, i, c, &sc, sp_now() - t0);
    g->done++;
    sp_log_info("[%zu/%zu] %s %s: PER %.2f%%, FER %.2f%% (%.1f s)", g->done, g->total, g->m[i].arg, c->name,
                100 * sc.per, 100 * sc.fer, sp_now() - t0);
    if (table_write_tsv(&g->t, err) != 0 || write_json(g, err) != 0) return -1;
    return 0;
}

/* Every condition for model i: the cells already in the table are kept
 * (and said so), the others computed. 0, or -1 with the error printed. */
static int run_model(grid *g, size_t i)
{
    size_t todo = 0;
    for (size_t j = 0; j < g->cs.n; j++) {
        const sp_condition *c = &g->cs.v[j];
        row *r = cell(g, i, c);
        if (!r) {
            todo++;
            continue;
        }
        g->done++;
        sp_log_info("[%zu/%zu] %s %s: in '%s', not recomputed", g->done, g->total, g->m[i].arg, c->name, g->t.path);
        free(r->f[C_MODEL]); /* the same checkpoint under the name given now */
        r->f[C_MODEL] = sp_xstrdup(g->m[i].arg);
    }
    if (!todo) return 0;
    char *ckpt, *rundir;
    sp_model m;
    int loaded = sp_cli_load_model(g->m[i].arg, 256, &m, &ckpt, &rundir) == 0;
    free(ckpt);
    free(rundir);
    if (!loaded) return -1;
    sp_scoring s;
    sp_scoring_opts o = { .split = g->split, .ins = NAN, .lmw = NAN, .prs = NAN };
    sp_scoring_init(&s, &m, &o);
    sp_error err;
    int rc = sp_scoring_load(&s, &err);
    if (rc != 0) sp_error_prefix(&err, "%s: ", g->m[i].arg);
    for (size_t j = 0; j < g->cs.n && rc == 0; j++) {
        const sp_condition *c = &g->cs.v[j];
        if (cell(g, i, c)) continue;
        if (run_cell(g, i, &s, c, &err) != 0) {
            sp_error_prefix(&err, "%s %s: ", g->m[i].arg, c->name);
            rc = -1;
        }
    }
    if (rc != 0) sp_errorf("%s", err.msg);
    sp_scoring_free(&s);
    sp_model_free(&m);
    return rc;
}

/* ------------------------------------------------------------------------
 * The command
 * ---------------------------------------------------------------------- */

typedef struct {
    sp_opt_list lists, specs;
    const char *split, *out;
    int nmodels;
} robustness_args;

/* The conditions of --conditions and --condition, in that order, each
 * checked as the noise probe will take it. -1 to go on, or the exit
 * status. */
static int parse_args(robustness_args *a, grid *g, int argc, char **argv)
{
    memset(a, 0, sizeof *a);
    a->split = "core";
    a->out = "robustness";
    sp_opt opts[] = {
        SP_OPT_LIST("--conditions", &a->lists),
        SP_OPT_LIST("--condition", &a->specs),
        SP_OPT_STRING_NONEMPTY("--split", &a->split),
        SP_OPT_STRING_NONEMPTY("--out", &a->out),
        SP_OPT_END,
    };
    int status;
    a->nmodels = sp_opt_parse(usage, opts, -1, argc, argv, &status);
    if (a->nmodels < 0) return status;
    if (a->nmodels == 0) return sp_usage_error(usage, "at least one MODEL (checkpoint or run directory) is required");
    if (sp_split_parse(a->split) < 0)
        return sp_usage_error(usage, "unknown split '%s': expected dev, core, test, train or all", a->split);
    if (!a->lists.n && !a->specs.n)
        return sp_usage_error(usage, "no conditions: give --conditions LIST (e.g. clean,white@20:10:0) or --condition SPEC");
    sp_error err;
    for (size_t i = 0; i < a->lists.n; i++)
        if (sp_conditions_add_list(&g->cs, a->lists.v[i], &err) != 0)
            return sp_usage_error(usage, "--conditions: %s", err.msg);
    for (size_t i = 0; i < a->specs.n; i++) {
        /* checked here to name the option: a bad key or value, as eval --noise */
        if (sp_noise_spec_check(a->specs.v[i], &err) != 0)
            return sp_usage_error(usage, "--condition '%s': %s", a->specs.v[i], err.msg);
        if (sp_conditions_add_spec(&g->cs, a->specs.v[i], &err) != 0) return sp_usage_error(usage, "%s", err.msg);
    }
    if (sp_conditions_check(&g->cs, &err) != 0) return sp_usage_error(usage, "%s", err.msg);
    g->split = a->split;
    g->out = a->out;
    return -1;
}

static void grid_free(grid *g)
{
    for (size_t i = 0; i < g->nm; i++) {
        free(g->m[i].ckpt);
        free(g->m[i].sum);
    }
    free(g->m);
    sp_conditions_free(&g->cs);
    free(g->probes_dir);
    table_free(&g->t);
}

/* The table of an earlier run (to resume), after making DIR. 0, or -1
 * with the error printed. */
static int open_table(grid *g)
{
    sp_error err;
    g->t.path = sp_path_join(g->out, "robustness.tsv");
    g->t.json_path = sp_path_join(g->out, "robustness.json");
    g->probes_dir = sp_path_join(g->out, "probes");
    if (sp_mkdirs(g->out, &err) != 0 || table_load(&g->t, &err) != 0) {
        sp_errorf("%s", err.msg);
        return -1;
    }
    return 0;
}

/* The tables on stdout, summary.tsv, the figure, the final JSON. */
static int finish(grid *g)
{
    sp_error err;
    summary s;
    summary_make(&s, g);
    print_grid(g, 0);
    putchar('\n');
    print_grid(g, 1);
    print_summary(g, &s);
    int rc = table_write_tsv(&g->t, &err) == 0 && write_json(g, &err) == 0 && write_summary(g, &s, &err) == 0 &&
                     draw_figure(g, &s, &err) == 0
                 ? 0
                 : -1;
    summary_free(&s);
    if (rc != 0) sp_errorf("%s", err.msg);
    else sp_log_info("results in '%s': robustness.tsv, robustness.json, summary.tsv, per-snr.png, per-snr.svg", g->out);
    return rc;
}

int cmd_robustness(int argc, char **argv)
{
    robustness_args a;
    grid g;
    memset(&g, 0, sizeof g);
    int status = parse_args(&a, &g, argc, argv);
    int rc = SP_EXIT_FAIL;
    if (status >= 0) {
        rc = status;
        goto out;
    }
    if (identify_models(&g, argv + 1, (size_t)a.nmodels) != 0 || open_table(&g) != 0) goto out;
    g.total = g.nm * g.cs.n;
    sp_log_info("robustness: %zu models x %zu conditions on the %s split", g.nm, g.cs.n, g.split);
    for (size_t i = 0; i < g.nm; i++)
        if (run_model(&g, i) != 0) goto out;
    if (finish(&g) == 0) rc = SP_EXIT_OK;
out:
    grid_free(&g);
    sp_opt_list_free(&a.lists);
    sp_opt_list_free(&a.specs);
    return rc;
}
