/* cmd_corpus_check.c - `sincprobe corpus check`: validate a TIMIT-layout
 * corpus and summarise it (speakers, utterances, hours, phone counts in
 * the 61, 48 and 39 sets, every problem found, and how well the phone
 * labels agree with the audio, per engine of a synthetic corpus). */
#include "config.h"
#include "cli/cli.h"
#include "base/conf.h"
#include "cli/opt.h"
#include "base/json.h"
#include "corpus/alignment.h"
#include "corpus/phoneset.h"
#include "corpus/timit.h"
#include "corpus/voices.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const usage[] = {
    "sincprobe corpus check DIR [--split S] [--json] [--strict] [--include-sa]",
    "",
    "  --split S      train, dev, core, test (every TEST speaker) or all; default all",
    "  --json         print one JSON object instead of the text summary",
    "  --strict       warnings are errors; stop at the first problem",
    "  --include-sa   include the SA1/SA2 sentences (left out by default)",
    NULL,
};

/* The alignment measure of one group of speakers: an engine of a
 * synthetic corpus (voices.tsv), or the whole corpus without one. */
typedef struct {
    char name[16];
    sp_align_stats st;
} align_group;

#define MAX_GROUPS 16

typedef struct {
    long speakers, female, male, utterances, samples;
    long count61[SP_MAX_PHONES], count48[SP_MAX_PHONES], count39[SP_MAX_PHONES];
    align_group group[MAX_GROUPS];
    int ngroups;
} summary;

/* The group of an utterance's speaker: its engine in voices.tsv, "all"
 * when the corpus has no voices.tsv, "unlisted" for a speaker it omits. */
static sp_align_stats *group_of(summary *s, const sp_voices *vt, const sp_utt_ref *r)
{
    const char *name = vt->n == 0 ? "all" : sp_voices_engine(vt, r->speaker);
    if (!name) name = "unlisted";
    for (int i = 0; i < s->ngroups; i++)
        if (strcmp(s->group[i].name, name) == 0) return &s->group[i].st;
    if (s->ngroups == MAX_GROUPS) return &s->group[MAX_GROUPS - 1].st;
    align_group *g = &s->group[s->ngroups++];
    snprintf(g->name, sizeof g->name, "%s", name);
    return &g->st;
}

static int cmp_group(const void *a, const void *b)
{
    return strcmp(((const align_group *)a)->name, ((const align_group *)b)->name);
}

static void print_alignment(FILE *f, const summary *s)
{
    fprintf(f, "\nalignment (10 ms frames against each utterance's median energy):\n");
    fprintf(f, "  %-10s %10s %14s %7s %12s %7s\n", "engine", "utterances", "silence frames", "quiet", "vowel frames",
            "loud");
    for (int i = 0; i < s->ngroups; i++) {
        const sp_align_stats *a = &s->group[i].st;
        fprintf(f, "  %-10s %10ld %14ld %6.1f%% %12ld %6.1f%%\n", s->group[i].name, a->utterances, a->silence_frames,
                100.0 * sp_align_silence_share(a), a->vowel_frames, 100.0 * sp_align_vowel_share(a));
    }
}

static void json_alignment(sp_json *j, const summary *s)
{
    sp_json_begin_array(j, "alignment");
    for (int i = 0; i < s->ngroups; i++) {
        const sp_align_stats *a = &s->group[i].st;
        sp_json_begin_object(j, NULL);
        sp_json_string(j, "engine", s->group[i].name);
        sp_json_long(j, "utterances", a->utterances);
        sp_json_long(j, "silence_frames", a->silence_frames);
        sp_json_double(j, "silence_quiet", sp_align_silence_share(a));
        sp_json_long(j, "vowel_frames", a->vowel_frames);
        sp_json_double(j, "vowel_loud", sp_align_vowel_share(a));
        sp_json_end_object(j);
    }
    sp_json_end_array(j);
}

static void count_speakers(const sp_corpus *c, summary *s)
{
    /* utts are sorted by id, so one speaker's utterances are adjacent. */
    for (size_t i = 0; i < c->n; i++) {
        const sp_utt_ref *r = &c->utts[i];
        if (i > 0 && strcmp(c->utts[i - 1].speaker, r->speaker) == 0 && c->utts[i - 1].test == r->test) continue;
        s->speakers++;
        if (r->sex == 'f') s->female++;
        else s->male++;
    }
}

static void print_counts(FILE *f, const char *title, int n, const char (*names)[SP_PHONE_NAMELEN], const long *count)
{
    fprintf(f, "\n%s (%d symbols):\n", title, n);
    for (int i = 0; i < n; i++) {
        fprintf(f, "  %-5s %8ld", names[i], count[i]);
        if (i % 6 == 5 || i == n - 1) fputc('\n', f);
    }
}

static void json_counts(sp_json *j, const char *key, int n, const char (*names)[SP_PHONE_NAMELEN], const long *count)
{
    sp_json_begin_object(j, key);
    for (int i = 0; i < n; i++) sp_json_long(j, names[i], count[i]);
    sp_json_end_object(j);
}

static void json_problems(sp_json *j, const char *key, const sp_problem *v, size_t n)
{
    sp_json_begin_array(j, key);
    for (size_t i = 0; i < n; i++) {
        sp_json_begin_object(j, NULL);
        sp_json_string(j, "file", v[i].file);
        sp_json_long(j, "line", v[i].line);
        sp_json_string(j, "message", v[i].message);
        sp_json_end_object(j);
    }
    sp_json_end_array(j);
}

/* What was found, as one JSON object. */
static void print_json(const char *dir, int split, int include_sa, double hours, const summary *s, const sp_diag *d,
                       const sp_phoneset *ps)
{
    sp_json jj, *j = &jj;
    sp_json_init(j, stdout, 1);
    sp_json_begin_object(j, NULL);
    sp_json_string(j, "corpus", dir);
    sp_json_string(j, "split", sp_split_name(split));
    sp_json_bool(j, "include_sa", include_sa);
    sp_json_long(j, "speakers", s->speakers);
    sp_json_long(j, "female", s->female);
    sp_json_long(j, "male", s->male);
    sp_json_long(j, "utterances", s->utterances);
    sp_json_double(j, "hours", hours);
    sp_json_long(j, "samples", s->samples);
    sp_json_long(j, "errors", (long)d->n);
    json_problems(j, "problems", d->v, d->n);
    sp_json_long(j, "warning_count", (long)d->nw);
    json_problems(j, "warnings", d->w, d->nw);
    json_counts(j, "phones61", ps->n61, ps->name61, s->count61);
    json_counts(j, "phones48", ps->n48, ps->name48, s->count48);
    json_counts(j, "phones39", ps->n39, ps->name39, s->count39);
    json_alignment(j, s);
    sp_json_end_object(j);
    sp_json_finish(j);
}

/* What was found, as the text summary. */
static void print_text(const char *dir, int split, int include_sa, int strict, double hours, const summary *s,
                       const sp_diag *d, const sp_phoneset *ps)
{
    printf("corpus      %s\n", dir);
    printf("split       %s%s\n", sp_split_name(split), include_sa ? " (with SA1/SA2)" : " (SA1/SA2 left out)");
    printf("speakers    %ld (%ld female, %ld male)\n", s->speakers, s->female, s->male);
    printf("utterances  %ld\n", s->utterances);
    printf("hours       %.3f\n", hours);
    printf("errors      %zu%s\n", d->n, strict && d->n ? " (stopped at the first: --strict)" : "");
    printf("warnings    %zu%s\n", d->nw, d->nw ? " (--strict makes them errors)" : "");
    print_counts(stdout, "phone tokens, 61-symbol set", ps->n61, ps->name61, s->count61);
    print_counts(stdout, "phone tokens, 48-symbol training set", ps->n48, ps->name48, s->count48);
    print_counts(stdout, "phone tokens, 39-symbol scoring set", ps->n39, ps->name39, s->count39);
    print_alignment(stdout, s);
}

int cmd_corpus_check(int argc, char **argv)
{
    const char *split_name = NULL;
    int json = 0, strict = 0, include_sa = 0;
    sp_opt opts[] = {
        SP_OPT_STRING("--split", &split_name),
        SP_OPT_FLAG("--json", &json),
        SP_OPT_FLAG("--strict", &strict),
        SP_OPT_FLAG("--include-sa", &include_sa),
        SP_OPT_END,
    };
    int status, nargs = sp_opt_parse(usage, opts, 1, argc, argv, &status);
    if (nargs < 0) return status;
    int split = split_name ? sp_split_parse(split_name) : SP_SPLIT_ALL;
    if (split < 0)
        return sp_usage_error(usage, "unknown split '%s': expected train, dev, core, test or all", split_name);
    if (nargs < 1) return sp_usage_error(usage, "a corpus directory is required");
    const char *dir = argv[1];

    sp_error err;
    sp_phoneset ps;
    if (sp_phoneset_load_default(&ps, &err) != 0) {
        sp_errorf("%s", err.msg);
        return SP_EXIT_FAIL;
    }
    sp_diag d;
    sp_diag_init(&d, strict);
    if (!json) d.echo = 1;
    sp_corpus c;
    if (sp_corpus_scan(&c, dir, split, include_sa, &d, &err) != 0) {
        sp_errorf("%s", err.msg);
        sp_diag_free(&d);
        return SP_EXIT_FAIL;
    }
    sp_voices vt;
    sp_voices_read(&vt, dir, &d);
    summary s;
    memset(&s, 0, sizeof s);
    count_speakers(&c, &s);
    sp_progress prog;
    int show = c.n > 50; /* a bar on a terminal, else a line every SINCPROBE_PROGRESS_INTERVAL s */
    if (show) sp_progress_start(&prog, "checking", (long)c.n);
    for (size_t i = 0; i < c.n && !sp_diag_stop(&d); i++) {
        sp_utt u;
        sp_utt_load(&c.utts[i], &ps, &u, &d);
        if (u.audio && u.phn.n) sp_align_add(group_of(&s, &vt, &c.utts[i]), &u);
        s.utterances++;
        s.samples += u.n;
        for (size_t k = 0; k < u.phn.n && u.phone61; k++) {
            int p = u.phone61[k];
            if (p < 0) continue;
            s.count61[p]++;
            if (ps.to48[p] >= 0) s.count48[ps.to48[p]]++;
            if (ps.to39[p] >= 0) s.count39[ps.to39[p]]++;
        }
        sp_utt_free(&u);
        if (show) sp_progress_update(&prog, (long)i + 1);
    }
    if (show) sp_progress_end(&prog);
    qsort(s.group, (size_t)s.ngroups, sizeof *s.group, cmp_group);
    double hours = (double)s.samples / SP_SAMPLE_RATE / 3600.0;

    if (json) print_json(dir, split, include_sa, hours, &s, &d, &ps);
    else print_text(dir, split, include_sa, strict, hours, &s, &d, &ps);
    int rc = d.n ? SP_EXIT_FAIL : SP_EXIT_OK;
    sp_voices_free(&vt);
    sp_corpus_free(&c);
    sp_diag_free(&d);
    return rc;
}
