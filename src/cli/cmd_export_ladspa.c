/* cmd_export_ladspa.c - `sincprobe export-ladspa`: a checkpoint's first
 * layer as an exported-filterbank file (ladspa/fbfile.h) in a directory the
 * sincprobe LADSPA library reads (ladspa/fbdir.h), with UniqueIDs free of
 * collisions with the files already there; or --list, the library's view
 * of the search path (what it loads, what it skips and why). */
#include "config.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "ladspa/fbdesign.h"
#include "ladspa/fbdir.h"
#include "ladspa/fbfile.h"
#include "ladspa/fir.h"
#include "base/util.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
    "sincprobe export-ladspa MODEL [--out FILE] [--name NAME]",
    "   or: sincprobe export-ladspa --list",
    "",
    "  MODEL        a checkpoint, or a run directory (its best checkpoint)",
    "  --out FILE   where to write (default: the per-user directory, NAME.spfb)",
    "  --name NAME  the model's name in the plugins' labels, NAME_bank and NAME_filter",
    "               (default: the run directory's name); A-Z a-z 0-9 _ . -",
    "  --list       the exported files the LADSPA library reads, in order, and",
    "               which it loads (with labels and UniqueIDs) or skips (and why)",
    "",
    "Search path: $SINCPROBE_LADSPA_PATH (colon-separated), then $XDG_DATA_HOME/sincprobe/ladspa",
    "(default ~/.local/share/sincprobe/ladspa). See sincprobe-export-ladspa(1).",
    NULL,
};

/* The first layer of m into fb (allocated here): taps as the model
 * applies them, the bands, the peak gains. */
static int first_layer(const sp_model *m, sp_fbfile *fb, sp_error *err)
{
    for (int i = 0; i < m->nlayers; i++) {
        const sp_layer *l = &m->layer[i];
        if (l->kind != SP_LAYER_SINC && l->kind != SP_LAYER_CONV) continue;
        if (sp_fbfile_alloc(fb, l->out_c, l->K, err) != 0) return -1;
        fb->sample_rate = SP_SAMPLE_RATE;
        const sp_param_tensors *p = &m->param;
        int conv = l->kind == SP_LAYER_CONV;
        fb->kind = conv ? SP_FB_CONV : SP_FB_SINC;
        if (conv) {
            /* conv1's w [F][1][K]; its bias is a constant, not a filter */
            memcpy(fb->taps, p->conv_w[0], sizeof(float) * (size_t)fb->C * fb->K);
        } else {
            sp_sinc_taps(fb->taps, p->sinc_low_p, p->sinc_band_p, &m->sinc);
            sp_sinc_cutoffs(fb->f1, fb->f2, p->sinc_low_p, p->sinc_band_p, &m->sinc);
        }
        return sp_fbd_response(fb->taps, fb->C, fb->K, (double)SP_SAMPLE_RATE, fb->peak, conv ? fb->f1 : NULL,
                               conv ? fb->f2 : NULL, err);
    }
    return sp_fail(err, "the model has no sinc or conv first layer");
}

/* The default name: the run directory's base name, else the checkpoint's
 * without its extension. */
static void default_name(char *out, const char *rundir, const char *ckpt)
{
    const char *path = rundir ? rundir : ckpt;
    char *copy = sp_xstrdup(path);
    size_t n = strlen(copy);
    while (n > 1 && copy[n - 1] == '/') copy[--n] = '\0';
    char *base = strrchr(copy, '/');
    base = base ? base + 1 : copy;
    char *dot = rundir ? NULL : strrchr(base, '.');
    if (dot && dot != base) *dot = '\0';
    sp_fb_name_from(out, base);
    free(copy);
}

static char *dir_of(const char *path)
{
    char *d = sp_xstrdup(path);
    char *slash = strrchr(d, '/');
    if (!slash) {
        free(d);
        return sp_xstrdup(".");
    }
    if (slash == d) slash[1] = '\0';
    else *slash = '\0';
    return d;
}

/* 1 when a and b name the same existing file or directory. */
static int same_path(const char *a, const char *b)
{
    char ra[PATH_MAX], rb[PATH_MAX];
    return realpath(a, ra) && realpath(b, rb) && strcmp(ra, rb) == 0;
}

static void print_catalog(const sp_fb_catalog *cat, char *const *dirs, int ndirs)
{
    printf("search path:\n");
    for (int d = 0; d < ndirs; d++) printf("  %s%s\n", dirs[d], sp_is_dir(dirs[d]) ? "" : " (missing)");
    if (ndirs == 0) printf("  (none: SINCPROBE_LADSPA_PATH and HOME are unset)\n");
    for (int i = 0; i < cat->n; i++) {
        const sp_fb_entry *e = &cat->e[i];
        if (!e->loaded) {
            printf("skipped %s\n  %s\n", e->path, e->why);
            continue;
        }
        char lb[SP_FB_LABEL_MAX], lf[SP_FB_LABEL_MAX];
        sp_fb_label_bank(lb, e->fb.name);
        sp_fb_label_filter(lf, e->fb.name);
        printf("loaded  %s\n  %s %lu, %s %lu: %s, %d filters x %d taps at %ld Hz\n", e->path, lb, e->fb.id_bank, lf,
               e->fb.id_filter, e->fb.kind == SP_FB_SINC ? "sinc" : "conv", e->fb.C, e->fb.K, e->fb.sample_rate);
    }
}

static int list_catalog(void)
{
    char **dirs;
    int ndirs;
    sp_fb_catalog cat;
    sp_error err;
    if (sp_fb_search_path(&dirs, &ndirs, &err) != 0 || sp_fb_catalog_load(&cat, dirs, ndirs, &err) != 0) {
        sp_errorf("%s", err.msg);
        return SP_EXIT_FAIL;
    }
    print_catalog(&cat, dirs, ndirs);
    sp_fb_catalog_free(&cat);
    sp_fb_dirs_free(dirs, ndirs);
    return SP_EXIT_OK;
}

/* fb's IDs, free of collisions with every readable file of the search
 * path and of out's directory other than out itself; notes when the file
 * will not be loaded as it stands. */
static int assign_ids(sp_fbfile *fb, const char *out, sp_error *err)
{
    char **dirs;
    int ndirs, on_path = 0;
    if (sp_fb_search_path(&dirs, &ndirs, err) != 0) return -1;
    char *outdir = dir_of(out);
    for (int d = 0; d < ndirs; d++) on_path |= same_path(dirs[d], outdir);
    if (!on_path) {
        dirs = sp_xrealloc(dirs, (size_t)(ndirs + 1) * sizeof *dirs);
        dirs[ndirs++] = sp_xstrdup(outdir);
    }
    sp_fb_catalog cat;
    int rc = sp_fb_catalog_load(&cat, dirs, ndirs, err);
    if (rc == 0) {
        for (int i = 0; i < cat.n; i++) /* the file being replaced keeps nothing */
            if (same_path(cat.e[i].path, out)) cat.e[i].readable = cat.e[i].loaded = 0;
        rc = sp_fb_assign_ids(&cat, fb->name, &fb->id_bank, &fb->id_filter, err);
        for (int i = 0; rc == 0 && i < cat.n; i++)
            if (cat.e[i].loaded && strcmp(cat.e[i].fb.name, fb->name) == 0 && !same_path(cat.e[i].path, out))
                sp_log_warn("'%s' also holds a model named '%s'; the library loads the first in the search path "
                            "and skips the other",
                            cat.e[i].path, fb->name);
        sp_fb_catalog_free(&cat);
    }
    if (rc == 0 && !on_path)
        sp_log_note("'%s' is not on the search path: the library reads it with SINCPROBE_LADSPA_PATH=%s", outdir,
                    outdir);
    size_t n = strlen(out), e = strlen(SP_FB_EXT);
    if (rc == 0 && (n <= e || strcmp(out + n - e, SP_FB_EXT) != 0))
        sp_log_note("the library reads only files named *%s", SP_FB_EXT);
    free(outdir);
    sp_fb_dirs_free(dirs, ndirs);
    return rc;
}

static int write_file(const sp_fbfile *fb, const char *out, sp_error *err)
{
    sp_atomic_file af;
    if (sp_atomic_open(&af, out, err) != 0) return -1;
    if (sp_fbfile_write(fb, af.f, out, err) != 0) {
        sp_atomic_abort(&af);
        return -1;
    }
    return sp_atomic_commit(&af, err);
}

static void print_result(const sp_fbfile *fb, const char *out)
{
    char lb[SP_FB_LABEL_MAX], lf[SP_FB_LABEL_MAX];
    sp_fb_label_bank(lb, fb->name);
    sp_fb_label_filter(lf, fb->name);
    sp_fir *f = sp_fir_new(fb->K, SP_FIR_AUTO, NULL);
    int latency = f ? sp_fir_latency(f) : (fb->K - 1) / 2;
    sp_fir_free(f);
    printf("wrote %s: %s, %d filters x %d taps at %ld Hz, from %s\n", out, fb->kind == SP_FB_SINC ? "sinc" : "conv",
           fb->C, fb->K, fb->sample_rate, fb->source);
    printf("plugins in %s/sincprobe.so:\n", SP_LADSPADIR);
    printf("  %-*s  UniqueID %lu  the whole bank as one filter (each filter at unit peak gain, averaged)\n",
           (int)strlen(lf), lb, fb->id_bank);
    printf("  %s  UniqueID %lu  one filter: control 'filter' 0..%d; outputs its centre and bandwidth (Hz)\n", lf,
           fb->id_filter, fb->C - 1);
    printf("both report latency = %d samples on their 'latency' port (sox -l compensates it)\n", latency);
    printf("at %ld Hz%s\n", fb->sample_rate,
           fb->kind == SP_FB_SINC ? "; at other rates the sinc filters are redesigned from their cut-offs"
                                  : " only (the learned kernels are not redesigned: resample first)");
    printf("hear it (LADSPA_PATH=%s if sox does not find sincprobe):\n", SP_LADSPADIR);
    printf("  sox in.wav out.wav ladspa -l sincprobe %s\n", lb);
    printf("  sox in.wav out.wav ladspa -l sincprobe %s %d\n", lf, fb->C / 2);
    printf("  applyplugin in.wav out.wav sincprobe.so %s %d\n", lf, fb->C / 2);
}

int cmd_export_ladspa(int argc, char **argv)
{
    const char *out = NULL, *name = NULL;
    int list = 0;
    sp_opt opts[] = {
        SP_OPT_STRING_NONEMPTY("--out", &out),
        SP_OPT_STRING("--name", &name),
        SP_OPT_FLAG("--list", &list),
        SP_OPT_END,
    };
    int status, nargs = sp_opt_parse(usage, opts, 1, argc, argv, &status);
    if (nargs < 0) return status;
    sp_error err;
    if (list) {
        if (nargs || out || name) return sp_usage_error(usage, "--list takes no MODEL, --out or --name");
        return list_catalog();
    }
    if (nargs < 1) return sp_usage_error(usage, "a MODEL (checkpoint or run directory) is required");
    if (name && sp_fb_name_check(name, &err) != 0) return sp_usage_error(usage, "--name: %s", err.msg);

    char *rundir, *ckpt, *path = NULL, *userdir = NULL;
    sp_model m;
    if (sp_cli_load_model(argv[1], 1, &m, &ckpt, &rundir) != 0) {
        free(ckpt);
        free(rundir);
        return SP_EXIT_FAIL;
    }
    int rc = SP_EXIT_FAIL;
    sp_fbfile fb;
    memset(&fb, 0, sizeof fb);
    if (first_layer(&m, &fb, &err) != 0) goto fail;
    if (name) snprintf(fb.name, sizeof fb.name, "%s", name);
    else default_name(fb.name, rundir, ckpt);
    char abs[PATH_MAX];
    const char *source = realpath(ckpt, abs) ? abs : ckpt;
    /* information only: a path too long or with a line break becomes "-" */
    if (strlen(source) > SP_FB_SOURCE_MAX || strpbrk(source, "\r\n")) source = "-";
    snprintf(fb.source, sizeof fb.source, "%.*s", SP_FB_SOURCE_MAX, source);
    if (out) {
        path = sp_xstrdup(out);
    } else {
        if (!(userdir = sp_fb_user_dir())) {
            sp_errorf("no per-user directory (HOME and XDG_DATA_HOME are unset): use --out FILE");
            goto done;
        }
        if (sp_mkdirs(userdir, &err) != 0) goto fail;
        path = sp_xasprintf("%s/%s%s", userdir, fb.name, SP_FB_EXT);
    }
    if (assign_ids(&fb, path, &err) != 0 || write_file(&fb, path, &err) != 0) goto fail;
    print_result(&fb, path);
    rc = SP_EXIT_OK;
    goto done;
fail:
    sp_errorf("%s", err.msg);
done:
    sp_fbfile_free(&fb);
    sp_model_free(&m);
    free(path);
    free(userdir);
    free(ckpt);
    free(rundir);
    return rc;
}
