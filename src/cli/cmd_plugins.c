/* cmd_plugins.c - `sincprobe plugins`: the probes found in
 * $SINCPROBE_PLUGIN_PATH and the installed probe directory, or one probe's
 * options with their types, defaults and help. */
#include "config.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "probe/probe_host.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
    "sincprobe plugins [NAME]",
    "",
    "  NAME   a probe's identifier (as in 'use = NAME': NAME.so on the search path),",
    "         FILE:ID (probe ID of FILE.so), or a file path with a '/' (PATH or PATH:ID):",
    "         show its options with their types, defaults and help",
    "",
    "Without NAME: one line per probe (identifier, version, summary, file), tab separated.",
    NULL,
};

static void list(const sp_probe_catalog *cat)
{
    printf("identifier\tversion\tsummary\tfile\n");
    for (size_t i = 0; i < cat->n; i++) {
        const sp_probe_found *f = &cat->v[i];
        if (!f->desc) {
            sp_errorf("warning: %s (skipped)", f->problem);
            continue;
        }
        if (f->shadowed) {
            sp_errorf("warning: '%s' (probe '%s') is hidden by an earlier file with the same identifier", f->file,
                      f->desc->identifier);
            continue;
        }
        printf("%s\t%s\t%s\t%s\n", f->desc->identifier, f->desc->version, f->desc->summary, f->file);
    }
}

static void show(const sp_probe_descriptor *d, const char *file)
{
    printf("%s %s: %s\n", d->identifier, d->version, d->name);
    printf("  %s\n", d->summary);
    printf("file     %s\n", file);
    printf("abi      %u\n", d->abi_version);
    printf("hooks   ");
    const struct {
        const char *name;
        int present;
    } hooks[] = {
        { "create", d->create != NULL }, { "on_start", d->on_start != NULL },
        { "on_batch", d->on_batch != NULL }, { "on_gradients", d->on_gradients != NULL },
        { "on_epoch_end", d->on_epoch_end != NULL }, { "on_finish", d->on_finish != NULL },
        { "destroy", d->destroy != NULL },
    };
    int any = 0;
    for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++)
        if (hooks[i].present) {
            printf(" %s", hooks[i].name);
            any = 1;
        }
    printf("%s\n\n", any ? "" : " none");

    /* Options, the host's first, aligned in columns. */
    size_t n = d->noptions + 3;
    char (*type)[160] = sp_xcalloc(n, sizeof *type);
    const char **name = sp_xcalloc(n, sizeof *name), **def = sp_xcalloc(n, sizeof *def),
               **help = sp_xcalloc(n, sizeof *help);
    size_t k = 0;
    name[k] = "use";
    snprintf(type[k], sizeof type[k], "string");
    def[k] = "(required)";
    help[k++] = "the probe to run: NAME (NAME.so), FILE:ID, or a file path with a '/'";
    if (d->on_epoch_end) {
        name[k] = "probe_frames";
        snprintf(type[k], sizeof type[k], "int [0, 100000000]");
        def[k] = "4096";
        help[k++] = "frames of the dev split given to on_epoch_end (the probe set)";
    }
    name[k] = "probe_timeout";
    snprintf(type[k], sizeof type[k], "float [0, 604800]");
    def[k] = "0";
    help[k++] = "seconds a hook may run before the host stops the run (0: no limit)";
    for (unsigned long i = 0; i < d->noptions; i++, k++) {
        const sp_probe_option *o = &d->options[i];
        name[k] = o->name;
        sp_probe_option_type(o, type[k], sizeof type[k]);
        def[k] = !o->default_value ? "(required)" : *o->default_value ? o->default_value : "\"\"";
        help[k] = o->help;
    }
    int wn = (int)strlen("option"), wt = (int)strlen("type"), wd = (int)strlen("default");
    for (size_t i = 0; i < k; i++) {
        if ((int)strlen(name[i]) > wn) wn = (int)strlen(name[i]);
        if ((int)strlen(type[i]) > wt) wt = (int)strlen(type[i]);
        if ((int)strlen(def[i]) > wd) wd = (int)strlen(def[i]);
    }
    printf("%-*s  %-*s  %-*s  %s\n", wn, "option", wt, "type", wd, "default", "help");
    for (size_t i = 0; i < k; i++) printf("%-*s  %-*s  %-*s  %s\n", wn, name[i], wt, type[i], wd, def[i], help[i]);
    free(type);
    free(name);
    free(def);
    free(help);
}

int cmd_plugins(int argc, char **argv)
{
    sp_opt opts[] = { SP_OPT_END };
    int status, nargs = sp_opt_parse(usage, opts, 1, argc, argv, &status);
    if (nargs < 0) return status;
    const char *want = nargs ? argv[1] : NULL;
    int rc = SP_EXIT_OK;
    if (!want) {
        sp_probe_catalog cat;
        sp_probe_scan(&cat);
        list(&cat);
        if (cat.n == 0) {
            char *path = sp_probe_path_string();
            sp_errorf("no probes in %s", path);
            free(path);
        }
        sp_probe_catalog_free(&cat);
        return rc;
    }
    sp_probe_catalog cat;
    memset(&cat, 0, sizeof cat);
    const char *file = NULL;
    sp_error err;
    const sp_probe_descriptor *d = sp_probe_find(&cat, want, &file, &err);
    if (d) {
        show(d, file);
    } else {
        sp_errorf("%s", err.msg);
        rc = SP_EXIT_FAIL;
    }
    sp_probe_catalog_free(&cat);
    return rc;
}
