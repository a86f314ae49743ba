/* SPDX-License-Identifier: MIT */
/*
 * plot.h — a log-scale line chart as a standalone SVG document.
 *
 * Consumes x values and series of log10 y values; produces an SVG 1.1
 * document (no scripts, fonts, stylesheets or other external resources)
 * that a browser or an image viewer shows directly.  Output is
 * deterministic: the same input gives byte-identical text.
 */
#ifndef SYMDIFF_PLOT_H
#define SYMDIFF_PLOT_H

#include "strbuf.h"

typedef struct PlotSeries {
    const char *label; /* legend text (escaped on output)                  */
    const double *y;   /* npoints log10 values; a non-finite one is a gap  */
} PlotSeries;

/* Most series told apart by colour and dash pattern (more repeat them). */
#define PLOT_MAX_STYLES 10

/* Writes the chart: x linear with rounded ticks, y logarithmic with ticks
 * at powers of ten labelled 10^k, one <path> per series (and a marker per
 * point when there are at most 40 points), a legend, the title and both
 * axis labels.  A series equal to an earlier one at every point is still
 * visible: the earlier one is drawn with a wide translucent band under its
 * line, the later one's markers are hollow squares around the earlier
 * one's dots, and the legend says "(the same values as ...)".  Returns 0,
 * or -1 (no points, a NULL argument, out of memory). */
int plot_svg(StrBuf *out, const char *title, const char *xlabel, const char *ylabel,
             const double *x, int npoints, const PlotSeries *series, int nseries);

/* The same at a given size: width x height pixels (0 x 0: the default, a
 * 560 x 380 plot area with the legend beside it).  The layout is made for
 * the size's shape and then scaled, type included, so a slide-sized chart
 * has slide-sized type; sizes are clamped to PLOT_MIN_SIZE..PLOT_MAX_SIZE
 * on each side. */
#define PLOT_MIN_SIZE 200
#define PLOT_MAX_SIZE 10000
int plot_svg_sized(StrBuf *out, const char *title, const char *xlabel, const char *ylabel,
                   const double *x, int npoints, const PlotSeries *series, int nseries, int width,
                   int height);

#endif
