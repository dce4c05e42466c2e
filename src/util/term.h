/* The terminal's width, for the lines clnet redraws in place (the progress line, a sweep's live
 * lines): a line longer than the terminal wraps, and "\r" then redraws only its last part. */
#ifndef CLNET_UTIL_TERM_H
#define CLNET_UTIL_TERM_H

#define TERM_DEFAULT_COLUMNS 80

/* fd's window width when it is a terminal that knows it (TIOCGWINSZ); otherwise COLUMNS when it
 * is a whole number from 10 to 10000 (what a shell exports, and what a sweep's children, which
 * print through a pipe, can be given); otherwise 80. */
int term_columns(int fd);

/* COLUMNS (util/options.h's columns), which main hands over once; 0: unset. */
void term_set_columns(int columns);

#endif
