#!/usr/bin/env python3
"""Writes Tests/ImagingTests/Fixtures/lab_fixture.json: scikit-image's rgb2lab and
lab2rgb on a fixed set of colours, the reference vcolor's CIELAB code is tested
against (docs/format.md §Colour). Run by hand, once, with scikit-image installed:

    /work/venv/bin/python tools/make_lab_fixture.py

Forward set: all 256 greys, the 8 cube corners (primaries, secondaries, black,
white), a 9x9x9 grid over the cube and 1000 random colours.
Inverse set: every lab8 L code with neutral a/b, lab8 codes on a grid and 1000
random lab8 codes (many out of the sRGB gamut, so clipping and the clamped
negative f(Z) are exercised).
"""
import json
import os

import numpy as np
from skimage.color import lab2rgb, rgb2lab

rng = np.random.default_rng(20240611)

grey = np.repeat(np.arange(256)[:, None], 3, axis=1)
corners = np.array([[r, g, b] for r in (0, 255) for g in (0, 255) for b in (0, 255)])
steps = np.array([0, 32, 64, 96, 128, 160, 192, 224, 255])
grid = np.array(np.meshgrid(steps, steps, steps, indexing="ij")).reshape(3, -1).T
random_rgb = rng.integers(0, 256, size=(1000, 3))
rgb = np.concatenate([grey, corners, grid, random_rgb]).astype(np.uint8)
lab = rgb2lab(rgb[None, :, :])[0]

neutral = np.stack([np.arange(256), np.full(256, 128), np.full(256, 128)], axis=1)
code_steps = np.array([0, 40, 80, 110, 128, 150, 180, 220, 255])
code_grid = np.array(np.meshgrid(code_steps, code_steps, code_steps, indexing="ij")).reshape(3, -1).T
random_codes = rng.integers(0, 256, size=(1000, 3))
codes = np.concatenate([neutral, code_grid, random_codes])
lab_in = np.stack([codes[:, 0] * 100.0 / 255.0, codes[:, 1] - 128.0, codes[:, 2] - 128.0], axis=1)
import warnings
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # out-of-gamut and negative-Z warnings are expected
    rgb_out = lab2rgb(lab_in[None, :, :])[0]

fixture = {
    "note": "scikit-image rgb2lab / lab2rgb reference, made by tools/make_lab_fixture.py",
    "skimage": __import__("skimage").__version__,
    "rgb": rgb.astype(int).ravel().tolist(),
    "lab": [round(float(v), 9) for v in lab.ravel()],
    "lab8_codes": codes.astype(int).ravel().tolist(),
    "rgb_from_lab8": [round(float(v), 9) for v in rgb_out.ravel()],
}
out = os.path.join(os.path.dirname(__file__), "..", "Tests", "DataPrepTests", "Fixtures", "lab_fixture.json")
with open(out, "w") as f:
    json.dump(fixture, f, separators=(",", ":"))
print(f"wrote {out}: {len(rgb)} forward, {len(codes)} inverse colours")
