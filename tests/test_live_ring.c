/* test_live_ring.c - the capture ring (live/ring.h) between two real
 * threads: 10^7 samples of a counter (exact in float below 2^24) pass in
 * order and whole when the producer writes only what there is room for;
 * when the consumer stops, writes that do not fit are cut, and the
 * overruns and dropped samples are counted exactly. */
#include "config.h"
#include "live/ring.h"
#include "testlib.h"

#include <pthread.h>
#include <sched.h>

#define TOTAL 10000000L

typedef struct {
    sp_ring *r;
    long bad_writes;  /* writes that returned less than asked */
} producer_ctx;

/* Chunks of 1 .. 700 samples (odd sizes, so copies wrap anywhere),
 * each written only once there is room for it. */
static void *producer(void *arg)
{
    producer_ctx *p = arg;
    float chunk[700];
    long next = 0;
    unsigned size = 1;
    while (next < TOTAL) {
        size = (size * 1103515245u + 12345u) % 700u + 1u;
        long n = TOTAL - next < (long)size ? TOTAL - next : (long)size;
        for (long i = 0; i < n; i++) chunk[i] = (float)(next + i);
        while (sp_ring_space(p->r) < (size_t)n) sched_yield();
        if (sp_ring_write(p->r, chunk, (size_t)n) != (size_t)n) p->bad_writes++;
        next += n;
    }
    return NULL;
}

static void keeps_up(void)
{
    sp_ring r;
    sp_error err;
    CHECK(sp_ring_init(&r, 3000, &err) == 0);
    CHECK(r.cap == 4096);
    producer_ctx p = { &r, 0 };
    pthread_t th;
    CHECK(pthread_create(&th, NULL, producer, &p) == 0);
    float buf[1000];
    long expect = 0, out_of_order = 0;
    unsigned size = 7;
    while (expect < TOTAL) {
        size = (size * 69069u + 1u) % 1000u + 1u;
        size_t k = sp_ring_read(&r, buf, size);
        if (!k) sched_yield();
        for (size_t i = 0; i < k; i++)
            if (buf[i] != (float)expect++) out_of_order++;
    }
    pthread_join(th, NULL);
    CHECK_MSG(out_of_order == 0, "%ld samples out of order", out_of_order);
    CHECK(p.bad_writes == 0);
    CHECK(sp_ring_available(&r) == 0);
    CHECK(atomic_load(&r.overruns) == 0 && atomic_load(&r.dropped) == 0);
    sp_ring_free(&r);
}

/* The consumer has stopped: 10 writes of 300 into 1024 slots; the 4th is
 * cut (1024 - 900 = 124 fit) and 5..10 drop everything. */
static void *blind_producer(void *arg)
{
    sp_ring *r = arg;
    float chunk[300];
    static size_t got[10];
    for (int w = 0; w < 10; w++) {
        for (int i = 0; i < 300; i++) chunk[i] = (float)(w * 300 + i);
        got[w] = sp_ring_write(r, chunk, 300);
    }
    return got;
}

static void consumer_stops(void)
{
    sp_ring r;
    sp_error err;
    CHECK(sp_ring_init(&r, 1024, &err) == 0);
    CHECK(r.cap == 1024);
    pthread_t th;
    void *res;
    CHECK(pthread_create(&th, NULL, blind_producer, &r) == 0);
    pthread_join(th, &res);
    const size_t *got = res;
    CHECK(got[0] == 300 && got[2] == 300 && got[3] == 124 && got[4] == 0 && got[9] == 0);
    CHECK(atomic_load(&r.overruns) == 7);
    CHECK(atomic_load(&r.dropped) == 3000 - 1024);
    CHECK(sp_ring_available(&r) == 1024 && sp_ring_space(&r) == 0);
    float buf[1024];
    CHECK(sp_ring_read(&r, buf, 2000) == 1024);
    long bad = 0;
    for (int i = 0; i < 1024; i++)
        if (buf[i] != (float)i) bad++;
    CHECK(bad == 0);
    /* After the overrun the ring works on: a write fits again and wraps. */
    float more[600];
    for (int i = 0; i < 600; i++) more[i] = (float)(5000 + i);
    CHECK(sp_ring_write(&r, more, 600) == 600);
    CHECK(sp_ring_read(&r, buf, 600) == 600 && buf[0] == 5000.0f && buf[599] == 5599.0f);
    sp_ring_free(&r);
}

int main(void)
{
    keeps_up();
    consumer_stops();
    sp_error err;
    sp_ring r;
    CHECK(sp_ring_init(&r, 1, &err) == 0 && r.cap == 1);
    sp_ring_free(&r);
    return sp_test_result("test_live_ring");
}
