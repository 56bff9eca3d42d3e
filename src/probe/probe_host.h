/* probe_host.h - the host side of the probe ABI (sincprobe/probe.h): the
 * loader (search path, dlopen, descriptor checks), the chain of [probe ID]
 * sections (options parsed and checked against each descriptor), the
 * services probes get (log, RNG streams, .npy/.tsv writers), and the glue
 * that shows probes the training loop and evaluations. They live in
 * loader.c, chain.c, services.c, view.c and hooks.c of src/probe/, which
 * share host_private.h.
 *
 * A caller's sequence (train.c, cmd_eval.c):
 *
 *     ch = sp_probe_chain_from_conf(&c, &d)    refusals named by file/line
 *     sp_probe_chain_store(ch, &c, err)        c->probes: every option
 *     sp_probe_chain_create(ch, mode, ...)     still nothing written
 *     ... make the run directory, the model ...
 *     sp_probe_chain_start(ch, &start, err)
 *     sp_probe_chain_train_batch / _gradients / _epoch_end, or
 *     sp_evaluate_with(..., sp_probe_chain_eval_batch, ch, ...)
 *     sp_probe_chain_finish(ch, status, ...)
 *     sp_probe_chain_free(ch)                  destroy, unload
 *
 * Every call on a chain of zero probes returns at once, so a run without
 * probes pays nothing. Errors follow base/error.h (0, or -1 with err);
 * messages (the probe set, probes' log lines) go through base/log.h. */
#ifndef SP_PROBE_HOST_H
#define SP_PROBE_HOST_H

#include <sincprobe/probe.h>

#include <stdio.h>
#include "base/conf.h"
#include "corpus/dataset.h"
#include "base/diag.h"
#include "base/ini.h"
#include "nn/model.h"
#include "corpus/phoneset.h"
#include "base/error.h"

/* ---- finding probes */

/* The directories searched, in order: each of $SINCPROBE_PLUGIN_PATH
 * (colon separated; empty entries skipped), the installed SP_PROBEDIR,
 * then plugins/.libs of a build tree when the running executable sits in
 * one. NULL-terminated; free with sp_probe_path_free. */
char **sp_probe_path(void);
void sp_probe_path_free(char **dirs);
/* The same joined with ':', for messages. Caller frees. */
char *sp_probe_path_string(void);

/* What a scan found: one descriptor, or one file that was refused. */
typedef struct {
    char *file;                     /* the shared object */
    unsigned long index;            /* the descriptor's index in the file */
    const sp_probe_descriptor *desc;/* NULL when the file was refused */
    char *problem;                  /* why it was refused; NULL otherwise */
    int shadowed;                   /* an earlier file has the identifier */
} sp_probe_found;

typedef struct {
    sp_probe_found *v;
    size_t n;
    void *libs;                     /* the loaded files (private) */
    char **warned;                  /* world-writable paths warned of */
    size_t nwarned;
} sp_probe_catalog;

/* Load every *.so of every directory of the path (in path order, each
 * directory's files in name order) and list their descriptors and the
 * files refused (not a probe, another ABI, a bad descriptor). Loading
 * runs each library's constructors, probe or not. The descriptors stay
 * valid until sp_probe_catalog_free. A world-writable directory of the
 * path or probe file is warned of (base/log.h), once per catalog. */
void sp_probe_scan(sp_probe_catalog *cat);
void sp_probe_catalog_free(sp_probe_catalog *cat);

/* The probe `use = name` means, as the chain resolves it:
 *   NAME          identifier NAME of NAME.so, in the first directory of
 *                 the path that has a NAME.so;
 *   NAME:ID       identifier ID of that NAME.so (a second probe of a file);
 *   PATH, PATH:ID a file path (with a '/'; relative to the current
 *                 directory): its first descriptor, or identifier ID.
 * Only that one file is loaded (loading runs a library's constructors).
 * Returns the descriptor and *file (absolute for a PATH), valid until
 * sp_probe_catalog_free(cat) (cat zeroed, or from sp_probe_scan); NULL
 * with err: no such file or probe (naming the file names tried), a file
 * that is not a probe, another ABI, a bad descriptor. */
const sp_probe_descriptor *sp_probe_find(sp_probe_catalog *cat, const char *name, const char **file, sp_error *err);
/* The `use` value a run records for use resolved to file: a PATH becomes
 * file (absolute), PATH:ID file:ID, names stay as they are. Caller frees. */
char *sp_probe_use_recorded(const char *use, const char *file);

/* Text of an option's type: "int", "float [0, 1]", "enum none|peak". */
void sp_probe_option_type(const sp_probe_option *o, char *buf, size_t n);

/* ---- the chain */

typedef struct sp_probe_chain sp_probe_chain;

/* Resolve the [probe ID] sections of ini, in file order: load each `use`,
 * check its options. Every problem (a bad ID, a missing `use`, an unknown
 * probe, a file that is not a probe or speaks another ABI, an unknown
 * option, a value of the wrong type or out of range, a missing required
 * option) goes to d with the config's file and line, naming the plugin
 * file. Returns the chain (maybe of zero probes), or NULL when there were
 * problems. */
sp_probe_chain *sp_probe_chain_resolve(const sp_ini *ini, sp_diag *d);
/* Resolve the [probe ID] sections of ini the same way into ch, after
 * the probes it has (ch not yet created): how `eval --noise` puts its
 * noise probes after the model's. An ID the chain already has is a
 * problem too. 0, or -1 when there were problems (ch then holds refused
 * entries: free it). */
int sp_probe_chain_add(sp_probe_chain *ch, const sp_ini *ini, sp_diag *d);
/* The same for a resolved config's sections (c->probes, whose lines are
 * those of c->probes_file). */
sp_probe_chain *sp_probe_chain_from_conf(const sp_conf *c, sp_diag *d);

/* Number of probes; 0 for NULL. */
int sp_probe_chain_size(const sp_probe_chain *ch);
/* Write the sections as resolved: use, probe_frames (for probes with
 * on_epoch_end) and every option's value, in declaration order. */
void sp_probe_chain_write(FILE *f, const sp_probe_chain *ch);
/* Put that text into c->probes (the run's config.conf and checkpoints
 * carry it). */
int sp_probe_chain_store(const sp_probe_chain *ch, sp_conf *c, sp_error *err);
/* Whether [probe id] of ch takes the option key: its probe declares it,
 * or key is use, probe_frames or probe_timeout (sincprobe sweep's
 * --vary). 0; -1 with err when ch has no probe id (naming the nearest
 * ID and the chain's sections) or when the probe does not declare key
 * (naming the nearest option and the probe's options). */
int sp_probe_chain_has_option(const sp_probe_chain *ch, const char *id, const char *key, sp_error *err);
/* "ID (identifier), ..." for progress lines. Caller frees. */
char *sp_probe_chain_describe(const sp_probe_chain *ch);

/* Check every probe option named "layers" (of type string) against m's
 * layers, with the syntax of <sincprobe/layers.h> (the words all, dense,
 * auto, or layer names), before a run writes anything: a word that is
 * none of them is refused as
 *     CONF:LINE: [probe ID] layers: no layer 'conv9' in this network (did you mean 'conv1'?); its layers: sinc, ...
 * LINE being that of `layers =`. m needs only its layers (a model made
 * for a batch of 1 does). 0, or -1 with err. */
int sp_probe_chain_check_layers(const sp_probe_chain *ch, const sp_model *m, sp_error *err);

/* Make every instance (create), in order. Their folders will be
 * probes_dir/ID; nothing is written yet. On a refusal the instances made
 * are destroyed and err names the config line and the plugin file. */
int sp_probe_chain_create(sp_probe_chain *ch, sp_probe_mode mode, const char *probes_dir, uint64_t seed,
                          sp_error *err);

/* What on_start shows. The model, datasets and phone set must outlive
 * the chain's use (until sp_probe_chain_finish). */
typedef struct {
    const char *run_dir;
    sp_model *model;
    const sp_dataset *data[SP_PROBE_NROLES];  /* by role; NULL: not loaded */
    const char *split[SP_PROBE_NROLES];       /* their split names */
    const sp_phoneset *ps;
    int epochs, steps_per_epoch;              /* train mode */
    int epochs_done;
    long steps_done;
    int resumed;
} sp_probe_start;

/* The probe set (probeset.c): up to want frames of ds (those with a label
 * >= 0 when labelled_only), uniformly without replacement, in a random
 * order drawn from seed's probe-set stream; *utt and *frame (freed by the
 * caller) get each frame's utterance index and frame index. Returns how
 * many (fewer than want when ds has fewer). The chain draws it from the
 * dev split with the run's seed; `sincprobe activations` draws the same
 * set from the same split and seed. */
long sp_probe_set_draw(const sp_dataset *ds, long want, uint64_t seed, int labelled_only, long **utt, long **frame);

/* Create the probes' folders and the probe log, draw the probe set (train
 * mode, when a probe has on_epoch_end), call on_start in order. */
int sp_probe_chain_start(sp_probe_chain *ch, const sp_probe_start *s, sp_error *err);

/* 1 when create or on_start failed because a probe refused the value of
 * one of its options (it set sp_probe_error.option): the config is at
 * fault, not the run (sincprobe-probe(3)); 0 otherwise and for NULL. A
 * refusal without an option (no memory, a file that cannot be written)
 * is a failure of the run. */
int sp_probe_chain_refused(const sp_probe_chain *ch);

/* A training batch: the model's input [B][T] and the targets [B] (both
 * rewritable by probes), where each chunk came from, the global step and
 * the epoch. Targets a probe left outside [0, 48) are an error. */
int sp_probe_chain_train_batch(sp_probe_chain *ch, float *audio, int *labels, int B, const long *utt,
                               const long *start, const float *gain, long step, int epoch, sp_error *err);

/* Evaluation batches: set the role (DEV or TEST) and epoch (0 in eval
 * mode) of the sp_evaluate_with passes that follow; sp_probe_chain_eval_batch
 * is their sp_eval_batch_fn (bctx = the chain, or NULL): 0, or -1 with err. */
void sp_probe_chain_eval_begin(sp_probe_chain *ch, sp_probe_role role, int epoch);
int sp_probe_chain_eval_batch(void *ch, size_t utt, long frame0, int nb, float *input, int T, sp_error *err);

/* After backward (finite gradients), before the optimizer step. */
int sp_probe_chain_gradients(sp_probe_chain *ch, long step, int epoch, int B, double loss, sp_error *err);

typedef struct {
    int epoch;
    long step;
    double lr, train_loss, train_fer, dev_loss, dev_fer;
} sp_probe_epoch_stats;

/* At an epoch's end: the probe set through the network when a probe asked
 * for activations, then on_epoch_end in order. */
int sp_probe_chain_epoch_end(sp_probe_chain *ch, const sp_probe_epoch_stats *st, sp_error *err);

/* After the optimizer step that made steps_done global steps, inside an
 * epoch (not at its end): on_epoch_end with view->at_step = 1 for the
 * probes that asked for this count with want_steps (ABI 2). */
int sp_probe_chain_step_done(sp_probe_chain *ch, long steps_done, int epoch, double lr, sp_error *err);

/* sincprobe analyse: run the chain's one probe (created in mode
 * SP_PROBE_MODE_ANALYSE with probes_dir = the --out folder) on an [N][D]
 * matrix: on_start with one layer named `layer`, one on_epoch_end
 * (epoch 0) with the matrix as its activations, on_finish. */
typedef struct {
    const char *layer;            /* the layer's name (from the file name) */
    const char *out_dir;
    const float *X;               /* [N][D] */
    long N, D;
    const int *labels;            /* [N] in [0, nclasses) */
    int nclasses;
    const char *const *classes;   /* [nclasses] names */
} sp_probe_analysis;
int sp_probe_chain_analyse(sp_probe_chain *ch, const sp_probe_analysis *a, sp_error *err);

/* on_finish for every probe whose on_start succeeded (once). A failing
 * on_finish is logged; the first such message goes to err (-1). */
int sp_probe_chain_finish(sp_probe_chain *ch, sp_probe_status status, int epochs_done, long steps_done,
                          sp_error *err);

/* Destroy every instance, unload the files. NULL is fine. */
void sp_probe_chain_free(sp_probe_chain *ch);

/* Report the problems of d as one err (the last problem) after logging
 * the others as errors ("FILE:LINE: ..."); returns -1. */
int sp_probe_diag_fail(const sp_diag *d, sp_error *err);

/* ---- guard.c: the hook in progress, for reports when a probe crashes,
 * hangs or calls exit() (the CLI installs the handlers that read it). */

/* 1 and the running probe's ID, file, hook name and probe_timeout (0: none)
 * while a probe's code runs, else 0. Async-signal-safe. */
int sp_probe_guard_current(const char **id, const char **file, const char **hook, double *timeout);
/* on: arm a one-shot ITIMER_REAL (SIGALRM) for probe_timeout seconds around
 * each hook of a probe that has one; only a caller that handles SIGALRM
 * turns it on. */
void sp_probe_guard_watchdog(int on);

#endif
