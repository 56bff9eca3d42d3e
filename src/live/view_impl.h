/* view_impl.h - internal to src/live/: what the views (view.c,
 * view_draw.c, view_window.c, view_term.c) and the watch (watch.c) share:
 * the frame history, the view itself, the SDL window, the terminal and
 * the signal flags. Nothing outside src/live/ includes it.
 *
 * Errors (base/error.h): 0, or -1 with a one-line message in err. */
#ifndef SP_LIVE_VIEW_IMPL_H
#define SP_LIVE_VIEW_IMPL_H

#include <cairo.h>
#include <stddef.h>
#include <stdint.h>

#include "live/view.h"

// ----------------------------------------------------------------------------
// the frame history (view.c): the last cap frames, a ring

enum { SP_LIVE_TOPMAX = 8, SP_LIVE_PHONELEN = 16 };

/* Frame i (0-based, of the n pushed so far) is in slot i % cap. */
typedef struct {
    int F, cap, ntop;
    long n;
    float *energy;      /* [cap][F] dB */
    float *level;       /* [cap] dBFS */
    double *t;          /* [cap] stream seconds */
    uint64_t *overruns; /* [cap] */
    char *phone;        /* [cap][ntop][SP_LIVE_PHONELEN], NUL-terminated */
    float *prob;        /* [cap][ntop] */
} sp_live_hist;

void sp_live_hist_init(sp_live_hist *h, int F, int cap, int ntop);
void sp_live_hist_free(sp_live_hist *h);
/* Copy f in (its ntop beyond h->ntop dropped, missing ones empty). */
void sp_live_hist_push(sp_live_hist *h, const sp_live_frame *f);
/* dst = src (same F, cap, ntop: both made by sp_live_hist_init). */
void sp_live_hist_copy(sp_live_hist *dst, const sp_live_hist *src);
/* The slot of the k-th newest frame (k = 0: the newest), -1 when fewer
 * than k + 1 are kept. */
long sp_live_hist_slot(const sp_live_hist *h, long k);

// ----------------------------------------------------------------------------
// the view (view.c dispatches to a backend by kind)

typedef struct sp_live_win sp_live_win;
typedef struct sp_live_term sp_live_term;

typedef enum { SP_VIEW_NONE, SP_VIEW_WINDOW, SP_VIEW_TERM } sp_view_kind;

struct sp_live_view {
    sp_view_kind kind;
    sp_live_view_opts o;
    sp_live_scene sc;         /* its arrays and title are the view's copies */
    sp_live_hist live;        /* every frame pushed */
    sp_live_hist frozen;      /* the picture while paused (cap 0 otherwise) */
    int paused, dirty;        /* dirty: redraw at the next present */
    double interval, last;    /* seconds between draws, time of the last */
    char note[SP_ERRLEN + 64]; /* shown in the status: the last save */
    /* view_draw.c's caches: the static layer and the spectrogram image */
    cairo_surface_t *bg, *spec;
    int bg_w, bg_h;           /* the size bg was drawn for */
    double bg_lo, bg_hi;      /* and the dB scale */
    uint32_t lut[256];        /* viridis as 0x00RRGGBB (lut[0] 0: not made) */
    sp_live_win *win;         /* window */
    sp_live_term *term;       /* term */
};

/* The history drawn: the frozen one while paused. */
const sp_live_hist *sp_live_view_shown(const sp_live_view *v);
/* The colour scale of the band energies: the scene's, or when it has
 * none (db_hi <= db_lo) the 60 dB below the loudest energy kept,
 * rounded up to a multiple of 10 dB. */
void sp_live_view_db_range(const sp_live_view *v, const sp_live_hist *h, double *lo, double *hi);
/* Seconds on a monotonic clock. */
double sp_live_now(void);
/* Write s as a PNG to a temporary file beside path and rename it. */
int sp_live_png_write(cairo_surface_t *s, const char *path, sp_error *err);
/* A picture drawn off screen: draw(ctx, cr, w, h) on a w x h image, written
 * as a PNG by sp_live_png_write (the terminal's and --watch's saves). */
int sp_live_png_render(int w, int h, void (*draw)(void *ctx, cairo_t *cr, int w, int h), void *ctx,
                       const char *path, sp_error *err);
/* "live-YYYYmmdd-HHMMSS.png" (or with "-N" before ".png" when taken) in
 * the current directory, into buf. */
void sp_live_png_name(const char *prefix, char *buf, size_t n);
/* The note a key's save leaves: "saved CWD/NAME" when rc is 0, else the
 * error's message. */
void sp_live_note_saved(char *note, size_t n, const char *name, int rc, const sp_error *e);

// ----------------------------------------------------------------------------
// the picture (view_draw.c): the window's layout, drawn with cairo

/* Everything of the live layout on cr, w x h pixels: the scrolling
 * spectrogram with its Hz axis, the responses with the current band
 * energies, the level meter, the top phones, the title and the status. */
void sp_live_draw(sp_live_view *v, cairo_t *cr, int w, int h);
/* The cached layers' memory. */
void sp_live_draw_free(sp_live_view *v);

// ----------------------------------------------------------------------------
// the SDL window (view_window.c), also used by watch.c

/* A resizable window of w x h pixels titled title (SDL's video
 * subsystem initialised for it, and quit at close). */
sp_live_win *sp_live_win_open(const char *title, int w, int h, sp_error *err);
void sp_live_win_close(sp_live_win *w);
/* The image to draw the next picture on, of the window's current size
 * (made anew after a resize; owned by the window). */
cairo_surface_t *sp_live_win_canvas(sp_live_win *w);
/* Put the canvas on the screen. */
int sp_live_win_show(sp_live_win *w, sp_error *err);
/* The next key (never blocks); window events that need a redraw (resize,
 * expose) set *dirty. q, Escape and closing the window: QUIT. */
sp_live_key sp_live_win_key(sp_live_win *w, int *dirty);

int sp_live_window_open(sp_live_view *v, sp_error *err);
int sp_live_window_draw(sp_live_view *v, sp_error *err);
sp_live_key sp_live_window_key(sp_live_view *v);
void sp_live_window_close(sp_live_view *v);

// ----------------------------------------------------------------------------
// the terminal (view_term.c), also used by watch.c

/* The terminal on stdout, in the alternate screen with the cursor hidden
 * and stdin in raw mode (no echo, no line editing; Ctrl-C still raises
 * SIGINT). color: 2 truecolour, 1 256 colours, 0 plain characters. */
sp_live_term *sp_live_term_open(int color, sp_error *err);
/* Puts the terminal back (main screen, cursor, termios). */
void sp_live_term_close(sp_live_term *t);
/* The size; 1 when it changed since the last call (SIGWINCH). */
int sp_live_term_size(sp_live_term *t, int *rows, int *cols);
int sp_live_term_color(const sp_live_term *t);
/* The next key from stdin (never blocks). */
sp_live_key sp_live_term_key(sp_live_term *t);
/* Output, buffered until sp_live_term_flush. */
void sp_live_term_printf(sp_live_term *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One cell of value x in [0, 1] on the viridis map (a coloured blank, or
 * a character of the ramp " .:-=+*#%@" without colour); NaN: blank. */
void sp_live_term_cell(sp_live_term *t, double x);
/* Ends a row of cells (resets the colour). */
void sp_live_term_row_end(sp_live_term *t);
int sp_live_term_flush(sp_live_term *t);

int sp_live_termview_open(sp_live_view *v, sp_error *err);
int sp_live_termview_draw(sp_live_view *v, sp_error *err);
sp_live_key sp_live_termview_key(sp_live_view *v);
void sp_live_termview_close(sp_live_view *v);

// ----------------------------------------------------------------------------
// SIGINT / SIGTERM (view_term.c): a handler that sets a flag

/* Install the handlers (and SIGWINCH's); nested calls count. A second
 * signal while the first is pending puts a terminal back at once (write
 * and tcsetattr are async-signal-safe) and exits 128 + its number. */
void sp_live_signals_on(void);
void sp_live_signals_off(void);
/* The signal caught (SIGINT, SIGTERM) since the process started, or 0. */
int sp_live_signal_caught(void);

#endif
