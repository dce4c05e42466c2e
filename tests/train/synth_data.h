/* A tiny synthetic MNIST-shaped data set for end-to-end tests: class c is a bright 6x6 square
 * at one of ten positions (two rows of five, jittered by a pixel) on uniform noise; 600 train
 * and 200 test images, balanced, so chance is 0.1. The same bytes every time. */
#ifndef CLNET_TESTS_TRAIN_SYNTH_DATA_H
#define CLNET_TESTS_TRAIN_SYNTH_DATA_H

/* Creates dir and writes the four IDX files into it (aborts on failure). */
void synth_data_write(const char *dir);

#endif
