/* capture.h - where live audio comes from: a PortAudio input device, or an
 * audio file played through the same ring in real time (--input FILE) or
 * as fast as the consumer takes it (--fast).
 *
 * Either way the samples (mono, float, at sp_capture_rate) arrive in the
 * sp_ring given at open; the consumer (engine.c) resamples them to the
 * model's rate. The PortAudio callback obeys ring.h's real-time rule: it
 * allocates nothing, takes no lock, does no I/O and prints nothing; it
 * counts input overflows PortAudio reports and samples the ring could not
 * take, and sp_capture_overruns reports both. */
#ifndef SP_LIVE_CAPTURE_H
#define SP_LIVE_CAPTURE_H
#include <stdint.h>
#include "live/ring.h"
#include "base/error.h"

typedef struct {
    int index;                 /* PortAudio device index (--device N) */
    char name[160];            /* --device NAME matches this (exact, else unique substring) */
    char hostapi[48];
    int max_input_channels;
    double default_rate;
    int is_default;            /* the default input device */
} sp_capture_device;

/* The input devices (max_input_channels > 0). *devs is malloc'd. Keeps
 * PortAudio's and ALSA's probing chatter off stderr (kept and put in
 * err->msg when initialisation fails). */
int sp_capture_list(sp_capture_device **devs, int *n, sp_error *err);

typedef struct sp_capture sp_capture;

/* A device: NULL or "" for the default input, a number, or a name. rate:
 * 0 for 16000 if the device takes it, else its default rate; a rate the
 * device refuses falls back to the nearest supported one (sp_capture_rate
 * says which, sp_capture_note why). Errors name what exists: no input
 * device (listing them), device busy, no such device. */
sp_capture *sp_capture_open_device(const char *device, double rate, sp_ring *ring, sp_error *err);
/* A file libsndfile reads (mixed to mono, at its own rate). realtime: 1
 * paces writes at the file's rate (a thread, as a sound card would), 0
 * writes as fast as the ring drains (waiting when it is full: nothing is
 * dropped). */
sp_capture *sp_capture_open_file(const char *path, int realtime, sp_ring *ring, sp_error *err);

double sp_capture_rate(const sp_capture *c);
/* A note for the user ("device refuses 16000 Hz; capturing at 48000 Hz and
 * resampling"), or NULL. */
const char *sp_capture_note(const sp_capture *c);
int sp_capture_start(sp_capture *c, sp_error *err);
/* 1 once a file source has written its last sample (a device never ends). */
int sp_capture_finished(const sp_capture *c);
/* 0 while the source delivers (a file that has finished included); -1
 * with err once a started device's stream has stopped on its own (the
 * device unplugged, a host error), which sp_capture_finished never says. */
int sp_capture_check(const sp_capture *c, sp_error *err);
/* Input overflows reported by PortAudio plus ring writes that did not fit. */
uint64_t sp_capture_overruns(const sp_capture *c);
/* The capture clock in seconds (monotonic; PortAudio's stream time for a
 * device), and the latest (samples written in all, clock when the last of
 * them was captured) pair, for capture-to-screen latency:
 *     latency of sample i = now - (clock - (written - i) / rate). */
double sp_capture_now(const sp_capture *c);
void sp_capture_stamp(const sp_capture *c, uint64_t *written, double *clock);
void sp_capture_stop(sp_capture *c);
void sp_capture_close(sp_capture *c);
#endif
