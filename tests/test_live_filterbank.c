/* test_live_filterbank.c - the streaming first layer (live/filterbank.h)
 * against a direct reference: the whole signal convolved in double (the
 * model's correlation, zeros before the start), energies over the same
 * windows, for a sinc and a conv first layer; a steady tone gives each
 * filter the energy its response predicts, A^2 |H_c(f)|^2 / 2 + b_c^2,
 * the loudest sinc filter's band holds the tone; display order is by
 * centre; reset forgets the stream; a hop allocates nothing. */
#include "config.h"
#include "live/filterbank.h"
#include "nn/layers.h"
#include "base/rng.h"
#include "base/util.h"
#include "testlib.h"

#include <malloc.h>
#include <math.h>

/* The small preset's first layer (40 x 129) in a model of its sizes. */
static int small_model(sp_model *m, const char *first)
{
    sp_conf c;
    sp_conf_defaults(&c);
    c.input_ms = 100;
    c.filters = 40;
    c.taps = 129;
    c.conv_channels[0] = c.conv_channels[1] = 8;
    c.ndense = 1;
    c.dense[0] = 16;
    c.seed = 3;
    snprintf(c.first_layer, sizeof c.first_layer, "%s", first);
    sp_error err;
    if (sp_model_init(m, &c, 1, &err) != 0) {
        CHECK_MSG(0, "%s", err.msg);
        return -1;
    }
    if (!strcmp(first, "sinc")) { /* model order reversed: display order must undo it */
        int F = c.filters;
        for (int i = 0; i < F / 2; i++) {
            float *lo = m->param.sinc_low_p, *bw = m->param.sinc_band_p, t;
            t = lo[i], lo[i] = lo[F - 1 - i], lo[F - 1 - i] = t;
            t = bw[i], bw[i] = bw[F - 1 - i], bw[F - 1 - i] = t;
        }
    }
    return 0;
}

/* taps [F][K] and bias [F] (0 for sinc) as the model has them. */
static void model_taps(const sp_model *m, double *taps, double *bias)
{
    int F = m->conf.filters, K = m->conf.taps;
    float *t = sp_xmalloc((size_t)F * K * sizeof *t);
    if (!strcmp(m->conf.first_layer, "sinc"))
        sp_sinc_taps(t, m->param.sinc_low_p, m->param.sinc_band_p, &m->sinc);
    else
        memcpy(t, m->param.conv_w[0], (size_t)F * K * sizeof *t);
    for (size_t i = 0; i < (size_t)F * K; i++) taps[i] = t[i];
    for (int c = 0; c < F; c++) bias[c] = m->param.conv_b[0] ? m->param.conv_b[0][c] : 0.0;
    free(t);
}

/* Energies in dB [nhops][F] (model order) of the whole signal x[N]:
 * y_c[t] = b_c + sum_k h_c[k] x[t - K + 1 + k], x = 0 before 0; the
 * energy after hop h is the mean of y^2 over the last min(W, (h+1)H)
 * samples. */
static double *reference(const sp_model *m, const float *x, long N, int H, int W)
{
    int F = m->conf.filters, K = m->conf.taps;
    long nh = N / H;
    double *taps = sp_xmalloc((size_t)F * K * sizeof *taps), *bias = sp_xmalloc((size_t)F * sizeof *bias);
    double *y2 = sp_xmalloc((size_t)N * sizeof *y2), *E = sp_xmalloc((size_t)nh * F * sizeof *E);
    model_taps(m, taps, bias);
    for (int c = 0; c < F; c++) {
        for (long t = 0; t < N; t++) {
            double s = bias[c];
            for (int k = 0; k < K; k++) {
                long i = t - K + 1 + k;
                if (i >= 0) s += taps[(size_t)c * K + k] * x[i];
            }
            y2[t] = s * s;
        }
        for (long h = 0; h < nh; h++) {
            long end = (h + 1) * H, start = end - W < 0 ? 0 : end - W;
            double s = 0;
            for (long t = start; t < end; t++) s += y2[t];
            E[(size_t)h * F + c] = 10.0 * log10(s / (double)(end - start) + 1e-10);
        }
    }
    free(taps), free(bias), free(y2);
    return E;
}

/* Runs the filterbank on x hop by hop; out [nhops][F] display order. */
static void stream(sp_filterbank *fb, const float *x, long N, int H, float *out)
{
    int F = sp_filterbank_size(fb);
    for (long h = 0; h < N / H; h++) sp_filterbank_hop(fb, x + h * H, out + (size_t)h * F);
}

static void against_reference(const sp_model *m, sp_filterbank *fb, int H, int W)
{
    int F = m->conf.filters;
    long N = 24000; /* 1.5 s */
    sp_rng r;
    sp_rng_seed(&r, 11, 0);
    float *x = sp_xmalloc((size_t)N * sizeof *x);
    for (long t = 0; t < N; t++) /* noise, a tone, and a loud burst in the middle */
        x[t] = (float)(0.1 * sp_rng_normal(&r) + 0.3 * sin(2 * M_PI * 1234.5 * t / 16000.0) +
                       (t > 9000 && t < 11000 ? 0.8 * sp_rng_normal(&r) : 0.0));
    long nh = N / H;
    double *E = reference(m, x, N, H, W);
    float *got = sp_xmalloc((size_t)nh * F * sizeof *got), *again = sp_xmalloc((size_t)nh * F * sizeof *again);
    int *order = sp_xmalloc((size_t)F * sizeof *order);
    sp_filterbank_order(fb, order);
    stream(fb, x, N, H, got);
    double worst = 0;
    for (long h = 0; h < nh; h++)
        for (int i = 0; i < F; i++) {
            double d = fabs(got[(size_t)h * F + i] - E[(size_t)h * F + order[i]]);
            if (!(d <= worst)) worst = d;
        }
    CHECK_MSG(worst < 2e-3, "%s first layer, hop %d, window %d: worst difference %g dB", m->conf.first_layer, H, W,
              worst);
    sp_filterbank_reset(fb);
    stream(fb, x, N, H, again);
    CHECK(memcmp(got, again, (size_t)nh * F * sizeof *got) == 0);
    free(x), free(E), free(got), free(again), free(order);
}

/* |H_c(f)|^2 of model filter c, in double. */
static double power_at(const double *h, int K, double f)
{
    double re = 0, im = 0;
    for (int k = 0; k < K; k++) {
        re += h[k] * cos(2 * M_PI * f * k / 16000.0);
        im -= h[k] * sin(2 * M_PI * f * k / 16000.0);
    }
    return re * re + im * im;
}

/* A tone of amplitude A at the centre of display filter i, 0.5 s, energies
 * after the last hop (a 100 ms window, long past the start). */
static void tone(const sp_model *m, int i)
{
    int F = m->conf.filters, K = m->conf.taps, H = 160, sinc = !strcmp(m->conf.first_layer, "sinc");
    sp_error err;
    sp_filterbank *fb = sp_filterbank_new(m, H, 10 * H, &err);
    if (!fb) {
        CHECK_MSG(0, "%s", err.msg);
        return;
    }
    float *centre = sp_xmalloc((size_t)F * 3 * sizeof *centre), *lo = centre + F, *hi = lo + F;
    int *order = sp_xmalloc((size_t)F * sizeof *order);
    double *taps = sp_xmalloc((size_t)F * K * sizeof *taps), *bias = sp_xmalloc((size_t)F * sizeof *bias);
    sp_filterbank_bands(fb, centre, lo, hi);
    sp_filterbank_order(fb, order);
    model_taps(m, taps, bias);
    double f = centre[i], A = 0.5;
    long N = 8000;
    float *x = sp_xmalloc((size_t)N * sizeof *x), *e = sp_xmalloc((size_t)N / H * F * sizeof *e);
    for (long t = 0; t < N; t++) x[t] = (float)(A * sin(2 * M_PI * f * t / 16000.0));
    stream(fb, x, N, H, e);
    const float *last = e + (size_t)(N / H - 1) * F;
    double pmax = 0, worst = 0;
    double *p = sp_xmalloc((size_t)F * sizeof *p);
    for (int j = 0; j < F; j++) {
        int c = order[j];
        p[j] = 0.5 * A * A * power_at(taps + (size_t)c * K, K, f) + bias[c] * bias[c];
        if (p[j] > pmax) pmax = p[j];
    }
    int best = 0;
    for (int j = 0; j < F; j++) {
        if (last[j] > last[best]) best = j;
        if (p[j] > 1e-3 * pmax && fabs(last[j] - 10 * log10(p[j] + 1e-10)) > worst)
            worst = fabs(last[j] - 10 * log10(p[j] + 1e-10));
    }
    CHECK_MSG(worst < 0.25, "%s tone at %.1f Hz: energies %g dB from A^2 |H|^2 / 2 + b^2", m->conf.first_layer, f,
              worst);
    if (sinc) /* the loudest filter passes the tone, and is the one centred on it or a neighbour */
        CHECK_MSG(lo[best] <= f && f <= hi[best] && abs(best - i) <= 1,
                  "tone at %.1f Hz (filter %d): loudest filter %d [%.1f, %.1f]", f, i, best, lo[best], hi[best]);
    free(centre), free(order), free(taps), free(bias), free(x), free(e), free(p);
    sp_filterbank_free(fb);
}

/* Display order: centres increase; each display filter's centre is its
 * model filter's (sinc: (f1 + f2) / 2 of the cut-offs; conv: the
 * power-weighted centroid of |H|^2, here by a plain DFT on the 4096-point
 * grid the filterbank uses). */
static void bands(const sp_model *m, sp_filterbank *fb)
{
    int F = m->conf.filters, K = m->conf.taps;
    float *centre = sp_xmalloc((size_t)F * 3 * sizeof *centre), *lo = centre + F, *hi = lo + F;
    int *order = sp_xmalloc((size_t)F * sizeof *order), *seen = sp_xcalloc((size_t)F, sizeof *seen);
    double *taps = sp_xmalloc((size_t)F * K * sizeof *taps), *bias = sp_xmalloc((size_t)F * sizeof *bias);
    float *f1 = sp_xmalloc((size_t)F * 2 * sizeof *f1), *f2 = f1 + F;
    sp_filterbank_bands(fb, centre, lo, hi);
    sp_filterbank_order(fb, order);
    model_taps(m, taps, bias);
    int sinc = !strcmp(m->conf.first_layer, "sinc");
    if (sinc) sp_sinc_cutoffs(f1, f2, m->param.sinc_low_p, m->param.sinc_band_p, &m->sinc);
    int identity = 1;
    for (int i = 0; i < F; i++) {
        int c = order[i];
        CHECK(c >= 0 && c < F && !seen[c]);
        if (c < 0 || c >= F) break;
        seen[c] = 1;
        identity &= c == i;
        if (i) CHECK_MSG(centre[i - 1] <= centre[i], "display %d: %g after %g", i, centre[i], centre[i - 1]);
        CHECK(lo[i] <= centre[i] && centre[i] <= hi[i]);
        double want;
        if (sinc) {
            want = 0.5 * ((double)f1[c] + f2[c]);
            CHECK(lo[i] == f1[c] && hi[i] == f2[c]);
        } else {
            double sp = 0, sfp = 0;
            for (int j = 0; j <= 2048; j++) {
                double fj = j * 16000.0 / 4096, pw = power_at(taps + (size_t)c * K, K, fj);
                sp += pw;
                sfp += fj * pw;
            }
            want = sfp / sp;
        }
        CHECK_MSG(fabs(centre[i] - want) < (sinc ? 1e-3 : 0.5), "display %d (filter %d): centre %g, want %g", i, c,
                  centre[i], want);
    }
    CHECK(!identity); /* the sinc filters were reversed; conv's are in random order */
    free(centre), free(order), free(seen), free(taps), free(bias), free(f1);
}

/* Responses: each row peaks at 1, bins up to fs/2, the AFR their mean,
 * the gains the peaks of |H|. */
static void responses(const sp_model *m, sp_filterbank *fb)
{
    int F = sp_filterbank_size(fb), K = m->conf.taps, nfft = 512, bins = nfft / 2 + 1;
    double *taps = sp_xmalloc((size_t)F * K * sizeof *taps), *bias = sp_xmalloc((size_t)F * sizeof *bias);
    int *order = sp_xmalloc((size_t)F * sizeof *order);
    model_taps(m, taps, bias);
    sp_filterbank_order(fb, order);
    float *freq = sp_xmalloc((size_t)bins * sizeof *freq), *afr = sp_xmalloc((size_t)bins * sizeof *afr);
    float *resp = sp_xmalloc((size_t)F * bins * sizeof *resp);
    sp_error err;
    float *peak = sp_xmalloc((size_t)F * sizeof *peak);
    CHECK(sp_filterbank_response(fb, nfft, freq, resp, afr, peak, &err) == 0);
    CHECK(freq[0] == 0.0f && freq[bins - 1] == 8000.0f);
    double worst = 0;
    for (int j = 0; j < bins; j++) {
        double s = 0;
        for (int i = 0; i < F; i++) s += resp[(size_t)i * bins + j];
        worst = fmax(worst, fabs(s / F - afr[j]));
    }
    CHECK(worst < 1e-5);
    for (int i = 0; i < F; i++) {
        float top = 0;
        for (int j = 0; j < bins; j++) top = fmaxf(top, resp[(size_t)i * bins + j]);
        CHECK(fabsf(top - 1.0f) < 1e-6f);
        double want = 0; /* the gain: max |H| over the same bins, in double */
        for (int j = 0; j < bins; j++) want = fmax(want, sqrt(power_at(taps + (size_t)order[i] * K, K, freq[j])));
        CHECK_MSG(fabs(peak[i] - want) < 1e-4 * want, "filter %d: gain %g, want %g", i, peak[i], want);
    }
    CHECK(sp_filterbank_response(fb, 64, NULL, NULL, NULL, NULL, &err) == -1 && strstr(err.msg, "taps"));
    free(freq), free(afr), free(resp), free(peak), free(taps), free(bias), free(order);
}

/* After a few warm-up hops (OpenBLAS sets up its buffers once), a hop
 * allocates nothing: the heap in use does not change over 200 hops.
 * (Under ASan mallinfo2 reports nothing; the check is then empty.) */
static void no_allocation(sp_filterbank *fb)
{
    float x[160], e[256];
    for (int i = 0; i < 160; i++) x[i] = (float)sin(i * 0.3);
    for (int h = 0; h < 5; h++) sp_filterbank_hop(fb, x, e);
    struct mallinfo2 a = mallinfo2();
    for (int h = 0; h < 200; h++) sp_filterbank_hop(fb, x, e);
    struct mallinfo2 b = mallinfo2();
    CHECK_MSG(a.uordblks == b.uordblks && a.hblkhd == b.hblkhd, "heap in use %zu -> %zu", a.uordblks, b.uordblks);
}

static void first_layer(const char *first)
{
    sp_model m;
    if (small_model(&m, first) != 0) return;
    sp_error err;
    int hops[2][2] = { { 160, 480 }, { 64, 5 * 64 } }; /* H >= K - 1, and H < K - 1 (the history overlaps) */
    for (int v = 0; v < 2; v++) {
        sp_filterbank *fb = sp_filterbank_new(&m, hops[v][0], hops[v][1], &err);
        CHECK_MSG(fb != NULL, "%s", err.msg);
        if (!fb) continue;
        CHECK(sp_filterbank_size(fb) == 40 && sp_filterbank_taps(fb) == 129);
        against_reference(&m, fb, hops[v][0], hops[v][1]);
        if (v == 0) {
            bands(&m, fb);
            responses(&m, fb);
            no_allocation(fb);
        }
        sp_filterbank_free(fb);
    }
    int probe[3] = { 3, 20, 36 };
    for (int i = 0; i < 3; i++) tone(&m, probe[i]);
    CHECK(sp_filterbank_new(&m, 160, 400, &err) == NULL && strstr(err.msg, "multiple"));
    sp_model_free(&m);
}

int main(void)
{
    sp_set_threads(1);
    first_layer("sinc");
    first_layer("conv");
    return sp_test_result("test_live_filterbank");
}
