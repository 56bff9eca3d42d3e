/* phoneset.c - see phoneset.h. */
#include "config.h"
#include "corpus/phoneset.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static int find(const char names[][SP_PHONE_NAMELEN], int n, const char *sym)
{
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], sym) == 0) return i;
    return -1;
}

/* Index of sym in the set, appending it when new; -1 when full. */
static int intern(char names[][SP_PHONE_NAMELEN], int *n, const char *sym)
{
    int i = find((const char (*)[SP_PHONE_NAMELEN])names, *n, sym);
    if (i >= 0) return i;
    if (*n >= SP_MAX_PHONES) return -1;
    snprintf(names[*n], SP_PHONE_NAMELEN, "%s", sym);
    return (*n)++;
}

int sp_phoneset_load(sp_phoneset *ps, const char *path, sp_diag *d)
{
    sp_error err;
    size_t len;
    char *text = sp_read_file(path, &len, &err);
    if (!text) {
        sp_diag_add(d, path, 0, "%s", err.msg);
        return -1;
    }
    memset(ps, 0, sizeof *ps);
    for (int i = 0; i < SP_MAX_PHONES; i++) ps->fold48[i] = -1;
    size_t before = d->n;
    long lineno = 0;
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        char *tok[4];
        int nt = 0;
        char *s2 = NULL;
        for (char *t = strtok_r(line, " \t\r", &s2); t; t = strtok_r(NULL, " \t\r", &s2)) {
            if (nt < 4) tok[nt] = t;
            nt++;
        }
        if (nt == 0) continue;
        if (nt != 1 && nt != 3) {
            sp_diag_add(d, path, lineno, "expected '61-symbol 48-symbol 39-symbol' or a lone deleted symbol, got %d columns", nt);
            continue;
        }
        for (int k = 0; k < nt; k++)
            if (strlen(tok[k]) >= SP_PHONE_NAMELEN) {
                sp_diag_add(d, path, lineno, "phone symbol '%s' is longer than %d characters", tok[k], SP_PHONE_NAMELEN - 1);
                goto next;
            }
        if (find((const char (*)[SP_PHONE_NAMELEN])ps->name61, ps->n61, tok[0]) >= 0) {
            sp_diag_add(d, path, lineno, "phone '%s' listed twice", tok[0]);
            continue;
        }
        if (ps->n61 >= SP_MAX_PHONES) {
            sp_diag_add(d, path, lineno, "more than %d phones", SP_MAX_PHONES);
            break;
        }
        int i = ps->n61++;
        snprintf(ps->name61[i], SP_PHONE_NAMELEN, "%s", tok[0]);
        if (nt == 1) {
            ps->to48[i] = ps->to39[i] = -1;
        } else {
            int a = intern(ps->name48, &ps->n48, tok[1]);
            int b = intern(ps->name39, &ps->n39, tok[2]);
            ps->to48[i] = a;
            ps->to39[i] = b;
            if (ps->fold48[a] >= 0 && ps->fold48[a] != b)
                sp_diag_add(d, path, lineno, "48-set phone '%s' folds to both '%s' and '%s'",
                            tok[1], ps->name39[ps->fold48[a]], tok[2]);
            ps->fold48[a] = b;
        }
    next:;
    }
    free(text);
    if (ps->n61 == 0) sp_diag_add(d, path, 0, "no phones in the map");
    return d->n > before ? -1 : 0;
}

int sp_phoneset_load_default(sp_phoneset *ps, sp_error *err)
{
    char *path = sp_data_file("phones.60-48-39.map", err);
    if (!path) return -1;
    sp_diag d;
    sp_diag_init(&d, 0);
    int rc = sp_phoneset_load(ps, path, &d);
    if (rc != 0) sp_problem_fail(&d.v[0], err);
    sp_diag_free(&d);
    free(path);
    return rc;
}

int sp_phone61(const sp_phoneset *ps, const char *sym)
{
    return find(ps->name61, ps->n61, sym);
}

int sp_phone48(const sp_phoneset *ps, const char *sym)
{
    return find(ps->name48, ps->n48, sym);
}

int sp_phone39(const sp_phoneset *ps, const char *sym)
{
    return find(ps->name39, ps->n39, sym);
}
