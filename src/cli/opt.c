/* opt.c - see opt.h. */
#include "config.h"
#include "cli/opt.h"
#include "cli/cli.h"
#include "base/util.h"

#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

void sp_opt_pairs_free(sp_opt_pairs *p)
{
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

void sp_opt_list_free(sp_opt_list *l)
{
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* The entry naming argument a: its exact name, or "NAME=..." for a name
 * starting with "--" (then *eq points to the '='). NULL when none does. */
static const sp_opt *find(const sp_opt *opts, const char *a, const char **eq)
{
    *eq = NULL;
    for (const sp_opt *o = opts; o->type != SP_OPTION_END; o++) {
        if (!o->name) continue;
        size_t len = strlen(o->name);
        if (strncmp(a, o->name, len) != 0) continue;
        if (a[len] == '\0') return o;
        if (a[len] == '=' && o->name[0] == '-' && o->name[1] == '-') {
            *eq = a + len;
            return o;
        }
    }
    return NULL;
}

/* "unknown option 'ARG'", with the table's option nearest ARG (before
 * any '='), else the table's hint. */
static int unknown_option(const char *const *usage, const sp_opt *opts, const char *a)
{
    char name[256], hint[512] = "";
    snprintf(name, sizeof name, "%.*s", (int)strcspn(a, "="), a);
    sp_suggest s;
    sp_suggest_init(&s, name);
    const sp_opt *h = NULL;
    for (const sp_opt *o = opts; o->type != SP_OPTION_END; o++) {
        if (o->type == SP_OPTION_HINT) h = o;
        else sp_suggest_add(&s, o->name);
    }
    if (sp_suggest_best(&s)) snprintf(hint, sizeof hint, "; did you mean '%s'?", sp_suggest_best(&s));
    else if (h) h->hint(name, hint, sizeof hint);
    return sp_usage_error(usage, "unknown option '%s'%s", a, hint);
}

static const sp_opt *find_other(const sp_opt *opts)
{
    for (const sp_opt *o = opts; o->type != SP_OPTION_END; o++)
        if (o->type == SP_OPTION_OTHER) return o;
    return NULL;
}

/* "tsv, npy or png" */
static void choice_list(char *buf, size_t size, const char *const *choices)
{
    size_t n = 0, len = 0;
    while (choices[n]) n++;
    buf[0] = '\0';
    for (size_t i = 0; i < n && len < size; i++) {
        const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
        int w = snprintf(buf + len, size - len, "%s%s", sep, choices[i]);
        if (w < 0) break;
        len += (size_t)w;
    }
}

/* Store value v (from option o, typed as name, namelen characters) in
 * o's variable; 0, or a usage error's status. */
static int store(const char *const *usage, const sp_opt *o, const char *name, int namelen, const char *v)
{
    switch (o->type) {
    case SP_OPTION_INT:
    case SP_OPTION_LONG: {
        long x;
        if (sp_parse_long(v, o->lo, o->hi, &x) != 0) {
            if (o->hi == LONG_MAX)
                return sp_usage_error(usage, "invalid value '%s' for '%.*s': expected an integer >= %ld", v, namelen,
                                      name, o->lo);
            return sp_usage_error(usage, "invalid value '%s' for '%.*s': expected an integer from %ld to %ld", v,
                                  namelen, name, o->lo, o->hi);
        }
        if (o->type == SP_OPTION_INT) *(int *)o->value = (int)x;
        else *(long *)o->value = x;
        return 0;
    }
    case SP_OPTION_NUMBER: {
        char *end;
        double x = strtod(v, &end);
        if (end == v || *end || !isfinite(x))
            return sp_usage_error(usage, "invalid value '%s' for '%.*s': expected a number", v, namelen, name);
        *(double *)o->value = x;
        return 0;
    }
    case SP_OPTION_STRING:
        if ((o->flags & SP_OPT_NONEMPTY) && !*v)
            return sp_usage_error(usage, "'%.*s' needs a non-empty value", namelen, name);
        *(const char **)o->value = v;
        return 0;
    case SP_OPTION_LIST: {
        sp_opt_list *l = o->value;
        l->v = sp_xrealloc(l->v, (l->n + 1) * sizeof *l->v);
        l->v[l->n++] = v;
        return 0;
    }
    case SP_OPTION_CHOICE:
        for (int i = 0; o->choices[i]; i++)
            if (!strcmp(v, o->choices[i])) {
                *(int *)o->value = i;
                return 0;
            }
        char list[256];
        choice_list(list, sizeof list, o->choices);
        return sp_usage_error(usage, "invalid value '%s' for '%.*s': expected %s", v, namelen, name, list);
    default:
        return 0;
    }
}

static void free_others(const sp_opt *opts)
{
    for (const sp_opt *o = opts; o->type != SP_OPTION_END; o++)
        if (o->type == SP_OPTION_OTHER) sp_opt_pairs_free(o->value);
        else if (o->type == SP_OPTION_LIST) sp_opt_list_free(o->value);
}

/* Handle the option at argv[*i] (not -h or --help); 0, or the status of
 * a usage error. */
static int option(const char *const *usage, const sp_opt *opts, int argc, char **argv, int *i)
{
    const char *a = argv[*i], *eq;
    const sp_opt *o = find(opts, a, &eq);
    if (!o && a[1] == '-' && (o = find_other(opts)) != NULL) eq = strchr(a, '=');
    if (!o) return unknown_option(usage, opts, a);
    int namelen = eq ? (int)(eq - a) : (int)strlen(a);
    if (o->type == SP_OPTION_FLAG) {
        if (eq) return sp_usage_error(usage, "'%.*s' takes no value", namelen, a);
        *(int *)o->value = 1;
        return 0;
    }
    const char *v;
    if (eq) v = eq + 1;
    else if (*i + 1 < argc) v = argv[++*i];
    else return sp_usage_error(usage, "'%s' needs a value", a);
    if (o->type == SP_OPTION_OTHER) {
        sp_opt_pairs *p = o->value;
        p->v = sp_xrealloc(p->v, (p->n + 1) * sizeof *p->v);
        p->v[p->n++] = (sp_opt_pair){ .arg = a, .name = a + 2, .namelen = (size_t)namelen - 2, .value = v };
        return 0;
    }
    return store(usage, o, a, namelen, v);
}

int sp_opt_parse(const char *const *usage, const sp_opt *opts, int max_args, int argc, char **argv, int *status)
{
    int n = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        int st;
        if (a[0] != '-') {
            if (max_args < 0 || n < max_args) {
                argv[1 + n++] = a; /* 1 + n <= i: nothing unread is overwritten */
                continue;
            }
            st = sp_usage_error(usage, "unexpected argument '%s'", a);
        } else if (sp_is_help(a)) {
            sp_usage_print(stdout, usage);
            st = SP_EXIT_OK;
        } else if ((st = option(usage, opts, argc, argv, &i)) == 0) {
            continue;
        }
        free_others(opts);
        *status = st;
        return -1;
    }
    return n;
}
