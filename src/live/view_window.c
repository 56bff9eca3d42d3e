/* view_window.c - the SDL2 window of `sincprobe live` (and of --watch):
 * each picture is drawn with cairo into an image surface of the window's
 * size (view_draw.c), whose pixels are blitted onto the window's own
 * surface (cairo's RGB24 and SDL's RGB888 are the same 32-bit
 * 0x00RRGGBB words, so the blit is a copy of rows). No renderer, no GPU
 * (SDL_HINT_FRAMEBUFFER_ACCELERATION 0): it works the same on Xvfb and
 * over X forwarding.
 *
 * SDL's own SIGINT handler is turned off (SDL_HINT_NO_SIGNAL_HANDLERS):
 * Ctrl-C in the launching terminal goes through the same flag as in the
 * terminal view (view_term.c), so that the caller can tell it from a
 * closed window (sp_live_view_interrupted). See view_impl.h. */
#include "config.h"
#include "live/view_impl.h"
#include "base/util.h"

#include <SDL.h>
#include <stdlib.h>
#include <string.h>

struct sp_live_win {
    SDL_Window *win;
    cairo_surface_t *canvas; /* NULL after a resize: made at the next draw */
};

static int video_init(void)
{
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1");
    /* the window's surface in shared memory (X11: XShm), not emulated
     * through an OpenGL texture: with software GL (Xvfb, X forwarding,
     * llvmpipe) that costs more than the whole drawing */
    SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0");
    return SDL_InitSubSystem(SDL_INIT_VIDEO);
}

static void video_quit(void)
{
    SDL_QuitSubSystem(SDL_INIT_VIDEO);
    if (SDL_WasInit(SDL_INIT_EVERYTHING) == 0) SDL_Quit();
}

/* SDL_VIDEODRIVER names a driver without a screen (offscreen, dummy). */
static int headless_asked(void)
{
    const char *drv = getenv("SDL_VIDEODRIVER");
    return drv && (!strcmp(drv, "offscreen") || !strcmp(drv, "dummy"));
}

/* Without DISPLAY and WAYLAND_DISPLAY, SDL would fall back to its
 * offscreen driver: a window nobody sees. That is refused unless
 * SDL_VIDEODRIVER asks for it. */
static int have_display(void)
{
    const char *d = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
    return headless_asked() || (d && d[0]) || (wl && wl[0]);
}

static int screenless_driver(void)
{
    const char *drv = SDL_GetCurrentVideoDriver();
    return !headless_asked() && drv && (!strcmp(drv, "offscreen") || !strcmp(drv, "dummy"));
}

int sp_live_view_window_available(void)
{
    if (!have_display() || video_init() != 0) return 0;
    int ok = !screenless_driver();
    video_quit();
    return ok;
}

sp_live_win *sp_live_win_open(const char *title, int w, int h, sp_error *err)
{
    if (!have_display()) {
        sp_fail(err, "cannot open a window: no display (DISPLAY and WAYLAND_DISPLAY are not set); try --display term");
        return NULL;
    }
    if (video_init() != 0) {
        sp_fail(err, "cannot open a window: %s; try --display term", SDL_GetError());
        return NULL;
    }
    if (screenless_driver()) {
        sp_fail(err, "cannot open a window: SDL found no display, only its '%s' driver; try --display term",
                SDL_GetCurrentVideoDriver());
        video_quit();
        return NULL;
    }
    SDL_Window *win = SDL_CreateWindow(title, SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, w, h,
                                       SDL_WINDOW_RESIZABLE);
    if (!win) {
        sp_fail(err, "cannot open a window of %d x %d: %s", w, h, SDL_GetError());
        video_quit();
        return NULL;
    }
    SDL_SetWindowMinimumSize(win, 640, 400);
    sp_live_win *x = sp_xcalloc(1, sizeof *x);
    x->win = win;
    sp_live_signals_on();
    return x;
}

void sp_live_win_close(sp_live_win *w)
{
    if (!w) return;
    if (w->canvas) cairo_surface_destroy(w->canvas);
    SDL_DestroyWindow(w->win);
    video_quit();
    sp_live_signals_off();
    free(w);
}

cairo_surface_t *sp_live_win_canvas(sp_live_win *w)
{
    int W, H;
    SDL_GetWindowSize(w->win, &W, &H);
    SDL_Surface *ws = SDL_GetWindowSurface(w->win);
    if (ws) W = ws->w, H = ws->h; /* the pixels, where they differ */
    if (w->canvas && (cairo_image_surface_get_width(w->canvas) != W || cairo_image_surface_get_height(w->canvas) != H)) {
        cairo_surface_destroy(w->canvas);
        w->canvas = NULL;
    }
    if (!w->canvas) w->canvas = cairo_image_surface_create(CAIRO_FORMAT_RGB24, W < 1 ? 1 : W, H < 1 ? 1 : H);
    return w->canvas;
}

int sp_live_win_show(sp_live_win *w, sp_error *err)
{
    SDL_Surface *ws = SDL_GetWindowSurface(w->win);
    if (!ws) return sp_fail(err, "the window has no surface: %s", SDL_GetError());
    cairo_surface_t *c = w->canvas;
    cairo_surface_flush(c);
    SDL_Surface *src = SDL_CreateRGBSurfaceWithFormatFrom(
        cairo_image_surface_get_data(c), cairo_image_surface_get_width(c), cairo_image_surface_get_height(c), 32,
        cairo_image_surface_get_stride(c), SDL_PIXELFORMAT_RGB888);
    if (!src) return sp_fail(err, "cannot wrap the picture for SDL: %s", SDL_GetError());
    int rc = SDL_BlitSurface(src, NULL, ws, NULL);
    SDL_FreeSurface(src);
    if (rc == 0) rc = SDL_UpdateWindowSurface(w->win);
    if (rc != 0) return sp_fail(err, "cannot show the picture: %s", SDL_GetError());
    return 0;
}

static sp_live_key key_of(SDL_Keycode k)
{
    switch (k) {
    case SDLK_q:
    case SDLK_ESCAPE: return SP_LIVE_QUIT;
    case SDLK_SPACE: return SP_LIVE_PAUSE;
    case SDLK_s: return SP_LIVE_SAVE;
    default: return SP_LIVE_NONE;
    }
}

sp_live_key sp_live_win_key(sp_live_win *w, int *dirty)
{
    SDL_Event ev;
    if (sp_live_signal_caught()) return SP_LIVE_QUIT;
    while (SDL_PollEvent(&ev)) {
        if (ev.type == SDL_QUIT) return SP_LIVE_QUIT;
        if (ev.type == SDL_WINDOWEVENT) {
            Uint8 e = ev.window.event;
            if (e == SDL_WINDOWEVENT_CLOSE) return SP_LIVE_QUIT;
            if (e == SDL_WINDOWEVENT_SIZE_CHANGED && w->canvas) {
                cairo_surface_destroy(w->canvas); /* made anew at the new size */
                w->canvas = NULL;
            }
            if (e == SDL_WINDOWEVENT_SIZE_CHANGED || e == SDL_WINDOWEVENT_EXPOSED || e == SDL_WINDOWEVENT_SHOWN)
                *dirty = 1;
        } else if (ev.type == SDL_KEYDOWN && !ev.key.repeat) {
            sp_live_key k = key_of(ev.key.keysym.sym);
            if (k != SP_LIVE_NONE) return k;
        }
    }
    return SP_LIVE_NONE;
}

// ----------------------------------------------------------------------------
// the view's window backend

int sp_live_window_open(sp_live_view *v, sp_error *err)
{
    char *t = sp_xasprintf("sincprobe live%s%s", v->sc.title[0] ? ": " : "", v->sc.title);
    v->win = sp_live_win_open(t, v->o.width, v->o.height, err);
    free(t);
    return v->win ? 0 : -1;
}

int sp_live_window_draw(sp_live_view *v, sp_error *err)
{
    cairo_surface_t *s = sp_live_win_canvas(v->win);
    if (cairo_surface_status(s) != CAIRO_STATUS_SUCCESS)
        return sp_fail(err, "cannot draw the window: %s", cairo_status_to_string(cairo_surface_status(s)));
    cairo_t *cr = cairo_create(s);
    sp_live_draw(v, cr, cairo_image_surface_get_width(s), cairo_image_surface_get_height(s));
    cairo_destroy(cr);
    return sp_live_win_show(v->win, err);
}

sp_live_key sp_live_window_key(sp_live_view *v)
{
    int dirty = 0;
    sp_live_key k = sp_live_win_key(v->win, &dirty);
    if (dirty) v->dirty = 1;
    return k;
}

void sp_live_window_close(sp_live_view *v)
{
    sp_live_win_close(v->win);
    v->win = NULL;
}
