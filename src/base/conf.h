/* conf.h - sincprobe's experiment config: the [data], [model], [train],
 * [eval] and [run] keys, their types, defaults and checks, resolved into
 * one typed struct. Every key is documented in sincprobe.conf(5); the
 * table in conf.c is the single source of keys, defaults and help.
 *
 * Resolution order: built-in defaults, then the model preset named by
 * [model] preset (sincnet or small), then the file's own keys. [optim]
 * holds what the optimiser applies beyond [train]'s learning rate. An unknown
 * section or key, or a bad value, is an error naming the file and line.
 * Sections "[probe ID]" are left for the probe chain to read. */
#ifndef SP_CONF_H
#define SP_CONF_H

#include <stdio.h>
#include "base/diag.h"
#include "base/ini.h"

#define SP_CONF_STR 512
#define SP_CONF_MAXLAYERS 16
#define SP_CONF_PROBES 16384

/* The engine's one sample rate in Hz: TIMIT and the synthetic corpus are
 * 16 kHz, every other input is resampled to it, and the model's sizes in
 * samples (input_ms, the sinc layer's fs) are at this rate. */
#define SP_SAMPLE_RATE 16000

/* Defaults of [model] min_low_hz and min_band_hz, SincNet's floors of the
 * sinc layer's effective cut-offs (nn/layers.h):
 *     f1 = min_low_hz + |low_p|,  f2 - f1 >= min_band_hz (before the clamp
 * to fs/2), low_p and band_p being the learnable parameters. */
#define SP_DEFAULT_MIN_LOW_HZ 50.0
#define SP_DEFAULT_MIN_BAND_HZ 50.0

/* The presets' [model] sinc_param and [optim] first_layer_lr_scale (one
 * place to change them: preset() in conf.c sets them per preset). Chosen
 * by experiments/first-layer.sh (README, "Choosing the first layer's
 * defaults"): normalised cut-offs move ~150 Hz over the quick start's
 * training at the same dev FER, within the seeds' spread, as Hz-valued
 * ones that move 0.1 Hz; a scale of 10 on top overshoots. A checkpoint
 * written before these keys existed loads as "hz" and 1 whatever these
 * say (nn/checkpoint.c). */
#define SP_DEFAULT_SINC_PARAM "normalised"
#define SP_DEFAULT_FIRST_LAYER_LR_SCALE 1.0

typedef struct {
    /* [data] */
    char corpus[SP_CONF_STR];
    char train_split[16], dev_split[16], test_split[16];
    int include_sa;
    double gain_jitter;         /* chunk gain uniform in [1-g, 1+g] */
    int dev_utterances;         /* 0 = all of the dev split */
    int train_utterances;       /* 0 = all of the train split */

    /* [model] */
    char preset[16];
    char first_layer[8];        /* sinc | conv */
    double input_ms;            /* chunk length */
    int filters, taps;          /* first layer */
    double min_low_hz, min_band_hz;
    char sinc_param[16];        /* hz | normalised: low_p, band_p stored in Hz or / fs */
    int nconv;                  /* conv blocks after the first layer */
    int conv_channels[SP_CONF_MAXLAYERS], conv_kernel[SP_CONF_MAXLAYERS];
    int pool;
    char input_norm[8];         /* layer | none */
    char conv_norm[8];          /* layer or none */
    char dense_norm[8];         /* layer | batch | none */
    char activation[16];        /* leaky_relu | relu | tanh | sigmoid | linear */
    int ndense;
    int dense[SP_CONF_MAXLAYERS];
    double dropout;

    /* [train] */
    int epochs, steps_per_epoch, batch;
    char optimizer[16];         /* rmsprop | adam | sgd */
    double lr, alpha, eps, momentum, beta1, beta2, weight_decay;
    int lr_halving;             /* halve lr when dev FER stops improving */
    double lr_halving_threshold;/* relative improvement below which it halves */
    long seed;
    int threads;
    int log_every;              /* steps between rows of steps.tsv (0: no steps.tsv) */
    char init_from[SP_CONF_STR]; /* "" or a model whose weights start the run */
    int freeze_first_layer;     /* the first layer's parameters are not stepped */
    int shards;                 /* the batch cut in this many slices, each its own forward and
                                   backward, gradients summed in slice order (0: one per rank) */
    int overlap;                /* MPI: the gradient exchanged during the backward pass
                                   (the same sums; off by default: it did not pay on 2 vCPUs) */
    int ranks;                  /* recorded, not set: the MPI ranks that trained the run */

    /* [optim] */
    double first_layer_lr_scale;/* the first layer's parameters step with lr * this */

    /* [eval] */
    int min_duration;           /* frames */
    double insertion_penalty, lm_weight, prior_scale;

    /* [run] */
    char dir[SP_CONF_STR];

    /* [probe ID] sections, for the probe chain (probe_host.h). As resolved
     * here: their lines as text, padded with empty lines so that each
     * keeps its line number in probes_file. After sp_probe_chain_store:
     * the resolved sections, every option filled in. Written by
     * sp_conf_write after the other sections. */
    char probes[SP_CONF_PROBES];
    char probes_file[SP_CONF_STR]; /* the file the text came from; "" when none */

    /* Paths (sp_conf_load). Where [data] corpus and [run] dir came from,
     * "FILE:LINE" (for messages such as "does not exist"), "" for a
     * default or a value from elsewhere; and the folder the [probe ID]
     * sections' relative paths resolve against ("" for the current
     * directory). Not written by sp_conf_write. */
    char corpus_at[SP_CONF_STR], dir_at[SP_CONF_STR];
    char probes_base[SP_CONF_STR];
} sp_conf;

/* Fill defaults (the `sincnet` preset). */
void sp_conf_defaults(sp_conf *c);

/* Resolve an ini into c. Problems go to d with file and line; returns 0
 * when there were none. Sections whose name starts "probe " are not
 * checked here; their text goes to c->probes. */
int sp_conf_resolve(sp_conf *c, const sp_ini *ini, sp_diag *d);

/* Load and resolve a config file. Its relative paths ([data] corpus,
 * [run] dir; in [probe ID] sections a `use` with a '/' and the probes'
 * path options, through probes_base) resolve against the config file's
 * folder and are kept absolute, so that the run's config.conf works
 * from any directory; defaults the file does not set, against the
 * current directory. sp_conf_resolve (checkpoints' configs) leaves paths
 * as they are. */
int sp_conf_load(sp_conf *c, const char *path, sp_diag *d);

/* sp_conf_resolve, then the paths as sp_conf_load takes them, against
 * the folder of ini->path: for a config file read and then changed in
 * memory (sincprobe sweep's --vary). */
int sp_conf_resolve_file(sp_conf *c, const sp_ini *ini, sp_diag *d);

/* Input samples of a chunk: input_ms at SP_SAMPLE_RATE, rounded. */
int sp_conf_input_samples(const sp_conf *c);

/* Write c as a config file with every key (the run directory's resolved
 * config). */
void sp_conf_write(FILE *f, const sp_conf *c);

/* The key named word, else the key nearest it (base/util.h's
 * sp_suggest), in any section: its name (the table's string) and its
 * section into *section; NULL when none is near. */
const char *sp_conf_find_key(const char *word, const char **section);

/* The key table, for sincprobe.conf(5)'s consistency test and `help`:
 * iterate i = 0.. until sp_conf_key_name returns NULL. */
const char *sp_conf_key_name(int i, const char **section, const char **help);

#endif
