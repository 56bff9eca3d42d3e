/* probe_guard.c - what the sincprobe command does when a probe misbehaves
 * (sincprobe-probe(3), "When a probe misbehaves"). A probe runs inside
 * this process, so its crash, hang or exit() would otherwise end the run
 * with a bare "Segmentation fault", a silent wait, or status 0. The probe
 * host records which probe hook is running (sp_probe_guard_current); the
 * handlers here name it on stderr:
 *
 *   SIGSEGV, SIGBUS, SIGFPE, SIGABRT   "sincprobe: probe ID (FILE) crashed
 *                                      in HOOK: SIGSEGV", then the signal's
 *                                      own action (the status shows it)
 *   SIGALRM (the probe_timeout timer)  "... did not return from HOOK within
 *                                      N s", exit status 1
 *   exit() during a hook (atexit)      "... called exit() in HOOK", status 1
 *
 * The handlers use write(2) and _exit only (async-signal-safe). Checkpoints
 * are renamed into place whole (base/util.h's atomic files), so a run
 * stopped this way resumes from its last complete one. */
#include "config.h"
#include "cli/cli.h"
#include "probe/probe_host.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const int fatal[] = { SIGSEGV, SIGBUS, SIGFPE, SIGABRT };
#define NFATAL (sizeof fatal / sizeof fatal[0])
static struct sigaction previous[NFATAL];

/* ---- a message built without stdio */

typedef struct {
    char b[1024];
    size_t n;
} line;

static void put(line *l, const char *s)
{
    for (; s && *s && l->n < sizeof l->b - 1; s++) l->b[l->n++] = *s;
}

static void put_num(line *l, double x)
{
    char d[24];
    int n = 0;
    unsigned long v = x > 0 ? (unsigned long)(x + 0.5) : 0;
    do d[n++] = (char)('0' + v % 10); while ((v /= 10) && n < 20);
    while (n && l->n < sizeof l->b - 1) l->b[l->n++] = d[--n];
}

/* "sincprobe: probe ID (FILE) " into l; 0 when no hook is running. */
static int begin(line *l, const char **hook, double *timeout)
{
    const char *id, *file;
    if (!sp_probe_guard_current(&id, &file, hook, timeout)) return 0;
    l->n = 0;
    put(l, "sincprobe: probe ");
    put(l, id);
    put(l, " (");
    put(l, file);
    put(l, ") ");
    return 1;
}

static void emit(line *l)
{
    put(l, "\n");
    ssize_t w = write(STDERR_FILENO, l->b, l->n);
    (void)w;
}

/* ---- the handlers */

static const char *signal_name(int sig)
{
    switch (sig) {
    case SIGSEGV: return "SIGSEGV";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGABRT: return "SIGABRT";
    }
    return "a signal";
}

/* Name the probe, then give the signal back to whoever had it (the
 * default action, or a sanitizer's report): a fault the hardware raised
 * (si_code > 0) happens again when the handler returns; a sent one
 * (abort, kill) is raised again. */
static void on_fatal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    line l;
    const char *hook;
    double timeout;
    if (begin(&l, &hook, &timeout)) {
        put(&l, "crashed in ");
        put(&l, hook);
        put(&l, ": ");
        put(&l, signal_name(sig));
        emit(&l);
    }
    for (size_t i = 0; i < NFATAL; i++)
        if (fatal[i] == sig) sigaction(sig, &previous[i], NULL);
    if (!si || si->si_code <= 0) raise(sig);
}

static void on_alarm(int sig)
{
    (void)sig;
    line l;
    const char *hook;
    double timeout;
    if (!begin(&l, &hook, &timeout)) return;
    put(&l, "did not return from ");
    put(&l, hook);
    put(&l, " within ");
    put_num(&l, timeout);
    put(&l, " s (probe_timeout)");
    emit(&l);
    _exit(SP_EXIT_FAIL);
}

static void at_exit(void)
{
    line l;
    const char *hook;
    double timeout;
    if (!begin(&l, &hook, &timeout)) return;
    put(&l, "called exit() in ");
    put(&l, hook);
    put(&l, "; the run did not finish");
    emit(&l);
    _exit(SP_EXIT_FAIL);
}

void sp_cli_probe_guard_install(void)
{
    /* An alternate stack, so a probe that overflows its stack is named too. */
    static char alt[1 << 16];
    stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt, .ss_flags = 0 };
    sigaltstack(&ss, NULL);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_sigaction = on_fatal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
    for (size_t i = 0; i < NFATAL; i++) sigaction(fatal[i], &sa, &previous[i]);
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    atexit(at_exit);
    sp_probe_guard_watchdog(1);
}
