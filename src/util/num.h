/* Numbers as text: the shortest decimal that reads back to the same value, for the files
 * clnet writes (metrics.csv, summary.json). */
#ifndef CLNET_UTIL_NUM_H
#define CLNET_UTIL_NUM_H

#include <stddef.h>

/* Writes v into buf (NUL-terminated; 32 bytes always suffice) in %g form with the fewest
 * significant digits that read back exactly: a value that is a float (a float's accuracy,
 * loss or learning rate carried in a double) in the fewest that strtof reads back to that
 * float, so 84 of 100 as a float is "0.84", not "0.839999974"; any other double in the fewest
 * that strtod reads back to it. A whole part of up to 9 (float) or 17 digits is written out
 * (1000, not 1e+03). Non-finite values are "nan", "inf" or "-inf". Returns buf. */
char *num_shortest(char *buf, size_t size, double v);

#endif
