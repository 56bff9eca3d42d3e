/* cmd_report.c - `sincprobe report RUNDIR` (placeholder until the report lands). */
#include "config.h"
#include "cli.h"

int cmd_report(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    sp_errorf("report: not built yet");
    return SP_EXIT_FAIL;
}
