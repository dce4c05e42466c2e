/* Status codes and the recorded message: the first error wins, and a message is one line
 * whatever text it quotes (found by fuzzing: a safetensors tensor key holding "\n"). */
#include "util_tests.h"

#include "util/status.h"

#include <string.h>

START_TEST(first_message_wins)
{
    clnet_error_clear();
    ck_assert_str_eq(clnet_error_message(), "");
    ck_assert_int_eq(clnet_errorf(CLNET_ERR_DATA, "first %d", 1), CLNET_ERR_DATA);
    ck_assert_int_eq(clnet_errorf(CLNET_ERR_IO, "second"), CLNET_ERR_IO);
    ck_assert_str_eq(clnet_error_message(), "first 1");
    clnet_error_clear();
    ck_assert_str_eq(clnet_error_message(), "");
}
END_TEST

START_TEST(message_is_one_line)
{
    clnet_error_clear();
    clnet_errorf(CLNET_ERR_DATA, "x.safetensors: tensor 'f': unknown key '%s'",
                 "a\nb\r\tc\x01\x7f\xc3\xa9");
    ck_assert_str_eq(clnet_error_message(),
                     "x.safetensors: tensor 'f': unknown key 'a\\nb\\r\\tc\\x01\\x7F\xc3\xa9'");
    clnet_error_clear();
}
END_TEST

START_TEST(long_message_is_cut_not_overrun)
{
    static char text[10000];
    for (int i = 0; i < (int)sizeof text - 1; i++)
        text[i] = i % 2 ? 'a' : '\n';
    clnet_error_clear();
    clnet_errorf(CLNET_ERR_CONFIG, "%s", text);
    const char *m = clnet_error_message();
    ck_assert_uint_gt(strlen(m), 4000);
    ck_assert_uint_lt(strlen(m), 4096);
    ck_assert_ptr_null(strchr(m, '\n'));
    clnet_error_clear();
}
END_TEST

START_TEST(status_names)
{
    ck_assert_str_eq(clnet_status_name(CLNET_ERR_CONFIG), "CLNET_ERR_CONFIG");
    ck_assert_int_eq(clnet_exit_code(CLNET_ERR_DATA), 2);
    ck_assert_int_eq(clnet_exit_code(CLNET_ERR_IO), 1);
}
END_TEST

void add_status_tests(Suite *s)
{
    TCase *tc = tcase_create("status");
    tcase_add_test(tc, first_message_wins);
    tcase_add_test(tc, message_is_one_line);
    tcase_add_test(tc, long_message_is_cut_not_overrun);
    tcase_add_test(tc, status_names);
    suite_add_tcase(s, tc);
}
