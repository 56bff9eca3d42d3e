/* phonedecoder.c - see phonedecoder.h. */
#include "config.h"
#include "decode/phonedecoder.h"
#include "corpus/dataset.h"
#include "corpus/timit.h"
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

char *sp_resolve_model(const char *model, char **rundir, sp_error *err)
{
    *rundir = NULL;
    if (sp_is_dir(model)) {
        char *ck = sp_path_join(model, "checkpoints");
        char *best = sp_path_join(ck, "best.ckpt"), *last = sp_path_join(ck, "last.ckpt");
        free(ck);
        char *path = NULL;
        if (sp_is_file(best)) {
            path = best;
            free(last);
        } else if (sp_is_file(last)) {
            path = last;
            free(best);
        } else {
            free(best);
            free(last);
            sp_fail(err, "run directory '%s' has no checkpoints/best.ckpt or checkpoints/last.ckpt", model);
            return NULL;
        }
        *rundir = sp_xstrdup(model);
        return path;
    }
    if (!sp_is_file(model)) {
        sp_fail(err, "cannot open model '%s': no such checkpoint file or run directory", model);
        return NULL;
    }
    /* RUNDIR/checkpoints/X.ckpt belongs to RUNDIR; otherwise the file's folder. */
    char *dir = sp_xstrdup(model);
    char *slash = strrchr(dir, '/');
    if (!slash) {
        free(dir);
        dir = sp_xstrdup(".");
    } else {
        *slash = '\0';
        const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
        if (!strcmp(base, "checkpoints")) {
            char *up = strrchr(dir, '/');
            if (up) *up = '\0';
            else strcpy(dir, ".");
        }
    }
    *rundir = dir;
    return sp_xstrdup(model);
}

int sp_phone_decoder_init(sp_phone_decoder *pd, const sp_conf *c, const sp_viterbi_opts *opts, sp_error *err)
{
    memset(pd, 0, sizeof *pd);
    if (sp_phoneset_load_default(&pd->ps, err) != 0) return -1;
    sp_dataset tr;
    sp_diag d;
    sp_diag_init(&d, 0);
    d.echo = 1;
    int rc = sp_dataset_load_labels(&tr, c->corpus, sp_split_parse(c->train_split), c->include_sa, &pd->ps, &d, err);
    sp_diag_free(&d);
    if (rc != 0) return -1;
    if (sp_bigram_init(&pd->lm, pd->ps.n48, SP_BIGRAM_WITTEN_BELL, 0, err) != 0 ||
        sp_priors_init(&pd->priors, pd->ps.n48, err) != 0) {
        sp_dataset_free(&tr);
        return -1;
    }
    size_t maxf = 1;
    int *lab = NULL;
    for (size_t i = 0; i < tr.n && rc == 0; i++) {
        const sp_utterance *u = &tr.utt[i];
        lab = sp_xrealloc(lab, (size_t)(u->nframes ? u->nframes : 1) * sizeof *lab);
        for (long f = 0; f < u->nframes; f++) lab[f] = u->label[f];
        if (sp_bigram_add(&pd->lm, u->phones48, u->nphones, err) != 0 ||
            sp_priors_add(&pd->priors, lab, (size_t)u->nframes, err) != 0)
            rc = -1;
        if ((size_t)u->nframes > maxf) maxf = (size_t)u->nframes;
    }
    free(lab);
    sp_dataset_free(&tr);
    if (rc == 0 && (sp_bigram_finalise(&pd->lm, err) != 0 || sp_priors_finalise(&pd->priors, err) != 0)) rc = -1;
    if (rc == 0 && sp_viterbi_init(&pd->vit, pd->ps.n48, opts, &pd->lm, pd->priors.logprior, maxf * 2, err) != 0)
        rc = -1;
    if (rc != 0) {
        sp_bigram_free(&pd->lm);
        sp_priors_free(&pd->priors);
        return -1;
    }
    pd->ready = 1;
    return 0;
}

void sp_phone_decoder_free(sp_phone_decoder *pd)
{
    if (!pd->ready) return;
    sp_viterbi_free(&pd->vit);
    sp_bigram_free(&pd->lm);
    sp_priors_free(&pd->priors);
    pd->ready = 0;
}
