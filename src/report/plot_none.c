/* The drawing primitives of a build without PLplot (see plot.h, PLOT_NONE_MESSAGE): compiled
 * instead of plot.c's PLplot half, they draw nothing and fail, so that a caller that forgot to
 * skip plotting in such a build reports it rather than leaving a run without its figures. */
#include "report/plot.h"

#include "util/status.h"

int plot_lines(const char *path, enum plot_device dev, const struct plot_axes *a,
               const struct plot_series *s, int n_series)
{
    (void)dev, (void)a, (void)s, (void)n_series;
    return clnet_errorf(CLNET_ERR_INTERNAL, "%s: %s", path, PLOT_NONE_MESSAGE);
}

int plot_predictions(const char *path, enum plot_device dev, const char *title,
                     const struct plot_prediction *p, int n, int rows, int cols)
{
    (void)dev, (void)title, (void)p, (void)n, (void)rows, (void)cols;
    return clnet_errorf(CLNET_ERR_INTERNAL, "%s: %s", path, PLOT_NONE_MESSAGE);
}

int plot_reconstructions(const char *path, enum plot_device dev, const char *title,
                         const char *subtitle, const struct plot_reconstruction *p, int n,
                         int rows, int cols)
{
    (void)dev, (void)title, (void)subtitle, (void)p, (void)n, (void)rows, (void)cols;
    return clnet_errorf(CLNET_ERR_INTERNAL, "%s: %s", path, PLOT_NONE_MESSAGE);
}

int plot_confusion(const char *path, enum plot_device dev, const char *title,
                   const char *subtitle, const struct confusion *c)
{
    (void)dev, (void)title, (void)subtitle, (void)c;
    return clnet_errorf(CLNET_ERR_INTERNAL, "%s: %s", path, PLOT_NONE_MESSAGE);
}
