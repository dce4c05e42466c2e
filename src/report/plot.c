/* PLplot drawing (see plot.h). PLplot reports a fatal error through plexit(), which calls
 * exit() unless its exit handler does not return: ours longjmps back to render(), which gives
 * up the half-made stream (PLplot cannot close it safely) and returns CLNET_ERR_IO. One lock
 * serialises every use of PLplot, whose current stream and handlers are process-wide. */
#include "report/plot.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#if CLNET_HAVE_PLOTS /* else plot_none.c stands in for what needs PLplot */
#include <plplot.h>
#endif

#include "util/interrupt.h"
#include "util/status.h"

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

static const unsigned char palette[PLOT_PALETTE][3] = {
    {0, 114, 178},   {230, 159, 0},   {0, 158, 115},  {213, 94, 0},    {204, 121, 167},
    {86, 180, 233},  {0, 0, 0},       {230, 215, 40}, {140, 86, 75},   {127, 127, 127},
    {128, 0, 0},     {31, 46, 122},   {152, 223, 138}, {148, 103, 189}, {255, 0, 255},
    {0, 90, 50},     {23, 190, 207},  {247, 182, 210}, {154, 205, 0},  {110, 110, 0},
};

void plot_palette(int i, unsigned char rgb[3])
{
    int k = (i % PLOT_PALETTE + PLOT_PALETTE) % PLOT_PALETTE;
    memcpy(rgb, palette[k], 3);
}

#if CLNET_HAVE_PLOTS
static PLINT series_colour(int i)
{
    return COL_SERIES + (i % PLOT_PALETTE + PLOT_PALETTE) % PLOT_PALETTE;
}

static pthread_mutex_t plot_lock = PTHREAD_MUTEX_INITIALIZER;
static jmp_buf plot_jump;
static char plot_message[512];

static int on_plexit(PLCHAR_VECTOR msg)
{
    snprintf(plot_message, sizeof plot_message, "%s", msg && *msg ? msg : "PLplot gave up");
    longjmp(plot_jump, 1);
}

/* plabort: PLplot skipped an operation; the file would miss part of the plot. */
static void on_plabort(PLCHAR_VECTOR msg)
{
    if (!plot_message[0])
        snprintf(plot_message, sizeof plot_message, "%s", msg && *msg ? msg : "PLplot abort");
}

static const char *device_name(enum plot_device dev)
{
    return dev == PLOT_PDF ? "pdfcairo" : "pngcairo";
}

/* Without the cairo driver plsdev() would fall back to asking on stdin which device to use. */
static int check_device(const char *name)
{
    enum { MAX_DEVICES = 128 };
    const char *menu_buf[MAX_DEVICES], *names_buf[MAX_DEVICES];
    const char **menu = menu_buf, **names = names_buf;
    int n = MAX_DEVICES;
    plgDevs(&menu, &names, &n);
    for (int i = 0; i < n; i++)
        if (strcmp(names[i], name) == 0)
            return CLNET_OK;
    return clnet_errorf(CLNET_ERR_IO, "PLplot has no '%s' device: install its cairo driver "
                        "(Debian: plplot-driver-cairo)", name);
}

static void set_colours(void)
{
    plscmap0n(COL_N);
    plscol0(COL_BG, 255, 255, 255);
    for (int i = 0; i < PLOT_PALETTE; i++)
        plscol0(COL_SERIES + i, palette[i][0], palette[i][1], palette[i][2]);
    plscol0(COL_GRID, 225, 225, 225);
    plscol0(COL_RED, 225, 0, 0);
    plscol0(COL_FRAME, 150, 150, 150);
    plscol0(14, 255, 255, 255);
    plscol0(COL_FG, 0, 0, 0);
}

typedef void (*draw_fn)(const void *ctx);

/* Draws through `draw` on a fresh stream into a temporary file next to path, checks it is
 * not empty, and renames it into place. */
static int render(const char *path, enum plot_device dev, int width, int height, draw_fn draw,
                  const void *ctx)
{
    size_t len = strlen(path) + sizeof ".tmp.XXXXXX";
    char *tmp = malloc(len);
    if (!tmp)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    snprintf(tmp, len, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        int status = clnet_errorf(CLNET_ERR_IO, "%s: cannot create: %s", tmp, strerror(errno));
        free(tmp);
        return status;
    }
    fchmod(fd, 0644);
    close(fd);
    int slot = interrupt_temp_add(tmp); /* an interrupted start-up removes it */

    pthread_mutex_lock(&plot_lock);
    int status = check_device(device_name(dev));
    plot_message[0] = '\0';
    PLINT previous;
    plgstrm(&previous);
    if (status == CLNET_OK && setjmp(plot_jump) == 0) {
        plsexit(on_plexit);
        plsabort(on_plabort);
        PLINT stream = -1;
        plmkstrm(&stream);
        if (stream < 0) {
            snprintf(plot_message, sizeof plot_message, "no free PLplot stream");
        } else {
            plsdev(device_name(dev));
            plsfnam(tmp);
            /* A PDF page is measured in points: the same inches as the PNG, so text keeps
             * its size relative to the plot. */
            if (dev == PLOT_PDF)
                plspage(72, 72, width * 72 / PLOT_DPI, height * 72 / PLOT_DPI, 0, 0);
            else
                plspage(PLOT_DPI, PLOT_DPI, width, height, 0, 0);
            set_colours();
            plinit();
            draw(ctx);
            plend1();
        }
    } else if (status == CLNET_OK) {
        /* plexit: the stream is left as it was; PLplot could not end it safely. */
    }
    plsexit(NULL);
    plsabort(NULL);
    plsstrm(previous);
    char message[sizeof plot_message];
    memcpy(message, plot_message, sizeof message);
    pthread_mutex_unlock(&plot_lock);

    struct stat st;
    if (status == CLNET_OK && message[0])
        status = clnet_errorf(CLNET_ERR_IO, "%s: PLplot: %s", path, message);
    if (status == CLNET_OK && (stat(tmp, &st) != 0 || st.st_size == 0))
        status = clnet_errorf(CLNET_ERR_IO, "%s: PLplot (%s) wrote nothing", path,
                              device_name(dev));
    /* No fsync: a plot can be drawn again; the rename alone keeps watchers from half files. */
    if (status == CLNET_OK && rename(tmp, path) != 0)
        status = clnet_errorf(CLNET_ERR_IO, "%s: cannot rename to %s: %s", tmp, path,
                              strerror(errno));
    if (status != CLNET_OK)
        unlink(tmp);
    interrupt_temp_remove(slot);
    free(tmp);
    return status;
}

/* ---- curves ----------------------------------------------------------------------------- */

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
    PLFLT lw = 0, lh = 0;
    if (a->legend == PLOT_LEGEND_OUTSIDE) {
        int last = (int)(sizeof outside_layouts / sizeof outside_layouts[0]) - 1;
        for (layout = 0; layout <= last; layout++) {
            legend_draw(c, PL_POSITION_INSIDE | PL_POSITION_RIGHT, OUTSIDE_GAP, 0, OUTSIDE_LINE,
                        outside_layouts[layout].columns, outside_layouts[layout].scale, true,
                        &lw, &lh);
            if (lh <= 0.96 && lw <= 0.45)
                break;
        }
        if (layout > last)
            layout = last;
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
    for (int i = 0; i < c->n; i++) {
        const struct plot_series *s = &c->s[i];
        plcol0(series_colour(s->color));
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
    PLFLT w, h;
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
    for (int i = 0; i < n; i++) {
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
        }
        c->opt[i] = PL_LEGEND_LINE | (s->markers ? PL_LEGEND_SYMBOL : 0);
        c->text_col[i] = COL_FG;
        c->labels[i] = legend_label(s->label);
        if (!c->labels[i])
            return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory for a plot");
        c->text[i] = c->labels[i];
        c->blank[i] = COL_BG;
        c->line_col[i] = c->sym_col[i] = series_colour(s->color);
        c->line_sty[i] = s->style > 0 ? s->style : 1;
        c->line_w[i] = s->width;
        c->sym_scale[i] = 0.6;
        c->sym_num[i] = 1;
        c->sym[i] = DOT;
    }
    if (!(c->xmin <= c->xmax))
        return clnet_errorf(CLNET_ERR_INTERNAL, "plot '%s': no finite point to draw",
                            c->a->title);
    if (c->xmin == c->xmax) {
        double pad = c->a->log_x ? 0.5 : fmax(1.0, 0.05 * fabs(c->xmin));
        c->xmin -= pad;
        c->xmax += pad;
    } else if (c->a->pad_x) {
        double pad = 0.04 * (c->xmax - c->xmin);
        c->xmin -= pad;
        c->xmax += pad;
    }
    fit(&c->ymin, &c->ymax, c->a->y_floor, c->a->y_ceil, c->a->log_y);
    return CLNET_OK;
}

int plot_lines(const char *path, enum plot_device dev, const struct plot_axes *a,
               const struct plot_series *s, int n_series)
{
    struct lines_ctx c = {.a = a, .s = s, .n = n_series};
    int status = lines_prepare(&c);
    if (status == CLNET_OK)
        status = render(path, dev, PLOT_WIDTH, PLOT_HEIGHT, draw_lines, &c);
    lines_free(&c);
    return status;
}
#endif /* CLNET_HAVE_PLOTS */

char *plot_path(const char *dir, const char *stem, const char *ext)
{
    size_t len = strlen(dir) + strlen(stem) + strlen(ext) + 3;
    char *p = malloc(len);
    if (p)
        snprintf(p, len, "%s/%s%s%s", dir, stem, *ext ? "." : "", ext);
    return p;
}

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

/* ---- predictions grid ------------------------------------------------------------------- */

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
    int n, rows, cols;
    PLFLT *pixels; /* (cols, rows) of one image, column-major as PLplot wants */
    PLFLT **columns; /* (cols) pointers into pixels */
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
    PLFLT pos[2] = {0, 1}, grey[2] = {0, 1};
    plscmap1n(256);
    plscmap1l(1, 2, pos, grey, grey, grey, NULL);
    plcol0(COL_FG);
    plschr(0, 1.25);
    plptex(PRED_WIDTH / 2.0, page_y(24), 1, 0, 0.5, c->title);
    plschr(0, 0.8);
    plptex(PRED_WIDTH / 2.0, page_y(53), 1, 0, 0.5,
           "predicted label under each image; wrong ones in red, true label in parentheses");
    double scale = fmin((double)IMG_BOX / c->cols, (double)IMG_BOX / c->rows);
    double w = scale * c->cols, h = scale * c->rows;
    plschr(0, 1.05);
    for (int i = 0; i < c->n; i++) {
        const struct plot_prediction *q = &c->p[i];
        int cell[4], label[4];
        plot_prediction_cell(i, cell, label);
        for (int x = 0; x < c->cols; x++)
            for (int y = 0; y < c->rows; y++) /* PLplot's row 0 is the bottom one */
                c->columns[x][y] = q->image[(size_t)(c->rows - 1 - y) * c->cols + x];
        double x0 = cell[0] + (CELL_W - w) / 2, top = cell[1] + IMG_TOP + (IMG_BOX - h) / 2;
        plimage((PLFLT_MATRIX)c->columns, c->cols, c->rows, x0, x0 + w, page_y(top + h),
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
    struct grid_ctx c = {.title = title, .p = p, .n = n, .rows = rows, .cols = cols};
    c.pixels = malloc((size_t)rows * (size_t)cols * sizeof *c.pixels);
    c.columns = malloc((size_t)cols * sizeof *c.columns);
    int status = c.pixels && c.columns ? CLNET_OK
                                       : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    for (int x = 0; status == CLNET_OK && x < cols; x++)
        c.columns[x] = c.pixels + (size_t)x * (size_t)rows;
    if (status == CLNET_OK)
        status = render(path, dev, PRED_WIDTH, PRED_HEIGHT, draw_grid, &c);
    free(c.pixels);
    free(c.columns);
    return status;
}
#endif /* CLNET_HAVE_PLOTS */
