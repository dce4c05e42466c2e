/* Help text wrapped at spaces to a width. */
#include "util/wrap.h"

#include <stdarg.h>
#include <stdbool.h>
#include <string.h>

void wrap_text(FILE *f, const char *text, int col, int indent, int width)
{
    bool line_start = true;
    for (const char *p = text; *p;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        int w = (int)strcspn(p, " ");
        if (!line_start && col + 1 + w > width) {
            fprintf(f, "\n%*s", indent, "");
            col = indent;
            line_start = true;
        }
        if (!line_start) {
            fputc(' ', f);
            col++;
        }
        fprintf(f, "%.*s", w, p);
        col += w;
        line_start = false;
        p += w;
    }
    fputc('\n', f);
}

void wrap_entry(FILE *f, const char *left, int col, const char *text, int width)
{
    int len = (int)strlen(left);
    if (len >= col)
        fprintf(f, "%s\n%*s", left, col, "");
    else
        fprintf(f, "%-*s", col, left);
    wrap_text(f, text, col, col, width);
}

void wrap_append(char *buf, size_t cap, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len + 1 >= cap)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, cap - len, fmt, ap);
    va_end(ap);
}
