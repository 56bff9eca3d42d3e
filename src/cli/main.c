/* main.c - sincprobe's entry point: the command table. */
#include "config.h"
#include "cli/cli.h"
#include "nn/blas_core.h"

#include <string.h>
#include <unistd.h>

struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
    { "corpus", cmd_corpus, "check a TIMIT-layout corpus or synthesise one with eSpeak NG and Flite" },
    { "train", cmd_train, "train a phone recogniser from a config" },
    { "eval", cmd_eval, "frame and phone error rates of a model on a split" },
    { "decode", cmd_decode, "phone segments of audio files" },
    { "live", cmd_live, "a model's learned filterbank on the microphone (or a file), drawn as it happens" },
    { "ladspa", cmd_ladspa, "LADSPA plugins: list them, show one's ports, apply one to a file" },
    { "plugins", cmd_plugins, "list the probe plugins, or show one probe's options" },
    { "afr", cmd_afr, "frequency responses of a model's first-layer filters and their average" },
    { "layers", cmd_layers, "a model's (or a config's) layer names, kinds, output shapes and parameters" },
    { "activations", cmd_activations, "a model's layer activations (and posteriors) on a seeded frame set, as .npy" },
    { "analyse", cmd_analyse, "information plane, t-SNE, PCA or linear separability of saved activations" },
    { "robustness", cmd_robustness, "models x test conditions (noise types, SNRs): PER/FER table and figure" },
    { "export-ladspa", cmd_export_ladspa, "write a model's first layer for the sincprobe LADSPA plugins (sox, Audacity)" },
    { "export", cmd_export, "a model's tensors, config and phone list as a .npz for numpy and PyTorch" },
    { "import", cmd_import, "a run directory from a .npz of named tensors (e.g. trained in PyTorch)" },
    { "report", cmd_report, "figures and report.html of a run directory, or of several side by side" },
    { "sweep", cmd_sweep, "a grid of runs of a config: train them here, or write a Slurm array job; their table" },
    { "help", cmd_help, "list the commands, or show one command's usage" },
};

static const char *const usage[] = {
    "sincprobe COMMAND [ARGS]",
    "   or: sincprobe help [COMMAND]",
    "   or: sincprobe --version",
    NULL,
};

static const struct command *find_command(const char *name)
{
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

/* The error for an unknown command name, with the nearest command when
 * one is near (base/util.h's sp_suggest). */
static void unknown_command(const char *name)
{
    sp_suggest s;
    sp_suggest_init(&s, name);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) sp_suggest_add(&s, commands[i].name);
    if (sp_suggest_best(&s))
        sp_errorf("unknown command '%s'; did you mean '%s'? ('sincprobe help' lists the commands)", name,
                  sp_suggest_best(&s));
    else
        sp_errorf("unknown command '%s'; 'sincprobe help' lists the commands", name);
}

static void list_commands(FILE *f)
{
    sp_usage_print(f, usage);
    fputs("\ncommands:\n", f);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].summary);
    fputs("\n'sincprobe COMMAND --help' shows a command's options; man sincprobe-COMMAND has the details.\n", f);
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2 || sp_is_help(argv[1])) {
        list_commands(stdout);
        return SP_EXIT_OK;
    }
    const struct command *c = find_command(argv[1]);
    if (!c || c->run == cmd_help) {
        unknown_command(argv[1]);
        return SP_EXIT_USAGE;
    }
    char help[] = "--help";
    char *args[] = { argv[1], help, NULL };
    return c->run(2, args);
}

int main(int argc, char **argv)
{
    sp_blas_use_best_core(argv);
    sp_log_set_sink(sp_cli_log, NULL, isatty(STDERR_FILENO));
    sp_cli_probe_guard_install();
    if (argc < 2) {
        list_commands(stderr);
        return SP_EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
        char blas[256];
        sp_blas_describe(blas, sizeof blas);
        printf("sincprobe %s\n%s\n", PACKAGE_VERSION, blas);
        return SP_EXIT_OK;
    }
    if (sp_is_help(argv[1])) {
        list_commands(stdout);
        return SP_EXIT_OK;
    }
    const struct command *c = find_command(argv[1]);
    if (!c) {
        unknown_command(argv[1]);
        return SP_EXIT_USAGE;
    }
    return c->run(argc - 1, argv + 1);
}
