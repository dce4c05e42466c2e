/* util/num.h: the shortest text that reads back exactly. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/num.h"
#include "util_tests.h"

START_TEST(test_float_values)
{
    char buf[40];
    ck_assert_str_eq(num_shortest(buf, sizeof buf, 84.0f / 100.0f), "0.84");
    ck_assert_str_eq(num_shortest(buf, sizeof buf, 0.1f), "0.1");
    ck_assert_str_eq(num_shortest(buf, sizeof buf, 1.0f / 3.0f), "0.33333334");
    ck_assert_str_eq(num_shortest(buf, sizeof buf, 0.0), "0");
    ck_assert_str_eq(num_shortest(buf, sizeof buf, 1000.0), "1000");
    ck_assert_str_eq(num_shortest(buf, sizeof buf, -2.5f), "-2.5");
    ck_assert_str_eq(num_shortest(buf, sizeof buf, FLT_MIN), "1.1754944e-38");
}
END_TEST

START_TEST(test_double_values)
{
    char buf[40];
    ck_assert_str_eq(num_shortest(buf, sizeof buf, 0.1), "0.1");
    ck_assert_str_eq(num_shortest(buf, sizeof buf, 1.0 / 3.0), "0.3333333333333333");
    ck_assert_str_eq(num_shortest(buf, sizeof buf, 1e300), "1e+300");
    ck_assert_str_eq(num_shortest(buf, sizeof buf, 1234.5678), "1234.5678");
    ck_assert_str_eq(num_shortest(buf, sizeof buf, 1e20f), "1e+20");
    ck_assert_str_eq(num_shortest(buf, sizeof buf, NAN), "nan");
    ck_assert_str_eq(num_shortest(buf, sizeof buf, -INFINITY), "-inf");
}
END_TEST

/* Every text reads back: floats through strtof, doubles through strtod, over a spread of
 * magnitudes and bit patterns. */
START_TEST(test_round_trip)
{
    char buf[40];
    unsigned s = 12345;
    for (int i = 0; i < 20000; i++) {
        s = s * 1103515245u + 12345u;
        float f = ldexpf((float)(s >> 8) / 16777216.0f, (int)(s % 200) - 100);
        num_shortest(buf, sizeof buf, f);
        ck_assert_msg(strtof(buf, NULL) == f, "%s for %.9g", buf, (double)f);
        double d = ldexp((double)s / 4294967296.0 + 1e-12 * i, (int)(s % 600) - 300);
        num_shortest(buf, sizeof buf, d);
        ck_assert_msg(strtod(buf, NULL) == d, "%s for %.17g", buf, d);
    }
}
END_TEST

void add_num_tests(Suite *s)
{
    TCase *tc = tcase_create("num");
    tcase_add_test(tc, test_float_values);
    tcase_add_test(tc, test_double_values);
    tcase_add_test(tc, test_round_trip);
    suite_add_tcase(s, tc);
}
