/* ring.c - TEMPORARY minimal ring for building and testing capture.c on
 * the live-capture branch; the merge takes the ring helper's ring.c. */
#include "live/ring.h"
#include <stdlib.h>
#include <string.h>

int sp_ring_init(sp_ring *r, size_t min_samples, sp_error *err)
{
    size_t cap = 1;
    while (cap < min_samples) cap <<= 1;
    r->buf = calloc(cap, sizeof *r->buf);
    if (!r->buf) return sp_fail_oom(err, cap * sizeof *r->buf);
    r->cap = cap;
    atomic_init(&r->head, 0);
    atomic_init(&r->tail, 0);
    atomic_init(&r->overruns, 0);
    atomic_init(&r->dropped, 0);
    return 0;
}

void sp_ring_free(sp_ring *r)
{
    free(r->buf);
    r->buf = NULL;
}

size_t sp_ring_write(sp_ring *r, const float *x, size_t n)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t room = r->cap - (head - tail), put = n < room ? n : room;
    for (size_t i = 0; i < put; i++) r->buf[(head + i) & (r->cap - 1)] = x[i];
    atomic_store_explicit(&r->head, head + put, memory_order_release);
    if (put < n) {
        atomic_fetch_add_explicit(&r->overruns, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&r->dropped, n - put, memory_order_relaxed);
    }
    return put;
}

size_t sp_ring_available(sp_ring *r)
{
    return atomic_load_explicit(&r->head, memory_order_acquire) -
           atomic_load_explicit(&r->tail, memory_order_relaxed);
}

size_t sp_ring_read(sp_ring *r, float *x, size_t n)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t avail = atomic_load_explicit(&r->head, memory_order_acquire) - tail;
    size_t got = n < avail ? n : avail;
    for (size_t i = 0; i < got; i++) x[i] = r->buf[(tail + i) & (r->cap - 1)];
    atomic_store_explicit(&r->tail, tail + got, memory_order_release);
    return got;
}
