/* A PNG of a handwritten digit (any size, greyscale or colour, with or without alpha) turned
 * into the 28 x 28 input an MNIST model reads: pixels / 255, a bright digit on black.
 *
 * An image of exactly 28 x 28 is taken as already prepared (an MNIST image written out as a
 * PNG gives back its own pixels); only its polarity is fixed. Any other size is prepared the
 * way MNIST's images were made: the paper's level (the mean of the border pixels) is
 * subtracted, the ink's bounding box is scaled, keeping its aspect ratio, to fit a 20 x 20 box
 * (area averaging), and placed in the 28 x 28 field with its centre of mass at the centre.
 * Polarity: when the border is lighter than mid-grey the image is dark ink on light paper and
 * is inverted. Transparent pixels are read as white paper. */
#ifndef CLNET_DATA_DIGIT_PNG_H
#define CLNET_DATA_DIGIT_PNG_H

#define DIGIT_SIDE 28
#define DIGIT_PIXELS (DIGIT_SIDE * DIGIT_SIDE)

/* Reads path into out (DIGIT_PIXELS values in [0, 1], row-major). A file that is not a PNG,
 * is truncated or damaged, is larger than 64 MiB or 8192 pixels a side, or holds no ink (a
 * blank page) is CLNET_ERR_DATA naming the file and what is wrong. */
int digit_png_read(const char *path, float *out);

#endif
