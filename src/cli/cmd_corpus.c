/* cmd_corpus.c - `sincprobe corpus check|synth`: dispatch. */
#include "config.h"
#include "cli/cli.h"

#include <string.h>

static const char *const usage[] = {
    "sincprobe corpus check DIR [--split S] [--json] [--strict] [--include-sa]",
    "   or: sincprobe corpus synth [--out DIR] [--speakers N] [--test-speakers N] [--sentences N] [--seed S] [--text FILE] [--jobs N] [--engines LIST] [--list-voices]",
    NULL,
};

int cmd_corpus(int argc, char **argv)
{
    if (argc < 2) return sp_usage_error(usage, "corpus: a subcommand is required (check or synth)");
    if (sp_is_help(argv[1])) {
        sp_usage_print(stdout, usage);
        return SP_EXIT_OK;
    }
    if (strcmp(argv[1], "check") == 0) return cmd_corpus_check(argc - 1, argv + 1);
    if (strcmp(argv[1], "synth") == 0) return cmd_corpus_synth(argc - 1, argv + 1);
    static const char *const subcommands[] = { "check", "synth", NULL };
    char near[128];
    return sp_usage_error(usage, "corpus: unknown subcommand '%s'%s", argv[1],
                          sp_did_you_mean(near, sizeof near, argv[1], subcommands));
}
