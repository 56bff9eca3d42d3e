/* cmd_import.c - `sincprobe import`: a run directory from named arrays
 * (.npz: a `sincprobe export`, or numpy.savez of arrays named as the
 * model's tensors), so that eval, decode, export and train --resume take
 * it as one of sincprobe's own runs (sincprobe-import(1)).
 *
 * The run holds config.conf and checkpoints/last.ckpt and best.ckpt, the
 * same checkpoint twice, at epoch 0 with a fresh optimiser: eval scores
 * it, and train --resume trains it for the config's epochs. */
#include "config.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "nn/modelio.h"
#include "base/diag.h"
#include "base/ini.h"

#include <stdlib.h>

static const char *const usage[] = {
    "sincprobe import FILE.npz --out RUNDIR [--config CONFIG]",
    "",
    "  FILE.npz         one float32 array per tensor of the model, named as",
    "                   sincprobe export names them (sinc.low_hz, conv2.w, ...)",
    "  --out RUNDIR     the run directory to create (config.conf, checkpoints/)",
    "  --config CONFIG  the model's config (default: the archive's 'config' array)",
    "",
    "See sincprobe-import(1).",
    NULL,
};

/* The config: the file's, else the archive's own. */
static int load_config(sp_conf *c, const char *config, const char *npz)
{
    sp_diag d;
    sp_diag_init(&d, 0);
    int rc = 0;
    if (config) {
        rc = sp_conf_load(c, config, &d);
    } else {
        sp_error err;
        char *text = sp_export_config_text(npz, &err);
        if (!text) {
            sp_errorf("%s", err.msg);
            sp_diag_free(&d);
            return -1;
        }
        sp_ini ini;
        char *where = sp_xasprintf("%s (its config)", npz);
        rc = sp_ini_parse(&ini, where, text, &d) == 0 && sp_conf_resolve(c, &ini, &d) == 0 ? 0 : -1;
        sp_ini_free(&ini);
        free(where);
        free(text);
    }
    if (rc != 0)
        for (size_t i = 0; i < d.n; i++) sp_problem_log(SP_LOG_ERROR, &d.v[i]);
    sp_diag_free(&d);
    return rc;
}

/* config.conf and the two checkpoints of a run at epoch 0 in dir. */
static int write_run(const char *dir, sp_model *m, sp_error *err)
{
    char *ckdir = sp_path_join(dir, "checkpoints");
    char *last = sp_path_join(ckdir, "last.ckpt"), *best = sp_path_join(ckdir, "best.ckpt");
    char *conf = sp_path_join(dir, "config.conf");
    sp_optim o;
    sp_train_pos pos;
    sp_train_pos_fresh(&pos, m);
    int rc = -1;
    if (sp_is_file(last)) {
        sp_fail(err, "run directory '%s' already holds a run ('%s')", dir, last);
        goto out;
    }
    if (sp_optim_init(&o, &m->conf, m, err) != 0) goto out;
    sp_atomic_file af;
    if (sp_mkdirs(ckdir, err) == 0 && sp_atomic_open(&af, conf, err) == 0) {
        sp_conf_write(af.f, &m->conf);
        if (sp_atomic_commit(&af, err) == 0 && sp_checkpoint_save(last, m, &o, &pos, err) == 0 &&
            sp_checkpoint_save(best, m, &o, &pos, err) == 0)
            rc = 0;
    }
    sp_optim_free(&o);
out:
    free(ckdir);
    free(last);
    free(best);
    free(conf);
    return rc;
}

int cmd_import(int argc, char **argv)
{
    const char *out = NULL, *config = NULL;
    sp_opt opts[] = {
        SP_OPT_STRING_NONEMPTY("--out", &out),
        SP_OPT_STRING_NONEMPTY("--config", &config),
        SP_OPT_END,
    };
    int status, nargs = sp_opt_parse(usage, opts, 1, argc, argv, &status);
    if (nargs < 0) return status;
    if (nargs < 1) return sp_usage_error(usage, "give the FILE.npz to import");
    if (!out) return sp_usage_error(usage, "give the run directory to create with --out");
    sp_conf c;
    if (load_config(&c, config, argv[1]) != 0) return SP_EXIT_FAIL;
    snprintf(c.dir, sizeof c.dir, "%s", out);
    sp_model m;
    sp_error err;
    if (sp_model_init(&m, &c, 1, &err) != 0) {
        sp_errorf("%s", err.msg);
        return SP_EXIT_FAIL;
    }
    int rc = sp_model_load_npz(&m, argv[1], &err) == 0 && write_run(out, &m, &err) == 0;
    if (!rc) sp_errorf("%s", err.msg);
    sp_model_free(&m);
    return rc ? SP_EXIT_OK : SP_EXIT_FAIL;
}
