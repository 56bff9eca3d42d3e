/* cmd_live.c - `sincprobe live`: a trained model's first layer on the
 * microphone (or a file played in real time), drawn as it happens.
 *
 *   capture (PortAudio callback, or a file thread) -> ring (lock-free)
 *   -> engine worker (resample, filterbank per hop, posteriors, record)
 *   -> frame queue -> this thread (view: window, terminal or none)
 *
 * This thread owns the view (SDL wants its window used from the thread
 * that made it) and measures what the user sees: draws per second and
 * capture-to-screen latency, the time from a hop's last sample leaving
 * the ADC (the capture clock's stamp) to the end of the draw that first
 * shows it. */
#include "config.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "live/capture.h"
#include "live/engine.h"
#include "live/ring.h"
#include "live/view.h"
#include "live/watch.h"
#include "base/util.h"

#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *const usage[] = {
    "sincprobe live MODEL [--device N|NAME] [--rate R] [--display window|term|none] [--phones] "
    "[--input FILE [--fast]] [--record FILE] [--seconds S] [--hop MS] [--stats]",
    "   or: sincprobe live --list-devices",
    "   or: sincprobe live --watch RUNDIR [--display window|term|none] [--seconds S]",
    "",
    "  MODEL              a checkpoint, or a run directory (its best checkpoint)",
    "  --list-devices     list the input devices PortAudio sees, and exit",
    "  --device N|NAME    input device: its number, or (part of) its name (default: the default input)",
    "  --rate R           capture rate in Hz (default 16000 if the device takes it); resampled to 16 kHz",
    "  --display KIND     window (default with a display), term (default without), none",
    "  --phones           also run the whole model on the last 200 ms every hop; show the top phones",
    "  --input FILE       play an audio file through the same path, in real time",
    "  --fast             with --input: as fast as it can be processed",
    "  --record FILE      write every hop's band energies (and posteriors) as .npy or .tsv",
    "  --seconds S        stop after S seconds of audio (default: until q, Ctrl-C or the file's end)",
    "  --hop MS           hop in milliseconds (default 10)",
    "  --stats            print compute time per hop, latency, frames per second, overruns at exit",
    "  --watch RUNDIR     follow a training: redraw its AFR and cut-offs each time an epoch ends",
    NULL,
};

static const char *const displays[] = { "window", "term", "none", NULL };

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { interrupted = sig; }

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int list_devices(void)
{
    sp_capture_device *d = NULL;
    int n = 0;
    sp_error err;
    if (sp_capture_list(&d, &n, &err) != 0) {
        sp_errorf("%s", err.msg);
        return SP_EXIT_FAIL;
    }
    if (n == 0) printf("no input devices (check `arecord -l` and the ALSA configuration)\n");
    else printf("  #  channels  default Hz  host API  name\n");
    for (int i = 0; i < n; i++)
        printf("%c%2d  %8d  %10.0f  %-8s  %s\n", d[i].is_default ? '*' : ' ', d[i].index,
               d[i].max_input_channels, d[i].default_rate, d[i].hostapi, d[i].name);
    free(d);
    return SP_EXIT_OK;
}

/* What the user sees, measured at the drawing thread. */
typedef struct {
    double *lat;        /* capture-to-screen latency of each draw, seconds */
    size_t nlat, cap;
    uint64_t draws;
    double t0, t1;      /* first and last draw */
} screen_stats;

static void note_draw(screen_stats *s, const sp_capture *cap, double frame_end_s, int realtime)
{
    double t = now_s();
    if (s->draws++ == 0) s->t0 = t;
    s->t1 = t;
    if (!realtime) return;
    uint64_t written;
    double clock;
    sp_capture_stamp(cap, &written, &clock);
    double rate = sp_capture_rate(cap);
    /* the capture time of the frame's last sample, on the capture clock */
    double captured = clock - ((double)written - frame_end_s * rate) / rate;
    if (s->nlat == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 4096;
        s->lat = sp_xrealloc(s->lat, s->cap * sizeof *s->lat);
    }
    s->lat[s->nlat++] = sp_capture_now(cap) - captured;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void print_stats(const sp_live_engine *e, const sp_capture *cap, screen_stats *s)
{
    sp_live_engine_stats st;
    sp_live_engine_stats_get(e, &st);
    fprintf(stderr, "live: %llu hops, %.1f s of audio; compute per hop %.3f ms mean, %.3f ms p99, %.3f ms max\n",
            (unsigned long long)st.hops, st.audio_s, st.hop_ms_mean, st.hop_ms_p99, st.hop_ms_max);
    if (st.phones_ms_mean > 0)
        fprintf(stderr, "live: of which posteriors %.3f ms mean, %.3f ms p99; skipped for %llu hops (falling behind)\n",
                st.phones_ms_mean, st.phones_ms_p99, (unsigned long long)st.phones_skipped);
    double span = s->t1 - s->t0;
    fprintf(stderr, "live: %llu draws, %.1f frames per second\n", (unsigned long long)s->draws,
            s->draws > 1 && span > 0 ? (double)(s->draws - 1) / span : 0.0);
    if (s->nlat > 0) {
        qsort(s->lat, s->nlat, sizeof *s->lat, cmp_double);
        double sum = 0;
        for (size_t i = 0; i < s->nlat; i++) sum += s->lat[i];
        fprintf(stderr, "live: capture-to-screen latency %.1f ms mean, %.1f ms p99 (%zu draws)\n",
                1e3 * sum / (double)s->nlat, 1e3 * s->lat[(size_t)(0.99 * (double)(s->nlat - 1))], s->nlat);
    }
    fprintf(stderr, "live: overruns %llu (capture), frames dropped %llu (drawing too slow)\n",
            (unsigned long long)sp_capture_overruns(cap), (unsigned long long)st.frames_dropped);
}

typedef struct {
    const char *device, *input, *record;
    double rate, seconds;
    int display, phones, fast, hop_ms, stats;
} live_args;

static int capture_done(void *ctx) { return sp_capture_finished(ctx); }

/* The drawing loop: frames from the engine into the view until the
 * engine ends, the user quits (the view itself acts on space and s) or a
 * signal arrives. */
static int draw_loop(sp_live_engine *e, sp_live_view *v, sp_capture *cap, const live_args *a, screen_stats *ss)
{
    double last_end = 0;
    sp_error err;
    for (;;) {
        sp_live_frame f;
        int got = 0, r;
        while ((r = sp_live_engine_next(e, &f)) == 1) {
            sp_live_view_push(v, &f);
            last_end = f.t_s;
            got = 1;
        }
        if (got && !sp_live_view_paused(v)) {
            int drew = sp_live_view_present(v, 0, &err);
            if (drew < 0) {
                sp_errorf("%s", err.msg);
                return -1;
            }
            if (drew) note_draw(ss, cap, last_end, !a->fast);
        }
        if (sp_live_view_poll(v) == SP_LIVE_QUIT || r < 0 || interrupted) return 0;
        if (sp_capture_check(cap, &err) != 0) {
            sp_errorf("%s", err.msg);
            return -1;
        }
        if (!got) sp_live_engine_wait(e, 0.005);
    }
}

/* The exit status after a stop: 128 + the signal that stopped it. */
static int signal_status(void)
{
    int sig = interrupted ? (int)interrupted : sp_live_view_interrupted();
    return sig ? 128 + sig : SP_EXIT_OK;
}

static int run_live(const char *model, const live_args *a)
{
    sp_model m;
    char *ckpt = NULL, *rundir = NULL;
    if (sp_cli_load_model(model, 1, &m, &ckpt, &rundir) != 0) {
        free(ckpt);
        free(rundir);
        return SP_EXIT_FAIL;
    }
    sp_set_threads(1);
    int rc = SP_EXIT_FAIL;
    sp_error err;
    sp_ring ring;
    memset(&ring, 0, sizeof ring);
    sp_capture *cap = NULL;
    sp_live_engine *e = NULL;
    sp_live_view *v = NULL;
    screen_stats ss = { 0 };
    if (sp_ring_init(&ring, (size_t)1 << 19, &err) != 0) goto fail;
    cap = a->input ? sp_capture_open_file(a->input, !a->fast, &ring, &err)
                   : sp_capture_open_device(a->device, a->rate, &ring, &err);
    if (!cap) goto fail;
    if (sp_capture_note(cap)) sp_log(SP_LOG_NOTE, "%s", sp_capture_note(cap));
    sp_live_engine_opts eo = { .in_rate = sp_capture_rate(cap), .hop_ms = a->hop_ms, .window_ms = 25,
                               .phones = a->phones ? 5 : 0, .record = a->record, .seconds = a->seconds,
                               .keep_up = !a->fast };
    if (!(e = sp_live_engine_new(&m, &eo, &err))) goto fail;
    sp_live_scene scene;
    sp_live_engine_scene(e, &scene);
    scene.title = ckpt;
    sp_live_view_opts vo = { .kind = displays[a->display], .color = -1 };
    if (!(v = sp_live_view_open(&vo, &scene, &err))) goto fail;
    if (sp_live_engine_start(e, &ring, capture_done, cap, &err) != 0 || sp_capture_start(cap, &err) != 0) goto fail;
    int loop = draw_loop(e, v, cap, a, &ss);
    sp_capture_stop(cap);
    if (sp_live_engine_stop(e, &err) != 0 || loop != 0) goto fail_printed;
    if (a->stats) print_stats(e, cap, &ss);
    rc = signal_status();
    goto out;
fail:
    sp_errorf("%s", err.msg);
fail_printed:
    if (cap) sp_capture_stop(cap);
out:
    if (v) sp_live_view_close(v);
    if (e) sp_live_engine_free(e);
    if (cap) sp_capture_close(cap);
    if (ring.buf) sp_ring_free(&ring);
    free(ss.lat);
    sp_model_free(&m);
    free(ckpt);
    free(rundir);
    return rc;
}

/* window when a window can be opened, else term when stdout is one,
 * else none. */
static int default_display(void)
{
    if (sp_live_view_window_available()) return 0;
    return isatty(STDOUT_FILENO) ? 1 : 2;
}

int cmd_live(int argc, char **argv)
{
    live_args a = { .display = -1, .hop_ms = 10 };
    int list = 0;
    const char *watch = NULL;
    sp_opt opts[] = {
        SP_OPT_FLAG("--list-devices", &list),
        SP_OPT_STRING_NONEMPTY("--device", &a.device),
        SP_OPT_NUMBER("--rate", &a.rate),
        SP_OPT_CHOICE("--display", &a.display, displays),
        SP_OPT_FLAG("--phones", &a.phones),
        SP_OPT_STRING_NONEMPTY("--input", &a.input),
        SP_OPT_FLAG("--fast", &a.fast),
        SP_OPT_STRING_NONEMPTY("--record", &a.record),
        SP_OPT_NUMBER("--seconds", &a.seconds),
        SP_OPT_INT("--hop", &a.hop_ms, 1, 1000),
        SP_OPT_FLAG("--stats", &a.stats),
        SP_OPT_STRING_NONEMPTY("--watch", &watch),
        SP_OPT_END,
    };
    int status, nargs = sp_opt_parse(usage, opts, 1, argc, argv, &status);
    if (nargs < 0) return status;
    if (list) return nargs ? sp_usage_error(usage, "--list-devices takes no MODEL") : list_devices();
    if (a.rate < 0 || (a.rate > 0 && (a.rate < 1000 || a.rate > 384000)))
        return sp_usage_error(usage, "invalid value for '--rate': expected a rate from 1000 to 384000 Hz");
    if (a.seconds < 0) return sp_usage_error(usage, "invalid value for '--seconds': expected a number >= 0");
    if (a.fast && !a.input) return sp_usage_error(usage, "--fast needs --input FILE");
    if (a.input && (a.device || a.rate > 0))
        return sp_usage_error(usage, "--input plays a file: --device and --rate are for capture");
    if (a.display < 0) a.display = default_display();
    if (a.display == 2) { /* the window and the terminal views catch them themselves */
        signal(SIGINT, on_signal);
        signal(SIGTERM, on_signal);
    }
    if (watch) {
        if (nargs) return sp_usage_error(usage, "--watch RUNDIR takes no MODEL");
        sp_live_view_opts vo = { .kind = displays[a.display], .color = -1 };
        sp_error err;
        if (sp_live_watch(watch, &vo, a.seconds, &err) != 0) {
            sp_errorf("%s", err.msg);
            return SP_EXIT_FAIL;
        }
        return signal_status();
    }
    if (nargs != 1) return sp_usage_error(usage, "a MODEL is required (a checkpoint or a run directory)");
    return run_live(argv[1], &a);
}
