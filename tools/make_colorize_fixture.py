#!/usr/bin/env python3
"""Writes Tests/ColorizeTests/Fixtures/colorize/: a tiny PyTorch-made model and
the frames `vcolor colorize` must produce with it. Run by hand, from the
repository root:

    /work/venv/bin/python tools/make_colorize_fixture.py

Files:
- tiny-lstm.safetensors, tiny-none.safetensors: `safetensors.torch.save_file`
  of a base-width-2 generator's state_dict (the docs/model.md model from make_golden.py),
  exactly as torch saves it: int64 `num_batches_tracked` entries included, no
  metadata. Weights are drawn wider than the initialisation in docs/model.md (and the BN
  running statistics are random) so the output is colourful and depends on
  every layer, the LSTM state included (ignoring the cut changes shot B's a*b*
  by ~3 units on average, up to ~60; the script prints it).
- tiny-all.safetensors: generator + discriminator state_dicts in one file.
- input/frame-0…3.png: 144×112 colour frames, shot A (0, 1) then a hard cut to
  shot B (2, 3).
- expected-lstm/frame-*.png, expected-none/…: the colourised frames, computed
  in float64 as docs/format.md §Colour and colorize's documentation say: L of the input
  (skimage rgb2lab); L resized to 128×128 by area averaging
  (F.interpolate mode="area", i.e. adaptive average pooling); the generator in
  eval mode over each shot, LSTM state from zero at the cut; ab·110
  upsampled bilinearly (align_corners=False) to 144×112; lab2rgb with the
  input's full-resolution L; ×255 rounded half away from zero.
"""
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from safetensors.torch import save_file
from skimage.color import lab2rgb, rgb2lab

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_golden import Discriminator, Generator  # noqa: E402

OUT = os.path.join("Tests", "ColorizeTests", "Fixtures", "colorize")
BASE, SIZE, W, H = 2, 128, 144, 112
SHOTS = [(0, 2), (2, 4)]


def widen(module, gen):
    with torch.no_grad():
        for name, p in module.named_parameters():
            if name.startswith("lstm."):
                p.copy_((torch.rand(p.shape, generator=gen) * 2 - 1) * 1.5)
            elif ".bn." in name and name.endswith("weight"):
                p.copy_(1 + 0.3 * torch.randn(p.shape, generator=gen))
            elif ".bn." in name and name.endswith("bias"):
                p.copy_(0.2 * torch.randn(p.shape, generator=gen))
            elif name.endswith("weight"):
                fan_in = p.shape[1] * 16 if "up" not in name else p.shape[0] * 4
                p.copy_(torch.randn(p.shape, generator=gen) * (1.5 / fan_in) ** 0.5)
            else:
                p.copy_(0.3 * torch.randn(p.shape, generator=gen))
        for name, b in module.named_buffers():
            if name.endswith("running_mean"):
                b.copy_(0.1 * torch.randn(b.shape, generator=gen))
            elif name.endswith("running_var"):
                b.copy_(0.5 + torch.rand(b.shape, generator=gen))
            elif name.endswith("num_batches_tracked"):
                b.fill_(7)


def frames():
    y, x = np.mgrid[0:H, 0:W].astype(np.float64)
    out = []
    for t in range(4):
        if t < 2:  # shot A: dark, a drifting warm blob on a blue-green ramp
            r = 40 + 60 * np.exp(-((x - 50 - 6 * t) ** 2 + (y - 55) ** 2) / 600) + 0.2 * x
            g = 50 + 0.3 * y
            b = 90 + 40 * np.sin(x / 17 + t)
        else:      # shot B: bright stripes
            r = 200 + 40 * np.sin(y / 9 + t)
            g = 170 + 50 * np.cos(x / 13)
            b = 150 + 0.5 * x - 0.3 * y
        out.append(np.clip(np.round(np.stack([r, g, b], -1)), 0, 255).astype(np.uint8))
    return out


def colourise(G, images):
    L = np.stack([rgb2lab(im)[..., 0] for im in images])                  # [T, H, W] float64
    small = F.adaptive_avg_pool2d(torch.from_numpy(L)[:, None], (SIZE, SIZE))
    x = (small / 50 - 1).float()
    G.eval()
    outs = []
    with torch.no_grad():
        for lo, hi in SHOTS:
            outs.append(G(x[lo:hi], 1, hi - lo))
    ab = torch.cat(outs).double() * 110
    ab = F.interpolate(ab, size=(H, W), mode="bilinear", align_corners=False).numpy()
    result = []
    for t in range(len(images)):
        lab = np.stack([L[t], ab[t, 0], ab[t, 1]], -1)
        rgb = np.floor(lab2rgb(lab) * 255 + 0.5)
        result.append(rgb.astype(np.uint8))
    return result, ab


def main():
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(20240613)
    G = Generator(BASE, "lstm")
    widen(G, gen)
    with torch.no_grad():
        # Louder deep decoder levels, so the bottleneck (and the LSTM state) shows in every pixel.
        G.up7.conv.weight.mul_(4)
        G.up6.conv.weight.mul_(4)
    D = Discriminator(BASE)
    widen(D, gen)
    Gn = Generator(BASE, "none")
    Gn.load_state_dict({k: v for k, v in G.state_dict().items() if not k.startswith("lstm.")})
    os.makedirs(OUT, exist_ok=True)
    save_file({k: v.contiguous() for k, v in G.state_dict().items()}, os.path.join(OUT, "tiny-lstm.safetensors"))
    save_file({k: v.contiguous() for k, v in Gn.state_dict().items()}, os.path.join(OUT, "tiny-none.safetensors"))
    both = {**G.state_dict(), **D.state_dict()}
    save_file({k: v.contiguous() for k, v in both.items()}, os.path.join(OUT, "tiny-all.safetensors"))

    images = frames()
    os.makedirs(os.path.join(OUT, "input"), exist_ok=True)
    for t, im in enumerate(images):
        Image.fromarray(im).save(os.path.join(OUT, "input", f"frame-{t}.png"))
    for variant, model in (("lstm", G), ("none", Gn)):
        result, ab = colourise(model, images)
        d = os.path.join(OUT, f"expected-{variant}")
        os.makedirs(d, exist_ok=True)
        for t, im in enumerate(result):
            Image.fromarray(im).save(os.path.join(d, f"frame-{t}.png"))
        print(variant, "ab range", ab.min().round(1), ab.max().round(1),
              "per-frame mean |ab|", [round(float(np.abs(ab[t]).mean()), 1) for t in range(4)])
    # How much the carried LSTM state matters: colourise shot B as if it continued shot A.
    with torch.no_grad():
        L = np.stack([rgb2lab(im)[..., 0] for im in images])
        x = (F.adaptive_avg_pool2d(torch.from_numpy(L)[:, None], (SIZE, SIZE)) / 50 - 1).float()
        joined = G(x, 1, 4)[2:]
        split = G(x[2:], 1, 2)
        print("ab change if the cut were ignored (max, mean):", float((joined - split).abs().max() * 110),
              float((joined - split).abs().mean() * 110))


if __name__ == "__main__":
    main()
