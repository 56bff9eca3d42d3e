/* layer_batchnorm.c - nn.BatchNorm1d on [B][D] (the math is in layers.h).
 * Statistics run down the batch axis, which is the strided one; features
 * are processed in blocks of BLK with double accumulators on the stack so
 * the rows stream through the cache in order and nothing is allocated. */
#include "config.h"
#include "nn/layers.h"

#include <math.h>

enum { BLK = 256 };

void sp_batchnorm_forward(float *out, float *mean, float *rstd, float *running_mean,
                          float *running_var, const float *inp, const float *gamma,
                          const float *beta, int B, int D, float momentum, float eps,
                          int training)
{
    if (training) {
        for (int d0 = 0; d0 < D; d0 += BLK) {
            int n = D - d0 < BLK ? D - d0 : BLK;
            double s[BLK], q[BLK];
            for (int j = 0; j < n; j++) s[j] = q[j] = 0.0;
            for (int b = 0; b < B; b++) {
                const float *x = inp + (size_t)b * D + d0;
                for (int j = 0; j < n; j++) s[j] += x[j];
            }
            for (int j = 0; j < n; j++) s[j] /= B; // now the mean
            for (int b = 0; b < B; b++) {
                const float *x = inp + (size_t)b * D + d0;
                for (int j = 0; j < n; j++) q[j] += (x[j] - s[j]) * (x[j] - s[j]);
            }
            for (int j = 0; j < n; j++) {
                int d = d0 + j;
                double var = q[j] / B;                             // biased: normalises
                double uvar = B > 1 ? q[j] / (B - 1) : var;        // unbiased: running
                mean[d] = (float)s[j];
                rstd[d] = (float)(1.0 / sqrt(var + eps));
                running_mean[d] = (float)((1.0 - momentum) * running_mean[d] + momentum * s[j]);
                running_var[d] = (float)((1.0 - momentum) * running_var[d] + momentum * uvar);
            }
        }
    } else {
        for (int d = 0; d < D; d++) {
            mean[d] = running_mean[d];
            rstd[d] = (float)(1.0 / sqrt((double)running_var[d] + eps));
        }
    }
    for (int b = 0; b < B; b++) {
        const float *x = inp + (size_t)b * D;
        float *y = out + (size_t)b * D;
        for (int d = 0; d < D; d++) y[d] = gamma[d] * ((x[d] - mean[d]) * rstd[d]) + beta[d];
    }
}

void sp_batchnorm_backward(float *dinp, float *dgamma, float *dbeta, const float *dout,
                           const float *inp, const float *mean, const float *rstd,
                           const float *gamma, int B, int D, int training)
{
    for (int d0 = 0; d0 < D; d0 += BLK) {
        int n = D - d0 < BLK ? D - d0 : BLK;
        double sg[BLK], sgx[BLK]; // sum_b dout, sum_b dout xhat
        for (int j = 0; j < n; j++) sg[j] = sgx[j] = 0.0;
        for (int b = 0; b < B; b++) {
            const float *x = inp + (size_t)b * D + d0, *dy = dout + (size_t)b * D + d0;
            for (int j = 0; j < n; j++) {
                float xhat = (x[j] - mean[d0 + j]) * rstd[d0 + j];
                sg[j] += dy[j];
                sgx[j] += (double)dy[j] * xhat;
            }
        }
        for (int j = 0; j < n; j++) {
            dgamma[d0 + j] += (float)sgx[j];
            dbeta[d0 + j] += (float)sg[j];
        }
        if (!dinp) continue;
        float a[BLK], c[BLK]; // training: dx = r gamma (dout - a - xhat c)
        for (int j = 0; j < n; j++) {
            a[j] = training ? (float)(sg[j] / B) : 0.0f;
            c[j] = training ? (float)(sgx[j] / B) : 0.0f;
        }
        for (int b = 0; b < B; b++) {
            const float *x = inp + (size_t)b * D + d0, *dy = dout + (size_t)b * D + d0;
            float *dx = dinp + (size_t)b * D + d0;
            for (int j = 0; j < n; j++) {
                int d = d0 + j;
                float xhat = (x[j] - mean[d]) * rstd[d];
                dx[j] += rstd[d] * gamma[d] * (dy[j] - a[j] - xhat * c[j]);
            }
        }
    }
}
