/* cmd_sweep.c - `sincprobe sweep`: a grid of runs of one config, expanded
 * (sweep_plan.c), then run here J at a time (each a `sincprobe train` of
 * its config, this same binary, in a process of its own), or written out
 * as a Slurm array job or a command list for GNU parallel; `sweep report`
 * gathers the finished runs (plot/sweep_report.h). See sincprobe-sweep(1). */
#include "config.h"
#include "cli/cli.h"
#include "cli/opt.h"
#include "cli/sweep.h"
#include "plot/sweep_report.h"
#include "base/util.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *const usage[] = {
    "sincprobe sweep CONFIG --vary SECTION.KEY=V1,V2,... | --vary 'probe ID.KEY=V1,V2,...' ... [--seeds K] [--out DIR] "
    "[--jobs J | --emit list|slurm|plan] [--ranks R] [--launcher mpirun|srun]",
    "   or: sincprobe sweep report DIR [--quiet]",
    "",
    "  --vary SECTION.KEY=V1,V2,...  a config key and its values (';' between values that hold commas)",
    "  --vary 'probe ID.KEY=V1,V2,...'  an option of the config's [probe ID] section (or probe.ID.KEY=...)",
    "  --seeds K        K runs of each combination, seeds [train] seed + 0 .. K-1 (default 1)",
    "  --out DIR        the sweep's directory (default: the config's [run] dir)",
    "  --jobs J         train the runs here, J at a time (default 1)",
    "  --emit list      print a command per unfinished run, for GNU parallel",
    "  --emit slurm     write DIR/sweep.sbatch, a Slurm array job of the runs",
    "  --emit plan      write the configs and list the runs and their states; train nothing",
    "  --ranks R        each run on R MPI ranks (mpirun -np R or srun; --emit list and slurm)",
    "  --launcher L     mpirun (default) or srun, with --ranks",
    "  --quiet          report: no table on stdout",
    NULL,
};

static const char *const emits[] = { "list", "slurm", "plan", NULL };
enum { EMIT_RUN = -1, EMIT_LIST, EMIT_SLURM, EMIT_PLAN };
static const char *const launchers[] = { "mpirun", "srun", NULL };

static const char *const state_name[] = { "new", "partial", "finished" };

/* ---- shell words */

/* s as one shell word: as is when it is made of safe characters, else in
 * single quotes (a ' inside as '\''). */
static void shell_word(FILE *f, const char *s)
{
    if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-=,/:@%") == strlen(s)) {
        fputs(s, f);
        return;
    }
    fputc('\'', f);
    for (; *s; s++)
        if (*s == '\'') fputs("'\\''", f);
        else fputc(*s, f);
    fputc('\'', f);
}

/* The launcher of a run on ranks R, with a trailing space ("" for one
 * process without --ranks). */
static void launch_words(FILE *f, int ranks, int launcher)
{
    if (!ranks) return;
    if (launcher == 1) fprintf(f, "srun --ntasks=%d ", ranks);
    else fprintf(f, "mpirun -np %d ", ranks);
}

/* ---- --emit list */

static void emit_list(const sp_sweep *s, const char *exe, int ranks, int launcher)
{
    for (int i = 0; i < s->n; i++) {
        const sp_sweep_run *r = &s->run[i];
        sp_run_state st = sp_sweep_state(r);
        if (st == SP_RUN_FINISHED) continue;
        launch_words(stdout, ranks, launcher);
        shell_word(stdout, exe);
        fputs(st == SP_RUN_PARTIAL ? " train --resume " : " train ", stdout);
        shell_word(stdout, st == SP_RUN_PARTIAL ? r->dir : r->conf);
        fputs(" --quiet\n", stdout);
    }
}

/* ---- --emit slurm */

/* The array job: task i trains the (i+1)-th run of runs.list, resuming
 * it when it has a checkpoint, and ends at once when it has finished. */
static void slurm_script(FILE *f, const sp_sweep *s, const char *exe, int ranks, int launcher)
{
    fputs("#!/bin/bash\n", f);
    fprintf(f, "# sweep.sbatch - written by sincprobe sweep: %d runs of ", s->n);
    shell_word(f, s->config);
    fputs(", one array task each.\n"
          "# Submit with 'sbatch sweep.sbatch'; submitting it again skips the finished runs\n"
          "# and resumes the interrupted ones. runs.list names the runs, in task order.\n",
          f);
    fputs("#SBATCH --job-name=sincprobe-sweep\n", f);
    fprintf(f, "#SBATCH --array=0-%d\n", s->n - 1);
    fprintf(f, "#SBATCH --output=%s/logs/slurm-%%A_%%a.out\n", s->out);
    if (ranks) fprintf(f, "#SBATCH --ntasks=%d\n", ranks);
    fprintf(f, "#SBATCH --cpus-per-task=%d\n", s->threads);
    fputs("\nSINCPROBE=${SINCPROBE:-", f);
    shell_word(f, exe);
    fputs("}\nSWEEP=", f);
    shell_word(f, s->out);
    fputs("\ntask=${SLURM_ARRAY_TASK_ID:?submit with sbatch: the run is the array task SLURM_ARRAY_TASK_ID}\n"
          "name=$(sed -n \"$((task + 1))p\" \"$SWEEP/runs.list\")\n"
          "if [ -z \"$name\" ]; then echo \"no run $task in $SWEEP/runs.list\" >&2; exit 1; fi\n"
          "run=$SWEEP/$name\n"
          "if [ -f \"$run/finished.tsv\" ]; then echo \"$name: finished\"; exit 0; fi\n"
          "if [ -f \"$run/checkpoints/last.ckpt\" ]; then\n  exec ",
          f);
    launch_words(f, ranks, launcher);
    fputs("\"$SINCPROBE\" train --resume \"$run\" --quiet\nfi\nexec ", f);
    launch_words(f, ranks, launcher);
    fputs("\"$SINCPROBE\" train \"$SWEEP/configs/$name.conf\" --quiet\n", f);
}

static int emit_slurm(const sp_sweep *s, const char *exe, int ranks, int launcher, sp_error *err)
{
    char *path = sp_path_join(s->out, "sweep.sbatch");
    sp_atomic_file af;
    int rc = sp_atomic_open(&af, path, err);
    if (rc == 0) {
        slurm_script(af.f, s, exe, ranks, launcher);
        rc = sp_atomic_commit(&af, err);
    }
    if (rc == 0 && chmod(path, 0755) != 0) rc = sp_fail(err, "cannot chmod '%s': %s", path, strerror(errno));
    if (rc == 0) printf("%s\n", path);
    if (rc == 0) sp_log_info("%d runs; submit with: sbatch %s", s->n, path);
    free(path);
    return rc;
}

/* ---- running here */

static volatile sig_atomic_t stop_requested;

static void on_stop(int sig)
{
    (void)sig;
    stop_requested = 1;
}

typedef struct {
    pid_t pid;
    int run;      /* index */
    double t0;
} child;

/* Start run i: `EXE train CONF --quiet`, or `EXE train --resume DIR
 * --quiet` when it has a checkpoint, output appended to OUT/logs/NAME.log. */
static pid_t start_run(const sp_sweep *s, int i, const char *exe, sp_run_state st, sp_error *err)
{
    const sp_sweep_run *r = &s->run[i];
    char *logs = sp_path_join(s->out, "logs");
    char *log = sp_xasprintf("%s/%s.log", logs, r->name);
    free(logs);
    int fd = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        sp_fail(err, "cannot open '%s': %s", log, strerror(errno));
        free(log);
        return -1;
    }
    free(log);
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        char *argv_new[] = { "sincprobe", "train", r->conf, "--quiet", NULL };
        char *argv_resume[] = { "sincprobe", "train", "--resume", r->dir, "--quiet", NULL };
        execv(exe, st == SP_RUN_PARTIAL ? argv_resume : argv_new);
        _exit(127);
    }
    close(fd);
    if (pid < 0) return sp_fail(err, "cannot start a process: %s", strerror(errno));
    return pid;
}

/* The end of child c with wait status ws: a progress line; 1 when it failed. */
static int run_ended(const sp_sweep *s, const child *c, int ws, int k)
{
    const sp_sweep_run *r = &s->run[c->run];
    double sec = sp_now() - c->t0;
    if (WIFEXITED(ws) && WEXITSTATUS(ws) == 0 && sp_sweep_state(r) == SP_RUN_FINISHED) {
        sp_log_info("[%d/%d] done %s (%.0fs)", k, s->n, r->name, sec);
        return 0;
    }
    if (WIFSIGNALED(ws))
        sp_errorf("[%d/%d] failed %s: killed by signal %d; its output: %s/logs/%s.log", k, s->n, r->name, WTERMSIG(ws),
                  s->out, r->name);
    else
        sp_errorf("[%d/%d] failed %s: exit status %d; its output: %s/logs/%s.log", k, s->n, r->name, WEXITSTATUS(ws),
                  s->out, r->name);
    return 1;
}

/* Train the unfinished runs, jobs at a time; a failed run is reported
 * and the others go on. SIGINT/SIGTERM (which the runs get too, from the
 * terminal) start no more runs. Returns the exit status. */
static int run_here(const sp_sweep *s, const char *exe, int jobs)
{
    struct sigaction sa = { .sa_handler = on_stop }, old_int, old_term;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    child *run = sp_xcalloc((size_t)jobs, sizeof *run);
    int running = 0, next = 0, skipped = 0, failed = 0, done = 0;
    sp_error err;
    while (running || (next < s->n && !stop_requested)) {
        while (running < jobs && next < s->n && !stop_requested) {
            int i = next++;
            sp_run_state st = sp_sweep_state(&s->run[i]);
            if (st == SP_RUN_FINISHED) {
                sp_log_info("[%d/%d] finished already: %s", i + 1, s->n, s->run[i].name);
                skipped++;
                continue;
            }
            pid_t pid = start_run(s, i, exe, st, &err);
            if (pid < 0) {
                sp_errorf("[%d/%d] failed %s: %s", i + 1, s->n, s->run[i].name, err.msg);
                failed++;
                continue;
            }
            sp_log_info("[%d/%d] %s %s", i + 1, s->n, st == SP_RUN_PARTIAL ? "resuming" : "starting", s->run[i].name);
            run[running++] = (child){ pid, i, sp_now() };
        }
        if (!running) break;
        int ws;
        pid_t pid = waitpid(-1, &ws, 0);
        if (pid < 0) {
            if (errno == EINTR) continue;
            break;
        }
        for (int j = 0; j < running; j++)
            if (run[j].pid == pid) {
                if (run_ended(s, &run[j], ws, run[j].run + 1)) failed++;
                else done++;
                run[j] = run[--running];
                break;
            }
    }
    free(run);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sp_log_info("sweep: %d runs: %d trained, %d finished before, %d failed%s", s->n, done, skipped, failed,
                stop_requested ? ", stopped (the rest not started)" : "");
    if (stop_requested) return 130;
    return failed ? SP_EXIT_FAIL : SP_EXIT_OK;
}

static void emit_plan(const sp_sweep *s)
{
    printf("run\tstate\tname\tconfig\n");
    for (int i = 0; i < s->n; i++)
        printf("%d\t%s\t%s\t%s\n", i, state_name[sp_sweep_state(&s->run[i])], s->run[i].name, s->run[i].conf);
}

/* ---- the command */

static int cmd_sweep_report(int argc, char **argv)
{
    int quiet = 0;
    sp_opt opts[] = { SP_OPT_FLAG("--quiet", &quiet), SP_OPT_END };
    int status, nargs = sp_opt_parse(usage, opts, 1, argc, argv, &status);
    if (nargs < 0) return status;
    if (nargs < 1) return sp_usage_error(usage, "'sweep report' needs the sweep's DIR");
    sp_error err;
    char *table = NULL;
    if (sp_sweep_report_write(argv[1], &table, &err) != 0) {
        sp_errorf("%s", err.msg);
        return SP_EXIT_FAIL;
    }
    if (!quiet) fputs(table, stdout);
    free(table);
    return SP_EXIT_OK;
}

static int sweep_emit(const sp_sweep *s, int emit, int jobs, int ranks, int launcher)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        sp_errorf("cannot find this program's path (/proc/self/exe): %s", strerror(errno));
        return SP_EXIT_FAIL;
    }
    exe[n] = '\0';
    sp_error err;
    switch (emit) {
    case EMIT_LIST: emit_list(s, exe, ranks, launcher); return SP_EXIT_OK;
    case EMIT_PLAN: emit_plan(s); return SP_EXIT_OK;
    case EMIT_SLURM:
        if (emit_slurm(s, exe, ranks, launcher, &err) == 0) return SP_EXIT_OK;
        sp_errorf("%s", err.msg);
        return SP_EXIT_FAIL;
    default: return run_here(s, exe, jobs);
    }
}

int cmd_sweep(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "report")) return cmd_sweep_report(argc - 1, argv + 1);
    sp_opt_list vary = { 0 };
    const char *out = NULL;
    int seeds = 1, jobs = 0, emit = EMIT_RUN, ranks = 0, launcher = 0;
    sp_opt opts[] = {
        SP_OPT_LIST("--vary", &vary),
        SP_OPT_INT("--seeds", &seeds, 1, 10000),
        SP_OPT_STRING_NONEMPTY("--out", &out),
        SP_OPT_INT("--jobs", &jobs, 1, 1024),
        SP_OPT_CHOICE("--emit", &emit, emits),
        SP_OPT_INT("--ranks", &ranks, 1, 1 << 20),
        SP_OPT_CHOICE("--launcher", &launcher, launchers),
        SP_OPT_END,
    };
    int status, nargs = sp_opt_parse(usage, opts, 1, argc, argv, &status);
    if (nargs < 0) return status;
    int rc;
    if (nargs < 1) rc = sp_usage_error(usage, "give the CONFIG to sweep");
    else if (jobs && emit != EMIT_RUN) rc = sp_usage_error(usage, "'--jobs' trains here; it does not go with '--emit'");
    else if (ranks && emit == EMIT_RUN)
        rc = sp_usage_error(usage, "'--ranks' goes with '--emit list' or '--emit slurm' (run mpirun yourself)");
    else {
        sp_sweep s = { 0 };
        sp_error err;
        int e = sp_sweep_axes(&s, vary.v, (int)vary.n, &err) != 0 ? -2 : sp_sweep_expand(&s, argv[1], out, seeds, &err);
        if (e == 0 && sp_sweep_write(&s, &err) != 0) e = -1;
        if (e == -2) rc = sp_usage_error(usage, "%s", err.msg);
        else if (e != 0) {
            sp_errorf("%s", err.msg);
            rc = SP_EXIT_FAIL;
        } else
            rc = sweep_emit(&s, emit, jobs ? jobs : 1, ranks, launcher);
        sp_sweep_free(&s);
    }
    sp_opt_list_free(&vary);
    return rc;
}
