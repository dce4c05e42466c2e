/* The terminal's width (see term.h). */
#include "util/term.h"

#include <stdlib.h>
#include <sys/ioctl.h>

static int columns_variable; /* term_set_columns: COLUMNS as a width, or 0 */

void term_set_columns(int columns)
{
    columns_variable = columns >= 10 && columns <= 10000 ? columns : 0;
}

int term_columns(int fd)
{
    struct winsize ws;
    /* A pseudo-terminal nobody sized reports 0 columns: fall through to COLUMNS. */
    if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 10)
        return ws.ws_col;
    return columns_variable > 0 ? columns_variable : TERM_DEFAULT_COLUMNS;
}
