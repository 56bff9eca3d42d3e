/* cmd_corpus_synth.c - `sincprobe corpus synth`: make the phone-aligned
 * synthetic corpus in TIMIT layout with eSpeak NG (the work is in synth.c). */
#include "config.h"
#include "cli/cli.h"
#include "corpus/synth.h"
#include "base/util.h"

#include <limits.h>
#include <string.h>

static const char *const usage[] = {
    "sincprobe corpus synth [--out DIR] [--speakers N] [--test-speakers N] [--sentences N] [--seed S] [--text FILE] [--jobs N]",
    "",
    "  --out DIR          output directory, absent or empty (default synth-timit)",
    "  --speakers N       TRAIN speakers (default 48)",
    "  --test-speakers N  TEST speakers, halved into dev and core (default 16, at least 2)",
    "  --sentences N      sentences per speaker (default 10)",
    "  --seed S           seed of every random choice (default 1)",
    "  --text FILE        sentences to read, one a line (default: the built-in set)",
    "  --jobs N           worker processes (default: the number of processors)",
    NULL,
};

/* The value of option argv[*i], parsed as an integer in [lo, hi]. */
static int int_option(int argc, char **argv, int *i, long lo, long hi, long *out)
{
    const char *name = argv[*i];
    if (++*i >= argc) return sp_usage_error(usage, "'%s' needs a value", name);
    if (sp_parse_long(argv[*i], lo, hi, out) != 0)
        return sp_usage_error(usage, "invalid value '%s' for '%s': expected an integer from %ld to %ld", argv[*i],
                              name, lo, hi);
    return 0;
}

int cmd_corpus_synth(int argc, char **argv)
{
    sp_synth_opts o;
    sp_synth_defaults(&o);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long v = 0;
        if (sp_is_help(a)) {
            sp_usage_print(stdout, usage);
            return SP_EXIT_OK;
        } else if (strcmp(a, "--out") == 0 || strcmp(a, "--text") == 0) {
            if (i + 1 >= argc) return sp_usage_error(usage, "'%s' needs a value", a);
            if (!argv[i + 1][0]) return sp_usage_error(usage, "'%s' needs a non-empty value", a);
            if (a[2] == 'o') o.out = argv[++i];
            else o.text = argv[++i];
        } else if (strcmp(a, "--speakers") == 0) {
            if (int_option(argc, argv, &i, 1, 5000, &v)) return SP_EXIT_USAGE;
            o.speakers = (int)v;
        } else if (strcmp(a, "--test-speakers") == 0) {
            if (int_option(argc, argv, &i, 2, 5000, &v)) return SP_EXIT_USAGE;
            o.test_speakers = (int)v;
        } else if (strcmp(a, "--sentences") == 0) {
            if (int_option(argc, argv, &i, 1, 4095, &v)) return SP_EXIT_USAGE;
            o.sentences = (int)v;
        } else if (strcmp(a, "--seed") == 0) {
            if (int_option(argc, argv, &i, 0, LONG_MAX, &v)) return SP_EXIT_USAGE;
            o.seed = (unsigned long)v;
        } else if (strcmp(a, "--jobs") == 0) {
            if (int_option(argc, argv, &i, 1, 256, &v)) return SP_EXIT_USAGE;
            o.jobs = (int)v;
        } else if (a[0] == '-') {
            return sp_usage_error(usage, "unknown option '%s'", a);
        } else {
            return sp_usage_error(usage, "unexpected argument '%s'", a);
        }
    }

    sp_error err;
    sp_synth_stats st;
    if (sp_synth_corpus_stats(&o, &st, &err) != 0) {
        sp_errorf("%s", err.msg);
        return SP_EXIT_FAIL;
    }
    printf("synthesised %d speakers (%d train, %d test), %ld utterances, %.2f hours in '%s'\n", st.speakers,
           st.train_speakers, st.test_speakers, st.utterances, st.hours, o.out);
    return SP_EXIT_OK;
}
