/* cmd_corpus_synth.c - `sincprobe corpus synth`: make the phone-aligned
 * synthetic corpus in TIMIT layout with eSpeak NG and Flite (the work is in
 * corpus/synth.c), or list its speakers. */
#include "config.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "corpus/synth.h"
#include "base/util.h"

#include <limits.h>

static const char *const usage[] = {
    "sincprobe corpus synth [--out DIR] [--speakers N] [--test-speakers N] [--sentences N] [--seed S] [--text FILE] [--jobs N] [--engines LIST] [--list-voices]",
    "",
    "  --out DIR          output directory, absent or empty (default synth-timit)",
    "  --speakers N       TRAIN speakers (default 48)",
    "  --test-speakers N  TEST speakers, halved into dev and core (default 16, at least 2)",
    "  --sentences N      sentences per speaker (default 10)",
    "  --seed S           seed of every random choice (default 1)",
    "  --text FILE        sentences to read, one a line (default: the built-in set)",
    "  --jobs N           worker processes (default: the number of processors)",
    "  --engines LIST     espeak, flite or both, comma separated (default espeak,flite)",
    "  --list-voices      print each speaker's split, engine, voice and prosody; synthesise nothing",
    NULL,
};

int cmd_corpus_synth(int argc, char **argv)
{
    sp_synth_opts o;
    sp_synth_defaults(&o);
    long seed = (long)o.seed;
    int list = 0;
    sp_opt opts[] = {
        SP_OPT_STRING_NONEMPTY("--out", &o.out),
        SP_OPT_INT("--speakers", &o.speakers, 1, 5000),
        SP_OPT_INT("--test-speakers", &o.test_speakers, 2, 5000),
        SP_OPT_INT("--sentences", &o.sentences, 1, 4095),
        SP_OPT_LONG("--seed", &seed, 0, LONG_MAX),
        SP_OPT_STRING_NONEMPTY("--text", &o.text),
        SP_OPT_INT("--jobs", &o.jobs, 1, 256),
        SP_OPT_STRING_NONEMPTY("--engines", &o.engines),
        SP_OPT_FLAG("--list-voices", &list),
        SP_OPT_END,
    };
    int status;
    if (sp_opt_parse(usage, opts, 0, argc, argv, &status) < 0) return status;
    o.seed = (unsigned long)seed;

    sp_error err;
    if (o.engines && sp_synth_check_engines(o.engines, &err) != 0) return sp_usage_error(usage, "%s", err.msg);
    if (list) {
        if (sp_synth_list_voices(&o, stdout, &err) != 0) {
            sp_errorf("%s", err.msg);
            return SP_EXIT_FAIL;
        }
        return SP_EXIT_OK;
    }
    sp_synth_stats st;
    if (sp_synth_corpus_stats(&o, &st, &err) != 0) {
        sp_errorf("%s", err.msg);
        return SP_EXIT_FAIL;
    }
    printf("synthesised %d speakers (%d train, %d test), %ld utterances, %.2f hours in '%s'\n", st.speakers,
           st.train_speakers, st.test_speakers, st.utterances, st.hours, o.out);
    printf("distinct voices:");
    for (int e = 0; e < st.nengines; e++)
        printf("%s %s %d (train %d, dev %d, core %d)", e ? "," : "", st.engine[e],
               st.voices[e][0] + st.voices[e][1] + st.voices[e][2], st.voices[e][0], st.voices[e][1], st.voices[e][2]);
    printf("; speakers in '%s/voices.tsv'\n", o.out);
    return SP_EXIT_OK;
}
