/* cmd_analyse.c - `sincprobe analyse KIND ...` (placeholder). */
#include "config.h"
#include "cli.h"

int cmd_analyse(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    sp_errorf("analyse: not built yet");
    return SP_EXIT_FAIL;
}
