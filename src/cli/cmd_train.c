/* cmd_train.c - `sincprobe train`: train a model from a config. */
#include "config.h"
#include "cli/cli.h"
#include "base/conf.h"
#include "plot/report.h"
#include "run/train.h"
#include "base/util.h"

#include <string.h>

static const char *const usage[] = {
    "sincprobe train CONFIG [--dir DIR] [--quiet]",
    "   or: sincprobe train --resume RUNDIR [--quiet]",
    "",
    "  --dir DIR        run directory (overrides [run] dir)",
    "  --resume RUNDIR  continue an interrupted or finished run from its last checkpoint",
    "  --quiet          no progress display",
    NULL,
};

int cmd_train(int argc, char **argv)
{
    const char *config = NULL, *dir = NULL;
    sp_train_opts o = { 0 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (sp_is_help(a)) {
            sp_usage_print(stdout, usage);
            return SP_EXIT_OK;
        } else if (!strcmp(a, "--dir") || !strcmp(a, "--resume")) {
            if (++i >= argc) return sp_usage_error(usage, "'%s' needs a value", a);
            if (!strcmp(a, "--dir")) dir = argv[i];
            else o.resume_dir = argv[i];
        } else if (!strcmp(a, "--quiet")) {
            o.quiet = 1;
        } else if (!strcmp(a, "--stop-after-steps")) { /* for tests of resuming */
            long v;
            if (++i >= argc || sp_parse_long(argv[i], 1, 1L << 40, &v) != 0)
                return sp_usage_error(usage, "'--stop-after-steps' needs a positive integer");
            o.stop_after_steps = v;
        } else if (a[0] == '-') {
            return sp_usage_error(usage, "unknown option '%s'", a);
        } else if (!config) {
            config = a;
        } else {
            return sp_usage_error(usage, "unexpected argument '%s'", a);
        }
    }
    if (!config == !o.resume_dir) return sp_usage_error(usage, "give a CONFIG, or --resume RUNDIR");
    if (o.resume_dir && dir) return sp_usage_error(usage, "'--dir' does not go with '--resume'");

    sp_conf c;
    sp_error err;
    if (config) {
        sp_diag d;
        sp_diag_init(&d, 0);
        if (sp_conf_load(&c, config, &d) != 0) {
            for (size_t i = 0; i < d.n; i++) sp_problem_log(SP_LOG_ERROR, &d.v[i]);
            sp_diag_free(&d);
            return SP_EXIT_FAIL;
        }
        sp_diag_free(&d);
        if (dir) snprintf(c.dir, sizeof c.dir, "%s", dir);
    } else {
        sp_conf_defaults(&c);
    }
    char run_dir[4096];
    o.run_dir_out = run_dir;
    o.run_dir_size = sizeof run_dir;
    if (sp_train(&c, &o, &err) != 0) {
        sp_errorf("%s", err.msg);
        return SP_EXIT_FAIL;
    }
    /* The run's figures and report.html (also after an interruption, to
     * show the epochs so far). A report that cannot be drawn is a warning:
     * the training's results stand. */
    if (sp_report_write(run_dir, o.quiet, &err) != 0) sp_errorf("report not written: %s", err.msg);
    return SP_EXIT_OK;
}
