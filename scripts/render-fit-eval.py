#!/usr/bin/env python3
"""Scores colourised clips against their colour originals at the original's
full resolution: what `vcolor eval` cannot do, since it reads prepped 128²
data, and what choosing colorize's --render-fit and --render-size needs
(docs/colorize.md §Render size).

    scripts/render-fit-eval.py [--set NAME=CLIP,CLIP…]… CONFIG_DIR…

Each CONFIG_DIR holds one colorize output per clip, named after the clip
without its extension: a lossless video NAME.mkv (`vcolor colorize CLIP
--codec ffv1 --out CONFIG_DIR/NAME.mkv`; 4:2:0 as colorize writes every
video, or 4:4:4 when a side is odd) or a folder of PNG frames NAME. Every
clip is decoded with ffmpeg to rgb24 at its own size, every frame once, as
colorize decodes it. Per frame: PSNR over R, G and B (8-bit, capped at 100
dB) and Δa*b*, the mean over pixels of |a* − true a*| and |b* − true b*| in
CIELAB (D65, sRGB), as docs/metrics.md defines them; a `grey` row scores the
original's own L* with a*b* = 0. Printed per set: the mean over all the
set's frames, and per clip. numpy and ffmpeg only.
"""
import argparse
import glob
import os
import subprocess
import sys

import numpy as np


def probe_size(path):
    out = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries",
                          "stream=width,height:stream_side_data=rotation", "-of", "default=nw=1", path],
                         capture_output=True, text=True, check=True).stdout
    values = dict(line.split("=", 1) for line in out.split() if "=" in line)
    w, h = int(values["width"]), int(values["height"])
    if abs(int(float(values.get("rotation", "0")))) % 180 == 90:
        w, h = h, w
    return w, h


def frames(path, w, h, pattern=False):
    """rgb24 frames of a video, or of a numbered PNG sequence, one array at a time."""
    source = ["-f", "image2", "-i", path] if pattern else ["-i", "file:" + path]
    p = subprocess.Popen(["ffmpeg", "-v", "error", "-nostdin"] + source
                         + ["-map", "0:v:0", "-fps_mode", "passthrough", "-pix_fmt", "rgb24", "-f", "rawvideo", "-"],
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    n = w * h * 3
    while True:
        data = p.stdout.read(n)
        if len(data) < n:
            break
        yield np.frombuffer(data, np.uint8).reshape(h, w, 3)
    p.wait()


WHITE = np.array([0.95047, 1.0, 1.08883])
RGB_TO_XYZ = np.array([[0.412453, 0.357580, 0.180423],
                       [0.212671, 0.715160, 0.072169],
                       [0.019334, 0.119193, 0.950227]])


def rgb_to_lab(rgb):
    c = rgb.astype(np.float64) / 255
    linear = np.where(c > 0.04045, ((c + 0.055) / 1.055) ** 2.4, c / 12.92)
    xyz = linear @ RGB_TO_XYZ.T / WHITE
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.stack([116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])], -1)


def lab_to_rgb8(lab):
    fy = (lab[..., 0] + 16) / 116
    f = np.stack([fy + lab[..., 1] / 500, fy, fy - lab[..., 2] / 200], -1)
    xyz = np.where(f > 0.2068966, f ** 3, (f - 16 / 116) / 7.787) * WHITE
    linear = np.clip(xyz @ np.linalg.inv(RGB_TO_XYZ).T, 0, 1)
    c = np.where(linear > 0.0031308, 1.055 * linear ** (1 / 2.4) - 0.055, 12.92 * linear)
    return np.clip(np.round(c * 255), 0, 255).astype(np.uint8)


def psnr(a, b):
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
    return 100.0 if mse == 0 else min(100.0, 10 * np.log10(255 ** 2 / mse))


def score_clip(clip, outputs):
    """{row: [(psnr, dab) per frame]} for the grey row and each output; frames
    are streamed, the original decoded once per row."""
    w, h = probe_size(clip)
    rows = {"grey": []}
    for frame in frames(clip, w, h):
        lab = rgb_to_lab(frame)
        grey = lab.copy()
        grey[..., 1:] = 0
        rows["grey"].append((psnr(lab_to_rgb8(grey), frame), np.mean(np.abs(lab[..., 1:]))))
    for name, path in outputs.items():
        if os.path.isdir(path):
            made = frames(os.path.join(path, "frame-%06d.png"), w, h, pattern=True)
        else:
            made = frames(path + ".mkv", w, h)
        rows[name] = []
        for true, frame in zip(frames(clip, w, h), made):
            dab = np.mean(np.abs(rgb_to_lab(frame)[..., 1:] - rgb_to_lab(true)[..., 1:]))
            rows[name].append((psnr(frame, true), dab))
        if len(rows[name]) != len(rows["grey"]):
            sys.exit(f"{path}: {len(rows[name])} frames, {clip} has {len(rows['grey'])}")
    return rows


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--set", action="append", default=[], help="NAME=CLIP,CLIP… (repeatable)")
    parser.add_argument("configs", nargs="+", help="folders of colorize outputs, one subfolder per clip")
    args = parser.parse_args()
    outputs = {os.path.basename(c.rstrip("/")): c for c in args.configs}
    for entry in args.set:
        set_name, clips = entry.split("=", 1)
        totals = {}
        print(f"## {set_name}")
        print(f"{'clip':<12} {'row':<14} {'frames':>6} {'PSNR':>7} {'Δa*b*':>7}")
        for clip in clips.split(","):
            base = os.path.splitext(os.path.basename(clip))[0]
            rows = score_clip(clip, {k: os.path.join(v, base) for k, v in outputs.items()})
            for row, values in rows.items():
                totals.setdefault(row, []).extend(values)
                v = np.array(values)
                print(f"{base:<12} {row:<14} {len(v):>6} {v[:, 0].mean():>7.2f} {v[:, 1].mean():>7.3f}")
        for row, values in totals.items():
            v = np.array(values)
            print(f"{'ALL':<12} {row:<14} {len(v):>6} {v[:, 0].mean():>7.2f} {v[:, 1].mean():>7.3f}")
        print()


if __name__ == "__main__":
    main()
