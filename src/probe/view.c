/* view.c - the model as probes see it (sp_probe_layer, sp_probe_param,
 * sp_probe_filters): the chain's layer list, built once at on_start with
 * pointers into the model's parameters and gradients, and the first
 * layer's filters, refreshed before each hook that shows them. The sinc
 * layer's "low_hz" and "band_hz" are in Hz whatever [model] sinc_param:
 * normalised parameters are shown through Hz-valued copies, refreshed
 * with the filters. */
#include "config.h"
#include "probe/host_private.h"
#include <sincprobe/layers.h>
#include "base/util.h"

#include <stdlib.h>
#include <string.h>

/* ------------------------------------------------------------------------
 * The model as probes see it
 * ---------------------------------------------------------------------- */

static void set_param(sp_probe_param *p, const char *name, const float *value, size_t n, int rank, long a, long b,
                      long c)
{
    p->name = name;
    p->value = value;
    p->n = n;
    p->rank = rank;
    p->shape[0] = a;
    p->shape[1] = b;
    p->shape[2] = c;
    if ((size_t)a * (size_t)(rank > 1 ? b : 1) * (size_t)(rank > 2 ? c : 1) != n) { /* never: a safe fallback */
        p->rank = 1;
        p->shape[0] = (long)n;
        p->shape[1] = p->shape[2] = 0;
    }
}

static void build_layers(sp_probe_chain *ch)
{
    sp_model *m = ch->m;
    ch->nlayers = m->nlayers;
    ch->layers = sp_xcalloc((size_t)m->nlayers, sizeof *ch->layers);
    ch->first = -1;
    for (int i = 0; i < m->nlayers; i++) {
        const sp_layer *l = &m->layer[i];
        sp_probe_layer *p = &ch->layers[i];
        p->name = l->name;
        p->kind = sp_layer_kind_name(l->kind);
        p->in_c = l->in_c;
        p->in_t = l->in_t;
        p->out_c = l->out_c;
        p->out_t = l->out_t;
        p->out_n = l->out_n;
        p->nparams = l->np;
        for (int j = 0; j < l->np; j++) /* names and shapes as the model gives them */
            set_param(&p->param[j], l->p_name[j], m->params + l->p_off[j], l->p_len[j], l->p_rank[j],
                      l->p_shape[j][0], l->p_shape[j][1], l->p_shape[j][2]);
        if (ch->first < 0 && (l->kind == SP_LAYER_SINC || l->kind == SP_LAYER_CONV)) ch->first = i;
    }
    ch->glayers = sp_xmalloc((size_t)m->nlayers * sizeof *ch->glayers);
    memcpy(ch->glayers, ch->layers, (size_t)m->nlayers * sizeof *ch->glayers);
    for (int i = 0; i < m->nlayers; i++)
        for (int j = 0; j < ch->glayers[i].nparams; j++) ch->glayers[i].param[j].grad = m->grads + m->layer[i].p_off[j];
    const sp_layer *f = &m->layer[ch->first];
    int F = f->out_c, K = f->K;
    if (f->kind == SP_LAYER_SINC && m->sinc.param_scale != 1.0f) {
        /* normalised parameters: probes see Hz-valued copies (update_filters) */
        ch->sinc_hz = sp_xcalloc((size_t)4 * (size_t)F, sizeof *ch->sinc_hz);
        for (int j = 0; j < 2; j++) {
            ch->layers[ch->first].param[j].value = ch->sinc_hz + (size_t)j * F;
            ch->glayers[ch->first].param[j].value = ch->sinc_hz + (size_t)j * F;
            ch->glayers[ch->first].param[j].grad = ch->sinc_hz + (size_t)(2 + j) * F;
        }
    }
    ch->taps = sp_xcalloc((size_t)F * (size_t)K, sizeof *ch->taps);
    ch->f1 = sp_xcalloc((size_t)F, sizeof *ch->f1);
    ch->f2 = sp_xcalloc((size_t)F, sizeof *ch->f2);
    sp_probe_filters *pf = &ch->filters;
    pf->layer = f->name;
    pf->F = F;
    pf->K = K;
    pf->sample_rate = SP_SAMPLE_RATE;
    ch->gfilters = *pf;
}

/* The Hz-valued copies of normalised sinc parameters (ch->sinc_hz):
 * values c p, and with grads the gradients per Hz, dL/dp / c. */
static void update_sinc_hz(sp_probe_chain *ch, int grads)
{
    const sp_model *m = ch->m;
    size_t F = (size_t)m->sinc.F;
    float c = m->sinc.param_scale, *v = ch->sinc_hz, *g = ch->sinc_hz + 2 * F;
    for (size_t f = 0; f < F; f++) {
        v[f] = c * m->param.sinc_low_p[f];
        v[F + f] = c * m->param.sinc_band_p[f];
        if (grads) {
            g[f] = m->grad.sinc_low_p[f] / c;
            g[F + f] = m->grad.sinc_band_p[f] / c;
        }
    }
}

/* Fill the filters from the current parameters; gradients: the taps the
 * last forward pass used. */
static void update_filters(sp_probe_chain *ch, int grads)
{
    sp_model *m = ch->m;
    const sp_param_tensors *p = &m->param;
    sp_probe_filters *pf = grads ? &ch->gfilters : &ch->filters;
    if (ch->sinc_hz) update_sinc_hz(ch, grads);
    if (p->sinc_low_p) {
        sp_sinc_cutoffs(ch->f1, ch->f2, p->sinc_low_p, p->sinc_band_p, &m->sinc);
        if (grads) pf->taps = m->taps;
        else {
            sp_sinc_taps(ch->taps, p->sinc_low_p, p->sinc_band_p, &m->sinc);
            pf->taps = ch->taps;
        }
        pf->f1 = ch->f1;
        pf->f2 = ch->f2;
    } else {
        pf->taps = p->conv_w[0]; /* conv1's w [F][1][K] is [F][K] */
        pf->f1 = pf->f2 = NULL;
    }
}

/* ------------------------------------------------------------------------
 * For the hooks (host_private.h)
 * ---------------------------------------------------------------------- */

void sp_probe_build_layers(sp_probe_chain *ch)
{
    build_layers(ch);
}

void sp_probe_update_filters(sp_probe_chain *ch, int grads)
{
    update_filters(ch, grads);
}

/* ------------------------------------------------------------------------
 * Layer options, checked before a run (probe_host.h)
 * ---------------------------------------------------------------------- */

/* The "layers" string option of e's probe, or -1. */
static long layers_option(const entry *e)
{
    for (unsigned long i = 0; e->d && i < e->d->noptions; i++)
        if (!strcmp(e->d->options[i].name, "layers") && e->d->options[i].type == SP_PROBE_OPT_STRING) return (long)i;
    return -1;
}

/* e's layers option refused: its unknown word, the nearest layer name,
 * the network's layers. -1. */
static int layer_refused(const entry *e, long oi, const sp_probe_layer *layers, int n, const char *word, sp_error *err)
{
    char name[64], list[1024] = "", near[96] = "";
    snprintf(name, sizeof name, "%.*s", (int)sp_probe_layers_wordlen(word), word);
    sp_suggest s;
    sp_suggest_init(&s, name);
    for (int i = 0; i < n; i++) {
        size_t at = strlen(list);
        snprintf(list + at, sizeof list - at, "%s%s", i ? ", " : "", layers[i].name);
        sp_suggest_add(&s, layers[i].name);
    }
    if (sp_suggest_best(&s)) snprintf(near, sizeof near, " (did you mean '%s'?)", sp_suggest_best(&s));
    long line = e->opt_line[oi] ? e->opt_line[oi] : e->line;
    return sp_fail(err, "%s:%ld: [probe %s] layers: no layer '%s' in this network%s; its layers: %s", e->conf, line,
                   e->id, name, near, list);
}

int sp_probe_chain_check_layers(const sp_probe_chain *ch, const sp_model *m, sp_error *err)
{
    if (!ch || !ch->n) return 0;
    sp_probe_layer *layers = sp_xcalloc((size_t)m->nlayers, sizeof *layers);
    int *index = sp_xmalloc(((size_t)m->nlayers + 1) * sizeof *index), rc = 0;
    for (int i = 0; i < m->nlayers; i++) {
        layers[i].name = m->layer[i].name;
        layers[i].kind = sp_layer_kind_name(m->layer[i].kind);
    }
    const unsigned keywords = SP_PROBE_LAYERS_ALL | SP_PROBE_LAYERS_DENSE | SP_PROBE_LAYERS_AUTO;
    for (int k = 0; k < ch->n && rc == 0; k++) {
        const entry *e = &ch->e[k];
        long oi = layers_option(e);
        const char *bad = NULL;
        if (oi >= 0 && sp_probe_layers_select(layers, m->nlayers, e->values[oi].text, keywords, index, &bad, NULL) < 0)
            rc = layer_refused(e, oi, layers, m->nlayers, bad, err);
    }
    free(index);
    free(layers);
    return rc;
}
