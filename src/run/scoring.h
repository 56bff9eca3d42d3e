/* scoring.h - a model scored on a split, as `sincprobe eval` and
 * `sincprobe robustness` do it: the frame error rate over every 10 ms
 * frame (48 classes, and folded to 39), and the phone error rate after
 * Viterbi decoding (posteriors over class priors, the bigram phone LM of
 * the training transcripts, a minimum duration, an insertion penalty),
 * scored on 39 phones with a Levenshtein alignment (S, D, I) and a
 * confusion matrix.
 *
 * A caller's sequence:
 *
 *     sp_scoring_init(&s, &model, &opts)      the config, split, decoding
 *     sp_scoring_load(&s, err)                 decoder (priors, LM), split
 *     for each condition:
 *         sp_scoring_run(&s, chain, ...)       probes started, every frame
 *         sp_scoring_get(&s, &scores)          through the model, scored
 *     sp_scoring_free(&s)
 *
 * The split is loaded once; each run starts from zero counts, and the
 * probes of its chain (noise) rewrite the chunks on their way to the
 * network, never the stored audio, so runs do not affect each other.
 * Nothing here prints: errors follow base/error.h, the dataset's
 * problems and the probes' lines go through base/log.h. */
#ifndef SP_SCORING_H
#define SP_SCORING_H

#include "run/evaluate.h"
#include "decode/phonedecoder.h"
#include "probe/probe_host.h"
#include "base/conf.h"
#include "base/error.h"

/* What the command line may change; zero it, then set the NaNs. */
typedef struct {
    const char *corpus;   /* corpus root; NULL: the model's */
    const char *split;    /* dev, core, test, train, all; NULL: the config's test_split */
    int min_dur;          /* minimum phone duration in frames; 0: the config's */
    double ins, lmw, prs; /* insertion penalty, LM weight, prior scale; NaN: the config's */
} sp_scoring_opts;

/* One pass's numbers. */
typedef struct {
    double per;          /* (S + D + I) / N on 39 phones */
    double fer;          /* 48 classes */
    double fer39;        /* folded to 39 */
    double loss;         /* mean NLL over labelled frames */
    long frames;         /* labelled frames */
    long utterances;
    sp_edit_counts total;
} sp_scores;

typedef struct {
    sp_model *m;                 /* borrowed */
    sp_conf c;                   /* the model's config, with opts' corpus */
    char split[16];              /* the split's name */
    sp_probe_role role;          /* DEV for dev, TEST otherwise */
    sp_viterbi_opts vo;
    sp_phone_decoder pd;
    sp_dataset ds;
    /* the counts of the last pass */
    sp_eval_result ev;
    sp_score score;
    sp_fer fer39, fer48;
    /* per-utterance scratch, grown as needed */
    sp_phone_seg *seg;
    int *lab, *hyp39, *ref39;
    size_t cap;
    int failed;                  /* a decode or score call failed */
    sp_error err;                /* ... with this message */
    int have_pd, have_ds, have_score;
} sp_scoring;

/* The model's config with o's overrides: split, corpus, decoding options
 * and the model's thread count. o's split must be valid (sp_split_parse). */
void sp_scoring_init(sp_scoring *s, sp_model *m, const sp_scoring_opts *o);

/* The decoder (priors and phone LM from the training split of the
 * evaluated corpus, or of the model's own corpus when the evaluated one
 * has no TRAIN folder) and the evaluated split. 0, or -1 with err. */
int sp_scoring_load(sp_scoring *s, sp_error *err);

/* Every frame of the split through the model. ch (NULL: none; created in
 * SP_PROBE_MODE_EVAL, not yet started) is started on the split in the
 * scoring's role, sees each batch before the forward pass, and is
 * finished (COMPLETED, or FAILED on an error). run_dir: what the probes
 * are told. progress: NULL for none. 0, or -1 with err. */
int sp_scoring_run(sp_scoring *s, sp_probe_chain *ch, const char *run_dir, const sp_eval_progress *progress,
                   sp_error *err);

/* The trivial baselines instead of the model: every frame's posterior is
 * the class prior (FER of the most frequent class, PER of the LM and
 * durations alone). 0, or -1 with err. */
int sp_scoring_run_baseline(sp_scoring *s, sp_error *err);

/* The numbers of the last pass. */
void sp_scoring_get(const sp_scoring *s, sp_scores *out);

void sp_scoring_free(sp_scoring *s);

#endif
