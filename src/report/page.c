/* A page file (see page.h): web/page.html with its @MARKERS@ replaced by the title, the
 * embedded style and scripts (report/web.h) and the page's data, written atomically. */
#define _GNU_SOURCE
#include "report/page.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/web.h"
#include "util/fs.h"
#include "util/status.h"

static const struct web_file *web_get(const char *name)
{
    for (size_t i = 0; i < web_file_count; i++)
        if (strcmp(web_files[i].name, name) == 0)
            return &web_files[i];
    return NULL;
}

static void put_file(FILE *f, const char *name)
{
    const struct web_file *w = web_get(name);
    if (w)
        fwrite(w->data, 1, w->size, f);
}

static void put_html_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '&': fputs("&amp;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* The JSON with every '<' escaped: inside a JSON text '<' can only be in a string, where
 * \u003c means the same, and then "</script>" or "<!--" never appear in the element. */
static void put_json(FILE *f, const char *json, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (json[i] == '<')
            fputs("\\u003c", f);
        else
            fputc(json[i], f);
    }
}

struct page_fill {
    const char *title, *json;
    size_t len;
};

/* What replaces @NAME@ (n bytes of name); false for an unknown marker. */
static bool put_marker(FILE *f, const char *name, size_t n, const struct page_fill *p)
{
#define IS(s) (n == sizeof(s) - 1 && memcmp(name, s, n) == 0)
    if (IS("TITLE"))
        put_html_text(f, p->title);
    else if (IS("DATA"))
        put_json(f, p->json, p->len);
    else if (IS("UPLOT_VERSION"))
        fputs(web_uplot_version, f);
    else if (IS("UPLOT_LICENSE"))
        put_file(f, "LICENSE");
    else if (IS("UPLOT_CSS"))
        put_file(f, "uPlot.min.css");
    else if (IS("UPLOT_JS"))
        put_file(f, "uPlot.iife.min.js");
    else if (IS("PAGE_CSS"))
        put_file(f, "page.css");
    else if (IS("PAGE_JS"))
        put_file(f, "page.js");
    else
        return false;
    return true;
#undef IS
}

static int fill_template(FILE *f, const struct page_fill *p)
{
    const struct web_file *t = web_get("page.html");
    if (!t)
        return clnet_errorf(CLNET_ERR_INTERNAL, "page.html is not embedded in this build");
    const char *s = (const char *)t->data, *end = s + t->size;
    while (s < end) {
        const char *at = memchr(s, '@', (size_t)(end - s));
        const char *close = at ? memchr(at + 1, '@', (size_t)(end - at - 1)) : NULL;
        if (!at || !close) {
            fwrite(s, 1, (size_t)(end - s), f);
            break;
        }
        fwrite(s, 1, (size_t)(at - s), f);
        if (!put_marker(f, at + 1, (size_t)(close - at - 1), p)) {
            fputc('@', f); /* not a marker: the '@' as it was, and go on after it */
            s = at + 1;
            continue;
        }
        s = close + 1;
    }
    return CLNET_OK;
}

int page_write_file(const char *path, const char *title, const char *json, size_t len)
{
    char *text = NULL;
    size_t size = 0;
    FILE *f = open_memstream(&text, &size);
    if (!f)
        return clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    struct page_fill p = {title, json, len};
    int status = fill_template(f, &p);
    if (fclose(f) != 0 || !text)
        status = status ? status : clnet_errorf(CLNET_ERR_NOMEM, "out of host memory");
    if (status == CLNET_OK)
        status = fs_write_atomic(path, text, size);
    free(text);
    return status;
}
