/* The terminal's width (see term.h). */
#include "util/term.h"

#include <stdlib.h>
#include <sys/ioctl.h>

/* COLUMNS as a width, or 0 when unset or not a plausible one. */
static int columns_variable(void)
{
    const char *s = getenv("COLUMNS");
    if (!s || !*s)
        return 0;
    char *end;
    long n = strtol(s, &end, 10);
    return *end == '\0' && n >= 10 && n <= 10000 ? (int)n : 0;
}

int term_columns(int fd)
{
    struct winsize ws;
    /* A pseudo-terminal nobody sized reports 0 columns: fall through to COLUMNS. */
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 10)
        return ws.ws_col;
    int n = columns_variable();
    return n > 0 ? n : TERM_DEFAULT_COLUMNS;
}
