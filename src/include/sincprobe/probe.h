/* sincprobe/probe.h - the probe plugin ABI of sincprobe, version 3.
 *
 * A probe watches (and may steer) what a sincprobe network learns: noise
 * injection, frequency-response tracking, mutual information, gradient
 * statistics are all probes, and the engine knows none of them by name.
 * A probe is a shared object that exports exactly one function,
 *
 *     const sp_probe_descriptor *
 *     sincprobe_probe_descriptor(unsigned host_abi, unsigned long index);
 *
 * which returns its descriptors by index (one file may hold several
 * probes) and NULL past the end, or when it cannot serve a host speaking
 * ABI `host_abi`. The descriptor says which ABI version it was built for
 * (SP_PROBE_ABI_VERSION of the header it was compiled against); the host
 * accepts versions SP_PROBE_ABI_MIN .. its own SP_PROBE_ABI_VERSION and
 * refuses the rest before training starts.
 *
 * This header is the whole contract: a probe needs no other sincprobe
 * header and does not link against sincprobe. Everything it needs from
 * the host (logging, random numbers, writing .npy and .tsv files into its
 * folder of the run directory) comes as function pointers in
 * sp_probe_host. See sincprobe-probe(3) for a complete example.
 *
 * ---- How a probe is used
 *
 * A config names probes in [probe ID] sections, run in config order:
 *
 *     [probe noisy]                 ID: [A-Za-z0-9_-]+, unique
 *     use = noise                   the descriptor's identifier
 *     snr_db = 0                    the probe's own options
 *     probe_frames = 4096           reserved: size of its probe set
 *
 * `use` and `probe_frames` are the host's keys; every other key must be an
 * option the descriptor declares, with a value of its type. The same
 * probe may appear in several sections with different options; each
 * section is one instance. `use = NAME` loads NAME.so from the first
 * directory of $SINCPROBE_PLUGIN_PATH (colon-separated; relative entries
 * are relative to the current directory), then of the installed probe
 * directory (pkg-config --variable=probedir sincprobe), that has one, and
 * no other file: the probe is its descriptor with identifier NAME.
 * `use = FILE:ID` takes descriptor ID of FILE.so (a second probe of a
 * file). `use = PATH` with a '/' loads that file (its first descriptor;
 * PATH:ID another); a relative PATH is taken against the config file's
 * folder, and a run records it by its absolute path.
 *
 * ---- Call order (one instance; "train" and "eval" are the two modes)
 *
 *     create                        once, before anything is written
 *     on_start                      once; run directory and dir exist
 *     train:  for each step:  on_batch (TRAIN)  forward  backward
 *                             on_gradients      optimizer step
 *             each epoch end: on_batch (DEV) for each batch of the dev
 *                             evaluation, then on_epoch_end
 *     eval:   on_batch (DEV or TEST) for each batch of the evaluation
 *     on_finish                     once, if on_start succeeded
 *     destroy                       once, if create succeeded (always last)
 *
 * Within one event every instance is called in config order, so a probe
 * sees the audio as the probes before it left it. All calls come from the
 * one thread that runs training or evaluation, never two at once; a probe
 * may use threads of its own inside a hook but must not call the host's
 * services from them.
 *
 * ---- Conventions
 *
 * - Every hook is optional: a NULL hook is a no-op (create NULL: the
 *   instance pointer is NULL). Hooks return 0, or -1 after writing a
 *   message into *err; the host then stops (a refusal from create or
 *   on_start stops the run before its first step) and prints the message
 *   with the probe's ID, file and config line (that of the option at
 *   fault, err->option, in create and on_start). No hook may call exit().
 * - Memory: the host owns everything it passes in; pointers are valid
 *   until the hook returns unless a member says otherwise. What the host
 *   hands out (sp_probe_rng from rng_new, buffers from read_npy) goes back
 *   through the matching host function. What the probe owns (its
 *   descriptor, its option table, its instance) stays the probe's; the
 *   descriptor and everything it points to must stay valid and unchanged
 *   while the shared object is loaded.
 * - Shapes are row-major, outermost first: [B][T] is x[b*T + t]. Letters:
 *   B chunks in a batch, T samples of a chunk, F first-layer filters, K
 *   taps, N frames of the probe set, C channels.
 * - Audio is 16 kHz, samples in [-1, 1) times the chunk's gain. Labels are
 *   indices into the 48 training phones (sp_probe_run.classes), -1 for a
 *   frame without one.
 * - Versioning: the first two members of sp_probe_descriptor never move.
 *   Structs the host passes by pointer (run, batch, gradients, view, host,
 *   context) may grow at their end in later versions; the fields a
 *   version adds are marked "ABI N" and exist when the host's abi_version
 *   (sp_probe_host.abi_version) is at least N. Elements of arrays
 *   (sp_probe_option, sp_probe_value, sp_probe_utterance, sp_probe_param,
 *   sp_probe_layer) never change layout; a later version adds parallel
 *   arrays instead. A host reads a descriptor by the version it declares.
 * - Export only sincprobe_probe_descriptor (build with
 *   -fvisibility=hidden; SP_PROBE_EXPORT marks it default).
 */
#ifndef SINCPROBE_PROBE_H
#define SINCPROBE_PROBE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI this header describes, and the oldest one this header's hosts
 * accept. */
#define SP_PROBE_ABI_VERSION 3u
#define SP_PROBE_ABI_MIN 1u

/* The name of the one exported function. */
#define SP_PROBE_DESCRIPTOR_SYMBOL "sincprobe_probe_descriptor"

#if defined(__GNUC__) || defined(__clang__)
#define SP_PROBE_EXPORT __attribute__((visibility("default")))
#define SP_PROBE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define SP_PROBE_EXPORT
#define SP_PROBE_PRINTF(f, a)
#endif

typedef struct sp_probe_descriptor sp_probe_descriptor;
typedef struct sp_probe_context sp_probe_context;
typedef struct sp_probe_host sp_probe_host;
/* A random stream, opaque; see sp_probe_host. */
typedef struct sp_probe_rng sp_probe_rng;

/* ------------------------------------------------------------------------
 * Errors
 * ---------------------------------------------------------------------- */
#define SP_PROBE_ERRLEN 512

typedef struct {
    /* One line: lowercase, no trailing period, the subject quoted
     * ("snr_db: 'x' is not a number or lo:hi"). The host adds the probe's
     * ID, file and config line. Empty on entry. */
    char message[SP_PROBE_ERRLEN];
    /* create and on_start: the index of the option at fault, so that the
     * message names that option's config line; -1 on entry (none). Set
     * it when the option's value is refused (a bad value, one that does
     * not fit the network or the data): the config is then at fault,
     * and sincprobe train and eval --probes exit 2 and a new run leaves
     * no directory behind. Left at -1, a failure of on_start (no memory,
     * a file that cannot be written) is the run's failure (exit 1). The
     * layout is that of every ABI; a host before this rule took the
     * index from create only, so probes of any ABI may set it in
     * on_start. Ignored in other hooks. */
    int option;
} sp_probe_error;

/* ------------------------------------------------------------------------
 * Options: declared by the probe, parsed and checked by the host
 * ---------------------------------------------------------------------- */
typedef enum {
    SP_PROBE_OPT_INT = 1,    /* a decimal integer (long long) */
    SP_PROBE_OPT_FLOAT = 2,  /* a finite number (double) */
    SP_PROBE_OPT_STRING = 3, /* any text (may be empty) */
    SP_PROBE_OPT_BOOL = 4,   /* yes|no (also true|false, on|off, 1|0) */
    SP_PROBE_OPT_ENUM = 5,   /* one of `choices` */
    /* ABI 3: file names, which the host resolves before create sees them
     * (and records resolved in the run's config.conf): a relative path
     * in a config file is taken against that file's folder, one from
     * the command line against the current directory; the probe gets
     * absolute paths. "" stays "" (no file). A descriptor of ABI 1 or 2
     * cannot declare them (the host refuses the probe). */
    SP_PROBE_OPT_PATH = 6,   /* one file or folder */
    SP_PROBE_OPT_PATHS = 7,  /* a comma list of files or folders */
    /* a name the probe looks up itself when it holds no '/' (passed as
     * is), else a path resolved like PATH */
    SP_PROBE_OPT_NAME_OR_PATH = 8
} sp_probe_opt_type;

/* One declared option. Owned by the probe (usually a static array). */
typedef struct {
    /* The config key: [a-z0-9_]+, unique within the probe, neither "use"
     * nor "probe_frames" (the host's). */
    const char *name;
    sp_probe_opt_type type;
    /* The default as config text ("1024", "0.5", "yes", "peak", ""); it
     * must be a valid value of the option. NULL: the option is required
     * (a section without it is refused). */
    const char *default_value;
    /* ENUM: the choices separated by '|' ("none|peak"); else NULL. */
    const char *choices;
    /* INT and FLOAT: the inclusive range checked when min < max; ignored
     * otherwise (0, 0: any value). */
    double min, max;
    /* One line of help, lowercase, no trailing period. */
    const char *help;
} sp_probe_option;

/* An option's value, as create receives it: one per declared option, in
 * declaration order (so values[i] belongs to options[i]). Owned by the
 * host; valid from create until destroy returns. */
typedef struct {
    /* The resolved text: the config's, else the default; BOOL normalised
     * to "yes" or "no". Never NULL. */
    const char *text;
    /* INT: the value. BOOL: 1 or 0. ENUM: index of the choice. Else 0. */
    long long i;
    /* FLOAT: the value. INT: the value as a double. Else 0. */
    double f;
    /* 1 when the config gave the option, 0 when it is the default. */
    int given;
} sp_probe_value;

/* ------------------------------------------------------------------------
 * Data the host shows probes
 * ---------------------------------------------------------------------- */

/* The role of the audio in a batch. */
typedef enum {
    SP_PROBE_TRAIN = 0, /* a training step (the [data] train_split) */
    SP_PROBE_DEV = 1,   /* the dev evaluation at each epoch's end, and
                           `sincprobe eval --split dev` */
    SP_PROBE_TEST = 2   /* `sincprobe eval` on any other split */
} sp_probe_role;
#define SP_PROBE_NROLES 3

typedef enum {
    SP_PROBE_MODE_TRAIN = 0, /* sincprobe train */
    SP_PROBE_MODE_EVAL = 1,  /* sincprobe eval */
    /* ABI 2: `sincprobe analyse KIND ACT.npy LABELS`, which runs one
     * probe on a matrix saved from any network, shown to probes built
     * for ABI 2 or later only. The sequence is create, on_start (one
     * layer, named after the file, kind "other", no datasets, filters
     * NULL, epochs 1), one on_epoch_end (epoch 0, the matrix as the
     * layer's act, N rows), on_finish. ctx->dir is the --out folder. */
    SP_PROBE_MODE_ANALYSE = 2
} sp_probe_mode;

typedef enum {
    SP_PROBE_COMPLETED = 0,   /* every epoch trained / the split evaluated */
    SP_PROBE_INTERRUPTED = 1, /* SIGINT/SIGTERM: a checkpoint was saved and
                                 `sincprobe train --resume` continues */
    SP_PROBE_FAILED = 2       /* stopped by an error (a NaN loss, a probe's
                                 error, an I/O error) */
} sp_probe_status;

/* One utterance of a split held in memory. */
typedef struct {
    const char *id;           /* "TRAIN/DR1/FCJF0/SI1027" */
    const int16_t *audio;     /* [samples] at 16 kHz; audio[s] / 32768.0
                                 is the sample before a chunk's gain */
    long samples;
    const signed char *labels;/* [frames]: the class of each 10 ms frame
                                 (the phone at sample 160 f + 80), or -1 */
    long frames;
} sp_probe_utterance;

/* A split as loaded: its utterances in id order. */
typedef struct {
    const char *split;        /* "train", "dev", "core", "test" or "all" */
    const sp_probe_utterance *utt; /* [n] */
    unsigned long n;
} sp_probe_dataset;

/* A learned tensor of a layer. */
typedef struct {
    const char *name;         /* "w", "b" (conv, dense); "gamma", "beta"
                                 (layer and batch norm); "low_hz",
                                 "band_hz" (sinc: the learnable low_p,
                                 band_p, not the cut-offs, which are
                                 f1 = min_low_hz + |low_p| ...: see
                                 sp_probe_filters; in Hz, and their
                                 grad per Hz, whatever [model]
                                 sinc_param: normalised parameters are
                                 shown through Hz-valued copies) */
    int rank;                 /* 1..3 */
    long shape[3];            /* conv w [Cout][Cin][K]; dense w
                                 [Dout][Din]; layer norm [C][T]; others
                                 [n]; unused entries 0 */
    unsigned long n;          /* elements: the product of shape */
    const float *value;       /* [n] the current values */
    const float *grad;        /* [n] in on_gradients: d loss / d value for
                                 the batch just backpropagated (loss = the
                                 mean NLL over the batch); NULL elsewhere */
} sp_probe_param;

/* A layer of the network, in forward order. Shapes are per example. */
typedef struct {
    const char *name;         /* unique, e.g. "in_ln", "sinc" | "conv1",
                                 "pool1", "ln1", "act1", "conv2", ...,
                                 "flat_ln", "dense1", "bn1", "dact1",
                                 "drop1", ..., "out" (the config decides
                                 which exist) */
    const char *kind;         /* "layernorm", "sinc", "conv", "pool",
                                 "abspool" (|.| then max-pool, after a
                                 sinc layer), "abs", "act", "dense",
                                 "batchnorm", "dropout"; a later sincprobe
                                 may add kinds ("other" for none of these) */
    int in_c, in_t;           /* input: channels x time steps (dense:
                                 1 x features) */
    int out_c, out_t;         /* output, likewise */
    unsigned long out_n;      /* out_c * out_t: one example's output */
    int nparams;              /* 0..2 entries of param in use */
    sp_probe_param param[2];
    /* In on_epoch_end: [N][out_n], this layer's output on the probe set
     * when the probe asked for it (want_activations); else NULL. The
     * output of "out" is the logits over the 48 classes (the network's
     * log posteriors are their log-softmax). */
    const float *act;
} sp_probe_layer;

/* The first layer's filters. */
typedef struct {
    const char *layer;        /* "sinc" or "conv1" */
    int F, K;                 /* filters, taps (K odd for sinc) */
    int sample_rate;          /* 16000 */
    const float *taps;        /* [F][K], the impulse responses the layer
                                 correlates the input with */
    const float *f1, *f2;     /* [F] low and high cut-offs in Hz of the
                                 sinc band-passes; NULL for a conv layer */
} sp_probe_filters;

/* The run, for on_start and on_finish. */
typedef struct {
    sp_probe_mode mode;
    const char *run_dir;      /* the run directory */
    int sample_rate;          /* 16000 */
    int T;                    /* samples per chunk */
    int max_batch;            /* on_batch's B never exceeds this */
    int epochs;               /* train: [train] epochs; eval: 0 */
    int steps_per_epoch;      /* train: [train] steps_per_epoch; eval: 0 */
    /* train: epochs completed before on_start (nonzero when resuming);
     * in on_finish, epochs completed at the end. A probe that writes one
     * row per epoch keeps, on resume, only the first epochs_done rows of
     * what it wrote before (read_npy helps). A resume continues inside
     * the interrupted epoch (steps_done - epochs_done * steps_per_epoch
     * of its steps are done): a probe that gathers over an epoch saves
     * its tallies into its folder in on_finish when status is
     * SP_PROBE_INTERRUPTED, tagged with steps_done (the checkpoint's
     * position), and takes them back in on_start only when the tag equals
     * steps_done (sincprobe-probe(3), plugins/example.c). eval: 0. */
    int epochs_done;
    long steps_done;          /* train: global steps done, likewise */
    int resumed;              /* 1 when `train --resume` continues a run */
    uint64_t seed;            /* the run's [train] seed */
    int nclasses;             /* 48 */
    const char *const *classes; /* [nclasses] the training phones' names */
    /* The loaded splits by role (SP_PROBE_TRAIN, DEV, TEST); NULL when not
     * loaded. train: TRAIN and DEV (as many dev utterances as [data]
     * dev_utterances keeps); eval: the evaluated split under its role. */
    const sp_probe_dataset *data[SP_PROBE_NROLES];
    int nlayers;
    const sp_probe_layer *layers; /* [nlayers]; values as of this call */
    const sp_probe_filters *filters;
    sp_probe_status status;   /* on_finish only; COMPLETED in on_start */
} sp_probe_run;

/* A batch of chunks about to go through the network. on_batch may rewrite
 * audio, and on TRAIN batches labels: the network sees and trains on what
 * the chain leaves. */
typedef struct {
    sp_probe_role role;
    const char *split;        /* the split the chunks come from */
    int B, T;                 /* chunks, samples per chunk */
    float *audio;             /* [B][T], writable in place */
    /* [B] the class of each chunk's centre frame, writable. TRAIN: the
     * targets of the loss; a probe may set any class in [0, 48) (the
     * randomisation test); -1 is refused. DEV/TEST: a copy for
     * information (-1 for unlabelled frames); changes are ignored, the
     * scores use the corpus's labels. */
    int *labels;
    const long *utterance;    /* [B] index into run->data[role]->utt */
    /* [B] the utterance sample of each chunk's first sample; before 0 or
     * past the end the chunk is zero padding. Chunk b covers samples
     * start[b] .. start[b] + T - 1, centred on frame
     * (start[b] + T/2) / 160. */
    const long *start;
    /* [B] the factor between utterance samples / 32768 and the chunk
     * (TRAIN: the random gain jitter; DEV/TEST: 1). */
    const float *gain;
    /* TRAIN: the global step (0-based, across epochs and resumes).
     * DEV/TEST: the batch's index within this evaluation pass. */
    long step;
    int epoch;                /* train: the 1-based epoch being trained or
                                 evaluated at its end; eval: 0 */
} sp_probe_batch;

/* The gradients of one training step, after backward and before the
 * optimizer step. */
typedef struct {
    long step;                /* global step, 0-based */
    int epoch;                /* 1-based */
    int B;                    /* chunks in the batch */
    double loss;              /* the batch's mean NLL */
    int nlayers;
    const sp_probe_layer *layers; /* [nlayers]; param[].grad set */
    const sp_probe_filters *filters; /* the taps this step used */
} sp_probe_gradients;

/* The model at an epoch's end, after the dev evaluation. */
typedef struct {
    int epoch;                /* 1-based, the epoch just finished */
    long step;                /* global steps done */
    double lr;                /* the learning rate the epoch used */
    double train_loss, train_fer; /* over the epoch's training batches */
    double dev_loss, dev_fer; /* the dev evaluation (every frame) */
    int nlayers;
    const sp_probe_layer *layers; /* [nlayers]; act set where asked */
    const sp_probe_filters *filters;
    /* The probe set: N labelled frames of the dev split drawn once per run
     * (seeded by [train] seed; the same frames every epoch, and on
     * resume), each the chunk centred on it, clean (never passed through
     * on_batch) and with gain 1, run through the network in inference
     * mode. N is the section's probe_frames (default 4096), fewer when the
     * dev split has fewer labelled frames; 0 when probe_frames = 0. */
    long N;
    const int *labels;        /* [N] classes */
    const long *utterance;    /* [N] index into run->data[SP_PROBE_DEV]->utt */
    const long *frame;        /* [N] the frame in that utterance */
    /* ABI 2: 1 when this call is one of the steps the probe asked for
     * with want_steps (in the middle of an epoch: epoch is the epoch
     * being trained, step the global steps done, lr the current rate,
     * the train and dev numbers those of the last epoch's end, NaN in the
     * first epoch and after a resume until an epoch ends); 0 at an epoch's end. Only the probes that asked get
     * these calls. */
    int at_step;
} sp_probe_view;

/* ------------------------------------------------------------------------
 * Host services
 * ---------------------------------------------------------------------- */
typedef enum { SP_PROBE_INFO = 0, SP_PROBE_WARN = 1 } sp_probe_log_level;

typedef enum {
    SP_PROBE_F32 = 0, /* float, '<f4' */
    SP_PROBE_F64 = 1, /* double, '<f8' */
    SP_PROBE_I32 = 2  /* int32_t, '<i4' */
} sp_probe_dtype;

#define SP_PROBE_NPY_MAXRANK 8

/* Function pointers the host fills; valid while the probe is loaded.
 * Call them only from inside a hook (create included), on its thread.
 * Functions taking an sp_probe_error return 0, or -1 with err->message
 * set (the hook may return -1 at once). File names are plain names
 * ([A-Za-z0-9._-], no '/', not starting with '.') inside the probe's
 * folder, ctx->dir. */
struct sp_probe_host {
    unsigned abi_version;     /* the ABI the host speaks */

    /* A line to standard error ("probe ID: ...", WARN adds "warning: ")
     * and to the run's probe log (probes/log.txt in the run directory). */
    void (*log)(const sp_probe_context *ctx, sp_probe_log_level level, const char *fmt, ...)
        SP_PROBE_PRINTF(3, 4);

    /* Random numbers (xoshiro256**), on ctx->rng or a stream of rng_new.
     * u64: 64 random bits; below: uniform in [0, n), n > 0, unbiased;
     * uniform: [0, 1) with 53 bits; normal: standard normal. */
    uint64_t (*rng_u64)(sp_probe_rng *r);
    uint64_t (*rng_below)(sp_probe_rng *r, uint64_t n);
    double (*rng_uniform)(sp_probe_rng *r);
    double (*rng_normal)(sp_probe_rng *r);
    /* Restart a stream from (seed, stream): equal pairs give equal
     * streams, different streams of one seed are independent. */
    void (*rng_seed)(sp_probe_rng *r, uint64_t seed, uint64_t stream);
    /* A new stream, owned by the probe until it passes it to rng_free
     * (before destroy returns). Never NULL. */
    sp_probe_rng *(*rng_new)(const sp_probe_context *ctx, uint64_t seed, uint64_t stream);
    void (*rng_free)(sp_probe_rng *r);

    /* Write a NumPy .npy file (format 1.0, little-endian, C order) of
     * rank 0..SP_PROBE_NPY_MAXRANK: data holds the product of shape[]
     * elements of dtype. Written to a temporary file and renamed, so the
     * file is whole or absent; an existing file is replaced. */
    int (*write_npy)(const sp_probe_context *ctx, const char *name, sp_probe_dtype dtype,
                     const void *data, int rank, const long *shape, sp_probe_error *err);
    /* Write a TSV table: a header row of ncols names, then nrows rows of
     * rows[r * ncols + c] (numbers as %.10g; NaN as "nan"). Atomic. */
    int (*write_tsv)(const sp_probe_context *ctx, const char *name, int ncols,
                     const char *const *header, long nrows, const double *rows,
                     sp_probe_error *err);
    /* Write len bytes of text (any table the probe formats itself, e.g.
     * with string columns). Atomic. */
    int (*write_text)(const sp_probe_context *ctx, const char *name, const char *text, size_t len,
                      sp_probe_error *err);
    /* Read back a .npy file of the probe's folder written by write_npy
     * (typically on resume). Returns the data (free it with release) and
     * fills *dtype, *rank and shape[SP_PROBE_NPY_MAXRANK]; NULL with err
     * when the file is missing or not a float32/float64/int32 array. */
    void *(*read_npy)(const sp_probe_context *ctx, const char *name, sp_probe_dtype *dtype,
                      int *rank, long *shape, sp_probe_error *err);
    void (*release)(void *p);

    /* on_start only, train mode: ask for the activations of the named
     * layers on the probe set in on_epoch_end (sp_probe_layer.act).
     * layers: names separated by ',' ("act1,dense1"), or "all". May be
     * called several times; the requests add up. An unknown name is an
     * error. Memory: 4 N out_n bytes per layer at each epoch's end, so
     * ask only for what you use (the first layers are wide). */
    int (*want_activations)(const sp_probe_context *ctx, const char *layers, sp_probe_error *err);

    /* ABI 2. on_start only, train mode: also call on_epoch_end, with
     * view->at_step = 1 and the activations asked for, after each of the
     * n given global step counts (steps done, 1 .. epochs x
     * steps_per_epoch; unsorted and repeated values are fine; counts at
     * an epoch's end are served by the epoch-end call). For the
     * information plane at log-spaced steps. Each costs one inference
     * pass over the probe set. */
    int (*want_steps)(const sp_probe_context *ctx, const long *steps, long n, sp_probe_error *err);
};

/* An instance's context: made by the host before create, valid until
 * destroy returns, never changed by the host in between. */
struct sp_probe_context {
    const sp_probe_host *host;
    const char *id;           /* the section's ID ("noisy") */
    const char *file;         /* the shared object's path */
    /* The probe's folder: RUN/probes/ID in train mode,
     * RUN/eval-SPLIT/probes/ID in eval mode. Created before on_start (it
     * does not exist yet during create). */
    const char *dir;
    sp_probe_mode mode;
    const sp_probe_value *values; /* [nvalues], see sp_probe_value */
    unsigned long nvalues;    /* = the descriptor's noptions */
    /* The instance's own random stream, seeded from the run's seed, the
     * mode and the section's ID: the same every run with that seed, and
     * independent of other probes. Owned by the host. It is not saved in
     * checkpoints: a resumed run restarts it (reseed from batch->step
     * with rng_seed where bit-exact resumes matter). */
    sp_probe_rng *rng;
    uint64_t seed;            /* the run's [train] seed */
    void *host_data;          /* the host's; do not touch */
};

/* ------------------------------------------------------------------------
 * The descriptor
 * ---------------------------------------------------------------------- */
struct sp_probe_descriptor {
    /* SP_PROBE_ABI_VERSION as compiled. Always the first member. */
    unsigned abi_version;
    /* A stable identifier, [a-z0-9_-]+, what `use =` names. Always the
     * second member. */
    const char *identifier;
    const char *name;         /* a human name ("Noise injection") */
    const char *version;      /* the probe's own version ("1.0") */
    const char *summary;      /* one line, lowercase, no trailing period */
    unsigned long noptions;
    const sp_probe_option *options; /* [noptions]; NULL when 0 */

    /* Make an instance from ctx (options in ctx->values). Set *self to
     * the instance (any pointer; NULL is fine) and return 0, or return -1
     * with err (err->option = the index of a bad option). Called before
     * the run directory is written, so refusing here refuses the run.
     * ctx stays valid until destroy. Do not write files here. */
    int (*create)(const sp_probe_context *ctx, void **self, sp_probe_error *err);

    /* Once, before the first step (train) or batch (eval). run is valid
     * during the call; its datasets, layers' shapes and names, classes and
     * run_dir stay valid until on_finish returns (copy values you need
     * later: param values change). */
    int (*on_start)(void *self, const sp_probe_run *run, sp_probe_error *err);

    /* Each batch, before the forward pass: TRAIN steps, DEV batches of the
     * epoch-end evaluation, DEV or TEST batches of sincprobe eval. Runs
     * once per step: keep it cheap, and allocate in on_start. */
    int (*on_batch)(void *self, sp_probe_batch *batch, sp_probe_error *err);

    /* Each training step, after backward and the host's check that every
     * gradient is finite, before the optimizer step. Read-only. */
    int (*on_gradients)(void *self, const sp_probe_gradients *g, sp_probe_error *err);

    /* Each epoch's end in train mode, after the dev evaluation and the
     * log.tsv row, before the checkpoint is saved. Read-only. */
    int (*on_epoch_end)(void *self, const sp_probe_view *view, sp_probe_error *err);

    /* Once after on_start succeeded, however the run ended (run->status);
     * flush outputs here. Errors are reported; the run's other results
     * stand. */
    int (*on_finish)(void *self, const sp_probe_run *run, sp_probe_error *err);

    /* Free the instance. Called once for every successful create, last,
     * also when a later probe's create or a run fails. */
    void (*destroy)(void *self);
};

/* The exported function: descriptor `index` (0, 1, ...) for a host that
 * speaks ABI host_abi, or NULL past the end or when the probe cannot
 * serve that host. The host calls it with increasing index until NULL. */
typedef const sp_probe_descriptor *(*sp_probe_descriptor_fn)(unsigned host_abi, unsigned long index);
SP_PROBE_EXPORT const sp_probe_descriptor *sincprobe_probe_descriptor(unsigned host_abi,
                                                                      unsigned long index);

#ifdef __cplusplus
}
#endif

#endif
