/* The check both reconstruction-figure tests make of a predictions.png (report/plot.h's
 * plot_reconstructions): its size, and on each of the n rows drawn the centre line crosses
 * exactly PLOT_RECON_IMAGES pictures, each inside its cell; the rows below n none. A picture
 * is a run of 30 or more pixels that are not the page's white. */
#ifndef CLNET_TESTS_REPORT_RECON_PNG_H
#define CLNET_TESTS_REPORT_RECON_PNG_H

#include "harness.h"
#include "pngc.h"
#include "report/plot.h"

static inline void assert_recon_png(const char *path, int n)
{
    char err[512];
    struct pngc_image img;
    ck_assert_msg(pngc_read(&img, path, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(img.width == RECON_WIDTH && img.height == RECON_HEIGHT, "%s: %dx%d", path,
                  img.width, img.height);
    for (int i = 0; i < PLOT_RECON_MAX; i++) {
        int first[4], last[4], cell[4];
        plot_reconstruction_cell(i, 0, first);
        plot_reconstruction_cell(i, PLOT_RECON_IMAGES - 1, last);
        ck_assert(last[2] <= RECON_WIDTH && last[3] <= RECON_HEIGHT);
        int y = (first[1] + first[3]) / 2;
        int all = pngc_count_runs(&img, y, 0, RECON_WIDTH, 30);
        ck_assert_msg(all == (i < n ? PLOT_RECON_IMAGES : 0), "%s: row %d of %d: %d pictures",
                      path, i, n, all);
        for (int k = 0; k < PLOT_RECON_IMAGES && i < n; k++) {
            plot_reconstruction_cell(i, k, cell);
            ck_assert_msg(pngc_count_runs(&img, y, cell[0], cell[2], 30) == 1,
                          "%s: row %d: picture %d is not in its cell", path, i, k);
        }
    }
    pngc_free(&img);
}

#endif
