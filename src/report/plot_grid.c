/* The predictions grid (plot_predictions, see plot.h): each test image with the model's
 * class under it, the wrong ones framed in red. */
#if CLNET_HAVE_PLOTS /* else plot_none.c stands in for what needs PLplot */
#include "report/plot_render.h"
#else
#include "report/plot.h"
#endif

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/status.h"

/* Pixel geometry of the grid (y down from the top of the page). */
enum {
    GRID_X0 = 30,
    GRID_Y0 = 74,
    CELL_W = 80,
    CELL_H = 88,
    IMG_BOX = 56, /* the image is scaled to fit this square, centred at the top of its cell */
    IMG_TOP = 4,
    LABEL_TOP = IMG_TOP + IMG_BOX + 3,
    LABEL_BOTTOM = CELL_H - 2,
};

void plot_prediction_cell(int i, int cell[4], int label[4])
{
    int x = GRID_X0 + (i % PRED_COLUMNS) * CELL_W, y = GRID_Y0 + (i / PRED_COLUMNS) * CELL_H;
    cell[0] = x;
    cell[1] = y;
    cell[2] = x + CELL_W;
    cell[3] = y + CELL_H;
    label[0] = x;
    label[1] = y + LABEL_TOP;
    label[2] = x + CELL_W;
    label[3] = y + LABEL_BOTTOM;
}

#if CLNET_HAVE_PLOTS
struct grid_ctx {
    const char *title;
    const struct plot_prediction *p;
    int n;
    struct plot_picture pic; /* one image at a time */
};

/* Page y (pixels down from the top) as a world coordinate (PLplot's y points up). */
static PLFLT page_y(double y)
{
    return PRED_HEIGHT - y;
}

static void draw_grid(const void *p)
{
    const struct grid_ctx *c = p;
    pladv(0);
    plvpor(0, 1, 0, 1);
    plwind(0, PRED_WIDTH, 0, PRED_HEIGHT);
    plot_picture_set_grey();
    plcol0(COL_FG);
    plschr(0, 1.25);
    plptex(PRED_WIDTH / 2.0, page_y(24), 1, 0, 0.5, c->title);
    plschr(0, 0.8);
    plptex(PRED_WIDTH / 2.0, page_y(53), 1, 0, 0.5,
           "predicted label under each image; wrong ones in red, true label in parentheses");
    int rows = c->pic.rows, cols = c->pic.cols;
    double scale = fmin((double)IMG_BOX / cols, (double)IMG_BOX / rows);
    double w = scale * cols, h = scale * rows;
    plschr(0, 1.05);
    for (int i = 0; i < c->n; i++) {
        const struct plot_prediction *q = &c->p[i];
        int cell[4], label[4];
        plot_prediction_cell(i, cell, label);
        for (int x = 0; x < cols; x++)
            for (int y = 0; y < rows; y++) /* PLplot's row 0 is the bottom one */
                c->pic.columns[x][y] = q->image[(size_t)(rows - 1 - y) * cols + x];
        double x0 = cell[0] + (CELL_W - w) / 2, top = cell[1] + IMG_TOP + (IMG_BOX - h) / 2;
        plimage((PLFLT_MATRIX)c->pic.columns, cols, rows, x0, x0 + w, page_y(top + h),
                page_y(top), 0, 255, x0, x0 + w, page_y(top + h), page_y(top));
        bool wrong = q->label != q->predicted;
        char text[32];
        if (wrong)
            snprintf(text, sizeof text, "%d (%d)", q->predicted, q->label);
        else
            snprintf(text, sizeof text, "%d", q->predicted);
        if (wrong) {
            PLFLT fx[5] = {x0 - 2, x0 + w + 2, x0 + w + 2, x0 - 2, x0 - 2};
            PLFLT fy[5] = {page_y(top - 2), page_y(top - 2), page_y(top + h + 2),
                           page_y(top + h + 2), page_y(top - 2)};
            plcol0(COL_RED);
            plwidth(2.5);
            plline(5, fx, fy);
            plwidth(1);
        }
        plcol0(wrong ? COL_RED : COL_FG);
        /* plptex puts the text's vertical centre at y. */
        plptex((label[0] + label[2]) / 2.0, page_y((label[1] + label[3]) / 2.0), 1, 0, 0.5,
               text);
    }
}

int plot_predictions(const char *path, enum plot_device dev, const char *title,
                     const struct plot_prediction *p, int n, int rows, int cols)
{
    if (n > PRED_MAX || rows <= 0 || cols <= 0)
        return clnet_errorf(CLNET_ERR_INTERNAL, "plot_predictions: %d images of %dx%d", n,
                            rows, cols);
    struct grid_ctx c = {.title = title, .p = p, .n = n};
    int status = plot_picture_init(&c.pic, rows, cols);
    if (status == CLNET_OK)
        status = plot_render(path, dev, PRED_WIDTH, PRED_HEIGHT, draw_grid, &c);
    plot_picture_free(&c.pic);
    return status;
}
#endif /* CLNET_HAVE_PLOTS */
