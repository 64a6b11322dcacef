#!/usr/bin/env python3
"""A model of one data-parallel training step of vcolor on N hosts: calibrated
on 2 hosts of the testbed, checked against 3 and 4, then used to predict 8 to
256 nodes (docs/cluster.md §How far it scales).

    scripts/scaling-model.py RESULTS.jsonl [--svg FILE] [--alpha-us 50]

RESULTS.jsonl is scripts/host-scaling.sh's record (its `tiny` and `seed`
runs); each run's metrics.jsonl is read for the per-step compute times.

The model (LogGP-style, per step):

    step(N) = max over ranks of compute  +  exposed communication

* Compute is replayed, not modelled: for a measured run, the median over
  steps of the slowest rank's `rank_compute_s`; for a prediction, one host's
  compute times the expected maximum of N draws from the measured per-rank
  spread (each rank's compute over its step's median rank, pooled over the
  multi-host seed runs).
* Every gradient all-reduce is libnbc's reduce-scatter + allgather (what
  vcolor asks Open MPI for; Rabenseifner's algorithm, as in
  ompi/mca/coll/libnbc/nbc_iallreduce.c): with p the largest power of two
  <= N and r = N - p, each rank sends 2(p-1)/p of the message over
  2 log2 p rounds, and when r > 0 the first 2r ranks first fold in pairs
  (a half each way, then a half back) and the whole result goes back to
  the r folded ranks at the end: 2m/beta more on the critical path. Or
  libnbc's ring (`:ring` runs): 2(N-1) rounds of m/N. Each round costs
  alpha + bytes/beta.
* D's gradients (1.5 % of the bytes) are one blocking all-reduce, fully
  exposed. G's are buckets of 25 MiB (fp32 bytes; bf16 halves them on the
  wire) that become final one after the other during G's backward pass; the
  model lets G's bytes become final at an even rate over a window of
  w x compute that ends when the backward pass does, sends the buckets one
  at a time in order on the link, and exposes whatever is still in flight
  when the window ends.

Calibration, on 2 hosts only: beta for each (link, wire) from the tiny
training's exposed time on 2 hosts (one bucket, nothing overlapped: G's and
D's all-reduce, each two rounds of half the message, t = 4 alpha +
(g + d) / beta), then the window w from the seed configuration's 2-host
training runs (least squares). alpha is fixed (--alpha-us; it hardly
matters at these sizes). Everything on 3 and 4 hosts is a prediction; the
tables give its error per point, for the training steps and for `vcolor
doctor`'s collectives alone. Training, not the doctor, calibrates: the
doctor runs its all-reduces back to back on a warm connection and moves a
bucket's bytes up to 2.7 times faster than a training step, whose
all-reduce starts on a connection idle since the last step, on a host whose
CPU share computing has just spent.
"""
import argparse
import json
import math
import random
import statistics
import sys
import os

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from metrics_log import RANK_COMPUTE_S, STEP, STEP_S, steps  # noqa: E402

MIB = 1 << 20
# Gradient bytes (fp32) of G and D: the seed model (base 64) and the tiny one
# (base 16: every conv's weights scale with base², so 1/16 of them).
SIZES = {"seed": (175.7e6, 2.7e6), "tiny": (175.7e6 / 16, 2.7e6 / 16)}
BUCKET = 25 * MIB
LINE = {"1gbit": 1e9 / 8, "10gbit": 10e9 / 8, "25gbit": 25e9 / 8}


def allreduce_time(m, n, beta, alpha, ring=False):
    """Seconds for an all-reduce of m wire bytes over n ranks."""
    if n == 1:
        return 0.0
    if ring:
        return 2 * (n - 1) * (alpha + m / n / beta)
    p = 1 << int(math.log2(n))
    t = 0.0
    if n > p:  # fold the first 2r ranks in pairs, and send the result back to them at the end
        t += 3 * alpha + m / beta + alpha + m / beta
    k = int(math.log2(p))
    t += 2 * k * alpha + 2 * (1 - 1 / p) * m / beta
    return t


def exposed(config, n, wire, beta, alpha, window, compute, ring=False):
    """Communication a step waits for: D's blocking all-reduce plus G's
    buckets still in flight when the backward pass ends."""
    g, d = SIZES[config]
    scale = 0.5 if wire == "bf16" else 1.0
    t_d = allreduce_time(d * scale, n, beta, alpha, ring)
    span = window * compute
    buckets, left = [], g
    while left > 0:
        buckets.append(min(BUCKET, left))
        left -= BUCKET
    done, clock = 0.0, 0.0
    for b in buckets:
        done += b
        ready = span * done / g
        clock = max(clock, ready) + allreduce_time(b * scale, n, beta, alpha, ring)
    return t_d + max(0.0, clock - span)


def load(path):
    runs = [json.loads(line) for line in open(path) if line.strip()]
    for r in runs:
        r["ring"] = r["wire"].endswith(":ring")
        r["wire"] = r["wire"].split(":")[0]
        if r["config"] == "doctor":
            continue
        rows = [s for s in steps(r["run"]) if s[STEP] != 1]
        if r["hosts"] > 1:
            r["max_compute"] = statistics.median(max(s[RANK_COMPUTE_S]) for s in rows)
            r["exposed"] = statistics.median(s[STEP_S] - max(s[RANK_COMPUTE_S]) for s in rows)
            r["spread"] = [c / statistics.median(s[RANK_COMPUTE_S]) for s in rows for c in s[RANK_COMPUTE_S]]
        else:
            r["max_compute"] = r[STEP_S]
            r["exposed"] = 0.0
    return runs


def mean_by(runs, **keys):
    rows = [r for r in runs if all(r[k] == v for k, v in keys.items())]
    return rows


def calibrate(runs, alpha):
    """(alpha, beta) per (link, wire), beta from the tiny 2-host training
    runs' exposed time; w from the seed 2-host training runs."""
    net = {}
    for link in sorted({r["link"] for r in runs}):
        for wire in ("fp32", "bf16"):
            rows = mean_by(runs, config="tiny", hosts=2, link=link, wire=wire, ring=False)
            if not rows:
                continue
            t = statistics.median(r["exposed"] for r in rows)
            m = sum(SIZES["tiny"]) * (0.5 if wire == "bf16" else 1.0)
            net[(link, wire)] = (alpha, m / (t - 4 * alpha))
    seed2 = [r for r in mean_by(runs, config="seed", hosts=2, ring=False) if (r["link"], r["wire"]) in net]
    best = None
    for i in range(0, 101):
        w = i / 100
        err = sum((r["max_compute"] + exposed("seed", 2, r["wire"], net[(r["link"], r["wire"])][1], net[(r["link"], r["wire"])][0],
                                              w, r["max_compute"]) - r[STEP_S]) ** 2 for r in seed2)
        if best is None or err < best[1]:
            best = (w, err)
    return net, (best[0] if seed2 else None)


def check(runs, net, window):
    """Every multi-host training run, its measured and predicted step and exposed time."""
    out = []
    for r in sorted(runs, key=lambda r: (r["config"], r["link"], r["wire"], r["ring"], r["hosts"], r["repeat"])):
        if r["config"] == "doctor" or r["hosts"] == 1 or (r["link"], r["wire"]) not in net:
            continue
        if r["config"] == "seed" and window is None:
            continue
        alpha, beta = net[(r["link"], r["wire"])]
        e = exposed(r["config"], r["hosts"], r["wire"], beta, alpha, window or 0.0, r["max_compute"], r["ring"])
        out.append((r, r["max_compute"] + e, e))
    return out


def expected_max(spread, n, draws=4000, seed=1):
    """E[max of n draws] from the pooled per-rank compute ratios."""
    rng = random.Random(seed)
    return statistics.fmean(max(rng.choice(spread) for _ in range(n)) for _ in range(draws // max(1, n // 16)))


def svg(curves, path):
    """One panel: a host's step over one host alone, against nodes (log2)."""
    width, height, left, top, w, h = 720, 340, 60, 30, 420, 270
    nodes = sorted({n for c in curves.values() for n, _ in c})
    values = [v for c in curves.values() for _, v in c]
    y0, y1 = 1.0, max(values) * 1.05
    X = lambda n: left + w * (math.log2(n) - math.log2(nodes[0])) / (math.log2(nodes[-1]) - math.log2(nodes[0]))
    Y = lambda v: top + h * (1 - (v - y0) / (y1 - y0))
    out = ['<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">' % (width, height),
           '<rect width="100%" height="100%" fill="white"/>',
           '<text x="%d" y="18" font-size="12">predicted step on N nodes over one node alone (seed model, 25 MiB buckets)</text>' % left,
           '<rect x="%d" y="%d" width="%d" height="%d" fill="none" stroke="#999"/>' % (left, top, w, h)]
    colours = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f"]
    for i, (label, c) in enumerate(sorted(curves.items())):
        d = " ".join("%s%.1f,%.1f" % ("M" if j == 0 else "L", X(n), Y(v)) for j, (n, v) in enumerate(c))
        dash = ' stroke-dasharray="5 3"' if "bf16" in label else ""
        out.append('<path d="%s" fill="none" stroke="%s" stroke-width="1.5"%s/>' % (d, colours[i % len(colours)], dash))
        out.append('<text x="%d" y="%d" fill="%s">%s</text>' % (left + w + 8, top + 14 + 16 * i, colours[i % len(colours)], label))
    for n in nodes:
        out.append('<text x="%.1f" y="%d" text-anchor="middle">%d</text>' % (X(n), top + h + 14, n))
    for i in range(6):
        v = y0 + (y1 - y0) * i / 5
        out.append('<text x="%d" y="%.1f" text-anchor="end">%.2f</text>' % (left - 4, Y(v) + 4, v))
    out.append('<text x="%d" y="%d" text-anchor="middle">nodes (one rank each)</text>' % (left + w / 2, top + h + 30))
    out.append("</svg>")
    open(path, "w").write("\n".join(out))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("results")
    parser.add_argument("--svg")
    parser.add_argument("--alpha-us", type=float, default=100.0)
    parser.add_argument("--compute", type=float, nargs="+", default=[6.0, 0.6],
                        help="one node's compute per seed step for the predictions (s)")
    args = parser.parse_args()
    runs = load(args.results)
    net, window = calibrate(runs, args.alpha_us * 1e-6)
    print("calibrated on 2 hosts: w = %s" % ("%.2f" % window if window is not None else "(no seed runs)"))
    for (link, wire), (alpha, b) in sorted(net.items()):
        print("  %s %s: alpha %.1f ms, beta %.1f MB/s (%.0f %% of the line)" % (link, wire, alpha * 1e3, b / 1e6, 100 * b / LINE[link]))
    print("\n| link | wire | algorithm | hosts | MB | measured s | predicted s | error |")
    print("|---|---|---|---|---|---|---|---|")
    for r in sorted((r for r in runs if r["config"] == "doctor" and (r["link"], r["wire"]) in net),
                    key=lambda r: (r["link"], r["wire"], r["ring"], r["hosts"], r["megabytes"])):
        alpha, beta = net[(r["link"], r["wire"])]
        t = allreduce_time(r["megabytes"] * 1e6 * (0.5 if r["wire"] == "bf16" else 1.0), r["hosts"], beta, alpha, r["ring"])
        print("| %s | %s | %s | %d%s | %d | %.3f | %.3f | %+.1f %% |" % (
            r["link"], r["wire"], "ring" if r["ring"] else "rs+ag", r["hosts"],
            "", r["megabytes"], r["seconds"], t, 100 * (t - r["seconds"]) / r["seconds"]))
    print("\n| config | link | wire | algorithm | hosts | repeat | compute (slowest rank) s | step measured s | step predicted s | error | exposed measured s | exposed predicted s |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    errors = []
    for r, step, e in check(runs, net, window):
        err = (step - r[STEP_S]) / r[STEP_S]
        if r["hosts"] > 2:
            errors.append(abs(err))
        print("| %s | %s | %s | %s | %d%s | %d | %.3f | %.3f | %.3f | %+.1f %% | %.3f | %.3f |" % (
            r["config"], r["link"], r["wire"], "ring" if r["ring"] else "rs+ag", r["hosts"],
            " (calibration)" if r["hosts"] == 2 and not r["ring"] else "", r["repeat"], r["max_compute"],
            r[STEP_S], step, 100 * err, r["exposed"], e))
    if errors:
        print("\n3 and 4 hosts: mean |error| %.1f %%, largest %.1f %% (%d points)" % (
            100 * statistics.fmean(errors), 100 * max(errors), len(errors)))
    spread = [x for r in runs if r["config"] == "seed" and r["hosts"] > 1 for x in r["spread"]]
    if not spread or window is None or ("1gbit", "fp32") not in net:
        return
    alpha, ref = net[("1gbit", "fp32")]
    efficiency = ref / LINE["1gbit"]
    cpus = statistics.median(r["cpus"] for r in runs)
    # bf16's extra cost is the reduction's arithmetic, CPU not wire: the
    # seconds a wire byte costs beyond fp32's at 1 Gb/s, on a host of `cpus`
    # CPUs, is `gamma` CPU-seconds, which a node spends at one core's speed.
    gamma = (1 / net[("1gbit", "bf16")][1] - 1 / ref) * cpus if ("1gbit", "bf16") in net else 0.0
    print("\nper-rank compute spread (seed, %d rank-steps): median %.3f, 90th %.3f, max %.3f of the step's median rank" % (
        len(spread), statistics.median(spread), sorted(spread)[int(0.9 * len(spread))], max(spread)))
    print("predictions: TCP at %.0f %% of the line and alpha %.1f ms (the 1 Gb/s fp32 calibration); "
          "bf16's reduction %.2f CPU-ms per wire MB (%.2f CPUs a host)" % (100 * efficiency, alpha * 1e3, gamma * 1e9, cpus))
    curves = {}
    nodes = [1, 2, 4, 8, 16, 32, 64, 128, 256]
    print("\n| compute s | link | wire | " + " | ".join("%d" % n for n in nodes) + " |")
    print("|---|---|---|" + "---|" * len(nodes))
    for compute in args.compute:
        for link in ("10gbit", "25gbit"):
            for wire in ("fp32", "bf16"):
                b = 1 / (1 / (efficiency * LINE[link]) + (gamma if wire == "bf16" else 0.0))
                row = []
                for n in nodes:
                    slowest = compute * (expected_max(spread, n) if n > 1 else 1.0)
                    row.append((n, (slowest + exposed("seed", n, wire, b, alpha, window, compute)) / compute))
                curves["compute %s s, %s, %s" % (compute, link.replace("gbit", " Gb/s"), wire)] = row
                print("| %s | %s | %s | " % (compute, link, wire) + " | ".join("%.2f" % v for _, v in row) + " |")
    if args.svg:
        svg(curves, args.svg)


if __name__ == "__main__":
    main()
