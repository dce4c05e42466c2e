/* `clnet graph CONFIG.yaml [--out FILE.png|.svg|.pdf|.dot] [--set key.path=value ...]`: the
 * model's computation graph as the homework draws it (report/graph_draw.h), laid out and
 * written by Graphviz. Host only: no device starts. Without --out it writes NAME_graph.png
 * in the working folder. It prints the file and the nodes, in the drawing's order. */
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config/config.h"
#include "model/shape.h"
#include "report/graph_draw.h"
#include "util/status.h"

static void print_nodes(const struct experiment *e, const struct drawing *d, const char *path)
{
    printf("%s: wrote %s: %d nodes:", e->name, path, d->n_nodes);
    for (int i = 0; i < d->n_nodes; i++)
        printf("%s %s", i ? "," : "", d->nodes[i].id);
    printf("\n");
}

int cli_graph(const struct cli_args *args)
{
    /* the config and --out are checked first, also in a build without Graphviz, whose
     * drawing_render then says it has none */
    if (args->out && !drawing_format(args->out))
        return clnet_errorf(CLNET_ERR_USAGE, "graph: --out %s: the name must end in .png, .svg, "
                            ".pdf or .dot", args->out);
    struct experiment e;
    struct model_shape s;
    struct drawing d;
    memset(&e, 0, sizeof e);
    memset(&s, 0, sizeof s);
    memset(&d, 0, sizeof d);
    int status = config_load(&e, args->positional[0], args->sets, args->n_sets);
    if (status == CLNET_OK) status = shape_infer(&s, &e);
    if (status == CLNET_OK) status = drawing_build(&d, &e, &s);
    char path[4200];
    if (status == CLNET_OK) {
        snprintf(path, sizeof path, "%s%s", args->out ? args->out : e.name,
                 args->out ? "" : "_graph.png");
        status = drawing_render(&d, path);
    }
    if (status == CLNET_OK) print_nodes(&e, &d, path);
    drawing_free(&d);
    shape_free(&s);
    experiment_free(&e);
    return status;
}
