/* drawing_render in a build without Graphviz (meson -Dgraphviz=disabled, or libgvc not
 * found): one line saying so. */
#include "report/graph_draw.h"

#include "util/status.h"

bool drawing_available(void)
{
    return false;
}

int drawing_render(const struct drawing *d, const char *path)
{
    (void)d;
    return clnet_errorf(CLNET_ERR_USAGE, "graph: this build has no Graphviz, so it cannot "
                        "draw %s (install libgraphviz-dev and rebuild: scripts/setup)", path);
}
