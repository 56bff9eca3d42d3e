/* view_term.c - the terminal view of `sincprobe live` (and of --watch):
 * ANSI escapes on stdout, keys from stdin in raw mode. It needs only a
 * tty and a TERM that is not "dumb", so it works over SSH.
 *
 *   line 1        the title and the keys
 *   line 2        the frequency axis: Hz of some filters' centres
 *   lines 3..R-1  the spectrogram, one row per frame, newest at the
 *                 bottom; a row is the filters from low to high centre
 *                 across the width (the loudest filter of a cell's range
 *                 when there are more filters than columns)
 *   line R        the status: time, level, top phones, overruns
 *
 * The spectrogram lines are a scroll region (DECSTBM): a new frame is a
 * line feed at its bottom and one row of cells, not a repaint, so a frame
 * costs a few hundred bytes (truecolour: an SGR only where the colour
 * changes). Colours: truecolour (48;2;R;G;B), 256 colours (the 6x6x6
 * cube), or without colour (NO_COLOR, https://no-color.org) characters of
 * the ramp " .:-=+*#%@" and no SGR at all.
 *
 * The terminal is put back (scroll region, attributes, cursor, main
 * screen, termios) at close; SIGINT and SIGTERM only set a flag that
 * makes the next poll return QUIT, so that the caller closes the view in
 * its normal flow (then exits 128 + the signal: 130 for Ctrl-C); a second
 * signal puts the terminal back from the handler and exits at once; an
 * atexit handler is the last resort. SIGWINCH sets a flag; the next
 * present asks TIOCGWINSZ and repaints. */
#include "config.h"
#include "live/view_impl.h"
#include "plot/draw.h"
#include "base/util.h"

#include <math.h>
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

// ----------------------------------------------------------------------------
// signals and the terminal to put back (process-wide: one terminal view
// at a time)

static volatile sig_atomic_t caught, winched, tty_live;
static struct termios tty_saved;
static int tty_fd = -1, sig_users;
static struct sigaction old_int, old_term, old_winch;

static const char RESTORE[] = "\x1b[r\x1b[0m\x1b[?25h\x1b[?1049l";

/* Async-signal-safe: write(2) and tcsetattr(3) only. */
static void tty_restore_now(void)
{
    if (!tty_live) return;
    tty_live = 0;
    ssize_t r = write(STDOUT_FILENO, RESTORE, sizeof RESTORE - 1);
    (void)r;
    if (tty_fd >= 0) tcsetattr(tty_fd, TCSANOW, &tty_saved);
}

static void at_exit_restore(void)
{
    tty_restore_now();
}

static void on_signal(int sig)
{
    if (sig == SIGWINCH) {
        winched = 1;
        return;
    }
    if (caught) { /* a second one: the program did not stop in time */
        tty_restore_now();
        _exit(128 + sig);
    }
    caught = sig;
}

void sp_live_signals_on(void)
{
    if (sig_users++ > 0) return;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    sigaction(SIGWINCH, &sa, &old_winch);
}

void sp_live_signals_off(void)
{
    if (sig_users == 0 || --sig_users > 0) return;
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    sigaction(SIGWINCH, &old_winch, NULL);
}

int sp_live_signal_caught(void)
{
    return caught;
}

// ----------------------------------------------------------------------------
// the terminal

struct sp_live_term {
    int color, rows, cols;
    char *buf;
    size_t n, cap;
    int last;            /* the colour of the last cell of the row, -1 none */
    /* the view's state */
    long drawn;          /* frames drawn (the history's n at the last draw) */
    int full;            /* repaint everything at the next draw */
    int shown_paused;
    double lo, hi;       /* the colour scale of the rows on screen */
};

static void query_size(sp_live_term *t)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0) {
        t->rows = ws.ws_row, t->cols = ws.ws_col;
        return;
    }
    const char *l = getenv("LINES"), *c = getenv("COLUMNS");
    t->rows = l && atoi(l) > 0 ? atoi(l) : 24;
    t->cols = c && atoi(c) > 0 ? atoi(c) : 80;
}

sp_live_term *sp_live_term_open(int color, sp_error *err)
{
    const char *term = getenv("TERM");
    if (!isatty(STDOUT_FILENO)) {
        sp_fail(err, "the terminal view needs a terminal on stdout (try --display none)");
        return NULL;
    }
    if (!term || !term[0] || !strcmp(term, "dumb")) {
        sp_fail(err, "the terminal view needs a terminal that understands ANSI escapes (TERM is '%s')", term ? term : "");
        return NULL;
    }
    if (tty_live) {
        sp_fail(err, "a terminal view is already open");
        return NULL;
    }
    sp_live_term *t = sp_xcalloc(1, sizeof *t);
    t->color = color < 0 ? 0 : color > 2 ? 2 : color;
    t->last = -1, t->full = 1;
    static int registered;
    if (!registered) registered = atexit(at_exit_restore) == 0;
    /* termios on stdin when it is the terminal (the keys), else stdout */
    tty_fd = isatty(STDIN_FILENO) ? STDIN_FILENO : STDOUT_FILENO;
    if (tcgetattr(tty_fd, &tty_saved) == 0) {
        struct termios raw = tty_saved;
        raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO); /* ISIG stays: Ctrl-C is SIGINT */
        raw.c_cc[VMIN] = 0;
        raw.c_cc[VTIME] = 0;
        tcsetattr(tty_fd, TCSANOW, &raw);
    } else {
        tty_fd = -1;
    }
    tty_live = 1;
    sp_live_signals_on();
    winched = 0;
    query_size(t);
    sp_live_term_printf(t, "\x1b[?1049h\x1b[?25l\x1b[H\x1b[2J");
    sp_live_term_flush(t);
    return t;
}

void sp_live_term_close(sp_live_term *t)
{
    if (!t) return;
    sp_live_term_flush(t);
    tty_restore_now();
    sp_live_signals_off();
    free(t->buf);
    free(t);
}

int sp_live_term_size(sp_live_term *t, int *rows, int *cols)
{
    int changed = 0;
    if (winched) {
        winched = 0;
        int r = t->rows, c = t->cols;
        query_size(t);
        changed = r != t->rows || c != t->cols;
    }
    *rows = t->rows, *cols = t->cols;
    return changed;
}

int sp_live_term_color(const sp_live_term *t)
{
    return t->color;
}

sp_live_key sp_live_term_key(sp_live_term *t)
{
    (void)t;
    if (caught) return SP_LIVE_QUIT;
    struct pollfd p = { STDIN_FILENO, POLLIN, 0 };
    unsigned char c;
    while (poll(&p, 1, 0) == 1 && (p.revents & POLLIN) && read(STDIN_FILENO, &c, 1) == 1) {
        if (c == 'q' || c == 'Q') return SP_LIVE_QUIT;
        if (c == ' ') return SP_LIVE_PAUSE;
        if (c == 's' || c == 'S') return SP_LIVE_SAVE;
    }
    return SP_LIVE_NONE;
}

static void put(sp_live_term *t, const char *s, size_t n)
{
    if (t->n + n + 1 > t->cap) {
        t->cap = (t->n + n + 1) * 2;
        t->buf = sp_xrealloc(t->buf, t->cap);
    }
    memcpy(t->buf + t->n, s, n);
    t->n += n;
}

void sp_live_term_printf(sp_live_term *t, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if ((size_t)n < sizeof small) {
        put(t, small, (size_t)n);
        return;
    }
    char *big = sp_xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    put(t, big, (size_t)n);
    free(big);
}

void sp_live_term_cell(sp_live_term *t, double x)
{
    static const char ramp[] = " .:-=+*#%@";
    if (t->color == 0) {
        int i = isfinite(x) ? (int)(x * 10) : 0;
        put(t, ramp + (i < 0 ? 0 : i > 9 ? 9 : i), 1);
        return;
    }
    if (!isfinite(x)) {
        if (t->last != -2) put(t, "\x1b[49m", 5);
        t->last = -2;
        put(t, " ", 1);
        return;
    }
    double r, g, b;
    sp_draw_viridis(x, &r, &g, &b);
    int code;
    if (t->color == 2) code = (int)(r * 255 + 0.5) << 16 | (int)(g * 255 + 0.5) << 8 | (int)(b * 255 + 0.5);
    else code = 16 + 36 * (int)(r * 5 + 0.5) + 6 * (int)(g * 5 + 0.5) + (int)(b * 5 + 0.5);
    if (code != t->last) {
        if (t->color == 2) sp_live_term_printf(t, "\x1b[48;2;%d;%d;%dm", code >> 16, code >> 8 & 255, code & 255);
        else sp_live_term_printf(t, "\x1b[48;5;%dm", code);
        t->last = code;
    }
    put(t, " ", 1);
}

void sp_live_term_row_end(sp_live_term *t)
{
    if (t->color && t->last != -1) put(t, "\x1b[0m", 4);
    t->last = -1;
}

int sp_live_term_flush(sp_live_term *t)
{
    size_t off = 0;
    int rc = 0;
    while (off < t->n) {
        ssize_t w = write(STDOUT_FILENO, t->buf + off, t->n - off);
        if (w > 0) {
            off += (size_t)w;
        } else if (w < 0 && (errno == EINTR || errno == EAGAIN)) {
            struct pollfd p = { STDOUT_FILENO, POLLOUT, 0 };
            poll(&p, 1, 100);
        } else {
            rc = -1;
            break;
        }
    }
    t->n = 0;
    return rc;
}

// ----------------------------------------------------------------------------
// the view's terminal backend

int sp_live_termview_open(sp_live_view *v, sp_error *err)
{
    int color = v->o.color < 0 ? sp_live_view_term_color() : v->o.color;
    const char *nc = getenv("NO_COLOR");
    if (nc && nc[0]) color = 0;
    v->term = sp_live_term_open(color, err);
    return v->term ? 0 : -1;
}

/* "250" below 1 kHz, "1.2k" from there. */
static void hz_label(char *buf, size_t n, double hz)
{
    if (hz < 1000) snprintf(buf, n, "%.0f", hz);
    else snprintf(buf, n, "%.1fk", hz / 1000);
}

/* Filters [*f0, *f1) under column x of cols. */
static void cell_filters(int F, int cols, int x, int *f0, int *f1)
{
    *f0 = (int)((long)x * F / cols);
    *f1 = (int)((long)(x + 1) * F / cols);
    if (*f1 <= *f0) *f1 = *f0 + 1;
}

/* Lines 1 and 2: the title and keys, the frequency axis. */
static void header(const sp_live_view *v, sp_live_term *t, int cols)
{
    char line[1024], lab[16];
    snprintf(line, sizeof line, "sincprobe live%s%s   q quit, space pause, s save PNG", v->sc.title[0] ? ": " : "",
             v->sc.title);
    sp_live_term_printf(t, "\x1b[1;1H%.*s\x1b[K\x1b[2;1H", cols - 1, line);
    int F = v->sc.nfilt, at = 0;
    memset(line, ' ', sizeof line);
    for (int x = 0; x < cols - 1 && x < (int)sizeof line - 16;) {
        int f0, f1;
        cell_filters(F, cols, x, &f0, &f1);
        hz_label(lab, sizeof lab, v->sc.centre_hz[f0]);
        int len = (int)strlen(lab);
        if (x + len >= cols - 1) break;
        memcpy(line + x, lab, (size_t)len);
        at = x + len;
        x = at + 3 > x + 8 ? at + 3 : x + 8; /* a label every 8 columns at most */
    }
    sp_live_term_printf(t, "%.*s\x1b[K", at, line);
}

/* One spectrogram row: the frame in slot s (-1: blank), across cols. */
static void row(const sp_live_view *v, sp_live_term *t, const sp_live_hist *h, long s, int cols, double lo, double hi)
{
    if (s < 0) {
        sp_live_term_printf(t, "\x1b[K");
        return;
    }
    const float *e = h->energy + (size_t)s * h->F;
    for (int x = 0; x < cols; x++) {
        int f0, f1;
        cell_filters(h->F, cols, x, &f0, &f1);
        float m = -INFINITY;
        for (int f = f0; f < f1; f++)
            if (e[f] > m) m = e[f];
        double q = (m - lo) / (hi - lo);
        sp_live_term_cell(t, isfinite(q) ? (q < 0 ? 0 : q > 1 ? 1 : q) : 0);
    }
    sp_live_term_row_end(t);
}

/* The last line: time, level, top phones, overruns, PAUSED, the last
 * save; reverse video when colours are on. */
static void status_line(const sp_live_view *v, sp_live_term *t, const sp_live_hist *h, int rows, int cols)
{
    char line[1024];
    int n = 0;
    long s = sp_live_hist_slot(h, 0);
    if (s < 0) n = snprintf(line, sizeof line, " waiting for the first frame");
    else n = snprintf(line, sizeof line, " t %.2f s | level %.1f dBFS |", h->t[s], h->level[s]);
    for (int k = 0; s >= 0 && k < h->ntop && n < (int)sizeof line - 64; k++) {
        const char *ph = h->phone + ((size_t)s * h->ntop + k) * SP_LIVE_PHONELEN;
        if (ph[0]) n += snprintf(line + n, sizeof line - (size_t)n, " %s %.2f", ph, h->prob[(size_t)s * h->ntop + k]);
    }
    if (s >= 0 && h->ntop > 0) n += snprintf(line + n, sizeof line - (size_t)n, " |");
    n += snprintf(line + n, sizeof line - (size_t)n, " overruns %llu%s%s%s",
                  (unsigned long long)(s >= 0 ? h->overruns[s] : 0), v->paused ? " | PAUSED" : "",
                  v->note[0] ? " | " : "", v->note);
    sp_live_term_printf(t, "\x1b[%d;1H%s%.*s\x1b[K%s", rows, t->color ? "\x1b[7m" : "", cols - 1, line,
                        t->color ? "\x1b[0m" : "");
}

/* The spectrogram lines top .. bottom, the newest frame at the bottom. */
static void region(const sp_live_view *v, sp_live_term *t, const sp_live_hist *h, int top, int bottom, int cols,
                   double lo, double hi)
{
    for (int y = top; y <= bottom; y++) {
        sp_live_term_printf(t, "\x1b[%d;1H", y);
        row(v, t, h, sp_live_hist_slot(h, bottom - y), cols, lo, hi);
    }
}

int sp_live_termview_draw(sp_live_view *v, sp_error *err)
{
    sp_live_term *t = v->term;
    const sp_live_hist *h = sp_live_view_shown(v);
    int rows, cols;
    if (sp_live_term_size(t, &rows, &cols) || v->paused != t->shown_paused) t->full = 1;
    t->shown_paused = v->paused;
    if (rows < 5 || cols < 20) {
        sp_live_term_printf(t, "\x1b[r\x1b[H\x1b[2Jterminal too small (%d x %d)", cols, rows);
        t->full = 1;
        return sp_live_term_flush(t) == 0 ? 0 : sp_fail(err, "cannot write to the terminal");
    }
    double lo, hi;
    sp_live_view_db_range(v, h, &lo, &hi);
    int top = 3, bottom = rows - 1;
    long fresh = h->n - t->drawn;
    if (lo != t->lo || hi != t->hi) t->full = 1; /* the rows on screen are of another scale */
    t->lo = lo, t->hi = hi;
    if (t->full) {
        sp_live_term_printf(t, "%s\x1b[r\x1b[H\x1b[2J", t->color ? "\x1b[0m" : "");
        header(v, t, cols);
        sp_live_term_printf(t, "\x1b[%d;%dr", top, bottom);
        region(v, t, h, top, bottom, cols, lo, hi);
    } else if (fresh > bottom - top) {
        region(v, t, h, top, bottom, cols, lo, hi);
    } else {
        /* a line feed at the region's bottom scrolls it up by one */
        for (long k = fresh - 1; k >= 0; k--) {
            sp_live_term_printf(t, "\x1b[%d;1H\n", bottom);
            row(v, t, h, sp_live_hist_slot(h, k), cols, lo, hi);
        }
    }
    t->full = 0;
    t->drawn = h->n;
    status_line(v, t, h, rows, cols);
    return sp_live_term_flush(t) == 0 ? 0 : sp_fail(err, "cannot write to the terminal");
}

sp_live_key sp_live_termview_key(sp_live_view *v)
{
    return sp_live_term_key(v->term);
}

void sp_live_termview_close(sp_live_view *v)
{
    sp_live_term_close(v->term);
    v->term = NULL;
}
