/* linsep.h - linear separability: an L2-regularised multinomial logistic
 * regression trained on part of a labelled feature matrix and scored on
 * the rest (held-out accuracy). Used by the linsep probe on activations
 * and, through the same function, on 2-D embeddings (t-SNE, PCA).
 *
 * Procedure of sp_linsep_eval:
 *  1. Rows whose label is outside [0, nclasses) are left out. The others
 *     are split by a seeded shuffle (splitmix64 of o->seed, Fisher-Yates):
 *     n_test = round(test_fraction x rows) (at least 1, and at least 1
 *     row is left for training), the rest train.
 *  2. Features are standardised with the training part's mean and
 *     population std (a constant feature, std 0, becomes 0).
 *  3. W [C][D], b [C] minimise
 *        L = -(1/n) sum_i log softmax(W x_i + b)[y_i] + (l2/2) ||W||_F^2
 *     (bias not penalised) by L-BFGS (memory 10, backtracking Armijo line
 *     search) from zero for at most o->iterations iterations, stopping
 *     early when the gradient's max-norm is below 1e-6. The logits
 *     X W^T and the gradient (P - Y)^T X are single-precision BLAS
 *     (cblas_sgemm); sums are double.
 *  4. accuracy = the fraction of test rows whose argmax class is the
 *     label; train_accuracy likewise on the training rows; chance = the
 *     test accuracy of always predicting the most frequent training class.
 * Deterministic for a given (X, y, options) whatever the BLAS threads
 * (up to BLAS rounding). Memory: the standardised copy of X (4 N D
 * bytes) plus O((N + D) C) doubles. */
#ifndef SP_LINSEP_H
#define SP_LINSEP_H

#include <stdint.h>

#include "base/error.h"

typedef struct {
    double l2;            /* L2 weight on W (default 1e-3) */
    int iterations;       /* L-BFGS iterations (default 200) */
    double test_fraction; /* held-out share in (0, 1) (default 0.25) */
    uint64_t seed;        /* the split's seed (default 1) */
} sp_linsep_opts;

typedef struct {
    double accuracy, train_accuracy, chance;
    long n_train, n_test;
} sp_linsep_result;

void sp_linsep_defaults(sp_linsep_opts *o);

/* X [N][D] row-major, y [N]. Returns 0 and fills *r, or -1 with err
 * (base/error.h) on bad arguments (fewer than 2 usable rows,
 * D < 1, nclasses < 2, options out of range) or out of memory. */
int sp_linsep_eval(const float *X, long N, long D, const int *y, int nclasses, const sp_linsep_opts *o,
                   sp_linsep_result *r, sp_error *err);

/* For tests: the objective L above and its gradient with respect to the
 * parameters theta = [W (C x D, row-major), b (C)] on the n rows of X
 * (already standardised) and their labels y. g [C (D + 1)]. */
double sp_linsep_objective(const float *X, long n, long D, const int *y, int C, double l2, const double *theta,
                           double *g);

#endif
