/* cmd_activations.c - `sincprobe activations MODEL --layer NAME,... --out
 * DIR`: a model's layer outputs (and frame posteriors) on a seeded set of
 * frames, as the .npy matrices `sincprobe analyse` takes.
 *
 * The frames are the probe set's (probe/probeset.c): with the model's
 * dev split, its dev_utterances, its seed and probe_frames frames they are
 * the very frames, in the same order, on which probes see activations at
 * an epoch's end, and the model runs in batches of its training batch
 * through the same forward pass, so the matrices equal the probes'.
 *
 * Audio files (--audio) with a TIMIT phone transcription beside them
 * (sp_phn_beside) are labelled as a corpus's utterances are
 * (sp_utterance_label_phn), and then, as with a split, only labelled
 * frames are drawn and labels.npy is written. */
#include "config.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "base/diag.h"
#include "base/npy.h"
#include "corpus/audio.h"
#include "corpus/labels.h"
#include "corpus/phoneset.h"
#include "corpus/timit.h"
#include "probe/probe_host.h"
#include "run/activations.h"

#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
    "sincprobe activations MODEL --layer NAME[,NAME...] [--split S | --audio FILE ... [--no-labels]] [--frames N] [--seed S] [--posteriors] --out DIR",
    "",
    "  MODEL             a checkpoint, or a run directory (its best checkpoint)",
    "  --layer NAMES     layers to save, by name (sincprobe layers MODEL lists them);",
    "                    repeatable",
    "  --split S         frames of split S of the model's corpus (default: its dev",
    "                    split, with its dev_utterances)",
    "  --audio FILE ...  frames of audio files instead; every argument after MODEL",
    "                    is one more file. Labelled from the TIMIT .PHN beside each",
    "                    (same name, .PHN or .phn) when every file has one",
    "  --no-labels       with --audio: look for no .PHN, write no labels.npy",
    "  --corpus DIR      the corpus of --split (default: the model's)",
    "  --frames N        how many frames (default 4096, the probes' probe_frames)",
    "  --seed S          the frame set's seed (default: the model's [train] seed)",
    "  --posteriors      also write posteriors.npy, the 48 phone posteriors per frame",
    "  --out DIR         the folder for LAYER.npy, labels.npy, frames.tsv (made if missing)",
    NULL,
};

typedef struct {
    const char *model, *split, *corpus, *out;
    sp_opt_list layer_args, audio;
    long frames, seed;
    int posteriors, no_labels;
    int labelled; /* --audio files labelled from their .PHN */
    int layer[SP_MAX_MODEL_LAYERS], nl;
} act_args;

/* The comma-separated names of every --layer as indices into m's layers;
 * an unknown name is an error listing the model's layers. */
static int resolve_layers(act_args *a, const sp_model *m)
{
    for (size_t i = 0; i < a->layer_args.n; i++) {
        char *names = sp_xstrdup(a->layer_args.v[i]), *save = NULL;
        for (char *nm = strtok_r(names, ",", &save); nm; nm = strtok_r(NULL, ",", &save)) {
            int k = 0;
            while (k < m->nlayers && strcmp(m->layer[k].name, nm)) k++;
            if (k == m->nlayers) {
                char list[2048];
                size_t len = 0;
                for (int j = 0; j < m->nlayers && len < sizeof list; j++)
                    len += (size_t)snprintf(list + len, sizeof list - len, "%s%s", j ? ", " : "", m->layer[j].name);
                sp_errorf("unknown layer '%s'; the model's layers: %s", nm, list);
                free(names);
                return -1;
            }
            int dup = 0;
            for (int j = 0; j < a->nl; j++) dup |= a->layer[j] == k;
            if (!dup && a->nl < SP_MAX_MODEL_LAYERS) a->layer[a->nl++] = k;
        }
        free(names);
    }
    return 0;
}

/* The phone transcription beside each audio file (sp_phn_beside) into
 * phn[i] (NULL: none). Every file or none may have one: when only some
 * do, an error names those without (the first 8). Returns how many have
 * one, or -1. */
static long find_transcriptions(const sp_opt_list *files, char **phn)
{
    size_t have = 0, shown = 0;
    for (size_t i = 0; i < files->n; i++) have += (phn[i] = sp_phn_beside(files->v[i])) != NULL;
    if (have == 0 || have == files->n) return (long)have;
    char *list = sp_xstrdup("");
    for (size_t i = 0; i < files->n && shown < 8; i++) {
        if (phn[i]) continue;
        char *more = sp_xasprintf("%s%s'%s'", list, shown++ ? ", " : "", files->v[i]);
        free(list);
        list = more;
    }
    size_t without = files->n - have;
    sp_errorf("%zu of the %zu audio files ha%s a phone transcription beside %s (.PHN) but %zu do%s not: %s%s; "
              "give each one, or '--no-labels' for activations without labels.npy",
              have, files->n, have == 1 ? "s" : "ve", have == 1 ? "it" : "them", without, without == 1 ? "es" : "",
              list, without > shown ? ", ..." : "");
    free(list);
    return -1;
}

/* One audio file as the next utterance of ds: labelled from phn (its
 * problems to d) or, without phn, unlabelled (labels -1). */
static int load_one(sp_dataset *ds, const char *file, const char *phn, const sp_phoneset *ps, sp_diag *d)
{
    sp_utterance *u = &ds->utt[ds->n];
    sp_error err;
    int rate;
    long native_n;
    if (sp_audio_load_16k_native(file, &u->audio, &u->n, &rate, &native_n, &err) != 0) {
        sp_errorf("%s", err.msg);
        return -1;
    }
    ds->n++;
    u->id = sp_xstrdup(file);
    if (phn) sp_utterance_label_phn(u, phn, rate, native_n, ps, d);
    if (!u->label) {
        u->nframes = u->n / SP_FRAME_SHIFT;
        u->label = sp_xmalloc((size_t)(u->nframes ? u->nframes : 1));
        memset(u->label, -1, (size_t)(u->nframes ? u->nframes : 1));
    }
    ds->samples += u->n;
    ds->frames += u->nframes;
    return 0;
}

/* The audio files as a dataset, labelled when each has a .PHN beside it
 * (none looked for with --no-labels); a problem of a .PHN is an error
 * naming its file and line (all of them logged). */
static int load_audio(sp_dataset *ds, act_args *a, const sp_phoneset *ps)
{
    memset(ds, 0, sizeof *ds);
    char **phn = sp_xcalloc(a->audio.n, sizeof *phn);
    long have = a->no_labels ? 0 : find_transcriptions(&a->audio, phn);
    a->labelled = have > 0;
    ds->utt = sp_xcalloc(a->audio.n, sizeof *ds->utt);
    sp_diag d;
    sp_diag_init(&d, 0);
    int rc = have < 0 ? -1 : 0;
    for (size_t i = 0; rc == 0 && i < a->audio.n; i++) rc = load_one(ds, a->audio.v[i], phn[i], ps, &d);
    if (rc == 0 && d.n) {
        for (size_t i = 0; i + 1 < d.n; i++) sp_problem_log(SP_LOG_ERROR, &d.v[i]);
        sp_error err;
        sp_problem_fail(&d.v[d.n - 1], &err);
        sp_errorf("%s", err.msg);
        rc = -1;
    } else if (rc == 0 && a->labelled) {
        sp_log_info("labels: from the .PHN beside %s", a->audio.n == 1 ? "the audio file" : "each audio file");
    }
    sp_diag_free(&d);
    for (size_t i = 0; i < a->audio.n; i++) free(phn[i]);
    free(phn);
    return rc;
}

/* The split's utterances; the model's dev split with its dev_utterances,
 * as the probe host loads it. */
static int load_split(sp_dataset *ds, const act_args *a, const sp_conf *c, const sp_phoneset *ps)
{
    const char *split = a->split ? a->split : c->dev_split;
    int s = sp_split_parse(split);
    if (s < 0) {
        sp_errorf("unknown split '%s': expected train, dev, core, test or all", split);
        return -1;
    }
    size_t max = !strcmp(split, c->dev_split) ? (size_t)c->dev_utterances : 0;
    sp_diag d;
    sp_diag_init(&d, 0);
    d.echo = 1;
    sp_error err;
    int rc = sp_dataset_load(ds, a->corpus ? a->corpus : c->corpus, s, c->include_sa, max, ps, &d, &err);
    sp_diag_free(&d);
    if (rc != 0) sp_errorf("%s", err.msg);
    return rc;
}

/* frames.tsv: where each row of the matrices comes from. */
static int write_frames(const char *dir, const sp_dataset *ds, const long *utt, const long *frame, long n,
                        const sp_phoneset *ps, sp_error *err)
{
    size_t cap = 64 + (size_t)n * 128, len = 0;
    char *t = sp_xmalloc(cap);
    len += (size_t)snprintf(t, cap, "row\tutterance\tframe\tlabel\tphone\n");
    for (long i = 0; i < n; i++) {
        const sp_utterance *u = &ds->utt[utt[i]];
        int lab = u->label[frame[i]];
        const char *id = u->id;
        if (len + strlen(id) + 64 >= cap) t = sp_xrealloc(t, cap = 2 * cap + strlen(id) + 64);
        len += (size_t)snprintf(t + len, cap - len, "%ld\t%s\t%ld\t%d\t%s\n", i, id, frame[i], lab,
                                lab >= 0 && lab < ps->n48 ? ps->name48[lab] : "-");
    }
    char *path = sp_path_join(dir, "frames.tsv");
    int rc = sp_text_write(path, t, len, err);
    free(path);
    free(t);
    return rc;
}

/* LAYER.npy for each layer, labels.npy (int32; frames of a split or of
 * labelled audio files),
 * posteriors.npy, frames.tsv: each written atomically. */
static int write_outputs(const act_args *a, const sp_model *m, const sp_dataset *ds, const long *utt,
                         const long *frame, long n, float *const *act, const float *post, const sp_phoneset *ps)
{
    sp_error err;
    if (sp_mkdirs(a->out, &err) != 0) goto fail;
    for (int k = 0; k < a->nl; k++) {
        const sp_layer *l = &m->layer[a->layer[k]];
        char name[64];
        snprintf(name, sizeof name, "%s.npy", l->name);
        char *path = sp_path_join(a->out, name);
        long shape[2] = { n, (long)l->out_n };
        int rc = sp_npy_write(path, SP_NPY_F32, act[k], 2, shape, &err);
        if (rc == 0) sp_log_info("%s: [%ld][%zu]", path, n, l->out_n);
        free(path);
        if (rc != 0) goto fail;
    }
    if (!a->audio.n || a->labelled) {
        int32_t *lab = sp_xmalloc((size_t)(n ? n : 1) * sizeof *lab);
        for (long i = 0; i < n; i++) lab[i] = ds->utt[utt[i]].label[frame[i]];
        char *path = sp_path_join(a->out, "labels.npy");
        int rc = sp_npy_write(path, SP_NPY_I32, lab, 1, &n, &err);
        free(path);
        free(lab);
        if (rc != 0) goto fail;
    }
    if (post) {
        char *path = sp_path_join(a->out, "posteriors.npy");
        long shape[2] = { n, SP_NCLASSES };
        int rc = sp_npy_write(path, SP_NPY_F32, post, 2, shape, &err);
        free(path);
        if (rc != 0) goto fail;
    }
    if (write_frames(a->out, ds, utt, frame, n, ps, &err) != 0) goto fail;
    return 0;
fail:
    sp_errorf("%s", err.msg);
    return -1;
}

/* Load the model in batches of its training batch (the probe host's). */
static int load_model(const act_args *a, sp_model *m)
{
    char *ckpt = NULL, *rundir = NULL;
    int rc = sp_cli_load_model(a->model, 1, m, &ckpt, &rundir);
    if (rc == 0) {
        int B = m->conf.batch;
        sp_model_free(m);
        sp_error err;
        rc = sp_checkpoint_load(ckpt, m, B, NULL, NULL, &err);
        if (rc != 0) sp_errorf("%s", err.msg);
        else sp_log_info("model: '%s'", ckpt);
    }
    free(ckpt);
    free(rundir);
    return rc;
}

/* Draw the frames (labelled ones, when there are labels), run the model,
 * write the files. */
static int run(act_args *a, sp_model *m, const sp_dataset *ds, const sp_phoneset *ps)
{
    long *utt, *frame;
    int labelled = !a->audio.n || a->labelled;
    const char *which = labelled ? "labelled " : "";
    long n = sp_probe_set_draw(ds, a->frames, (uint64_t)a->seed, labelled, &utt, &frame);
    if (n < 1) {
        sp_errorf("no %sframes to draw from", which);
        free(utt);
        free(frame);
        return -1;
    }
    if (n < a->frames) sp_log_warn("only %ld %sframes: all of them taken (--frames %ld)", n, which, a->frames);
    sp_log_info("%ld frames of %s (seed %ld)", n, a->audio.n ? "the audio files" : a->split ? a->split : m->conf.dev_split,
                a->seed);
    float **act = sp_xcalloc((size_t)a->nl + 1, sizeof *act);
    for (int k = 0; k < a->nl; k++) act[k] = sp_xmalloc((size_t)n * m->layer[a->layer[k]].out_n * sizeof(float));
    float *post = a->posteriors ? sp_xmalloc((size_t)n * SP_NCLASSES * sizeof *post) : NULL;
    sp_cli_bar bar;
    sp_activations_compute(m, ds, utt, frame, n, a->layer, a->nl, act, post, sp_cli_bar_init(&bar, "frames"));
    int rc = write_outputs(a, m, ds, utt, frame, n, act, post, ps);
    for (int k = 0; k < a->nl; k++) free(act[k]);
    free(act);
    free(post);
    free(utt);
    free(frame);
    return rc;
}

int cmd_activations(int argc, char **argv)
{
    act_args a = { .frames = 4096, .seed = -1 };
    sp_opt opts[] = {
        SP_OPT_LIST("--layer", &a.layer_args),
        SP_OPT_STRING_NONEMPTY("--split", &a.split),
        SP_OPT_LIST("--audio", &a.audio),
        SP_OPT_STRING_NONEMPTY("--corpus", &a.corpus),
        SP_OPT_LONG("--frames", &a.frames, 1, 100000000),
        SP_OPT_LONG("--seed", &a.seed, 0, 0x7fffffffffffffffL),
        SP_OPT_FLAG("--posteriors", &a.posteriors),
        SP_OPT_FLAG("--no-labels", &a.no_labels),
        SP_OPT_STRING_NONEMPTY("--out", &a.out),
        SP_OPT_END,
    };
    int status, nargs = sp_opt_parse(usage, opts, -1, argc, argv, &status), rc = SP_EXIT_USAGE;
    if (nargs < 0) return status;
    if (nargs < 1) rc = sp_usage_error(usage, "a MODEL is required");
    else if (nargs > 1 && !a.audio.n) rc = sp_usage_error(usage, "unexpected argument '%s'", argv[2]);
    else if (!a.out) rc = sp_usage_error(usage, "'--out DIR' is required");
    else if (!a.layer_args.n && !a.posteriors) rc = sp_usage_error(usage, "give '--layer NAME' or '--posteriors'");
    else if (a.audio.n && (a.split || a.corpus)) rc = sp_usage_error(usage, "'--audio' does not go with '--split' or '--corpus'");
    else if (a.no_labels && !a.audio.n) rc = sp_usage_error(usage, "'--no-labels' goes with '--audio' only");
    else rc = SP_EXIT_OK;
    if (rc == SP_EXIT_OK) {
        for (int i = 2; i <= nargs; i++) { /* more audio files */
            a.audio.v = sp_xrealloc(a.audio.v, (a.audio.n + 1) * sizeof *a.audio.v);
            a.audio.v[a.audio.n++] = argv[i];
        }
        a.model = argv[1];
        sp_model m;
        sp_phoneset ps;
        sp_dataset ds;
        sp_error err;
        memset(&ds, 0, sizeof ds);
        rc = SP_EXIT_FAIL;
        if (sp_phoneset_load_default(&ps, &err) != 0) sp_errorf("%s", err.msg);
        else if (load_model(&a, &m) == 0) {
            if (a.seed < 0) a.seed = m.conf.seed;
            sp_set_threads(m.conf.threads);
            if (resolve_layers(&a, &m) == 0 &&
                (a.audio.n ? load_audio(&ds, &a, &ps) : load_split(&ds, &a, &m.conf, &ps)) == 0 &&
                run(&a, &m, &ds, &ps) == 0)
                rc = SP_EXIT_OK;
            sp_dataset_free(&ds);
            sp_model_free(&m);
        }
    }
    sp_opt_list_free(&a.layer_args);
    sp_opt_list_free(&a.audio);
    return rc;
}
