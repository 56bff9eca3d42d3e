/* test_afr.c - afr.h against known answers: the FFTW responses equal a
 * direct DFT of the taps in double precision; a sinc band-pass's response
 * has its analytic pass-band gain fs / (2 (f2 - f1)), its -6 dB points at
 * f1 and f2, and a stop band far below; AFR is the mean of |H| (with peak
 * normalisation and dB); K > nfft is refused; the figures are PNGs cairo
 * reads back, written without leaving temporary files. Centres and
 * bandwidths from |H|: exact on an ideal band-pass (to a bin), blind to
 * scale, NaN without energy, close to (f1 + f2) / 2 and f2 - f1 on sinc
 * band-passes; the movement statistics on a hand-worked example. Marked
 * bands: the list syntax and its refusals, drawn into both figures. */
#include "config.h"
#include "analysis/afr.h"
#include "plot/afr_figures.h"
#include "nn/layers.h"
#include "base/util.h"
#include "testlib.h"

#include <cairo.h>
#include <dirent.h>
#include <math.h>
#include <stdint.h>

static const double PI = 3.14159265358979323846;

/* |DFT| of h[0..K) at bin j of nfft, in double. */
static double dft_mag(const float *h, int K, int nfft, int j)
{
    double re = 0, im = 0;
    for (int k = 0; k < K; k++) {
        double a = -2.0 * PI * (double)j * k / nfft;
        re += h[k] * cos(a);
        im += h[k] * sin(a);
    }
    return sqrt(re * re + im * im);
}

/* max_j |got - ref| / max_j |ref| over the filter's bins. */
static double rel_err_vs_dft(const float *taps, int K, int nfft, const float *resp)
{
    int bins = sp_afr_bins(nfft);
    double emax = 0, rmax = 0;
    for (int j = 0; j < bins; j++) {
        double r = dft_mag(taps, K, nfft, j);
        double e = fabs(resp[j] - r);
        if (e > emax) emax = e;
        if (r > rmax) rmax = r;
    }
    return emax / rmax;
}

static int is_png(const char *path)
{
    unsigned char sig[8] = { 0 };
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    size_t n = fread(sig, 1, 8, f);
    fclose(f);
    if (n != 8 || memcmp(sig, "\x89PNG\r\n\x1a\n", 8) != 0) return 0;
    cairo_surface_t *s = cairo_image_surface_create_from_png(path);
    int ok = cairo_surface_status(s) == CAIRO_STATUS_SUCCESS && cairo_image_surface_get_width(s) > 100 &&
             cairo_image_surface_get_height(s) > 100;
    cairo_surface_destroy(s);
    return ok;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    if (d) closedir(d);
    return n;
}

/* sp_afr_bands and sp_afr_movement. */
static void test_bands(void)
{
    sp_error err;
    int nfft = 4096, bins = sp_afr_bins(nfft), K = 251;
    double fs = 16000, df = fs / nfft;
    float *mag = calloc((size_t)3 * bins, sizeof *mag);
    /* an ideal band-pass 1000..3000 Hz (bins 256..768), the same times 7,
     * and a filter with no energy */
    for (int j = 256; j <= 768; j++) mag[j] = 1, mag[bins + j] = 7;
    double c[3], b[3];
    sp_afr_bands(mag, 3, bins, fs, c, b);
    CHECK_MSG(fabs(c[0] - 2000) < 1e-9 && fabs(b[0] - 2000) <= df, "ideal 1000-3000 Hz: centre %.6f band %.6f", c[0],
              b[0]);
    CHECK_MSG(fabs(c[1] - c[0]) < 1e-9 && fabs(b[1] - b[0]) < 1e-9, "scale changes the band: %.9g %.9g", c[1], b[1]);
    CHECK(isnan(c[2]) && isnan(b[2]));
    /* sinc band-passes: their |H| gives back their cut-offs (the band a
     * little narrower: the power falls off inside the -6 dB points) */
    static const float edges[][2] = { { 1000, 3000 }, { 300, 800 }, { 4000, 7000 } };
    sp_afr *a = sp_afr_new(nfft, &err);
    float taps[251], *afr = malloc((size_t)bins * sizeof *afr);
    sp_sinc_spec s = sp_sinc_spec_make(1, K, (float)fs);
    for (size_t i = 0; i < sizeof edges / sizeof edges[0]; i++) {
        float f1 = edges[i][0], f2 = edges[i][1], low = f1 - s.min_low_hz, band = f2 - f1 - s.min_band_hz;
        sp_sinc_taps(taps, &low, &band, &s);
        CHECK(sp_afr_compute(a, taps, 1, K, SP_AFR_NORM_NONE, 0, mag, afr, &err) == 0);
        sp_afr_bands(mag, 1, bins, fs, c, b);
        double ec = c[0] - (f1 + f2) / 2, eb = b[0] / (f2 - f1) - 1;
        CHECK_MSG(fabs(ec) < 5 && fabs(eb) < 0.1, "sinc %.0f-%.0f Hz: centre %.2f band %.2f", f1, f2, c[0], b[0]);
        printf("sinc %.0f-%.0f Hz from |H|: centre %.2f Hz (%+.2f), band %.2f Hz (%+.2f%%)\n", f1, f2, c[0], ec, b[0],
               100 * eb);
    }
    sp_afr_free(a);
    free(afr);
    free(mag);
    /* movement: |dc| = 1, 3, 2 and |db| = 4, 0, 8 */
    double ca[3] = { 100, 200, 300 }, ba[3] = { 50, 60, 70 }, cb[3] = { 101, 197, 302 }, bb[3] = { 54, 60, 62 };
    double m[4];
    sp_afr_movement(ca, ba, cb, bb, 3, m);
    CHECK_MSG(m[0] == 2 && m[1] == 3 && m[2] == 4 && m[3] == 8, "movement %g %g %g %g", m[0], m[1], m[2], m[3]);
    cb[1] = NAN;
    sp_afr_movement(ca, ba, cb, bb, 3, m);
    CHECK(isnan(m[0]) && isnan(m[1]) && isnan(m[2]) && isnan(m[3]));
}

/* sp_afr_parse_marks: the noise probe's band syntax, its refusals. */
static void test_marks(void)
{
    double m[8];
    sp_error err;
    CHECK(sp_afr_parse_marks("1200-1600,1800-2100", 16000, m, 4, &err) == 2);
    CHECK(m[0] == 1200 && m[1] == 1600 && m[2] == 1800 && m[3] == 2100);
    CHECK(sp_afr_parse_marks(" 0-8000 ", 16000, m, 4, &err) == 1 && m[0] == 0 && m[1] == 8000);
    CHECK(sp_afr_parse_marks("1200.5-1600.25, 2000-2400", 16000, m, 4, &err) == 2 && m[0] == 1200.5 && m[2] == 2000);
    static const struct {
        const char *in, *msg;
    } bad[] = {
        { "1600-1200", "'1600-1200' is not f_lo-f_hi in Hz with 0 <= f_lo < f_hi <= 8000" },
        { "1200-9000", "'1200-9000' is not f_lo-f_hi" },
        { "-5-100", "'-5-100' is not f_lo-f_hi" },
        { "1200", "'1200' is not f_lo-f_hi" },
        { "1200-", "'1200-' is not f_lo-f_hi" },
        { "1200-1600,x", "'x' (in a comma list) is not f_lo-f_hi" },
        { "1200-1600,", "'' (in a comma list) is not f_lo-f_hi" },
        { "1800-2100,1200-1600", "1200-1600 does not start above the end of 1800-2100" },
        { "1200-1600,1500-2100", "1500-2100 does not start above the end of 1200-1600" },
        { "1-2,3-4,5-6,7-8,9-10", "is not a comma list of at most 4 bands" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err.msg[0] = '\0';
        CHECK_MSG(sp_afr_parse_marks(bad[i].in, 16000, m, 4, &err) == -1 && strstr(err.msg, bad[i].msg),
                  "'%s': %s", bad[i].in, err.msg);
    }
}

int main(void)
{
    sp_error err;

    /* ---- FFTW vs a direct DFT, random taps, several K and nfft */
    {
        static const int cases[][3] = { { 7, 251, 1024 }, { 3, 1024, 1024 }, { 4, 65, 4096 }, { 2, 1, 16 } };
        uint32_t seed = 12345;
        double worst = 0;
        for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
            int F = cases[t][0], K = cases[t][1], nfft = cases[t][2], bins = sp_afr_bins(nfft);
            float *taps = malloc((size_t)F * K * sizeof *taps);
            float *resp = malloc((size_t)F * bins * sizeof *resp), *afr = malloc((size_t)bins * sizeof *afr);
            for (int i = 0; i < F * K; i++) {
                seed = seed * 1664525u + 1013904223u;
                taps[i] = (float)((seed >> 8) / 16777216.0 - 0.5);
            }
            sp_afr *a = sp_afr_new(nfft, &err);
            CHECK_MSG(a != NULL, "%s", err.msg);
            if (!a) continue;
            CHECK(sp_afr_compute(a, taps, F, K, SP_AFR_NORM_NONE, 0, resp, afr, &err) == 0);
            for (int c = 0; c < F; c++) {
                double e = rel_err_vs_dft(taps + (size_t)c * K, K, nfft, resp + (size_t)c * bins);
                if (e > worst) worst = e;
                CHECK_MSG(e < 1e-5, "F %d K %d nfft %d filter %d: relative error %.3g", F, K, nfft, c, e);
            }
            /* AFR = mean |H| */
            double aerr = 0;
            for (int j = 0; j < bins; j++) {
                double m = 0;
                for (int c = 0; c < F; c++) m += resp[(size_t)c * bins + j];
                m /= F;
                double e = fabs(afr[j] - m) / (fabs(m) + 1e-30);
                if (e > aerr) aerr = e;
            }
            CHECK_MSG(aerr < 1e-6, "AFR is not the mean of |H|: %.3g", aerr);
            sp_afr_free(a);
            free(taps);
            free(resp);
            free(afr);
        }
        printf("FFTW vs direct DFT: worst relative error %.3g (of the peak |H|)\n", worst);
    }

    /* ---- a sinc band-pass against its analytic pass band */
    {
        int K = 251, nfft = 4096, bins = sp_afr_bins(nfft);
        double fs = 16000, f1 = 1000, f2 = 4000;
        sp_sinc_spec s = sp_sinc_spec_make(1, K, (float)fs);
        float low = (float)(f1 - s.min_low_hz), band = (float)(f2 - f1 - s.min_band_hz);
        float taps[251], c1, c2;
        sp_sinc_taps(taps, &low, &band, &s);
        sp_sinc_cutoffs(&c1, &c2, &low, &band, &s);
        CHECK(fabs(c1 - f1) < 1e-3 && fabs(c2 - f2) < 1e-3);
        CHECK(taps[K / 2] == 1.0f);
        float resp[2049], afr[2049], freqs[2049];
        sp_afr *a = sp_afr_new(nfft, &err);
        CHECK(sp_afr_compute(a, taps, 1, K, SP_AFR_NORM_NONE, 0, resp, afr, &err) == 0);
        sp_afr_freqs(freqs, nfft, fs);
        CHECK(freqs[bins - 1] == 8000.0f && freqs[1] == (float)(fs / nfft));
        double gain = fs / (2 * (f2 - f1)), gmin = INFINITY, gmax = 0, stop = 0;
        for (int j = 0; j < bins; j++) {
            double f = freqs[j];
            if (f > f1 + 300 && f < f2 - 300) {
                if (resp[j] < gmin) gmin = resp[j];
                if (resp[j] > gmax) gmax = resp[j];
            }
            if (f < f1 - 300 || f > f2 + 300)
                if (resp[j] > stop) stop = resp[j];
        }
        double ripple = fmax(fabs(gmin / gain - 1), fabs(gmax / gain - 1));
        CHECK_MSG(ripple < 0.01, "pass band %.4f..%.4f, analytic %.4f", gmin, gmax, gain);
        /* -6 dB points: the first and last bins at or above gain / 2 */
        int lo = -1, hi = -1;
        for (int j = 0; j < bins; j++)
            if (resp[j] >= gain / 2) {
                if (lo < 0) lo = j;
                hi = j;
            }
        double bin = fs / nfft, elo = freqs[lo] - f1, ehi = freqs[hi] - f2;
        CHECK_MSG(fabs(elo) <= 3 * bin && fabs(ehi) <= 3 * bin, "-6 dB at %.1f and %.1f Hz, cut-offs %.0f, %.0f",
                  freqs[lo], freqs[hi], f1, f2);
        double stop_db = 20 * log10(stop / gain);
        CHECK_MSG(stop_db < -45, "stop band only %.1f dB below the pass band", stop_db);
        printf("sinc 1000-4000 Hz, K 251, nfft 4096: pass band %.4f..%.4f (analytic %.4f, ripple %.2g), "
               "-6 dB at %.1f and %.1f Hz (%+.1f, %+.1f Hz; bin %.2f Hz), stop band %.1f dB\n",
               gmin, gmax, gain, ripple, freqs[lo], freqs[hi], elo, ehi, bin, stop_db);

        /* peak normalisation and dB */
        float rp[2049], ap[2049], rd[2049], ad[2049];
        CHECK(sp_afr_compute(a, taps, 1, K, SP_AFR_NORM_PEAK, 0, rp, ap, &err) == 0);
        CHECK(sp_afr_compute(a, taps, 1, K, SP_AFR_NORM_PEAK, 1, rd, ad, &err) == 0);
        double pmax = 0, dberr = 0, dbmin = 0;
        for (int j = 0; j < bins; j++) {
            if (rp[j] > pmax) pmax = rp[j];
            CHECK(ap[j] == rp[j]);
            double want = rp[j] > 0 ? fmax(20 * log10(rp[j]), SP_AFR_DB_FLOOR) : SP_AFR_DB_FLOOR;
            if (fabs(ad[j] - want) > dberr) dberr = fabs(ad[j] - want);
            if (ad[j] < dbmin) dbmin = ad[j];
        }
        CHECK(fabs(pmax - 1) < 1e-6);
        CHECK_MSG(dberr < 1e-3, "dB error %.3g", dberr);
        CHECK(dbmin >= SP_AFR_DB_FLOOR);

        /* two filters of different gain: peak normalisation evens them */
        float two[2 * 251], r2[2 * 2049], a2[2049];
        float lows[2] = { 950, 2950 }, bands[2] = { 2950, 150 };
        sp_sinc_spec s2 = sp_sinc_spec_make(2, K, (float)fs);
        sp_sinc_taps(two, lows, bands, &s2);
        CHECK(sp_afr_compute(a, two, 2, K, SP_AFR_NORM_PEAK, 0, r2, a2, &err) == 0);
        double e2 = 0;
        for (int j = 0; j < bins; j++) e2 = fmax(e2, fabs(a2[j] - 0.5 * (r2[j] + r2[bins + j])));
        CHECK_MSG(e2 < 1e-6, "peak-normalised AFR is not the mean: %.3g", e2);

        /* K > nfft is refused */
        sp_afr *small = sp_afr_new(128, &err);
        err.msg[0] = '\0';
        CHECK(sp_afr_compute(small, taps, 1, K, SP_AFR_NORM_NONE, 0, resp, afr, &err) == -1);
        CHECK_MSG(strstr(err.msg, "251 taps need nfft >= 251") != NULL, "%s", err.msg);
        sp_afr_free(small);
        CHECK(sp_afr_new(1023, &err) == NULL && strstr(err.msg, "nfft: 1023") != NULL);

        /* ---- figures */
        char *dir = sp_test_tmpdir();
        char path[4200];
        float rows[3 * 2049];
        for (int r = 0; r < 3; r++)
            for (int j = 0; j < bins; j++) rows[r * bins + j] = resp[j] * (1 + 0.1f * r);
        int lab[3] = { 1, 2, 3 };
        snprintf(path, sizeof path, "%s/heat.png", dir);
        CHECK_MSG(sp_afr_png_heatmap(path, rows, 3, bins, fs, 0, lab, "epoch", NULL, 0, &err) == 0, "%s", err.msg);
        CHECK(is_png(path));
        snprintf(path, sizeof path, "%s/curves.png", dir);
        long which[3] = { 0, 1, 2 };
        const char *names[3] = { "epoch 1", "epoch 2", "epoch 3" };
        CHECK_MSG(sp_afr_png_curves(path, rows, bins, fs, 0, 3, which, names, NULL, 0, &err) == 0, "%s", err.msg);
        CHECK(is_png(path));
        CHECK_MSG(sp_afr_png_curves(path, ad, bins, fs, 1, 1, which, names, NULL, 0, &err) == 0, "%s", err.msg);
        CHECK(is_png(path));
        /* with marks: drawn (the file differs), still a PNG */
        size_t n0, n1;
        char *plain = sp_read_file(path, &n0, &err);
        double marks[4] = { 1200, 1600, 1800, 2100 };
        CHECK_MSG(sp_afr_png_curves(path, ad, bins, fs, 1, 1, which, names, marks, 2, &err) == 0, "%s", err.msg);
        char *marked = sp_read_file(path, &n1, &err);
        CHECK(plain && marked && (n0 != n1 || memcmp(plain, marked, n0) != 0));
        free(plain);
        free(marked);
        snprintf(path, sizeof path, "%s/heat.png", dir);
        CHECK_MSG(sp_afr_png_heatmap(path, rows, 3, bins, fs, 0, lab, "epoch", marks, 2, &err) == 0, "%s", err.msg);
        CHECK(is_png(path));
        CHECK(count_entries(dir) == 2); /* no temporary files left */
        snprintf(path, sizeof path, "%s/nosuchdir/x.png", dir);
        CHECK(sp_afr_png_curves(path, rows, bins, fs, 0, 1, which, names, NULL, 0, &err) == -1);
        sp_test_rmtree(dir);
        free(dir);
        sp_afr_free(a);
    }
    test_bands();
    test_marks();
    return sp_test_result("test_afr");
}
