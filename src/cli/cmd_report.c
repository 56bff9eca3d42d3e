/* cmd_report.c - `sincprobe report RUNDIR`: the run's figures (PNG and
 * SVG in RUNDIR/plots) and RUNDIR/report.html gathering them; `sincprobe
 * report RUN1 RUN2 ... --out DIR`: the runs side by side in DIR
 * (report.h). */
#include "config.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "plot/report.h"
#include "base/util.h"

#include <string.h>

static const char *const usage[] = {
    "sincprobe report RUNDIR [--quiet]",
    "   or: sincprobe report RUNDIR ... --out DIR [--quiet]",
    "",
    "  RUNDIR     a run directory (log.tsv, config.conf, probes/ID/...)",
    "  --out DIR  draw the runs side by side into DIR (needed with several runs)",
    "  --quiet    do not name the report written on stderr",
    "",
    "With one RUNDIR and no --out: RUNDIR/plots/*.png and *.svg (learning curves, lr,",
    "AFR heatmap, information plane, gradient SNR, linear-probe accuracy, confusion",
    "matrices of eval) and RUNDIR/report.html. With --out: DIR/report.html comparing",
    "the runs, DIR/plots/, DIR/summary.tsv and DIR/summary.json.",
    NULL,
};

int cmd_report(int argc, char **argv)
{
    int quiet = 0;
    const char *out = NULL;
    sp_opt opts[] = {
        SP_OPT_FLAG("--quiet", &quiet),
        SP_OPT_FLAG("-q", &quiet),
        SP_OPT_STRING_NONEMPTY("--out", &out),
        SP_OPT_END,
    };
    int status, nargs = sp_opt_parse(usage, opts, -1, argc, argv, &status);
    if (nargs < 0) return status;
    if (nargs < 1) return sp_usage_error(usage, "a RUNDIR (run directory) is required");
    if (nargs > 1 && !out)
        return sp_usage_error(usage, "%d runs given: side by side they need --out DIR (where the page goes)", nargs);
    for (int i = 1; i < nargs; i++)
        for (int j = i + 1; j <= nargs; j++)
            if (!strcmp(argv[i], argv[j])) return sp_usage_error(usage, "'%s' is given twice", argv[i]);
    sp_error err;
    int rc;
    if (out) {
        rc = sp_report_runs_write((const char *const *)argv + 1, nargs, out, quiet, &err);
    } else {
        const char *run = argv[1];
        if (!sp_is_dir(run)) {
            sp_errorf("'%s': not a directory", run);
            return SP_EXIT_FAIL;
        }
        rc = sp_report_write(run, quiet, &err);
    }
    if (rc != 0) {
        sp_errorf("%s", err.msg);
        return SP_EXIT_FAIL;
    }
    return SP_EXIT_OK;
}
