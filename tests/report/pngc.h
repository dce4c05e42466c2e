/* PNG for the plot tests, through libpng's simplified API (which checks the signature and the
 * chunks' CRCs): a test can look at pixels (is the image blank? which cells carry red?). And a
 * writer, to test the reader. */
#ifndef CLNET_TESTS_REPORT_PNGC_H
#define CLNET_TESTS_REPORT_PNGC_H

#include <stdbool.h>
#include <stddef.h>

struct pngc_image {
    int width, height;
    unsigned char *rgb; /* (height, width, 3) */
};

/* Reads path, any PNG, as 8-bit RGB (alpha composed over black). 0, or -1 with the reason in
 * err. */
int pngc_read(struct pngc_image *img, const char *path, char *err, size_t err_size);
void pngc_free(struct pngc_image *img);

/* Variance of the pixels' grey level (0..255 scale); 0 for a blank image. */
double pngc_variance(const struct pngc_image *img);

/* Strong red: what the plots draw wrong predictions in (anti-aliased edges included),
 * never black, grey or white text. */
bool pngc_is_red(const struct pngc_image *img, int x, int y);

/* Red pixels in [x0, x1) x [y0, y1). */
int pngc_count_red(const struct pngc_image *img, int x0, int y0, int x1, int y1);

/* Runs of at least min_len pixels that are not near-white (any channel below 230) along row
 * y between x0 and x1 (excluded): how many pictures a line crosses. */
int pngc_count_runs(const struct pngc_image *img, int y, int x0, int x1, int min_len);

/* Writes an 8-bit RGB PNG. 0 or -1. */
int pngc_write(const char *path, int width, int height, const unsigned char *rgb);

#endif
