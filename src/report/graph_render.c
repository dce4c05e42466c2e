/* drawing_render with Graphviz's libgvc: the drawing as a cgraph graph, laid out by dot (top
 * to bottom, the input first), rendered into memory and written atomically. Parameters are
 * grey boxes, the loss a double octagon, values ellipses. */
#include "report/graph_draw.h"

#include <graphviz/gvc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/fs.h"
#include "util/status.h"

bool drawing_available(void)
{
    return true;
}

static void style(Agnode_t *n, const struct draw_node *dn)
{
    agsafeset(n, "label", (char *)dn->label, "");
    if (dn->kind == DRAW_PARAM) {
        agsafeset(n, "shape", "box", "");
        agsafeset(n, "style", "filled", "");
        agsafeset(n, "fillcolor", "#e8e8e8", "");
    } else if (dn->kind == DRAW_LOSS) {
        agsafeset(n, "shape", "doubleoctagon", "");
    }
}

/* d as a cgraph graph (the caller closes it). */
static Agraph_t *to_cgraph(const struct drawing *d, Agnode_t **nodes)
{
    Agraph_t *g = agopen("clnet", Agdirected, NULL);
    if (!g) return NULL;
    agsafeset(g, "rankdir", "TB", "");
    agattr(g, AGNODE, "fontname", "Helvetica");
    for (int i = 0; i < d->n_nodes; i++) {
        nodes[i] = agnode(g, (char *)d->nodes[i].id, 1);
        style(nodes[i], &d->nodes[i]);
    }
    for (int i = 0; i < d->n_edges; i++)
        agedge(g, nodes[d->edges[i].from], nodes[d->edges[i].to], NULL, 1);
    return g;
}

int drawing_render(const struct drawing *d, const char *path)
{
    const char *format = drawing_format(path);
    if (!format)
        return clnet_errorf(CLNET_ERR_USAGE, "graph: --out %s: the name must end in .png, .svg, "
                            ".pdf or .dot", path);
    Agnode_t **nodes = calloc((size_t)(d->n_nodes ? d->n_nodes : 1), sizeof *nodes);
    GVC_t *gvc = nodes ? gvContext() : NULL;
    Agraph_t *g = gvc ? to_cgraph(d, nodes) : NULL;
    char *data = NULL;
    unsigned int len = 0;
    int status = g && gvLayout(gvc, g, "dot") == 0 ? CLNET_OK
                 : clnet_errorf(CLNET_ERR_INTERNAL, "graph: Graphviz could not lay the graph out");
    if (status == CLNET_OK && gvRenderData(gvc, g, format, &data, &len) != 0)
        status = clnet_errorf(CLNET_ERR_INTERNAL, "graph: Graphviz could not render %s (is its "
                              "%s plugin installed?)", path, format);
    if (status == CLNET_OK) status = fs_write_atomic(path, data, len);
    if (data) gvFreeRenderData(data);
    if (g) {
        gvFreeLayout(gvc, g);
        agclose(g);
    }
    if (gvc) gvFreeContext(gvc);
    free(nodes);
    return status;
}
