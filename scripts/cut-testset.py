#!/usr/bin/env python3
"""A labelled scene-cut test set made of real footage, and the score of prep's
detector on it (docs/dataprep.md, "Scene cuts on real footage").

    scripts/cut-testset.py make FOOTAGE OUT [--videos N]   # FOOTAGE from scripts/fetch-footage.sh
    vcolor prep OUT/*.mkv --out OUT/data --min-frames 1 --max-sequence 1000000 --val-fraction 0
    scripts/cut-testset.py score OUT                        # precision, recall, false cuts per 1,000 frames

`make` decodes every real clip of FOOTAGE (centre square, 192², as prep sees
it), and writes N test videos (lossless FFV1) of 8–12 segments of 12–60
frames each, joined by transitions drawn in turn from:
  different  hard cut to a segment of another clip
  similar    hard cut to a later part of the same clip (the same scene: a jump cut)
  fade       a cross-dissolve of 6–12 frames into a segment of another clip
  black      a fade to black and back in over 4–8 frames each
OUT/labels.json lists every transition: video, kind and the frames of the first
frame of the new shot (hard cuts) or the transition's window (fades).

`score` reads prep's index.json: every sequence start after a video's first
frame is a detected cut. A hard cut is found when a cut is detected at its
frame (±1); a fade when a cut falls inside its window (±1); every other detected
cut is false. Requires numpy and ffmpeg.
"""
import argparse
import json
import os
import random
import subprocess
import sys

import numpy as np

SIZE = 192
FPS = 25
# Shot changes inside the packaged clips themselves (first frame of each new
# shot), found by prep and checked by eye: segments are taken within one shot,
# so every cut in a test video is a labelled one.
INTERNAL_CUTS = {"bikes.mp4": [30, 76, 137, 187, 242]}


def decode(path):
    """All frames of a video, centre-cropped square and scaled to SIZE² (as prep does)."""
    vf = f"crop=w='min(iw,ih)':h='min(ih,iw)',scale={SIZE}:{SIZE}:flags=area,format=rgb24"
    raw = subprocess.run(["ffmpeg", "-nostdin", "-v", "fatal", "-i", path, "-an", "-vf", vf, "-fps_mode", "passthrough",
                          "-f", "rawvideo", "-"], capture_output=True, check=False).stdout
    n = len(raw) // (SIZE * SIZE * 3)
    return np.frombuffer(raw[: n * SIZE * SIZE * 3], np.uint8).reshape(n, SIZE, SIZE, 3)


def encode(frames, path):
    p = subprocess.Popen(["ffmpeg", "-nostdin", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                          "-s", f"{SIZE}x{SIZE}", "-r", str(FPS), "-i", "-", "-c:v", "ffv1", "-pix_fmt", "bgr0", path],
                         stdin=subprocess.PIPE)
    for f in frames:
        p.stdin.write(f.tobytes())
    p.stdin.close()
    if p.wait() != 0:
        sys.exit(f"cut-testset: ffmpeg failed writing {path}")


def make(args):
    rng = random.Random(args.seed)
    clips = {}  # "clip.mp4" or "clip.mp4#shot": frames of one shot
    with open(os.path.join(args.footage, "footage.tsv")) as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            row = dict(zip(header, line.rstrip("\n").split("\t")))
            if row["kind"] == "real":
                name = os.path.basename(row["file"])
                frames = decode(os.path.join(args.footage, row["file"]))
                bounds = [0] + INTERNAL_CUTS.get(name, []) + [len(frames)]
                for i, (a, b) in enumerate(zip(bounds, bounds[1:])):
                    if b - a >= 40:
                        clips[name + (f"#{i}" if len(bounds) > 2 else "")] = frames[a:b]
    if len(clips) < 2:
        sys.exit("cut-testset: need at least two real shots of 40 frames or more")
    names = sorted(clips)
    os.makedirs(args.out, exist_ok=True)
    labels = []
    kinds = ["different", "similar", "fade", "different", "similar", "black"]
    turn = 0
    total = 0
    for v in range(args.videos):
        video = f"cuts-{v:02d}.mkv"
        out = []

        def segment(name, start=None, avoid=None):
            frames = clips[name]
            length = rng.randint(12, min(60, len(frames) // 3))
            for _ in range(100):
                s = rng.randrange(0, len(frames) - length + 1) if start is None else start
                # A jump cut within a shot skips at least 20 frames from where it left off.
                if avoid is None or abs(s - avoid) >= 20:
                    break
            else:  # a short shot: the start farthest from where it left off
                s = 0 if avoid > len(frames) / 2 else len(frames) - length
            return name, s, frames[s:s + length]

        name, pos, seg = segment(rng.choice(names))
        out.extend(seg)
        last_end = pos + len(seg)
        for _ in range(rng.randint(7, 11)):
            kind = kinds[turn % len(kinds)]
            turn += 1
            if kind == "similar":
                nxt, pos, seg = segment(name, avoid=last_end)
            else:
                other = [n for n in names if n.split("#")[0] != name.split("#")[0]]
                nxt, pos, seg = segment(rng.choice(other))
            at = len(out)
            if kind in ("different", "similar"):
                out.extend(seg)
                labels.append({"video": video, "kind": kind, "frame": at, "from": name, "to": nxt})
            elif kind == "fade":
                n = rng.randint(6, 12)
                a = np.array(out[-n:], dtype=np.float32)
                b = seg[:n].astype(np.float32)
                w = (np.arange(1, n + 1, dtype=np.float32) / (n + 1))[:, None, None, None]
                mixed = np.clip(np.rint(a * (1 - w) + b * w), 0, 255).astype(np.uint8)
                out[-n:] = list(mixed)
                out.extend(seg[n:])
                labels.append({"video": video, "kind": kind, "window": [at - n, at], "from": name, "to": nxt})
            else:  # black
                n1, n2 = rng.randint(4, 8), rng.randint(4, 8)
                down = np.array(out[-n1:], dtype=np.float32)
                w = (1 - np.arange(1, n1 + 1, dtype=np.float32) / n1)[:, None, None, None]
                out[-n1:] = list(np.rint(down * w).astype(np.uint8))
                up = seg[:n2].astype(np.float32)
                w = (np.arange(0, n2, dtype=np.float32) / n2)[:, None, None, None]
                out.extend(list(np.rint(up * w).astype(np.uint8)))
                out.extend(seg[n2:])
                labels.append({"video": video, "kind": kind, "window": [at - n1, at + n2], "from": name, "to": nxt})
            name, last_end = nxt, pos + len(seg)
        encode(out, os.path.join(args.out, video))
        total += len(out)
    with open(os.path.join(args.out, "labels.json"), "w") as f:
        json.dump({"frames": total, "videos": args.videos, "sources": names, "transitions": labels}, f, indent=1)
    print(f"cut-testset: {args.videos} videos, {total} frames, {len(labels)} transitions from {len(names)} clips")


def score(args):
    labels = json.load(open(os.path.join(args.out, "labels.json")))
    index = json.load(open(os.path.join(args.out, args.data, "index.json")))
    detected = {}
    for s in index["sequences"]:
        if s["first_frame"] > 0:
            detected.setdefault(os.path.basename(s["source_path"]), set()).add(s["first_frame"])
    used = {v: set() for v in detected}
    found = {}
    for t in labels["transitions"]:
        cuts = detected.get(t["video"], set())
        lo, hi = (t["frame"], t["frame"]) if "frame" in t else tuple(t["window"])
        hit = sorted(c for c in cuts if lo - 1 <= c <= hi + 1)
        ok, miss = found.get(t["kind"], (0, 0))
        found[t["kind"]] = (ok + bool(hit), miss + (not hit))
        if hit:
            used[t["video"]].add(hit[0])
        elif args.verbose:
            print(f"missed {t['kind']} in {t['video']} at {lo}…{hi} ({t['from']} → {t['to']})")
    false = sum(len(cuts - used.get(v, set())) for v, cuts in detected.items())
    if args.verbose:
        for v, cuts in sorted(detected.items()):
            for c in sorted(cuts - used[v]):
                print(f"false cut in {v} at {c}")
    hard_ok = sum(found.get(k, (0, 0))[0] for k in ("different", "similar"))
    hard_n = sum(sum(found.get(k, (0, 0))) for k in ("different", "similar"))
    all_ok = sum(ok for ok, _ in found.values())
    result = {
        "frames": labels["frames"],
        "recall_hard": hard_ok / hard_n if hard_n else None,
        "recall": {k: f"{ok}/{ok + miss}" for k, (ok, miss) in sorted(found.items())},
        "precision": all_ok / (all_ok + false) if all_ok + false else None,
        "false_cuts": false,
        "false_per_1000_frames": 1000 * false / labels["frames"],
    }
    print(json.dumps(result, indent=1))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make")
    m.add_argument("footage")
    m.add_argument("out")
    m.add_argument("--videos", type=int, default=24)
    m.add_argument("--seed", type=int, default=13)
    s = sub.add_parser("score")
    s.add_argument("out")
    s.add_argument("--data", default="data")
    s.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    make(args) if args.command == "make" else score(args)


if __name__ == "__main__":
    main()
