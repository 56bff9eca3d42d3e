/* cmd_afr.c - `sincprobe afr`: the frequency responses of a checkpoint's
 * first-layer filters and their average (AFR), as the afr probe computes
 * them each epoch (afr.h), as a table, .npy files or a figure. */
#include "config.h"
#include "analysis/afr.h"
#include "plot/afr_figures.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "base/npy.h"
#include "base/util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static const char *const usage[] = {
    "sincprobe afr MODEL [--nfft N] [--format tsv|npy|png] [--out PATH] [--normalise none|peak] [--db] [--per-filter] "
    "[--mark LIST]",
    "",
    "  MODEL                  a checkpoint, or a run directory (its best checkpoint)",
    "  --nfft N               transform length, even, >= the filters' taps (default 1024);",
    "                         nfft/2 + 1 bins from 0 to 8000 Hz",
    "  --format tsv           a table on standard output, or in PATH: freq_hz afr (default)",
    "  --format npy           PATH is a directory (made if missing) that gets afr.npy [bins],",
    "                         responses.npy [filters][bins], freqs.npy [bins] and cutoffs.tsv",
    "  --format png           PATH is the figure of the AFR to write (required)",
    "  --out PATH             where to write (see --format)",
    "  --normalise peak       divide each filter's |H| by its maximum before averaging",
    "  --db                   20 log10 of the magnitudes (floor -120 dB)",
    "  --per-filter           tsv: a column per filter after afr (h0, h1, ...)",
    "  --mark LIST            png: hatch the bands f_lo-f_hi in Hz of a comma list in",
    "                         increasing order (e.g. 1200-1600,1800-2100)",
    NULL,
};

/* The first layer's taps [F][K] (sinc: from the cut-offs; conv: the
 * weights) and, for sinc, the cut-offs f1, f2 [F]. */
static int first_layer(const sp_model *m, float **taps, float **f1, float **f2, int *F, int *K, sp_error *err)
{
    for (int i = 0; i < m->nlayers; i++) {
        const sp_layer *l = &m->layer[i];
        if (l->kind != SP_LAYER_SINC && l->kind != SP_LAYER_CONV) continue;
        *F = l->out_c;
        *K = l->K;
        *taps = sp_xcalloc((size_t)*F * (size_t)*K, sizeof **taps);
        const sp_param_tensors *p = &m->param;
        if (l->kind == SP_LAYER_SINC) {
            *f1 = sp_xcalloc((size_t)*F, sizeof **f1);
            *f2 = sp_xcalloc((size_t)*F, sizeof **f2);
            sp_sinc_taps(*taps, p->sinc_low_p, p->sinc_band_p, &m->sinc);
            sp_sinc_cutoffs(*f1, *f2, p->sinc_low_p, p->sinc_band_p, &m->sinc);
        } else {
            memcpy(*taps, p->conv_w[0], (size_t)*F * (size_t)*K * sizeof **taps); /* conv1's w [F][1][K] */
        }
        return 0;
    }
    return sp_fail(err, "the model has no sinc or conv first layer");
}

static int write_npy_dir(const char *dir, const float *afr, const float *resp, const float *freqs, int F, int bins,
                         const float *f1, const float *f2, sp_error *err)
{
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) return sp_fail(err, "'%s': %s", dir, strerror(errno));
    size_t n = strlen(dir) + 32;
    char *p = sp_xmalloc(n);
    long s1[1] = { bins }, s2[2] = { F, bins };
    int rc = 0;
    snprintf(p, n, "%s/afr.npy", dir);
    rc = rc || sp_npy_write(p, SP_NPY_F32, afr, 1, s1, err);
    snprintf(p, n, "%s/responses.npy", dir);
    rc = rc || sp_npy_write(p, SP_NPY_F32, resp, 2, s2, err);
    snprintf(p, n, "%s/freqs.npy", dir);
    rc = rc || sp_npy_write(p, SP_NPY_F32, freqs, 1, s1, err);
    if (!rc) {
        /* low_hz, high_hz: the effective cut-offs f1, f2 in Hz (nn/layers.h),
         * not the learnable low_p, band_p */
        static const char *const head[3] = { "filter", "low_hz", "high_hz" };
        long nr = f1 ? F : 0;
        double *t = sp_xcalloc((size_t)(nr ? nr : 1) * 3, sizeof *t);
        for (long i = 0; i < nr; i++) {
            t[3 * i] = (double)i;
            t[3 * i + 1] = f1[i];
            t[3 * i + 2] = f2[i];
        }
        snprintf(p, n, "%s/cutoffs.tsv", dir);
        rc = sp_tsv_write(p, 3, head, nr, t, err);
        free(t);
    }
    free(p);
    return rc ? -1 : 0;
}

/* --format and --normalise, in the order of their enums */
enum { FORMAT_TSV, FORMAT_NPY, FORMAT_PNG };
static const char *const formats[] = { "tsv", "npy", "png", NULL };
static const char *const norms[] = { "none", "peak", NULL }; /* SP_AFR_NORM_NONE, SP_AFR_NORM_PEAK */

int cmd_afr(int argc, char **argv)
{
    const char *out = NULL, *mark = NULL;
    long nfft = 1024;
    int db = 0, per_filter = 0, format = FORMAT_TSV, norm = SP_AFR_NORM_NONE;
    sp_opt opts[] = {
        SP_OPT_LONG("--nfft", &nfft, 16, 1048576),
        SP_OPT_CHOICE("--format", &format, formats),
        SP_OPT_STRING("--out", &out),
        SP_OPT_CHOICE("--normalise", &norm, norms),
        SP_OPT_CHOICE("--normalize", &norm, norms),
        SP_OPT_FLAG("--db", &db),
        SP_OPT_FLAG("--per-filter", &per_filter),
        SP_OPT_STRING("--mark", &mark),
        SP_OPT_END,
    };
    int status, nargs = sp_opt_parse(usage, opts, 1, argc, argv, &status);
    if (nargs < 0) return status;
    if (nfft % 2)
        return sp_usage_error(usage, "invalid value '%ld' for '--nfft': expected an even integer from 16 to 1048576",
                              nfft);
    if (nargs < 1) return sp_usage_error(usage, "a MODEL (checkpoint or run directory) is required");
    const char *model = argv[1];
    if (format != FORMAT_TSV && !out)
        return sp_usage_error(usage, "--format %s needs --out PATH", formats[format]);
    enum { MAX_MARKS = 32 };
    double marks[2 * MAX_MARKS];
    int nmarks = 0;
    if (mark && format != FORMAT_PNG) return sp_usage_error(usage, "--mark is for --format png (it marks the figure)");
    if (mark) {
        sp_error merr;
        nmarks = sp_afr_parse_marks(mark, (double)SP_SAMPLE_RATE, marks, MAX_MARKS, &merr);
        if (nmarks < 0) return sp_usage_error(usage, "--mark: %s", merr.msg);
    }

    sp_error err;
    char *rundir, *ckpt;
    sp_model m;
    if (sp_cli_load_model(model, 1, &m, &ckpt, &rundir) != 0) {
        free(ckpt);
        free(rundir);
        return SP_EXIT_FAIL;
    }
    int rc = SP_EXIT_FAIL, F = 0, K = 0;
    float *taps = NULL, *f1 = NULL, *f2 = NULL, *resp = NULL, *afr = NULL, *freqs = NULL;
    sp_afr *a = NULL;
    if (first_layer(&m, &taps, &f1, &f2, &F, &K, &err) != 0) goto done;
    if (K > nfft) {
        int p2 = 16;
        while (p2 < K) p2 *= 2;
        sp_errorf("--nfft %ld is shorter than the first layer's filters (%d taps); use --nfft %d, or any even N >= %d",
                  nfft, K, p2, K);
        goto done;
    }
    if (!(a = sp_afr_new((int)nfft, &err))) goto fail;
    int bins = sp_afr_bins((int)nfft);
    resp = sp_xcalloc((size_t)F * bins, sizeof *resp);
    afr = sp_xcalloc((size_t)bins, sizeof *afr);
    freqs = sp_xcalloc((size_t)bins, sizeof *freqs);
    sp_afr_freqs(freqs, (int)nfft, (double)SP_SAMPLE_RATE);
    if (sp_afr_compute(a, taps, F, K, (sp_afr_norm)norm, db, resp, afr, &err) != 0) goto fail;
    if (format == FORMAT_TSV) {
        /* --out: the table is built in memory and written atomically */
        char *buf = NULL;
        size_t len = 0;
        FILE *f = out ? open_memstream(&buf, &len) : stdout;
        if (!f) {
            sp_fail_oom(&err, 0);
            goto fail;
        }
        fputs("freq_hz\tafr", f);
        if (per_filter)
            for (int c = 0; c < F; c++) fprintf(f, "\th%d", c);
        fputc('\n', f);
        for (int j = 0; j < bins; j++) {
            fprintf(f, "%.10g\t%.8g", freqs[j], afr[j]);
            if (per_filter)
                for (int c = 0; c < F; c++) fprintf(f, "\t%.8g", resp[(size_t)c * bins + j]);
            fputc('\n', f);
        }
        int bad = ferror(f);
        if (out) {
            bad |= fclose(f) != 0;
            int wrc = bad ? -1 : sp_text_write(out, buf, len, &err);
            free(buf);
            if (bad) {
                sp_fail_oom(&err, 0);
                goto fail;
            }
            if (wrc != 0) goto fail;
        } else if (fflush(f) != 0 || bad) {
            sp_errorf("standard output: write error");
            goto done;
        }
    } else if (format == FORMAT_NPY) {
        if (write_npy_dir(out, afr, resp, freqs, F, bins, f1, f2, &err) != 0) goto fail;
    } else {
        long which = 0;
        const char *label = db ? "AFR (dB)" : "AFR";
        if (sp_afr_png_curves(out, afr, bins, (double)SP_SAMPLE_RATE, db, 1, &which, &label, marks, nmarks,
                              &err) != 0)
            goto fail;
    }
    rc = SP_EXIT_OK;
    goto done;
fail:
    sp_errorf("%s", err.msg);
done:
    sp_afr_free(a);
    free(taps);
    free(f1);
    free(f2);
    free(resp);
    free(afr);
    free(freqs);
    sp_model_free(&m);
    free(ckpt);
    free(rundir);
    return rc;
}
