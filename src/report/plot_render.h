/* What the PLplot drawing files of src/report/ share (internal to them): the colour map,
 * and plot_render, which runs a drawing function on a fresh stream into a file (plot.c). */
#ifndef CLNET_REPORT_PLOT_RENDER_H
#define CLNET_REPORT_PLOT_RENDER_H

#include <plplot.h>

#include "report/plot.h"

/* cmap0 indices: 0 background, then fixed colours; 15 is what PLplot draws text and axes in;
 * the series from COL_SERIES on. */
enum {
    COL_BG = 0,
    COL_GRID = 11,
    COL_RED = 12,
    COL_FRAME = 13,
    COL_FG = 15,
    COL_SERIES = 16,
    COL_N = COL_SERIES + PLOT_PALETTE
};

static inline PLINT plot_series_colour(int i)
{
    return COL_SERIES + (i % PLOT_PALETTE + PLOT_PALETTE) % PLOT_PALETTE;
}

/* One image's values as PLplot's image calls read them: (cols) column pointers into
 * (cols, rows) values, each column bottom row first. plot_picture_set_grey sets cmap1 to
 * black .. white for them. */
struct plot_picture {
    int rows, cols;
    PLFLT *pixels;   /* (cols, rows) */
    PLFLT **columns; /* (cols) */
};
int plot_picture_init(struct plot_picture *p, int rows, int cols);
void plot_picture_free(struct plot_picture *p);
void plot_picture_set_grey(void);

typedef void (*plot_draw_fn)(const void *ctx);

/* Draws through draw(ctx) on a fresh stream of width x height pixels (PLOT_DPI) into a
 * temporary file next to path, checks it is not empty, and renames it into place. A PLplot
 * failure is CLNET_ERR_IO naming path. */
int plot_render(const char *path, enum plot_device dev, int width, int height,
                plot_draw_fn draw, const void *ctx);

#endif
