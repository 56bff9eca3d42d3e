/* test_synth_maps.c - the synthetic corpus's phone maps and voice tables:
 * every phone of every Flite voice used maps onto TIMIT symbols
 * (corpora/flite-timit.map), stops as closure + release; both maps load;
 * the shared map reader refuses each malformed line, naming FILE:LINE;
 * the engines' voice tables are what sincprobe-corpus(1) says, and every
 * eSpeak variant used is installed. (eSpeak
 * has no list of its phonemes: tests/synth-engines.sh synthesises the
 * sentence set with it instead.) */
#include "config.h"
#include "corpus/phoneset.h"
#include "corpus/synth_engine.h"
#include "testlib.h"

#include <espeak-ng/speak_lib.h>

static sp_phoneset ps;

/* Every phone the engine can produce has a map entry with TIMIT symbols. */
static void test_inventory(const sp_synth_engine *en)
{
    sp_error err;
    sp_synth_map m;
    CHECK_MSG(sp_synth_map_load(&m, en->map_file, en->phone_what, &ps, &err) == 0, "%s", err.msg);
    const char **names = NULL;
    size_t n = 0;
    CHECK_MSG(en->inventory(&names, &n, &err) == 0, "%s", err.msg);
    CHECK_MSG(n >= 40, "%s: only %zu phones", en->name, n);
    for (size_t i = 0; i < n; i++) {
        const sp_synth_map_entry *e = sp_synth_map_find(&m, names[i]);
        CHECK_MSG(e != NULL, "%s phone '%s' is not in %s", en->name, names[i], m.path);
        if (!e) continue;
        CHECK_MSG(e->nsym >= 1, "%s phone '%s' maps to no TIMIT symbol", en->name, names[i]);
        for (int k = 0; k < e->nsym; k++) CHECK(sp_phone61(&ps, e->sym[k]) >= 0);
    }
    /* Stops and affricates: closure + release, as in TIMIT. */
    const char *stops[] = { "p", "b", "t", "d", "k", "g", "ch", "jh" };
    for (size_t i = 0; i < sizeof stops / sizeof stops[0]; i++) {
        const sp_synth_map_entry *e = sp_synth_map_find(&m, stops[i]);
        CHECK_MSG(e && e->closure && sp_synth_is_closure(e->sym[0]), "%s stop '%s' is not closure + release", en->name,
                  stops[i]);
    }
    free(names);
    sp_synth_map_free(&m);
}

/* Voice names unique; sexes f or m; fixed splits, when an engine has
 * them, give every split at least one voice. */
static void test_voices(const sp_synth_engine *en)
{
    int fixed[SP_SYNTH_NSPLITS] = { 0 }, dealt = 0;
    for (size_t i = 0; i < en->nvoices; i++) {
        const sp_synth_voice *v = &en->voices[i];
        CHECK_MSG(v->sex == 'f' || v->sex == 'm', "%s voice %s", en->name, v->name);
        for (size_t j = 0; j < i; j++) CHECK_MSG(strcmp(en->voices[j].name, v->name) != 0, "%s twice", v->name);
        if (v->split == SP_SYNTH_DEALT) dealt++;
        else if (v->split >= 0 && v->split < SP_SYNTH_NSPLITS) fixed[v->split]++;
        else CHECK_MSG(0, "%s voice %s: split %d", en->name, v->name, v->split);
    }
    if (dealt == 0)
        for (int s = 0; s < SP_SYNTH_NSPLITS; s++) CHECK_MSG(fixed[s] > 0, "%s: no voice in split %d", en->name, s);
}

/* Every eSpeak voice of the table is an installed variant (eSpeak's own
 * list of espeak-ng-data/voices/!v), and none is listed twice. */
static void test_espeak_variants(void)
{
    CHECK(espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, NULL, espeakINITIALIZE_DONT_EXIT) > 0);
    espeak_VOICE spec;
    memset(&spec, 0, sizeof spec);
    spec.languages = "variant";
    const espeak_VOICE **list = espeak_ListVoices(&spec);
    size_t installed = 0;
    while (list && list[installed]) installed++;
    CHECK_MSG(installed >= sp_synth_espeak.nvoices, "%zu variants installed", installed);
    for (size_t i = 0; i < sp_synth_espeak.nvoices; i++) {
        char id[64];
        snprintf(id, sizeof id, "!v/%s", sp_synth_espeak.voices[i].name);
        int found = 0;
        for (size_t k = 0; k < installed; k++) found |= strcmp(list[k]->identifier, id) == 0;
        CHECK_MSG(found, "eSpeak variant %s is not installed", id);
    }
}

/* A map file in dir with one body; loading it must fail with want. */
static void expect_bad_map(const char *dir, const char *body, const char *want)
{
    sp_test_write(dir, "bad.map", body);
    sp_error err;
    sp_synth_map m;
    int rc = sp_synth_map_load(&m, "bad.map", "Flite phone", &ps, &err);
    CHECK_MSG(rc == -1, "'%s' loaded", body);
    if (rc == 0) sp_synth_map_free(&m);
    else CHECK_MSG(strstr(err.msg, want) != NULL, "expected '%s' in '%s'", want, err.msg);
}

static void test_bad_maps(void)
{
    char *dir = sp_test_tmpdir();
    char *old = getenv("SINCPROBE_DATA_DIR") ? strdup(getenv("SINCPROBE_DATA_DIR")) : NULL;
    setenv("SINCPROBE_DATA_DIR", dir, 1);
    expect_bad_map(dir, "aa aa\nzz xx\n", "bad.map:2: 'xx' is not one of the 61 TIMIT symbols");
    expect_bad_map(dir, "# c\naa aa\naa ae\n", "bad.map:3: Flite phone 'aa' is mapped twice");
    expect_bad_map(dir, "aa\n", "bad.map:1: expected 'phone timit_symbol [timit_symbol2]'");
    expect_bad_map(dir, "aa aa ae ah\n", "bad.map:1: expected 'phone timit_symbol");
    expect_bad_map(dir, "x > aa\n", "bad.map:1: '>' takes no second symbol");
    expect_bad_map(dir, "# nothing\n\n", "maps no phones");
    /* A good one: closure + release, a join, a comment after a name. */
    sp_test_write(dir, "good.map", "p pcl p # stop\nt# dx\n; >\n");
    sp_error err;
    sp_synth_map m;
    CHECK_MSG(sp_synth_map_load(&m, "good.map", "x", &ps, &err) == 0, "%s", err.msg);
    CHECK(m.n == 3);
    const sp_synth_map_entry *e = sp_synth_map_find(&m, "p");
    CHECK(e && e->closure && e->nsym == 2 && strcmp(e->sym[1], "p") == 0);
    e = sp_synth_map_find(&m, "t#");
    CHECK(e && !e->closure && e->nsym == 1 && strcmp(e->sym[0], "dx") == 0);
    e = sp_synth_map_find(&m, ";");
    CHECK(e && e->join == SP_SYNTH_JOIN_NEXT && e->nsym == 0);
    sp_synth_map_free(&m);
    if (old) setenv("SINCPROBE_DATA_DIR", old, 1);
    else unsetenv("SINCPROBE_DATA_DIR");
    free(old);
    sp_test_rmtree(dir);
    free(dir);
}

int main(void)
{
    sp_error err;
    if (sp_phoneset_load_default(&ps, &err) != 0) {
        fprintf(stderr, "%s\n", err.msg);
        return 1;
    }
    const sp_synth_engine *engines[] = { &sp_synth_espeak, &sp_synth_flite };
    for (size_t i = 0; i < 2; i++) {
        sp_synth_map m;
        CHECK_MSG(sp_synth_map_load(&m, engines[i]->map_file, engines[i]->phone_what, &ps, &err) == 0, "%s", err.msg);
        sp_synth_map_free(&m);
        test_voices(engines[i]);
        if (engines[i]->inventory) test_inventory(engines[i]);
    }
    CHECK(sp_synth_flite.inventory != NULL);
    CHECK(sp_synth_espeak.nvoices == 73);
    test_espeak_variants();
    CHECK(sp_synth_flite.nvoices == 4);
    test_bad_maps();
    return sp_test_result("test_synth_maps");
}
