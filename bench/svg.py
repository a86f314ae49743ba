# SPDX-License-Identifier: MIT
"""svg.py -- the two kinds of chart RESULTS.md shows, as plain SVG text
(no plotting library): horizontal bars on a log scale, and log-log lines.
"""
import math

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
FONT = 'font-family="sans-serif"'


def _esc(s):
    return (str(s).replace("&", "&amp;").replace("<", "&lt;")
            .replace(">", "&gt;"))


def _decades(lo, hi):
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    return a, max(b, a + 1)


def _label(v, unit):
    for scale, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k"), (1, ""),
                          (1e-3, "m"), (1e-6, "\u00b5"), (1e-9, "n")):
        if v >= scale * 0.999:
            x = v / scale
            return ("%g" % x) + " " + suffix + unit if unit else ("%g" % x) + suffix
    return "%g" % v


def hbars(title, rows, series, unit, note="", width=900):
    """rows: [(label, [value or None per series], [marker text or ''])];
    series: names.  One group of bars per row, log-scaled x."""
    vals = [v for _, vs, _ in rows for v in vs if v and v > 0]
    if not vals:
        return None
    a, b = _decades(min(vals), max(vals))
    left, right, top, bar, gap = 190, 60, 54, 5, 6
    group = bar * len(series) + gap
    height = top + group * len(rows) + 40
    plot_w = width - left - right

    def x(v):
        return left + plot_w * (math.log10(v) - a) / (b - a)

    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'viewBox="0 0 %d %d">' % (width, height, width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="18" %s font-size="14" font-weight="bold">%s</text>'
           % (left, FONT, _esc(title))]
    if note:
        out.append('<text x="%d" y="34" %s font-size="11" fill="#555">%s</text>'
                   % (left, FONT, _esc(note)))
    for k, name in enumerate(series):
        lx = left + k * 170
        out.append('<rect x="%d" y="40" width="10" height="8" fill="%s"/>'
                   % (lx, COLORS[k % len(COLORS)]))
        out.append('<text x="%d" y="48" %s font-size="11">%s</text>' % (lx + 14, FONT, _esc(name)))
    for d in range(a, b + 1):
        xv = x(10.0 ** d)
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>'
                   % (xv, top - 2, xv, height - 34))
        out.append('<text x="%.1f" y="%d" %s font-size="11" text-anchor="middle">%s</text>'
                   % (xv, height - 20, FONT, _label(10.0 ** d, unit)))
    for i, (label, vs, marks) in enumerate(rows):
        y0 = top + i * group
        out.append('<text x="%d" y="%d" %s font-size="11" text-anchor="end">%s</text>'
                   % (left - 6, y0 + group / 2 + 2, FONT, _esc(label)))
        for k, v in enumerate(vs):
            if not v or v <= 0:
                if marks and k < len(marks) and marks[k]:
                    out.append('<text x="%d" y="%d" %s font-size="9" fill="%s">%s</text>'
                               % (left + 2, y0 + k * bar + bar, FONT,
                                  COLORS[k % len(COLORS)], _esc(marks[k])))
                continue
            yb = y0 + k * bar
            w = max(1.0, x(v) - left)
            out.append('<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"/>'
                       % (left, yb, w, bar - 1, COLORS[k % len(COLORS)]))
            if marks and k < len(marks) and marks[k]:
                out.append('<text x="%.1f" y="%d" %s font-size="9">%s</text>'
                           % (left + w + 2, yb + bar, FONT, _esc(marks[k])))
    out.append('<text x="%d" y="%d" %s font-size="11" fill="#555">log scale; %s</text>'
               % (left, height - 6, FONT, _esc(unit and "time in " + unit or "")))
    out.append("</svg>")
    return "\n".join(out) + "\n"


def loglog(title, lines, xlabel, ylabel, hlines=(), width=440, height=320):
    """lines: [(name, [(x, y), ...])]; hlines: [(y, label)] dashed goals."""
    pts = [p for _, ps in lines for p in ps if p[0] > 0 and p[1] > 0]
    if not pts:
        return None
    ys = [p[1] for p in pts] + [h for h, _ in hlines]
    xa, xb = _decades(min(p[0] for p in pts), max(p[0] for p in pts))
    ya, yb = _decades(min(ys), max(ys))
    left, right, top, bottom = 60, 16, 40, 44
    pw, ph = width - left - right, height - top - bottom

    def X(v):
        return left + pw * (math.log10(v) - xa) / (xb - xa)

    def Y(v):
        return top + ph * (1 - (math.log10(v) - ya) / (yb - ya))

    out = ['<g>', '<text x="%d" y="18" %s font-size="13" font-weight="bold">%s</text>'
           % (left, FONT, _esc(title))]
    for d in range(xa, xb + 1):
        out.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#ddd"/>'
                   % (X(10.0 ** d), top, X(10.0 ** d), top + ph))
        out.append('<text x="%.1f" y="%d" %s font-size="11" text-anchor="middle">%s</text>'
                   % (X(10.0 ** d), top + ph + 14, FONT, _label(10.0 ** d, "")))
    for d in range(ya, yb + 1):
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#ddd"/>'
                   % (left, Y(10.0 ** d), left + pw, Y(10.0 ** d)))
        out.append('<text x="%d" y="%.1f" %s font-size="11" text-anchor="end">%s</text>'
                   % (left - 4, Y(10.0 ** d) + 4, FONT, _label(10.0 ** d, "")))
    for h, label in hlines:
        out.append('<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#999" '
                   'stroke-dasharray="4 3"/>' % (left, Y(h), left + pw, Y(h)))
        out.append('<text x="%d" y="%.1f" %s font-size="11" fill="#777">%s</text>'
                   % (left + 4, Y(h) - 3, FONT, _esc(label)))
    for k, (name, ps) in enumerate(lines):
        ps = [p for p in ps if p[0] > 0 and p[1] > 0]
        c = COLORS[k % len(COLORS)]
        if len(ps) > 1:
            out.append('<polyline fill="none" stroke="%s" stroke-width="1.5" '
                       'points="%s"/>' % (c, " ".join("%.1f,%.1f" % (X(a), Y(b))
                                                      for a, b in ps)))
        for a, b in ps:
            out.append('<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>' % (X(a), Y(b), c))
        out.append('<rect x="%d" y="%d" width="10" height="3" fill="%s"/>'
                   % (left + 8, top + 8 + 14 * k, c))
        out.append('<text x="%d" y="%d" %s font-size="11">%s</text>'
                   % (left + 22, top + 13 + 14 * k, FONT, _esc(name)))
    out.append('<text x="%d" y="%d" %s font-size="11" text-anchor="middle">%s</text>'
               % (left + pw / 2, height - 8, FONT, _esc(xlabel)))
    out.append('<text x="12" y="%d" %s font-size="11" transform="rotate(-90 12 %d)" '
               'text-anchor="middle">%s</text>'
               % (top + ph / 2, FONT, top + ph / 2, _esc(ylabel)))
    out.append("</g>")
    return "\n".join(out), width, height


def panels(charts):
    """Side by side: charts are loglog() results."""
    charts = [c for c in charts if c]
    if not charts:
        return None
    w = sum(c[1] for c in charts)
    h = max(c[2] for c in charts)
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" '
           'viewBox="0 0 %d %d">' % (w, h, w, h),
           '<rect width="100%" height="100%" fill="white"/>']
    x = 0
    for body, cw, _ in charts:
        out.append('<g transform="translate(%d,0)">%s</g>' % (x, body))
        x += cw
    out.append("</svg>")
    return "\n".join(out) + "\n"
