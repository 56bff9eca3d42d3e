/* sincprobe/layers.h - one parser for the layer lists probes take.
 *
 * Probes that look at some layers take an option naming them ("layers =
 * dact1,out", "all", "dense"). sp_probe_layers_select reads such a list
 * against the layers the host shows (sp_probe_run.layers in on_start,
 * sp_probe_view.layers in on_epoch_end), so that every probe accepts the
 * same syntax and names an unknown layer the same way. The host reads
 * the list given to want_activations with it too (keyword "all").
 *
 * This header is inline code on top of <sincprobe/probe.h>: it adds no
 * symbol to a probe, needs nothing from the host, and reads only the
 * names and kinds of sp_probe_layer, so a probe using it runs in a host
 * of ABI 1 or 2 alike. See sincprobe-probe(3).
 *
 * ---- Syntax
 *
 * Words separated by ',' or ' ' (any run of them; empty words are
 * skipped). Each word is one of the keywords the probe accepts (a bit of
 * `keywords`), else the name of a layer:
 *
 *     all     every layer, in network order
 *     dense   the dense blocks' activations: every layer of kind "act"
 *             after the first layer of kind "dense", then "out"
 *     auto    the last hidden activation: the last layer of kind "act",
 *             else the layer before the last
 *
 * A word that is neither is an error. Words add up: "dense,sinc" is the
 * dense activations and the sinc layer. */
#ifndef SINCPROBE_LAYERS_H
#define SINCPROBE_LAYERS_H

#include <sincprobe/probe.h>

#include <stdio.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The keywords, bits of sp_probe_layers_select's `keywords`. */
#define SP_PROBE_LAYERS_ALL 1u   /* "all" */
#define SP_PROBE_LAYERS_DENSE 2u /* "dense" */
#define SP_PROBE_LAYERS_AUTO 4u  /* "auto" */

/* The length of the word starting at w (up to the next ',', ' ' or the
 * end): how a caller prints the *unknown word of sp_probe_layers_select,
 * as "%.*s" with (int)sp_probe_layers_wordlen(w), w. */
static inline size_t sp_probe_layers_wordlen(const char *w)
{
    return strcspn(w, ", ");
}

/* 1 when the len characters at w are the string s. */
static inline int sp_probe_layers_is(const char *w, size_t len, const char *s)
{
    return strlen(s) == len && strncmp(w, s, len) == 0;
}

/* Append layer i to index[0 .. n) unless it is there; returns the new n. */
static inline int sp_probe_layers_add(int *index, int n, int i)
{
    for (int k = 0; k < n; k++)
        if (index[k] == i) return n;
    index[n] = i;
    return n + 1;
}

/* Select layers of layers[0 .. nlayers) by spec (NULL reads as "").
 * keywords: the SP_PROBE_LAYERS_ bits the probe accepts; other keywords
 * are read as layer names.
 *
 * Returns n, the number of layers selected (0 .. nlayers; 0 when spec has
 * no word), with their indices in index[0 .. n): each layer once, in the
 * order the words name them (a keyword's layers in network order). index
 * must have room for nlayers entries. Or returns -1 when a word is
 * neither an accepted keyword nor a layer's name: then *unknown (when
 * unknown is not NULL) points at that word inside spec, and err (when not
 * NULL) says "layers: no layer 'WORD' in this network"; set err->option
 * yourself. index is then unspecified. */
static inline int sp_probe_layers_select(const sp_probe_layer *layers, int nlayers, const char *spec,
                                         unsigned keywords, int *index, const char **unknown,
                                         sp_probe_error *err)
{
    int n = 0;
    const char *w = spec ? spec : "";
    for (;;) {
        w += strspn(w, ", ");
        size_t len = sp_probe_layers_wordlen(w);
        if (len == 0) return n;
        if ((keywords & SP_PROBE_LAYERS_ALL) && sp_probe_layers_is(w, len, "all")) {
            for (int i = 0; i < nlayers; i++) n = sp_probe_layers_add(index, n, i);
        } else if ((keywords & SP_PROBE_LAYERS_DENSE) && sp_probe_layers_is(w, len, "dense")) {
            int after = 0; /* past the first dense layer */
            for (int i = 0; i < nlayers; i++) {
                if (strcmp(layers[i].kind, "dense") == 0) after = 1;
                if ((after && strcmp(layers[i].kind, "act") == 0) || strcmp(layers[i].name, "out") == 0)
                    n = sp_probe_layers_add(index, n, i);
            }
        } else if ((keywords & SP_PROBE_LAYERS_AUTO) && sp_probe_layers_is(w, len, "auto")) {
            int pick = -1;
            for (int i = 0; i < nlayers; i++)
                if (strcmp(layers[i].kind, "act") == 0) pick = i;
            if (pick < 0) pick = nlayers >= 2 ? nlayers - 2 : nlayers - 1;
            if (pick >= 0) n = sp_probe_layers_add(index, n, pick);
        } else {
            int i = 0;
            while (i < nlayers && !sp_probe_layers_is(w, len, layers[i].name)) i++;
            if (i == nlayers) {
                if (unknown) *unknown = w;
                if (err)
                    snprintf(err->message, sizeof err->message, "layers: no layer '%.*s' in this network", (int)len, w);
                return -1;
            }
            n = sp_probe_layers_add(index, n, i);
        }
        w += len;
    }
}

#ifdef __cplusplus
}
#endif

#endif
