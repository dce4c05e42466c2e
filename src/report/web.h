/* The files of clnet's pages, embedded at build time by web/embed.py (web/meson.build): the
 * template page.html, page.css, page.js, and uPlot's script, style and licence. */
#ifndef CLNET_REPORT_WEB_H
#define CLNET_REPORT_WEB_H

#include <stddef.h>

struct web_file {
    const char *name; /* the file's name: "page.js", "uPlot.iife.min.js", ... */
    const unsigned char *data;
    size_t size;
};

extern const struct web_file web_files[];
extern const size_t web_file_count;
extern const char web_uplot_version[]; /* "1.6.32" */

#endif
