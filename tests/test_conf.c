/* test_conf.c - the INI syntax and the config keys: errors name file and
 * line, presets and overrides resolve, the resolved config reads back to
 * the same values. */
#include "config.h"
#include "base/conf.h"
#include "base/util.h"
#include "testlib.h"

static int resolve(const char *text, sp_conf *c, sp_diag *d)
{
    sp_ini ini;
    sp_diag_init(d, 0);
    int rc = sp_ini_parse(&ini, "x.conf", text, d);
    if (rc == 0) rc = sp_conf_resolve(c, &ini, d);
    sp_ini_free(&ini);
    return rc;
}

static void expect_error(const char *text, long line, const char *what)
{
    sp_conf c;
    sp_diag d;
    CHECK_MSG(resolve(text, &c, &d) != 0, "expected an error about '%s'", what);
    CHECK_MSG(d.n >= 1, "no problem reported for '%s'", what);
    if (d.n >= 1) {
        CHECK_MSG(strstr(d.v[0].message, what) != NULL, "got '%s', expected '%s'", d.v[0].message, what);
        CHECK_MSG(d.v[0].line == line, "'%s' on line %ld, expected %ld", what, d.v[0].line, line);
        CHECK(strcmp(d.v[0].file, "x.conf") == 0);
    }
    sp_diag_free(&d);
}

/* base/util.h's "did you mean": the distance (swaps count 1) and the
 * threshold (at most a third of the longer name changed). */
static void test_suggest(void)
{
    CHECK(sp_edit_distance("trian", "train") == 1);   /* a swap */
    CHECK(sp_edit_distance("epohcs", "epochs") == 1);
    CHECK(sp_edit_distance("kitten", "sitting") == 3);
    CHECK(sp_edit_distance("", "abc") == 3 && sp_edit_distance("abc", "") == 3);
    CHECK(sp_edit_distance("ca", "abc") == 3);        /* optimal string alignment, not full Damerau */
    const char *names[] = { "corpus", "train", "eval", "decode", "live" };
    sp_suggest s;
    sp_suggest_init(&s, "trian");
    for (size_t i = 0; i < 5; i++) sp_suggest_add(&s, names[i]);
    CHECK(sp_suggest_best(&s) && !strcmp(sp_suggest_best(&s), "train"));
    sp_suggest_init(&s, "frobnicate");
    for (size_t i = 0; i < 5; i++) sp_suggest_add(&s, names[i]);
    CHECK(sp_suggest_best(&s) == NULL);
    sp_suggest_init(&s, "ab"); /* 1 edit in 2 letters is half the word: too far */
    sp_suggest_add(&s, "ax");
    CHECK(sp_suggest_best(&s) == NULL);
    sp_suggest_init(&s, "train"); /* the name itself is no suggestion */
    sp_suggest_add(&s, "train");
    CHECK(sp_suggest_best(&s) == NULL);
    /* case counts, unless asked otherwise: then a name differing in case
     * only is the nearest, ahead of one a letter away */
    sp_suggest_init(&s, "SNR_DB");
    sp_suggest_add(&s, "snr_db");
    CHECK(sp_suggest_best(&s) == NULL);
    sp_suggest_init_nocase(&s, "SNR_DB");
    sp_suggest_add(&s, "snr_db");
    CHECK(sp_suggest_best(&s) && !strcmp(sp_suggest_best(&s), "snr_db"));
    sp_suggest_init_nocase(&s, "Type");
    sp_suggest_add(&s, "typo");
    sp_suggest_add(&s, "type");
    CHECK(sp_suggest_best(&s) && !strcmp(sp_suggest_best(&s), "type"));
    sp_suggest_init_nocase(&s, "Trian");
    for (size_t i = 0; i < 5; i++) sp_suggest_add(&s, names[i]);
    CHECK(sp_suggest_best(&s) && !strcmp(sp_suggest_best(&s), "train"));
    sp_suggest_init_nocase(&s, "type"); /* the name itself, still none */
    sp_suggest_add(&s, "type");
    CHECK(sp_suggest_best(&s) == NULL);
    const char *section = NULL;
    CHECK(sp_conf_find_key("epohcs", &section) && !strcmp(sp_conf_find_key("epohcs", NULL), "epochs") &&
          !strcmp(section, "train"));
}

int main(void)
{
    sp_conf c;
    sp_diag d;
    test_suggest();
    /* Defaults are the sincnet preset. */
    CHECK(resolve("", &c, &d) == 0);
    CHECK(c.filters == 80 && c.taps == 251 && c.nconv == 2 && c.conv_channels[0] == 60 && c.ndense == 3 &&
          c.dense[2] == 2048 && c.batch == 128 && c.input_ms == 200 && !strcmp(c.optimizer, "rmsprop") &&
          c.lr == 1e-3 && c.alpha == 0.95);
    sp_diag_free(&d);

    /* Preset small, then a key overrides it whatever the order. */
    CHECK(resolve("# comment\n[train]\nbatch = 32   # trailing comment\n[model]\ndense = 64,32\npreset = small\n"
                  "conv = 16x3, 8x3\nactivation = tanh\n[probe noise1]\nuse = noise\n", &c, &d) == 0);
    for (size_t i = 0; i < d.n; i++) sp_problem_print(stderr, &d.v[i]);
    CHECK(c.filters == 40 && c.taps == 129 && c.batch == 32 && c.ndense == 2 && c.dense[0] == 64 && c.dense[1] == 32);
    CHECK(c.nconv == 2 && c.conv_channels[0] == 16 && c.conv_kernel[1] == 3 && !strcmp(c.activation, "tanh"));
    sp_diag_free(&d);

    /* Errors with their lines. */
    expect_error("[train]\nepochs = 3\nepoch = 4\n", 3, "unknown key 'epoch' in [train]");
    expect_error("[data]\ncorpus = x\n[trian]\n", 3, "unknown section '[trian]'");
    expect_error("[train]\nlr = fast\n", 2, "'fast' is not a number");
    expect_error("[train]\nepochs = 0\n", 2, "out of range");
    expect_error("[train]\nbatch = 12.5\n", 2, "not an integer");
    expect_error("[train]\noptimizer = adagrad\n", 2, "'adagrad' is not one of rmsprop|adam|sgd");
    expect_error("[model]\npreset = huge\n", 2, "not one of sincnet|small");
    expect_error("[model]\nconv = 60*5\n", 2, "CHANNELSxKERNEL");
    expect_error("[model]\ntaps = 250\n", 2, "even");
    expect_error("[model]\ninput_ms = 12\n", 2, "too short");
    expect_error("epochs = 3\n", 1, "before any [section]");
    expect_error("[train]\nepochs 3\n", 2, "expected 'key = value'");
    expect_error("[train]\nepochs = 3\nepochs = 4\n", 3, "given twice");
    expect_error("[train]\n[train]\n", 2, "given twice");
    expect_error("[train\n", 1, "section header");
    expect_error("[data]\ninclude_sa = maybe\n", 2, "not yes or no");
    expect_error("[model]\npreset = small\nsinc_param = fs\n", 3, "[model] sinc_param: 'fs' is not one of hz|normalised");
    expect_error("[optim]\nfirst_layer_lr_scale = -1\n", 2, "[optim] first_layer_lr_scale: -1 is out of range");
    expect_error("[optim]\nlr = 1\n", 2, "unknown key 'lr' in [optim]");
    expect_error("[optimizer]\n", 1, "expected [data], [model], [train], [optim], [eval], [run] or [probe ID]");

    /* The first layer's learning: the defaults under a preset, and the
     * file's keys over the preset's whatever the order. */
    CHECK(resolve("[model]\npreset = small\n", &c, &d) == 0);
    CHECK(!strcmp(c.sinc_param, SP_DEFAULT_SINC_PARAM) && c.first_layer_lr_scale == SP_DEFAULT_FIRST_LAYER_LR_SCALE);
    sp_diag_free(&d);
    CHECK(resolve("[optim]\nfirst_layer_lr_scale = 12.5\n[model]\nsinc_param = normalised\npreset = small\n", &c, &d) == 0);
    CHECK(!strcmp(c.sinc_param, "normalised") && c.first_layer_lr_scale == 12.5 && c.filters == 40);
    sp_diag_free(&d);

    /* Round trip: the resolved config, written and read again, is equal. */
    CHECK(resolve("[model]\npreset = small\ndropout = 0.25\nsinc_param = normalised\n[train]\nseed = 99\noptimizer = adam\n"
                  "[optim]\nfirst_layer_lr_scale = 0.5\n[run]\ndir = runs/x y\n", &c, &d) == 0);
    sp_diag_free(&d);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sp_conf_write(f, &c);
    fclose(f);
    sp_conf c2;
    CHECK(resolve(buf, &c2, &d) == 0);
    for (size_t i = 0; i < d.n; i++) sp_problem_print(stderr, &d.v[i]);
    sp_diag_free(&d);
    CHECK(memcmp(&c, &c2, sizeof c) == 0);
    CHECK(c2.seed == 99 && c2.dropout == 0.25 && !strcmp(c2.dir, "runs/x y"));
    CHECK(!strcmp(c2.sinc_param, "normalised") && c2.first_layer_lr_scale == 0.5);
    CHECK(strstr(buf, "\nsinc_param = normalised\n") && strstr(buf, "\n[optim]\nfirst_layer_lr_scale = 0.5\n"));
    free(buf);
    /* Every key is documented in sincprobe.conf(5), in its section. */
    const char *top = getenv("top_srcdir");
    if (top) {
        char *path = sp_xasprintf("%s/man/sincprobe.conf.5", top);
        sp_error err;
        char *page = sp_read_file(path, NULL, &err);
        CHECK_MSG(page != NULL, "%s", err.msg);
        for (int i = 0; page; i++) {
            const char *section, *help;
            const char *key = sp_conf_key_name(i, &section, &help);
            if (!key) break;
            char *sec = sp_xasprintf(".Ss [%s]\n", section);
            char *item = sp_xasprintf("\n.It Ic %s No = ", key);
            const char *ps = strstr(page, sec);
            const char *pk = strstr(page, item);
            CHECK_MSG(ps && pk && pk > ps, "key '%s' of [%s] is not documented under .Ss [%s] in %s", key, section,
                      section, path);
            const char *next = ps ? strstr(ps + 1, ".Ss ") : NULL;
            CHECK_MSG(!next || !pk || pk < next, "key '%s' is documented outside its section [%s]", key, section);
            free(sec);
            free(item);
        }
        free(page);
        free(path);
    }
    return sp_test_result("test_conf");
}
