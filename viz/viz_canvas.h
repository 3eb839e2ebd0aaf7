/* A frame in memory (0xAARRGGBB pixels) and what the viewer draws on
 * it: clipped lines with a colour gradient or dashes, rectangles, dots
 * and text in a built-in 5x7 font. A window shows the frame as a
 * texture and --screenshot writes it as a PNG: both draw it the same
 * way, so what the tests look at is what a person sees. */
#ifndef LOCKSTEP_VIZ_CANVAS_H
#define LOCKSTEP_VIZ_CANVAS_H

#include <stdint.h>

#define VIZ_GLYPH_W 5
#define VIZ_GLYPH_H 7
#define VIZ_CELL_W 6 /* glyph and the space after it */
#define VIZ_CELL_H 9

struct viz_canvas {
    uint32_t *px; /* w * h, row by row */
    int w, h;
    int cx0, cy0, cx1, cy1; /* clip rectangle: x in [cx0, cx1), y in [cy0, cy1) */
};

static inline uint32_t viz_rgb(unsigned r, unsigned g, unsigned b)
{
    return 0xff000000u | (r & 255u) << 16 | (g & 255u) << 8 | (b & 255u);
}
/* c0 and c1 mixed, t of 256 parts c1. */
uint32_t viz_mix(uint32_t c0, uint32_t c1, unsigned t);

/* 0, or -1 when out of memory (or w, h out of 1..16384). */
int viz_canvas_init(struct viz_canvas *c, int w, int h);
void viz_canvas_free(struct viz_canvas *c);
void viz_canvas_clip(struct viz_canvas *c, int x, int y, int w, int h);
void viz_canvas_unclip(struct viz_canvas *c);

void viz_fill_rect(struct viz_canvas *c, int x, int y, int w, int h, uint32_t colour);
/* Cover the rectangle with colour at alpha/255. */
void viz_shade_rect(struct viz_canvas *c, int x, int y, int w, int h, uint32_t colour,
                    unsigned alpha);
void viz_frame_rect(struct viz_canvas *c, int x, int y, int w, int h, uint32_t colour);

/* A line from c0 to c1 (a gradient along it); dash 0 is solid, else
 * dash pixels on and dash off; width 1 or 2. An alpha byte of c0 below
 * 255 blends the line into what is there. */
void viz_line(struct viz_canvas *c, float x0, float y0, float x1, float y1, uint32_t c0,
              uint32_t c1, int dash, int width);
void viz_disc(struct viz_canvas *c, float x, float y, int r, uint32_t colour);
void viz_ring(struct viz_canvas *c, float x, float y, int r, uint32_t colour);

/* Text at (x, y) (top left), scaled by a whole factor; '\n' starts a new
 * line. Returns the width drawn of the widest line. */
int viz_text(struct viz_canvas *c, int x, int y, const char *s, uint32_t colour, int scale);
int viz_text_width(const char *s, int scale);

/* The glyph rows of printable ASCII (' ' to '~'), bit 4 the leftmost
 * column; other characters draw as '?'. */
extern const uint8_t viz_font[95][VIZ_GLYPH_H];

#endif
