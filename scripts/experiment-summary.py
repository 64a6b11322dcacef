#!/usr/bin/env python3
"""The seed experiment's summary as Markdown: data used, budget, wall times and,
for each held-out set, every row of `vcolor eval --json` (LSTM, none and the grey
baseline where eval has it) as the mean over seeds with the smallest and largest
seed's value. Reads what scripts/seed-experiment.sh left in WORK.

    scripts/experiment-summary.py WORK --seeds 1 2 > WORK/summary.md
"""
import argparse
import csv
import json
import os
import sys

import metrics_log

METRICS = [  # key in eval JSON, column title, better
    ("psnr", "PSNR dB", "higher"),
    ("ssim", "SSIM", "higher"),
    ("ab_error", "a*b* error", "lower"),
    ("colourfulness", "colourfulness", "closer to truth"),
    ("flicker", "flicker", "closer to 0"),
    ("cdc", "CDC", "lower"),
]
SETS = [("heldout", "whole held-out real videos (honest test)"),
        ("indomain", "later segments of the training real videos (in-domain)"),
        ("heldout2", "second held-out set: real videos from other packages (honest test)")]
OPTIONAL = {"heldout2"}  # shown only where WORK has the data set (made before it existed: not)


def fmt(values, digits):
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    mean = sum(values) / len(values)
    if len(values) == 1:
        return f"{mean:.{digits}f}"
    return f"{mean:.{digits}f} ({min(values):.{digits}f}–{max(values):.{digits}f})"


def rows_of(report):
    """The models' rows and, where eval has it, the grey baseline's."""
    rows = list(report["models"])
    if "grey" in report:
        rows.append(dict(report["grey"], temporal="grey"))
    return rows


def truth_of(report):
    """The truth's own figures (newer eval: `truth`; older: `truth_colourfulness`)."""
    if "truth" in report:
        return report["truth"]
    return {"colourfulness": report.get("truth_colourfulness")}


def stored_by_label(work):
    """[((data set, label), (sequences, frames))] from the data sets' index.json files."""
    totals = {}
    for name in ("data", "heldout", "indomain", "heldout2"):
        path = os.path.join(work, name, "index.json")
        if not os.path.exists(path):
            continue
        for sequence in json.load(open(path))["sequences"]:
            key = (name, sequence.get("label", "(none)"))
            count, frames = totals.get(key, (0, 0))
            totals[key] = (count + 1, frames + sequence["frames"])
    return sorted(totals.items())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("work")
    parser.add_argument("--seeds", nargs="+", required=True)
    args = parser.parse_args()
    work = args.work
    out = []

    out.append("# Seed experiment: LSTM against no LSTM\n")
    with open(os.path.join(work, "split.tsv")) as f:
        split = list(csv.DictReader(f, delimiter="\t"))
    out.append("## Data (frames, clips)\n")
    out.append("| role | kind | clips | frames |")
    out.append("|---|---|---|---|")
    totals = {}
    for row in split:
        key = (row["role"], row["kind"])
        clips, frames = totals.get(key, (0, 0))
        totals[key] = (clips + 1, frames + int(row["frames"] or 0))
    for (role, kind), (clips, frames) in sorted(totals.items()):
        out.append(f"| {role} | {kind} | {clips} | {frames} |")
    stored = stored_by_label(work)
    if stored:
        out.append("\nStored by prep (sequences kept after scene cuts and short-shot drops; the `label` of index.json):\n")
        out.append("| data set | label | sequences | frames |")
        out.append("|---|---|---|---|")
        for (name, label), (sequences, frames) in stored:
            out.append(f"| {name} | {label} | {sequences} | {frames} |")
    held = [os.path.basename(r["source"]) for r in split if r["role"] == "heldout"]
    out.append(f"\nHeld out whole: {', '.join(held)}. In-domain: the tail of each training real video.")
    heldout2 = os.path.join(work, "heldout2", "index.json")
    if os.path.exists(heldout2):
        names = [s["name"] for s in json.load(open(heldout2))["sources"]]
        out.append(f"Second held-out set, whole: {', '.join(names)}.")
    out.append("")

    out.append("## Runs\n")
    out.append("| run | steps | wall time | final loss_G L1 |")
    out.append("|---|---|---|---|")
    for seed in args.seeds:
        for t in ("lstm", "none"):
            run = os.path.join(work, "runs", f"{t}-s{seed}")
            steps, l1 = "–", "–"
            if os.path.exists(os.path.join(run, metrics_log.FILE_NAME)):
                step_rows = [r for r in metrics_log.steps(run) if metrics_log.LOSS_G_L1 in r]
                if step_rows:
                    steps = step_rows[-1][metrics_log.STEP]
                    tail = step_rows[-20:]
                    l1 = f"{sum(r[metrics_log.LOSS_G_L1] for r in tail) / len(tail):.4f} (mean of last {len(tail)})"
            wall = "–"
            wpath = os.path.join(run, "wall_seconds")
            if os.path.exists(wpath):
                s = int(open(wpath).read().strip())
                wall = f"{s // 60} min {s % 60} s"
            out.append(f"| {t}-s{seed} | {steps} | {wall} | {l1} |")
    out.append("")

    for name, title in SETS:
        if name in OPTIONAL and not os.path.exists(os.path.join(work, name, "index.json")):
            continue
        reports = []
        for seed in args.seeds:
            path = os.path.join(work, "eval", f"{name}-s{seed}.json")
            if os.path.exists(path):
                reports.append(json.load(open(path)))
        out.append(f"## {title}\n")
        if not reports:
            out.append("(no evaluation)\n")
            continue
        r0 = reports[0]
        truth = [truth_of(r) for r in reports]
        out.append(f"{r0['sequences']} sequences, {r0['frames']} frames at {r0['width']}×{r0['height']}; "
                   f"mean over {len(reports)} seed(s), (smallest–largest seed) in brackets. "
                   f"The truth: colourfulness {fmt([t.get('colourfulness') for t in truth], 2)}, "
                   f"CDC {fmt([t.get('cdc') for t in truth], 4)}.\n")
        out.append("| model | " + " | ".join(f"{title} ({better})" for _, title, better in METRICS) + " |")
        out.append("|---|" + "---|" * len(METRICS))
        kinds = []
        for r in reports:
            for m in rows_of(r):
                if m["temporal"] not in kinds:
                    kinds.append(m["temporal"])
        for kind in kinds:
            cells = []
            for key, _, _ in METRICS:
                values = [m.get(key) for r in reports for m in rows_of(r) if m["temporal"] == kind]
                cells.append(fmt(values, 4 if key in ("ssim", "cdc") else 2))
            out.append(f"| {kind} | " + " | ".join(cells) + " |")
        out.append("")

    commands = os.path.join(work, "commands.txt")
    if os.path.exists(commands):
        out.append("## Command lines\n")
        out.append("```")
        out.extend(l.rstrip("\n") for l in open(commands))
        out.append("```")
    print("\n".join(out))


if __name__ == "__main__":
    sys.exit(main())
