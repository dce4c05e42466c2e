/* PNG reading and writing for the tests (see png.h), on libpng's simplified API. */
#include "pngc.h"

#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pngc_read(struct pngc_image *img, const char *path, char *err, size_t err_size)
{
    memset(img, 0, sizeof *img);
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&im, path)) {
        snprintf(err, err_size, "%s: %s", path, im.message);
        return -1;
    }
    im.format = PNG_FORMAT_RGB; /* alpha composed over black, grey widened to RGB */
    img->rgb = malloc(PNG_IMAGE_SIZE(im));
    if (!img->rgb) {
        png_image_free(&im);
        snprintf(err, err_size, "%s: out of memory", path);
        return -1;
    }
    if (!png_image_finish_read(&im, NULL, img->rgb, 0, NULL)) {
        snprintf(err, err_size, "%s: %s", path, im.message);
        pngc_free(img);
        return -1;
    }
    img->width = (int)im.width;
    img->height = (int)im.height;
    return 0;
}

void pngc_free(struct pngc_image *img)
{
    free(img->rgb);
    img->rgb = NULL;
}

double pngc_variance(const struct pngc_image *img)
{
    size_t n = (size_t)img->width * (size_t)img->height;
    double sum = 0, sum2 = 0;
    for (size_t i = 0; i < n; i++) {
        const unsigned char *p = img->rgb + 3 * i;
        double g = 0.299 * p[0] + 0.587 * p[1] + 0.114 * p[2];
        sum += g;
        sum2 += g * g;
    }
    double mean = sum / (double)n;
    return sum2 / (double)n - mean * mean;
}

bool pngc_is_red(const struct pngc_image *img, int x, int y)
{
    const unsigned char *p = img->rgb + 3 * ((size_t)y * (size_t)img->width + (size_t)x);
    return p[0] >= 150 && p[1] <= 110 && p[2] <= 110 && p[0] - p[1] >= 100;
}

int pngc_count_red(const struct pngc_image *img, int x0, int y0, int x1, int y1)
{
    int n = 0;
    for (int y = y0 < 0 ? 0 : y0; y < y1 && y < img->height; y++)
        for (int x = x0 < 0 ? 0 : x0; x < x1 && x < img->width; x++)
            n += pngc_is_red(img, x, y);
    return n;
}

int pngc_count_runs(const struct pngc_image *img, int y, int x0, int x1, int min_len)
{
    int runs = 0, len = 0;
    for (int x = x0 < 0 ? 0 : x0; x <= x1 && x <= img->width; x++) {
        const unsigned char *p = x < x1 && x < img->width && y >= 0 && y < img->height
                                     ? img->rgb + ((size_t)y * img->width + x) * 3
                                     : NULL;
        if (p && (p[0] < 230 || p[1] < 230 || p[2] < 230)) {
            len++;
            continue;
        }
        runs += len >= min_len;
        len = 0;
    }
    return runs;
}

int pngc_write(const char *path, int width, int height, const unsigned char *rgb)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    im.width = (png_uint_32)width;
    im.height = (png_uint_32)height;
    im.format = PNG_FORMAT_RGB;
    return png_image_write_to_file(&im, path, 0, rgb, 0, NULL) ? 0 : -1;
}
