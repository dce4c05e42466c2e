/* tests/check/metrics_close.h */
#include "metrics_close.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../train/synth.h"
#include "harness.h"

void metrics_close(const char *a_dir, const char *a_label, const char *b_dir,
                   const char *b_label, double tolerance)
{
    char *a = read_in(a_dir, "metrics.csv", NULL), *b = read_in(b_dir, "metrics.csv", NULL);
    ck_assert_msg(a && b, "no metrics.csv in %s or %s", a_dir, b_dir);
    ck_assert_msg(count_lines(a) == count_lines(b) && count_lines(a) >= 2, "rows:\n%s\n%s", a, b);
    const char *nl_a = strchr(a, '\n'), *nl_b = strchr(b, '\n');
    ck_assert_msg(nl_a - a == nl_b - b && strncmp(a, b, (size_t)(nl_a - a)) == 0,
                  "headers:\n%s\n%s", a, b);
    const char *p = nl_a + 1, *q = nl_b + 1;
    int values = 0;
    while (*p && *q) {
        char *end_p, *end_q;
        double x = strtod(p, &end_p), y = strtod(q, &end_q);
        ck_assert_msg(end_p != p && end_q != q, "not a number at '%.20s' / '%.20s'", p, q);
        double rel = fabs(x - y) / fmax(fmax(fabs(x), fabs(y)), 1e-30);
        ck_assert_msg(x == y || (isnan(x) && isnan(y)) || rel <= tolerance,
                      "value %d: %.9g on %s, %.9g on %s:\n%s\n%s", values, x, a_label, y,
                      b_label, a, b);
        ck_assert_msg(*end_p == *end_q, "layout:\n%s\n%s", a, b);
        values++;
        p = *end_p ? end_p + 1 : end_p;
        q = *end_q ? end_q + 1 : end_q;
    }
    ck_assert_msg(!*p && !*q && values >= 7, "%d values:\n%s\n%s", values, a, b);
    free(a);
    free(b);
}
