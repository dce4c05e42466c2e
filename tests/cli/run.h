/* Runs the clnet binary ($CLNET_BIN) as a user would and captures what it prints, for the
 * end-to-end command-line tests. */
#ifndef CLNET_TESTS_CLI_RUN_H
#define CLNET_TESTS_CLI_RUN_H

struct run_result {
    int exit_code;   /* -1 when killed by a signal */
    int signal;      /* the signal, or 0 */
    char out[65536]; /* stdout, NUL-terminated (cut at the buffer size) */
    char err[65536]; /* stderr, likewise */
    double seconds;  /* wall time */
};

/* Runs $CLNET_BIN with argv (NULL-terminated, without the program name) and extra
 * environment entries env ("NAME=value", NULL-terminated, may be NULL). */
void run_clnet(struct run_result *r, const char *const *argv, const char *const *env);

/* Number of lines in s (a last line without '\n' counts). */
int count_lines(const char *s);

#endif
