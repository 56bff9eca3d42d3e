/* cmd_report.c - `sincprobe report RUNDIR`: the run's figures (PNG and
 * SVG in RUNDIR/plots) and RUNDIR/report.html gathering them (report.h). */
#include "config.h"
#include "cli/cli.h"
#include "plot/report.h"
#include "base/util.h"

#include <string.h>

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
    const char *run = NULL;
    int quiet = 0;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (sp_is_help(a)) {
            sp_usage_print(stdout, usage);
            return SP_EXIT_OK;
        }
        if (!strcmp(a, "--quiet") || !strcmp(a, "-q")) quiet = 1;
        else if (a[0] == '-' && a[1]) return sp_usage_error(usage, "unknown option '%s'", a);
        else if (!run) run = a;
        else return sp_usage_error(usage, "unexpected argument '%s'", a);
    }
    if (!run) return sp_usage_error(usage, "RUNDIR is missing");
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
