/* conditions.h - test conditions as the command line names them, turned
 * into noise probes on an evaluation's probe chain: `eval --noise SPEC`
 * and `robustness --conditions LIST` / `--condition SPEC`
 * (sincprobe-eval(1), sincprobe-robustness(1)).
 *
 * SPEC is the noise probe's options as key=value pairs separated by
 * commas: "type=babble,snr_db=5". A comma-separated token without '='
 * continues the previous value, so values that are themselves comma
 * lists pass whole: "type=band,band=1200-1600,1800-2100,snr_db=0" gives
 * band = "1200-1600,1800-2100". Unless the SPEC says otherwise, its probe
 * applies to the evaluated split's role (apply_to), scope is utterance
 * (one noise signal per utterance, as a noisy recording: the overlapping
 * chunks of a frame's neighbours see the same noise) and seed is the
 * SPEC's position among the command's SPECs (1, 2, ...): the same SPEC
 * gives the same noisy audio in every evaluation, of every model.
 *
 * LIST is robustness' shorthand, comma-separated items:
 *     clean                      no noise
 *     TYPE@SNR[:SNR...]          type=TYPE at each SNR in dB
 *     TYPE:ARG@SNR[:SNR...]      with the type's argument: band:F1-F2[+F3-F4...]
 *                                (band=F1-F2,F3-F4), tone:HZ (freq), babble:K (k),
 *                                file:PATH (file)
 *     TYPE[:ARG]                 without '@': the SNRs of the next item that
 *                                has them ("white,pink,babble@20:10:5:0:-5")
 * Each (noise, SNR) is one condition, named "white@20", "band:1200-1600@0";
 * its SPEC is "snr_db=20,type=white". */
#ifndef SP_CONDITIONS_H
#define SP_CONDITIONS_H

#include "probe/probe_host.h"
#include "base/error.h"

#include <stddef.h>

/* ---- SPEC */

typedef struct {
    char *key, *value;
} sp_spec_pair;

typedef struct {
    sp_spec_pair *v;
    size_t n;
} sp_noise_spec;

/* Split text into pairs (white space around keys and values trimmed).
 * Refused: an empty SPEC or item, a first token without '=', an empty
 * key or one with a character other than [A-Za-z0-9_-], a key given
 * twice, control characters. 0, or -1 with err naming the item. A key
 * with capitals or '-' is split like any other and refused as an unknown
 * key by sp_noise_spec_check, with the nearest option. */
int sp_noise_spec_parse(const char *text, sp_noise_spec *s, sp_error *err);
void sp_noise_spec_free(sp_noise_spec *s);
/* The value of key, or NULL. */
const char *sp_noise_spec_get(const sp_noise_spec *s, const char *key);
/* The pairs sorted by key, joined "k1=v1,k2=v2": one text per condition
 * whatever the order it was written in. Caller frees. */
char *sp_noise_spec_canonical(const sp_noise_spec *s);

/* Check SPEC as eval would run it: its syntax, each key an option of
 * the noise probe (or of the probe its key probe names), and the values
 * as the probe's create checks them (a file of type file is read). 0, or
 * -1 with err naming the key; for an unknown key also the option nearest
 * it, case aside ("Type": "; did you mean 'type'?"), and the probe's
 * options. */
int sp_noise_spec_check(const char *text, sp_error *err);

/* A chain with the noise probes of specs[0 .. n) after ch's probes (ch
 * NULL: a new chain; freed on failure), applied in role by default; its
 * probes are named noise-1, noise-2, ... NULL with err. The chain is not
 * yet created (sp_probe_chain_create). */
sp_probe_chain *sp_noise_chain(sp_probe_chain *ch, const char *const *specs, size_t n, sp_probe_role role,
                               sp_error *err);

/* ---- robustness conditions */

typedef struct {
    char *name;   /* as shown: "clean", "white@20", or the SPEC as given */
    char *spec;   /* canonical SPEC; NULL for clean */
    char *noise;  /* the condition without its SNR: "clean", "white", "band:1200-1600", or the SPEC's other pairs */
    char *type;   /* "clean", or the type option ("white" when not given, the probe's default) */
    char *snr;    /* the snr_db text as given ("" for clean) */
    double snr_db;/* its value; NaN for clean or a range lo:hi */
} sp_condition;

typedef struct {
    sp_condition *v;
    size_t n;
} sp_conditions;

/* Append the conditions of a LIST; one already there (the same SPEC, or
 * clean twice) is not added again. 0, or -1 with err naming the item. */
int sp_conditions_add_list(sp_conditions *cs, const char *list, sp_error *err);
/* Append one condition given as a SPEC. 0, or -1 with err. */
int sp_conditions_add_spec(sp_conditions *cs, const char *spec, sp_error *err);
/* sp_noise_spec_check of every SPEC: 0, or -1 with err naming the
 * condition. */
int sp_conditions_check(const sp_conditions *cs, sp_error *err);
void sp_conditions_free(sp_conditions *cs);

#endif
