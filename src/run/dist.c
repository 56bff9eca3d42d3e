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
 * fills for the sincnet preset's few million parameters. */
enum { SEGMENT = 1 << 20, BCAST_BYTES = 1 << 28 };

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
    for (size_t off = 0; off < n; off += SEGMENT) {
        size_t len = n - off < SEGMENT ? n - off : SEGMENT;
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
#ifdef HAVE_MPI
    MPI_Request *recv, *send; /* per segment: the partial sum from rank - 1, to rank + 1 */
#endif
};

sp_dist_sum *sp_dist_sum_start(float *acc, const float *own, int nown, size_t n)
{
    sp_dist_sum *s = sp_xcalloc(1, sizeof *s);
    s->acc = acc;
    s->own = own;
    s->nown = nown;
    s->n = n;
    s->ready_from = n;
    s->next = (long)((n + SEGMENT - 1) / SEGMENT) - 1;
#ifdef HAVE_MPI
    if (dist_size < 2) return s;
    size_t nseg = (size_t)s->next + 1;
    s->recv = sp_xmalloc(nseg * sizeof *s->recv);
    s->send = sp_xmalloc(nseg * sizeof *s->send);
    /* Every receive posted at once, in the order the segments are sent
     * (messages of one source and tag match receives in posting order). */
    for (long k = s->next; k >= 0; k--) {
        size_t off = (size_t)k * SEGMENT, len = n - off < SEGMENT ? n - off : SEGMENT;
        s->send[k] = MPI_REQUEST_NULL;
        s->recv[k] = MPI_REQUEST_NULL;
        if (dist_rank > 0)
            MPI_Irecv(acc + off, (int)len, MPI_FLOAT, dist_rank - 1, 17, MPI_COMM_WORLD, &s->recv[k]);
    }
#endif
    return s;
}

#ifdef HAVE_MPI
/* Add and pass on the segments, from s->next down, while this rank's
 * part of each is final and the partial sum before it has come (wait:
 * block for it; else stop at the first that has not). */
static void sum_progress(sp_dist_sum *s, int wait)
{
    for (; s->next >= 0; s->next--) {
        size_t off = (size_t)s->next * SEGMENT, len = s->n - off < SEGMENT ? s->n - off : SEGMENT;
        if (off < s->ready_from) break;
        if (dist_rank > 0) {
            int done = 1;
            if (wait)
                MPI_Wait(&s->recv[s->next], MPI_STATUS_IGNORE);
            else
                MPI_Test(&s->recv[s->next], &done, MPI_STATUS_IGNORE);
            if (!done) break;
        } else {
            memset(s->acc + off, 0, len * sizeof *s->acc);
        }
        add_own(s->acc + off, s->own, s->nown, s->n, off, len);
        if (dist_rank < dist_size - 1) {
            MPI_Isend(s->acc + off, (int)len, MPI_FLOAT, dist_rank + 1, 17, MPI_COMM_WORLD, &s->send[s->next]);
            bytes_sent += len * sizeof *s->acc;
        }
    }
}
#endif

void sp_dist_sum_ready(sp_dist_sum *s, size_t from)
{
    if (from < s->ready_from) s->ready_from = from;
#ifdef HAVE_MPI
    if (dist_size < 2) return;
    sum_progress(s, 0);
    /* Sends waiting on the next rank: a test lets MPI move them on. */
    size_t nseg = (s->n + SEGMENT - 1) / SEGMENT;
    int flag;
    MPI_Testall((int)nseg, s->send, &flag, MPI_STATUSES_IGNORE);
#endif
}

void sp_dist_sum_finish(sp_dist_sum *s)
{
#ifdef HAVE_MPI
    if (dist_size >= 2) {
        s->ready_from = 0;
        sum_progress(s, 1);
        size_t nseg = (s->n + SEGMENT - 1) / SEGMENT;
        MPI_Waitall((int)nseg, s->send, MPI_STATUSES_IGNORE);
        sp_dist_bcast(s->acc, s->n * sizeof *s->acc, dist_size - 1);
        free(s->recv);
        free(s->send);
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
