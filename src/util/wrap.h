/* Help text that fits a width (clnet help: 100 columns): an entry's text wrapped at spaces, its
 * continuation lines indented under its first. */
#ifndef CLNET_UTIL_WRAP_H
#define CLNET_UTIL_WRAP_H

#include <stddef.h>
#include <stdio.h>

#define WRAP_HELP_COLUMNS 100

/* Writes text from column col (what the line already holds), breaking at spaces before a word
 * that would pass width; a continuation line starts with indent spaces. A word wider than a
 * line is written whole. Ends the line. */
void wrap_text(FILE *f, const char *text, int col, int indent, int width);

/* Writes left, padded to column col, then text wrapped there; a left that reaches col puts the
 * text on the next line, so the two never run together. */
void wrap_entry(FILE *f, const char *left, int col, const char *text, int width);

/* Appends to buf (cap bytes, NUL-terminated) what fmt makes; a text that does not fit is cut:
 * how a line to write (or wrap) is put together in pieces. */
void wrap_append(char *buf, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
