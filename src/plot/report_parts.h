/* report_parts.h - the parts report.html is built from, shared by the
 * files of the report (internal to plot/):
 *
 *   report.c          the page: summary, learning curves, one section per
 *                     probe folder drawn from its manifests, the sections
 *                     manifests place after the probes, the config
 *   report_tsv.c      TSV tables read by column name; string sets
 *   report_html.c     escaping, figures, caption templates
 *   report_figures.c  the panels drawn as figures: heatmap, lines, bands
 *   report_tables.c   the panels drawn as HTML: images, table
 *   report_eval.c     what `sincprobe eval` left in a run directory (its
 *                     confusion matrices, hence the PER), the stamp
 *   report_runs.c     several runs side by side (report.h)
 *
 * Errors (base/error.h): 0, or -1 with a one-line message in err. */
#ifndef SP_REPORT_PARTS_H
#define SP_REPORT_PARTS_H

#include <stdio.h>

#include "plot/manifest.h"
#include "plot/plot.h"

// ----------------------------------------------------------------------------
// TSV tables, read by column name (report_tsv.c)

typedef struct {
    char *path;
    int ncols;
    char **names;  /* [ncols], into buf */
    long nrows;
    char **cell;   /* [nrows][ncols], into buf */
    long *line;    /* [nrows]: the row's line number in the file */
    char *buf;
} sp_table;

/* 1: the file does not exist (t zeroed); 0: read; -1: err (a row with
 * another number of fields than the header, named by file and line). */
int sp_table_read(sp_table *t, const char *path, sp_error *err);
void sp_table_free(sp_table *t);
/* The column's index, or -1. */
int sp_table_col(const sp_table *t, const char *name);
/* The columns names[] (NULL-terminated) into idx[]; -1 with err naming
 * the first missing one. */
int sp_table_need(const sp_table *t, const char *const *names, int *idx, sp_error *err);
const char *sp_table_cell(const sp_table *t, long r, int c);
/* A number (nan and inf accepted); -1 with err naming file, line, column. */
int sp_table_num(const sp_table *t, long r, int c, double *v, sp_error *err);
/* Column c of every row as numbers into v[nrows]; c < 0: dflt in each. */
int sp_table_nums(const sp_table *t, int c, double dflt, double *v, sp_error *err);

/* Distinct strings in order of first appearance. */
typedef struct {
    int n;
    char **s;
} sp_strset;

/* The index of v, added when new. */
int sp_strset_add(sp_strset *s, const char *v);
/* Append without looking for a duplicate. */
void sp_strset_push(sp_strset *s, const char *v);
void sp_strset_free(sp_strset *s);

/* The words of s into out (appended, duplicates kept): separated by white
 * space, or with bar by '|' and trimmed. Returns their count. */
int sp_split(const char *s, int bar, sp_strset *out);

/* Sort v[n] and keep its distinct values; returns their count. */
int sp_uniq_sorted(double *v, int n);
/* The index of x in v[n], or -1. */
int sp_find_d(const double *v, int n, double x);

// ----------------------------------------------------------------------------
// the page being built, HTML (report_html.c)

typedef struct sp_report_section sp_report_section;

typedef struct {
    const char *run;
    char *plots;         /* RUN/plots */
    FILE *h;             /* the body being built */
    int figures;
    sp_error *err;
    const char *href;    /* plots/ as the page links it; NULL: "plots" */
    sp_strset ids;       /* the probe folders, in name order */
    /* table panels with a section, drawn after the probes (report.c) */
    int nsections;
    sp_report_section *section;
} sp_report;

/* Text and attribute values: < > & " ' escaped. */
void sp_html_esc(FILE *f, const char *s);
/* Text: < > & escaped (manifest text and values in captions). */
void sp_html_text(FILE *f, const char *s);
/* s escaped as HTML text, as a new string. */
char *sp_html_text_str(const char *s);
/* A relative URL: bytes outside [A-Za-z0-9._/-] percent-encoded. */
void sp_html_url(FILE *f, const char *s);
/* A file name from free text: [A-Za-z0-9._-] kept, the rest '_'; new. */
char *sp_safe_name(const char *s);
/* RUN/probes/ID/NAME (new). */
char *sp_report_probe_file(const sp_report *r, const char *id, const char *name);

/* The path RUN/plots/NAME (no extension), new. */
char *sp_report_plot_base(const sp_report *r, const char *name);
/* A figure: plots/NAME.png linking to its SVG, and a caption (raw HTML). */
void sp_report_figure(sp_report *r, const char *name, const char *caption);
/* A figure with no finite point: a note naming it. Returns 0. */
int sp_report_nothing(sp_report *r, const char *what);
/* "x LO .. HI, y LO .. HI" of a drawn line plot, as HTML. New. */
char *sp_report_axes(const sp_plot_lines *p);

/* A template's placeholder {name} and its value; markup: the value is
 * HTML, inserted as is (else escaped as text). */
typedef struct {
    const char *name, *value;
    int markup;
} sp_tvar;

/* tpl (NULL: "") with every {name} replaced by its value; html: the text
 * escaped as HTML text. NULL with err naming the manifest's path and
 * line when a placeholder is unknown or a '{' is not closed. New. */
char *sp_template(const char *tpl, const sp_tvar *v, int nv, int html, const char *path, long line, sp_error *err);

// ----------------------------------------------------------------------------
// panels: 0 drawn, 2 nothing to show (no rows; the caller prints the
// panel's `empty` text), -1 err. id and dir: the probe folder's.

int sp_panel_heatmap(sp_report *r, const sp_manifest *m, const sp_panel *p, const char *id, const char *dir);
int sp_panel_lines(sp_report *r, const sp_manifest *m, const sp_panel *p, const char *id, const char *dir);
int sp_panel_bands(sp_report *r, const sp_manifest *m, const sp_panel *p, const char *id, const char *dir);
int sp_panel_images(sp_report *r, const sp_manifest *m, const sp_panel *p, const char *id, const char *dir);
/* A table panel; with a section (sp_panel_get "section") it is drawn
 * under its own <h2> and may join another probe folder's table. */
int sp_panel_table(sp_report *r, const sp_manifest *m, const sp_panel *p, const char *id, const char *dir);

// ----------------------------------------------------------------------------
// a run's log.tsv (report.c)

typedef struct {
    long n;                                   /* epochs logged */
    double *epoch, *lr, *tl, *tf, *dl, *df, *sec; /* [n]; lr, sec NaN when
                                                 log.tsv has no such column */
} sp_run_log;

/* RUN/log.tsv; -1 with err when it is missing (naming RUN as perhaps not
 * a run directory) or malformed. */
int sp_run_log_read(const char *run, sp_run_log *c, sp_error *err);
void sp_run_log_free(sp_run_log *c);
/* The row of the least dev FER (the first of equals); -1 when n is 0. */
long sp_run_log_best(const sp_run_log *c);

/* The page's style sheet and its image check (report.c). */
extern const char sp_report_css[], sp_report_script[];
/* The folders of RUN/probes (not those whose names start with '.') in
 * name order, pushed onto ids; none when RUN has no probes folder
 * (report.c). */
void sp_report_probe_ids(const char *run, sp_strset *ids);

// ----------------------------------------------------------------------------
// what eval left in a run directory (report_eval.c)

/* RUN/eval-TAG-confusion.tsv, the 39-phone confusion matrix `sincprobe
 * eval` writes (TAG: the split, then the checkpoint and conditions; see
 * sincprobe-eval(1)): rows the reference phones and <ins>, columns the
 * hypotheses and <del>. Its counts are the alignment's, so N = the sum
 * of the phone rows, S = their off-diagonal phone cells, D = their
 * <del> column, I = the <ins> row, and PER = (S + D + I) / N, exactly
 * the PER eval printed. */
typedef struct {
    char *tag, *file;      /* "core"; "eval-core-confusion.tsv" */
    long ref, sub, del, ins;
    double per;            /* NaN when ref is 0 */
    int nphones;
    char **phone;          /* [nphones] */
    double *count;         /* [nphones + 1][nphones + 1], as in the file */
} sp_eval_out;

typedef struct {
    int n;
    sp_eval_out *v;        /* by TAG */
} sp_eval_outs;

/* Every RUN/eval-*-confusion.tsv; none is no error. -1 with err naming
 * the file and line of one that is not such a matrix. */
int sp_eval_outs_read(const char *run, sp_eval_outs *e, sp_error *err);
void sp_eval_outs_free(sp_eval_outs *e);
/* The output of tag, or NULL. */
const sp_eval_out *sp_eval_outs_find(const sp_eval_outs *e, const char *tag);
/* "core 21.34%; test 23.00%" (HTML text, new), or NULL when none. */
char *sp_eval_outs_per(const sp_eval_outs *e);
/* The section "Evaluation": a table of each output's N S D I PER and its
 * confusion matrix (row-normalised) as a heatmap plots/confusion_TAG;
 * without any, "No eval yet" and the command that makes one. */
int sp_report_eval(sp_report *r, const sp_eval_outs *e, const char *run);

/* When the report is made, UTC, ISO 8601 ("2026-11-27T10:31:07Z");
 * $SOURCE_DATE_EPOCH, when set to a number, instead of the clock (for
 * reproducible pages). */
void sp_report_date(char *buf, size_t size);
/* "sincprobe VERSION, DATE" as a table row, id made-by. */
void sp_report_stamp(FILE *h);

#endif
