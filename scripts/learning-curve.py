#!/usr/bin/env python3
"""The learning curve of docs/results.md as an SVG: held-out a*b* error (and
PSNR) of models against training steps, one line per data set and variant
(mean over the seeds evaluated), beside the grey baseline. Reads
`vcolor eval --json` reports written by scripts/recipe-experiment.sh.

    scripts/learning-curve.py --out FIGURE.svg LABEL=DIR/eval [LABEL=DIR/eval ...]

Each DIR/eval holds heldout-sSEED.json; a model's step is read from its
checkpoint name (step-NNNNNNNN.h5) and its line from its run name
(RECIPE-TEMPORAL-sSEED).
"""
import argparse
import glob
import json
import os
import re
from collections import defaultdict

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf"]


def load(label, eval_dir, metric):
    lines = defaultdict(lambda: defaultdict(list))  # name -> step -> values
    grey = []
    for path in sorted(glob.glob(os.path.join(eval_dir, "heldout-s*.json"))):
        report = json.load(open(path))
        grey.append(report["grey"][metric])
        for m in report["models"]:
            parts = m["model"].split("/")
            step = int(re.search(r"step-0*(\d+)", parts[-1]).group(1))
            run = re.sub(r"-s\d+$", "", parts[-3])
            lines["%s %s" % (label, run)][step].append(m[metric])
    return lines, grey


def chart(series, grey, metric, title, width=560, height=300):
    left, right, top, bottom = 60, 170, 30, 40
    steps = sorted({s for points in series.values() for s in points})
    values = [v for points in series.values() for vs in points.values() for v in vs] + grey
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.1 or 1
    lo, hi = lo - pad, hi + pad
    x0, x1 = 0, max(steps)
    def X(s): return left + (s - x0) / (x1 - x0) * (width - left - right)
    def Y(v): return top + (hi - v) / (hi - lo) * (height - top - bottom)
    out = ['<g font-family="sans-serif" font-size="11">',
           '<text x="%d" y="18" font-size="13">%s</text>' % (left, title)]
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (left, width - right, Y(v), Y(v)))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%.2f</text>' % (left - 4, Y(v) + 4, v))
    for s in steps:
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (X(s), height - bottom + 14, s))
    out.append('<text x="%d" y="%d" text-anchor="middle">training steps (64 frames each)</text>'
               % ((left + width - right) / 2, height - 6))
    g = sum(grey) / len(grey)
    out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#555" stroke-dasharray="5,4"/>'
               % (left, width - right, Y(g), Y(g)))
    out.append('<text x="%d" y="%.1f" fill="#555">grey %.2f</text>' % (width - right + 6, Y(g) + 4, g))
    for i, (name, points) in enumerate(sorted(series.items())):
        colour = COLOURS[i % len(COLOURS)]
        xs = sorted(points)
        pts = " ".join("%.1f,%.1f" % (X(s), Y(sum(points[s]) / len(points[s]))) for s in xs)
        out.append('<polyline fill="none" stroke="%s" stroke-width="2" points="%s"/>' % (colour, pts))
        for s in xs:
            out.append('<circle cx="%.1f" cy="%.1f" r="3" fill="%s"/>' % (X(s), Y(sum(points[s]) / len(points[s])), colour))
        out.append('<text x="%d" y="%d" fill="%s">%s</text>' % (width - right + 6, top + 14 * i + 20, colour, name))
    out.append("</g>")
    return "\n".join(out), height


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("sets", nargs="+", help="LABEL=DIR/eval")
    args = parser.parse_args()
    parts, y = [], 0
    for metric, title in [("ab_error", "Held-out real videos: a*b* error (lower is better)"),
                          ("psnr", "Held-out real videos: PSNR dB (higher is better)")]:
        series, grey = {}, []
        for item in args.sets:
            label, _, directory = item.partition("=")
            lines, g = load(label, directory, metric)
            series.update(lines)
            grey = grey or g
        svg, h = chart(series, grey, metric, title)
        parts.append('<g transform="translate(0,%d)">%s</g>' % (y, svg))
        y += h
    with open(args.out + ".partial", "w") as f:
        f.write('<svg xmlns="http://www.w3.org/2000/svg" width="560" height="%d" viewBox="0 0 560 %d">\n'
                '<rect width="100%%" height="100%%" fill="white"/>\n%s\n</svg>\n' % (y, y, "\n".join(parts)))
    os.replace(args.out + ".partial", args.out)


if __name__ == "__main__":
    main()
