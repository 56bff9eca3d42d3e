/* voices.c - reading a synthetic corpus's voices.tsv (see voices.h). */
#include "config.h"
#include "corpus/voices.h"

#include "base/util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sp_voices_free(sp_voices *t)
{
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

/* Cut line at tabs into f (at most max fields); returns the count. */
static int split_tabs(char *line, char **f, int max)
{
    int n = 0;
    for (char *p = line; p && n < max; n++) {
        f[n] = p;
        p = strchr(p, '\t');
        if (p) *p++ = '\0';
    }
    return n;
}

/* The columns named speaker and engine in the header line. */
static int header_columns(char *line, int *spk, int *eng)
{
    char *f[32];
    int n = split_tabs(line, f, 32);
    *spk = *eng = -1;
    for (int i = 0; i < n; i++) {
        sp_strtrim(f[i]);
        if (strcmp(f[i], "speaker") == 0) *spk = i;
        if (strcmp(f[i], "engine") == 0) *eng = i;
    }
    return *spk >= 0 && *eng >= 0 ? 0 : -1;
}

int sp_voices_read(sp_voices *t, const char *root, sp_diag *d)
{
    memset(t, 0, sizeof *t);
    char *path = sp_path_join(root, "voices.tsv");
    if (!sp_is_file(path)) {
        free(path);
        return 0;
    }
    sp_error err;
    char *text = sp_read_file(path, NULL, &err);
    if (!text) {
        sp_diag_add(d, path, 0, "%s", err.msg);
        free(path);
        return -1;
    }
    int spk = -1, eng = -1, need = 0;
    size_t cap = 0;
    long lineno = 0;
    for (char *line = text, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        lineno++;
        if (lineno == 1) {
            if (header_columns(line, &spk, &eng) != 0) {
                sp_diag_add(d, path, 1, "expected a header line naming the columns speaker and engine");
                break;
            }
            need = (spk > eng ? spk : eng) + 1;
            continue;
        }
        char *f[32];
        int n = split_tabs(line, f, 32);
        if (n < need || !*f[spk] || !*f[eng] || strlen(f[spk]) >= sizeof t->v->speaker ||
            strlen(f[eng]) >= sizeof t->v->engine) {
            sp_diag_add(d, path, lineno, "expected a speaker and an engine in columns %d and %d", spk + 1, eng + 1);
            continue;
        }
        if (t->n == cap) t->v = sp_xrealloc(t->v, (cap = cap ? 2 * cap : 64) * sizeof *t->v);
        snprintf(t->v[t->n].speaker, sizeof t->v->speaker, "%s", f[spk]);
        snprintf(t->v[t->n].engine, sizeof t->v->engine, "%s", f[eng]);
        sp_strlower(t->v[t->n].speaker);
        t->n++;
    }
    free(text);
    free(path);
    return 0;
}

const char *sp_voices_engine(const sp_voices *t, const char *speaker)
{
    for (size_t i = 0; i < t->n; i++)
        if (sp_strcaseeq(t->v[i].speaker, speaker)) return t->v[i].engine;
    return NULL;
}

int sp_synth_status_write(const char *root, int complete, sp_error *err)
{
    char *path = sp_path_join(root, SP_SYNTH_STATUS);
    sp_atomic_file af;
    int rc = sp_atomic_open(&af, path, err);
    if (rc == 0) {
        fprintf(af.f, "%s\n", complete ? "complete" : "incomplete");
        fprintf(af.f, "# written by 'sincprobe corpus synth': 'incomplete' while it runs, 'complete' when it is done\n");
        rc = sp_atomic_commit(&af, err);
    }
    free(path);
    return rc;
}

void sp_synth_status_check(const char *root, sp_diag *d)
{
    char *path = sp_path_join(root, SP_SYNTH_STATUS);
    char *voices = sp_path_join(root, "voices.tsv");
    if (sp_is_file(path)) {
        sp_error err;
        char *text = sp_read_file(path, NULL, &err);
        if (!text)
            sp_diag_add(d, path, 0, "%s", err.msg);
        else if (strncmp(text, "complete\n", 9) != 0)
            sp_diag_add(d, path, 1,
                        "incomplete synthetic corpus: 'sincprobe corpus synth' did not finish (killed, or it failed); "
                        "remove '%s' and make it again with 'sincprobe corpus synth --out %s'",
                        root, root);
        free(text);
    } else if (sp_is_file(voices)) {
        sp_diag_warn(d, voices, 0,
                     "synthetic corpus without %s: made by an older sincprobe, or its synth did not finish; "
                     "if in doubt make it again with 'sincprobe corpus synth'",
                     SP_SYNTH_STATUS);
    }
    free(voices);
    free(path);
}
