/* test_probe.c - the probe host without the CLI: every refusal of the
 * chain's resolution with its config line and plugin file, option values
 * and defaults, the resolved text and its round trip through a config,
 * and the chain at work on a small model and an in-memory corpus: batches
 * rewritten by a probe reach the network (train, dev; not test when not
 * asked), refused labels, failing hooks named, activations of the probe
 * set, the files and the log the probes write.
 *
 * Needs the fixtures of tests/fixtures (made by make check) and the
 * example probe: $top_builddir/tests/fixtures/.libs and plugins/.libs. */
#include "config.h"
#include "run/evaluate.h"
#include "base/npy.h"
#include "probe/probe_host.h"
#include "base/util.h"
#include "testlib.h"

#include <math.h>
#include <stdarg.h>

static char *plugin_dir;  /* the fixtures' .libs */

static sp_probe_chain *resolve_text(const char *text, sp_diag *d)
{
    sp_ini ini;
    sp_diag_init(d, 0);
    if (sp_ini_parse(&ini, "t.conf", text, d) != 0) {
        sp_ini_free(&ini);
        return NULL;
    }
    sp_probe_chain *ch = sp_probe_chain_resolve(&ini, d);
    sp_ini_free(&ini);
    return ch;
}

/* text must be refused with a problem on `line` whose message holds
 * every one of the NULL-terminated strings. */
static void expect_refusal(const char *text, long line, const char *what, ...)
{
    sp_diag d;
    sp_probe_chain *ch = resolve_text(text, &d);
    CHECK_MSG(ch == NULL, "accepted, expected a problem about '%s'", what);
    sp_probe_chain_free(ch);
    int found = 0;
    for (size_t i = 0; i < d.n && !found; i++) {
        if (d.v[i].line != line || strcmp(d.v[i].file, "t.conf") != 0 || !strstr(d.v[i].message, what)) continue;
        found = 1;
        va_list ap;
        va_start(ap, what);
        for (const char *s; (s = va_arg(ap, const char *));)
            CHECK_MSG(strstr(d.v[i].message, s) != NULL, "'%s' lacks '%s'", d.v[i].message, s);
        va_end(ap);
    }
    CHECK_MSG(found, "no problem '%s' on line %ld; got %zu problem(s), the first: %s:%ld: %s", what, line, d.n,
              d.n ? d.v[0].file : "", d.n ? d.v[0].line : 0L, d.n ? d.v[0].message : "");
    sp_diag_free(&d);
}

static char *written(const sp_probe_chain *ch)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sp_probe_chain_write(f, ch);
    fclose(f);
    return buf;
}

static void refusals(void)
{
    expect_refusal("[probe a]\nevery = 1\n", 1, "has no 'use = NAME'", NULL);
    expect_refusal("[train]\nepochs = 1\n\n[probe a]\nuse = nosuch\n", 5, "no probe 'nosuch'", "SINCPROBE_PLUGIN_PATH",
                   NULL);
    expect_refusal("[probe a]\n# a comment\nuse = notaprobe\n", 3, "is not a sincprobe probe", "notaprobe.so",
                   "sincprobe_probe_descriptor", NULL);
    expect_refusal("[probe a]\nuse = badabi\n", 2, "built for probe ABI 99", "badabi.so", "accepts ABI 1 to 3", NULL);
    /* the path option types came with ABI 3 */
    expect_refusal("[probe a]\nuse = abi2path\n", 2, "option 'file' has unknown type 6 (for probe ABI 2)", "abi2path.so",
                   NULL);
    expect_refusal("[probe a]\nuse = example\nnfft = 1024\n", 3, "unknown option 'nfft'", "example.so", "every", NULL);
    expect_refusal("[probe a]\nuse = example\nevery = often\n", 3, "'often' is not an integer", "example.so", NULL);
    expect_refusal("[probe a]\nuse = example\nevery = -1\n", 3, "out of range", NULL);
    expect_refusal("[probe a]\nuse = example\nfilters = maybe\n", 3, "'maybe' is not yes or no", NULL);
    expect_refusal("[probe a]\nuse = example\nstat = mean\n", 3, "'mean' is not one of rms|peak", NULL);
    expect_refusal("[probe a]\nuse = mutate\ngain = loud\n", 3, "'loud' is not a number", "mutate.so", NULL);
    expect_refusal("[probe a]\nuse = mutate:needy\n", 1, "lacks option 'x'", "mutate.so", NULL);
    expect_refusal("[probe a.b]\nuse = example\n", 1, "a probe ID is", NULL);
    expect_refusal("[probe a]\nuse = example\nprobe_frames = lots\n", 3, "probe_frames", NULL);
    expect_refusal("[probe a]\nuse = Bad/../x.so\n", 2, "cannot be loaded", NULL);
    expect_refusal("[probe a]\nuse = BAD\n", 2, "neither a probe identifier", NULL);
    /* Every problem is reported, not only the first. */
    sp_diag d;
    sp_probe_chain *ch = resolve_text("[probe a]\nuse = example\nx = 1\ny = 2\n[probe b]\n", &d);
    CHECK(ch == NULL && d.n == 3);
    sp_diag_free(&d);
}

static void resolution(void)
{
    sp_diag d;
    char *so = sp_xasprintf("%s/mutate.so", plugin_dir);
    char *text = sp_xasprintf("[probe one]\nuse = example\nfilters = off\nstat = peak\n"
                              "[probe two]\nuse = example\nlayer = act1\nprobe_frames = 7\n"
                              "[probe three]\nuse = %s\naudio = scale\n[probe four]\nuse = mutate:needy\nx = 3\n", so);
    sp_probe_chain *ch = resolve_text(text, &d);
    for (size_t i = 0; i < d.n; i++) sp_problem_print(stderr, &d.v[i]);
    CHECK(ch && sp_probe_chain_size(ch) == 4);
    char *w = ch ? written(ch) : NULL;
    char *want = sp_xasprintf("[probe one]\nuse = example\nprobe_frames = 4096\nevery = 0\nlayer =\nfilters = no\nstat = peak\n"
                              "[probe two]\nuse = example\nprobe_frames = 7\nevery = 0\nlayer = act1\nfilters = yes\nstat = rms\n"
                              "[probe three]\nuse = %s\nprobe_frames = 4096\naudio = scale\ngain = 1\nlabels = -1\nroles = train\nfail = none\nsteps =\n"
                              "[probe four]\nuse = mutate:needy\nx = 3\n", so);
    CHECK_MSG(w && !strcmp(w, want), "resolved text:\n%s\nexpected:\n%s", w ? w : "", want);
    char *desc = sp_probe_chain_describe(ch);
    CHECK_MSG(!strcmp(desc, "one (example 1.0), two (example 1.0), three (mutate 0.1), four (needy 0.1)"), "%s", desc);
    free(desc);

    /* Through a config and back: sp_conf keeps the sections (with their
     * line numbers for messages), sp_conf_write writes the resolved ones,
     * and they resolve to the same chain. */
    sp_conf c;
    sp_ini ini;
    sp_diag_free(&d);
    sp_diag_init(&d, 0);
    const char *conf_text = "[train]\nepochs = 3\n\n[probe p]\nuse = example\n# comment\nevery = 2\n[run]\ndir = x\n";
    CHECK(sp_ini_parse(&ini, "c.conf", conf_text, &d) == 0 && sp_conf_resolve(&c, &ini, &d) == 0);
    sp_ini_free(&ini);
    CHECK(!strcmp(c.probes_file, "c.conf"));
    sp_probe_chain *pc = sp_probe_chain_from_conf(&c, &d);
    CHECK(pc != NULL);
    sp_error err;
    CHECK(pc && sp_probe_chain_store(pc, &c, &err) == 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sp_conf_write(f, &c);
    fclose(f);
    CHECK_MSG(strstr(buf, "\n\n[probe p]\nuse = example\nprobe_frames = 4096\nevery = 2\nlayer =\nfilters = yes\nstat = rms\n"),
              "config.conf:\n%s", buf);
    sp_conf c2;
    CHECK(sp_ini_parse(&ini, "r.conf", buf, &d) == 0 && sp_conf_resolve(&c2, &ini, &d) == 0);
    sp_ini_free(&ini);
    sp_probe_chain *pc2 = sp_probe_chain_from_conf(&c2, &d);
    char *w1 = written(pc), *w2 = pc2 ? written(pc2) : NULL;
    CHECK(w2 && !strcmp(w1, w2));
    free(w1);
    free(w2);
    sp_probe_chain_free(pc2);
    sp_probe_chain_free(pc);
    free(buf);
    /* A problem in a config's probe section names that file's line. */
    CHECK(sp_ini_parse(&ini, "c.conf", "[train]\nepochs = 3\n[probe p]\nuse = example\n\n\nevery = x\n", &d) == 0 &&
          sp_conf_resolve(&c, &ini, &d) == 0);
    sp_ini_free(&ini);
    size_t before = d.n;
    CHECK(sp_probe_chain_from_conf(&c, &d) == NULL);
    CHECK(d.n == before + 1 && d.v[before].line == 7 && !strcmp(d.v[before].file, "c.conf"));
    /* No probe sections: an empty chain, written as nothing. */
    CHECK(sp_ini_parse(&ini, "e.conf", "[train]\nepochs = 3\n", &d) == 0 && sp_conf_resolve(&c, &ini, &d) == 0);
    sp_ini_free(&ini);
    pc = sp_probe_chain_from_conf(&c, &d);
    CHECK(pc && sp_probe_chain_size(pc) == 0 && c.probes[0] == '\0' && c.probes_file[0] == '\0');
    sp_probe_chain_free(pc);
    sp_diag_free(&d);
    free(want);
    free(w);
    free(text);
    free(so);
    sp_probe_chain_free(ch);
}

/* ---- running */

static sp_dataset fake_data(int nutt, long samples, unsigned seed)
{
    sp_dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.n = (size_t)nutt;
    ds.utt = sp_xcalloc(ds.n, sizeof *ds.utt);
    for (int i = 0; i < nutt; i++) {
        sp_utterance *u = &ds.utt[i];
        u->id = sp_xasprintf("TRAIN/DR1/FAKE%d/SX%d", i, i);
        u->n = samples;
        u->audio = sp_xmalloc((size_t)samples * sizeof *u->audio);
        for (long s = 0; s < samples; s++) u->audio[s] = (int16_t)(8000.0 * sin(0.01 * (double)(s * (i + 1) + seed)));
        u->nframes = samples / 160;
        u->label = sp_xmalloc((size_t)u->nframes);
        for (long f = 0; f < u->nframes; f++) u->label[f] = (int8_t)(f % 7 == 3 ? -1 : (f / 5 + i) % 48);
        u->phones48 = sp_xcalloc(1, sizeof(int));
        ds.samples += samples;
        ds.frames += u->nframes;
    }
    return ds;
}

typedef struct {
    sp_model m;
    sp_dataset train, dev;
    sp_phoneset ps;
    char *dir;
} rig;

/* more: further [model] lines. */
static int rig_make(rig *r, const char *more)
{
    sp_error err;
    sp_ini ini;
    sp_diag d;
    sp_diag_init(&d, 0);
    sp_conf c;
    char *text = sp_xasprintf("[model]\npreset = small\ninput_ms = 50\nfilters = 8\ntaps = 65\nconv = 8x3\ndense = 32\n%s", more);
    int ok = sp_ini_parse(&ini, "m.conf", text, &d) == 0 && sp_conf_resolve(&c, &ini, &d) == 0;
    free(text);
    sp_ini_free(&ini);
    sp_diag_free(&d);
    CHECK(ok);
    if (!ok || sp_model_init(&r->m, &c, 4, &err) != 0 || sp_phoneset_load_default(&r->ps, &err) != 0) {
        fprintf(stderr, "rig: %s\n", err.msg);
        return -1;
    }
    r->train = fake_data(2, 16000, 1);
    r->dev = fake_data(3, 8000, 2);
    r->dir = sp_test_tmpdir();
    return 0;
}

static void rig_free(rig *r)
{
    sp_model_free(&r->m);
    sp_dataset_free(&r->train);
    sp_dataset_free(&r->dev);
    sp_test_rmtree(r->dir);
    free(r->dir);
}

static sp_probe_chain *chain_for(rig *r, const char *text, sp_probe_mode mode, sp_error *err)
{
    sp_diag d;
    sp_probe_chain *ch = resolve_text(text, &d);
    for (size_t i = 0; i < d.n; i++) sp_problem_print(stderr, &d.v[i]);
    sp_diag_free(&d);
    CHECK(ch != NULL);
    if (!ch) return NULL;
    char *pdir = sp_path_join(r->dir, mode == SP_PROBE_MODE_TRAIN ? "probes" : "eval-test/probes");
    int rc = sp_probe_chain_create(ch, mode, pdir, 5, err);
    free(pdir);
    if (rc != 0) {
        sp_probe_chain_free(ch);
        return NULL;
    }
    return ch;
}

static int start(rig *r, sp_probe_chain *ch, sp_probe_mode mode, sp_error *err)
{
    sp_probe_start s;
    memset(&s, 0, sizeof s);
    s.run_dir = r->dir;
    s.model = &r->m;
    s.ps = &r->ps;
    if (mode == SP_PROBE_MODE_TRAIN) {
        s.data[SP_PROBE_TRAIN] = &r->train;
        s.data[SP_PROBE_DEV] = &r->dev;
        s.split[SP_PROBE_TRAIN] = "train";
        s.split[SP_PROBE_DEV] = "dev";
        s.epochs = 1;
        s.steps_per_epoch = 1;
    } else {
        s.data[SP_PROBE_TEST] = &r->dev;
        s.split[SP_PROBE_TEST] = "core";
    }
    return sp_probe_chain_start(ch, &s, err);
}

static void running(void)
{
    rig r;
    if (rig_make(&r, "") != 0) return;
    sp_error err;
    const int B = 4, T = r.m.T;
    float *audio = sp_xmalloc((size_t)B * (size_t)T * sizeof *audio), *copy = sp_xmalloc((size_t)B * (size_t)T * sizeof *copy);
    int labels[4];
    long utt[4] = { 0, 1, 0, 1 }, st[4] = { 0, 160, 320, 480 };
    float gain[4] = { 1, 1, 1, 1 };

    /* Train mode: mutate doubles train and dev audio and sets labels to 5;
     * example keeps 10 frames of act1 each epoch. */
    sp_probe_chain *ch = chain_for(&r, "[probe m]\nuse = mutate\naudio = scale\ngain = 2\nlabels = 5\nroles = train,dev\n"
                                       "[probe e]\nuse = example\nlayer = act1\nprobe_frames = 10\nevery = 1\n",
                                   SP_PROBE_MODE_TRAIN, &err);
    CHECK_MSG(ch != NULL, "%s", err.msg);
    CHECK_MSG(ch && start(&r, ch, SP_PROBE_MODE_TRAIN, &err) == 0, "start: %s", err.msg);
    for (int i = 0; i < B * T; i++) audio[i] = copy[i] = (float)sin(0.1 * i);
    for (int b = 0; b < B; b++) labels[b] = b;
    CHECK(sp_probe_chain_train_batch(ch, audio, labels, B, utt, st, gain, 0, 1, &err) == 0);
    int ok = 1;
    for (int i = 0; i < B * T; i++) ok &= audio[i] == 2 * copy[i];
    CHECK_MSG(ok, "train audio not doubled by the probe");
    CHECK(labels[0] == 5 && labels[3] == 5);
    CHECK(sp_probe_chain_gradients(ch, 0, 1, B, 3.8, &err) == 0);
    /* An evaluation pass over the dev split goes through on_batch too. */
    sp_eval_result ev;
    sp_probe_chain_eval_begin(ch, SP_PROBE_DEV, 1);
    for (int i = 0; i < B * T; i++) audio[i] = copy[i];
    CHECK(sp_probe_chain_eval_batch(ch, 1, 3, B, audio, T, &err) == 0);
    CHECK(audio[7] == 2 * copy[7]);
    CHECK(sp_evaluate_with(&r.m, &r.dev, sp_probe_chain_eval_batch, ch, NULL, NULL, NULL, &ev, &err) == 0);
    sp_probe_epoch_stats es = { 1, 1, 1e-3, 3.8, 0.9, 3.7, 0.95 };
    CHECK_MSG(sp_probe_chain_epoch_end(ch, &es, &err) == 0, "epoch end: %s", err.msg);
    CHECK(sp_probe_chain_finish(ch, SP_PROBE_COMPLETED, 1, 1, &err) == 0);
    sp_probe_chain_free(ch);
    /* What the probes wrote. */
    char *p = sp_path_join(r.dir, "probes/e/acts.npy");
    sp_npy_dtype t;
    int rank;
    long shape[SP_NPY_MAXRANK];
    float *acts = sp_npy_read(p, &t, &rank, shape, &err);
    const sp_layer *act1 = NULL;
    for (int i = 0; i < r.m.nlayers; i++)
        if (!strcmp(r.m.layer[i].name, "act1")) act1 = &r.m.layer[i];
    CHECK_MSG(acts && act1 && t == SP_NPY_F32 && rank == 2 && shape[0] == 10 && shape[1] == (long)act1->out_n,
              "acts.npy: %s", acts ? "bad shape" : err.msg);
    free(acts);
    free(p);
    p = sp_path_join(r.dir, "probes/e/labels.npy");
    int32_t *lab = sp_npy_read(p, &t, &rank, shape, &err);
    int lab_ok = lab && t == SP_NPY_I32 && rank == 1 && shape[0] == 10;
    for (int i = 0; lab_ok && i < 10; i++) lab_ok = lab[i] >= 0 && lab[i] < 48;
    CHECK_MSG(lab_ok, "labels.npy");
    free(lab);
    free(p);
    p = sp_path_join(r.dir, "probes/e/cutoffs.tsv");
    char *tsv = sp_read_file(p, NULL, &err);
    CHECK(tsv && !strncmp(tsv, "filter\tf1_hz\tf2_hz\n0\t", 21));
    free(tsv);
    free(p);
    p = sp_path_join(r.dir, "probes/m/counts.tsv");
    tsv = sp_read_file(p, NULL, &err);
    /* 1 train batch of 4 chunks (labels 0..3 before rewriting: 6); dev:
     * the one batch above and the evaluation's batches. */
    long dev_batches = 1, dev_chunks = B, dev_labels = 0;
    for (size_t i = 0; i < r.dev.n; i++)
        for (long f0 = 0; f0 < r.dev.utt[i].nframes; f0 += r.m.maxB) dev_batches++;
    for (size_t i = 0; i < r.dev.n; i++) {
        dev_chunks += r.dev.utt[i].nframes;
        for (long f = 0; f < r.dev.utt[i].nframes; f++) dev_labels += r.dev.utt[i].label[f];
    }
    for (int b = 0; b < B; b++) dev_labels += r.dev.utt[1].label[3 + b];
    char *want = sp_xasprintf("role\tbatches\tchunks\tlabel_sum\n0\t1\t4\t6\n1\t%ld\t%ld\t%ld\n2\t0\t0\t0\n", dev_batches,
                              dev_chunks, dev_labels);
    CHECK_MSG(tsv && !strcmp(tsv, want), "counts.tsv:\n%s\nexpected:\n%s", tsv ? tsv : err.msg, want);
    free(want);
    free(tsv);
    free(p);
    p = sp_path_join(r.dir, "probes/log.txt");
    tsv = sp_read_file(p, NULL, &err);
    CHECK_MSG(tsv && strstr(tsv, "probe e: train run in") && strstr(tsv, "probe e: step 0: rms") &&
                  strstr(tsv, "probe e: finished (completed)"),
              "log.txt:\n%s", tsv ? tsv : err.msg);
    free(tsv);
    free(p);

    /* Eval mode on a test split: mutate acts on train,dev only. */
    ch = chain_for(&r, "[probe m]\nuse = mutate\naudio = zero\nroles = train,dev\n[probe e]\nuse = example\n",
                   SP_PROBE_MODE_EVAL, &err);
    CHECK(ch && start(&r, ch, SP_PROBE_MODE_EVAL, &err) == 0);
    sp_probe_chain_eval_begin(ch, SP_PROBE_TEST, 0);
    for (int i = 0; i < B * T; i++) audio[i] = copy[i];
    CHECK(sp_probe_chain_eval_batch(ch, 0, 0, B, audio, T, &err) == 0 && audio[9] == copy[9]);
    CHECK(sp_probe_chain_finish(ch, SP_PROBE_COMPLETED, 0, 0, &err) == 0);
    sp_probe_chain_free(ch);
    p = sp_path_join(r.dir, "eval-test/probes/e/batches.tsv");
    CHECK(sp_is_file(p));
    free(p);

    /* A label outside the 48 classes is the probe's error. */
    ch = chain_for(&r, "[probe bad]\nuse = mutate\nlabels = 99\n", SP_PROBE_MODE_TRAIN, &err);
    CHECK(ch && start(&r, ch, SP_PROBE_MODE_TRAIN, &err) == 0);
    CHECK(sp_probe_chain_train_batch(ch, audio, labels, B, utt, st, gain, 0, 1, &err) != 0);
    CHECK_MSG(strstr(err.msg, "t.conf:1: [probe bad]") && strstr(err.msg, "mutate.so") && strstr(err.msg, "label 99"), "%s", err.msg);
    sp_probe_chain_free(ch);

    /* Failing hooks are named with the probe, its file and its line; a
     * refused option points at that option's line. */
    CHECK(chain_for(&r, "\n[probe f]\nuse = mutate\nfail = create\n", SP_PROBE_MODE_TRAIN, &err) == NULL);
    CHECK_MSG(strstr(err.msg, "t.conf:2: [probe f]") && strstr(err.msg, "create: asked to fail"), "%s", err.msg);
    CHECK(chain_for(&r, "[probe f]\nuse = mutate\ngain = 3\nfail = gain\n", SP_PROBE_MODE_TRAIN, &err) == NULL);
    CHECK_MSG(strstr(err.msg, "t.conf:3: [probe f]") && strstr(err.msg, "gain: 3 will not do"), "%s", err.msg);
    const char *hooks[] = { "batch", "on_batch", "gradients", "on_gradients", "epoch_end", "on_epoch_end", "finish",
                            "on_finish", "start", "on_start" };
    for (size_t k = 0; k < sizeof hooks / sizeof hooks[0]; k += 2) {
        char *text = sp_xasprintf("[probe ok]\nuse = example\n[probe f]\nuse = mutate\nfail = %s\n", hooks[k]);
        ch = chain_for(&r, text, SP_PROBE_MODE_TRAIN, &err);
        for (int b = 0; b < B; b++) labels[b] = b;
        int rc = start(&r, ch, SP_PROBE_MODE_TRAIN, &err);
        if (!rc) rc = sp_probe_chain_train_batch(ch, audio, labels, B, utt, st, gain, 0, 1, &err);
        if (!rc) rc = sp_probe_chain_gradients(ch, 0, 1, B, 1.0, &err);
        if (!rc) rc = sp_probe_chain_epoch_end(ch, &es, &err);
        if (!rc) rc = sp_probe_chain_finish(ch, SP_PROBE_COMPLETED, 1, 1, &err);
        else {
            sp_error ignore;
            sp_probe_chain_finish(ch, SP_PROBE_FAILED, 1, 1, &ignore);
        }
        char *want2 = sp_xasprintf("t.conf:3: [probe f] ('%s/mutate.so'): %s: asked to fail in %s", plugin_dir, hooks[k + 1],
                                   hooks[k + 1]);
        CHECK_MSG(rc != 0 && !strcmp(err.msg, want2), "fail = %s: '%s', expected '%s'", hooks[k], err.msg, want2);
        free(want2);
        sp_probe_chain_free(ch);
        free(text);
    }
    /* An unknown layer asked for is refused at on_start. */
    ch = chain_for(&r, "[probe e]\nuse = example\nlayer = nosuch\n", SP_PROBE_MODE_TRAIN, &err);
    CHECK(ch && start(&r, ch, SP_PROBE_MODE_TRAIN, &err) != 0 && strstr(err.msg, "no layer 'nosuch'"));
    sp_probe_chain_finish(ch, SP_PROBE_FAILED, 0, 0, &err);
    sp_probe_chain_free(ch);

    free(audio);
    free(copy);
    rig_free(&r);
}

/* The sinc layer's "low_hz" and "band_hz" as probes see them (the mutate
 * probe's sinc.tsv): in Hz, with gradients per Hz, whatever [model]
 * sinc_param; the model's own values under hz, Hz-valued copies that
 * follow the model under normalised. */
static void sinc_units(void)
{
    static const char *const params[2] = { "hz", "normalised" };
    for (int k = 0; k < 2; k++) {
        rig r;
        char *more = sp_xasprintf("sinc_param = %s\n", params[k]);
        int ok = rig_make(&r, more) == 0;
        free(more);
        if (!ok) return;
        sp_model *m = &r.m;
        const float c = m->sinc.param_scale;
        CHECK(c == (k ? 16000.0f : 1.0f));
        sp_error err;
        sp_probe_chain *ch = chain_for(&r, "[probe m]\nuse = mutate\n", SP_PROBE_MODE_TRAIN, &err);
        CHECK_MSG(ch && start(&r, ch, SP_PROBE_MODE_TRAIN, &err) == 0, "%s: start: %s", params[k], err.msg);
        if (!ch) {
            rig_free(&r);
            return;
        }
        int F = m->sinc.F;
        for (int pass = 0; pass < 2; pass++) { /* the second after the model moved */
            for (int f = 0; f < F; f++) {
                m->grad.sinc_low_p[f] = (float)(f + 1 + pass) * c * 1e-3f;
                m->grad.sinc_band_p[f] = -(float)(f + 2) * c * 1e-3f;
                if (pass) m->param.sinc_low_p[f] += 100.0f / c;
            }
            CHECK_MSG(sp_probe_chain_gradients(ch, pass, 1, 4, 3.8, &err) == 0, "gradients: %s", err.msg);
            char *p = sp_path_join(r.dir, "probes/m/sinc.tsv");
            char *tsv = sp_read_file(p, NULL, &err);
            static const char head[] = "filter\tlow_hz\tband_hz\tdlow_hz\tdband_hz\tf1\tf2\n";
            CHECK_MSG(tsv && !strncmp(tsv, head, sizeof head - 1), "%s: sinc.tsv: %s", params[k], tsv ? tsv : err.msg);
            const char *line = tsv ? strchr(tsv, '\n') : NULL;
            for (int f = 0; f < F && line; f++, line = strchr(line + 1, '\n')) {
                double v[7];
                int n = sscanf(line + 1, "%lf %lf %lf %lf %lf %lf %lf", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6]);
                double low = (double)c * m->param.sinc_low_p[f], band = (double)c * m->param.sinc_band_p[f];
                double dl = (double)m->grad.sinc_low_p[f] / c, db = (double)m->grad.sinc_band_p[f] / c;
                CHECK_MSG(n == 7 && v[0] == f && fabs(v[1] - low) <= 1e-6 * fabs(low) && fabs(v[2] - band) <= 1e-6 * fabs(band)
                              && fabs(v[3] - dl) <= 1e-6 * fabs(dl) && fabs(v[4] - db) <= 1e-6 * fabs(db),
                          "%s pass %d filter %d: low_hz %g band_hz %g dlow %g dband %g, expected %g %g %g %g", params[k], pass,
                          f, v[1], v[2], v[3], v[4], low, band, dl, db);
                /* in Hz: f1 = min_low_hz + |low_hz| */
                CHECK_MSG(n == 7 && fabs(v[5] - (50.0 + fabs(v[1]))) <= 1e-3, "%s filter %d: f1 %g for low_hz %g", params[k], f,
                          v[5], v[1]);
            }
            CHECK(line != NULL);
            free(tsv);
            free(p);
        }
        CHECK(sp_probe_chain_finish(ch, SP_PROBE_COMPLETED, 1, 1, &err) == 0);
        sp_probe_chain_free(ch);
        rig_free(&r);
    }
}

int main(void)
{
    const char *top = getenv("top_builddir");
    if (!top) top = ".";
    plugin_dir = sp_xasprintf("%s/tests/fixtures/.libs", top);
    char real[4096];
    if (realpath(plugin_dir, real)) {
        free(plugin_dir);
        plugin_dir = sp_xstrdup(real);
    }
    char *path = sp_xasprintf("%s:%s/plugins/.libs", plugin_dir, top);
    setenv("SINCPROBE_PLUGIN_PATH", path, 1);
    free(path);
    refusals();
    resolution();
    running();
    sinc_units();
    free(plugin_dir);
    return sp_test_result("test_probe");
}
