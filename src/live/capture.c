/* capture.c - see capture.h. Two sources feed the same ring: a PortAudio
 * input stream (its callback writes) and an audio file (a thread writes,
 * paced like a sound card or as fast as the ring drains).
 *
 * The stamp. The producer publishes the pair (samples written into the
 * ring in all, capture clock of the last of them) after every write. The
 * pair is two words, so it is published under a sequence lock: the
 * writer makes the sequence odd, stores both words, makes it even again;
 * the reader retries while the sequence is odd or changed under it. All
 * three are C11 atomics (no data race), the fences order them, and the
 * writer never waits (it is the real-time callback). */
#include "config.h"
#include "live/capture.h"
#include "corpus/audio.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <portaudio.h>
#include <pthread.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

enum { SOURCE_DEVICE, SOURCE_FILE };

/* The most channels tried (try_rate); the callback averages them. */
#define MAX_CHANNELS 8
/* Samples the callback mixes at a time, on its stack. */
#define MIX_CHUNK 256

struct sp_capture {
    int source;
    sp_ring *ring;
    double rate;
    char name[160];             /* the device or the file, for messages */
    char note[256];
    int has_note;
    _Atomic uint64_t pa_overflows;  /* callbacks PortAudio flagged paInputOverflow */
    _Atomic uint64_t short_writes;  /* ring writes that did not fit whole */
    _Atomic unsigned stamp_seq;     /* odd while the pair below is being written */
    _Atomic uint64_t stamp_written;
    _Atomic uint64_t stamp_clock;   /* the bits of a double, seconds */
    uint64_t written;               /* the producer's own running count */
    /* a device */
    PaStream *stream;
    int channels;
    int pa_initialised;
    int running;
    /* a file */
    SNDFILE *sf;
    int file_channels;
    int realtime;
    float *block;                   /* file_channels x block_frames, interleaved */
    float *mono;
    size_t block_frames;
    pthread_t thread;
    int thread_running;
    _Atomic int stop;
    _Atomic int finished;
};

/* ---- the stamp (seqlock; one writer, any readers) */

static void stamp_publish(sp_capture *c, uint64_t written, double clock)
{
    uint64_t bits;
    memcpy(&bits, &clock, sizeof bits);
    unsigned s = atomic_load_explicit(&c->stamp_seq, memory_order_relaxed);
    atomic_store_explicit(&c->stamp_seq, s + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&c->stamp_written, written, memory_order_relaxed);
    atomic_store_explicit(&c->stamp_clock, bits, memory_order_relaxed);
    atomic_store_explicit(&c->stamp_seq, s + 2, memory_order_release);
}

void sp_capture_stamp(const sp_capture *c, uint64_t *written, double *clock)
{
    sp_capture *m = (sp_capture *)c; /* atomics are loaded, never changed */
    unsigned s1, s2;
    uint64_t w, bits;
    do {
        s1 = atomic_load_explicit(&m->stamp_seq, memory_order_acquire);
        w = atomic_load_explicit(&m->stamp_written, memory_order_relaxed);
        bits = atomic_load_explicit(&m->stamp_clock, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        s2 = atomic_load_explicit(&m->stamp_seq, memory_order_relaxed);
    } while ((s1 & 1u) || s1 != s2);
    *written = w;
    memcpy(clock, &bits, sizeof *clock);
}

/* ---- PortAudio's chatter
 *
 * Pa_Initialize probes every host API and every PCM the ALSA
 * configuration names. ALSA prints a line for each definition without a
 * card behind it ("ALSA lib pcm.c:2666:(snd_pcm_open_noupdate) Unknown PCM
 * cards.pcm.rear"), libjack prints "Cannot connect to server socket" when
 * no JACK server runs; none of it is an error for us. So while PortAudio
 * probes, opens or closes (Pa_Initialize, Pa_IsFormatSupported,
 * Pa_OpenStream, Pa_StartStream, Pa_Terminate), the process's standard
 * error descriptor points at an anonymous in-memory file; afterwards it is
 * restored, and the text is kept, as the tail of err->msg, only when the
 * call failed. JACK_NO_START_SERVER=1 (unless the user set it) keeps
 * libjack from trying to start a server. ALSA's snd_lib_error_set_handler
 * would catch ALSA's lines only, not JACK's, and would mean linking
 * libasound; the descriptor catches both. The catch: whatever another
 * thread writes there during those milliseconds is caught too
 * (`sincprobe live` opens its device before it starts other threads).
 * What PortAudio prints from its own thread while a stream runs (its
 * "Expression '...' failed" lines when a stream dies) is a real error and
 * stays visible; sp_capture_check reports the stream's end. The
 * descriptor is named by number because this code never writes to it, it
 * only points it elsewhere for a moment. */
#define CHATTER_FD 2

typedef struct {
    int saved; /* the real descriptor, or -1 when not redirected */
    int file;
} chatter;

static void chatter_begin(chatter *q)
{
    q->file = memfd_create("sincprobe-portaudio", MFD_CLOEXEC);
    if (q->file < 0) q->file = open("/dev/null", O_WRONLY | O_CLOEXEC);
    q->saved = q->file >= 0 ? dup(CHATTER_FD) : -1;
    if (q->saved >= 0 && dup2(q->file, CHATTER_FD) < 0) {
        close(q->saved);
        q->saved = -1;
    }
}

/* Restores the descriptor; with text, keeps the last size-1 bytes caught
 * (trailing white space trimmed). */
static void chatter_end(chatter *q, char *text, size_t size)
{
    if (q->saved >= 0) {
        dup2(q->saved, CHATTER_FD);
        close(q->saved);
    }
    if (text && size) {
        text[0] = '\0';
        off_t end = q->file >= 0 ? lseek(q->file, 0, SEEK_END) : -1;
        if (end > 0) {
            off_t from = end > (off_t)(size - 1) ? end - (off_t)(size - 1) : 0;
            ssize_t got = pread(q->file, text, (size_t)(end - from), from);
            text[got > 0 ? got : 0] = '\0';
        }
        while (*text && strchr(" \n", text[strlen(text) - 1])) text[strlen(text) - 1] = '\0';
    }
    if (q->file >= 0) close(q->file);
}

/* err's message, then what PortAudio and its host APIs printed, on the
 * same line (newlines become " | "). Returns -1. */
static int append_chatter(sp_error *err, const char *text)
{
    if (!text || !*text) return -1;
    char line[SP_ERRLEN];
    size_t m = 0;
    for (const char *p = text; *p && m + 4 < sizeof line; p++) {
        if (*p == '\n') {
            memcpy(line + m, " | ", 3);
            m += 3;
        } else {
            line[m++] = *p;
        }
    }
    line[m] = '\0';
    return sp_error_append(err, " (PortAudio printed: %s)", line);
}

static int pa_start_library(sp_error *err)
{
    setenv("JACK_NO_START_SERVER", "1", 0);
    chatter q;
    chatter_begin(&q);
    PaError e = Pa_Initialize();
    char said[400];
    chatter_end(&q, said, sizeof said);
    if (e == paNoError) return 0;
    sp_fail(err, "cannot initialise PortAudio: %s", Pa_GetErrorText(e));
    return append_chatter(err, said);
}

static void pa_end_library(void)
{
    chatter q;
    chatter_begin(&q);
    Pa_Terminate();
    chatter_end(&q, NULL, 0);
}

/* ---- the device list */

/* The input devices of an initialised PortAudio; *devs malloc'd. */
static int collect_inputs(sp_capture_device **devs, int *n, sp_error *err)
{
    *devs = NULL;
    *n = 0;
    int count = Pa_GetDeviceCount();
    if (count < 0) return sp_fail(err, "PortAudio cannot count devices: %s", Pa_GetErrorText(count));
    PaDeviceIndex def = Pa_GetDefaultInputDevice();
    sp_capture_device *d = sp_xcalloc(count > 0 ? (size_t)count : 1, sizeof *d);
    int m = 0;
    for (int i = 0; i < count; i++) {
        const PaDeviceInfo *info = Pa_GetDeviceInfo(i);
        if (!info || info->maxInputChannels <= 0) continue;
        const PaHostApiInfo *api = Pa_GetHostApiInfo(info->hostApi);
        d[m].index = i;
        snprintf(d[m].name, sizeof d[m].name, "%s", info->name ? info->name : "");
        snprintf(d[m].hostapi, sizeof d[m].hostapi, "%s", api && api->name ? api->name : "?");
        d[m].max_input_channels = info->maxInputChannels;
        d[m].default_rate = info->defaultSampleRate;
        d[m].is_default = i == def;
        m++;
    }
    *devs = d;
    *n = m;
    return 0;
}

int sp_capture_list(sp_capture_device **devs, int *n, sp_error *err)
{
    *devs = NULL;
    *n = 0;
    if (pa_start_library(err) != 0) return -1;
    int rc = collect_inputs(devs, n, err);
    pa_end_library();
    return rc;
}

/* "0 'name' (ALSA, default), 3 'other' (ALSA)" into err's message. */
static void append_device_list(sp_error *err, const sp_capture_device *d, int n)
{
    for (int i = 0; i < n; i++)
        sp_error_append(err, "%s%d '%s' (%s%s)", i ? ", " : "", d[i].index, d[i].name,
                        d[i].hostapi, d[i].is_default ? ", default" : "");
}

static int fail_no_inputs(sp_error *err)
{
    return sp_fail(err, "no audio input device found: PortAudio lists none (no sound card or microphone, "
                        "or another program holds them open; `arecord -l` lists ALSA's capture hardware; "
                        "check the ALSA configuration, ~/.asoundrc and /etc/asound.conf; or play a file "
                        "with --input FILE)");
}

static int all_digits(const char *s)
{
    if (!*s) return 0;
    for (; *s; s++)
        if (*s < '0' || *s > '9') return 0;
    return 1;
}

/* Which of the n input devices `want` names: the default for NULL or "",
 * a PortAudio index, an exact name, else a unique case-insensitive part of
 * one. Returns its position in d, or -1 with err listing the devices. */
static int pick_device(const char *want, const sp_capture_device *d, int n, sp_error *err)
{
    if (n == 0) return fail_no_inputs(err);
    if (!want || !*want) {
        for (int i = 0; i < n; i++)
            if (d[i].is_default) return i;
        return 0; /* no default input: the first there is */
    }
    if (all_digits(want)) {
        long index = strtol(want, NULL, 10);
        for (int i = 0; i < n; i++)
            if (d[i].index == index) return i;
        sp_fail(err, "device %s is not an input device; input devices: ", want);
        append_device_list(err, d, n);
        return -1;
    }
    for (int i = 0; i < n; i++)
        if (strcmp(d[i].name, want) == 0) return i;
    int found = -1, matches = 0;
    for (int i = 0; i < n; i++)
        if (strcasestr(d[i].name, want)) {
            found = i;
            matches++;
        }
    if (matches == 1) return found;
    if (matches == 0)
        sp_fail(err, "no input device '%s' (a device another program holds open may be missing); "
                     "input devices: ", want);
    else
        sp_fail(err, "'%s' matches %d input devices (give more of the name, or the number): ", want, matches);
    append_device_list(err, d, n);
    return -1;
}

/* ---- the stream's format */

/* Another program holds the device: PortAudio says so, or ALSA's EBUSY
 * comes through as a host error. */
static int pa_busy(PaError e)
{
    if (e == paDeviceUnavailable) return 1;
    if (e != paUnanticipatedHostError) return 0;
    const PaHostErrorInfo *h = Pa_GetLastHostErrorInfo();
    return h && h->hostApiType == paALSA && h->errorCode == -EBUSY;
}

static int fail_busy(sp_error *err, const char *name)
{
    return sp_fail(err, "input device '%s' is busy: another program is using it (close that program, "
                        "or pick another device with --device; ALSA's 'default' and 'dsnoop' devices "
                        "can share a card, its 'hw:' devices cannot)", name);
}

static PaStreamParameters input_params(int device, int channels)
{
    const PaDeviceInfo *info = Pa_GetDeviceInfo(device);
    PaStreamParameters p;
    memset(&p, 0, sizeof p);
    p.device = device;
    p.channelCount = channels;
    p.sampleFormat = paFloat32;
    p.suggestedLatency = info ? info->defaultLowInputLatency : 0.02;
    p.hostApiSpecificStreamInfo = NULL;
    return p;
}

/* Does the device take float input at rate? Returns paFormatIsSupported
 * with *channels set, or the first refusal (a busy device's at once).
 * The channel counts tried, in order: a device with exactly two inputs
 * (most sound cards' hw devices) is captured in stereo and averaged,
 * because PortAudio's ALSA host API accepts mono from a stereo-only
 * device by keeping the first channel alone, which loses a microphone
 * wired to the second; any other device in mono first (ALSA's plug and
 * default devices, which report 128 channels, mix down themselves), then
 * the fewest channels it takes. Each call opens the device. */
static PaError try_rate(const sp_capture_device *d, double rate, int *channels)
{
    int order[MAX_CHANNELS], n = 0;
    int most = d->max_input_channels < MAX_CHANNELS ? d->max_input_channels : MAX_CHANNELS;
    if (most == 2) order[n++] = 2;
    for (int ch = 1; ch <= most; ch++)
        if (!(most == 2 && ch == 2)) order[n++] = ch;
    PaError first = paInvalidChannelCount;
    for (int i = 0; i < n; i++) {
        PaStreamParameters p = input_params(d->index, order[i]);
        PaError e = Pa_IsFormatSupported(&p, NULL, rate);
        if (e == paFormatIsSupported) {
            *channels = order[i];
            return e;
        }
        if (i == 0) first = e;
        if (pa_busy(e)) return e;
    }
    return first;
}

static const double standard_rates[] = {8000, 11025, 16000, 22050, 32000, 44100,
                                        48000, 88200, 96000, 176400, 192000};
#define N_STANDARD_RATES (sizeof standard_rates / sizeof standard_rates[0])

/* The standard rate nearest to target (ties: the higher) the device
 * takes, or 0. *e gets the last refusal. */
static double nearest_rate(const sp_capture_device *d, double target, int *channels, PaError *e)
{
    int tried[N_STANDARD_RATES] = {0};
    for (size_t round = 0; round < N_STANDARD_RATES; round++) {
        size_t best = N_STANDARD_RATES;
        for (size_t i = 0; i < N_STANDARD_RATES; i++) {
            if (tried[i]) continue;
            if (best == N_STANDARD_RATES ||
                fabs(standard_rates[i] - target) <= fabs(standard_rates[best] - target))
                best = i;
        }
        tried[best] = 1;
        if (standard_rates[best] == target) continue; /* refused already */
        *e = try_rate(d, standard_rates[best], channels);
        if (*e == paFormatIsSupported) return standard_rates[best];
        if (pa_busy(*e)) return 0;
    }
    return 0;
}

/* c->rate and c->channels for device d: the rate asked for (0: 16000),
 * else (for 0) the device's default rate, else the nearest standard rate
 * it takes; c->note says what changed. */
static int choose_format(sp_capture *c, const sp_capture_device *d, double want, sp_error *err)
{
    double first = want > 0 ? want : 16000;
    PaError e = try_rate(d, first, &c->channels);
    double got = e == paFormatIsSupported ? first : 0;
    if (!got && !pa_busy(e) && want <= 0 && d->default_rate > 0 && d->default_rate != first) {
        e = try_rate(d, d->default_rate, &c->channels);
        if (e == paFormatIsSupported) got = d->default_rate;
    }
    if (!got && !pa_busy(e)) got = nearest_rate(d, first, &c->channels, &e);
    if (pa_busy(e)) return fail_busy(err, d->name);
    if (!got)
        return sp_fail(err, "input device '%s' takes none of %g Hz and the standard rates 8000..192000 Hz: %s",
                       d->name, first, Pa_GetErrorText(e));
    c->rate = got;
    if (got != first) {
        snprintf(c->note, sizeof c->note, "device '%s' refuses %g Hz; capturing at %g Hz and resampling",
                 d->name, first, got);
        c->has_note = 1;
    }
    if (c->channels > 1) {
        size_t len = strlen(c->note);
        snprintf(c->note + len, sizeof c->note - len, "%scapturing %d channels of '%s' and averaging them",
                 c->has_note ? "; " : "", c->channels, d->name);
        c->has_note = 1;
    }
    return 0;
}

/* ---- the callback
 *
 * It runs on PortAudio's audio thread, and it obeys the real-time rule of
 * ring.h: it allocates nothing, takes no lock, makes no system call, does
 * no I/O and prints nothing. Any of those can block for an unbounded time,
 * and a callback that misses its deadline loses audio for this program
 * and, on a shared device, for others. It only mixes into a buffer on its
 * stack, hands the samples to sp_ring_write (which never blocks: what does
 * not fit is dropped and counted), counts PortAudio's input overflows and
 * the short writes in atomics, and publishes the stamp (seqlock, no wait).
 * Keep it that way: no logging here, not even on error. */

/* Mixes frames of interleaved input to mono in stack-sized pieces and
 * writes them; stops at the first piece the ring does not take whole (so
 * what is lost is one gap at the end). Returns the samples taken. */
static size_t push_mono(sp_capture *c, const float *in, size_t frames, int *short_write)
{
    if (c->channels == 1) {
        size_t put = sp_ring_write(c->ring, in, frames);
        *short_write = put < frames;
        return put;
    }
    float mono[MIX_CHUNK];
    float scale = 1.0f / (float)c->channels;
    size_t put = 0, ch = (size_t)c->channels;
    for (size_t at = 0; at < frames;) {
        size_t k = frames - at < MIX_CHUNK ? frames - at : MIX_CHUNK;
        for (size_t j = 0; j < k; j++) {
            float s = 0;
            for (size_t i = 0; i < ch; i++) s += in[(at + j) * ch + i];
            mono[j] = s * scale;
        }
        size_t got = sp_ring_write(c->ring, mono, k);
        put += got;
        at += k;
        if (got < k) {
            *short_write = 1;
            return put;
        }
    }
    *short_write = 0;
    return put;
}

static int on_audio(const void *input, void *output, unsigned long frames,
                    const PaStreamCallbackTimeInfo *when, PaStreamCallbackFlags flags, void *user)
{
    sp_capture *c = user;
    (void)output;
    if (flags & paInputOverflow) atomic_fetch_add_explicit(&c->pa_overflows, 1, memory_order_relaxed);
    if (!input || !frames) return paContinue;
    int short_write = 0;
    size_t put = push_mono(c, input, frames, &short_write);
    if (short_write) atomic_fetch_add_explicit(&c->short_writes, 1, memory_order_relaxed);
    if (put) {
        c->written += put;
        /* The ADC time of the buffer's first frame, plus the frames taken:
         * the capture time of the last sample in the ring (PortAudio's
         * stream-time base, as Pa_GetStreamTime; a host API that gives no
         * ADC time gets the callback's time). */
        double adc = when ? when->inputBufferAdcTime : 0;
        double clock = adc > 0 ? adc + (double)put / c->rate : when ? when->currentTime : 0;
        stamp_publish(c, c->written, clock);
    }
    return paContinue;
}

/* ---- a device */

static int open_stream(sp_capture *c, int device, sp_error *err)
{
    PaStreamParameters p = input_params(device, c->channels);
    chatter q;
    chatter_begin(&q);
    PaError e = Pa_OpenStream(&c->stream, &p, NULL, c->rate, paFramesPerBufferUnspecified, paNoFlag,
                              on_audio, c);
    char said[400];
    chatter_end(&q, said, sizeof said);
    if (e == paNoError) return 0;
    c->stream = NULL;
    if (pa_busy(e)) return fail_busy(err, c->name);
    sp_fail(err, "cannot open input device '%s' at %g Hz: %s", c->name, c->rate, Pa_GetErrorText(e));
    if (e == paUnanticipatedHostError && Pa_GetLastHostErrorInfo()->errorText)
        sp_error_append(err, ": %s", Pa_GetLastHostErrorInfo()->errorText);
    return append_chatter(err, said);
}

sp_capture *sp_capture_open_device(const char *device, double rate, sp_ring *ring, sp_error *err)
{
    if (pa_start_library(err) != 0) return NULL;
    sp_capture *c = sp_xcalloc(1, sizeof *c);
    c->source = SOURCE_DEVICE;
    c->ring = ring;
    c->pa_initialised = 1;
    sp_capture_device *devs;
    int n, at = -1;
    if (collect_inputs(&devs, &n, err) == 0) at = pick_device(device, devs, n, err);
    if (at >= 0) {
        snprintf(c->name, sizeof c->name, "%s", devs[at].name);
        chatter q;
        chatter_begin(&q);
        int rc = choose_format(c, &devs[at], rate, err);
        char said[400];
        chatter_end(&q, said, sizeof said);
        if (rc != 0) append_chatter(err, said);
        if (rc != 0 || open_stream(c, devs[at].index, err) != 0) at = -1;
    }
    free(devs);
    if (at < 0) {
        sp_capture_close(c);
        return NULL;
    }
    return c;
}

static int start_device(sp_capture *c, sp_error *err)
{
    if (c->running) return 0;
    chatter q;
    chatter_begin(&q);
    PaError e = Pa_StartStream(c->stream);
    char said[400];
    chatter_end(&q, said, sizeof said);
    if (e == paNoError) {
        c->running = 1;
        return 0;
    }
    if (pa_busy(e)) return fail_busy(err, c->name);
    sp_fail(err, "cannot start input device '%s': %s", c->name, Pa_GetErrorText(e));
    return append_chatter(err, said);
}

/* ---- a file */

sp_capture *sp_capture_open_file(const char *path, int realtime, sp_ring *ring, sp_error *err)
{
    SF_INFO info;
    memset(&info, 0, sizeof info);
    if (sp_audio_precheck(path, err) != 0) return NULL;
    SNDFILE *sf = sf_open(path, SFM_READ, &info);
    if (!sf) {
        sp_audio_open_failed(path, err);
        return NULL;
    }
    if (info.channels < 1 || info.samplerate < 1) {
        sf_close(sf);
        sp_fail(err, "audio '%s' has no channels or no sample rate", path);
        return NULL;
    }
    sp_capture *c = sp_xcalloc(1, sizeof *c);
    c->source = SOURCE_FILE;
    c->ring = ring;
    c->sf = sf;
    c->rate = info.samplerate;
    c->file_channels = info.channels;
    c->realtime = realtime;
    snprintf(c->name, sizeof c->name, "%s", path);
    /* 10 ms blocks, a sound card's period */
    c->block_frames = (size_t)(info.samplerate / 100 > 0 ? info.samplerate / 100 : 1);
    c->block = sp_xmalloc(c->block_frames * (size_t)c->file_channels * sizeof *c->block);
    c->mono = sp_xmalloc(c->block_frames * sizeof *c->mono);
    return c;
}

static double monotonic_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void sleep_until(double when)
{
    struct timespec t;
    t.tv_sec = (time_t)floor(when);
    t.tv_nsec = (long)((when - floor(when)) * 1e9);
    if (t.tv_nsec > 999999999L) t.tv_nsec = 999999999L;
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &t, NULL) == EINTR) {}
}

/* Fast mode: the whole block, writing only what fits (so the ring counts
 * no drops) and waiting while it is full (a short sleep, not a spin).
 * Returns 0 when stopped first. */
static int write_waiting(sp_capture *c, const float *x, size_t n)
{
    size_t done = 0;
    while (done < n) {
        size_t room = sp_ring_space(c->ring);
        if (room) done += sp_ring_write(c->ring, x + done, room < n - done ? room : n - done);
        if (done == n || atomic_load_explicit(&c->stop, memory_order_acquire)) break;
        struct timespec nap = {0, 500000};
        nanosleep(&nap, NULL);
    }
    c->written += done;
    if (done) stamp_publish(c, c->written, monotonic_seconds());
    return done == n;
}

/* Real time: the block appears when a sound card would have captured its
 * last sample, start + samples / rate on the monotonic clock (an absolute
 * deadline, so the pace does not drift); what the ring cannot take is
 * dropped and counted, as for a device. */
static void write_paced(sp_capture *c, const float *x, size_t n, double start)
{
    double due = start + (double)(c->written + n) / c->rate;
    sleep_until(due);
    size_t put = sp_ring_write(c->ring, x, n);
    if (put < n) atomic_fetch_add_explicit(&c->short_writes, 1, memory_order_relaxed);
    if (put) {
        c->written += put;
        stamp_publish(c, c->written, due - (double)(n - put) / c->rate);
    }
}

static void mix_block(sp_capture *c, size_t frames)
{
    size_t ch = (size_t)c->file_channels;
    for (size_t j = 0; j < frames; j++) {
        float s = 0;
        for (size_t i = 0; i < ch; i++) s += c->block[j * ch + i];
        c->mono[j] = s / (float)ch;
    }
}

static void *file_thread(void *arg)
{
    sp_capture *c = arg;
    /* a restart after stop carries on where the clock would be */
    double start = monotonic_seconds() - (double)c->written / c->rate;
    for (;;) {
        if (atomic_load_explicit(&c->stop, memory_order_acquire)) return NULL;
        sf_count_t got = sf_readf_float(c->sf, c->block, (sf_count_t)c->block_frames);
        if (got <= 0) break;
        mix_block(c, (size_t)got);
        if (c->realtime)
            write_paced(c, c->mono, (size_t)got, start);
        else if (!write_waiting(c, c->mono, (size_t)got))
            return NULL;
    }
    atomic_store_explicit(&c->finished, 1, memory_order_release);
    return NULL;
}

static int start_file(sp_capture *c, sp_error *err)
{
    if (c->thread_running || atomic_load(&c->finished)) return 0;
    atomic_store(&c->stop, 0);
    int rc = pthread_create(&c->thread, NULL, file_thread, c);
    if (rc != 0) return sp_fail(err, "cannot start the thread reading '%s': %s", c->name, strerror(rc));
    c->thread_running = 1;
    return 0;
}

/* ---- either */

int sp_capture_start(sp_capture *c, sp_error *err)
{
    return c->source == SOURCE_DEVICE ? start_device(c, err) : start_file(c, err);
}

void sp_capture_stop(sp_capture *c)
{
    if (!c) return;
    if (c->source == SOURCE_FILE) {
        if (!c->thread_running) return;
        atomic_store_explicit(&c->stop, 1, memory_order_release);
        pthread_join(c->thread, NULL);
        c->thread_running = 0;
        return;
    }
    if (c->running) {
        chatter q;
        chatter_begin(&q);
        Pa_StopStream(c->stream);
        chatter_end(&q, NULL, 0);
        c->running = 0;
    }
}

void sp_capture_close(sp_capture *c)
{
    if (!c) return;
    sp_capture_stop(c);
    if (c->stream) {
        chatter q;
        chatter_begin(&q);
        Pa_CloseStream(c->stream);
        chatter_end(&q, NULL, 0);
    }
    if (c->pa_initialised) pa_end_library();
    if (c->sf) sf_close(c->sf);
    free(c->block);
    free(c->mono);
    free(c);
}

double sp_capture_rate(const sp_capture *c) { return c->rate; }

const char *sp_capture_note(const sp_capture *c) { return c->has_note ? c->note : NULL; }

int sp_capture_finished(const sp_capture *c)
{
    return c->source == SOURCE_FILE &&
           atomic_load_explicit(&((sp_capture *)c)->finished, memory_order_acquire);
}

int sp_capture_check(const sp_capture *c, sp_error *err)
{
    if (c->source != SOURCE_DEVICE || !c->running) return 0;
    PaError active = Pa_IsStreamActive(c->stream);
    if (active == 1) return 0;
    return sp_fail(err, "input device '%s' stopped delivering audio (unplugged, or a host error%s%s)", c->name,
                   active < 0 ? ": " : "", active < 0 ? Pa_GetErrorText(active) : "");
}

uint64_t sp_capture_overruns(const sp_capture *c)
{
    sp_capture *m = (sp_capture *)c;
    return atomic_load_explicit(&m->pa_overflows, memory_order_relaxed) +
           atomic_load_explicit(&m->short_writes, memory_order_relaxed);
}

double sp_capture_now(const sp_capture *c)
{
    if (c->source == SOURCE_DEVICE) return c->stream ? Pa_GetStreamTime(c->stream) : 0;
    return monotonic_seconds();
}
