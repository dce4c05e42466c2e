/* PNG digits to MNIST inputs (digit_png.h), through libpng's simplified API. */
#include "data/digit_png.h"

#include <math.h>
#include <png.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/status.h"

#define PNG_MAX_BYTES ((size_t)64 << 20)
#define PNG_MAX_SIDE 8192u
#define DIGIT_BOX 20
/* Below this share of the strongest ink a pixel is not part of the digit's bounding box
 * (anti-aliasing and the noise of a photographed page). */
#define INK_EDGE 0.1

struct grey {
    int w, h;
    unsigned char *p; /* (h, w): 0 black .. 255 white, before polarity */
};

/* Decodes the file's bytes into grey levels over white paper. */
static int decode(struct grey *g, const char *path, const void *data, size_t len)
{
    png_image img;
    memset(&img, 0, sizeof img);
    img.version = PNG_IMAGE_VERSION;
    if (len < 8 || png_sig_cmp(data, 0, 8) != 0)
        return clnet_errorf(CLNET_ERR_DATA, "%s: not a PNG image", path);
    if (!png_image_begin_read_from_memory(&img, data, len))
        return clnet_errorf(CLNET_ERR_DATA, "%s: damaged PNG image (%s)", path, img.message);
    if (img.width == 0 || img.height == 0 || img.width > PNG_MAX_SIDE ||
        img.height > PNG_MAX_SIDE) {
        png_image_free(&img);
        return clnet_errorf(CLNET_ERR_DATA, "%s: %ux%u pixels; clnet predict reads images of "
                            "1 to %u pixels a side", path, img.width, img.height, PNG_MAX_SIDE);
    }
    img.format = PNG_FORMAT_GA;
    unsigned char *ga = malloc(PNG_IMAGE_SIZE(img));
    g->w = (int)img.width;
    g->h = (int)img.height;
    g->p = malloc((size_t)g->w * (size_t)g->h);
    if (!ga || !g->p) {
        png_image_free(&img);
        free(ga);
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    }
    if (!png_image_finish_read(&img, NULL, ga, 0, NULL)) {
        free(ga);
        return clnet_errorf(CLNET_ERR_DATA, "%s: damaged PNG image (%s)", path, img.message);
    }
    for (size_t i = 0; i < (size_t)g->w * (size_t)g->h; i++) {
        unsigned v = ga[2 * i], a = ga[2 * i + 1];
        g->p[i] = (unsigned char)((v * a + 255u * (255u - a) + 127u) / 255u);
    }
    free(ga);
    return CLNET_OK;
}

/* The mean grey level of the outermost ring of pixels (0..255). */
static double border_mean(const struct grey *g)
{
    double sum = 0.0;
    size_t n = 0;
    for (int y = 0; y < g->h; y++)
        for (int x = 0; x < g->w; x++)
            if (y == 0 || x == 0 || y == g->h - 1 || x == g->w - 1) {
                sum += g->p[(size_t)y * g->w + x];
                n++;
            }
    return sum / (double)n;
}

/* The ink (0..1, the paper's level taken away and the strongest ink made 1) of a bright-on-
 * dark image; its bounding box in *box (x0, y0, x1, y1, ends exclusive). false: no ink. */
static bool ink(const struct grey *g, double paper, float *v, int box[4])
{
    size_t n = (size_t)g->w * (size_t)g->h;
    double peak = 0.0;
    for (size_t i = 0; i < n; i++) {
        double u = g->p[i] - paper;
        v[i] = u > 0.0 ? (float)u : 0.0f;
        peak = fmax(peak, v[i]);
    }
    if (peak < 1.0) /* less than one grey level above the paper: a blank page */
        return false;
    box[0] = g->w, box[1] = g->h, box[2] = box[3] = 0;
    for (int y = 0; y < g->h; y++)
        for (int x = 0; x < g->w; x++) {
            float *u = &v[(size_t)y * g->w + x];
            *u = (float)(*u / peak);
            if (*u > INK_EDGE) {
                box[0] = x < box[0] ? x : box[0], box[1] = y < box[1] ? y : box[1];
                box[2] = x >= box[2] ? x + 1 : box[2], box[3] = y >= box[3] ? y + 1 : box[3];
            }
        }
    return true;
}

/* The mean of src (width sw) over [a0, a1) x [b0, b1) in source pixels, by area. */
static double area_mean(const float *src, int sw, double a0, double a1, double b0, double b1)
{
    double sum = 0.0;
    for (int y = (int)b0; y < (int)ceil(b1); y++) {
        double hy = fmin(b1, y + 1) - fmax(b0, y);
        for (int x = (int)a0; x < (int)ceil(a1); x++)
            sum += hy * (fmin(a1, x + 1) - fmax(a0, x)) * src[(size_t)y * sw + x];
    }
    return sum / ((a1 - a0) * (b1 - b0));
}

/* Scales the ink inside box to fit DIGIT_BOX, then places it in out with its centre of mass at
 * row and column 14 (as MNIST's: over its test set the mean is 13.99 and 14.00, by pixel
 * index), pixels that would fall outside dropped. */
static void fit(const float *v, int w, const int box[4], float *out)
{
    int bw = box[2] - box[0], bh = box[3] - box[1];
    double scale = (double)DIGIT_BOX / (bw > bh ? bw : bh);
    int tw = (int)lround(bw * scale), th = (int)lround(bh * scale);
    tw = tw < 1 ? 1 : tw, th = th < 1 ? 1 : th;
    float patch[DIGIT_BOX * DIGIT_BOX];
    double mass = 0.0, mx = 0.0, my = 0.0;
    for (int y = 0; y < th; y++)
        for (int x = 0; x < tw; x++) {
            double a0 = box[0] + x * (double)bw / tw, b0 = box[1] + y * (double)bh / th;
            double u = area_mean(v, w, a0, a0 + (double)bw / tw, b0, b0 + (double)bh / th);
            patch[y * tw + x] = (float)u;
            mass += u, mx += u * x, my += u * y;
        }
    int ox = (int)lround(DIGIT_SIDE / 2 - mx / mass);
    int oy = (int)lround(DIGIT_SIDE / 2 - my / mass);
    memset(out, 0, DIGIT_PIXELS * sizeof *out);
    for (int y = 0; y < th; y++)
        for (int x = 0; x < tw; x++)
            if (x + ox >= 0 && x + ox < DIGIT_SIDE && y + oy >= 0 && y + oy < DIGIT_SIDE)
                out[(y + oy) * DIGIT_SIDE + x + ox] = patch[y * tw + x];
}

static int prepare(struct grey *g, const char *path, float *out)
{
    if (border_mean(g) > 127.5) /* dark ink on light paper: MNIST's digits are light on dark */
        for (size_t i = 0; i < (size_t)g->w * (size_t)g->h; i++)
            g->p[i] = (unsigned char)(255 - g->p[i]);
    if (g->w == DIGIT_SIDE && g->h == DIGIT_SIDE) {
        for (int i = 0; i < DIGIT_PIXELS; i++)
            out[i] = (float)g->p[i] / 255.0f;
        return CLNET_OK;
    }
    float *v = malloc((size_t)g->w * (size_t)g->h * sizeof *v);
    if (!v)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    int box[4];
    bool found = ink(g, border_mean(g), v, box);
    if (found)
        fit(v, g->w, box, out);
    free(v);
    return found ? CLNET_OK
                 : clnet_errorf(CLNET_ERR_DATA, "%s: no digit found (the image is one level "
                                "of grey)", path);
}

int digit_png_read(const char *path, float *out)
{
    void *data = NULL;
    size_t len = 0;
    struct grey g = {0};
    int status = fs_read_file_max(&data, &len, path, PNG_MAX_BYTES);
    if (status == CLNET_ERR_IO)
        status = CLNET_ERR_DATA; /* a missing or unreadable image is the user's input */
    if (status == CLNET_OK)
        status = decode(&g, path, data, len);
    if (status == CLNET_OK)
        status = prepare(&g, path, out);
    free(data);
    free(g.p);
    return status;
}
