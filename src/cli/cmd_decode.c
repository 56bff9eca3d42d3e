/* cmd_decode.c - `sincprobe decode`: phone segments of any audio file, in
 * .PHN form (begin and end in 16 kHz samples, a 48-set phone). */
#include "config.h"
#include "corpus/audio.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "corpus/dataset.h"
#include "run/evaluate.h"
#include "decode/phonedecoder.h"
#include "base/util.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const usage[] = {
    "sincprobe decode MODEL FILE ... [--corpus DIR] [--no-lm] [--min-duration N] [--insertion-penalty X]",
    "",
    "  MODEL                  a checkpoint, or a run directory (its best checkpoint)",
    "  FILE                   any audio libsndfile reads; resampled to 16 kHz, channels averaged",
    "  --corpus DIR           training corpus for the priors and the phone LM (default: the model's)",
    "  --no-lm                decode without priors and phone LM (no corpus needed)",
    "  --min-duration N       minimum phone duration in 10 ms frames",
    "  --insertion-penalty X  log-domain penalty per decoded phone",
    NULL,
};

typedef struct {
    sp_viterbi *vit;
    const sp_phoneset *ps;
    const char *file;
    int multi, failed;
    sp_error err;
} decode_ctx;

static void on_utterance(void *vctx, const sp_utterance *u, const float *logp)
{
    decode_ctx *x = vctx;
    size_t T = (size_t)u->nframes, nseg = 0;
    sp_phone_seg *seg = sp_xmalloc((T ? T : 1) * sizeof *seg);
    if (sp_viterbi_decode(x->vit, logp, T, seg, &nseg, NULL, &x->err) != 0) {
        x->failed = 1;
        free(seg);
        return;
    }
    if (x->multi) printf("# %s\n", x->file);
    for (size_t i = 0; i < nseg; i++) {
        long b = seg[i].first * SP_FRAME_SHIFT, e = (seg[i].last + 1) * SP_FRAME_SHIFT;
        if (i + 1 == nseg && e < u->n) e = u->n; /* the tail shorter than a frame */
        printf("%ld %ld %s\n", b, e, x->ps->name48[seg[i].phone]);
    }
    free(seg);
}

int cmd_decode(int argc, char **argv)
{
    const char *corpus = NULL;
    int no_lm = 0, min_dur = 0;
    double ins = NAN;
    sp_opt opts[] = {
        SP_OPT_STRING("--corpus", &corpus),
        SP_OPT_FLAG("--no-lm", &no_lm),
        SP_OPT_INT("--min-duration", &min_dur, 1, 100),
        SP_OPT_NUMBER("--insertion-penalty", &ins),
        SP_OPT_END,
    };
    int status, nargs = sp_opt_parse(usage, opts, -1, argc, argv, &status);
    if (nargs < 0) return status;
    if (nargs < 2) return sp_usage_error(usage, "a MODEL and at least one FILE are required");
    const char *model = argv[1];
    char **files = argv + 2;
    int nfiles = nargs - 1;
    sp_error err;
    char *rundir, *ckpt;
    sp_model m;
    if (sp_cli_load_model(model, 256, &m, &ckpt, &rundir) != 0) {
        free(ckpt);
        free(rundir);
        return SP_EXIT_FAIL;
    }
    int rc = SP_EXIT_FAIL;
    sp_conf c = m.conf;
    sp_set_threads(c.threads);
    if (corpus) snprintf(c.corpus, sizeof c.corpus, "%s", corpus);
    sp_viterbi_opts vo;
    sp_viterbi_opts_default(&vo);
    vo.min_dur = min_dur > 0 ? min_dur : c.min_duration;
    vo.insertion_penalty = isnan(ins) ? c.insertion_penalty : ins;
    vo.lm_weight = c.lm_weight;
    vo.prior_scale = c.prior_scale;
    sp_phone_decoder pd;
    memset(&pd, 0, sizeof pd);
    sp_viterbi plain;
    int have_plain = 0;
    sp_viterbi *vit;
    if (no_lm) {
        if (sp_phoneset_load_default(&pd.ps, &err) != 0 ||
            sp_viterbi_init(&plain, pd.ps.n48, &vo, NULL, NULL, 1000, &err) != 0) {
            sp_errorf("%s", err.msg);
            goto out;
        }
        have_plain = 1;
        vit = &plain;
    } else {
        if (sp_phone_decoder_init(&pd, &c, &vo, &err) != 0) {
            sp_errorf("%s (decode needs the training corpus for its priors and phone LM; use --corpus DIR, or --no-lm)",
                      err.msg);
            goto out;
        }
        vit = &pd.vit;
    }
    rc = SP_EXIT_OK;
    for (int f = 0; f < nfiles; f++) {
        sp_utterance u;
        memset(&u, 0, sizeof u);
        if (sp_audio_load_16k(files[f], &u.audio, &u.n, &err) != 0) {
            sp_errorf("%s", err.msg);
            rc = SP_EXIT_FAIL;
            continue;
        }
        u.id = (char *)files[f];
        u.nframes = u.n / SP_FRAME_SHIFT;
        u.label = sp_xmalloc((size_t)(u.nframes ? u.nframes : 1));
        memset(u.label, -1, (size_t)(u.nframes ? u.nframes : 1));
        sp_dataset one = { &u, 1, u.n, u.nframes };
        decode_ctx x = { vit, &pd.ps, files[f], nfiles > 1, 0, { "" } };
        sp_eval_result ev;
        if (u.nframes == 0) {
            sp_errorf("'%s' is shorter than one 10 ms frame", files[f]);
            rc = SP_EXIT_FAIL;
        } else {
            sp_evaluate(&m, &one, on_utterance, &x, NULL, &ev);
            if (x.failed) {
                sp_errorf("'%s': %s", files[f], x.err.msg);
                rc = SP_EXIT_FAIL;
            }
        }
        free(u.audio);
        free(u.label);
    }
out:
    if (have_plain) sp_viterbi_free(&plain);
    sp_phone_decoder_free(&pd);
    sp_model_free(&m);
    free(ckpt);
    free(rundir);
    return rc;
}
