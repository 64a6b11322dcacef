#!/usr/bin/env python3
"""The seed experiment's figures, small enough to commit beside docs/results.md.

    scripts/experiment-figures.py WORK --out DIR [--vcolor PATH] [--seed S] [--frames-only|--curves-only]

- DIR/results-loss.svg: the generator's L1 loss (moving average over 25 steps)
  of every run in WORK/runs (LSTM blue, no LSTM orange; one line style per seed).
- DIR/results-heldout.png and DIR/results-indomain.png: one row per video of the
  held-out set (the middle frame), four columns: the greyscale input, the LSTM
  model, the model without LSTM (both of seed S, default the first seed found),
  the truth. Frames come from `vcolor colorize` of the whole video at its own
  resolution (so the LSTM sees the frames before), scaled and centre-cropped to
  160×120 tiles with ffmpeg, and stored as a 256-colour PNG (small enough to
  commit; the palette is made for each figure).

Also: `--compare A B --labels "fp32" "bf16" --out DIR --name NAME` draws the L1
curves of two runs of any kind (used for the fp32/bf16 comparison of
docs/training.md).
"""
import argparse
import csv
import glob
import os
import subprocess
import sys
import tempfile

from metrics_log import FILE_NAME, LOSS_G_L1, STEP, steps

COLOURS = {"lstm": "#1f77b4", "none": "#ff7f0e"}
DASHES = ["", "6 3", "2 2", "8 2 2 2"]
TILE_W, TILE_H = 160, 120


def moving_average(values, window):
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def l1_curve(run):
    """(steps, loss_g_l1) of a run's step events; a resumed run's repeated steps keep the newer."""
    rows = [r for r in steps(run) if LOSS_G_L1 in r]
    return [r[STEP] for r in rows], [r[LOSS_G_L1] for r in rows]


def svg_curves(curves, title, path, window=25):
    """curves: [(label, colour, dash, steps, values)] → a small line chart."""
    w, h, left, right, top, bottom = 640, 300, 56, 150, 28, 36
    smoothed = [(lab, col, dash, st, moving_average(v, window)) for lab, col, dash, st, v in curves]
    xs = [s for c in smoothed for s in c[3]]
    ys = [y for c in smoothed for y in c[4][min(len(c[4]) - 1, window):]] or [y for c in smoothed for y in c[4]]
    x0, x1 = min(xs), max(xs)
    y0, y1 = min(ys), max(ys)
    pad = (y1 - y0) * 0.05 or 0.01
    y0, y1 = y0 - pad, y1 + pad
    px = lambda x: left + (x - x0) / max(x1 - x0, 1) * (w - left - right)
    py = lambda y: top + (y1 - y) / (y1 - y0) * (h - top - bottom)
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" '
           'font-family="sans-serif" font-size="12">',
           f'<rect width="{w}" height="{h}" fill="white"/>',
           f'<text x="{left}" y="18" font-size="13" font-weight="bold">{title}</text>']
    for i in range(5):
        y = y0 + (y1 - y0) * i / 4
        out.append(f'<line x1="{left}" x2="{w - right}" y1="{py(y):.1f}" y2="{py(y):.1f}" stroke="#ddd"/>')
        out.append(f'<text x="{left - 6}" y="{py(y) + 4:.1f}" text-anchor="end">{y:.3f}</text>')
    for i in range(5):
        x = x0 + (x1 - x0) * i / 4
        out.append(f'<text x="{px(x):.1f}" y="{h - bottom + 16}" text-anchor="middle">{x:.0f}</text>')
    out.append(f'<text x="{(left + w - right) / 2}" y="{h - 4}" text-anchor="middle">step</text>')
    out.append(f'<rect x="{left}" y="{top}" width="{w - left - right}" height="{h - top - bottom}" fill="none" stroke="#888"/>')
    # The first steps' loss lies above the range (it is set by the averaged part): clip to the plot.
    out.append(f'<clipPath id="plot"><rect x="{left}" y="{top}" width="{w - left - right}" height="{h - top - bottom}"/></clipPath>')
    for k, (label, colour, dash, steps, values) in enumerate(smoothed):
        points = " ".join(f"{px(s):.1f},{py(v):.1f}" for s, v in zip(steps, values))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<polyline fill="none" stroke="{colour}" stroke-width="1.6"{dash_attr} clip-path="url(#plot)" points="{points}"/>')
        ly = top + 14 + 18 * k
        out.append(f'<line x1="{w - right + 10}" x2="{w - right + 36}" y1="{ly - 4}" y2="{ly - 4}" '
                   f'stroke="{colour}" stroke-width="2"{dash_attr}/>')
        out.append(f'<text x="{w - right + 42}" y="{ly}">{label}</text>')
    out.append(f'<text x="{w - right + 10}" y="{h - bottom}" fill="#555">{window}-step average</text>')
    out.append("</svg>")
    write_atomically(path, "\n".join(out) + "\n")


def write_atomically(path, text):
    partial = path + ".partial"
    with open(partial, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(partial, path)


def run(command):
    result = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if result.returncode != 0:
        tail = (result.stderr.strip().splitlines() or ["(no message)"])[-1]
        sys.exit(f"experiment-figures: {command[0]} failed: {tail}")
    return result.stdout


def frame_count(video):
    out = run(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0",
               "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", video])
    return int(out.strip().split(",")[0])


def tile(video, index, grey, path):
    """Frame `index` of `video` as a TILE_W×TILE_H PNG (greyscale with `grey`)."""
    chain = (f"select=eq(n\\,{index}),scale={TILE_W}:{TILE_H}:force_original_aspect_ratio=increase,"
             f"crop={TILE_W}:{TILE_H}" + (",hue=s=0" if grey else "") + ",format=rgb24")
    run(["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", video, "-vf", chain, "-frames:v", "1", path])


def frames_figure(work, role, seed, vcolor, path, scratch):
    with open(os.path.join(work, "split.tsv")) as f:
        videos = [r["input"] for r in csv.DictReader(f, delimiter="\t") if r["role"] == role]
    if not videos:
        sys.exit(f"experiment-figures: no {role} inputs in {work}/split.tsv")
    models = []
    for t in ("lstm", "none"):
        checkpoints = sorted(glob.glob(os.path.join(work, "runs", f"{t}-s{seed}", "checkpoints", "step-*.h5")))
        if not checkpoints:
            sys.exit(f"experiment-figures: no checkpoint in {work}/runs/{t}-s{seed}")
        models.append((t, checkpoints[-1]))
    rows = []
    for v, video in enumerate(videos):
        middle = frame_count(video) // 2
        tiles = [os.path.join(scratch, f"{role}-{v}-grey.png")]
        tile(video, middle, True, tiles[0])
        for t, checkpoint in models:
            coloured = os.path.join(scratch, f"{role}-{v}-{t}.mkv")
            run([vcolor, "colorize", video, "--out", coloured, "--model", checkpoint, "--quiet"])
            tiles.append(os.path.join(scratch, f"{role}-{v}-{t}.png"))
            tile(coloured, middle, False, tiles[-1])
        tiles.append(os.path.join(scratch, f"{role}-{v}-truth.png"))
        tile(video, middle, False, tiles[-1])
        rows.append(tiles)
    inputs = [a for row in rows for t in row for a in ("-i", t)]
    graph, names = [], []
    for r, row in enumerate(rows):
        labels = "".join(f"[{r * 4 + c}:v]" for c in range(4))
        graph.append(f"{labels}hstack=inputs=4[r{r}]")
        names.append(f"[r{r}]")
    graph.append("".join(names) + (f"vstack=inputs={len(rows)}" if len(rows) > 1 else "null")
                 + ",split[a][b];[a]palettegen=max_colors=256[p];[b][p]paletteuse=dither=sierra2_4a")
    partial = path + ".partial.png"
    run(["ffmpeg", "-nostdin", "-v", "error", "-y", *inputs, "-filter_complex", ";".join(graph),
         "-frames:v", "1", partial])
    os.replace(partial, path)
    return [os.path.basename(v) for v in videos], middle


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("work", nargs="?")
    parser.add_argument("--out", required=True)
    parser.add_argument("--vcolor", default=os.path.join(os.path.dirname(__file__), "..", ".build", "release", "vcolor"))
    parser.add_argument("--seed")
    parser.add_argument("--curves-only", action="store_true")
    parser.add_argument("--frames-only", action="store_true")
    parser.add_argument("--compare", nargs=2, metavar="RUN")
    parser.add_argument("--labels", nargs=2, default=["A", "B"])
    parser.add_argument("--name", default="compare")
    parser.add_argument("--title", default="generator L1 loss")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)

    if args.compare:
        curves = [(label, colour, "", *l1_curve(r))
                  for r, label, colour in zip(args.compare, args.labels, ("#1f77b4", "#d62728"))]
        svg_curves(curves, args.title, os.path.join(args.out, f"{args.name}.svg"))
        return 0
    if not args.work:
        parser.error("give WORK (or --compare RUN RUN)")
    runs = sorted(glob.glob(os.path.join(args.work, "runs", "*-s*")))
    seeds = sorted({os.path.basename(r).split("-s")[-1] for r in runs}, key=lambda s: (len(s), s))
    if not seeds:
        sys.exit(f"experiment-figures: no runs in {args.work}/runs")
    if not args.frames_only:
        curves = []
        for run_dir in runs:
            t, seed = os.path.basename(run_dir).split("-s")
            if os.path.exists(os.path.join(run_dir, FILE_NAME)) and t in COLOURS:
                curves.append((f"{t}, seed {seed}", COLOURS[t], DASHES[seeds.index(seed) % len(DASHES)], *l1_curve(run_dir)))
        svg_curves(curves, "generator L1 loss on the training data", os.path.join(args.out, "results-loss.svg"))
    if not args.curves_only:
        seed = args.seed or seeds[0]
        with tempfile.TemporaryDirectory() as scratch:
            for role in ("heldout", "indomain"):
                names, _ = frames_figure(args.work, role, seed, os.path.abspath(args.vcolor),
                                         os.path.join(args.out, f"results-{role}.png"), scratch)
                print(f"results-{role}.png: rows {', '.join(names)} (middle frame); seed {seed}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
