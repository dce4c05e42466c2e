/* What the end-to-end device tests of tests/check share: metrics.csv of two runs compared as
 * numbers, within a relative tolerance (two devices or two ops paths sum in different orders,
 * so a bitwise test does not apply). */
#ifndef CLNET_TESTS_CHECK_METRICS_CLOSE_H
#define CLNET_TESTS_CHECK_METRICS_CLOSE_H

/* Fails the test unless a_dir/metrics.csv and b_dir/metrics.csv have the same header, rows and
 * layout, at least 7 values, and every value within `tolerance` relative of the other's
 * (equal values pass, NaN included). a_label and b_label name the runs in the message. */
void metrics_close(const char *a_dir, const char *a_label, const char *b_dir,
                   const char *b_label, double tolerance);

#endif
