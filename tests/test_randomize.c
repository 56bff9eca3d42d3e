/* test_randomize.c - the randomize probe (plugins/randomize.c) driven
 * through the host's chain (probe_host.h) as `sincprobe train` drives it:
 * - p = 0 changes nothing (labels, audio);
 * - mode labels, p = 1: about 47/48 of the labels change (uniform random
 *   classes), all in [0, 48); p = 0.5: about half the chunks are chosen;
 * - the same (utterance, centre frame) gets the same random label at two
 *   different steps (and gain); another seed gives other labels;
 * - mode permute: a bijection of the 48 classes, the same at every step;
 * - mode noise: each chunk's mean power kept (relative error < 1e-5), the
 *   audio replaced, the labels kept, a silent chunk left silent, the same
 *   position gets the same noise shape;
 * - randomize.tsv at the epoch's end counts the chunks. */
#include "config.h"
#include "corpus/dataset.h"
#include "probe/probe_host.h"
#include "base/rng.h"
#include "base/util.h"
#include "testlib.h"

#include <math.h>

#define B 16
#define NUTT 5
static int T;
static sp_model model;
static sp_phoneset ps;
static sp_dataset train, dev;
static char *dir;
static float *clean, *audio;
static long utt[B], st[B];
static float gains[B];
static int labels[B], orig[B];

static sp_dataset fake(int nutt, long samples, unsigned seed)
{
    sp_dataset ds;
    memset(&ds, 0, sizeof ds);
    ds.n = (size_t)nutt;
    ds.utt = sp_xcalloc(ds.n, sizeof *ds.utt);
    sp_rng r;
    sp_rng_seed(&r, seed, 1);
    for (int i = 0; i < nutt; i++) {
        sp_utterance *u = &ds.utt[i];
        u->id = sp_xasprintf("TRAIN/DR1/FAKE%d/SX%d", i, i);
        u->n = samples;
        u->audio = sp_xmalloc((size_t)samples * sizeof *u->audio);
        for (long s = 0; s < samples; s++)
            u->audio[s] = (int16_t)(3000 * sin(0.01 * (double)s * (i + 1)) + 300 * sp_rng_normal(&r));
        u->nframes = samples / 160;
        u->label = sp_xmalloc((size_t)u->nframes);
        for (long f = 0; f < u->nframes; f++) u->label[f] = (int8_t)((f / 5 + i) % 48);
        u->phones48 = sp_xcalloc(1, sizeof(int));
        ds.samples += samples;
        ds.frames += u->nframes;
    }
    return ds;
}

static sp_probe_chain *chain(const char *text)
{
    sp_error err;
    sp_ini ini;
    sp_diag d;
    sp_diag_init(&d, 0);
    sp_probe_chain *ch = NULL;
    if (sp_ini_parse(&ini, "t.conf", text, &d) == 0) ch = sp_probe_chain_resolve(&ini, &d);
    sp_ini_free(&ini);
    if (!ch) {
        fprintf(stderr, "%s: %s\n", text, d.n ? d.v[0].message : "refused");
        sp_diag_free(&d);
        CHECK(ch != NULL);
        return NULL;
    }
    sp_diag_free(&d);
    char *pdir = sp_path_join(dir, "probes");
    int rc = sp_probe_chain_create(ch, SP_PROBE_MODE_TRAIN, pdir, 5, &err);
    free(pdir);
    CHECK_MSG(rc == 0, "create: %s", err.msg);
    if (rc != 0) {
        sp_probe_chain_free(ch);
        return NULL;
    }
    sp_probe_start s;
    memset(&s, 0, sizeof s);
    s.run_dir = dir;
    s.model = &model;
    s.ps = &ps;
    s.data[SP_PROBE_TRAIN] = &train;
    s.data[SP_PROBE_DEV] = &dev;
    s.split[SP_PROBE_TRAIN] = "train";
    s.split[SP_PROBE_DEV] = "dev";
    s.epochs = 1;
    s.steps_per_epoch = 30;
    rc = sp_probe_chain_start(ch, &s, &err);
    CHECK_MSG(rc == 0, "start: %s", err.msg);
    if (rc != 0) {
        sp_probe_chain_free(ch);
        return NULL;
    }
    return ch;
}

static void done(sp_probe_chain *ch)
{
    sp_error err;
    if (ch) CHECK_MSG(sp_probe_chain_finish(ch, SP_PROBE_COMPLETED, 1, 1, &err) == 0, "%s", err.msg);
    sp_probe_chain_free(ch);
}

/* Batch j: chunk b at position idx = j B + b: utterance idx % NUTT, frame
 * 10 + idx / NUTT (distinct positions for distinct idx); chunk 3 of
 * batch 0 silent when silent is set. gain g. */
static void fill(int j, float g, int silent)
{
    for (int b = 0; b < B; b++) {
        int idx = j * B + b;
        const sp_utterance *u = &train.utt[idx % NUTT];
        long f = 10 + idx / NUTT;
        utt[b] = idx % NUTT;
        st[b] = f * 160 + 80 - T / 2;
        gains[b] = g;
        labels[b] = orig[b] = u->label[f];
        sp_dataset_chunk(u, f, T, g, clean + (size_t)b * (size_t)T);
    }
    if (silent) memset(clean + 3 * (size_t)T, 0, (size_t)T * sizeof *clean);
    memcpy(audio, clean, (size_t)B * (size_t)T * sizeof *audio);
}

static int run_batch(sp_probe_chain *ch, long step)
{
    sp_error err;
    int rc = sp_probe_chain_train_batch(ch, audio, labels, B, utt, st, gains, step, 1, &err);
    CHECK_MSG(rc == 0, "train batch: %s", err.msg);
    return rc;
}

static void p_zero(void)
{
    const char *modes[3] = { "labels", "permute", "noise" };
    for (int m = 0; m < 3; m++) {
        char *text = sp_xasprintf("[probe r]\nuse = randomize\nmode = %s\np = 0\n", modes[m]);
        sp_probe_chain *ch = chain(text);
        for (int j = 0; ch && j < 4; j++) {
            fill(j, 1, 0);
            if (run_batch(ch, j) != 0) break;
            CHECK_MSG(!memcmp(labels, orig, sizeof labels), "p = 0, mode %s changed a label", modes[m]);
            CHECK_MSG(!memcmp(audio, clean, (size_t)B * (size_t)T * sizeof *audio), "p = 0, mode %s changed audio",
                      modes[m]);
        }
        done(ch);
        free(text);
    }
}

/* Mode labels at p: the fraction of chunks whose label changed over nb
 * batches; rec[j][b] gets the labels. */
static double labels_run(const char *extra, double p, int nb, int rec[][B])
{
    char *text = sp_xasprintf("[probe r]\nuse = randomize\np = %g\n%s", p, extra);
    sp_probe_chain *ch = chain(text);
    long changed = 0, n = 0;
    for (int j = 0; ch && j < nb; j++) {
        fill(j, 1, 0);
        if (run_batch(ch, j) != 0) break;
        for (int b = 0; b < B; b++) {
            CHECK(labels[b] >= 0 && labels[b] < 48);
            changed += labels[b] != orig[b];
            n++;
            if (rec) rec[j][b] = labels[b];
        }
        CHECK(!memcmp(audio, clean, (size_t)B * (size_t)T * sizeof *audio));
    }
    done(ch);
    free(text);
    return n ? (double)changed / (double)n : -1;
}

static void labels_mode(void)
{
    enum { NB = 40 };
    static int a[NB][B], c[NB][B];
    double f1 = labels_run("", 1, NB, a);
    printf("randomize labels p = 1: %.4f of %d labels changed (47/48 = %.4f)\n", f1, NB * B, 47.0 / 48);
    /* 640 chunks: sd of the unchanged share ~0.0056; allow 4 sd */
    CHECK_MSG(fabs(f1 - 47.0 / 48) < 0.025, "p = 1: %.4f changed", f1);
    double fh = labels_run("", 0.5, NB, NULL);
    printf("randomize labels p = 0.5: %.4f changed (want ~%.4f)\n", fh, 0.5 * 47 / 48);
    CHECK_MSG(fabs(fh - 0.5 * 47 / 48) < 0.08, "p = 0.5: %.4f changed", fh);
    /* another seed: other labels */
    labels_run("seed = 77\n", 1, NB, c);
    long same = 0;
    for (int j = 0; j < NB; j++)
        for (int b = 0; b < B; b++) same += a[j][b] == c[j][b];
    CHECK_MSG(same < NB * B / 10, "seed 77 agrees with the run's seed on %ld of %d labels", same, NB * B);
    /* the same positions at other steps and another gain: the same labels */
    sp_probe_chain *ch = chain("[probe r]\nuse = randomize\n");
    for (int j = 0; ch && j < 3; j++) {
        fill(j, 0.7f, 0);
        if (run_batch(ch, 1000 + 17 * j) != 0) break;
        CHECK_MSG(!memcmp(labels, a[j], sizeof labels), "batch %d at step %d: other labels than at step %d", j,
                  1000 + 17 * j, j);
    }
    done(ch);
}

static void permute_mode(void)
{
    sp_probe_chain *ch = chain("[probe r]\nuse = randomize\nmode = permute\n");
    int pi[48], seen[48] = { 0 };
    for (int rep = 0; ch && rep < 2; rep++)
        for (int j = 0; j < 3; j++) {
            fill(0, 1, 0);
            /* classes 16 j .. 16 j + 15 as the targets */
            for (int b = 0; b < B; b++) labels[b] = orig[b] = 16 * j + b;
            if (run_batch(ch, rep * 100 + j) != 0) break;
            for (int b = 0; b < B; b++) {
                int c = 16 * j + b;
                if (rep == 0) {
                    pi[c] = labels[b];
                    CHECK(labels[b] >= 0 && labels[b] < 48);
                    if (labels[b] >= 0 && labels[b] < 48) seen[labels[b]]++;
                } else {
                    CHECK_MSG(pi[c] == labels[b], "permute: class %d went to %d, then %d", c, pi[c], labels[b]);
                }
            }
        }
    int bij = 1, fixed = 0;
    for (int c = 0; c < 48; c++) bij &= seen[c] == 1, fixed += pi[c] == c;
    CHECK_MSG(bij, "permute is not a bijection of the 48 classes");
    printf("randomize permute: a bijection of 48 classes with %d fixed points\n", fixed);
    CHECK(fixed < 8);
    done(ch);
}

static void noise_mode(void)
{
    sp_probe_chain *ch = chain("[probe r]\nuse = randomize\nmode = noise\n");
    float *first = sp_xmalloc((size_t)B * (size_t)T * sizeof *first);
    double worst = 0;
    for (int rep = 0; ch && rep < 2; rep++) {
        fill(0, rep ? 0.5f : 1.0f, 1);
        if (run_batch(ch, rep * 7) != 0) break;
        CHECK(!memcmp(labels, orig, sizeof labels));
        for (int b = 0; b < B; b++) {
            const float *a = audio + (size_t)b * (size_t)T, *c = clean + (size_t)b * (size_t)T;
            double pa = 0, pc = 0, diff = 0;
            for (int t = 0; t < T; t++) pa += (double)a[t] * a[t], pc += (double)c[t] * c[t], diff += fabs(a[t] - c[t]);
            if (b == 3) {
                CHECK_MSG(pa == 0, "a silent chunk got noise");
                continue;
            }
            double e = fabs(pa / pc - 1);
            if (e > worst) worst = e;
            CHECK_MSG(e < 1e-5, "chunk %d: power %.8g, was %.8g", b, pa / T, pc / T);
            CHECK(diff > 0.1 * sqrt(pc));
            if (rep == 0) {
                memcpy(first + (size_t)b * (size_t)T, a, (size_t)T * sizeof *a);
            } else { /* the same position: the same noise at half the gain */
                double d = 0;
                for (int t = 0; t < T; t++) d = fmax(d, fabs(2 * a[t] - first[(size_t)b * (size_t)T + (size_t)t]));
                CHECK_MSG(d < 1e-4, "chunk %d: other noise at step 7 (max diff %.3g)", b, d);
            }
        }
    }
    printf("randomize noise: worst relative power error %.2e\n", worst);
    /* the epoch's end writes randomize.tsv: 2 batches of 16 chunks, 15 + 15 changed */
    sp_error err;
    sp_probe_epoch_stats es = { 1, 2, 0.1, 1, 0.5, 1, 0.5 };
    CHECK_MSG(ch && sp_probe_chain_epoch_end(ch, &es, &err) == 0, "epoch end: %s", err.msg);
    char *path = sp_xasprintf("%s/probes/r/randomize.tsv", dir);
    size_t len;
    char *txt = sp_read_file(path, &len, &err);
    CHECK_MSG(txt && !strcmp(txt, "epoch\tchunks\tchosen\tchanged\n1\t32\t32\t30\n"), "randomize.tsv: %s",
              txt ? txt : err.msg);
    free(txt);
    free(path);
    free(first);
    done(ch);
}

int main(void)
{
    const char *top = getenv("top_builddir");
    if (!top) top = ".";
    char real[4096];
    char *plugin_dir = sp_xasprintf("%s/plugins/.libs", top);
    if (realpath(plugin_dir, real)) {
        free(plugin_dir);
        plugin_dir = sp_xstrdup(real);
    }
    setenv("SINCPROBE_PLUGIN_PATH", plugin_dir, 1);
    sp_error err;
    sp_ini ini;
    sp_diag d;
    sp_diag_init(&d, 0);
    sp_conf c;
    int ok = sp_ini_parse(&ini, "m.conf", "[model]\npreset = small\nfilters = 8\ntaps = 65\nconv = 8x3\ndense = 32\n", &d) == 0 &&
             sp_conf_resolve(&c, &ini, &d) == 0;
    sp_ini_free(&ini);
    sp_diag_free(&d);
    if (!ok || sp_model_init(&model, &c, B, &err) != 0 || sp_phoneset_load_default(&ps, &err) != 0) {
        fprintf(stderr, "test_randomize: %s\n", err.msg);
        return 1;
    }
    T = model.T;
    train = fake(NUTT, 64000, 1);
    dev = fake(2, 16000, 2);
    dir = sp_test_tmpdir();
    clean = sp_xmalloc((size_t)B * (size_t)T * sizeof *clean);
    audio = sp_xmalloc((size_t)B * (size_t)T * sizeof *audio);

    p_zero();
    labels_mode();
    permute_mode();
    noise_mode();

    free(clean);
    free(audio);
    sp_model_free(&model);
    sp_dataset_free(&train);
    sp_dataset_free(&dev);
    sp_test_rmtree(dir);
    free(dir);
    free(plugin_dir);
    return sp_test_result("test_randomize");
}
