/* dist.c - see dist.h. The only file that includes <mpi.h>. */
#include "config.h"
#include "run/dist.h"

#include "base/util.h"

#include <stdlib.h>
#include <string.h>

#ifdef HAVE_MPI
#include <mpi.h>
#endif

static int dist_rank = 0, dist_size = 1, dist_on = 0;
static unsigned long long bytes_sent = 0;

/* Floats per message of the chain: 1 Mi floats (4 MiB), a segment large
 * enough that latency is amortised and small enough that the pipeline
 * fills for the sincnet preset's few million parameters. A test hook,
 * SINCPROBE_TEST_DIST_SEGMENT=FLOATS (sincprobe-train(1), ENVIRONMENT),
 * makes them small, so that a tiny model's sum goes in many segments. */
enum { BCAST_BYTES = 1 << 28 };
static size_t segment = 1 << 20;

int sp_dist_built(void)
{
#ifdef HAVE_MPI
    return 1;
#else
    return 0;
#endif
}

/* Started by a launcher: Open MPI's mpirun, PMIx (srun, prun), or PMI. */
static int launched(void)
{
    return getenv("OMPI_COMM_WORLD_SIZE") || getenv("PMIX_RANK") || getenv("PMI_RANK");
}

void sp_dist_init(int *argc, char ***argv)
{
#ifdef HAVE_MPI
    if (dist_on || !launched()) return;
    const char *seg = getenv("SINCPROBE_TEST_DIST_SEGMENT");
    if (seg && atol(seg) > 0) segment = (size_t)atol(seg);
    MPI_Init(argc, argv);
    MPI_Comm_rank(MPI_COMM_WORLD, &dist_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &dist_size);
    dist_on = 1;
#else
    (void)argc;
    (void)argv;
#endif
}

void sp_dist_finalize(void)
{
#ifdef HAVE_MPI
    if (dist_on) MPI_Finalize();
#endif
    dist_on = 0;
    dist_rank = 0;
    dist_size = 1;
}

int sp_dist_rank(void)
{
    return dist_rank;
}

int sp_dist_size(void)
{
    return dist_size;
}

void sp_dist_abort(int code)
{
#ifdef HAVE_MPI
    if (dist_on && dist_size > 1) MPI_Abort(MPI_COMM_WORLD, code);
#else
    (void)code;
#endif
}

void sp_dist_bcast(void *buf, size_t bytes, int root)
{
#ifdef HAVE_MPI
    if (dist_size < 2) return;
    if (dist_rank == root) bytes_sent += bytes;
    for (size_t o = 0; o < bytes; o += BCAST_BYTES) {
        size_t len = bytes - o < BCAST_BYTES ? bytes - o : BCAST_BYTES;
        MPI_Bcast((char *)buf + o, (int)len, MPI_BYTE, root, MPI_COMM_WORLD);
    }
#else
    (void)buf;
    (void)bytes;
    (void)root;
#endif
}

void sp_dist_allgather(const void *mine, void *all, size_t bytes)
{
#ifdef HAVE_MPI
    if (dist_size > 1) {
        bytes_sent += bytes;
        MPI_Allgather(mine, (int)bytes, MPI_BYTE, all, (int)bytes, MPI_BYTE, MPI_COMM_WORLD);
        return;
    }
#endif
    memmove(all, mine, bytes);
}

/* acc[0..len) += each of this rank's nown vectors (stride n), in order. */
static void add_own(float *acc, const float *own, int nown, size_t n, size_t off, size_t len)
{
    for (int i = 0; i < nown; i++) {
        const float *v = own + (size_t)i * n + off;
        for (size_t j = 0; j < len; j++) acc[j] += v[j];
    }
}

void sp_dist_ordered_sum(float *acc, const float *own, int nown, size_t n)
{
    for (size_t off = 0; off < n; off += segment) {
        size_t len = n - off < segment ? n - off : segment;
#ifdef HAVE_MPI
        if (dist_rank > 0)
            MPI_Recv(acc + off, (int)len, MPI_FLOAT, dist_rank - 1, 16, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        else
            memset(acc + off, 0, len * sizeof *acc);
        add_own(acc + off, own, nown, n, off, len);
        if (dist_rank < dist_size - 1) {
            MPI_Send(acc + off, (int)len, MPI_FLOAT, dist_rank + 1, 16, MPI_COMM_WORLD);
            bytes_sent += len * sizeof *acc;
        }
#else
        memset(acc + off, 0, len * sizeof *acc);
        add_own(acc + off, own, nown, n, off, len);
#endif
    }
    sp_dist_bcast(acc, n * sizeof *acc, dist_size - 1);
}

/* ---- the ordered sum overlapped with the backward pass */

struct sp_dist_sum {
    float *acc;
    const float *own;
    int nown;
    size_t n, ready_from; /* own's last vector is final from ready_from on */
    long next;            /* the next segment to add (they go down to 0) */
    long next_total;      /* below the last rank: the next segment whose total to ask for */
#ifdef HAVE_MPI
    MPI_Request *recv, *send; /* per segment: the partial sum from rank - 1, to rank + 1 */
    MPI_Request *total;       /* per segment: its total from the last rank, or (on
                               * it) [segment][rank]: the total to each other rank */
#endif
};

static size_t segments(size_t n)
{
    return (n + segment - 1) / segment;
}

sp_dist_sum *sp_dist_sum_start(float *acc, const float *own, int nown, size_t n)
{
    sp_dist_sum *s = sp_xcalloc(1, sizeof *s);
    s->acc = acc;
    s->own = own;
    s->nown = nown;
    s->n = n;
    s->ready_from = n;
    s->next = (long)segments(n) - 1;
    s->next_total = s->next;
#ifdef HAVE_MPI
    if (dist_size < 2) return s;
    size_t nseg = segments(n), ntotal = nseg * (size_t)(dist_size - 1);
    s->recv = sp_xmalloc(nseg * sizeof *s->recv);
    s->send = sp_xmalloc(nseg * sizeof *s->send);
    s->total = sp_xmalloc(ntotal * sizeof *s->total);
    for (size_t k = 0; k < ntotal; k++) s->total[k] = MPI_REQUEST_NULL;
    /* Every receive posted at once, in the order the segments are sent
     * (messages of one source and tag match receives in posting order). */
    for (long k = s->next; k >= 0; k--) {
        size_t off = (size_t)k * segment, len = n - off < segment ? n - off : segment;
        s->send[k] = MPI_REQUEST_NULL;
        s->recv[k] = MPI_REQUEST_NULL;
        if (dist_rank > 0)
            MPI_Irecv(acc + off, (int)len, MPI_FLOAT, dist_rank - 1, 17, MPI_COMM_WORLD, &s->recv[k]);
    }
#endif
    return s;
}

#ifdef HAVE_MPI
/* Wait for request q, or (wait = 0) test it: 1 when it is complete. */
static int complete(MPI_Request *q, int wait)
{
    int done = 1;
    if (wait)
        MPI_Wait(q, MPI_STATUS_IGNORE);
    else
        MPI_Test(q, &done, MPI_STATUS_IGNORE);
    return done;
}

/* Segment k's total from the last rank, to each of the others in turn
 * (instead of one broadcast of the whole vector at the end: the others
 * take the totals while they compute). */
static void send_total(sp_dist_sum *s, long k, size_t off, size_t len)
{
    for (int q = 0; q < dist_size - 1; q++) {
        MPI_Isend(s->acc + off, (int)len, MPI_FLOAT, q, 18, MPI_COMM_WORLD,
                  &s->total[(size_t)k * (size_t)(dist_size - 1) + (size_t)q]);
        bytes_sent += len * sizeof *s->acc;
    }
}

/* Add and pass on the segments, from s->next down, while this rank's
 * part of each is final and the partial sum before it has come (wait:
 * block for it; else stop at the first that has not); below the last
 * rank, ask for the total of each segment whose partial sum has left
 * (its buffer is then free), in the same order. */
static void sum_progress(sp_dist_sum *s, int wait)
{
    for (; s->next >= 0; s->next--) {
        size_t off = (size_t)s->next * segment, len = s->n - off < segment ? s->n - off : segment;
        if (off < s->ready_from) break;
        if (dist_rank > 0 && !complete(&s->recv[s->next], wait)) break;
        if (dist_rank == 0) memset(s->acc + off, 0, len * sizeof *s->acc);
        add_own(s->acc + off, s->own, s->nown, s->n, off, len);
        if (dist_rank == dist_size - 1) {
            send_total(s, s->next, off, len);
            continue;
        }
        MPI_Isend(s->acc + off, (int)len, MPI_FLOAT, dist_rank + 1, 17, MPI_COMM_WORLD, &s->send[s->next]);
        bytes_sent += len * sizeof *s->acc;
    }
    if (dist_rank == dist_size - 1) return;
    for (; s->next_total > s->next; s->next_total--) {
        size_t off = (size_t)s->next_total * segment, len = s->n - off < segment ? s->n - off : segment;
        if (!complete(&s->send[s->next_total], wait)) break;
        MPI_Irecv(s->acc + off, (int)len, MPI_FLOAT, dist_size - 1, 18, MPI_COMM_WORLD, &s->total[s->next_total]);
    }
}
#endif

void sp_dist_sum_ready(sp_dist_sum *s, size_t from)
{
    if (from < s->ready_from) s->ready_from = from;
#ifdef HAVE_MPI
    if (dist_size < 2) return;
    sum_progress(s, 0);
    /* The totals on their way: a test lets MPI move them on. */
    int flag;
    MPI_Testall((int)(segments(s->n) * (size_t)(dist_size - 1)), s->total, &flag, MPI_STATUSES_IGNORE);
#endif
}

void sp_dist_sum_finish(sp_dist_sum *s)
{
#ifdef HAVE_MPI
    if (dist_size >= 2) {
        s->ready_from = 0;
        sum_progress(s, 1);
        size_t nseg = segments(s->n);
        MPI_Waitall((int)nseg, s->send, MPI_STATUSES_IGNORE);
        MPI_Waitall((int)(nseg * (size_t)(dist_size - 1)), s->total, MPI_STATUSES_IGNORE);
        free(s->recv);
        free(s->send);
        free(s->total);
        free(s);
        return;
    }
#endif
    sp_dist_ordered_sum(s->acc, s->own, s->nown, s->n);
    free(s);
}

unsigned long long sp_dist_bytes_sent(void)
{
    return bytes_sent;
}
