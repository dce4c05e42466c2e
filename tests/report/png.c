/* PNG reading and writing for the tests (see png.h). */
#include "png.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

static int fail(char *err, size_t size, const char *path, const char *what)
{
    snprintf(err, size, "%s: %s", path, what);
    return -1;
}

static int paeth(int a, int b, int c)
{
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/* Undoes the filters of raw (height rows of 1 + stride bytes) into out (height x stride). */
static int unfilter(unsigned char *out, const unsigned char *raw, int height, size_t stride,
                    int bpp)
{
    for (int y = 0; y < height; y++) {
        const unsigned char *in = raw + (size_t)y * (stride + 1);
        unsigned char *row = out + (size_t)y * stride;
        const unsigned char *up = y > 0 ? row - stride : NULL;
        int type = in[0];
        in++;
        for (size_t i = 0; i < stride; i++) {
            int a = i >= (size_t)bpp ? row[i - (size_t)bpp] : 0, b = up ? up[i] : 0;
            int c = up && i >= (size_t)bpp ? up[i - (size_t)bpp] : 0, pred;
            switch (type) {
            case 0: pred = 0; break;
            case 1: pred = a; break;
            case 2: pred = b; break;
            case 3: pred = (a + b) / 2; break;
            case 4: pred = paeth(a, b, c); break;
            default: return -1;
            }
            row[i] = (unsigned char)(in[i] + pred);
        }
    }
    return 0;
}

int pngc_read(struct pngc_image *img, const char *path, char *err, size_t err_size)
{
    memset(img, 0, sizeof *img);
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(err, err_size, path, "cannot open");
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *data = malloc(size > 0 ? (size_t)size : 1);
    size_t got = data ? fread(data, 1, (size_t)size, f) : 0;
    fclose(f);
    if (!data || size <= 0 || got != (size_t)size) {
        free(data);
        return fail(err, err_size, path, "empty or unreadable");
    }
    int rc = -1, color = -1, channels = 0;
    unsigned char *idat = NULL, *raw = NULL, *pixels = NULL;
    size_t idat_len = 0, pos = 8;
    bool ended = false;
    if ((size_t)size < 8 || memcmp(data, signature, 8) != 0) {
        fail(err, err_size, path, "no PNG signature");
        goto done;
    }
    while (!ended) {
        if (pos + 12 > (size_t)size) {
            fail(err, err_size, path, "truncated chunk");
            goto done;
        }
        uint32_t len = be32(data + pos);
        const unsigned char *type = data + pos + 4, *body = data + pos + 8;
        if (len > (size_t)size - pos - 12) {
            fail(err, err_size, path, "chunk longer than the file");
            goto done;
        }
        uint32_t crc = (uint32_t)crc32(crc32(0, NULL, 0), type, len + 4);
        if (crc != be32(body + len)) {
            fail(err, err_size, path, "bad chunk CRC");
            goto done;
        }
        if (memcmp(type, "IHDR", 4) == 0) {
            if (pos != 8 || len != 13) {
                fail(err, err_size, path, "IHDR is not the first 13-byte chunk");
                goto done;
            }
            img->width = (int)be32(body);
            img->height = (int)be32(body + 4);
            color = body[9];
            channels = color == 0 ? 1 : color == 2 ? 3 : color == 6 ? 4 : 0;
            if (body[8] != 8 || !channels || body[12] != 0 || img->width <= 0 ||
                img->height <= 0) {
                fail(err, err_size, path, "not an 8-bit grey/RGB/RGBA non-interlaced image");
                goto done;
            }
        } else if (memcmp(type, "IDAT", 4) == 0) {
            unsigned char *p = realloc(idat, idat_len + len + 1);
            if (!p)
                goto done;
            idat = p;
            memcpy(idat + idat_len, body, len);
            idat_len += len;
        } else if (memcmp(type, "IEND", 4) == 0) {
            ended = true;
        }
        pos += 12 + len;
    }
    if (!channels || !idat) {
        fail(err, err_size, path, "no IHDR or no IDAT");
        goto done;
    }
    size_t stride = (size_t)img->width * (size_t)channels;
    uLongf raw_len = (uLongf)((stride + 1) * (size_t)img->height);
    raw = malloc(raw_len);
    pixels = malloc(stride * (size_t)img->height);
    img->rgb = malloc((size_t)img->width * (size_t)img->height * 3);
    if (!raw || !pixels || !img->rgb)
        goto done;
    uLongf want = raw_len;
    if (uncompress(raw, &raw_len, idat, (uLong)idat_len) != Z_OK || raw_len != want) {
        fail(err, err_size, path, "image data does not inflate to the header's size");
        goto done;
    }
    if (unfilter(pixels, raw, img->height, stride, channels) != 0) {
        fail(err, err_size, path, "unknown row filter");
        goto done;
    }
    for (size_t i = 0; i < (size_t)img->width * (size_t)img->height; i++)
        for (int c = 0; c < 3; c++)
            img->rgb[3 * i + (size_t)c] =
                pixels[i * (size_t)channels + (channels == 1 ? 0 : (size_t)c)];
    rc = 0;
done:
    if (rc != 0)
        pngc_free(img);
    free(data);
    free(idat);
    free(raw);
    free(pixels);
    return rc;
}

void pngc_free(struct pngc_image *img)
{
    free(img->rgb);
    memset(img, 0, sizeof *img);
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

static int chunk(FILE *f, const char *type, const unsigned char *body, uint32_t len)
{
    unsigned char head[8], tail[4];
    put32(head, len);
    memcpy(head + 4, type, 4);
    uint32_t crc = (uint32_t)crc32(crc32(0, NULL, 0), head + 4, 4);
    if (len > 0) /* crc32() of a NULL buffer gives the initial value, not the same crc */
        crc = (uint32_t)crc32(crc, body, len);
    put32(tail, crc);
    return fwrite(head, 1, 8, f) == 8 && (len == 0 || fwrite(body, 1, len, f) == len) &&
                   fwrite(tail, 1, 4, f) == 4
               ? 0
               : -1;
}

int pngc_write(const char *path, int width, int height, const unsigned char *rgb, int filter)
{
    size_t stride = (size_t)width * 3;
    size_t raw_len = (stride + 1) * (size_t)height;
    unsigned char *raw = malloc(raw_len);
    uLongf z_len = compressBound((uLong)raw_len);
    unsigned char *z = malloc(z_len);
    FILE *f = fopen(path, "wb");
    int rc = -1;
    if (!raw || !z || !f)
        goto done;
    for (int y = 0; y < height; y++) {
        unsigned char *out = raw + (size_t)y * (stride + 1);
        const unsigned char *row = rgb + (size_t)y * stride, *up = y ? row - stride : NULL;
        out[0] = (unsigned char)filter;
        for (size_t i = 0; i < stride; i++) {
            int a = i >= 3 ? row[i - 3] : 0, b = up ? up[i] : 0, c = up && i >= 3 ? up[i - 3] : 0;
            int pred = filter == 1 ? a : filter == 2 ? b : filter == 3 ? (a + b) / 2
                       : filter == 4 ? paeth(a, b, c) : 0;
            out[1 + i] = (unsigned char)(row[i] - pred);
        }
    }
    if (compress(z, &z_len, raw, (uLong)raw_len) != Z_OK)
        goto done;
    unsigned char ihdr[13] = {0};
    put32(ihdr, (uint32_t)width);
    put32(ihdr + 4, (uint32_t)height);
    ihdr[8] = 8;
    ihdr[9] = 2;
    if (fwrite(signature, 1, 8, f) != 8 || chunk(f, "IHDR", ihdr, 13) ||
        chunk(f, "IDAT", z, (uint32_t)z_len) || chunk(f, "IEND", NULL, 0))
        goto done;
    rc = 0;
done:
    if (f && fclose(f) != 0)
        rc = -1;
    free(raw);
    free(z);
    return rc;
}
