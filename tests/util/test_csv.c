/* util/csv.h: clnet's one reader of its own CSV files: columns by name, the same number
 * parsing and the same "PATH:LINE: what" errors for every file. */
#include <math.h>
#include <string.h>

#include "util/csv.h"
#include "util/status.h"
#include "util_tests.h"

static int parse(struct csv *c, const char *text)
{
    clnet_error_clear();
    return csv_parse(c, text, strlen(text), "f.csv");
}

START_TEST(test_csv_good)
{
    struct csv c;
    ck_assert_int_eq(parse(&c, "index,label,predicted\r\n7,3,3\r\n12,5,6"), CLNET_OK);
    ck_assert_int_eq(c.n_cols, 3);
    ck_assert_int_eq(c.n_rows, 2);
    ck_assert_int_eq(csv_column(&c, "predicted"), 2);
    ck_assert_int_eq(csv_column(&c, "nothing"), -1);
    ck_assert_str_eq(csv_field(&c, 1, 2), "6");
    ck_assert_int_eq(csv_line(1), 3);
    long long v;
    ck_assert_int_eq(csv_whole(&c, 1, 0, 0, 9999, &v), CLNET_OK);
    ck_assert_int_eq(v, 12);
    double d;
    ck_assert_int_eq(csv_number(&c, 0, 1, &d), CLNET_OK);
    ck_assert(d == 3.0);
    csv_free(&c);
    ck_assert_int_eq(parse(&c, ""), CLNET_OK); /* empty: no header, no rows */
    ck_assert(c.n_cols == 0 && c.n_rows == 0);
    csv_free(&c);
    ck_assert_int_eq(parse(&c, "a,b\n1,nan\n"), CLNET_OK);
    ck_assert_int_eq(csv_number(&c, 0, 1, &d), CLNET_OK);
    ck_assert(isnan(d));
    csv_free(&c);
}
END_TEST

static const struct {
    const char *text;
    const char *error; /* the whole message */
} bad[] = {
    {"a,b,a\n1,2,3\n", "f.csv:1: column 'a' appears twice"},
    {"a,b\n1,2\n\n3,4\n", "f.csv:3: an empty line"},
    {"a,b\n1,2\n3\n", "f.csv:3: 1 values; the header has 2 columns"},
    {"a,b\n1,2,3\n", "f.csv:2: 3 values; the header has 2 columns"},
    {"a,b\n1,2\n3,4\0\n", "f.csv:3: a NUL byte in the text"},
};

START_TEST(test_csv_bad)
{
    struct csv c;
    clnet_error_clear();
    size_t len = strlen(bad[_i].text);
    if (strstr(bad[_i].error, "NUL"))
        len += 2; /* the NUL and the newline after it */
    ck_assert_int_eq(csv_parse(&c, bad[_i].text, len, "f.csv"), CLNET_ERR_DATA);
    ck_assert_str_eq(clnet_error_message(), bad[_i].error);
    ck_assert(c.n_rows == 0 && c.n_cols == 0 && !c.fields);
    csv_free(&c);
}
END_TEST

START_TEST(test_csv_values)
{
    struct csv c;
    ck_assert_int_eq(parse(&c, "iteration,loss\n1.5,x\n-3,0.5 \n12,\n"), CLNET_OK);
    long long v;
    double d;
    clnet_error_clear();
    ck_assert_int_eq(csv_whole(&c, 0, 0, 0, INFINITY, &v), CLNET_ERR_DATA);
    ck_assert_str_eq(clnet_error_message(),
                     "f.csv:2: column 1 (iteration): '1.5' is not a whole number >= 0");
    clnet_error_clear();
    ck_assert_int_eq(csv_whole(&c, 1, 0, 0, 9, &v), CLNET_ERR_DATA);
    ck_assert_str_eq(clnet_error_message(),
                     "f.csv:3: column 1 (iteration): '-3' is not a whole number from 0 to 9");
    clnet_error_clear();
    ck_assert_int_eq(csv_number(&c, 0, 1, &d), CLNET_ERR_DATA);
    ck_assert_str_eq(clnet_error_message(), "f.csv:2: column 2 (loss): 'x' is not a number");
    clnet_error_clear();
    ck_assert_int_eq(csv_number(&c, 1, 1, &d), CLNET_ERR_DATA); /* trailing space */
    clnet_error_clear();
    ck_assert_int_eq(csv_number(&c, 2, 1, &d), CLNET_ERR_DATA); /* empty field */
    ck_assert_str_eq(clnet_error_message(), "f.csv:4: column 2 (loss): '' is not a number");
    int col;
    clnet_error_clear();
    ck_assert_int_eq(csv_require(&c, "label", "predictions.csv", &col), CLNET_ERR_DATA);
    ck_assert_str_eq(clnet_error_message(),
                     "f.csv:1: no 'label' column (not a clnet predictions.csv)");
    csv_free(&c);
}
END_TEST

void add_csv_tests(Suite *s)
{
    TCase *tc = tcase_create("csv");
    tcase_add_test(tc, test_csv_good);
    tcase_add_loop_test(tc, test_csv_bad, 0, (int)(sizeof bad / sizeof *bad));
    tcase_add_test(tc, test_csv_values);
    suite_add_tcase(s, tc);
}
