/* ring.c - see ring.h.
 *
 * Memory order: the producer copies samples into buf, then stores head
 * with release; the consumer loads head with acquire, so every sample
 * below head is visible to it before it reads them. Symmetrically the
 * consumer copies samples out, then stores tail with release; the producer
 * loads tail with acquire before overwriting the slots tail freed. Each
 * side loads its own index relaxed (only it writes it). */
#include "config.h"
#include "live/ring.h"

#include <stdlib.h>
#include <string.h>

int sp_ring_init(sp_ring *r, size_t min_samples, sp_error *err)
{
    memset(r, 0, sizeof *r);
    size_t cap = 1;
    while (cap < min_samples) {
        if (cap > ((size_t)-1 / sizeof(float)) / 2) return sp_fail(err, "ring of %zu samples is too large", min_samples);
        cap <<= 1;
    }
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
    r->cap = 0;
}

/* Copy n samples to (from) the ring's slots from index i on, in at most
 * two pieces (the second after the wrap). */
static void copy_in(sp_ring *r, size_t i, const float *x, size_t n)
{
    size_t at = i & (r->cap - 1), first = r->cap - at < n ? r->cap - at : n;
    memcpy(r->buf + at, x, first * sizeof *x);
    memcpy(r->buf, x + first, (n - first) * sizeof *x);
}

static void copy_out(const sp_ring *r, size_t i, float *x, size_t n)
{
    size_t at = i & (r->cap - 1), first = r->cap - at < n ? r->cap - at : n;
    memcpy(x, r->buf + at, first * sizeof *x);
    memcpy(x + first, r->buf, (n - first) * sizeof *x);
}

/* REAL-TIME RULE: this runs in the PortAudio callback. It allocates
 * nothing, takes no lock, makes no system call, prints nothing and never
 * waits: two atomic loads, memcpy, atomic stores. When the ring is full
 * it writes what fits and counts the rest (overruns: calls that did not
 * fit whole; dropped: samples lost). Keep it that way. */
size_t sp_ring_write(sp_ring *r, const float *x, size_t n)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t room = r->cap - (head - tail);
    size_t k = n < room ? n : room;
    if (k) {
        copy_in(r, head, x, k);
        atomic_store_explicit(&r->head, head + k, memory_order_release);
    }
    if (k < n) {
        atomic_fetch_add_explicit(&r->overruns, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&r->dropped, (uint64_t)(n - k), memory_order_relaxed);
    }
    return k;
}

size_t sp_ring_space(sp_ring *r)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    return r->cap - (head - tail);
}

size_t sp_ring_available(sp_ring *r)
{
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    return head - tail;
}

size_t sp_ring_read(sp_ring *r, float *x, size_t n)
{
    size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
    size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
    size_t avail = head - tail;
    size_t k = n < avail ? n : avail;
    if (k) {
        copy_out(r, tail, x, k);
        atomic_store_explicit(&r->tail, tail + k, memory_order_release);
    }
    return k;
}
