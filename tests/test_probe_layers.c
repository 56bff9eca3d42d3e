/* test_probe_layers.c - the layer-list parser probes share
 * (<sincprobe/layers.h>): keywords only where accepted, names in the
 * order given and each once, separators, and the unknown word named. */
#include <sincprobe/layers.h>
#include "testlib.h"

/* The layers of a small sinc model with two conv and two dense blocks. */
static const struct {
    const char *name, *kind;
} model[] = {
    { "in_ln", "layernorm" }, { "sinc", "sinc" },     { "pool1", "abspool" },   { "ln1", "layernorm" },
    { "act1", "act" },        { "conv2", "conv" },    { "pool2", "pool" },      { "ln2", "layernorm" },
    { "act2", "act" },        { "flat_ln", "layernorm" },                       { "dense1", "dense" },
    { "bn1", "batchnorm" },   { "dact1", "act" },     { "dense2", "dense" },    { "bn2", "batchnorm" },
    { "dact2", "act" },       { "out", "dense" },
};
#define NL ((int)(sizeof model / sizeof model[0]))

static sp_probe_layer layers[NL];

/* spec must select exactly the names in want (space separated). */
static void expect(const char *spec, unsigned keywords, const char *want)
{
    int index[NL];
    sp_probe_error err;
    memset(&err, 0, sizeof err);
    int n = sp_probe_layers_select(layers, NL, spec, keywords, index, NULL, &err);
    char got[1024] = "";
    for (int i = 0; i < n; i++) {
        size_t at = strlen(got);
        snprintf(got + at, sizeof got - at, "%s%s", i ? " " : "", layers[index[i]].name);
    }
    CHECK_MSG(n >= 0 && !strcmp(got, want), "'%s': got %d '%s' (%s), expected '%s'", spec ? spec : "(null)", n, got,
              err.message, want);
}

/* spec must be refused, naming `word`. */
static void refuse(const char *spec, unsigned keywords, const char *word)
{
    int index[NL];
    sp_probe_error err;
    memset(&err, 0, sizeof err);
    const char *bad = NULL;
    int n = sp_probe_layers_select(layers, NL, spec, keywords, index, &bad, &err);
    char want[256];
    snprintf(want, sizeof want, "layers: no layer '%s' in this network", word);
    CHECK_MSG(n == -1, "'%s': accepted (%d layers)", spec, n);
    CHECK_MSG(bad && (int)sp_probe_layers_wordlen(bad) == (int)strlen(word) && !strncmp(bad, word, strlen(word)),
              "'%s': unknown word '%s', expected '%s'", spec, bad ? bad : "(null)", word);
    CHECK_MSG(!strcmp(err.message, want), "'%s': message '%s', expected '%s'", spec, err.message, want);
}

int main(void)
{
    for (int i = 0; i < NL; i++) {
        layers[i].name = model[i].name;
        layers[i].kind = model[i].kind;
    }
    const unsigned ALL = SP_PROBE_LAYERS_ALL, DENSE = SP_PROBE_LAYERS_DENSE, AUTO = SP_PROBE_LAYERS_AUTO;

    /* keywords */
    expect("dense", ALL | DENSE, "dact1 dact2 out");
    expect("auto", AUTO, "dact2");
    static const char every[] = "in_ln sinc pool1 ln1 act1 conv2 pool2 ln2 act2 flat_ln dense1 bn1 dact1 dense2 "
                                "bn2 dact2 out";
    expect("all", ALL, every);
    /* names, in the order given, each once; separators ',' and ' ' */
    expect("out,dact1", 0, "out dact1");
    expect(" out, out,,dact1 ,", 0, "out dact1");
    expect("sinc act1", 0, "sinc act1");
    /* words add up; a keyword's layers once, in network order */
    expect("out,dense,sinc", DENSE, "out dact1 dact2 sinc");
    expect("all,out", ALL, every);
    /* nothing named */
    expect("", ALL, "");
    expect(" ,, ", ALL, "");
    expect(NULL, ALL, "");

    /* unknown names, and keywords the probe does not accept */
    refuse("dact1,nosuch,out", ALL | DENSE, "nosuch");
    refuse("dense", ALL, "dense");
    refuse("out auto", ALL | DENSE, "auto");
    refuse("al", ALL, "al");
    refuse("outx", 0, "outx");
    /* err and unknown may be NULL */
    int index[NL];
    CHECK(sp_probe_layers_select(layers, NL, "nosuch", 0, index, NULL, NULL) == -1);

    /* "dense" and "auto" on other networks */
    {
        /* no dense blocks: "out" only; no act layers: auto is the layer
         * before the last; one layer: that one */
        sp_probe_layer few[3];
        memset(few, 0, sizeof few);
        few[0].name = "sinc", few[0].kind = "sinc";
        few[1].name = "flat_ln", few[1].kind = "layernorm";
        few[2].name = "out", few[2].kind = "dense";
        int ix[3];
        CHECK(sp_probe_layers_select(few, 3, "dense", DENSE, ix, NULL, NULL) == 1 && ix[0] == 2);
        CHECK(sp_probe_layers_select(few, 3, "auto", AUTO, ix, NULL, NULL) == 1 && ix[0] == 1);
        CHECK(sp_probe_layers_select(few, 1, "auto", AUTO, ix, NULL, NULL) == 1 && ix[0] == 0);
        CHECK(sp_probe_layers_select(few, 0, "auto,all", AUTO | ALL, ix, NULL, NULL) == 0);
    }
    return sp_test_result("test_probe_layers");
}
