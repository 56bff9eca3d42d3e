/* guard.c - which probe hook is running (probe_host.h, sp_probe_guard_*).
 * A probe runs in the host's process, so a probe that crashes, hangs or
 * calls exit() takes the host with it; the CLI's signal handlers, its
 * SIGALRM watchdog and its atexit check read this record to name the
 * probe and the hook. The record is written only by the thread that
 * runs the hooks and read from signal handlers: plain pointers behind a
 * sig_atomic_t flag, ordered by signal fences, so a handler never sees
 * the flag set before the names are. */
#include "config.h"
#include "probe/host_private.h"

#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/time.h>

static struct {
    const char *volatile id, *volatile file, *volatile hook;
    volatile double timeout;
    volatile sig_atomic_t active;
} current;
static volatile sig_atomic_t watchdog;

void sp_probe_guard_watchdog(int on)
{
    watchdog = on != 0;
}

/* setitimer's one-shot ITIMER_REAL: SIGALRM after s seconds (0: off). */
static void arm(double s)
{
    struct itimerval t;
    memset(&t, 0, sizeof t);
    t.it_value.tv_sec = (time_t)s;
    t.it_value.tv_usec = (suseconds_t)((s - (double)(time_t)s) * 1e6);
    if (s > 0 && !t.it_value.tv_sec && !t.it_value.tv_usec) t.it_value.tv_usec = 1;
    setitimer(ITIMER_REAL, &t, NULL);
}

void sp_probe_guard_enter(const entry *e, const char *hook)
{
    current.id = e->id;
    current.file = e->file;
    current.hook = hook;
    current.timeout = e->timeout;
    atomic_signal_fence(memory_order_seq_cst);
    current.active = 1;
    if (watchdog && e->timeout > 0) arm(e->timeout);
}

void sp_probe_guard_leave(void)
{
    if (watchdog && current.timeout > 0) arm(0);
    current.active = 0;
    atomic_signal_fence(memory_order_seq_cst);
}

int sp_probe_guard_current(const char **id, const char **file, const char **hook, double *timeout)
{
    if (!current.active) return 0;
    atomic_signal_fence(memory_order_seq_cst);
    *id = current.id;
    *file = current.file;
    *hook = current.hook;
    *timeout = current.timeout;
    return 1;
}
