/* Curves on one pair of axes (plot_lines, see plot.h): ranges fitted to the data, log axes
 * labelled at 1, 2 and 5 times each power of ten, legends inside or right of the plot. */
#if CLNET_HAVE_PLOTS /* else plot_none.c stands in for what needs PLplot */
#include "report/plot_render.h"
#else
#include "report/plot.h"
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/status.h"

#if CLNET_HAVE_PLOTS
struct lines_ctx {
    const struct plot_axes *a;
    const struct plot_series *s;
    int n;
    double **x, **y; /* the series' points in axis space (log10 on a log axis; NAN: skip) */
    double xmin, xmax, ymin, ymax;
    /* legend arrays, (n) each */
    PLINT *opt, *text_col, *line_col, *line_sty, *sym_col, *sym_num, *blank;
    PLFLT *line_w, *sym_scale;
    const char **text, **sym;
    char **labels; /* the entries, cut to PLOT_LABEL_MAX characters */
};

static double axis_value(double v, bool log)
{
    if (!isfinite(v) || (log && v <= 0))
        return NAN;
    return log ? log10(v) : v;
}

/* [lo, hi] widened by a margin (5% of the span, or a fixed step when it is flat), then kept
 * within [floor, ceil]. */
static void fit(double *lo, double *hi, double floor_v, double ceil_v, bool log)
{
    double span = *hi - *lo;
    double pad = span > 0 ? 0.05 * span : log ? 0.5 : fmax(0.05 * fabs(*hi), 0.01);
    *lo -= pad;
    *hi += pad;
    if (!log) {
        if (isfinite(floor_v) && *lo < floor_v)
            *lo = floor_v;
        if (isfinite(ceil_v) && *hi > ceil_v)
            *hi = ceil_v;
    }
}

/* A filled dot (U+25CF), drawn by the cairo device from its font, centred on the point. */
#define DOT "\xe2\x97\x8f"

static void draw_series_line(const double *x, const double *y, int n)
{
    for (int i = 0; i < n;) {
        while (i < n && (isnan(x[i]) || isnan(y[i])))
            i++;
        int start = i;
        while (i < n && !isnan(x[i]) && !isnan(y[i]))
            i++;
        if (i - start >= 2)
            plline(i - start, x + start, y + start);
        else if (i - start == 1)
            plstring(1, x + start, y + start, DOT);
    }
}

/* PLplot labels a log axis only at powers of ten, which leaves one label or none on most
 * plots; label 1, 2 and 5 times each power instead, with a grid line at each. */
static void log_labels(bool x_axis, double lo, double hi, double other_lo, double other_hi)
{
    for (int e = (int)floor(lo) - 1; e <= (int)ceil(hi); e++)
        for (int m = 0; m < 3; m++) {
            static const double mult[3] = {1, 2, 5};
            double v = mult[m] * pow(10, e), at = log10(v);
            if (at < lo || at > hi)
                continue;
            char text[32];
            snprintf(text, sizeof text, "%g", v);
            double pos = (at - lo) / (hi - lo);
            PLFLT gx[2] = {at, at}, gy[2] = {other_lo, other_hi};
            plcol0(COL_GRID);
            plwidth(0.5);
            if (x_axis)
                plline(2, gx, gy);
            else
                plline(2, gy, gx);
            plcol0(COL_FG);
            if (x_axis)
                plmtex("b", 1.6, pos, 0.5, text);
            else
                plmtex("lv", 0.6, pos, 1.0, text);
        }
}

/* An ellipsis (U+2026): the end of a legend entry cut short. */
#define ELLIPSIS "\xe2\x80\xa6"

/* The page is blank when the legend is measured: it is drawn once per trial layout in the
 * background colour, which leaves the page as it was, in a viewport that is the whole page,
 * so its width and height come back as fractions of the page. */
static void legend_draw(const struct lines_ctx *c, PLINT position, PLFLT x, PLFLT y,
                        PLFLT plot_width, int columns, double scale, bool blank, PLFLT *w,
                        PLFLT *h)
{
    int rows = (c->n + columns - 1) / columns;
    pllegend(w, h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX, position, x, y, plot_width,
             COL_BG, blank ? COL_BG : COL_FRAME, 1, columns > 1 ? rows : 0,
             columns > 1 ? columns : 0, c->n, c->opt, 1.0, scale, 2.0, 0.0,
             blank ? c->blank : c->text_col, c->text, NULL, NULL, NULL, NULL,
             blank ? c->blank : c->line_col, c->line_sty, c->line_w,
             blank ? c->blank : c->sym_col, c->sym_scale, c->sym_num, c->sym);
}

/* Width of text at the current character height, as a fraction of the page (measured as a
 * legend of one entry with no line, which pllegend sizes from the device's own font). */
static double text_width(const char *text)
{
    PLINT opt = PL_LEGEND_NONE, col = COL_BG;
    PLFLT w, h;
    const char *texts[1] = {text};
    plvpor(0, 1, 0, 1);
    plwind(0, 1, 0, 1);
    pllegend(&w, &h, PL_LEGEND_NONE, PL_POSITION_INSIDE | PL_POSITION_LEFT, 0, 0, 0, COL_BG,
             COL_BG, 1, 0, 0, 1, &opt, 0.0, 1.0, 1.0, 0.0, &col, texts, NULL, NULL, NULL, NULL,
             NULL, NULL, NULL, NULL, NULL, NULL, NULL);
    return w;
}

/* Legend layouts right of the plot, tried in turn: the first that fits the page's height
 * and leaves the plot more than half the page's width is drawn, else the last. */
static const struct {
    int columns;
    double scale;
} outside_layouts[] = {{1, 0.85}, {1, 0.75}, {2, 0.75}, {2, 0.65}, {3, 0.6}, {4, 0.5}};

#define OUTSIDE_LINE 0.05 /* the sample line of an entry outside, as a fraction of the page */
#define OUTSIDE_GAP 0.01  /* between the legend outside and the page's right edge */

/* The layout of a legend right of the plot (outside_layouts' index) and its width, as a
 * fraction of the page. */
static int outside_layout(const struct lines_ctx *c, PLFLT *width)
{
    int last = (int)(sizeof outside_layouts / sizeof outside_layouts[0]) - 1, layout;
    PLFLT lh = 0;
    for (layout = 0; layout <= last; layout++) {
        legend_draw(c, PL_POSITION_INSIDE | PL_POSITION_RIGHT, OUTSIDE_GAP, 0, OUTSIDE_LINE,
                    outside_layouts[layout].columns, outside_layouts[layout].scale, true, width,
                    &lh);
        if (lh <= 0.96 && *width <= 0.45)
            return layout;
    }
    return last;
}

/* Every series' line, and its dots where it has them. */
static void draw_series(const struct lines_ctx *c)
{
    for (int i = 0; i < c->n; i++) {
        const struct plot_series *s = &c->s[i];
        plcol0(plot_series_colour(s->color));
        plwidth(s->width);
        pllsty(s->style > 0 ? s->style : 1);
        draw_series_line(c->x[i], c->y[i], s->n);
        pllsty(1);
        plschr(0, 0.6);
        if (s->markers)
            for (int k = 0; k < s->n; k++)
                if (!isnan(c->x[i][k]) && !isnan(c->y[i][k]))
                    plstring(1, &c->x[i][k], &c->y[i][k], DOT);
        plschr(0, 1.0);
    }
}

/* The axes' frame, tick labels, axis names, title and subtitle. */
static void draw_frame(const struct plot_axes *a)
{
    plcol0(COL_FG);
    plwidth(1);
    /* f: plain decimals (no "x10^-3" set apart at the axis end); l: log ticks, labels above. */
    plbox(a->log_x ? "bcstl" : "bcnstf", 0, 0, a->log_y ? "bcstl" : "bcnstvf", 0, 0);
    plmtex("b", 3.2, 0.5, 0.5, a->xlabel);
    plmtex("l", 7.0, 0.5, 0.5, a->ylabel);
    plschr(0, 1.2);
    plmtex("t", a->subtitle ? 2.9 : 1.5, 0.5, 0.5, a->title);
    if (a->subtitle) {
        plschr(0, 0.9);
        plmtex("t", 1.2, 0.5, 0.5, a->subtitle);
    }
    plschr(0, 1.0);
}

static void draw_lines(const void *p)
{
    const struct lines_ctx *c = p;
    const struct plot_axes *a = c->a;
    pladv(0);
    plschr(0, 1.0);
    /* Room on the right for the last x tick label, centred on the plot's right edge. */
    char tick[64];
    snprintf(tick, sizeof tick, "%g", a->log_x ? pow(10, c->xmax) : fabs(c->xmax) > fabs(c->xmin)
                                                 ? c->xmax : c->xmin);
    double right = 1 - (0.5 * text_width(tick) + 0.015);
    int layout = 0;
    PLFLT lw = 0, w, h;
    if (a->legend == PLOT_LEGEND_OUTSIDE) {
        layout = outside_layout(c, &lw);
        right -= OUTSIDE_GAP + lw;
    }
    plvpor(0.15, fmin(right, 0.96), 0.11, 0.86);
    plwind(c->xmin, c->xmax, c->ymin, c->ymax);
    plcol0(COL_GRID);
    plwidth(0.5);
    plbox(a->log_x ? "" : "g", 0, 0, a->log_y ? "" : "g", 0, 0);
    if (a->log_x)
        log_labels(true, c->xmin, c->xmax, c->ymin, c->ymax);
    if (a->log_y)
        log_labels(false, c->ymin, c->ymax, c->xmin, c->xmax);
    draw_series(c);
    draw_frame(a);
    if (a->legend == PLOT_LEGEND_OUTSIDE) {
        plvpor(0, 1, 0, 1);
        plwind(0, 1, 0, 1);
        legend_draw(c, PL_POSITION_INSIDE | PL_POSITION_RIGHT, OUTSIDE_GAP, 0, OUTSIDE_LINE,
                    outside_layouts[layout].columns, outside_layouts[layout].scale, false, &w,
                    &h);
    } else {
        legend_draw(c, a->legend == PLOT_LEGEND_UPPER_RIGHT
                           ? PL_POSITION_INSIDE | PL_POSITION_RIGHT | PL_POSITION_TOP
                           : PL_POSITION_INSIDE | PL_POSITION_RIGHT | PL_POSITION_BOTTOM,
                    0.02, 0.02, 0.07, 1, 0.85, false, &w, &h);
    }
}

static void lines_free(struct lines_ctx *c)
{
    for (int i = 0; i < c->n && c->x; i++)
        free(c->x[i]);
    for (int i = 0; i < c->n && c->y; i++)
        free(c->y[i]);
    free(c->x);
    free(c->y);
    free(c->opt);
    free(c->text_col);
    free(c->line_col);
    free(c->line_sty);
    free(c->sym_col);
    free(c->sym_num);
    free(c->line_w);
    free(c->sym_scale);
    for (int i = 0; i < c->n && c->labels; i++)
        free(c->labels[i]);
    free(c->labels);
    free(c->blank);
    free(c->text);
    free(c->sym);
}

/* label cut to PLOT_LABEL_MAX characters, the last an ellipsis, when it is longer (malloc'd;
 * a UTF-8 character is never split). */
static char *legend_label(const char *label)
{
    const char *p = label ? label : "";
    size_t chars = 0, cut = 0;
    for (size_t i = 0; p[i]; i++)
        if (((unsigned char)p[i] & 0xC0) != 0x80) {
            if (chars == PLOT_LABEL_MAX - 1)
                cut = i;
            chars++;
        }
    if (chars <= PLOT_LABEL_MAX)
        return strdup(p);
    char *t = malloc(cut + sizeof ELLIPSIS);
    if (t) {
        memcpy(t, p, cut);
        memcpy(t + cut, ELLIPSIS, sizeof ELLIPSIS);
    }
    return t;
}

/* Series i's legend entry. */
static int legend_entry(struct lines_ctx *c, int i)
{
    const struct plot_series *s = &c->s[i];
    c->opt[i] = PL_LEGEND_LINE | (s->markers ? PL_LEGEND_SYMBOL : 0);
    c->text_col[i] = COL_FG;
    c->labels[i] = legend_label(s->label);
    if (!c->labels[i])
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for a plot");
    c->text[i] = c->labels[i];
    c->blank[i] = COL_BG;
    c->line_col[i] = c->sym_col[i] = plot_series_colour(s->color);
    c->line_sty[i] = s->style > 0 ? s->style : 1;
    c->line_w[i] = s->width;
    c->sym_scale[i] = 0.6;
    c->sym_num[i] = 1;
    c->sym[i] = DOT;
    return CLNET_OK;
}

/* Series i's points in axis space, widening the ranges: all of them [xmin, xmax] x
 * [ymin, ymax], the ones drawn with a dot marks[0..3] (x and y, low and high). */
static int series_points(struct lines_ctx *c, int i, double marks[4])
{
    const struct plot_series *s = &c->s[i];
    size_t m = (size_t)(s->n > 0 ? s->n : 1);
    c->x[i] = malloc(m * sizeof **c->x);
    c->y[i] = malloc(m * sizeof **c->y);
    if (!c->x[i] || !c->y[i])
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for a plot");
    for (int k = 0; k < s->n; k++) {
        double x = axis_value(s->x[k], c->a->log_x), y = axis_value(s->y[k], c->a->log_y);
        if (isnan(x) || isnan(y))
            x = y = NAN;
        c->x[i][k] = x;
        c->y[i][k] = y;
        if (isnan(x))
            continue;
        c->xmin = fmin(c->xmin, x);
        c->xmax = fmax(c->xmax, x);
        c->ymin = fmin(c->ymin, y);
        c->ymax = fmax(c->ymax, y);
        if (s->markers) {
            marks[0] = fmin(marks[0], x);
            marks[1] = fmax(marks[1], x);
            marks[2] = fmin(marks[2], y);
            marks[3] = fmax(marks[3], y);
        }
    }
    return CLNET_OK;
}

/* A dot's radius as a share of the plot's width or height, with some room to spare. */
#define MARK_ROOM 0.02

/* The ranges: a margin around the data, and room for every dot, which the plot's edge would
 * otherwise cut in half (marks: as series_points). */
static void fit_ranges(struct lines_ctx *c, const double marks[4])
{
    if (c->xmin == c->xmax) {
        double pad = c->a->log_x ? 0.5 : fmax(1.0, 0.05 * fabs(c->xmin));
        c->xmin -= pad;
        c->xmax += pad;
    } else if (c->a->pad_x) {
        double pad = 0.04 * (c->xmax - c->xmin);
        c->xmin -= pad;
        c->xmax += pad;
    }
    double room = MARK_ROOM * (c->xmax - c->xmin);
    c->xmin = fmin(c->xmin, marks[0] - room);
    c->xmax = fmax(c->xmax, marks[1] + room);
    fit(&c->ymin, &c->ymax, c->a->y_floor, c->a->y_ceil, c->a->log_y);
    room = MARK_ROOM * (c->ymax - c->ymin);
    c->ymin = fmin(c->ymin, marks[2] - room);
    c->ymax = fmax(c->ymax, marks[3] + room);
}

static int lines_prepare(struct lines_ctx *c)
{
    int n = c->n;
    size_t un = (size_t)(n > 0 ? n : 1);
    c->x = calloc(un, sizeof *c->x);
    c->y = calloc(un, sizeof *c->y);
    c->opt = calloc(un, sizeof *c->opt);
    c->text_col = calloc(un, sizeof *c->text_col);
    c->line_col = calloc(un, sizeof *c->line_col);
    c->line_sty = calloc(un, sizeof *c->line_sty);
    c->sym_col = calloc(un, sizeof *c->sym_col);
    c->sym_num = calloc(un, sizeof *c->sym_num);
    c->line_w = calloc(un, sizeof *c->line_w);
    c->sym_scale = calloc(un, sizeof *c->sym_scale);
    c->text = calloc(un, sizeof *c->text);
    c->sym = calloc(un, sizeof *c->sym);
    c->labels = calloc(un, sizeof *c->labels);
    c->blank = calloc(un, sizeof *c->blank);
    if (!c->x || !c->y || !c->opt || !c->text_col || !c->line_col || !c->line_sty ||
        !c->sym_col || !c->sym_num || !c->line_w || !c->sym_scale || !c->text || !c->sym ||
        !c->labels || !c->blank)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for a plot");
    c->xmin = c->ymin = INFINITY;
    c->xmax = c->ymax = -INFINITY;
    double marks[4] = {INFINITY, -INFINITY, INFINITY, -INFINITY};
    int status = CLNET_OK;
    for (int i = 0; i < n && status == CLNET_OK; i++) {
        status = series_points(c, i, marks);
        if (status == CLNET_OK)
            status = legend_entry(c, i);
    }
    if (status == CLNET_OK && !(c->xmin <= c->xmax))
        status = clnet_errorf(CLNET_ERR_INTERNAL, "plot '%s': no finite point to draw",
                              c->a->title);
    if (status == CLNET_OK)
        fit_ranges(c, marks);
    return status;
}

int plot_lines(const char *path, enum plot_device dev, const struct plot_axes *a,
               const struct plot_series *s, int n_series)
{
    struct lines_ctx c = {.a = a, .s = s, .n = n_series};
    int status = lines_prepare(&c);
    if (status == CLNET_OK)
        status = plot_render(path, dev, PLOT_WIDTH, PLOT_HEIGHT, draw_lines, &c);
    lines_free(&c);
    return status;
}
#endif /* CLNET_HAVE_PLOTS */

int plot_lines_files(const char *dir, const char *stem, enum report_format fmt,
                     const struct plot_axes *a, const struct plot_series *s, int n_series)
{
    int status = CLNET_OK;
    for (int d = 0; d < 2 && status == CLNET_OK; d++) {
        if (d == 1 && fmt == REPORT_PNG)
            break;
        char *path = plot_path(dir, stem, d ? "pdf" : "png");
        status = path ? plot_lines(path, d ? PLOT_PDF : PLOT_PNG, a, s, n_series)
                      : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
        free(path);
    }
    return status;
}

