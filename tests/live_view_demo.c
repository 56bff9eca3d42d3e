/* live_view_demo.c - drives the views of `sincprobe live` (src/live/view.h)
 * and --watch (src/live/watch.h) for tests/live-window.sh and
 * tests/live-term.sh, without audio: a synthetic scene (F filters with
 * centres mel-spaced from 50 to 8000 Hz, Gaussian responses) and frames
 * in which the filters whose pass band holds a tone are 60 dB above the
 * rest.
 *
 *   live_view_demo [options]
 *     --kind window|term|none   the view (default term)
 *     --filters N               filters (40)
 *     --tone HZ                 the tone (1000)
 *     --frames N                frames pushed, then one forced present (1200)
 *     --realtime                push one frame per hop (10 ms) instead of
 *                               all at once, presenting as the view wants
 *     --forever                 with --realtime: until q or a signal
 *                               (or --seconds)
 *     --seconds S               at most S seconds (30)
 *     --save PNG                sp_live_view_save_png at the end
 *     --ready FILE              create FILE once the frames are shown (half
 *                               a second after the last one)
 *     --hold-until FILE         then keep the view open (polling) until
 *                               FILE exists, q, a signal or --seconds
 *     --bench                   each frame pushed and presented (forced):
 *                               prints the draws per second
 *     --color N, --columns N, --fps F, --width W, --height H: the options
 *     --watch RUNDIR            sp_live_watcher on RUNDIR instead; with
 *                               --epochs N it stops once N epochs are
 *                               drawn (exit 3 if --seconds pass first);
 *                               with --loop sp_live_watch (until q)
 *     --decode PNG PPM          read PNG with cairo, write it as binary PPM
 *                               (for the checker, tests/live_image.py)
 *     --available               print sp_live_view_window_available()
 *
 * Prints (after the view is closed, so on the main screen) one line:
 * "tone filters A..B of F", then "frames N, ended by quit|hold|time|once",
 * "draws/s X" or "epochs E draws D". Exit status: 0; 1 on an error; 128 + the signal
 * after SIGINT / SIGTERM (130 for Ctrl-C), the terminal put back first. */
#include "config.h"
#include "live/view.h"
#include "live/watch.h"

#include <cairo.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    const char *kind, *save, *ready, *hold, *watch;
    int filters, frames, realtime, forever, bench, color, columns, width, height, loop;
    long epochs;
    double tone, seconds, fps;
} demo_opts;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

static void nap_ms(int ms)
{
    struct timespec t = { ms / 1000, (long)(ms % 1000) * 1000000L };
    nanosleep(&t, NULL);
}

static int parse(int argc, char **argv, demo_opts *o)
{
    *o = (demo_opts){ .kind = "term", .filters = 40, .frames = 1200, .color = -1, .tone = 1000, .seconds = 30 };
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int used = 1;
        if (!strcmp(a, "--realtime")) o->realtime = 1, used = 0;
        else if (!strcmp(a, "--forever")) o->forever = 1, used = 0;
        else if (!strcmp(a, "--bench")) o->bench = 1, used = 0;
        else if (!strcmp(a, "--loop")) o->loop = 1, used = 0;
        else if (!v) return fprintf(stderr, "live_view_demo: %s needs a value\n", a), -1;
        else if (!strcmp(a, "--kind")) o->kind = v;
        else if (!strcmp(a, "--filters")) o->filters = atoi(v);
        else if (!strcmp(a, "--tone")) o->tone = atof(v);
        else if (!strcmp(a, "--frames")) o->frames = atoi(v);
        else if (!strcmp(a, "--seconds")) o->seconds = atof(v);
        else if (!strcmp(a, "--save")) o->save = v;
        else if (!strcmp(a, "--ready")) o->ready = v;
        else if (!strcmp(a, "--hold-until")) o->hold = v;
        else if (!strcmp(a, "--color")) o->color = atoi(v);
        else if (!strcmp(a, "--columns")) o->columns = atoi(v);
        else if (!strcmp(a, "--fps")) o->fps = atof(v);
        else if (!strcmp(a, "--width")) o->width = atoi(v);
        else if (!strcmp(a, "--height")) o->height = atoi(v);
        else if (!strcmp(a, "--watch")) o->watch = v;
        else if (!strcmp(a, "--epochs")) o->epochs = atol(v);
        else return fprintf(stderr, "live_view_demo: unknown option '%s'\n", a), -1;
        i += used;
    }
    return 0;
}

// ----------------------------------------------------------------------------
// the synthetic scene and frames

enum { NFREQ = 257 };

typedef struct {
    int F;
    float *centre, *low, *high, *freq, *resp, *afr, *energy;
    int t0, t1; /* the filters whose band holds the tone */
} scene_data;

static double mel(double hz) { return 2595 * log10(1 + hz / 700); }
static double hz_of(double m) { return 700 * (pow(10, m / 2595) - 1); }

static void make_scene(scene_data *d, int F, double tone)
{
    d->F = F;
    d->centre = calloc((size_t)F, sizeof(float));
    d->low = calloc((size_t)F, sizeof(float));
    d->high = calloc((size_t)F, sizeof(float));
    d->energy = calloc((size_t)F, sizeof(float));
    d->freq = calloc(NFREQ, sizeof(float));
    d->resp = calloc((size_t)F * NFREQ, sizeof(float));
    d->afr = calloc(NFREQ, sizeof(float));
    /* centres at F of F + 2 mel-spaced points from 50 to 8000 Hz, each
     * band from its neighbours' centres */
    double m0 = mel(50), m1 = mel(8000);
    d->t0 = d->t1 = -1;
    for (int f = 0; f < F; f++) {
        d->low[f] = (float)hz_of(m0 + (m1 - m0) * f / (F + 1));
        d->centre[f] = (float)hz_of(m0 + (m1 - m0) * (f + 1) / (F + 1));
        d->high[f] = (float)hz_of(m0 + (m1 - m0) * (f + 2) / (F + 1));
        if (d->low[f] <= tone && tone <= d->high[f]) {
            if (d->t0 < 0) d->t0 = f;
            d->t1 = f;
        }
    }
    for (int j = 0; j < NFREQ; j++) d->freq[j] = (float)(8000.0 * j / (NFREQ - 1));
    for (int f = 0; f < F; f++) {
        double s = (d->high[f] - d->low[f]) / 4;
        for (int j = 0; j < NFREQ; j++) {
            double z = (d->freq[j] - d->centre[f]) / s;
            d->resp[(size_t)f * NFREQ + j] = (float)exp(-0.5 * z * z);
            d->afr[j] += d->resp[(size_t)f * NFREQ + j] / F;
        }
    }
}

static void free_scene(scene_data *d)
{
    free(d->centre);
    free(d->low);
    free(d->high);
    free(d->energy);
    free(d->freq);
    free(d->resp);
    free(d->afr);
}

/* Frame i: -70 dB (+- 3 dB of a fixed pattern) but the tone's filters at
 * -10 dB; level -20 dBFS; three phones. */
static sp_live_frame make_frame(scene_data *d, long i)
{
    static const char *const ph[3] = { "aa", "iy", "sh" };
    static const float pr[3] = { 0.6f, 0.3f, 0.1f };
    for (int f = 0; f < d->F; f++)
        d->energy[f] = f >= d->t0 && f <= d->t1 ? -10.0f : -70.0f + 3.0f * (float)sin(0.7 * f + 0.13 * i);
    sp_live_frame fr = { d->energy, -20.0f + 2.0f * (float)sin(0.05 * i), 3, ph, pr, 0, 0.01 * (i + 1) };
    return fr;
}

// ----------------------------------------------------------------------------
// the modes

static int touch(const char *path)
{
    FILE *f = path ? fopen(path, "w") : NULL;
    if (f) fclose(f);
    return f ? 0 : -1;
}

/* Poll and present until q, a signal, the hold file or the deadline;
 * with --realtime a frame per 10 ms (count: frames pushed so far).
 * *why: what ended it, "quit" (a key, a closed window, a signal),
 * "hold" or "time" ("once" without --realtime or a hold file). */
static int run_loop(sp_live_view *v, scene_data *d, const demo_opts *o, long *count, double end, const char **why,
                    sp_error *err)
{
    double next = now_s(), shown = now_s();
    int ready = 0;
    for (;;) {
        sp_live_key k = sp_live_view_poll(v);
        *why = k == SP_LIVE_QUIT ? "quit" : now_s() >= end ? "time" : o->hold && access(o->hold, F_OK) == 0 ? "hold" : NULL;
        if (*why) return 0;
        if (o->realtime && (o->forever || *count < o->frames) && now_s() >= next) {
            sp_live_frame fr = make_frame(d, *count);
            sp_live_view_push(v, &fr);
            ++*count;
            next += 0.01;
        }
        if (sp_live_view_present(v, 0, err) < 0) return -1;
        /* ready half a second after the last frame: the window has been
         * mapped and exposed, and drawn again, by then */
        if (o->realtime && *count < o->frames) shown = now_s();
        if (o->ready && !ready && now_s() - shown > 0.5) ready = touch(o->ready) == 0;
        if (!o->realtime && !o->hold) {
            *why = "once";
            return 0;
        }
        nap_ms(2);
    }
}

static int run_view(const demo_opts *o)
{
    scene_data d;
    make_scene(&d, o->filters, o->tone);
    sp_live_scene sc = { d.F, d.centre, d.low, d.high, NFREQ, d.freq, d.resp, d.afr, 0.01, 3, "demo scene", -80, 0 };
    sp_live_view_opts vo = { o->kind, o->width, o->height, o->columns, o->fps, o->color };
    sp_error err;
    sp_live_view *v = sp_live_view_open(&vo, &sc, &err);
    long count = 0, draws = 0;
    int rc = v ? 0 : -1;
    double t0 = now_s(), end = t0 + o->seconds;
    for (; v && !o->realtime && count < o->frames && rc == 0; count++) {
        sp_live_frame fr = make_frame(&d, count);
        sp_live_view_push(v, &fr);
        if (o->bench) rc = sp_live_view_present(v, 1, &err) < 0 ? -1 : 0, draws++;
    }
    double dt = now_s() - t0;
    if (rc == 0 && v && !o->bench) rc = sp_live_view_present(v, 1, &err) < 0 ? -1 : 0;
    const char *why = "error";
    if (rc == 0 && v) rc = run_loop(v, &d, o, &count, end, &why, &err);
    if (rc == 0 && v && o->save) rc = sp_live_view_save_png(v, o->save, &err);
    sp_live_view_close(v);
    free_scene(&d);
    if (rc != 0) return fprintf(stderr, "live_view_demo: %s\n", err.msg), 1;
    if (sp_live_view_interrupted()) return 128 + sp_live_view_interrupted();
    printf("tone filters %d..%d of %d\n", d.t0, d.t1, d.F);
    if (o->bench) printf("draws/s %.1f (%.2f ms a draw, %ld draws)\n", draws / dt, 1000 * dt / draws, draws);
    else printf("frames %ld, ended by %s\n", count, why);
    return 0;
}

static int run_watch(const demo_opts *o)
{
    sp_live_view_opts vo = { o->kind, o->width, o->height, 0, 0, o->color };
    sp_error err;
    if (o->loop) { /* sp_live_watch itself: until q, a signal or --seconds */
        if (sp_live_watch(o->watch, &vo, o->seconds, &err) != 0)
            return fprintf(stderr, "live_view_demo: %s\n", err.msg), 1;
        return sp_live_view_interrupted() ? 128 + sp_live_view_interrupted() : 0;
    }
    sp_live_watcher *w = sp_live_watcher_open(o->watch, &vo, &err);
    int rc = w ? 0 : -1, done = 0;
    double end = now_s() + o->seconds;
    while (rc == 0 && !done && now_s() < end) {
        sp_live_key k;
        rc = sp_live_watcher_step(w, &k, &err);
        done = k == SP_LIVE_QUIT || (o->epochs > 0 && sp_live_watcher_epochs(w) >= o->epochs);
        nap_ms(20);
    }
    if (rc == 0 && w && o->save) rc = sp_live_watcher_save_png(w, o->save, &err);
    long epochs = w ? sp_live_watcher_epochs(w) : 0, draws = w ? sp_live_watcher_draws(w) : 0;
    sp_live_watcher_close(w);
    if (rc != 0) return fprintf(stderr, "live_view_demo: %s\n", err.msg), 1;
    if (sp_live_view_interrupted()) return 128 + sp_live_view_interrupted();
    printf("epochs %ld draws %ld\n", epochs, draws);
    return o->epochs > 0 && epochs < o->epochs ? 3 : 0;
}

/* PNG -> binary PPM through cairo's PNG reader. */
static int decode(const char *png, const char *ppm)
{
    cairo_surface_t *s = cairo_image_surface_create_from_png(png);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS) {
        fprintf(stderr, "live_view_demo: '%s': %s\n", png, cairo_status_to_string(cairo_surface_status(s)));
        cairo_surface_destroy(s);
        return 1;
    }
    int W = cairo_image_surface_get_width(s), H = cairo_image_surface_get_height(s);
    int stride = cairo_image_surface_get_stride(s);
    const unsigned char *px = cairo_image_surface_get_data(s);
    FILE *f = fopen(ppm, "wb");
    if (!f) return fprintf(stderr, "live_view_demo: cannot write '%s'\n", ppm), cairo_surface_destroy(s), 1;
    fprintf(f, "P6\n%d %d\n255\n", W, H);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint32_t p = ((const uint32_t *)(const void *)(px + (size_t)y * stride))[x];
            unsigned char rgb[3] = { (unsigned char)(p >> 16), (unsigned char)(p >> 8), (unsigned char)p };
            fwrite(rgb, 1, 3, f);
        }
    fclose(f);
    cairo_surface_destroy(s);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && !strcmp(argv[1], "--decode")) return decode(argv[2], argv[3]);
    if (argc == 2 && !strcmp(argv[1], "--available")) return printf("%d\n", sp_live_view_window_available()), 0;
    demo_opts o;
    if (parse(argc, argv, &o) != 0) return 2;
    return o.watch ? run_watch(&o) : run_view(&o);
}
