/* layer_loss.c - log-softmax and the mean negative log-likelihood
 * (F.log_softmax + F.nll_loss); the math is in layers.h. */
#include "config.h"
#include "nn/layers.h"

#include <math.h>

double sp_logsoftmax_nll_forward(float *logp, const float *logits, const int *target, int B,
                                 int V)
{
    double loss = 0.0;
    for (int b = 0; b < B; b++) {
        const float *z = logits + (size_t)b * V;
        float *lp = logp + (size_t)b * V;
        // logp = z - max - log sum exp(z - max)
        float m = z[0];
        for (int v = 1; v < V; v++)
            if (z[v] > m) m = z[v];
        double s = 0.0;
        for (int v = 0; v < V; v++) s += exp((double)z[v] - m);
        double lse = m + log(s);
        for (int v = 0; v < V; v++) lp[v] = (float)(z[v] - lse);
        if (target) loss -= z[target[b]] - lse;
    }
    return target ? loss / B : 0.0;
}

void sp_logsoftmax_nll_backward(float *dlogits, const float *logp, const int *target, int B,
                                int V, float dloss)
{
    // d loss / d z[b][v] = (softmax[b][v] - [v == target[b]]) / B
    float scale = dloss / B;
    for (int b = 0; b < B; b++) {
        const float *lp = logp + (size_t)b * V;
        float *dz = dlogits + (size_t)b * V;
        for (int v = 0; v < V; v++)
            dz[v] += scale * (expf(lp[v]) - (v == target[b] ? 1.0f : 0.0f));
    }
}
