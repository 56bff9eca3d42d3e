/* cli.h - the sincprobe command line: one function per command, each in
 * its own cmd_*.c file, dispatched from main.c's table.
 *
 * Every command takes (argc, argv) with argv[0] its own name, prints its
 * usage on --help (exit 0), and returns the process exit status:
 * 0 success, 1 failure, 2 usage error. Errors (base/error.h's form:
 * lowercase, the subject quoted) go through base/log.h, whose sink
 * (sp_cli_log, installed by main) writes them on stderr prefixed
 * "sincprobe: ". */
#ifndef SP_CLI_H
#define SP_CLI_H

#include "run/evaluate.h"
#include "nn/model.h"
#include "nn/checkpoint.h"
#include "base/log.h"
#include "base/util.h"

#include <stdio.h>

enum { SP_EXIT_OK = 0, SP_EXIT_FAIL = 1, SP_EXIT_USAGE = 2 };

/* probe_guard.c: handlers that name a probe that crashes (SIGSEGV, SIGBUS,
 * SIGFPE, SIGABRT), outlives its probe_timeout (SIGALRM) or calls exit()
 * inside a hook; main installs them once. */
void sp_cli_probe_guard_install(void);

int cmd_corpus(int argc, char **argv);
int cmd_corpus_check(int argc, char **argv);
int cmd_corpus_synth(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_plugins(int argc, char **argv);
int cmd_afr(int argc, char **argv);
int cmd_analyse(int argc, char **argv);
int cmd_report(int argc, char **argv);
int cmd_robustness(int argc, char **argv);
int cmd_live(int argc, char **argv);
int cmd_ladspa(int argc, char **argv);
int cmd_export_ladspa(int argc, char **argv);
int cmd_layers(int argc, char **argv);
int cmd_activations(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_import(int argc, char **argv);
int cmd_sweep(int argc, char **argv);

/* The log sink of the command line (base/log.h), on stderr: progress as
 * given, INFO lines as they are, "sincprobe: " before notices and errors,
 * "sincprobe: warning: " before warnings. */
void sp_cli_log(void *ctx, sp_log_level level, const char *text);
/* An error through the log: "sincprobe: " + message + newline on stderr. */
void sp_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print a NULL-terminated usage array: the first line after "usage: ",
 * the following ones starting with "   or: " or blank/indented text as
 * given. */
void sp_usage_print(FILE *f, const char *const *usage);
/* Report a usage error: message, then the usage, on stderr; returns 2. */
int sp_usage_error(const char *const *usage, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "; did you mean 'NAME'?" into buf (size bytes) when NAME of the
 * NULL-terminated names is near word (base/util.h's sp_suggest), else
 * ""; returns buf, to put after an "unknown ..." message. */
const char *sp_did_you_mean(char *buf, size_t size, const char *word, const char *const *names);
/* 1 when arg is -h or --help. */
int sp_is_help(const char *arg);
/* Parse a whole decimal integer in [lo, hi]; 0 or -1. */
int sp_parse_long(const char *s, long lo, long hi, long *out);

/* MODEL as the commands take it (a checkpoint, or a run directory
 * meaning its best checkpoint, else its last) loaded into m for batches
 * of up to maxB. *ckpt and *rundir get the checkpoint's path and its run
 * directory (the caller frees both, also after a failure, when they may
 * be NULL). 0, or -1 with the error printed; m is then not to be freed. */
int sp_cli_load_model(const char *model, int maxB, sp_model *m, char **ckpt, char **rundir);
/* The same, and the checkpoint's training position into *pos. */
int sp_cli_load_model_at(const char *model, int maxB, sp_model *m, char **ckpt, char **rundir, sp_train_pos *pos);

/* The progress of an evaluation labelled label (sp_progress, through
 * base/log.h): a bar on a terminal, else a line every
 * sp_progress_interval() seconds. Returns the hooks to give sp_evaluate
 * (b holds them; label must outlive it). */
typedef struct {
    sp_eval_progress hooks;
    sp_progress bar;
    const char *label;
} sp_cli_bar;
const sp_eval_progress *sp_cli_bar_init(sp_cli_bar *b, const char *label);

#endif
