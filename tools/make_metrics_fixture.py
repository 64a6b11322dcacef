#!/usr/bin/env python3
"""Writes Tests/ImagingTests/Fixtures/metrics.json: scikit-image's SSIM and PSNR
(and numpy's colourfulness) on a few small image pairs, the reference the
Swift metrics (Sources/Imaging/Metrics) are tested against. Run by hand:

    /work/venv/bin/python tools/make_metrics_fixture.py

Pairs: a smooth colourful image against a noisy, shifted-colour copy (23×17,
odd sizes so row/column mix-ups show), the smallest size SSIM allows (11×11),
and an unrelated random pair (so SSIM is near 0 and the constants matter).
"""
import json
import os

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

rng = np.random.default_rng(20240612)


def smooth(h, w):
    y, x = np.mgrid[0:h, 0:w]
    r = 128 + 100 * np.sin(x / 3.0) * np.cos(y / 5.0)
    g = 90 + 80 * np.cos((x + y) / 4.0)
    b = 60 + 3 * x + 2 * y
    return np.clip(np.stack([r, g, b], axis=-1), 0, 255).astype(np.uint8)


def noisy(img, sigma, shift):
    out = img.astype(np.float64) + rng.normal(0, sigma, img.shape) + np.array(shift)
    return np.clip(np.round(out), 0, 255).astype(np.uint8)


def colourfulness(img):
    r, g, b = (img[..., k].astype(np.float64) for k in range(3))
    rg = r - g
    yb = 0.5 * (r + g) - b
    return float(np.sqrt(rg.std() ** 2 + yb.std() ** 2) + 0.3 * np.sqrt(rg.mean() ** 2 + yb.mean() ** 2))


pairs = []
a = smooth(17, 23)
pairs.append(("smooth-noisy", a, noisy(a, 12, (10, -5, 0))))
a = smooth(11, 11)
pairs.append(("smallest", a, noisy(a, 30, (0, 0, 20))))
pairs.append(("random", rng.integers(0, 256, (13, 16, 3)).astype(np.uint8),
              rng.integers(0, 256, (13, 16, 3)).astype(np.uint8)))

cases = []
for name, x, y in pairs:
    ssim = structural_similarity(x, y, channel_axis=-1, data_range=255, gaussian_weights=True,
                                 sigma=1.5, use_sample_covariance=False)
    cases.append(dict(name=name, height=int(x.shape[0]), width=int(x.shape[1]),
                      x=x.reshape(-1).tolist(), y=y.reshape(-1).tolist(),
                      ssim=float(ssim),
                      psnr=float(peak_signal_noise_ratio(x, y, data_range=255)),
                      colourfulness_x=colourfulness(x), colourfulness_y=colourfulness(y)))

out = os.path.join("Tests", "ColorizeTests", "Fixtures", "metrics.json")
with open(out, "w") as f:
    json.dump(dict(generator="tools/make_metrics_fixture.py", cases=cases), f)
print(out, [(c["name"], round(c["ssim"], 6)) for c in cases])
