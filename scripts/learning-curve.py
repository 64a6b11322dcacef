#!/usr/bin/env python3
"""The learning curve of docs/results.md as an SVG: held-out metrics of models
against training steps, one line per training-set size (colour) and variant
(solid: LSTM, dashed: none), one column per held-out set, one row per metric,
each panel beside the grey baseline. Reads `vcolor eval --json` reports.

    scripts/learning-curve.py --out FIGURE.svg [--seed N] [--table] \\
        --set 'held-out 1=heldout*.json' --set 'held-out 2=heldout2*.json' \\
        '35 photos=W35/l1/eval' '142 photos=W142/l1/eval' '424 photos=W424/long/eval'

Each --set names a held-out set and a file-name pattern; every LABEL=DIR
contributes the reports in DIR that match it. A model's step is read from
its checkpoint name (step-NNNNNNNN.h5), its variant and seed from its run
name (…-lstm-sN or …-none-sN, perhaps with a suffix: …-lstm-s1-800); the same checkpoint found in two reports
counts once, and values of several seeds are averaged (--seed keeps one).
--table also prints the numbers as a Markdown table.
"""
import argparse
import fnmatch
import json
import os
import re
from collections import defaultdict

COLOURS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"]
METRICS = [("ab_error", "a*b* error (lower is better)"),
           ("psnr", "PSNR dB (higher is better)"),
           ("colourfulness_gap", "colourfulness gap to the truth (lower is better)")]
RUN = re.compile(r"-(lstm|none)-s(\d+)(?:-|$)")


def load(directory, pattern, seed):
    """{variant: {step: {checkpoint path: report entry}}} and the grey entry."""
    lines = defaultdict(lambda: defaultdict(dict))
    grey = None
    for name in sorted(os.listdir(directory)):
        if not fnmatch.fnmatch(name, pattern):
            continue
        report = json.load(open(os.path.join(directory, name)))
        grey = grey or report["grey"]
        for m in report["models"]:
            parts = m["model"].split("/")
            run = RUN.search(parts[-3])
            if not run or (seed is not None and int(run.group(2)) != seed):
                continue
            step = int(re.search(r"step-0*(\d+)", parts[-1]).group(1))
            lines[run.group(1)][step][m["model"]] = m
    return lines, grey


def mean(entries, metric):
    values = [e[metric] for e in entries.values()]
    return sum(values) / len(values)


def panel(series, grey, metric, title, width=440, height=230):
    """series: [(label, colour, dashed, {step: entries})]."""
    left, right, top, bottom = 50, 12, 24, 34
    steps = sorted({s for *_, points in series for s in points})
    values = [mean(e, metric) for *_, points in series for e in points.values()] + [grey[metric]]
    lo, hi = min(values), max(values)
    pad = (hi - lo) * 0.08 or 1
    lo, hi = (lo - pad if lo - pad > 0 or lo < 0 else 0), hi + pad  # no negative axis for a quantity that has none
    def X(s): return left + s / max(steps) * (width - left - right)
    def Y(v): return top + (hi - v) / (hi - lo) * (height - top - bottom)
    out = ['<text x="%d" y="15" font-size="12">%s</text>' % (left, title)]
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#ddd"/>' % (left, width - right, Y(v), Y(v)))
        out.append('<text x="%d" y="%.1f" text-anchor="end">%.1f</text>' % (left - 4, Y(v) + 4, v))
    for s in steps:
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (X(s), height - bottom + 14, s))
    out.append('<text x="%d" y="%d" text-anchor="middle">training steps (64 frames each)</text>'
               % ((left + width - right) / 2, height - 4))
    g = grey[metric]
    out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="#555" stroke-width="1.5" stroke-dasharray="2,3"/>'
               % (left, width - right, Y(g), Y(g)))
    out.append('<text x="%d" y="%.1f" fill="#555" text-anchor="end">grey %.2f</text>' % (width - right, Y(g) - 4, g))
    for _, colour, dashed, points in series:
        xs = sorted(points)
        pts = " ".join("%.1f,%.1f" % (X(s), Y(mean(points[s], metric))) for s in xs)
        dash = ' stroke-dasharray="6,4"' if dashed else ""
        out.append('<polyline fill="none" stroke="%s" stroke-width="2"%s points="%s"/>' % (colour, dash, pts))
        for s in xs:
            out.append('<circle cx="%.1f" cy="%.1f" r="2.5" fill="%s"/>' % (X(s), Y(mean(points[s], metric)), colour))
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", required=True)
    parser.add_argument("--set", action="append", required=True, help="NAME=PATTERN")
    parser.add_argument("--seed", type=int)
    parser.add_argument("--table", action="store_true")
    parser.add_argument("sizes", nargs="+", help="LABEL=DIR")
    args = parser.parse_args()
    width, height = 440, 230
    columns, table = [], []
    for set_item in args.set:
        set_name, _, pattern = set_item.partition("=")
        series, grey = [], None
        for i, item in enumerate(args.sizes):
            label, _, directory = item.partition("=")
            lines, g = load(directory, pattern, args.seed)
            grey = grey or g
            for variant in sorted(lines):
                series.append(("%s %s" % (label, variant), COLOURS[i % len(COLOURS)], variant == "none", lines[variant]))
        if grey is None:
            parser.error("no report matches %r in any of %s" % (pattern, ", ".join(args.sizes)))
        columns.append((set_name, series, grey))
        for name, _, _, points in series:
            for s in sorted(points):
                table.append((set_name, name, s) + tuple(mean(points[s], m) for m, _ in METRICS))
        table.append((set_name, "grey", "") + tuple(grey[m] for m, _ in METRICS))
    body = []
    for c, (set_name, series, grey) in enumerate(columns):
        for r, (metric, title) in enumerate(METRICS):
            body.append('<g transform="translate(%d,%d)">%s</g>'
                        % (c * width, r * height, panel(series, grey, metric, "%s: %s" % (set_name, title), width, height)))
    legend_y = len(METRICS) * height + 8
    for i, (name, colour, dashed, _) in enumerate(columns[0][1]):
        x, y = 50 + (i % 3) * 270, legend_y + (i // 3) * 18
        dash = ' stroke-dasharray="6,4"' if dashed else ""
        body.append('<line x1="%d" x2="%d" y1="%d" y2="%d" stroke="%s" stroke-width="2"%s/>' % (x, x + 30, y, y, colour, dash))
        body.append('<text x="%d" y="%d">%s</text>' % (x + 36, y + 4, name))
    total_w = width * len(columns)
    total_h = legend_y + ((len(columns[0][1]) + 2) // 3) * 18 + 8
    with open(args.out + ".partial", "w") as f:
        f.write('<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">\n'
                '<rect width="100%%" height="100%%" fill="white"/>\n<g font-family="sans-serif" font-size="11">\n%s\n</g>\n</svg>\n'
                % (total_w, total_h, total_w, total_h, "\n".join(body)))
    os.replace(args.out + ".partial", args.out)
    if args.table:
        print("| set | model | steps | " + " | ".join(m for m, _ in METRICS) + " |")
        print("|---|---|---|" + "---|" * len(METRICS))
        for row in table:
            print("| %s | %s | %s | " % row[:3] + " | ".join("%.2f" % v for v in row[3:]) + " |")


if __name__ == "__main__":
    main()
