/* rundir.c - see rundir.h. */
#include "config.h"
#include "run/rundir.h"
#include "nn/checkpoint.h"
#include "nn/model.h"
#include "base/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

/* ---- the lock */

/* This process's command line, its arguments joined by spaces. */
static void own_command(char *buf, size_t size)
{
    snprintf(buf, size, "?");
    FILE *f = fopen("/proc/self/cmdline", "rb");
    if (!f) return;
    size_t n = fread(buf, 1, size - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n > 0 && buf[n - 1] == '\0') n--;
    for (size_t i = 0; i < n; i++)
        if (buf[i] == '\0' || buf[i] == '\n' || buf[i] == '\t') buf[i] = ' ';
}

/* The holder's "PID<TAB>COMMAND" from the lock file, as "process PID
 * (COMMAND)"; "another process" when the file does not say. */
static void holder(int fd, char *buf, size_t size)
{
    char line[1024];
    ssize_t n = pread(fd, line, sizeof line - 1, 0);
    long pid = 0;
    int used = 0;
    if (n > 0) {
        line[n] = '\0';
        line[strcspn(line, "\n")] = '\0';
        if (sscanf(line, "%ld\t%n", &pid, &used) == 1 && pid > 0) {
            snprintf(buf, size, "process %ld (%s)", pid, line + used);
            return;
        }
    }
    snprintf(buf, size, "another process");
}

int sp_rundir_lock(const char *dir, int *created, sp_error *err)
{
    *created = !sp_is_dir(dir);
    if (sp_mkdirs(dir, err) != 0) return -1;
    char *path = sp_path_join(dir, "lock");
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
        int e = errno;
        sp_fail(err, "cannot open the lock file '%s': %s", path, strerror(e));
        free(path);
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int e = errno;
        char who[1100];
        holder(fd, who, sizeof who);
        close(fd);
        if (e == EWOULDBLOCK)
            sp_fail(err, "run directory '%s' is in use by %s (lock '%s'); wait for it to end or stop it", dir, who,
                    path);
        else
            sp_fail(err, "cannot lock '%s': %s", path, strerror(e));
        free(path);
        return -1;
    }
    char cmd[900], line[1000];
    own_command(cmd, sizeof cmd);
    int n = snprintf(line, sizeof line, "%ld\t%s\n", (long)getpid(), cmd);
    if (n >= (int)sizeof line) n = (int)sizeof line - 1;
    if (ftruncate(fd, 0) != 0 || pwrite(fd, line, (size_t)n, 0) != n) {
        int e = errno;
        sp_fail(err, "cannot write the lock file '%s': %s", path, strerror(e));
        close(fd);
        free(path);
        return -1;
    }
    free(path);
    return fd;
}

void sp_rundir_unlock(int fd)
{
    if (fd >= 0) close(fd); /* closing the last descriptor releases the flock */
}

/* ---- temporary files of killed writes */

/* NAME.tmp.PID with PID all digits: the pid, else 0. */
static long tmp_pid(const char *name)
{
    const char *t = strstr(name, ".tmp.");
    if (!t || t == name) return 0;
    const char *p = t + 5;
    if (!*p || strspn(p, "0123456789") != strlen(p)) return 0;
    return atol(p);
}

static int remove_tmp_in(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int removed = 0;
    for (struct dirent *e; (e = readdir(d));) {
        long pid = tmp_pid(e->d_name);
        if (pid <= 0) continue;
        /* another live process's write in progress (kill(pid, 0) fails
         * with ESRCH only when there is no such process) is left alone;
         * ours cannot be in progress yet: it is a dead one's, reused pid */
        if (pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 || errno != ESRCH)) continue;
        char *p = sp_path_join(dir, e->d_name);
        if (sp_is_file(p) && remove(p) == 0) removed++;
        free(p);
    }
    closedir(d);
    return removed;
}

int sp_rundir_remove_tmp(const char *dir)
{
    int removed = remove_tmp_in(dir);
    char *ck = sp_path_join(dir, "checkpoints"), *probes = sp_path_join(dir, "probes");
    removed += remove_tmp_in(ck);
    DIR *d = opendir(probes);
    for (struct dirent *e; d && (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        char *p = sp_path_join(probes, e->d_name);
        removed += remove_tmp_in(p);
        free(p);
    }
    if (d) closedir(d);
    free(ck);
    free(probes);
    return removed;
}

/* ---- a new run that failed before its first step */

/* nftw's visitor, children before their folder (FTW_DEPTH), links not
 * followed (FTW_PHYS): remove each entry; the walk goes on past one that
 * cannot be removed (the folder then stays). */
static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void sp_rundir_remove_new(const char *dir)
{
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* ---- best.ckpt */

static int read_pos(const char *path, sp_train_pos *pos, sp_error *err)
{
    sp_model m;
    if (sp_checkpoint_load(path, &m, 1, NULL, pos, err) != 0) return -1;
    sp_model_free(&m);
    return 0;
}

static int copy_file(const char *from, const char *to, sp_error *err)
{
    size_t len = 0;
    char *data = sp_read_file(from, &len, err);
    if (!data) return -1;
    sp_atomic_file af;
    if (sp_atomic_open(&af, to, err) != 0) {
        free(data);
        return -1;
    }
    fwrite(data, 1, len, af.f);
    free(data);
    return sp_atomic_commit(&af, err);
}

int sp_rundir_repair_best(const char *last, const char *best, sp_error *err)
{
    sp_train_pos lp, bp;
    if (read_pos(last, &lp, err) != 0) return -1;
    if (lp.best_epoch < 1) return 0;
    if (sp_is_file(best)) {
        if (read_pos(best, &bp, err) != 0) return -1;
        if (bp.epoch == lp.best_epoch && bp.step == 0) return 0;
    }
    /* best.ckpt is written right after last.ckpt at the best epoch's end,
     * so a stale one means last.ckpt is still that epoch's end state */
    if (lp.epoch != lp.best_epoch || lp.step != 0)
        return sp_fail(err, "'%s' is not the state of the best epoch %d recorded in '%s', and cannot be rebuilt from it",
                       best, lp.best_epoch, last);
    return copy_file(last, best, err) != 0 ? -1 : 1;
}
