/* engine.h - the consumer side of `sincprobe live`: a worker thread that
 * drains the capture ring, resamples to the model's rate (libsamplerate,
 * streaming, when the capture rate differs), and per hop computes the
 * first layer's band energies (filterbank.h), the input level and, with
 * phones > 0, the whole model's posteriors over the last 200 ms (one
 * chunk, sp_model_infer) and its top phones; it records every hop when
 * asked (.npy or .tsv) and hands frames to the drawing thread through a
 * queue (a mutex is fine here: only the capture callback is lock-free).
 * Frames are never dropped silently: when the drawing thread falls behind
 * the queue's oldest frames are dropped and counted (frames_dropped). */
#ifndef SP_LIVE_ENGINE_H
#define SP_LIVE_ENGINE_H
#include <stdint.h>
#include "nn/model.h"
#include "live/ring.h"
#include "live/view.h"
#include "base/error.h"

typedef struct {
    double in_rate;            /* capture rate (sp_capture_rate) */
    int hop_ms;                /* --hop, default 10 */
    int window_ms;             /* band energy window, default 25 (rounded up to
                                * whole hops: 30 ms at a 10 ms hop) */
    int phones;                /* top phones per frame with --phones (0: off; default 5) */
    const char *record;        /* --record FILE: .npy or .tsv by extension, or NULL */
    double seconds;            /* stop after this much audio (0: no limit) */
    int keep_up;               /* real time: with phones, when the worker is
                                * more than two hops behind the capture it
                                * skips the posteriors of the hops in between
                                * (every hop still gets its band energies);
                                * 0 (files --fast) computes every hop */
} sp_live_engine_opts;

typedef struct {
    uint64_t hops;             /* frames computed */
    double hop_ms_mean, hop_ms_p99, hop_ms_max; /* compute time per hop */
    double phones_ms_mean, phones_ms_p99;       /* of which the posteriors */
    uint64_t phones_skipped;   /* hops whose posteriors keep_up skipped */
    uint64_t frames_dropped;   /* queue overflows (drawing too slow) */
    double audio_s;            /* audio consumed, seconds at the model's rate */
} sp_live_engine_stats;

typedef struct sp_live_engine sp_live_engine;

/* m: a loaded model (engine borrows it; with phones it must have maxB >= 1). */
sp_live_engine *sp_live_engine_new(sp_model *m, const sp_live_engine_opts *o, sp_error *err);
/* The scene for a view (pointers into the engine; valid until free). */
void sp_live_engine_scene(const sp_live_engine *e, sp_live_scene *s);
/* Starts the worker on ring; done() (polled by the worker, may be NULL)
 * says the source ended: the worker then drains the ring and stops. */
int sp_live_engine_start(sp_live_engine *e, sp_ring *ring, int (*done)(void *ctx), void *ctx, sp_error *err);
/* Drawing thread: the next frame (1), none yet (0), or the worker has
 * stopped and every frame was taken (-1). The frame stays valid until
 * the next call. */
int sp_live_engine_next(sp_live_engine *e, sp_live_frame *f);
/* Blocks until a frame is ready or the worker has stopped (1), or
 * timeout_s seconds pass (0): for a caller with nothing else to do
 * between frames (no display, --fast). */
int sp_live_engine_wait(sp_live_engine *e, double timeout_s);
/* Asks the worker to stop and joins it; writes the record file (atomic).
 * Returns -1 if the worker or the record failed (err says why). */
int sp_live_engine_stop(sp_live_engine *e, sp_error *err);
void sp_live_engine_stats_get(const sp_live_engine *e, sp_live_engine_stats *s);
void sp_live_engine_free(sp_live_engine *e);
#endif
