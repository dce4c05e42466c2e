/* The predictions figure of a reconstruction model (plot_reconstructions, see plot.h): per
 * test image one row of three pictures, what the model read, what it was asked for and what
 * it gave, with the row's squared error beside them. */
#if CLNET_HAVE_PLOTS /* else plot_none.c stands in for what needs PLplot */
#include "report/plot_render.h"
#else
#include "report/plot.h"
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/status.h"

/* Pixel geometry of the figure (y down from the top of the page). */
enum {
    RECON_X0 = 110,
    RECON_Y0 = 84,
    RECON_CELL_W = 74,
    RECON_CELL_H = 64,
    RECON_BOX = 58, /* each picture is scaled to fit this square, centred in its cell */
};

void plot_reconstruction_cell(int i, int k, int cell[4])
{
    cell[0] = RECON_X0 + k * RECON_CELL_W;
    cell[1] = RECON_Y0 + i * RECON_CELL_H;
    cell[2] = cell[0] + RECON_CELL_W;
    cell[3] = cell[1] + RECON_CELL_H;
}

#if CLNET_HAVE_PLOTS
struct recon_ctx {
    const char *title, *subtitle;
    const struct plot_reconstruction *p;
    int n;
    struct plot_picture pic; /* one picture at a time */
};

static PLFLT page_y(double y)
{
    return RECON_HEIGHT - y;
}

/* Picture k of row i, its values clamped to [0, 1] (0 black, 1 white). */
static void draw_picture(const struct recon_ctx *c, int i, int k)
{
    const float *img = c->p[i].image[k];
    int rows = c->pic.rows, cols = c->pic.cols;
    for (int x = 0; x < cols; x++)
        for (int y = 0; y < rows; y++) { /* PLplot's row 0 is the bottom one */
            float v = img[(size_t)(rows - 1 - y) * cols + x];
            c->pic.columns[x][y] = v > 1 ? 1 : v > 0 ? v : 0; /* NaN: 0 */
        }
    double scale = fmin((double)RECON_BOX / cols, (double)RECON_BOX / rows);
    double w = scale * cols, h = scale * rows;
    int cell[4];
    plot_reconstruction_cell(i, k, cell);
    double x0 = cell[0] + (RECON_CELL_W - w) / 2, top = cell[1] + (RECON_CELL_H - h) / 2;
    /* plimagefr: grey by the value itself (plimage would stretch each picture's own range) */
    plimagefr((PLFLT_MATRIX)c->pic.columns, cols, rows, x0, x0 + w, page_y(top + h),
              page_y(top), 0, 1, 0, 1, NULL, NULL);
}

static void draw_recon(const void *p)
{
    static const char *const heads[PLOT_RECON_IMAGES] = {"input", "target", "output"};
    const struct recon_ctx *c = p;
    pladv(0);
    plvpor(0, 1, 0, 1);
    plwind(0, RECON_WIDTH, 0, RECON_HEIGHT);
    plot_picture_set_grey();
    plcol0(COL_FG);
    plschr(0, 1.2);
    plptex(RECON_WIDTH / 2.0, page_y(22), 1, 0, 0.5, c->title);
    plschr(0, 0.8);
    plptex(RECON_WIDTH / 2.0, page_y(46), 1, 0, 0.5, c->subtitle);
    plschr(0, 0.95);
    for (int k = 0; k < PLOT_RECON_IMAGES; k++) {
        int cell[4];
        plot_reconstruction_cell(0, k, cell);
        plptex((cell[0] + cell[2]) / 2.0, page_y(RECON_Y0 - 10), 1, 0, 0.5, heads[k]);
    }
    plptex(RECON_X0 + PLOT_RECON_IMAGES * RECON_CELL_W + 12, page_y(RECON_Y0 - 10), 1, 0, 0,
           "error");
    for (int i = 0; i < c->n; i++) {
        for (int k = 0; k < PLOT_RECON_IMAGES; k++)
            draw_picture(c, i, k);
        char text[32];
        snprintf(text, sizeof text, "%.4g", c->p[i].error);
        plptex(RECON_X0 + PLOT_RECON_IMAGES * RECON_CELL_W + 12,
               page_y(RECON_Y0 + (i + 0.5) * RECON_CELL_H), 1, 0, 0, text);
    }
}

int plot_reconstructions(const char *path, enum plot_device dev, const char *title,
                         const char *subtitle, const struct plot_reconstruction *p, int n,
                         int rows, int cols)
{
    if (n < 0 || n > PLOT_RECON_MAX || rows <= 0 || cols <= 0)
        return clnet_errorf(CLNET_ERR_INTERNAL, "plot_reconstructions: %d images of %dx%d", n,
                            rows, cols);
    struct recon_ctx c = {.title = title, .subtitle = subtitle, .p = p, .n = n};
    int status = plot_picture_init(&c.pic, rows, cols);
    if (status == CLNET_OK)
        status = plot_render(path, dev, RECON_WIDTH, RECON_HEIGHT, draw_recon, &c);
    plot_picture_free(&c.pic);
    return status;
}
#endif /* CLNET_HAVE_PLOTS */
