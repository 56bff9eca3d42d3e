/* ini.c - see ini.h. */
#include "config.h"
#include "base/ini.h"
#include "base/util.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int valid_name(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (!isalnum((unsigned char)*s) && *s != '_' && *s != '-' && *s != '.') return 0;
    return 1;
}

int sp_ini_parse(sp_ini *ini, const char *path, const char *text, sp_diag *d)
{
    memset(ini, 0, sizeof *ini);
    ini->path = sp_xstrdup(path);
    size_t before = d->n, cap = 0, scap = 0;
    char *copy = sp_xstrdup(text);
    char *cursor = copy;
    long lineno = 0;
    const char *section = NULL;
    while (*cursor && !sp_diag_stop(d)) {
        char *line = cursor;
        char *nl = strchr(cursor, '\n');
        if (nl) {
            *nl = '\0';
            cursor = nl + 1;
        } else {
            cursor += strlen(cursor);
        }
        lineno++;
        sp_strtrim(line);
        if (!*line || *line == '#' || *line == ';') continue;
        if (*line == '[') {
            char *end = strchr(line, ']');
            if (!end || end[1]) {
                sp_diag_add(d, path, lineno, "expected a section header '[name]', got '%s'", line);
                continue;
            }
            *end = '\0';
            /* One or two words: "train", "probe noise1". */
            char *words[3];
            int nw = 0;
            char *save = NULL;
            for (char *w = strtok_r(line + 1, " \t", &save); w; w = strtok_r(NULL, " \t", &save))
                if (nw < 3) words[nw++] = w;
                else nw++;
            if (nw < 1 || nw > 2 || !valid_name(words[0]) || (nw == 2 && !valid_name(words[1]))) {
                sp_diag_add(d, path, lineno, "expected a section header '[name]' or '[name id]' of letters, digits, '_', '-', '.'");
                section = NULL;
                continue;
            }
            char *name = nw == 1 ? sp_xstrdup(words[0]) : sp_xasprintf("%s %s", words[0], words[1]);
            for (size_t i = 0; i < ini->nsections; i++)
                if (strcmp(ini->sections[i].section, name) == 0) {
                    sp_diag_add(d, path, lineno, "section '[%s]' given twice (first on line %ld)", name,
                                ini->sections[i].line);
                    break;
                }
            if (ini->nsections == scap) {
                scap = scap ? 2 * scap : 8;
                ini->sections = sp_xrealloc(ini->sections, scap * sizeof *ini->sections);
            }
            ini->sections[ini->nsections].section = name;
            ini->sections[ini->nsections].line = lineno;
            ini->nsections++;
            section = name;
            continue;
        }
        char *eq = strchr(line, '=');
        if (!eq) {
            sp_diag_add(d, path, lineno, "expected 'key = value', a '[section]' or a comment, got '%s'", line);
            continue;
        }
        *eq = '\0';
        char *key = sp_strtrim(line);
        char *value = sp_strtrim(eq + 1);
        /* A trailing comment after white space: "epochs = 10   # short". */
        for (char *h = value; *h; h++)
            if ((*h == '#' || *h == ';') && h > value && isspace((unsigned char)h[-1])) {
                *h = '\0';
                sp_strtrim(value);
                break;
            }
        if (!valid_name(key)) {
            sp_diag_add(d, path, lineno, "expected a key of letters, digits, '_', '-', '.', got '%s'", key);
            continue;
        }
        if (!section) {
            sp_diag_add(d, path, lineno, "key '%s' comes before any [section]", key);
            continue;
        }
        const sp_ini_entry *dup = sp_ini_get(ini, section, key);
        if (dup) {
            sp_diag_add(d, path, lineno, "key '%s' given twice in [%s] (first on line %ld)", key, section, dup->line);
            continue;
        }
        if (ini->n == cap) {
            cap = cap ? 2 * cap : 32;
            ini->v = sp_xrealloc(ini->v, cap * sizeof *ini->v);
        }
        sp_ini_entry *e = &ini->v[ini->n++];
        e->section = sp_xstrdup(section);
        e->key = sp_xstrdup(key);
        e->value = sp_xstrdup(value);
        e->line = lineno;
    }
    free(copy);
    return d->n > before ? -1 : 0;
}

int sp_ini_load(sp_ini *ini, const char *path, sp_diag *d)
{
    sp_error err;
    char *text = sp_read_file(path, NULL, &err);
    if (!text) {
        memset(ini, 0, sizeof *ini);
        sp_diag_add(d, path, 0, "%s", err.msg);
        return -1;
    }
    int rc = sp_ini_parse(ini, path, text, d);
    free(text);
    return rc;
}

void sp_ini_free(sp_ini *ini)
{
    for (size_t i = 0; i < ini->n; i++) {
        free(ini->v[i].section);
        free(ini->v[i].key);
        free(ini->v[i].value);
    }
    for (size_t i = 0; i < ini->nsections; i++) free(ini->sections[i].section);
    free(ini->v);
    free(ini->sections);
    free(ini->path);
    memset(ini, 0, sizeof *ini);
}

const sp_ini_entry *sp_ini_get(const sp_ini *ini, const char *section, const char *key)
{
    for (size_t i = 0; i < ini->n; i++)
        if (strcmp(ini->v[i].section, section) == 0 && strcmp(ini->v[i].key, key) == 0) return &ini->v[i];
    return NULL;
}
