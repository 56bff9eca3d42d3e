/* test_conditions.c - the condition syntax of `eval --noise SPEC` and
 * `robustness --conditions LIST` (src/cli/conditions.c): a SPEC's pairs,
 * the token-without-'=' continuation rule, the canonical text, the
 * shorthand's expansion into conditions (names, SPECs, noises, SNRs, the
 * grid form, duplicates) and each refusal with its message. The checks
 * against the noise probe itself are in tests/robustness.sh. */
#include "config.h"
#include "cli/conditions.h"
#include "testlib.h"

#include <math.h>

/* SPEC text -> its canonical text, or "ERROR: message". */
static const char *canon(const char *text)
{
    static char out[SP_ERRLEN + 16];
    sp_noise_spec s;
    sp_error err;
    if (sp_noise_spec_parse(text, &s, &err) != 0) {
        snprintf(out, sizeof out, "ERROR: %s", err.msg);
        return out;
    }
    char *c = sp_noise_spec_canonical(&s);
    snprintf(out, sizeof out, "%s", c);
    free(c);
    sp_noise_spec_free(&s);
    return out;
}

#define EXPECT_CANON(text, want)                                                           \
    do {                                                                                   \
        const char *got_ = canon(text);                                                    \
        CHECK_MSG(!strcmp(got_, want), "'%s': got '%s', expected '%s'", text, got_, want); \
    } while (0)

/* A LIST -> "name|spec|noise|type|snr;..." or "ERROR: message". */
static const char *expand(const char *list)
{
    static char out[4096];
    sp_conditions cs = { 0 };
    sp_error err;
    if (sp_conditions_add_list(&cs, list, &err) != 0) {
        snprintf(out, sizeof out, "ERROR: %s", err.msg);
    } else {
        out[0] = '\0';
        for (size_t i = 0; i < cs.n; i++) {
            const sp_condition *c = &cs.v[i];
            size_t len = strlen(out);
            snprintf(out + len, sizeof out - len, "%s%s|%s|%s|%s|%s", i ? ";" : "", c->name, c->spec ? c->spec : "-",
                     c->noise, c->type, c->snr);
        }
    }
    sp_conditions_free(&cs);
    return out;
}

#define EXPECT_LIST(list, want)                                                            \
    do {                                                                                   \
        const char *got_ = expand(list);                                                   \
        CHECK_MSG(!strcmp(got_, want), "'%s':\n  got      '%s'\n  expected '%s'", list, got_, want); \
    } while (0)

int main(void)
{
    /* pairs, white space trimmed, keys sorted */
    EXPECT_CANON("type=babble,snr_db=5", "snr_db=5,type=babble");
    EXPECT_CANON(" snr_db = -5 , type = pink ", "snr_db=-5,type=pink");
    /* a token without '=' continues the previous value */
    EXPECT_CANON("type=band,band=1200-1600,1800-2100,snr_db=0", "band=1200-1600,1800-2100,snr_db=0,type=band");
    EXPECT_CANON("band=1-2, 3-4,5-6", "band=1-2,3-4,5-6");
    EXPECT_CANON("file=a=b.wav", "file=a=b.wav"); /* the first '=' splits */
    EXPECT_CANON("type=", "type=");
    /* refusals */
    EXPECT_CANON("", "ERROR: an empty SPEC: expected key=value pairs such as type=white,snr_db=10");
    EXPECT_CANON("  ", "ERROR: an empty SPEC: expected key=value pairs such as type=white,snr_db=10");
    EXPECT_CANON("white", "ERROR: 'white' is not key=value (the noise probe's options: type=white,snr_db=10)");
    EXPECT_CANON("type=white,,snr_db=1", "ERROR: an empty item between commas");
    EXPECT_CANON("type=white,", "ERROR: an empty item between commas");
    EXPECT_CANON("=3", "ERROR: '' is not a key (an option name of the noise probe)");
    EXPECT_CANON("snr db=3", "ERROR: 'snr db' is not a key (an option name of the noise probe)");
    /* a word with capitals or '-' is split as a key; checked against the
     * probe's options later (robustness.sh: "did you mean") */
    EXPECT_CANON("Type=white,snr-db=3", "Type=white,snr-db=3");
    EXPECT_CANON("type=white,type=pink", "ERROR: 'type' is given twice");
    EXPECT_CANON("use=noise", "ERROR: 'use' is not an option of the noise probe");
    EXPECT_CANON("probe_frames=3", "ERROR: 'probe_frames' is not an option of the noise probe");
    EXPECT_CANON("file=a\nb", "ERROR: control characters or a comment ('#', ';') in the SPEC");
    EXPECT_CANON("file=a #b", "ERROR: control characters or a comment ('#', ';') in the SPEC");
    EXPECT_CANON("file=a#b", "file=a#b");

    /* the shorthand: one condition per (noise, SNR), in order */
    EXPECT_LIST("clean", "clean|-|clean|clean|");
    EXPECT_LIST("white@20", "white@20|snr_db=20,type=white|white|white|20");
    EXPECT_LIST("clean,white@20:-5,babble@0",
                "clean|-|clean|clean|;white@20|snr_db=20,type=white|white|white|20;"
                "white@-5|snr_db=-5,type=white|white|white|-5;babble@0|snr_db=0,type=babble|babble|babble|0");
    /* the grid form: items without '@' take the next item's SNRs */
    EXPECT_LIST("white,pink@10:0",
                "white@10|snr_db=10,type=white|white|white|10;white@0|snr_db=0,type=white|white|white|0;"
                "pink@10|snr_db=10,type=pink|pink|pink|10;pink@0|snr_db=0,type=pink|pink|pink|0");
    EXPECT_LIST("white,clean,pink@5", "clean|-|clean|clean|;white@5|snr_db=5,type=white|white|white|5;"
                                      "pink@5|snr_db=5,type=pink|pink|pink|5");
    /* arguments; SNRs as numbers (2.50 -> 2.5) */
    EXPECT_LIST("band:1200-1600+1800-2100@2.50",
                "band:1200-1600+1800-2100@2.5|band=1200-1600,1800-2100,snr_db=2.5,type=band|"
                "band:1200-1600+1800-2100|band|2.5");
    EXPECT_LIST("tone:440@10", "tone:440@10|freq=440,snr_db=10,type=tone|tone:440|tone|10");
    EXPECT_LIST("babble:8@0", "babble:8@0|k=8,snr_db=0,type=babble|babble:8|babble|0");
    EXPECT_LIST("file:/n/x.wav@0", "file:/n/x.wav@0|file=/n/x.wav,snr_db=0,type=file|file:/n/x.wav|file|0");
    /* a list of types (one drawn per utterance) */
    EXPECT_LIST("white+pink+babble@0", "white+pink+babble@0|snr_db=0,type=white,pink,babble|white+pink+babble|"
                                       "white,pink,babble|0");
    EXPECT_LIST("white+band@0", "ERROR: 'white+band@0': 'band' is not a noise type of a list (band and file need "
                                "--condition)");
    EXPECT_LIST("white+pink:3@0", "ERROR: 'white+pink:3@0': 'white+pink:3': a list of types takes no ':' argument "
                                  "(use --condition)");
    EXPECT_LIST("white+@0", "ERROR: 'white+@0': '' is not a noise type of a list (band and file need --condition)");
    /* the same condition twice is one; a different name of the same SPEC too */
    EXPECT_LIST("white@10,white@10.0,clean,clean", "white@10|snr_db=10,type=white|white|white|10;clean|-|clean|clean|");
    /* refusals name the item */
    EXPECT_LIST("white@x", "ERROR: 'white@x': 'x' is not an SNR in dB (SNRs are numbers separated by ':')");
    EXPECT_LIST("white@10:", "ERROR: 'white@10:': '' is not an SNR in dB (SNRs are numbers separated by ':')");
    EXPECT_LIST("white@", "ERROR: 'white@': '' is not an SNR in dB (SNRs are numbers separated by ':')");
    EXPECT_LIST("clean,white",
                "ERROR: 'white' has no SNR: write white@SNR[:SNR...], or put it before an item with SNRs (as in white,pink@10:0)");
    EXPECT_LIST("clean,,white@1", "ERROR: an empty item between commas in 'clean,,white@1'");
    EXPECT_LIST("band@5",
                "ERROR: 'band@5': type band needs its band: band:F1-F2 in Hz, or band:F1-F2+F3-F4 for several");
    EXPECT_LIST("file@5", "ERROR: 'file@5': type file needs its file: file:PATH");
    EXPECT_LIST("white:3@5", "ERROR: 'white:3@5': type white takes no ':' argument (band, tone, babble and file do)");
    EXPECT_LIST("tone:@5", "ERROR: 'tone:@5': 'tone:' has an empty argument after ':'");
    EXPECT_LIST("Pink@5", "ERROR: 'Pink@5': 'Pink' is not a noise type");
    EXPECT_LIST("band:1-2", "ERROR: 'band:1-2' has no SNR: write band:1-2@SNR[:SNR...], or put it before an item with "
                            "SNRs (as in band:1-2,pink@10:0)");
    EXPECT_LIST("pink:3", "ERROR: 'pink:3': type pink takes no ':' argument (band, tone, babble and file do)");
    return sp_test_result("test_conditions");
}
