/* cli.c - helpers shared by the commands: the log sink, errors, usage,
 * progress bars. */
#include "config.h"
#include "cli/cli.h"
#include "decode/phonedecoder.h"
#include "nn/checkpoint.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void sp_cli_log(void *ctx, sp_log_level level, const char *text)
{
    (void)ctx;
    switch (level) {
    case SP_LOG_PROGRESS:
        fputs(text, stderr);
        fflush(stderr);
        break;
    case SP_LOG_INFO: fprintf(stderr, "%s\n", text); break;
    case SP_LOG_WARN: fprintf(stderr, "sincprobe: warning: %s\n", text); break;
    case SP_LOG_NOTE:
    case SP_LOG_ERROR: fprintf(stderr, "sincprobe: %s\n", text); break;
    }
}

void sp_errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sp_logv(SP_LOG_ERROR, fmt, ap);
    va_end(ap);
}

void sp_usage_print(FILE *f, const char *const *usage)
{
    for (size_t i = 0; usage[i]; i++) {
        if (i == 0) fprintf(f, "usage: %s\n", usage[i]);
        else fprintf(f, "%s\n", usage[i]);
    }
}

int sp_usage_error(const char *const *usage, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    sp_logv(SP_LOG_ERROR, fmt, ap);
    va_end(ap);
    sp_usage_print(stderr, usage);
    return SP_EXIT_USAGE;
}

const char *sp_did_you_mean(char *buf, size_t size, const char *word, const char *const *names)
{
    sp_suggest s;
    sp_suggest_init(&s, word);
    for (size_t i = 0; names[i]; i++) sp_suggest_add(&s, names[i]);
    if (sp_suggest_best(&s)) snprintf(buf, size, "; did you mean '%s'?", sp_suggest_best(&s));
    else if (size) buf[0] = '\0';
    return buf;
}

int sp_is_help(const char *arg)
{
    return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

int sp_parse_long(const char *s, long lo, long hi, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < lo || v > hi) return -1;
    *out = v;
    return 0;
}

int sp_cli_load_model(const char *model, int maxB, sp_model *m, char **ckpt, char **rundir)
{
    return sp_cli_load_model_at(model, maxB, m, ckpt, rundir, NULL);
}

int sp_cli_load_model_at(const char *model, int maxB, sp_model *m, char **ckpt, char **rundir, sp_train_pos *pos)
{
    sp_error err;
    *rundir = NULL;
    *ckpt = sp_resolve_model(model, rundir, &err);
    if (!*ckpt || sp_checkpoint_load(*ckpt, m, maxB, NULL, pos, &err) != 0) {
        sp_errorf("%s", err.msg);
        return -1;
    }
    return 0;
}

static void bar_begin(void *ctx, long total)
{
    sp_cli_bar *b = ctx;
    sp_progress_start(&b->bar, b->label, total);
}

static void bar_update(void *ctx, long done)
{
    sp_cli_bar *b = ctx;
    sp_progress_update(&b->bar, done);
}

static void bar_end(void *ctx)
{
    sp_cli_bar *b = ctx;
    sp_progress_end(&b->bar);
}

const sp_eval_progress *sp_cli_bar_init(sp_cli_bar *b, const char *label)
{
    b->hooks = (sp_eval_progress){ .begin = bar_begin, .update = bar_update, .end = bar_end, .ctx = b };
    b->label = label;
    return &b->hooks;
}
