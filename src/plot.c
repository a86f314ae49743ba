/* SPDX-License-Identifier: MIT */
/*
 * plot.c — log-scale line charts as SVG (see plot.h).
 *
 * Consumes points; produces SVG text.  Layout, top to bottom: the title,
 * the plot area (grid, axes, one line per series) with the legend to its
 * right, the x label.  Coordinates are printed with one decimal, numbers
 * in labels with %g, so the output does not depend on anything but the
 * input (the C locale is assumed, as in every printer of symdiff).
 */
#include "plot.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Colour-blind-safe-ish categorical palette (Tableau 10) and dash
 * patterns: series i gets colour i and dash i, so two series that coincide
 * still show both. */
static const char *const colours[PLOT_MAX_STYLES] = {
    "#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
    "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf",
};
static const char *const dashes[PLOT_MAX_STYLES] = {
    "",      "8 4",     "2 3",   "12 4 2 4", "4 4",
    "1 3",   "10 3 3 3", "6 2",   "3 6",      "14 6",
};

/* Layout in pixels (of the default size; other sizes scale it). */
enum {
    PLOT_WIDTH = 560,  /* the plot area, by default                       */
    PLOT_HEIGHT = 380,
    PLOT_MIN_AREA_W = 160, /* the plot area at least, at other sizes      */
    PLOT_MIN_AREA_H = 100,
    MARGIN_LEFT = 80,  /* room for 10^k labels and the y label            */
    MARGIN_TOP = 50,   /* the title                                       */
    MARGIN_BOTTOM = 60, /* tick labels and the x label                    */
    LEGEND_GAP = 20,
    CHAR_WIDTH = 6,    /* estimated width of a character at 12 px        */
    MARKER_LIMIT = 40  /* markers on every point up to this many points  */
};

/* Text content and attribute values: & < > " ' escaped, control
 * characters (not allowed in XML 1.0) replaced by '?'. */
static void put_escaped(StrBuf *out, const char *s) {
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        switch (c) {
        case '&':
            sb_puts(out, "&amp;");
            break;
        case '<':
            sb_puts(out, "&lt;");
            break;
        case '>':
            sb_puts(out, "&gt;");
            break;
        case '"':
            sb_puts(out, "&quot;");
            break;
        case '\'':
            sb_puts(out, "&apos;");
            break;
        default:
            sb_putc(out, c < 0x20 && c != '\t' && c != '\n' ? '?' : (char)c);
        }
    }
}

/* 1, 2 or 5 times a power of ten, at least `raw`. */
static double nice_step(double raw) {
    if (!(raw > 0) || !isfinite(raw))
        return 1;
    double p = pow(10, floor(log10(raw)));
    double m = raw / p;
    return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p;
}

typedef struct Frame {
    double x0, x1, y0, y1; /* data ranges (y in log10)          */
    double left, top;      /* plot area's corner in pixels      */
    double pw, ph;         /* plot area's size in pixels        */
} Frame;

static double px(const Frame *fr, double x) {
    return fr->left + (x - fr->x0) / (fr->x1 - fr->x0) * fr->pw;
}
static double py(const Frame *fr, double y) {
    return fr->top + (fr->y1 - y) / (fr->y1 - fr->y0) * fr->ph;
}

/* The earlier series that s equals at every point (both values finite and
 * equal, or both gaps; at least one finite), or -1. */
static int same_as_earlier(const PlotSeries *series, int s, int npoints) {
    for (int t = 0; t < s; t++) {
        int same = 1, finite = 0;
        for (int i = 0; i < npoints && same; i++) {
            double a = series[s].y[i], b = series[t].y[i];
            if (isfinite(a) && isfinite(b))
                same = a == b, finite = 1;
            else
                same = !isfinite(a) && !isfinite(b);
        }
        if (same && finite)
            return t;
    }
    return -1;
}

/* The series' points as path data ("M x y L x y ..."), broken at gaps. */
static void put_points(StrBuf *out, const Frame *fr, const double *x, const double *y, int npoints) {
    int pen_down = 0, any = 0;
    for (int i = 0; i < npoints; i++) {
        if (!isfinite(y[i]) || !isfinite(x[i])) {
            pen_down = 0;
            continue;
        }
        sb_printf(out, "%s%c%.1f %.1f", any ? " " : "", pen_down ? 'L' : 'M', px(fr, x[i]),
                  py(fr, y[i]));
        pen_down = any = 1;
    }
}

/* A tick value printed without -0 and without rounding noise. */
static void put_tick_number(StrBuf *out, double v, double step) {
    if (fabs(v) < step * 1e-9)
        v = 0;
    sb_printf(out, "%g", v);
}

int plot_svg(StrBuf *out, const char *title, const char *xlabel, const char *ylabel,
             const double *x, int npoints, const PlotSeries *series, int nseries) {
    return plot_svg_sized(out, title, xlabel, ylabel, x, npoints, series, nseries, 0, 0);
}

int plot_svg_sized(StrBuf *out, const char *title, const char *xlabel, const char *ylabel,
                   const double *x, int npoints, const PlotSeries *series, int nseries, int width,
                   int height) {
    if (!out || !x || npoints < 1 || nseries < 0 || (nseries > 0 && !series))
        return -1;
    for (int s = 0; s < nseries; s++)
        if (!series[s].y)
            return -1;

    /* ranges: x as given, y out to whole decades */
    Frame fr = {INFINITY, -INFINITY, INFINITY, -INFINITY, MARGIN_LEFT, MARGIN_TOP, PLOT_WIDTH,
                PLOT_HEIGHT};
    for (int i = 0; i < npoints; i++)
        if (isfinite(x[i])) {
            fr.x0 = x[i] < fr.x0 ? x[i] : fr.x0;
            fr.x1 = x[i] > fr.x1 ? x[i] : fr.x1;
        }
    for (int s = 0; s < nseries; s++)
        for (int i = 0; i < npoints; i++) {
            double v = series[s].y[i];
            if (isfinite(v) && isfinite(x[i])) {
                fr.y0 = v < fr.y0 ? v : fr.y0;
                fr.y1 = v > fr.y1 ? v : fr.y1;
            }
        }
    if (!(fr.x0 <= fr.x1)) {
        fr.x0 = 0;
        fr.x1 = 1;
    }
    if (fr.x0 == fr.x1) {
        fr.x0 -= 1;
        fr.x1 += 1;
    }
    if (!(fr.y0 <= fr.y1)) {
        fr.y0 = 0;
        fr.y1 = 1;
    }
    fr.y0 = floor(fr.y0);
    fr.y1 = ceil(fr.y1);
    if (fr.y0 == fr.y1)
        fr.y1 += 1;
    /* at most about 10 decade labels: every 1, 2, 5, 10, 20, ... decades */
    double ystep = nice_step((fr.y1 - fr.y0) / 10);
    if (ystep < 1)
        ystep = 1;
    fr.y0 = floor(fr.y0 / ystep) * ystep;
    fr.y1 = ceil(fr.y1 / ystep) * ystep;
    double xstep = nice_step((fr.x1 - fr.x0) / 8);
    /* whole-number x (a repeat count) gets whole-number ticks */
    int whole = 1;
    for (int i = 0; i < npoints && whole; i++)
        whole = !isfinite(x[i]) || x[i] == floor(x[i]);
    if (whole && xstep < 1)
        xstep = 1;
    double xt0 = ceil(fr.x0 / xstep - 1e-9) * xstep;
    /* counted, not stepped in floating point: a step lost to rounding
     * (x near 1e300) cannot loop forever */
    int nyticks = (int)floor((fr.y1 - fr.y0) / ystep + 1e-9) + 1;
    int nxticks = (int)floor((fr.x1 - xt0) / xstep + 1e-9) + 1;
    nyticks = nyticks < 1 ? 1 : nyticks > 100 ? 100 : nyticks;
    nxticks = nxticks < 1 ? 1 : nxticks > 100 ? 100 : nxticks;

    /* series equal to an earlier one, and the legend's notes about them
     * (among the first 40 series: more than the styles can tell apart) */
    int same[PLOT_MAX_STYLES * 4], nnotes = 0;
    int ncheck = nseries < PLOT_MAX_STYLES * 4 ? nseries : PLOT_MAX_STYLES * 4;
    for (int s = 0; s < ncheck; s++) {
        same[s] = same_as_earlier(series, s, npoints);
        nnotes += same[s] >= 0;
    }
    const char *note_prefix = "(the same values as ";
    size_t longest = 0;
    for (int s = 0; s < nseries; s++) {
        size_t l = series[s].label ? strlen(series[s].label) : 0;
        longest = l > longest ? l : longest;
        if (s < ncheck && same[s] >= 0) {
            const char *o = series[same[s]].label;
            l = (strlen(note_prefix) + (o ? strlen(o) : 0) + 1) * 11 / 10; /* italic is wider */
            longest = l > longest ? l : longest;
        }
    }
    int legend_rows = nseries + nnotes;
    int legend_w = nseries ? 56 + CHAR_WIDTH * (int)longest : 0;
    double lw = MARGIN_LEFT + PLOT_WIDTH + LEGEND_GAP + legend_w + 20;
    double lh = MARGIN_TOP + PLOT_HEIGHT + MARGIN_BOTTOM;
    double legend_h = MARGIN_TOP + 12 + 20 * legend_rows + 20;
    if (lh < legend_h)
        lh = legend_h;
    /* another size: the layout drawn at scale `k` (type included) fills
     * width x height exactly, with the plot area taking what is left */
    int sized = width > 0 || height > 0;
    if (sized) {
        /* one side given: the other keeps the default's shape */
        if (width <= 0)
            width = (int)(height * lw / lh + 0.5);
        if (height <= 0)
            height = (int)(width * lh / lw + 0.5);
        width = width < PLOT_MIN_SIZE ? PLOT_MIN_SIZE : width > PLOT_MAX_SIZE ? PLOT_MAX_SIZE : width;
        height = height < PLOT_MIN_SIZE ? PLOT_MIN_SIZE : height > PLOT_MAX_SIZE ? PLOT_MAX_SIZE : height;
        double fixed_w = MARGIN_LEFT + LEGEND_GAP + legend_w + 20.0;
        double fixed_h = MARGIN_TOP + MARGIN_BOTTOM + 0.0;
        double k = height / lh;
        if (k > width / (fixed_w + PLOT_MIN_AREA_W))
            k = width / (fixed_w + PLOT_MIN_AREA_W);
        if (k > height / (fixed_h + PLOT_MIN_AREA_H))
            k = height / (fixed_h + PLOT_MIN_AREA_H);
        if (k > height / legend_h)
            k = height / legend_h;
        lw = width / k;
        lh = height / k;
        fr.pw = lw - fixed_w;
        fr.ph = lh - fixed_h;
    }
    double right = fr.left + fr.pw, bottom = fr.top + fr.ph;

    sb_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if (sized)
        sb_printf(out,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
                  "height=\"%d\" viewBox=\"0 0 %.1f %.1f\" font-family=\"Helvetica, Arial, "
                  "sans-serif\" font-size=\"12\">\n",
                  width, height, lw, lh);
    else
        sb_printf(out,
                  "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
                  "height=\"%d\" viewBox=\"0 0 %d %d\" font-family=\"Helvetica, Arial, "
                  "sans-serif\" font-size=\"12\">\n",
                  (int)lw, (int)lh, (int)lw, (int)lh);
    sb_puts(out, "<title>");
    put_escaped(out, title);
    sb_puts(out, "</title>\n");
    sb_printf(out, "<rect x=\"0\" y=\"0\" width=\"%.0f\" height=\"%.0f\" fill=\"white\"/>\n",
              ceil(lw), ceil(lh));
    sb_printf(out, "<text x=\"%.1f\" y=\"28\" text-anchor=\"middle\" font-size=\"16\">",
              fr.left + fr.pw / 2.0);
    put_escaped(out, title);
    sb_puts(out, "</text>\n");

    /* grid and ticks: y at powers of ten */
    sb_puts(out, "<g stroke=\"#dddddd\" stroke-width=\"1\">\n");
    for (int i = 0; i < nyticks; i++) {
        double k = fr.y0 + i * ystep;
        sb_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", fr.left,
                  py(&fr, k), right, py(&fr, k));
    }
    for (int i = 0; i < nxticks; i++) {
        double t = xt0 + i * xstep;
        sb_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", px(&fr, t),
                  fr.top, px(&fr, t), bottom);
    }
    sb_puts(out, "</g>\n");
    sb_puts(out, "<g text-anchor=\"end\">\n");
    for (int i = 0; i < nyticks; i++) {
        double k = fr.y0 + i * ystep;
        sb_printf(out, "<text x=\"%.1f\" y=\"%.1f\">10<tspan dy=\"-6\" font-size=\"9\">",
                  fr.left - 8, py(&fr, k) + 4);
        put_tick_number(out, k, ystep);
        sb_puts(out, "</tspan></text>\n");
    }
    sb_puts(out, "</g>\n<g text-anchor=\"middle\">\n");
    for (int i = 0; i < nxticks; i++) {
        double t = xt0 + i * xstep;
        sb_printf(out, "<text x=\"%.1f\" y=\"%.1f\">", px(&fr, t), bottom + 18);
        put_tick_number(out, t, xstep);
        sb_puts(out, "</text>\n");
    }
    sb_puts(out, "</g>\n");
    sb_printf(out,
              "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"none\" "
              "stroke=\"black\"/>\n",
              fr.left, fr.top, fr.pw, fr.ph);
    sb_printf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", fr.left + fr.pw / 2.0,
              bottom + 44);
    put_escaped(out, xlabel);
    sb_puts(out, "</text>\n");
    sb_printf(out,
              "<text x=\"20\" y=\"%.1f\" text-anchor=\"middle\" "
              "transform=\"rotate(-90 20 %.1f)\">",
              fr.top + fr.ph / 2.0, fr.top + fr.ph / 2.0);
    put_escaped(out, ylabel);
    sb_puts(out, "</text>\n");

    /* the series: a path broken at gaps, then markers.  A series that a
     * later one repeats gets a wide translucent band under its line (a
     * polyline-like path of its own, not a series), so its colour shows
     * around the later one's dashes; the later one's markers are hollow
     * squares around its dots. */
    for (int s = 0; s < nseries; s++) {
        const char *colour = colours[s % PLOT_MAX_STYLES], *dash = dashes[s % PLOT_MAX_STYLES];
        int repeated = 0, repeats = s < ncheck && same[s] >= 0;
        for (int t = s + 1; t < ncheck; t++)
            repeated |= same[t] == s;
        if (repeated) {
            sb_printf(out,
                      "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"8\" stroke-opacity=\"0.3\" "
                      "stroke-linejoin=\"round\" stroke-linecap=\"round\" points=\"",
                      colour);
            int any = 0;
            for (int i = 0; i < npoints; i++)
                if (isfinite(series[s].y[i]) && isfinite(x[i])) {
                    sb_printf(out, "%s%.1f,%.1f", any ? " " : "", px(&fr, x[i]), py(&fr, series[s].y[i]));
                    any = 1;
                }
            sb_puts(out, "\"/>\n");
        }
        sb_printf(out, "<path fill=\"none\" stroke=\"%s\" stroke-width=\"2\"", colour);
        if (*dash)
            sb_printf(out, " stroke-dasharray=\"%s\"", dash);
        sb_puts(out, " d=\"");
        put_points(out, &fr, x, series[s].y, npoints);
        sb_puts(out, "\"><title>");
        put_escaped(out, series[s].label);
        sb_puts(out, "</title></path>\n");
        if (npoints <= MARKER_LIMIT) {
            if (repeats)
                sb_printf(out, "<g fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\">", colour);
            else
                sb_printf(out, "<g fill=\"%s\">", colour);
            for (int i = 0; i < npoints; i++) {
                if (!isfinite(series[s].y[i]) || !isfinite(x[i]))
                    continue;
                if (repeats)
                    sb_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"9\" height=\"9\"/>",
                              px(&fr, x[i]) - 4.5, py(&fr, series[s].y[i]) - 4.5);
                else
                    sb_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\"/>", px(&fr, x[i]),
                              py(&fr, series[s].y[i]));
            }
            sb_puts(out, "</g>\n");
        }
    }

    /* the legend: a sample of each line, then its label (and a note under
     * a series that repeats an earlier one) */
    if (nseries) {
        double lx = right + LEGEND_GAP, ly = fr.top;
        sb_printf(out,
                  "<rect x=\"%.1f\" y=\"%.1f\" width=\"%d\" height=\"%d\" fill=\"white\" "
                  "stroke=\"#999999\"/>\n",
                  lx, ly, legend_w, 12 + 20 * legend_rows);
        int row = 0;
        for (int s = 0; s < nseries; s++, row++) {
            double yy = ly + 16 + 20 * row;
            const char *colour = colours[s % PLOT_MAX_STYLES], *dash = dashes[s % PLOT_MAX_STYLES];
            int repeated = 0;
            for (int t = s + 1; t < ncheck; t++)
                repeated |= same[t] == s;
            if (repeated)
                sb_printf(out,
                          "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                          "stroke-width=\"8\" stroke-opacity=\"0.3\" stroke-linecap=\"round\"/>\n",
                          lx + 10, yy, lx + 42, yy, colour);
            sb_printf(out,
                      "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                      "stroke-width=\"2\"",
                      lx + 8, yy, lx + 44, yy, colour);
            if (*dash)
                sb_printf(out, " stroke-dasharray=\"%s\"", dash);
            sb_puts(out, "/>\n");
            sb_printf(out, "<text x=\"%.1f\" y=\"%.1f\">", lx + 50, yy + 4);
            put_escaped(out, series[s].label);
            sb_puts(out, "</text>\n");
            if (s < ncheck && same[s] >= 0) {
                row++;
                sb_printf(out, "<text x=\"%.1f\" y=\"%.1f\" font-style=\"italic\" fill=\"#444444\">",
                          lx + 50, ly + 16 + 20 * row + 4);
                put_escaped(out, note_prefix);
                put_escaped(out, series[same[s]].label);
                sb_puts(out, ")</text>\n");
            }
        }
    }
    sb_puts(out, "</svg>\n");
    return out->failed ? -1 : 0;
}
