/* ring.h - a lock-free single-producer / single-consumer ring of floats:
 * the only thing the PortAudio callback touches (capture.c).
 *
 * One thread writes (sp_ring_write), one other thread reads
 * (sp_ring_read, sp_ring_available); the two indices are C11 atomics,
 * the writer publishes with release and the reader acquires, so the
 * reader sees the samples before it sees the index that covers them.
 * Capacity is a power of two; indices run freely (size_t wrap-around is
 * harmless: available = head - tail in modular arithmetic).
 *
 * Real-time rule: sp_ring_write allocates nothing, takes no lock, makes
 * no system call and prints nothing; when the ring is full it writes what
 * fits and counts the rest as dropped (an overrun), never blocks. */
#ifndef SP_LIVE_RING_H
#define SP_LIVE_RING_H
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "base/error.h"

typedef struct {
    float *buf;
    size_t cap;                 /* a power of two */
    _Atomic size_t head;        /* written by the producer only */
    _Atomic size_t tail;        /* written by the consumer only */
    _Atomic uint64_t overruns;  /* write calls that did not fit whole */
    _Atomic uint64_t dropped;   /* samples they dropped */
} sp_ring;

/* Capacity: at least min_samples, rounded up to a power of two. */
int sp_ring_init(sp_ring *r, size_t min_samples, sp_error *err);
void sp_ring_free(sp_ring *r);
/* Producer: copies up to n samples in; returns how many fit. */
size_t sp_ring_write(sp_ring *r, const float *x, size_t n);
/* Producer: room for this many samples now (a writer that may wait, such
 * as a file played as fast as the consumer takes it, writes no more). */
size_t sp_ring_space(sp_ring *r);
/* Consumer: samples ready to read. */
size_t sp_ring_available(sp_ring *r);
/* Consumer: copies up to n samples out; returns how many. */
size_t sp_ring_read(sp_ring *r, float *x, size_t n);
#endif
