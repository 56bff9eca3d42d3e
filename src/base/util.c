/* util.c - see util.h. */
#include "config.h"
#include "base/util.h"
#include "base/log.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

void sp_oom(size_t n)
{
    sp_error e;
    sp_fail_oom(&e, n);
    sp_log_error("%s", e.msg);
    abort();
}

void *sp_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) sp_oom(n);
    return p;
}

void *sp_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) sp_oom(n * size);
    return p;
}

void *sp_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) sp_oom(n);
    return q;
}

char *sp_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = sp_xmalloc(n);
    memcpy(d, s, n);
    return d;
}

char *sp_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = sp_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return s;
}

int sp_strcaseeq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (tolower((unsigned char)*a) != tolower((unsigned char)*b)) return 0;
    return *a == *b;
}

int sp_endswith_ci(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && sp_strcaseeq(s + n - m, suffix);
}

void sp_strlower(char *s)
{
    for (; *s; s++) *s = (char)tolower((unsigned char)*s);
}

void sp_strupper(char *s)
{
    for (; *s; s++) *s = (char)toupper((unsigned char)*s);
}

char *sp_strtrim(char *s)
{
    char *b = s;
    while (*b && isspace((unsigned char)*b)) b++;
    size_t n = strlen(b);
    while (n > 0 && isspace((unsigned char)b[n - 1])) n--;
    memmove(s, b, n);
    s[n] = '\0';
    return s;
}

char *sp_path_join(const char *dir, const char *name)
{
    size_t n = strlen(dir);
    if (n > 0 && dir[n - 1] == '/') return sp_xasprintf("%s%s", dir, name);
    return sp_xasprintf("%s/%s", dir, name);
}

char *sp_path_folder_of(const char *file)
{
    const char *slash = strrchr(file, '/');
    char *dir = slash ? sp_xasprintf("%.*s", (int)(slash == file ? 1 : slash - file), file) : sp_xstrdup(".");
    char *real = realpath(dir, NULL);
    free(dir);
    return real;
}

char *sp_path_absolute(const char *base, const char *path)
{
    if (path[0] == '/') return sp_xstrdup(path);
    char *real = base && *base ? realpath(base, NULL) : getcwd(NULL, 0);
    char *b = real ? real : sp_xstrdup(base && *base ? base : ".");
    /* fold "./" and "../" at the front of path into the physical base */
    for (;;) {
        if (!strncmp(path, "./", 2)) path += 2;
        else if (!strcmp(path, ".")) path += 1;
        else if ((!strncmp(path, "../", 3) || !strcmp(path, "..")) && real && strcmp(b, "/")) {
            char *slash = strrchr(b, '/');
            slash[slash == b ? 1 : 0] = '\0';
            path += path[2] ? 3 : 2;
        } else break;
        while (*path == '/') path++;
    }
    char *out = *path ? sp_path_join(b, path) : sp_xstrdup(b);
    free(b);
    return out;
}

int sp_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int sp_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

int sp_mkdirs(const char *path, sp_error *err)
{
    char *p = sp_xstrdup(path);
    for (char *s = p + 1; ; s++) {
        if (*s == '/' || *s == '\0') {
            char c = *s;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                int e = errno;
                sp_fail(err, "cannot create directory '%s': %s", p, strerror(e));
                free(p);
                return -1;
            }
            if (c == '\0') break;
            *s = c;
        }
    }
    free(p);
    if (!sp_is_dir(path)) return sp_fail(err, "'%s' exists and is not a directory", path);
    return 0;
}

int sp_atomic_open(sp_atomic_file *af, const char *path, sp_error *err)
{
    af->path = sp_xstrdup(path);
    af->tmp = sp_xasprintf("%s.tmp.%ld", path, (long)getpid());
    af->f = fopen(af->tmp, "wb");
    if (!af->f) {
        int e = errno;
        sp_fail(err, "cannot create '%s': %s", af->tmp, strerror(e));
        free(af->path);
        free(af->tmp);
        af->path = af->tmp = NULL;
        return -1;
    }
    return 0;
}

/* fsync the directory holding path, so that a rename into it survives a
 * power cut (a rename is an update of the directory, which the file's
 * own fsync does not cover). Filesystems that cannot sync a directory
 * (EINVAL) are taken as they are. */
static int sync_parent_dir(const char *path, sp_error *err)
{
    char *dir = sp_xstrdup(path);
    char *slash = strrchr(dir, '/');
    if (!slash) snprintf(dir, strlen(dir) + 1, ".");
    else if (slash == dir) slash[1] = '\0';
    else *slash = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = 0;
    if (fd < 0 || (fsync(fd) != 0 && errno != EINVAL)) {
        int e = errno;
        rc = sp_fail(err, "cannot sync directory '%s' after renaming '%s' into it: %s", dir, path, strerror(e));
    }
    if (fd >= 0) close(fd);
    free(dir);
    return rc;
}

int sp_atomic_commit(sp_atomic_file *af, sp_error *err)
{
    int bad = ferror(af->f);
    if (fflush(af->f) != 0) bad = 1;
    if (!bad && fsync(fileno(af->f)) != 0) bad = 1;
    int e = errno;
    if (fclose(af->f) != 0) bad = 1;
    af->f = NULL;
    if (bad) {
        sp_fail(err, "cannot write '%s': %s", af->tmp, strerror(e ? e : EIO));
        remove(af->tmp);
    } else if (rename(af->tmp, af->path) != 0) {
        e = errno;
        sp_fail(err, "cannot rename '%s' to '%s': %s", af->tmp, af->path, strerror(e));
        remove(af->tmp);
        bad = 1;
    } else if (sync_parent_dir(af->path, err) != 0) {
        bad = 1;
    }
    free(af->path);
    free(af->tmp);
    af->path = af->tmp = NULL;
    return bad ? -1 : 0;
}

void sp_atomic_abort(sp_atomic_file *af)
{
    if (af->f) fclose(af->f);
    if (af->tmp) remove(af->tmp);
    free(af->path);
    free(af->tmp);
    af->f = NULL;
    af->path = af->tmp = NULL;
}

/* Directory of the running executable, from /proc/self/exe. */
static char *exe_dir(void)
{
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0) return NULL;
    buf[n] = '\0';
    char *slash = strrchr(buf, '/');
    if (!slash) return NULL;
    *slash = '\0';
    return sp_xstrdup(buf);
}

char *sp_data_file(const char *name, sp_error *err)
{
    const char *env = getenv("SINCPROBE_DATA_DIR");
    if (env && *env) {
        char *p = sp_path_join(env, name);
        if (sp_is_file(p)) return p;
        sp_fail(err, "data file '%s' not found (SINCPROBE_DATA_DIR is '%s')", name, env);
        free(p);
        return NULL;
    }
    char *p = sp_path_join(SP_PKGDATADIR "/corpora", name);
    if (sp_is_file(p)) return p;
    free(p);
    char *dir = exe_dir();
    if (dir) {
        static const char *const rel[] = { "../corpora", "../../corpora", "../../../corpora" };
        for (size_t i = 0; i < sizeof rel / sizeof rel[0]; i++) {
            char *d = sp_path_join(dir, rel[i]);
            p = sp_path_join(d, name);
            free(d);
            if (sp_is_file(p)) {
                free(dir);
                return p;
            }
            free(p);
        }
        free(dir);
    }
    sp_fail(err, "data file '%s' not found in '%s'; set SINCPROBE_DATA_DIR to sincprobe's corpora directory",
            name, SP_PKGDATADIR "/corpora");
    return NULL;
}

char *sp_read_file(const char *path, size_t *len, sp_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int e = errno;
        sp_fail(err, "cannot open '%s': %s", path, strerror(e));
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *buf = sp_xmalloc(cap);
    for (;;) {
        if (n + 1 >= cap) buf = sp_xrealloc(buf, cap *= 2);
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) break;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(buf);
        sp_fail(err, "cannot read '%s'", path);
        return NULL;
    }
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

double sp_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double sp_progress_interval(void)
{
    const char *s = getenv("SINCPROBE_PROGRESS_INTERVAL");
    if (!s || !*s) return 10.0;
    char *end;
    double v = strtod(s, &end);
    return *end || !(v >= 0 && v <= 1e9) ? 10.0 : v;
}

void sp_progress_start(sp_progress *p, const char *label, long total)
{
    snprintf(p->label, sizeof p->label, "%s", label);
    p->total = total > 0 ? total : 1;
    p->last_shown = -1;
    p->tty = sp_log_tty();
    p->t0 = p->last_t = sp_now();
    p->shown = 0;
    p->interval = sp_progress_interval();
}

void sp_progress_update(sp_progress *p, long done)
{
    long pct = done * 100 / p->total;
    if (p->tty) {
        if (pct == p->last_shown && done != p->total) return;
        p->last_shown = pct;
        int width = 30, fill = (int)(done * width / p->total);
        double el = sp_now() - p->t0;
        double eta = done > 0 ? el * (double)(p->total - done) / (double)done : 0.0;
        sp_log_progress("\r%s [%.*s%*s] %3ld%% %ld/%ld  eta %.0fs ", p->label, fill,
                        "##############################", width - fill, "", pct, done, p->total, eta);
    } else {
        double now = sp_now();
        if (now - p->last_t < p->interval || done == p->last_shown) return;
        p->last_shown = done;
        p->last_t = now;
        p->shown++;
        double eta = done > 0 ? (now - p->t0) * (double)(p->total - done) / (double)done : 0.0;
        sp_log_info("%s: %ld/%ld (%ld%%) eta %.0fs", p->label, done, p->total, pct, eta);
    }
}

void sp_progress_end(sp_progress *p)
{
    if (p->tty) sp_log_progress("\r%s done in %.1fs%40s\n", p->label, sp_now() - p->t0, "");
    else if (p->shown) sp_log_info("%s: done in %.1fs", p->label, sp_now() - p->t0);
}

/* ---- "did you mean" */

/* Optimal string alignment: d[i][j] is the distance between the first i
 * characters of a and the first j of b,
 *     d[i][j] = min(d[i-1][j] + 1, d[i][j-1] + 1, d[i-1][j-1] + (a_i != b_j),
 *                   d[i-2][j-2] + 1 when a_i a_{i-1} = b_{j-1} b_j swapped),
 * kept in three rows (the swap looks two rows back). */
size_t sp_edit_distance(const char *a, const char *b)
{
    enum { MAXLEN = 255 };
    size_t n = strlen(a), m = strlen(b);
    if (n > MAXLEN || m > MAXLEN) return SIZE_MAX;
    size_t rows[3][MAXLEN + 1];
    size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    for (size_t j = 0; j <= m; j++) prev[j] = j;
    for (size_t i = 1; i <= n; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= m; j++) {
            size_t best = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < best) best = prev[j] + 1;
            if (cur[j - 1] + 1 < best) best = cur[j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
        size_t *t = prev2;
        prev2 = prev;
        prev = cur;
        cur = t;
    }
    return prev[m];
}

void sp_suggest_init(sp_suggest *s, const char *word)
{
    s->word = word;
    s->best = NULL;
    s->dist = SIZE_MAX;
    s->nocase = 0;
}

void sp_suggest_init_nocase(sp_suggest *s, const char *word)
{
    sp_suggest_init(s, word);
    s->nocase = 1;
}

/* The distance with both names lower-cased (names longer than the
 * distance's limit are too long either way). */
static size_t distance_nocase(const char *a, const char *b)
{
    char la[256], lb[256];
    if (strlen(a) >= sizeof la || strlen(b) >= sizeof lb) return SIZE_MAX;
    snprintf(la, sizeof la, "%s", a);
    snprintf(lb, sizeof lb, "%s", b);
    sp_strlower(la);
    sp_strlower(lb);
    return sp_edit_distance(la, lb);
}

void sp_suggest_add(sp_suggest *s, const char *candidate)
{
    if (!candidate) return;
    size_t d = s->nocase ? distance_nocase(s->word, candidate) : sp_edit_distance(s->word, candidate);
    size_t longer = strlen(s->word) > strlen(candidate) ? strlen(s->word) : strlen(candidate);
    /* at most a third of the longer name changed, and not the same name
     * (without case, 0 is a name differing in case only: the nearest) */
    int same = s->nocase ? !strcmp(s->word, candidate) : d == 0;
    if (same || d == SIZE_MAX || 3 * d > longer || d >= s->dist) return;
    s->best = candidate;
    s->dist = d;
}

const char *sp_suggest_best(const sp_suggest *s)
{
    return s->best;
}

uint32_t sp_crc32(uint32_t crc, const void *data, size_t n)
{
    static uint32_t table[256];
    static int ready;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    const unsigned char *p = data;
    crc = ~crc;
    for (size_t i = 0; i < n; i++) crc = table[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
    return ~crc;
}
