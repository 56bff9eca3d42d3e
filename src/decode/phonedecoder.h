/* phonedecoder.h - what `eval` and `decode` share: a checkpoint or run
 * directory resolved to a model, and the training transcripts turned into
 * class priors and a bigram phone LM for Viterbi decoding. */
#ifndef SP_PHONEDECODER_H
#define SP_PHONEDECODER_H

#include "decode/decode.h"
#include "nn/model.h"
#include "base/error.h"

/* MODEL as given on the command line: a checkpoint file, or a run
 * directory meaning its best checkpoint (else its last). Returns the
 * checkpoint path (caller frees) and the run directory it belongs to in
 * *rundir (caller frees), or NULL with err. */
char *sp_resolve_model(const char *model, char **rundir, sp_error *err);

typedef struct {
    sp_phoneset ps;
    sp_bigram lm;
    sp_priors priors;
    sp_viterbi vit;
    int ready;
} sp_phone_decoder;

/* Estimate priors and the LM from the training split named by c, and set
 * up Viterbi with opts. -1 with err (corpus problems are logged as they
 * are found, base/log.h). */
int sp_phone_decoder_init(sp_phone_decoder *pd, const sp_conf *c, const sp_viterbi_opts *opts, sp_error *err);
void sp_phone_decoder_free(sp_phone_decoder *pd);

#endif
