/* host_private.h - what the files of the probe host share and nothing
 * outside src/probe/ sees: the chain and its entries (one per [probe ID]
 * section), and the few functions one file of the host calls in another.
 * The public side is probe_host.h. Files:
 *
 *   loader.c    the search path, loading files, checking descriptors,
 *               the catalog (sp_probe_path, sp_probe_scan, sp_probe_find)
 *   chain.c     option values, resolving [probe ID] sections, the
 *               resolved text (store, describe), create and free
 *   services.c  the sp_probe_host table probes call: log, RNG streams,
 *               .npy/.tsv/text files, want_activations, want_steps
 *   view.c      the model as probes see it: layers, parameters, filters
 *   guard.c     the hook in progress, for crash, hang and exit reports
 *   hooks.c     the hooks in a run: start, batches, gradients, epoch ends
 *               and step views, finish, and `sincprobe analyse` */
#ifndef SP_PROBE_HOST_PRIVATE_H
#define SP_PROBE_HOST_PRIVATE_H

#include "probe/probe_host.h"
#include "base/error.h"
#include "base/rng.h"

#include <stdio.h>

/* ------------------------------------------------------------------------
 * The chain's data
 * ---------------------------------------------------------------------- */

struct sp_probe_rng {
    sp_rng r;
};

typedef struct entry {
    sp_probe_chain *chain;
    char *id, *use, *conf;        /* section ID, `use` text, config file name */
    const char *file;             /* the shared object (the catalog's) */
    long line, use_line;          /* of the section header, of `use` */
    const sp_probe_descriptor *d;
    sp_probe_value *values;       /* [noptions] */
    char **texts;                 /* [noptions] owned value texts */
    long *opt_line;               /* [noptions] config line; 0: the default */
    long probe_frames;
    double timeout;               /* probe_timeout, seconds; 0: none */
    /* The hooks, no-ops where the probe has none. */
    int (*on_start)(void *, const sp_probe_run *, sp_probe_error *);
    int (*on_batch)(void *, sp_probe_batch *, sp_probe_error *);
    int (*on_gradients)(void *, const sp_probe_gradients *, sp_probe_error *);
    int (*on_epoch_end)(void *, const sp_probe_view *, sp_probe_error *);
    int (*on_finish)(void *, const sp_probe_run *, sp_probe_error *);
    void (*destroy)(void *);
    void *self;
    sp_probe_context ctx;
    struct sp_probe_rng rng;
    char *dir;
    int created, started, finished, in_start;
    unsigned char *want;          /* [nlayers] activations asked for */
    long *steps;                  /* [nsteps] sorted, unique: want_steps */
    long nsteps;
    sp_probe_layer *vlayers;      /* [nlayers] the view's, with act */
} entry;

struct sp_probe_chain {
    entry *e;
    int n;
    sp_probe_catalog cat;
    sp_probe_mode mode;
    uint64_t seed;
    char *probes_dir, *log_path;
    FILE *log;
    char *log_buf;                /* lines logged before the log file opens */
    size_t log_len;
    int log_failed;
    int ready;                    /* files may be written (after start made the folders) */
    int refused;                  /* a probe refused an option's value (sp_probe_chain_refused) */
    /* the run */
    sp_model *m;
    sp_probe_run run;
    const sp_dataset *ds[SP_PROBE_NROLES];
    const char *split[SP_PROBE_NROLES];
    sp_probe_dataset data[SP_PROBE_NROLES];
    sp_probe_utterance *utt[SP_PROBE_NROLES];
    const char *classes[SP_MAX_PHONES];
    sp_probe_layer *layers, *glayers; /* [nlayers] values; values and grads */
    int nlayers, first;           /* first: index of the first layer (sinc or conv1) */
    sp_probe_filters filters, gfilters;
    float *taps, *f1, *f2;
    /* [4][F] when the sinc parameters are not stored in Hz ([model]
     * sinc_param = normalised): the "low_hz", "band_hz" values probes see,
     * in Hz (c low_p, c band_p), then their gradients per Hz (dL/dlow_p / c,
     * dL/dband_p / c); NULL when the stored values are in Hz (c = 1) and
     * probes see the parameter block itself. */
    float *sinc_hz;
    /* batch scratch, [maxB] */
    int maxB;
    int *labels;
    long *butt, *bstart;
    float *bgain;
    /* evaluation passes */
    sp_probe_role role;
    int epoch;
    long eval_step;
    /* the probe set */
    long pset_n;
    sp_probe_epoch_stats last;    /* the last epoch's numbers, for at_step views */
    long *pset_utt, *pset_frame;
    int *pset_label;
};

/* ---- chain.c */

/* Parse text as a value of o: fills *v (v->text is left alone) and the
 * normalised text into norm (SP_ERRLEN bytes); 0, or -1 with err. The
 * loader checks descriptors' defaults with it. */
int sp_probe_parse_value(const sp_probe_option *o, const char *text, sp_probe_value *v, char *norm, sp_error *err);
/* "CONF:LINE: [probe ID] ('FILE'): HOOK: MESSAGE" into err; -1. line 0:
 * the section's header line. */
int sp_probe_hook_fail(const entry *e, const char *hook, const sp_probe_error *pe, long line, sp_error *err);
/* The same for a failed create or on_start: when the probe named the
 * option at fault (pe->option, an index into its options) the message
 * points at that option's config line and the chain is marked refused
 * (sp_probe_chain_refused); else the section's line. -1. */
int sp_probe_option_fail(entry *e, const char *hook, const sp_probe_error *pe, sp_error *err);

/* ---- services.c */

/* The functions every context's host points to. */
extern const sp_probe_host sp_probe_services;
/* qsort/bsearch order of longs (want_steps' sorted step lists). */
int sp_probe_cmp_long(const void *a, const void *b);

/* ---- view.c */

/* The layer list (values and gradients) and the first layer's filters of
 * ch->m, once at on_start. */
void sp_probe_build_layers(sp_probe_chain *ch);
/* Fill the filters from the current parameters; grads: the taps the last
 * forward pass used. */
void sp_probe_update_filters(sp_probe_chain *ch, int grads);

/* ---- guard.c */

/* Around every call into a probe: record e and hook for the handlers
 * (sp_probe_guard_current) and arm the watchdog; leave clears both. */
void sp_probe_guard_enter(const entry *e, const char *hook);
void sp_probe_guard_leave(void);

#endif
