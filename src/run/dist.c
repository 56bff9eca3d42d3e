/* dist.c - see dist.h. The only file that includes <mpi.h>. */
#include "config.h"
#include "run/dist.h"

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

unsigned long long sp_dist_bytes_sent(void)
{
    return bytes_sent;
}
