/* decode.h - from frame posteriors to a scored phone string: the bigram
 * phone language model (bigram.c), class priors (priors.c), Viterbi
 * decoding with a minimum phone duration (viterbi.c), and phone / frame
 * error rate scoring with a confusion matrix (score.c).
 *
 *   posteriors [T][48] --(- prior_scale * log prior)--> scaled likelihoods
 *     --Viterbi(bigram LM, min duration, insertion penalty)--> 48-set segments
 *     --fold to 39, merge repeats--> Levenshtein vs the folded reference
 *     --> S, D, I, N, PER = (S + D + I) / N, confusion matrix
 *
 * Phone indices are those of phoneset.h: the decoder and the LM work on the
 * 48 training phones, scoring on the 39. Logarithms are natural.
 *
 * Errors follow base/error.h: 0 on success, -1 with a message in err.
 * Nothing here calls exit(); allocation failure aborts
 * through sp_xmalloc. Every object is plain data: *_init, use, *_free; a
 * freed object may be freed again. Not thread-safe per object: one decoder
 * or scorer per thread. */
#ifndef SP_DECODE_H
#define SP_DECODE_H

#include <stddef.h>
#include "corpus/phoneset.h"
#include "base/error.h"

/* ------------------------------------------------------------------------
 * Bigram phone language model (bigram.c)
 *
 * Estimated from training transcripts, one utterance at a time, as
 * sequences of 48-set indices. Before counting, negative indices (phones
 * the map deletes, e.g. `q`) are dropped and consecutive repeats are
 * collapsed ("cl cl vcl" -> "cl vcl"), so a phone never follows itself: the
 * decoder models a phone's duration with its own self loop, not with the LM.
 * Each utterance is framed by the start state <s> and the end state </s>.
 *
 * Histories h are the n phones and <s>; targets w are the n phones and
 * </s>. The successors allowed after h, A(h), are every phone but h itself
 * and </s> (h a phone), or every phone (h = <s>). Outside A(h) the log
 * probability is -INFINITY. With c(h,w) the bigram counts,
 * c(h) = sum_w c(h,w) and T(h) = #{w : c(h,w) > 0}:
 *
 * SP_BIGRAM_WITTEN_BELL (the default; the smoothing IRSTLM's build-lm
 * applies by default, which Kaldi's TIMIT recipe uses for its phone
 * bigram): interpolated Witten-Bell down to a unigram that is itself
 * Witten-Bell smoothed towards the uniform distribution over the V = n + 1
 * targets:
 *     P1(w)    = (c(w) + T0 / V) / (N + T0)
 *                c(w) = sum_h c(h,w), N = sum_w c(w), T0 = #{w : c(w) > 0}
 *     q_h(w)   = P1(w) / sum_{v in A(h)} P1(v)        (w in A(h))
 *     P(w | h) = (c(h,w) + T(h) q_h(w)) / (c(h) + T(h)),  or q_h(w) when
 *                c(h) = 0.
 * Every allowed bigram gets a positive probability.
 *
 * SP_BIGRAM_ADD_K: P(w | h) = (c(h,w) + k) / (c(h) + k |A(h)|) for w in
 * A(h); k = 0 is maximum likelihood (unseen bigrams get -INFINITY; an
 * unseen history gets the uniform distribution over A(h)). */

typedef enum {
    SP_BIGRAM_WITTEN_BELL = 0,
    SP_BIGRAM_ADD_K = 1
} sp_bigram_smoothing;

/* <s> as a history and </s> as a target in sp_bigram_logprob. */
#define SP_BIGRAM_EDGE (-1)

typedef struct {
    int n;                         /* phones (48) */
    sp_bigram_smoothing smoothing;
    double k;                      /* add-k constant (SP_BIGRAM_ADD_K) */
    /* (n + 1) x (n + 1), row-major [h][w]: rows 0..n-1 are phone
     * histories, row n is <s>; columns 0..n-1 are phone targets, column
     * n is </s>. */
    long *count;
    double *logp;                  /* valid when finalised */
    long utterances;               /* utterances counted (non-empty) */
    long tokens;                   /* phones counted, after collapsing */
    int finalised;                 /* 1 after sp_bigram_finalise, 0 after an add */
} sp_bigram;

/* n phones (1..SP_MAX_PHONES); k >= 0 (ignored for Witten-Bell). */
int sp_bigram_init(sp_bigram *lm, int n, sp_bigram_smoothing smoothing, double k, sp_error *err);
/* Count one utterance. An index >= n is an error and nothing is counted;
 * an utterance with no phone left after dropping negatives is skipped. */
int sp_bigram_add(sp_bigram *lm, const int *phones, size_t len, sp_error *err);
/* Compute logp from the counts (again after further adds); -1 when
 * nothing was counted. */
int sp_bigram_finalise(sp_bigram *lm, sp_error *err);
/* log P(next | prev); prev may be SP_BIGRAM_EDGE (<s>), next may be
 * SP_BIGRAM_EDGE (</s>). The model must be finalised. */
double sp_bigram_logprob(const sp_bigram *lm, int prev, int next);
void sp_bigram_free(sp_bigram *lm);

/* ------------------------------------------------------------------------
 * Class priors (priors.c): relative frequencies of the frame labels over
 * the training frames, add-one smoothed so no class has prior zero:
 *     log prior(c) = log((count(c) + 1) / (total + n)). */

typedef struct {
    int n;
    long *count;
    long total;        /* labelled frames counted */
    double *logprior;  /* n; valid when finalised */
    int finalised;
} sp_priors;

int sp_priors_init(sp_priors *p, int n, sp_error *err);
/* Count T frame labels; negative labels (unlabelled frames) are skipped,
 * a label >= n is an error and nothing is counted. */
int sp_priors_add(sp_priors *p, const int *labels, size_t T, sp_error *err);
/* -1 when no frame was counted. */
int sp_priors_finalise(sp_priors *p, sp_error *err);
void sp_priors_free(sp_priors *p);

/* ------------------------------------------------------------------------
 * Viterbi decoding (viterbi.c)
 *
 * Each phone is a left-to-right chain of min_dur states, the last with a
 * self loop, so a phone lasts at least min_dur frames (10 ms each). A
 * phone is entered from <s> or from the last state of a different phone
 * (two consecutive segments never carry the same phone). The decoder
 * returns the segmentation maximising
 *
 *   sum_t [ logpost[t][p_t] - prior_scale * logprior[p_t] ]
 *   + lm_weight * ( log P(q_1 | <s>) + sum_i log P(q_i | q_{i-1})
 *                   + log P(</s> | q_K) )
 *   - insertion_penalty * K
 *
 * over phone sequences q_1..q_K with durations >= min_dur; p_t is the
 * phone at frame t. A larger insertion penalty gives fewer segments.
 * lm_weight 0 or no LM ignores the LM entirely; no priors is the same as
 * prior_scale 0. An utterance shorter than min_dur frames is decoded with
 * min_dur = T (one phone). Ties are broken towards staying in a phone.
 *
 * Cost: O(T n^2 + T n min_dur) time; memory 2 T n bytes of back pointers
 * plus O(n^2 + n min_dur), allocated by sp_viterbi_init for max_frames
 * frames. sp_viterbi_decode allocates only when an utterance is longer
 * than any seen before. */

typedef struct {
    int min_dur;               /* frames, >= 1; default 3 */
    double prior_scale;        /* default 1 */
    double lm_weight;          /* >= 0; default 1 */
    double insertion_penalty;  /* per phone, log domain; default 0 */
} sp_viterbi_opts;

void sp_viterbi_opts_default(sp_viterbi_opts *o);

/* One decoded phone: 48-set index, first and last frame (inclusive). */
typedef struct {
    int phone;
    long first, last;
} sp_phone_seg;

typedef struct {
    int n;
    sp_viterbi_opts opts;
    /* private: see viterbi.c */
    double *trans;     /* n x n: lm_weight log P(q|p) - penalty; -inf for q == p */
    double *enter;     /* n: from <s> */
    double *leave;     /* n: to </s> */
    double *bias;      /* n: -prior_scale * logprior */
    double *prev, *cur;/* n x min_dur path scores */
    double *best_in;   /* n */
    int *best_src;     /* n */
    unsigned char *bp_src;  /* cap x n: source phone when entering */
    unsigned char *bp_loop; /* cap x n: 1 when the last state looped */
    size_t cap;
} sp_viterbi;

/* Decoder for n phones (1..SP_MAX_PHONES). lm (NULL: no LM) must be
 * finalised with lm->n == n; logprior (NULL: no priors) has n entries
 * (e.g. sp_priors.logprior). Both are copied into the decoder's tables. */
int sp_viterbi_init(sp_viterbi *v, int n, const sp_viterbi_opts *opts,
                    const sp_bigram *lm, const double *logprior,
                    size_t max_frames, sp_error *err);
/* Decode T frames of log posteriors (row-major [T][n]). seg must have
 * room for T entries; *nseg gets the count (0 when T is 0) and *score
 * (may be NULL) the path score above. -1 on a NaN or +inf posterior or
 * when no path has a finite score (e.g. a maximum-likelihood LM that
 * forbids every path). */
int sp_viterbi_decode(sp_viterbi *v, const float *logpost, size_t T,
                      sp_phone_seg *seg, size_t *nseg, double *score, sp_error *err);
void sp_viterbi_free(sp_viterbi *v);

/* ------------------------------------------------------------------------
 * Scoring (score.c)
 *
 * Folding for scoring: map to the 39 set, drop deleted phones (negative
 * indices, e.g. `q`), then merge consecutive identical phones ("cl vcl" ->
 * "sil", "ix ih" -> "ih"). out has room for n entries; returns the folded
 * length. */
size_t sp_score_fold48(const sp_phoneset *ps, const int *p48, size_t n, int *out39);
size_t sp_score_fold61(const sp_phoneset *ps, const int *p61, size_t n, int *out39);
size_t sp_score_fold_segs(const sp_phoneset *ps, const sp_phone_seg *seg, size_t n, int *out39);

/* Levenshtein alignment with unit costs (substitution, deletion,
 * insertion 1; a match 0). Among alignments of minimal cost the back-trace
 * from the end prefers the diagonal (match or substitution), then a
 * deletion, then an insertion; so "a b" vs "b a" counts S=2. */
typedef struct {
    long ref;   /* reference phones N */
    long hyp;   /* hypothesis phones */
    long sub, del, ins;
} sp_edit_counts;   /* correct = ref - sub - del */

/* One aligned pair: phone indices, -1 for none (ref -1: an insertion,
 * hyp -1: a deletion). */
typedef struct {
    int ref, hyp;
} sp_align_pair;

typedef struct {
    int n;                     /* phones scored on (39) */
    sp_edit_counts total;      /* summed over utterances */
    long utterances;
    /* (n + 1) x (n + 1), row-major [ref][hyp]; index n is "none": row n
     * counts insertions of each hypothesis phone, column n deletions of
     * each reference phone; [n][n] is always 0. */
    long *confusion;
    /* The alignment of the last utterance added, in order (read-only;
     * valid until the next sp_score_add). */
    sp_align_pair *pair;
    size_t npair;
    /* private */
    int *dp;
    size_t dp_cap, pair_cap;
} sp_score;

int sp_score_init(sp_score *s, int n, sp_error *err);
/* Align one utterance (already folded) and add it to the totals and the
 * confusion matrix; utt (may be NULL) gets this utterance's counts. An
 * index outside 0..n-1 is an error and nothing is added. */
int sp_score_add(sp_score *s, const int *ref, size_t nref, const int *hyp, size_t nhyp,
                 sp_edit_counts *utt, sp_error *err);
/* (S + D + I) / N as a fraction; NAN when N is 0. */
double sp_edit_rate(const sp_edit_counts *c);
double sp_score_per(const sp_score *s);
/* Write the confusion matrix as TSV, atomically: a header row
 * "ref" NAME... "<del>", one row per reference phone and a last row
 * "<ins>"; cells are counts. ps names the phones (ps->n39 == s->n). */
int sp_score_write_confusion(const sp_score *s, const sp_phoneset *ps, const char *path,
                             sp_error *err);
void sp_score_free(sp_score *s);

/* Frame error rate: the arg-max class of each frame's scores (log
 * posteriors or posteriors, row-major [T][n]; ties to the lower index)
 * against the reference frame label. Frames with a negative label are not
 * counted. fold (NULL: none) maps classes before comparing, e.g.
 * ps->fold48 to score 48-class outputs on the 39 set. A label >= n is an
 * error and nothing is counted. */
typedef struct {
    long frames, errors;
} sp_fer;

void sp_fer_init(sp_fer *f);
int sp_fer_add(sp_fer *f, const float *scores, size_t T, int n, const int *ref,
               const int *fold, sp_error *err);
double sp_fer_rate(const sp_fer *f);   /* errors / frames; NAN when none */

#endif
