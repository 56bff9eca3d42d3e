/* cmd_report.c - `sincprobe report RUNDIR`: the run's figures (PNG and
 * SVG in RUNDIR/plots) and RUNDIR/report.html gathering them (report.h). */
#include "config.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "plot/report.h"
#include "base/util.h"

static const char *const usage[] = {
    "sincprobe report RUNDIR [--quiet]",
    "",
    "  RUNDIR     a run directory (log.tsv, config.conf, probes/ID/...)",
    "  --quiet    do not name the report written on stderr",
    "",
    "Writes RUNDIR/plots/*.png and *.svg (learning curves, AFR heatmap, information",
    "plane, gradient SNR, linear-probe accuracy) and RUNDIR/report.html.",
    NULL,
};

int cmd_report(int argc, char **argv)
{
    int quiet = 0;
    sp_opt opts[] = {
        SP_OPT_FLAG("--quiet", &quiet),
        SP_OPT_FLAG("-q", &quiet),
        SP_OPT_END,
    };
    int status, nargs = sp_opt_parse(usage, opts, 1, argc, argv, &status);
    if (nargs < 0) return status;
    if (nargs < 1) return sp_usage_error(usage, "a RUNDIR (run directory) is required");
    const char *run = argv[1];
    sp_error err;
    if (!sp_is_dir(run)) {
        sp_errorf("'%s': not a directory", run);
        return SP_EXIT_FAIL;
    }
    if (sp_report_write(run, quiet, &err) != 0) {
        sp_errorf("%s", err.msg);
        return SP_EXIT_FAIL;
    }
    return SP_EXIT_OK;
}
