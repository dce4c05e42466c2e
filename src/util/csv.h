/* clnet's own CSV files read back (metrics.csv, steps.csv, predictions.csv, layer_stats.csv):
 * one reader with one set of rules, so every file is split, found by column name, and its
 * numbers parsed and its errors worded ("PATH:LINE: what") the same way. The files are
 * clnet's: a header line of names, then rows of exactly as many comma-separated fields, no
 * quoting, '\n' or "\r\n" line ends, no empty lines. A user's own rows (`clnet eval --inputs`)
 * are not read here: they may be separated by spaces. */
#ifndef CLNET_UTIL_CSV_H
#define CLNET_UTIL_CSV_H

#include <stddef.h>

struct csv {
    char *path;    /* the name used in messages */
    int n_cols;    /* the header's fields (0: an empty file) */
    char **names;  /* (n_cols) the header */
    int n_rows;    /* the data rows, lines 2 .. n_rows + 1 */
    char **fields; /* (n_rows x n_cols) row-major, pointers into text */
    char *text;    /* a copy of the file, cut at every comma and line end */
};

/* Splits text (len bytes; need not be NUL-terminated) into c; path names it in errors.
 * An empty text gives n_cols = n_rows = 0. Errors (CLNET_ERR_DATA, "PATH:LINE: ..."): a NUL
 * byte, a header naming a column twice, an empty line, a row with another number of fields
 * than the header. On error c is left empty (csv_free is still safe). */
int csv_parse(struct csv *c, const char *text, size_t len, const char *path);

/* csv_parse on the file at path; CLNET_ERR_IO when it cannot be read. */
int csv_read(struct csv *c, const char *path);

void csv_free(struct csv *c);

/* The index of the column called name, or -1. */
int csv_column(const struct csv *c, const char *name);

/* The column called name into *col, or CLNET_ERR_DATA "PATH:1: no 'NAME' column (not a
 * clnet FILE)". */
int csv_require(const struct csv *c, const char *name, const char *file, int *col);

/* Row r's field in column col. */
const char *csv_field(const struct csv *c, int r, int col);

/* The line of row r in the file (the header is line 1). */
long csv_line(int r);

/* Row r's field in column col as a number (strtod: nan and inf read as such), or
 * CLNET_ERR_DATA "PATH:LINE: column N (NAME): 'TEXT' is not a number". */
int csv_number(const struct csv *c, int r, int col, double *v);

/* The same as a whole number in [lo, hi], or "... 'TEXT' is not a whole number >= LO" (or
 * "from LO to HI" when hi < 1e15). */
int csv_whole(const struct csv *c, int r, int col, double lo, double hi, long long *v);

#endif
