#include "viz_canvas.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

uint32_t viz_mix(uint32_t c0, uint32_t c1, unsigned t)
{
    if (t >= 256)
        return c1;
    uint32_t out = 0xff000000u;
    for (int shift = 0; shift < 24; shift += 8) {
        unsigned a = (c0 >> shift) & 255u, b = (c1 >> shift) & 255u;
        out |= ((a * (256 - t) + b * t) >> 8) << shift;
    }
    return out;
}

int viz_canvas_init(struct viz_canvas *c, int w, int h)
{
    memset(c, 0, sizeof(*c));
    if (w < 1 || h < 1 || w > 16384 || h > 16384)
        return -1;
    c->px = calloc((size_t)w * (size_t)h, sizeof(*c->px));
    if (!c->px)
        return -1;
    c->w = w;
    c->h = h;
    viz_canvas_unclip(c);
    return 0;
}

void viz_canvas_free(struct viz_canvas *c)
{
    free(c->px);
    memset(c, 0, sizeof(*c));
}

void viz_canvas_unclip(struct viz_canvas *c)
{
    c->cx0 = c->cy0 = 0;
    c->cx1 = c->w;
    c->cy1 = c->h;
}

void viz_canvas_clip(struct viz_canvas *c, int x, int y, int w, int h)
{
    c->cx0 = x < 0 ? 0 : x > c->w ? c->w : x;
    c->cy0 = y < 0 ? 0 : y > c->h ? c->h : y;
    c->cx1 = x + w > c->w ? c->w : x + w < c->cx0 ? c->cx0 : x + w;
    c->cy1 = y + h > c->h ? c->h : y + h < c->cy0 ? c->cy0 : y + h;
}

/* The rectangle within the clip: false if nothing is left. */
static int clip_rect(const struct viz_canvas *c, int *x, int *y, int *w, int *h)
{
    int x0 = *x < c->cx0 ? c->cx0 : *x, y0 = *y < c->cy0 ? c->cy0 : *y;
    int x1 = *x + *w > c->cx1 ? c->cx1 : *x + *w, y1 = *y + *h > c->cy1 ? c->cy1 : *y + *h;
    if (x1 <= x0 || y1 <= y0)
        return 0;
    *x = x0;
    *y = y0;
    *w = x1 - x0;
    *h = y1 - y0;
    return 1;
}

void viz_fill_rect(struct viz_canvas *c, int x, int y, int w, int h, uint32_t colour)
{
    if (!clip_rect(c, &x, &y, &w, &h))
        return;
    for (int j = 0; j < h; j++) {
        uint32_t *row = c->px + (size_t)(y + j) * c->w + x;
        for (int i = 0; i < w; i++)
            row[i] = colour;
    }
}

void viz_shade_rect(struct viz_canvas *c, int x, int y, int w, int h, uint32_t colour,
                    unsigned alpha)
{
    if (!clip_rect(c, &x, &y, &w, &h))
        return;
    unsigned t = alpha * 256 / 255;
    for (int j = 0; j < h; j++) {
        uint32_t *row = c->px + (size_t)(y + j) * c->w + x;
        for (int i = 0; i < w; i++)
            row[i] = viz_mix(row[i], colour, t);
    }
}

void viz_frame_rect(struct viz_canvas *c, int x, int y, int w, int h, uint32_t colour)
{
    viz_fill_rect(c, x, y, w, 1, colour);
    viz_fill_rect(c, x, y + h - 1, w, 1, colour);
    viz_fill_rect(c, x, y, 1, h, colour);
    viz_fill_rect(c, x + w - 1, y, 1, h, colour);
}

static inline float clampf(float v, float lo, float hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* 16.16 fixed point, rounded (the coordinates are well inside 32 bits). */
static inline int32_t fixed(float v)
{
    float f = v * 65536.0f;
    return (int32_t)(f < 0.0f ? f - 0.5f : f + 0.5f);
}

/* Liang-Barsky: the part of the segment within [lo, hi] on one
 * coordinate narrows [*t0, *t1]. */
static int clip_axis(float p0, float d, float lo, float hi, float *t0, float *t1)
{
    if (d == 0.0f)
        return p0 >= lo && p0 <= hi;
    float a = (lo - p0) / d, b = (hi - p0) / d;
    if (a > b) {
        float s = a;
        a = b;
        b = s;
    }
    if (a > *t0)
        *t0 = a;
    if (b < *t1)
        *t1 = b;
    return *t0 <= *t1;
}

void viz_line(struct viz_canvas *c, float x0, float y0, float x1, float y1, uint32_t c0,
              uint32_t c1, int dash, int width)
{
    if (!(isfinite(x0) && isfinite(y0) && isfinite(x1) && isfinite(y1)))
        return;
    float dx = x1 - x0, dy = y1 - y0, t0 = 0.0f, t1 = 1.0f;
    if (!isfinite(dx) || !isfinite(dy))
        return;
    int thick = width > 1;
    /* A wide line's second pixel row may stand one past the edge. */
    float hx = (float)(c->cx1 - 1 - thick), hy = (float)(c->cy1 - 1 - thick);
    if (!clip_axis(x0, dx, (float)c->cx0, hx, &t0, &t1) ||
        !clip_axis(y0, dy, (float)c->cy0, hy, &t0, &t1))
        return;
    float ax = x0 + dx * t0, ay = y0 + dy * t0, bx = x0 + dx * t1, by = y0 + dy * t1;
    /* Far-off coordinates lose the precision the clip relies on: what
     * lands off the clip then is not drawn, what lands just on its edge
     * is pulled in. */
    float lo_x = (float)c->cx0, lo_y = (float)c->cy0;
    if (ax < lo_x - 1 || bx < lo_x - 1 || ay < lo_y - 1 || by < lo_y - 1 || ax > hx + 1 ||
        bx > hx + 1 || ay > hy + 1 || by > hy + 1)
        return;
    ax = clampf(ax, lo_x, hx);
    bx = clampf(bx, lo_x, hx);
    ay = clampf(ay, lo_y, hy);
    by = clampf(by, lo_y, hy);
    float adx = fabsf(bx - ax), ady = fabsf(by - ay);
    int n = (int)((adx > ady ? adx : ady) + 0.5f);
    int major_x = adx >= ady;
    int32_t fx = fixed(ax), fy = fixed(ay);
    int32_t sx = n ? fixed((bx - ax) / n) : 0, sy = n ? fixed((by - ay) / n) : 0;
    uint32_t *px = c->px;
    size_t w = (size_t)c->w;
    /* A colour's alpha byte below 255 blends the line in. */
    unsigned alpha = c0 >> 24 == 255 ? 256 : c0 >> 24 == 128 ? 128 : (c0 >> 24) * 256 / 255;
    int gradient = c0 != c1;
    if (!gradient && !dash && !thick && (alpha == 256 || alpha == 128)) {
        /* Most lines: one colour, solid, thin. */
        uint32_t half = (c0 & 0xfefefeu) >> 1;
        for (int i = 0; i <= n; i++, fx += sx, fy += sy) {
            uint32_t *p = px + (size_t)((fy + 0x8000) >> 16) * w + ((fx + 0x8000) >> 16);
            if (alpha == 256)
                *p = c0;
            else
                *p = 0xff000000u | (((*p & 0xfefefeu) >> 1) + half);
        }
        return;
    }
    uint32_t ca = gradient ? viz_mix(c0, c1, (unsigned)(t0 * 256.0f)) : c0;
    uint32_t cb = gradient ? viz_mix(c0, c1, (unsigned)(t1 * 256.0f)) : c0;
    int32_t ch[3] = {0, 0, 0}, dch[3] = {0, 0, 0};
    for (int k = 0; gradient && k < 3; k++) {
        int32_t va = (int32_t)((ca >> (16 - 8 * k)) & 255u),
                vb = (int32_t)((cb >> (16 - 8 * k)) & 255u);
        ch[k] = va << 16;
        dch[k] = n ? (vb - va) * 65536 / n : 0;
    }
    /* Dashes keep their place along the whole line when it is clipped. */
    int phase = dash ? (int)(t0 * fmaxf(fabsf(dx), fabsf(dy))) : 0;
    for (int i = 0; i <= n; i++) {
        if (!dash || ((i + phase) / dash) % 2 == 0) {
            int x = (fx + 0x8000) >> 16, y = (fy + 0x8000) >> 16;
            uint32_t col = gradient ? 0xff000000u | (uint32_t)(ch[0] >> 16) << 16 |
                                          (uint32_t)(ch[1] >> 16) << 8 | (uint32_t)(ch[2] >> 16)
                                    : c0;
            size_t at = (size_t)y * w + x;
            size_t at2 = major_x ? at + w : at + 1;
            if (alpha == 128) {
                /* Half and half, a channel at a time without carries. */
                px[at] = 0xff000000u | (((px[at] & 0xfefefeu) >> 1) + ((col & 0xfefefeu) >> 1));
                if (thick)
                    px[at2] =
                        0xff000000u | (((px[at2] & 0xfefefeu) >> 1) + ((col & 0xfefefeu) >> 1));
            } else if (alpha < 256) {
                px[at] = viz_mix(px[at], col, alpha);
                if (thick)
                    px[at2] = viz_mix(px[at2], col, alpha);
            } else {
                px[at] = col;
                if (thick)
                    px[at2] = col;
            }
        }
        fx += sx;
        fy += sy;
        if (gradient)
            for (int k = 0; k < 3; k++)
                ch[k] += dch[k];
    }
}

void viz_disc(struct viz_canvas *c, float x, float y, int r, uint32_t colour)
{
    int cx = (int)lroundf(x), cy = (int)lroundf(y);
    for (int j = -r; j <= r; j++)
        for (int i = -r; i <= r; i++)
            if (i * i + j * j <= r * r + r)
                viz_fill_rect(c, cx + i, cy + j, 1, 1, colour);
}

void viz_ring(struct viz_canvas *c, float x, float y, int r, uint32_t colour)
{
    int cx = (int)lroundf(x), cy = (int)lroundf(y);
    int inner = (r - 1) * (r - 1) + (r - 1);
    for (int j = -r; j <= r; j++)
        for (int i = -r; i <= r; i++) {
            int d = i * i + j * j;
            if (d <= r * r + r && d > inner)
                viz_fill_rect(c, cx + i, cy + j, 1, 1, colour);
        }
}

static void glyph(struct viz_canvas *c, int x, int y, unsigned ch, uint32_t colour, int scale)
{
    const uint8_t *rows = viz_font[(ch >= 32 && ch < 127 ? ch : '?') - 32];
    if (ch == 'g' || ch == 'p' || ch == 'q' || ch == 'y')
        y += 2 * scale;
    for (int r = 0; r < VIZ_GLYPH_H; r++)
        for (int col = 0; col < VIZ_GLYPH_W; col++)
            if (rows[r] & (0x10 >> col))
                viz_fill_rect(c, x + col * scale, y + r * scale, scale, scale, colour);
}

int viz_text(struct viz_canvas *c, int x, int y, const char *s, uint32_t colour, int scale)
{
    int cx = x, widest = 0;
    for (; *s; s++) {
        if (*s == '\n') {
            widest = cx - x > widest ? cx - x : widest;
            cx = x;
            y += VIZ_CELL_H * scale;
            continue;
        }
        glyph(c, cx, y, (unsigned char)*s, colour, scale);
        cx += VIZ_CELL_W * scale;
    }
    return cx - x > widest ? cx - x : widest;
}

int viz_text_width(const char *s, int scale)
{
    int n = 0, widest = 0;
    for (; *s; s++) {
        if (*s == '\n') {
            widest = n > widest ? n : widest;
            n = 0;
        } else {
            n++;
        }
    }
    widest = n > widest ? n : widest;
    return widest * VIZ_CELL_W * scale;
}
