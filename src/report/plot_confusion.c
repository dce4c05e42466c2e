/* The confusion matrix as a figure (plot_confusion, see plot.h): a cell per (true, predicted)
 * pair with its count written in it, coloured by its share of the true class's images on a
 * square-root scale (so that a confusion of 1% still shows against the diagonal's 99%), and
 * each class's accuracy right of its row. Laid out in pixels, y down from the top. */
#if CLNET_HAVE_PLOTS /* else plot_none.c stands in for what needs PLplot */
#include "report/plot_render.h"
#else
#include "report/plot.h"
#endif

#include <math.h>
#include <stdio.h>

#include "util/status.h"

#if CLNET_HAVE_PLOTS
enum {
    CONF_LEFT = 110, /* the matrix's top left corner */
    CONF_TOP = 96,
    CONF_SIDE = 560, /* its width and height */
    CONF_TEXT_MAX = 20, /* more classes than this: cells without their counts */
};

struct confusion_ctx {
    const char *title, *subtitle;
    const struct confusion *c;
};

static PLFLT conf_y(double y)
{
    return CONF_HEIGHT - y;
}

/* Cell (i, j) filled with its colour and its count written in it. */
static void draw_cell(const struct confusion *c, int i, int j, double cell, long long row)
{
    long long v = c->counts[(size_t)i * (size_t)c->classes + (size_t)j];
    double shade = row > 0 ? sqrt((double)v / (double)row) : 0;
    double x0 = CONF_LEFT + j * cell, y0 = CONF_TOP + i * cell;
    PLFLT xs[4] = {x0, x0 + cell, x0 + cell, x0};
    PLFLT ys[4] = {conf_y(y0), conf_y(y0), conf_y(y0 + cell), conf_y(y0 + cell)};
    plcol1(shade);
    plfill(4, xs, ys);
    if (c->classes > CONF_TEXT_MAX)
        return;
    char text[24];
    snprintf(text, sizeof text, "%lld", v);
    plcol0(shade > 0.6 ? COL_BG : COL_FG);
    plptex(x0 + cell / 2, conf_y(y0 + cell / 2), 1, 0, 0.5, text);
}

/* The class numbers along both axes, the axis names and each row's accuracy. */
static void draw_labels(const struct confusion *c, double cell)
{
    int k = c->classes;
    double right = CONF_LEFT + k * cell, bottom = CONF_TOP + k * cell;
    char text[32];
    plcol0(COL_FG);
    for (int i = 0; i < k; i++) {
        double mid = CONF_TOP + (i + 0.5) * cell, across = CONF_LEFT + (i + 0.5) * cell;
        snprintf(text, sizeof text, "%d", i);
        plptex(CONF_LEFT - 8, conf_y(mid), 1, 0, 1, text);
        plptex(across, conf_y(bottom + 14), 1, 0, 0.5, text);
        double a = confusion_class_accuracy(c, i);
        snprintf(text, sizeof text, isnan(a) ? "-" : "%.4f", a);
        plptex(right + 8, conf_y(mid), 1, 0, 0, text);
    }
    plptex(right + 8, conf_y(CONF_TOP - 12), 1, 0, 0, "accuracy");
    plschr(0, 1.0);
    plptex(CONF_LEFT + k * cell / 2, conf_y(bottom + 44), 1, 0, 0.5, "predicted class");
    plptex(CONF_LEFT - 48, conf_y(CONF_TOP + k * cell / 2), 0, 1, 0.5, "true class");
}

static void draw_confusion(const void *p)
{
    const struct confusion_ctx *x = p;
    const struct confusion *c = x->c;
    double cell = (double)CONF_SIDE / c->classes;
    pladv(0);
    plvpor(0, 1, 0, 1);
    plwind(0, CONF_WIDTH, 0, CONF_HEIGHT);
    /* cmap1: white to the palette's first blue, darkened. */
    PLFLT pos[2] = {0, 1}, r[2] = {1, 0.03}, g[2] = {1, 0.27}, b[2] = {1, 0.50};
    plscmap1n(256);
    plscmap1l(1, 2, pos, r, g, b, NULL);
    plcol0(COL_FG);
    plschr(0, 1.25);
    plptex(CONF_WIDTH / 2.0, conf_y(28), 1, 0, 0.5, x->title);
    plschr(0, 0.8);
    plptex(CONF_WIDTH / 2.0, conf_y(56), 1, 0, 0.5, x->subtitle);
    plschr(0, fmax(0.4, fmin(0.9, 9.0 / c->classes)));
    for (int i = 0; i < c->classes; i++) {
        long long row = confusion_row_total(c, i);
        for (int j = 0; j < c->classes; j++)
            draw_cell(c, i, j, cell, row);
    }
    double side = cell * c->classes;
    PLFLT fx[5] = {CONF_LEFT, CONF_LEFT + side, CONF_LEFT + side, CONF_LEFT, CONF_LEFT};
    PLFLT fy[5] = {conf_y(CONF_TOP), conf_y(CONF_TOP), conf_y(CONF_TOP + side),
                   conf_y(CONF_TOP + side), conf_y(CONF_TOP)};
    plcol0(COL_FRAME);
    plline(5, fx, fy);
    plschr(0, 0.85);
    draw_labels(c, cell);
}

int plot_confusion(const char *path, enum plot_device dev, const char *title,
                   const char *subtitle, const struct confusion *c)
{
    if (c->classes < 1 || c->classes > CONFUSION_MAX_CLASSES)
        return clnet_errorf(CLNET_ERR_INTERNAL, "plot_confusion: %d classes", c->classes);
    struct confusion_ctx x = {title, subtitle, c};
    return plot_render(path, dev, CONF_WIDTH, CONF_HEIGHT, draw_confusion, &x);
}
#endif /* CLNET_HAVE_PLOTS */
