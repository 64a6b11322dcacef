"""Reference values for ColourDistributionConsistencyTests (run by hand; paste the output).

Follows the NTIRE 2023 video colorization challenge's CDC scoring step by step:
per frame and channel a 256-bin histogram divided by the pixel count; JS(p, q) =
0.5*entropy(p, M) + 0.5*entropy(q, M), M = (p+q)/2, with scipy.stats.entropy
(natural log); per channel the mean JS over frame pairs (t, t+k) for k = 1, 2, 4,
weighted 1/3 each; the mean over the three channels; over sequences, the mean.
The frames are made by the same integer formula as the Swift test.
"""
import numpy as np
from scipy import stats


def frame(t, seed, w=8, h=6):
    """h x w x 3 uint8: v = (i*i*7 + t*t*13 + c*29 + seed*31 + (i*t) % 11) % 256, i = y*w + x."""
    img = np.zeros((h, w, 3), dtype=np.uint8)
    for y in range(h):
        for x in range(w):
            i = y * w + x
            for c in range(3):
                img[y, x, c] = (i * i * 7 + t * t * 13 + c * 29 + seed * 31 + (i * t) % 11) % 256
    return img


def hist(img, c):
    h, w, _ = img.shape
    return np.bincount(img[:, :, c].ravel(), minlength=256).astype(np.float64) / (h * w)


def js(p, q):
    m = (p + q) / 2
    return 0.5 * stats.entropy(p, m) + 0.5 * stats.entropy(q, m)


def cdc(frames):
    per_channel = []
    for c in range(3):
        hs = [hist(f, c) for f in frames]
        total = 0.0
        for k in (1, 2, 4):
            total += np.mean([js(hs[i], hs[i + k]) for i in range(len(hs) - k)]) / 3
        per_channel.append(total)
    return float(np.mean(per_channel))


a = cdc([frame(t, 0) for t in range(7)])
b = cdc([frame(t, 1) for t in range(5)])
print(f"sequence A (7 frames, seed 0): {a!r}")
print(f"sequence B (5 frames, seed 1): {b!r}")
print(f"mean of A and B: {(a + b) / 2!r}")
p = hist(frame(0, 0), 0); q = hist(frame(3, 0), 0)
print(f"JS(R of frame 0, R of frame 3), seed 0: {float(js(p, q))!r}")
