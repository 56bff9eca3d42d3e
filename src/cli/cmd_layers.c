/* cmd_layers.c - `sincprobe layers MODEL|CONFIG`: the model's layers as
 * probes and `sincprobe activations` name them (the `layer = ` options),
 * each with its kind, its per-example output shape and its parameter
 * tensors. A config's model is built (initialised, not trained) to list
 * them, so a config can be checked before a training. */
#include "config.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "base/conf.h"
#include "base/diag.h"
#include "base/json.h"
#include "nn/model.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
    "sincprobe layers MODEL|CONFIG [--json]",
    "",
    "  MODEL   a checkpoint, or a run directory (its best checkpoint)",
    "  CONFIG  a training config (sincprobe.conf(5)): its model, built untrained",
    "  --json  print the layers as one JSON object",
    NULL,
};

/* A checkpoint begins with "SPCKPT" (nn/checkpoint.h); a run directory
 * holds them. Anything else is read as a config. */
static int is_model(const char *path)
{
    if (sp_is_dir(path)) return 1;
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    char magic[6];
    int yes = fread(magic, 1, sizeof magic, f) == sizeof magic && !memcmp(magic, "SPCKPT", sizeof magic);
    fclose(f);
    return yes;
}

static int load_config_model(const char *path, sp_model *m)
{
    sp_conf c;
    sp_diag d;
    sp_diag_init(&d, 0);
    int rc = sp_conf_load(&c, path, &d);
    if (rc != 0)
        for (size_t i = 0; i < d.n; i++) sp_problem_log(SP_LOG_ERROR, &d.v[i]);
    sp_diag_free(&d);
    if (rc != 0) return -1;
    sp_error err;
    if (sp_model_init(m, &c, 1, &err) != 0) {
        sp_errorf("'%s': %s", path, err.msg);
        return -1;
    }
    return 0;
}

/* "C x T" for a conv map, "D" for a vector (dense layers: C = 1). */
static void shape_text(const sp_layer *l, char *buf, size_t n)
{
    if (l->out_c == 1 && l->kind != SP_LAYER_SINC && l->kind != SP_LAYER_CONV && l->kind != SP_LAYER_LAYERNORM)
        snprintf(buf, n, "%d", l->out_t);
    else snprintf(buf, n, "%dx%d", l->out_c, l->out_t);
}

/* "w [8][1][65], b [8]", or "-". */
static void params_text(const sp_layer *l, char *buf, size_t n)
{
    size_t k = 0;
    buf[0] = '\0';
    for (int j = 0; j < l->np && k < n; j++) {
        k += (size_t)snprintf(buf + k, n - k, "%s%s ", j ? ", " : "", l->p_name[j]);
        for (int r = 0; r < l->p_rank[j] && k < n; r++) k += (size_t)snprintf(buf + k, n - k, "[%ld]", l->p_shape[j][r]);
    }
    if (!l->np) snprintf(buf, n, "-");
}

static void print_text(const sp_model *m)
{
    int wn = 5, wk = 4, ws = 5;
    char s[64], p[256];
    for (int i = 0; i < m->nlayers; i++) {
        const sp_layer *l = &m->layer[i];
        shape_text(l, s, sizeof s);
        int a = (int)strlen(l->name), b = (int)strlen(sp_layer_kind_name(l->kind)), c = (int)strlen(s);
        wn = a > wn ? a : wn;
        wk = b > wk ? b : wk;
        ws = c > ws ? c : ws;
    }
    printf("%-*s  %-*s  %-*s  %9s  %s\n", wn, "layer", wk, "kind", ws, "shape", "values", "parameters");
    for (int i = 0; i < m->nlayers; i++) {
        const sp_layer *l = &m->layer[i];
        shape_text(l, s, sizeof s);
        params_text(l, p, sizeof p);
        printf("%-*s  %-*s  %-*s  %9zu  %s\n", wn, l->name, wk, sp_layer_kind_name(l->kind), ws, s, l->out_n, p);
    }
}

static void print_json(const sp_model *m, const char *source)
{
    sp_json j;
    sp_json_init(&j, stdout, 1);
    sp_json_begin_object(&j, NULL);
    sp_json_string(&j, "source", source);
    sp_json_long(&j, "input_samples", m->T);
    sp_json_long(&j, "parameters", (long)m->nparams);
    sp_json_begin_array(&j, "layers");
    for (int i = 0; i < m->nlayers; i++) {
        const sp_layer *l = &m->layer[i];
        sp_json_begin_object(&j, NULL);
        sp_json_string(&j, "name", l->name);
        sp_json_string(&j, "kind", sp_layer_kind_name(l->kind));
        sp_json_long(&j, "channels", l->out_c);
        sp_json_long(&j, "length", l->out_t);
        sp_json_long(&j, "values", (long)l->out_n);
        sp_json_begin_array(&j, "params");
        for (int k = 0; k < l->np; k++) {
            sp_json_begin_object(&j, NULL);
            sp_json_string(&j, "name", l->p_name[k]);
            sp_json_begin_array(&j, "shape");
            for (int r = 0; r < l->p_rank[k]; r++) sp_json_long(&j, NULL, l->p_shape[k][r]);
            sp_json_end_array(&j);
            sp_json_end_object(&j);
        }
        sp_json_end_array(&j);
        sp_json_end_object(&j);
    }
    sp_json_end_array(&j);
    sp_json_end_object(&j);
    sp_json_finish(&j);
}

int cmd_layers(int argc, char **argv)
{
    int json = 0;
    sp_opt opts[] = {
        SP_OPT_FLAG("--json", &json),
        SP_OPT_END,
    };
    int status, nargs = sp_opt_parse(usage, opts, 1, argc, argv, &status);
    if (nargs < 0) return status;
    if (nargs != 1) return sp_usage_error(usage, "give one MODEL or CONFIG");
    const char *src = argv[1];
    sp_model m;
    if (is_model(src)) {
        char *ckpt = NULL, *rundir = NULL;
        int rc = sp_cli_load_model(src, 1, &m, &ckpt, &rundir);
        free(ckpt);
        free(rundir);
        if (rc != 0) return SP_EXIT_FAIL;
    } else if (load_config_model(src, &m) != 0) {
        return SP_EXIT_FAIL;
    }
    if (json) print_json(&m, src);
    else print_text(&m);
    sp_model_free(&m);
    return SP_EXIT_OK;
}
