/* view.h - what `sincprobe live` shows, and where: an SDL2 window drawn
 * with cairo, an ANSI terminal, or nothing.
 *
 * A view gets a scene once (the filters, their responses, the AFR) and then
 * one frame per hop (band energies, level, top phones, overruns); it keeps
 * the last columns for the scrolling "learned spectrogram" (time x filters
 * ordered by centre frequency) and redraws at most fps times a second when
 * sp_live_view_present is called. Only the thread that opened a view may
 * use it (SDL's rule). */
#ifndef SP_LIVE_VIEW_H
#define SP_LIVE_VIEW_H
#include <stdint.h>
#include "base/error.h"

typedef struct {
    int nfilt;                 /* F filters, in increasing centre frequency */
    const float *centre_hz;    /* [F] */
    const float *low_hz;       /* [F] pass band edges */
    const float *high_hz;      /* [F] */
    int nfreq;                 /* responses on nfreq bins from 0 to fs/2 */
    const float *freq_hz;      /* [nfreq] */
    const float *response;     /* [F][nfreq] |H_c| peak-normalised, display order; or NULL */
    const float *afr;          /* [nfreq] their average, or NULL */
    double hop_s;              /* seconds per frame */
    int ntop;                  /* top phones per frame (0 without --phones) */
    const char *title;         /* e.g. the checkpoint's path */
    float db_lo, db_hi;        /* colour scale of the band energies, dB */
} sp_live_scene;

typedef struct {
    const float *energy_db;    /* [F] display order */
    float level_db;            /* input RMS over the hop, dBFS */
    int ntop;
    const char *const *top_phone; /* [ntop] best first */
    const float *top_prob;     /* [ntop] */
    uint64_t overruns;
    double t_s;                /* stream time at the end of the hop */
} sp_live_frame;

typedef enum {
    SP_LIVE_NONE = 0, SP_LIVE_QUIT, SP_LIVE_PAUSE, SP_LIVE_SAVE
} sp_live_key;

typedef struct {
    const char *kind;          /* "window", "term", "none" */
    int width, height;         /* window: initial size in pixels (0: 1100 x 600) */
    int columns;               /* frames kept on screen (0: window width; term: 1024, the
                                  last of them on the terminal's rows) */
    double fps;                /* redraw rate cap (0: 60) */
    int color;                 /* term: 2 truecolour, 1 256 colours, 0 none (NO_COLOR);
                                  -1: sp_live_view_term_color() */
} sp_live_view_opts;

typedef struct sp_live_view sp_live_view;

/* "window" needs a display (SDL_VIDEODRIVER / DISPLAY); "term" a terminal on
 * stdout (it switches to the alternate screen, hides the cursor, and puts
 * everything back at close and on SIGINT / SIGTERM). */
sp_live_view *sp_live_view_open(const sp_live_view_opts *o, const sp_live_scene *s, sp_error *err);
/* Adds one column (copies the frame; does not draw). */
void sp_live_view_push(sp_live_view *v, const sp_live_frame *f);
/* Draws when 1/fps has passed since the last draw (or force): 1 if it
 * drew, 0 if not due, -1 on error. */
int sp_live_view_present(sp_live_view *v, int force, sp_error *err);
/* The next key or window event (never blocks). The view acts on it
 * itself: space freezes the picture (frames still arrive and are kept;
 * the next space shows them) or lets it go, s saves the picture as
 * live-YYYYmmdd-HHMMSS.png in the current directory (sp_live_view_note
 * says where, and the status line shows it); the caller need not do
 * anything but stop on QUIT (q, Escape, a closed window, SIGINT or
 * SIGTERM). "none": always NONE. */
sp_live_key sp_live_view_poll(sp_live_view *v);
/* The current picture as a PNG (window; term: the spectrogram drawn as an
 * image of the same layout). Atomic (temp file + rename). */
int sp_live_view_save_png(sp_live_view *v, const char *path, sp_error *err);
void sp_live_view_close(sp_live_view *v);
/* 1 if a window can be opened here: DISPLAY or WAYLAND_DISPLAY is set
 * (or SDL_VIDEODRIVER is offscreen or dummy) and SDL's video starts. */
int sp_live_view_window_available(void);

/* Added to the interface (issue 11, view helper): */
/* 1 while space has frozen the picture. */
int sp_live_view_paused(const sp_live_view *v);
/* The last message of a key's action ("saved DIR/live-...png", or why it
 * could not), or NULL. */
const char *sp_live_view_note(const sp_live_view *v);
/* The signal (SIGINT, SIGTERM) that made a window or terminal view
 * return QUIT, or 0. A caller that stops on it exits with 128 + it (130
 * for Ctrl-C) after sp_live_view_close has put the terminal back. */
int sp_live_view_interrupted(void);
/* The colours the terminal here takes: 0 when NO_COLOR is set (to
 * anything but ""), else 2 when COLORTERM is truecolor or 24bit, else 1.
 * opts.color < 0 means this; NO_COLOR overrides any opts.color. */
int sp_live_view_term_color(void);
#endif
