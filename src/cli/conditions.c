/* conditions.c - see conditions.h. */
#include "config.h"
#include "cli/conditions.h"
#include "base/diag.h"
#include "base/ini.h"
#include "base/util.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The probe a SPEC configures (sincprobe-probes(7), plugins/noise.c). */
#define NOISE_PROBE "noise"

/* ------------------------------------------------------------------------
 * SPEC: key=value pairs
 * ---------------------------------------------------------------------- */

void sp_noise_spec_free(sp_noise_spec *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->v[i].key);
        free(s->v[i].value);
    }
    free(s->v);
    s->v = NULL;
    s->n = 0;
}

const char *sp_noise_spec_get(const sp_noise_spec *s, const char *key)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->v[i].key, key)) return s->v[i].value;
    return NULL;
}

/* A key as option names are written: [a-z0-9_]+. */
static int valid_key(const char *k)
{
    if (!*k) return 0;
    for (; *k; k++)
        if (!islower((unsigned char)*k) && !isdigit((unsigned char)*k) && *k != '_') return 0;
    return 1;
}

/* A word that may be a key as the user typed it: [A-Za-z0-9_-]+. Only
 * valid_key words are options; the others are refused with the nearest
 * option when the keys are checked against the probe (unknown_key), so
 * that "Type" or "snr-db" get "did you mean". */
static int key_word(const char *k)
{
    if (!*k) return 0;
    for (; *k; k++)
        if (!isalnum((unsigned char)*k) && *k != '_' && *k != '-') return 0;
    return 1;
}

/* Characters the config syntax would read otherwise: control characters
 * (a newline would start another line) and a '#' or ';' after white space
 * (a trailing comment). 1 when text has none. */
static int plain_text(const char *text)
{
    for (const char *p = text; *p; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f) return 0;
        if ((*p == '#' || *p == ';') && p > text && isspace((unsigned char)p[-1])) return 0;
    }
    return 1;
}

/* One comma-separated token into s: a new pair, or more of the last
 * value. 0, or -1 with err. */
static int add_token(sp_noise_spec *s, char *tok, sp_error *err)
{
    char *eq = strchr(tok, '=');
    if (!eq) {
        if (!s->n) return sp_fail(err, "'%s' is not key=value (the noise probe's options: type=white,snr_db=10)", tok);
        char *v = sp_xasprintf("%s,%s", s->v[s->n - 1].value, tok);
        free(s->v[s->n - 1].value);
        s->v[s->n - 1].value = v;
        return 0;
    }
    *eq = '\0';
    char *key = sp_strtrim(tok), *value = sp_strtrim(eq + 1);
    if (!key_word(key)) return sp_fail(err, "'%s' is not a key (an option name of the noise probe)", key);
    if (!strcmp(key, "use") || !strcmp(key, "probe_frames"))
        return sp_fail(err, "'%s' is not an option of the noise probe", key);
    if (sp_noise_spec_get(s, key)) return sp_fail(err, "'%s' is given twice", key);
    s->v = sp_xrealloc(s->v, (s->n + 1) * sizeof *s->v);
    s->v[s->n++] = (sp_spec_pair){ sp_xstrdup(key), sp_xstrdup(value) };
    return 0;
}

int sp_noise_spec_parse(const char *text, sp_noise_spec *s, sp_error *err)
{
    memset(s, 0, sizeof *s);
    if (!plain_text(text)) return sp_fail(err, "control characters or a comment ('#', ';') in the SPEC");
    char *buf = sp_xstrdup(text);
    int rc = 0;
    if (!*sp_strtrim(buf)) rc = sp_fail(err, "an empty SPEC: expected key=value pairs such as type=white,snr_db=10");
    for (char *p = buf; rc == 0 && p;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        char *tok = sp_strtrim(p);
        if (!*tok) rc = sp_fail(err, "an empty item between commas");
        else rc = add_token(s, tok, err);
        p = comma ? comma + 1 : NULL;
    }
    free(buf);
    if (rc != 0) sp_noise_spec_free(s);
    return rc;
}

static int cmp_pair(const void *a, const void *b)
{
    return strcmp((*(const sp_spec_pair *const *)a)->key, (*(const sp_spec_pair *const *)b)->key);
}

/* The pairs but skip (NULL: none), sorted by key, joined. */
static char *joined(const sp_noise_spec *s, const char *skip)
{
    const sp_spec_pair **order = sp_xmalloc((s->n ? s->n : 1) * sizeof *order);
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++)
        if (!skip || strcmp(s->v[i].key, skip)) order[n++] = &s->v[i];
    qsort(order, n, sizeof *order, cmp_pair);
    char *out = sp_xstrdup("");
    for (size_t i = 0; i < n; i++) {
        char *t = sp_xasprintf("%s%s%s=%s", out, i ? "," : "", order[i]->key, order[i]->value);
        free(out);
        out = t;
    }
    free(order);
    return out;
}

char *sp_noise_spec_canonical(const sp_noise_spec *s)
{
    return joined(s, NULL);
}

/* ------------------------------------------------------------------------
 * SPEC -> a noise probe on the chain
 * ---------------------------------------------------------------------- */

static const char *role_name(sp_probe_role role)
{
    return role == SP_PROBE_TRAIN ? "train" : role == SP_PROBE_DEV ? "dev" : "test";
}

/* t + the printf of fmt, t freed. */
static char *append(char *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static char *append(char *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *more = NULL;
    if (vasprintf(&more, fmt, ap) < 0) sp_oom(strlen(fmt));
    va_end(ap);
    char *u = sp_xasprintf("%s%s", t, more);
    free(t);
    free(more);
    return u;
}

/* The probe a SPEC configures: its probe key, else the noise probe. */
static const char *spec_probe(const sp_noise_spec *s)
{
    const char *p = sp_noise_spec_get(s, "probe");
    return p ? p : NOISE_PROBE;
}

/* The [probe ID] section of SPEC number index (1-based): its pairs, then
 * the defaults of conditions.h for what it leaves out. */
static char *section_text(const sp_noise_spec *s, const char *id, size_t index, sp_probe_role role)
{
    char *t = sp_xasprintf("[probe %s]\nuse = %s\n", id, spec_probe(s));
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].key, "probe")) t = append(t, "%s = %s\n", s->v[i].key, s->v[i].value);
    if (!sp_noise_spec_get(s, "apply_to")) t = append(t, "apply_to = %s\n", role_name(role));
    if (!sp_noise_spec_get(s, "scope")) t = append(t, "scope = utterance\n");
    if (!sp_noise_spec_get(s, "seed")) t = append(t, "seed = %zu\n", index);
    return t;
}

/* The first problem of d without its "[probe ID] " prefix, into err. */
static int problem_fail(const sp_diag *d, const char *id, sp_error *err)
{
    if (!d->n) return sp_fail(err, "the noise probe was refused");
    const char *m = d->v[0].message;
    char *prefix = sp_xasprintf("[probe %s] ", id);
    if (!strncmp(m, prefix, strlen(prefix))) m += strlen(prefix);
    free(prefix);
    return sp_fail(err, "%s", m);
}

sp_probe_chain *sp_noise_chain(sp_probe_chain *ch, const char *const *specs, size_t n, sp_probe_role role,
                               sp_error *err)
{
    sp_diag d;
    sp_diag_init(&d, 0);
    sp_ini empty;
    if (!ch) {
        sp_ini_parse(&empty, "--noise", "", &d);
        ch = sp_probe_chain_resolve(&empty, &d);
        sp_ini_free(&empty);
    }
    for (size_t i = 0; ch && i < n; i++) {
        sp_noise_spec s;
        char id[96];
        if (sp_noise_spec_parse(specs[i], &s, err) != 0) {
            sp_error_prefix(err, "--noise '%s': ", specs[i]);
            goto fail;
        }
        snprintf(id, sizeof id, "%.64s-%zu", spec_probe(&s), i + 1);
        char *text = section_text(&s, id, i + 1, role);
        char *name = sp_xasprintf("--%s '%s'", spec_probe(&s), specs[i]);
        sp_noise_spec_free(&s);
        sp_ini ini;
        int rc = sp_ini_parse(&ini, name, text, &d) == 0 ? sp_probe_chain_add(ch, &ini, &d) : -1;
        sp_ini_free(&ini);
        free(text);
        if (rc != 0) {
            problem_fail(&d, id, err);
            sp_error_prefix(err, "%s: ", name);
            free(name);
            goto fail;
        }
        free(name);
    }
    sp_diag_free(&d);
    return ch;
fail:
    sp_diag_free(&d);
    sp_probe_chain_free(ch);
    return NULL;
}

/* ------------------------------------------------------------------------
 * Checking a SPEC before any work
 * ---------------------------------------------------------------------- */

/* The descriptor of probe name, found as a chain finds it (valid until
 * sp_probe_catalog_free(cat)); NULL with err. */
static const sp_probe_descriptor *probe_descriptor(sp_probe_catalog *cat, const char *name, sp_error *err)
{
    memset(cat, 0, sizeof *cat);
    const char *file;
    const sp_probe_descriptor *d = sp_probe_find(cat, name, &file, err);
    if (!d) sp_error_prefix(err, "the %s probe: ", name);
    return d;
}

static const sp_probe_descriptor *noise_descriptor(sp_probe_catalog *cat, sp_error *err)
{
    return probe_descriptor(cat, NOISE_PROBE, err);
}

/* Is key an option of d? */
static int has_option(const sp_probe_descriptor *d, const char *key)
{
    for (unsigned long k = 0; k < d->noptions; k++)
        if (!strcmp(d->options[k].name, key)) return 1;
    return 0;
}

/* The refusal of key, no option of d, into err: the option nearest it
 * (base/util.h's sp_suggest, as for an unknown command line option or
 * config key) and the keys a SPEC may give. probe counts among them while
 * s names no probe (--ladspa's SPEC comes with probe=ladspa). -1. */
static int unknown_key(const sp_noise_spec *s, const sp_probe_descriptor *d, const char *key, sp_error *err)
{
    sp_suggest near;
    sp_suggest_init_nocase(&near, key); /* "Type" is 'type' typed with a capital */
    char *names = sp_xstrdup("");
    for (unsigned long k = 0; k < d->noptions; k++) {
        sp_suggest_add(&near, d->options[k].name);
        names = append(names, "%s%s", k ? ", " : "", d->options[k].name);
    }
    int probe_free = !sp_noise_spec_get(s, "probe");
    if (probe_free) sp_suggest_add(&near, "probe");
    char hint[160] = "";
    if (sp_suggest_best(&near)) snprintf(hint, sizeof hint, "; did you mean '%s'?", sp_suggest_best(&near));
    sp_fail(err, "unknown key '%s'%s (the %s probe's options: %s%s)", key, hint, d->identifier, names,
            probe_free ? "; probe=NAME configures another probe" : "");
    free(names);
    return -1;
}

/* Every key of s an option of d, or probe: 0, or -1 with err. */
static int check_keys(const sp_noise_spec *s, const sp_probe_descriptor *d, sp_error *err)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].key, "probe") && !has_option(d, s->v[i].key)) return unknown_key(s, d, s->v[i].key, err);
    return 0;
}

/* A create refusal, "CONF:LINE: [probe ID] ('FILE'): create: MESSAGE",
 * shortened to MESSAGE (which names the option). */
static void strip_create(sp_error *err)
{
    const char *m = strstr(err->msg, "): create: ");
    if (!m) return;
    char keep[SP_ERRLEN];
    snprintf(keep, sizeof keep, "%s", m + strlen("): create: "));
    snprintf(err->msg, sizeof err->msg, "%s", keep);
}

int sp_noise_spec_check(const char *text, sp_error *err)
{
    sp_noise_spec s;
    if (sp_noise_spec_parse(text, &s, err) != 0) return -1;
    sp_probe_catalog cat;
    const sp_probe_descriptor *d = probe_descriptor(&cat, spec_probe(&s), err);
    int rc = d ? check_keys(&s, d, err) : -1;
    sp_probe_catalog_free(&cat);
    sp_noise_spec_free(&s);
    if (rc != 0) return -1;
    sp_probe_chain *ch = sp_noise_chain(NULL, &text, 1, SP_PROBE_TEST, err);
    if (!ch) {
        /* sp_noise_chain's message starts with "--noise 'SPEC': " */
        const char *m = strstr(err->msg, "': ");
        if (m) {
            char keep[SP_ERRLEN];
            snprintf(keep, sizeof keep, "%s", m + 3);
            snprintf(err->msg, sizeof err->msg, "%s", keep);
        }
        return -1;
    }
    /* create checks the values and writes nothing */
    rc = sp_probe_chain_create(ch, SP_PROBE_MODE_EVAL, ".", 0, err);
    if (rc != 0) strip_create(err);
    sp_probe_chain_free(ch);
    return rc;
}

/* ------------------------------------------------------------------------
 * Robustness conditions
 * ---------------------------------------------------------------------- */

void sp_conditions_free(sp_conditions *cs)
{
    for (size_t i = 0; i < cs->n; i++) {
        sp_condition *c = &cs->v[i];
        free(c->name);
        free(c->spec);
        free(c->noise);
        free(c->type);
        free(c->snr);
    }
    free(cs->v);
    cs->v = NULL;
    cs->n = 0;
}

/* A finite number filling all of s. */
static int number(const char *s, double *v)
{
    char *end;
    errno = 0;
    *v = strtod(s, &end);
    return end != s && !*end && !errno && isfinite(*v);
}

/* Append a condition (owning the strings given) unless one with the same
 * SPEC (or clean) is there. */
static void push(sp_conditions *cs, char *name, char *spec, char *noise, char *type, char *snr)
{
    for (size_t i = 0; i < cs->n; i++)
        if (spec ? cs->v[i].spec && !strcmp(cs->v[i].spec, spec) : !cs->v[i].spec) {
            free(name);
            free(spec);
            free(noise);
            free(type);
            free(snr);
            return;
        }
    cs->v = sp_xrealloc(cs->v, (cs->n + 1) * sizeof *cs->v);
    sp_condition *c = &cs->v[cs->n++];
    double x;
    *c = (sp_condition){ name, spec, noise, type, snr, *snr && number(snr, &x) ? x : NAN };
}

/* The default of the noise probe's option key (caller frees), or "" when
 * the probe cannot be found (the check reports that). */
static char *option_default(const char *key)
{
    sp_probe_catalog cat;
    sp_error err;
    const sp_probe_descriptor *d = noise_descriptor(&cat, &err);
    char *v = NULL;
    for (unsigned long k = 0; d && k < d->noptions && !v; k++)
        if (!strcmp(d->options[k].name, key) && d->options[k].default_value) v = sp_xstrdup(d->options[k].default_value);
    sp_probe_catalog_free(&cat);
    return v ? v : sp_xstrdup("");
}

int sp_conditions_add_spec(sp_conditions *cs, const char *text, sp_error *err)
{
    sp_noise_spec s;
    if (sp_noise_spec_parse(text, &s, err) != 0) {
        sp_error_prefix(err, "--condition '%s': ", text);
        return -1;
    }
    char *name = sp_strtrim(sp_xstrdup(text)); /* trimmed in place: the start stays */
    if (strcmp(spec_probe(&s), NOISE_PROBE)) {
        /* another probe (ladspa): the condition is the SPEC, no SNR */
        push(cs, name, sp_noise_spec_canonical(&s), joined(&s, NULL), sp_xstrdup(spec_probe(&s)), sp_xstrdup(""));
        sp_noise_spec_free(&s);
        return 0;
    }
    char *noise = joined(&s, "snr_db");
    const char *type = sp_noise_spec_get(&s, "type"), *snr = sp_noise_spec_get(&s, "snr_db");
    char *t = type ? sp_xstrdup(type) : option_default("type");
    if (!*noise) {
        free(noise);
        noise = sp_xasprintf("type=%s", t);
    }
    push(cs, name, sp_noise_spec_canonical(&s), noise, t, snr ? sp_xstrdup(snr) : option_default("snr_db"));
    sp_noise_spec_free(&s);
    return 0;
}

/* The first n characters of s. Caller frees. */
static char *dupn(const char *s, size_t n)
{
    char *d = sp_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

/* The SPEC of the shorthand noise N (TYPE or TYPE:ARG) at SNR snr: 0 and
 * *spec, or -1 with err. */
static int shorthand_spec(const char *n, const char *snr, char **spec, sp_error *err)
{
    const char *colon = strchr(n, ':');
    size_t tl = colon ? (size_t)(colon - n) : strlen(n);
    char type[256];
    if (tl == 0 || tl >= sizeof type) return sp_fail(err, "'%s' is not a noise type", n);
    memcpy(type, n, tl);
    type[tl] = '\0';
    const char *arg = colon ? colon + 1 : NULL;
    if (strchr(type, '+')) {
        /* T1+T2: the noise probe's type list, one type drawn per utterance */
        if (arg) return sp_fail(err, "'%s': a list of types takes no ':' argument (use --condition)", n);
        for (char *p = type; *p; p++)
            if (*p == '+') *p = ',';
        for (const char *p = type;; p += strcspn(p, ",") + 1) {
            char *one = dupn(p, strcspn(p, ","));
            int bad = !valid_key(one) || !strcmp(one, "band") || !strcmp(one, "file");
            if (bad) sp_fail(err, "'%s' is not a noise type of a list (band and file need --condition)", one);
            free(one);
            if (bad) return -1;
            if (!p[strcspn(p, ",")]) break;
        }
        *spec = sp_xasprintf("snr_db=%s,type=%s", snr, type);
        return 0;
    }
    if (!valid_key(type)) return sp_fail(err, "'%s' is not a noise type", type);
    static const char *const takes[][2] = { { "band", "band" }, { "tone", "freq" }, { "babble", "k" }, { "file", "file" } };
    const char *key = NULL;
    for (size_t i = 0; i < sizeof takes / sizeof *takes; i++)
        if (!strcmp(type, takes[i][0])) key = takes[i][1];
    if (arg && !key) return sp_fail(err, "type %s takes no ':' argument (band, tone, babble and file do)", type);
    if (arg && !*arg) return sp_fail(err, "'%s' has an empty argument after ':'", n);
    if (!arg && !strcmp(type, "band"))
        return sp_fail(err, "type band needs its band: band:F1-F2 in Hz, or band:F1-F2+F3-F4 for several");
    if (!arg && !strcmp(type, "file")) return sp_fail(err, "type file needs its file: file:PATH");
    if (!arg) {
        *spec = sp_xasprintf("snr_db=%s,type=%s", snr, type);
        return 0;
    }
    char *a = sp_xstrdup(arg);
    if (!strcmp(type, "band"))
        for (char *p = a; *p; p++)
            if (*p == '+') *p = ',';
    sp_noise_spec s = { 0 };
    char *text = sp_xasprintf("type=%s,%s=%s,snr_db=%s", type, key, a, snr);
    free(a);
    int rc = sp_noise_spec_parse(text, &s, err);
    free(text);
    if (rc != 0) return -1;
    *spec = sp_noise_spec_canonical(&s);
    sp_noise_spec_free(&s);
    return 0;
}

/* The shorthand noise n at each SNR of snrs ("20:10:0"). 0, or -1 with
 * err. */
static int add_item(sp_conditions *cs, const char *n, const char *snrs, sp_error *err)
{
    for (const char *p = snrs;;) {
        size_t len = strcspn(p, ":");
        char *tok = dupn(p, len);
        double x;
        if (!number(tok, &x)) {
            sp_fail(err, "'%s' is not an SNR in dB (SNRs are numbers separated by ':')", tok);
            free(tok);
            return -1;
        }
        free(tok);
        char snr[32], *spec;
        snprintf(snr, sizeof snr, "%g", x);
        if (shorthand_spec(n, snr, &spec, err) != 0) return -1;
        char *type = dupn(n, strcspn(n, ":"));
        for (char *q = type; *q; q++)
            if (*q == '+') *q = ','; /* the type option's list */
        push(cs, sp_xasprintf("%s@%s", n, snr), spec, sp_xstrdup(n), type, sp_xstrdup(snr));
        if (!p[len]) return 0;
        p += len + 1;
    }
}

int sp_conditions_add_list(sp_conditions *cs, const char *list, sp_error *err)
{
    char *buf = sp_xstrdup(list);
    char **pending = NULL; /* items without '@', waiting for the next SNRs */
    size_t npending = 0;
    int rc = 0;
    for (char *p = buf; p && rc == 0;) {
        char *comma = strchr(p, ',');
        if (comma) *comma = '\0';
        char *item = sp_strtrim(p), *spec;
        p = comma ? comma + 1 : NULL;
        char *at = strrchr(item, '@');
        if (!*item) {
            rc = sp_fail(err, "an empty item between commas in '%s'", list);
        } else if (!strcmp(item, "clean")) {
            push(cs, sp_xstrdup("clean"), NULL, sp_xstrdup("clean"), sp_xstrdup("clean"), sp_xstrdup(""));
        } else if (!at) {
            /* the noise's syntax is checked now, its SNRs come later */
            if (shorthand_spec(item, "0", &spec, err) != 0) {
                rc = sp_error_prefix(err, "'%s': ", item);
            } else {
                free(spec);
                pending = sp_xrealloc(pending, (npending + 1) * sizeof *pending);
                pending[npending++] = item;
            }
        } else {
            *at = '\0';
            for (size_t i = 0; i < npending && rc == 0; i++)
                if (add_item(cs, pending[i], at + 1, err) != 0) rc = sp_error_prefix(err, "'%s@%s': ", pending[i], at + 1);
            npending = 0;
            if (rc == 0 && add_item(cs, item, at + 1, err) != 0) rc = sp_error_prefix(err, "'%s@%s': ", item, at + 1);
        }
    }
    if (rc == 0 && npending)
        rc = sp_fail(err, "'%s' has no SNR: write %s@SNR[:SNR...], or put it before an item with SNRs (as in %s,pink@10:0)",
                     pending[0], pending[0], pending[0]);
    free(pending);
    free(buf);
    return rc;
}

int sp_conditions_check(const sp_conditions *cs, sp_error *err)
{
    for (size_t i = 0; i < cs->n; i++) {
        if (!cs->v[i].spec) continue;
        if (sp_noise_spec_check(cs->v[i].spec, err) != 0) {
            sp_error_prefix(err, "condition '%s': ", cs->v[i].name);
            return -1;
        }
    }
    return 0;
}
