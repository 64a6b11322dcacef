#!/usr/bin/env python3
"""The statistical-efficiency curve of docs/training.md: steps (and clips) to
a fixed validation target against the global batch, from the runs of
scripts/batch-curve.sh, as an SVG and a Markdown table.

    scripts/batch-curve.py OUT [--target AB] [--metric ab_error] [--window 3] [--svg FILE]
    scripts/batch-curve.py --reached RUN --target AB   (exit 0 once RUN reached it)

OUT holds G<G>-<rule>-s<seed>/eval/step-N.json (`vcolor eval --json` of
each checkpoint). The adversarial loss makes single checkpoints noisy, so a
run's value at a checkpoint is the mean of its last --window checkpoints
(as many clips seen at every G); it reaches the target at the first
checkpoint where that mean is at or below it (lower is better). Runs that
never do are listed with their best value. Without --target the target is
the value the G = 4 runs (mean over their seeds) reach at three quarters of
their budget, so that the small-batch reference reaches it with room to
spare.
"""
import argparse
import glob
import json
import math
import os
import re
from collections import defaultdict

RUN = re.compile(r"G(\d+)-(none|linear|sqrt)-s(\d+)$")
COLOURS = {"none": "#1f77b4", "sqrt": "#2ca02c", "linear": "#d62728"}


def load_run(directory, g, metric, window, grid=384):
    """[(step, clips, smoothed value)] sorted by step, and grey's value. Only
    checkpoints on the grid of `grid` clips count (a run stopped by a signal
    writes one off it)."""
    points, grey = [], None
    for path in glob.glob(os.path.join(directory, "eval", "step-*.json")):
        step = int(re.search(r"step-0*(\d+)", path).group(1))
        if step * g % grid:
            continue
        report = json.load(open(path))
        grey = report["grey"][metric]
        points.append((step, step * g, report["models"][0][metric]))
    points.sort()
    smoothed = []
    for i, (step, clips, _) in enumerate(points):
        if i + 1 >= window:
            last = [v for *_, v in points[i + 1 - window:i + 1]]
            smoothed.append((step, clips, sum(last) / window))
    return smoothed, grey


def load(out, metric, window, grid):
    """{(G, rule, seed): [(step, clips, smoothed value)]}, and grey's value."""
    runs, grey = {}, None
    for directory in sorted(glob.glob(os.path.join(out, "G*-*-s*"))):
        match = RUN.search(os.path.basename(directory))
        if not match:
            continue
        g, rule, seed = int(match.group(1)), match.group(2), int(match.group(3))
        points, run_grey = load_run(directory, g, metric, window, grid)
        grey = grey if grey is not None else run_grey
        if points:
            runs[(g, rule, seed)] = points
    return runs, grey


def first_reaching(points, target):
    for step, clips, value in points:
        if value <= target:
            return step, clips
    return None


def default_target(runs):
    """The G = 4 runs' mean value at 3/4 of their common budget."""
    reference = [p for (g, _, _), p in runs.items() if g == 4]
    if not reference:
        raise SystemExit("batch-curve: no G=4 run to set the target from; give --target")
    budget = min(p[-1][1] for p in reference)
    at = 0.75 * budget
    values = [min(p, key=lambda q: abs(q[1] - at))[2] for p in reference]
    return sum(values) / len(values)


def table(runs, target, metric):
    rows = ["| G | rule | seed | steps to target | clips to target | best " + metric + " (at clips) | scored to (clips) |",
            "|---|---|---|---|---|---|---|"]
    for (g, rule, seed), points in sorted(runs.items()):
        hit = first_reaching(points, target)
        best = min(points, key=lambda q: q[2])
        rows.append("| %d | %s | %d | %s | %s | %.3f (%d) | %d |" % (
            g, rule, seed, hit[0] if hit else "not reached", hit[1] if hit else "–",
            best[2], best[1], points[-1][1]))
    return "\n".join(rows)


def best_per_batch(runs, target):
    """{G: (rule, mean steps over seeds)} for the rule with fewest mean steps
    among the rules whose every seed reached the target."""
    by_rule = defaultdict(list)
    for (g, rule, seed), points in runs.items():
        by_rule[(g, rule)].append(first_reaching(points, target))
    best = {}
    for (g, rule), hits in by_rule.items():
        if any(h is None for h in hits):
            continue
        steps = sum(h[0] for h in hits) / len(hits)
        if g not in best or steps < best[g][1]:
            best[g] = (rule, steps, len(hits))
    return best


def svg(runs, grey, target, metric, best):
    width, height = 920, 330
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>']
    # Left: metric against clips seen, one line per run.
    left, top, w, h = 60, 30, 380, 250
    xs = [c for p in runs.values() for _, c, _ in p]
    ys = [v for p in runs.values() for *_, v in p] + [target]
    x0, x1 = 0, max(xs)
    y0, y1 = min(ys) * 0.98, max(ys) * 1.02
    X = lambda c: left + w * (c - x0) / (x1 - x0)
    Y = lambda v: top + h * (1 - (v - y0) / (y1 - y0))
    out.append('<text x="%d" y="18" font-size="12">held-out %s, mean of 3 checkpoints (grey %.2f)</text>' % (left, metric, grey))
    out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>' % (left, top, w, h))
    out.append('<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" stroke="black" stroke-dasharray="4 3"/>' % (left, left + w, Y(target), Y(target)))
    out.append('<text x="%d" y="%.1f">target %.2f</text>' % (left + w - 70, Y(target) - 4, target))
    gs = sorted({g for g, _, _ in runs})
    for (g, rule, seed), points in sorted(runs.items()):
        shade = 0.25 + 0.75 * (gs.index(g) / max(1, len(gs) - 1))
        path = " ".join("%s%.1f,%.1f" % ("M" if i == 0 else "L", X(c), Y(v)) for i, (_, c, v) in enumerate(points))
        out.append('<path d="%s" fill="none" stroke="%s" stroke-opacity="%.2f" stroke-width="1.3"%s/>' % (
            path, COLOURS[rule], shade, ' stroke-dasharray="5 2"' if seed > 1 else ""))
    for i in range(5):
        c = x0 + (x1 - x0) * i / 4
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (X(c), top + h + 14, c))
        v = y0 + (y1 - y0) * i / 4
        out.append('<text x="%d" y="%.1f" text-anchor="end">%.1f</text>' % (left - 4, Y(v) + 4, v))
    out.append('<text x="%d" y="%d" text-anchor="middle">clips seen (steps × G); darker = larger G; dashed = seed 2</text>' % (left + w / 2, top + h + 30))
    # Right: steps to target against G, log-log, with perfect scaling.
    left2 = 520
    out.append('<text x="%d" y="18" font-size="12">steps to the target against the global batch G</text>' % left2)
    out.append('<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>' % (left2, top, w, h))
    hits = [((g, rule, seed), first_reaching(p, target)) for (g, rule, seed), p in runs.items()]
    hits = [(k, hit) for k, hit in hits if hit]
    if hits:
        lg = [math.log2(g) for g in gs]
        steps = [hit[0] for _, hit in hits]
        lx0, lx1 = min(lg) - 0.3, max(lg) + 0.3
        floor = min(steps + ([best[4][1] * 4 / gs[-1]] if 4 in best else []))
        ly0, ly1 = math.log2(max(1, floor)) - 0.5, math.log2(max(steps)) + 0.5
        LX = lambda g: left2 + w * (math.log2(g) - lx0) / (lx1 - lx0)
        LY = lambda s: top + h * (1 - (math.log2(s) - ly0) / (ly1 - ly0))
        if 4 in best:
            s4 = best[4][1]
            ideal = [(g, s4 * 4 / g) for g in gs]
            out.append('<path d="%s" fill="none" stroke="#999" stroke-dasharray="3 3"/>' % " ".join(
                "%s%.1f,%.1f" % ("M" if i == 0 else "L", LX(g), LY(s)) for i, (g, s) in enumerate(ideal)))
            out.append('<text x="%.1f" y="%.1f" fill="#777">perfect scaling</text>' % (LX(gs[-1]) - 80, LY(max(1, s4 * 4 / gs[-1])) + 14))
        for (g, rule, seed), (step, _) in hits:
            out.append('<circle cx="%.1f" cy="%.1f" r="%d" fill="%s" fill-opacity="0.8"/>' % (LX(g), LY(step), 4 if seed == 1 else 3, COLOURS[rule]))
        for g in gs:
            out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (LX(g), top + h + 14, g))
        e = math.ceil(ly0)
        while e <= ly1:
            out.append('<text x="%d" y="%.1f" text-anchor="end">%d</text>' % (left2 - 4, LY(2 ** e) + 4, 2 ** e))
            e += 1
    for i, rule in enumerate(("none", "sqrt", "linear")):
        out.append('<circle cx="%d" cy="%d" r="4" fill="%s"/><text x="%d" y="%d">--lr-scaling %s</text>' % (
            left2 + 10 + 120 * i, top + h + 34, COLOURS[rule], left2 + 18 + 120 * i, top + h + 38, rule))
    out.append("</svg>")
    return "\n".join(out)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", nargs="?")
    parser.add_argument("--target", type=float)
    parser.add_argument("--metric", default="ab_error")
    parser.add_argument("--window", type=int, default=3)
    parser.add_argument("--clips", type=int, default=384, help="the checkpoint grid in clips (batch-curve.sh's CLIPS)")
    parser.add_argument("--reached", metavar="RUN")
    parser.add_argument("--svg")
    args = parser.parse_args()
    if args.reached:
        match = RUN.search(os.path.basename(os.path.normpath(args.reached)))
        points, _ = load_run(args.reached, int(match.group(1)), args.metric, args.window, args.clips)
        raise SystemExit(0 if first_reaching(points, args.target) else 1)
    runs, grey = load(args.out, args.metric, args.window, args.clips)
    if not runs:
        raise SystemExit("batch-curve: no scored runs under %s" % args.out)
    target = args.target if args.target is not None else default_target(runs)
    best = best_per_batch(runs, target)
    print("target: validation %s <= %.3f (grey %.3f)\n" % (args.metric, target, grey))
    print(table(runs, target, args.metric))
    print("\n| G | best rule | mean steps to target (seeds) |\n|---|---|---|")
    for g in sorted(best):
        rule, steps, n = best[g]
        print("| %d | %s | %.0f (%d) |" % (g, rule, steps, n))
    if args.svg:
        with open(args.svg + ".tmp", "w") as f:
            f.write(svg(runs, grey, target, args.metric, best))
        os.replace(args.svg + ".tmp", args.svg)


if __name__ == "__main__":
    main()
