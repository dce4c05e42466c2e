/* The shortest decimal that reads back exactly (num.h). */
#include "util/num.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

/* The fewest significant digits worth trying: a whole part that fits in max_digits is written
 * out (1000, not 1e+03). */
static int first_precision(double v, int max_digits)
{
    double a = fabs(v);
    int whole = a >= 1.0 ? (int)floor(log10(a)) + 1 : 1;
    return whole <= max_digits ? whole : 1;
}

char *num_shortest(char *buf, size_t size, double v)
{
    if (!isfinite(v)) {
        snprintf(buf, size, "%s", isnan(v) ? "nan" : v > 0 ? "inf" : "-inf");
        return buf;
    }
    float f = (float)v;
    if ((double)f == v) {
        for (int prec = first_precision(v, 9); prec <= 9; prec++) { /* 9 digits always read back to a float */
            snprintf(buf, size, "%.*g", prec, v);
            if (strtof(buf, NULL) == f)
                break;
        }
        return buf;
    }
    for (int prec = first_precision(v, 17); prec <= 17; prec++) { /* 17 digits always read back to a double */
        snprintf(buf, size, "%.*g", prec, v);
        if (strtod(buf, NULL) == v)
            break;
    }
    return buf;
}
