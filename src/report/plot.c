/* PLplot's streams for every plot (plot_render.h). PLplot reports a fatal error through
 * plexit(), which calls exit() unless its exit handler does not return: ours longjmps back to
 * plot_render(), which gives up the half-made stream (PLplot cannot close it safely) and
 * returns CLNET_ERR_IO. One lock serialises every use of PLplot, whose current stream and
 * handlers are process-wide. */
#if CLNET_HAVE_PLOTS /* else plot_none.c stands in for what needs PLplot */
#include "report/plot_render.h"
#else
#include "report/plot.h"
#endif

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/interrupt.h"
#include "util/status.h"

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

/* Draws through draw(ctx) into the file tmp on a fresh PLplot stream, holding the lock;
 * message gets what PLplot said when it gave up or skipped something ("" when all went
 * well). */
static int draw_stream(char *message, size_t cap, const char *tmp, enum plot_device dev,
                       int width, int height, plot_draw_fn draw, const void *ctx)
{
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
    } /* else plexit: the stream is left as it was; PLplot could not end it safely. */
    plsexit(NULL);
    plsabort(NULL);
    plsstrm(previous);
    snprintf(message, cap, "%s", plot_message);
    pthread_mutex_unlock(&plot_lock);
    return status;
}

int plot_render(const char *path, enum plot_device dev, int width, int height,
                plot_draw_fn draw, const void *ctx)
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
    char message[sizeof plot_message];
    int status = draw_stream(message, sizeof message, tmp, dev, width, height, draw, ctx);
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

int plot_picture_init(struct plot_picture *p, int rows, int cols)
{
    p->rows = rows;
    p->cols = cols;
    p->pixels = malloc((size_t)rows * (size_t)cols * sizeof *p->pixels);
    p->columns = malloc((size_t)cols * sizeof *p->columns);
    if (!p->pixels || !p->columns) {
        plot_picture_free(p);
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    }
    for (int x = 0; x < cols; x++)
        p->columns[x] = p->pixels + (size_t)x * (size_t)rows;
    return CLNET_OK;
}

void plot_picture_free(struct plot_picture *p)
{
    free(p->pixels);
    free(p->columns);
    p->pixels = NULL;
    p->columns = NULL;
}

void plot_picture_set_grey(void)
{
    PLFLT pos[2] = {0, 1}, grey[2] = {0, 1};
    plscmap1n(256);
    plscmap1l(1, 2, pos, grey, grey, grey, NULL);
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

