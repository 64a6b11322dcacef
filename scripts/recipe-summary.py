#!/usr/bin/env python3
"""Summary of scripts/recipe-experiment.sh: one table per held-out set, a row
per recipe and variant (mean over seeds, lower–higher seed in brackets),
then the grey baseline and the truth. Reads DIR/eval/SET-sSEED.json (the
`vcolor eval --json` reports) and DIR/runs/*/wall_seconds.

    scripts/recipe-summary.py DIR > DIR/summary.md
"""
import glob
import json
import os
import re
import sys
from collections import defaultdict

COLUMNS = [  # key, heading, format, how to read it
    ("psnr", "PSNR dB", "%.2f", "higher"),
    ("ssim", "SSIM", "%.3f", "higher"),
    ("ab_error", "a*b* error", "%.2f", "lower"),
    ("colourfulness", "colourfulness", "%.1f", "nearest the truth's"),
    ("colourfulness_gap", "gap", "%.1f", "lower"),
    ("mean_a", "mean a*", "%+.1f", "nearest the truth's"),
    ("mean_b", "mean b*", "%+.1f", "nearest the truth's"),
    ("flicker", "flicker", "%+.2f", "nearest 0"),
    ("cdc", "CDC", "%.4f", "lower"),
]
SETS = [("heldout", "Held-out real videos (never trained on)"),
        ("heldout2", "Second held-out set: real videos from other packages (never trained on)"),
        ("indomain", "In-domain (unseen ends of the training videos)")]


def cell(values, fmt):
    values = [v for v in values if v is not None]
    if not values:
        return "–"
    mean = sum(values) / len(values)
    if len(values) == 1:
        return fmt % mean
    return "%s (%s–%s)" % (fmt % mean, fmt % min(values), fmt % max(values))


def run_name(model_path):
    """RUN-sSEED @ STEP for DIR/runs/RUN-sSEED/checkpoints/step-NNNNNNNN.h5."""
    parts = model_path.split("/")
    if len(parts) < 3 or parts[-2] != "checkpoints":
        return parts[-1]
    step = re.search(r"step-0*(\d+)", parts[-1])
    return parts[-3] + (" @ %s" % step.group(1) if step else "")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    out = ["# Recipe comparison", ""]
    walls = {os.path.basename(os.path.dirname(p)): int(open(p).read())
             for p in glob.glob(os.path.join(d, "runs", "*", "wall_seconds"))}
    for set_name, title in SETS:
        reports = sorted(glob.glob(os.path.join(d, "eval", "%s-s*.json" % set_name)))
        if not reports:
            continue
        rows = defaultdict(lambda: defaultdict(list))
        grey, truth = defaultdict(list), defaultdict(list)
        frames = None
        for path in reports:
            r = json.load(open(path))
            frames = r["frames"]
            for m in r["models"]:
                name = re.sub(r"-s\d+( @|$)", r"\1", run_name(m["model"]))
                for key, *_ in COLUMNS:
                    rows[name][key].append(m.get(key))
            for key, *_ in COLUMNS:
                grey[key].append(r["grey"].get(key))
            truth["colourfulness"].append(r["truth"]["colourfulness"])
            truth["mean_a"].append(r["truth"].get("mean_a"))
            truth["mean_b"].append(r["truth"].get("mean_b"))
            truth["cdc"].append(r["truth"].get("cdc"))
        out += ["## %s" % title, "",
                "%d frames; %d seed(s): mean (lower–higher seed)." % (frames, len(reports)), "",
                "| model | " + " | ".join(h for _, h, _, _ in COLUMNS) + " |",
                "|---" * (len(COLUMNS) + 1) + "|"]
        def order(name):
            run, _, step = name.partition(" @ ")
            return (run, int(step) if step.isdigit() else 0)
        for name in sorted(rows, key=order):
            out.append("| %s | " % name + " | ".join(cell(rows[name][k], f) for k, _, f, _ in COLUMNS) + " |")
        out.append("| **grey** | " + " | ".join(cell(grey[k], f) for k, _, f, _ in COLUMNS) + " |")
        out.append("| truth | " + " | ".join(cell(truth[k], f) if k in truth else "" for k, _, f, _ in COLUMNS) + " |")
        out.append("")
    out += ["Reading: " + "; ".join("%s %s" % (h, how) for _, h, _, how in COLUMNS) + ".", ""]
    if walls:
        out += ["Wall time per run: " + ", ".join("%s %d s" % (k, v) for k, v in sorted(walls.items())) + ".", ""]
    print("\n".join(out))


if __name__ == "__main__":
    main()
