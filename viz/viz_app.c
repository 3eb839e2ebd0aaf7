#include "viz_app.h"

#include <SDL.h>
#include <SDL_image.h>
#include <stdio.h>
#include <string.h>

#include "viz_render.h"

int viz_save_png(const struct viz_canvas *c, const char *path, char *err, size_t errlen)
{
    SDL_Surface *surf = SDL_CreateRGBSurfaceWithFormatFrom(
        c->px, c->w, c->h, 32, c->w * (int)sizeof(*c->px), SDL_PIXELFORMAT_ARGB8888);
    if (!surf) {
        snprintf(err, errlen, "cannot make an image of %dx%d: %s", c->w, c->h, SDL_GetError());
        return -1;
    }
    int rc = IMG_SavePNG(surf, path);
    SDL_FreeSurface(surf);
    if (rc) {
        snprintf(err, errlen, "cannot write '%s': %s", path, IMG_GetError());
        return -1;
    }
    return 0;
}

int viz_screenshot(const struct viz_scene *s, const struct viz_view *v, const char *path, char *err,
                   size_t errlen)
{
    struct viz_canvas c;
    if (viz_canvas_init(&c, v->w, v->h)) {
        snprintf(err, errlen, "cannot make a %dx%d frame (1 to 16384 pixels a side)", v->w, v->h);
        return -1;
    }
    viz_render(&c, s, v);
    int rc = viz_save_png(&c, path, err, errlen);
    viz_canvas_free(&c);
    return rc;
}

static double seconds_now(void)
{
    return (double)SDL_GetPerformanceCounter() / (double)SDL_GetPerformanceFrequency();
}

int viz_bench(const struct viz_scene *s, const struct viz_view *v, int frames,
              struct viz_bench_result *r, char *err, size_t errlen)
{
    struct viz_canvas c;
    if (viz_canvas_init(&c, v->w, v->h)) {
        snprintf(err, errlen, "cannot make a %dx%d frame", v->w, v->h);
        return -1;
    }
    struct viz_view bv = *v;
    bv.time = s->t1;
    memset(r, 0, sizeof(*r));
    double t0 = seconds_now();
    for (int i = 0; i < frames; i++) {
        double f0 = seconds_now();
        bv.yaw = v->yaw + 360.0f * (float)i / (float)frames;
        viz_render(&c, s, &bv);
        double ms = (seconds_now() - f0) * 1e3;
        if (ms > r->worst_ms)
            r->worst_ms = ms;
    }
    r->frames = frames;
    r->seconds = seconds_now() - t0;
    r->fps = r->seconds > 0.0 ? frames / r->seconds : 0.0;
    viz_canvas_free(&c);
    return 0;
}

static int key_of(const SDL_KeyboardEvent *k)
{
    switch (k->keysym.sym) {
    case SDLK_LEFT:
        return VIZ_KEY_LEFT;
    case SDLK_RIGHT:
        return VIZ_KEY_RIGHT;
    case SDLK_UP:
        return VIZ_KEY_UP;
    case SDLK_DOWN:
        return VIZ_KEY_DOWN;
    case SDLK_PAGEUP:
        return VIZ_KEY_PAGEUP;
    case SDLK_PAGEDOWN:
        return VIZ_KEY_PAGEDOWN;
    case SDLK_HOME:
        return VIZ_KEY_HOME;
    case SDLK_END:
        return VIZ_KEY_END;
    case SDLK_F1:
        return VIZ_KEY_F1;
    case SDLK_ESCAPE:
        return VIZ_KEY_ESCAPE;
    case SDLK_KP_PLUS:
        return '+';
    case SDLK_KP_MINUS:
        return '-';
    default:
        break;
    }
    /* Printable keys come as text ('?', '+') so the layout decides. */
    return 0;
}

struct window {
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    struct viz_canvas canvas;
};

static void window_close(struct window *w)
{
    viz_canvas_free(&w->canvas);
    if (w->tex)
        SDL_DestroyTexture(w->tex);
    if (w->ren)
        SDL_DestroyRenderer(w->ren);
    if (w->win)
        SDL_DestroyWindow(w->win);
    SDL_Quit();
}

/* A frame and texture the window's size (after a resize). */
static int window_fit(struct window *w, struct viz_view *v, char *err, size_t errlen)
{
    int ww, wh;
    SDL_GetRendererOutputSize(w->ren, &ww, &wh);
    if (w->tex && ww == w->canvas.w && wh == w->canvas.h)
        return 0;
    viz_canvas_free(&w->canvas);
    if (w->tex)
        SDL_DestroyTexture(w->tex);
    w->tex =
        SDL_CreateTexture(w->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_STREAMING, ww, wh);
    if (!w->tex || viz_canvas_init(&w->canvas, ww, wh)) {
        snprintf(err, errlen, "cannot make a %dx%d frame: %s", ww, wh, SDL_GetError());
        return -1;
    }
    v->w = ww;
    v->h = wh;
    return 0;
}

static bool handle(const SDL_Event *e, const struct viz_scene *s, struct viz_view *v)
{
    bool shift = (SDL_GetModState() & KMOD_SHIFT) != 0;
    switch (e->type) {
    case SDL_QUIT:
        return true;
    case SDL_KEYDOWN: {
        int k = key_of(&e->key);
        return k && viz_view_key(v, s, k, shift);
    }
    case SDL_TEXTINPUT:
        for (const char *p = e->text.text; *p; p++)
            if ((unsigned char)*p < 128 && viz_view_key(v, s, *p, false))
                return true;
        return false;
    case SDL_MOUSEBUTTONDOWN:
        viz_view_press(v, s, e->button.x, e->button.y,
                       e->button.button == SDL_BUTTON_LEFT     ? 1
                       : e->button.button == SDL_BUTTON_MIDDLE ? 2
                                                               : 3);
        return false;
    case SDL_MOUSEBUTTONUP:
        viz_view_release(v);
        return false;
    case SDL_MOUSEMOTION:
        viz_view_motion(v, s, e->motion.x, e->motion.y);
        return false;
    case SDL_MOUSEWHEEL: {
        int x, y;
        SDL_GetMouseState(&x, &y);
        viz_view_wheel(v, s, x, y, e->wheel.preciseY);
        return false;
    }
    default:
        return false;
    }
}

int viz_window(const struct viz_scene *s, struct viz_view *v, char *err, size_t errlen)
{
    if (SDL_Init(SDL_INIT_VIDEO)) {
        snprintf(err, errlen,
                 "cannot open a window (%s); without a display, render to a file with "
                 "--screenshot OUT.png",
                 SDL_GetError());
        SDL_Quit();
        return -1;
    }
    struct window w = {0};
    w.win = SDL_CreateWindow("lockstep view", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, v->w,
                             v->h, SDL_WINDOW_RESIZABLE);
    if (w.win)
        w.ren = SDL_CreateRenderer(w.win, -1, SDL_RENDERER_PRESENTVSYNC);
    if (!w.ren && w.win)
        w.ren = SDL_CreateRenderer(w.win, -1, SDL_RENDERER_SOFTWARE);
    if (!w.ren) {
        snprintf(err, errlen, "cannot open a window: %s", SDL_GetError());
        window_close(&w);
        return -1;
    }
    SDL_StartTextInput();
    double last = seconds_now();
    bool quit = false;
    int rc = 0;
    while (!quit) {
        SDL_Event e;
        /* Wait while nothing moves, so an idle viewer costs nothing. */
        bool idle = !v->playing && !v->orbit;
        if (idle && SDL_WaitEventTimeout(&e, 250))
            quit = handle(&e, s, v);
        while (!quit && SDL_PollEvent(&e))
            quit = handle(&e, s, v);
        double now = seconds_now();
        viz_view_advance(v, s, idle ? 0.0 : now - last);
        last = now;
        if (quit)
            break;
        if (window_fit(&w, v, err, errlen)) {
            rc = -1;
            break;
        }
        viz_render(&w.canvas, s, v);
        SDL_UpdateTexture(w.tex, NULL, w.canvas.px, w.canvas.w * (int)sizeof(*w.canvas.px));
        SDL_RenderClear(w.ren);
        SDL_RenderCopy(w.ren, w.tex, NULL, NULL);
        SDL_RenderPresent(w.ren);
    }
    window_close(&w);
    return rc;
}
