#!/usr/bin/env python3
"""Writes the PyTorch golden fixtures the Swift tests compare against.

Run by hand (never from CI or tests), from the repository root:

    /work/venv/bin/python tools/make_golden.py

It rebuilds Tests/NetTests/Fixtures/golden/*.safetensors from fixed seeds. The
model below is docs/model.md written literally in PyTorch, with the tensor
names of docs/format.md, at a small base width so the fixtures stay small. Every tensor written
is float32 and documented in docs/golden-fixtures.md; keep the two in step.

The script is the reference, so it is deliberately plain: no fused ops, no
in-place activations, train/eval switched explicitly.
"""
import argparse
import json
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

FIXTURE_DIR = os.path.join("Tests", "NetTests", "Fixtures", "golden")
BN_EPS = 1e-5
BN_MOMENTUM = 0.1
LAMBDA_L1 = 100.0
ADAM = dict(lr=2e-4, betas=(0.5, 0.999), eps=1e-8)


# ----------------------------------------------------------------------------
# Model (docs/model.md), names (docs/format.md §Tensor names)

class Down(nn.Module):
    """down_i: [LeakyReLU(0.2) →] Conv(k4 s2 p1, no bias) [→ BN]."""

    def __init__(self, cin, cout, activation, norm):
        super().__init__()
        self.activation = activation
        self.conv = nn.Conv2d(cin, cout, 4, 2, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=BN_EPS, momentum=BN_MOMENTUM) if norm else None

    def forward(self, x):
        if self.activation:
            x = F.leaky_relu(x, 0.2)
        x = self.conv(x)
        if self.bn is not None:
            x = self.bn(x)
        return x


class Up(nn.Module):
    """up_i: ReLU → ConvT(k4 s2 p1) → BN, or for up1 ReLU → ConvT(bias) → tanh."""

    def __init__(self, cin, cout, last):
        super().__init__()
        self.last = last
        self.conv = nn.ConvTranspose2d(cin, cout, 4, 2, 1, bias=last)
        self.bn = None if last else nn.BatchNorm2d(cout, eps=BN_EPS, momentum=BN_MOMENTUM)

    def forward(self, x):
        x = self.conv(F.relu(x))
        return torch.tanh(x) if self.last else self.bn(x)


def lstm_reference(x, w_ih, w_hh, b_ih, b_hh):
    """A plain LSTM over x [T, N, I], gates in the order i, f, g, o, zero initial state."""
    T, N, _ = x.shape
    H = w_hh.shape[1]
    h = x.new_zeros(N, H)
    c = x.new_zeros(N, H)
    out = []
    for t in range(T):
        g = x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i, f, gg, o = g.split(H, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(gg)
        h = torch.sigmoid(o) * torch.tanh(c)
        out.append(h)
    return torch.stack(out)


class ClipLSTM(nn.Module):
    """An LSTM over time at every spatial position of a clip batch.

    Input/output layout is ours: [B*T, C, h, w] with n = b*T + t. Each (b, y, x)
    is one sequence over t, with zero initial state. The parameters are held
    directly (not in an nn.LSTM) so state_dict names are exactly those of docs/format.md §Tensor names
    `lstm.weight_ih` etc.; the step itself is `lstm_reference`, checked against
    nn.LSTM in `layer_fixtures`.
    """

    def __init__(self, size):
        super().__init__()
        self.size = size
        self.weight_ih = nn.Parameter(torch.empty(4 * size, size))
        self.weight_hh = nn.Parameter(torch.empty(4 * size, size))
        self.bias_ih = nn.Parameter(torch.empty(4 * size))
        self.bias_hh = nn.Parameter(torch.empty(4 * size))

    def forward(self, x, batch, time):
        n, c, h, w = x.shape
        assert n == batch * time and c == self.size
        seq = x.reshape(batch, time, c, h, w).permute(1, 0, 3, 4, 2).reshape(time, batch * h * w, c)
        y = lstm_reference(seq, self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        return y.reshape(time, batch, h, w, c).permute(1, 0, 4, 2, 3).reshape(n, c, h, w)


class Generator(nn.Module):
    def __init__(self, base, temporal):
        super().__init__()
        assert temporal in ("lstm", "none")
        self.temporal = temporal
        ch = [base * m for m in (1, 2, 4, 8, 8, 8, 8)]
        self.down1 = Down(1, ch[0], activation=False, norm=False)
        for i in range(2, 7):
            setattr(self, f"down{i}", Down(ch[i - 2], ch[i - 1], activation=True, norm=True))
        self.down7 = Down(ch[5], ch[6], activation=True, norm=False)
        if temporal == "lstm":
            self.lstm = ClipLSTM(ch[6])
        self.up7 = Up(ch[6], ch[5], last=False)
        # up_i takes concat(up_{i+1}, down_i) and gives down_{i-1}'s channel count.
        for i in range(6, 1, -1):
            setattr(self, f"up{i}", Up(2 * ch[i - 1], ch[i - 2], last=False))
        self.up1 = Up(2 * ch[0], 2, last=True)

    def forward(self, L, batch, time):
        d = [None]
        x = L
        for i in range(1, 8):
            x = getattr(self, f"down{i}")(x)
            d.append(x)
        if self.temporal == "lstm":
            x = self.lstm(x, batch, time)
        x = self.up7(x)
        for i in range(6, 0, -1):
            x = getattr(self, f"up{i}")(torch.cat([x, d[i]], dim=1))
        return x


class Layer(nn.Module):
    """layer_i of the discriminator: Conv(k4 s2 p1, no bias) → BN → LeakyReLU(0.2)."""

    def __init__(self, cin, cout):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, 4, 2, 1, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=BN_EPS, momentum=BN_MOMENTUM)

    def forward(self, x):
        return F.leaky_relu(self.bn(self.conv(x)), 0.2)


class Discriminator(nn.Module):
    def __init__(self, base):
        super().__init__()
        self.layer1 = Layer(3, base)
        self.layer2 = Layer(base, 2 * base)
        self.layer3 = Layer(2 * base, 4 * base)
        self.head = nn.Conv2d(4 * base, 1, 4, 1, 1, bias=True)

    def forward(self, x):
        return self.head(self.layer3(self.layer2(self.layer1(x))))


def init_weights(module, gen):
    """docs/model.md: conv N(0, 0.02), BN γ N(1, 0.02), β 0, LSTM U(±1/√H), other biases 0.

    Draws in state_dict order from `gen`, so the result depends only on the seed.
    """
    with torch.no_grad():
        for name, p in module.named_parameters():
            leaf = name.rsplit(".", 1)[-1]
            if name.startswith("lstm."):
                bound = 1.0 / math.sqrt(module.lstm.size)
                p.copy_(torch.rand(p.shape, generator=gen) * 2 * bound - bound)
            elif ".bn." in name and leaf == "weight":
                p.copy_(1.0 + 0.02 * torch.randn(p.shape, generator=gen))
            elif leaf == "weight":
                p.copy_(0.02 * torch.randn(p.shape, generator=gen))
            elif leaf == "bias":
                p.zero_()
            else:
                raise ValueError(name)
        for name, b in module.named_buffers():
            if name.endswith("running_mean"):
                b.zero_()
            elif name.endswith("running_var"):
                b.fill_(1.0)
            elif name.endswith("num_batches_tracked"):
                b.zero_()


G_NAMES = (
    [f"down{i}.conv.weight" for i in range(1, 8)]
    + [f"down{i}.bn.{k}" for i in range(2, 7) for k in ("weight", "bias", "running_mean", "running_var")]
    + [f"lstm.{k}" for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
    + [f"up{i}.conv.weight" for i in range(1, 8)] + ["up1.conv.bias"]
    + [f"up{i}.bn.{k}" for i in range(2, 8) for k in ("weight", "bias", "running_mean", "running_var")]
)
D_NAMES = (
    [f"layer{i}.conv.weight" for i in range(1, 4)]
    + [f"layer{i}.bn.{k}" for i in range(1, 4) for k in ("weight", "bias", "running_mean", "running_var")]
    + ["head.weight", "head.bias"]
)


def state(module):
    """state_dict minus num_batches_tracked, as contiguous float32 clones."""
    return {k: v.detach().clone().contiguous().float()
            for k, v in module.state_dict().items() if not k.endswith("num_batches_tracked")}


def grads(module):
    return {k: p.grad.detach().clone().contiguous() for k, p in module.named_parameters()}


# ----------------------------------------------------------------------------
# Inputs

def make_inputs(batch, time, size, seed):
    """Smooth, image-like L and ab in [-1, 1]: gradients plus sinusoids that drift per frame."""
    rng = np.random.default_rng(seed)
    y, x = np.meshgrid(np.linspace(0, 1, size), np.linspace(0, 1, size), indexing="ij")
    L = np.zeros((batch * time, 1, size, size), np.float64)
    ab = np.zeros((batch * time, 2, size, size), np.float64)
    for b in range(batch):
        gx, gy = rng.uniform(-0.8, 0.8, 2)
        waves = [(rng.uniform(2, 7), rng.uniform(0, 2 * np.pi), rng.uniform(0, 2 * np.pi), rng.uniform(0.1, 0.3))
                 for _ in range(3)]
        colour = rng.uniform(-0.5, 0.5, (2, 3))
        vx, vy = rng.uniform(-0.04, 0.04, 2)
        blob = rng.uniform(0.3, 0.7, 2)
        for t in range(time):
            n = b * time + t
            sx, sy = x - vx * t, y - vy * t
            lum = 0.1 + gx * (sx - 0.5) + gy * (sy - 0.5)
            for k, (freq, angle, phase, amp) in enumerate(waves):
                lum = lum + amp * np.sin(2 * np.pi * freq * (np.cos(angle) * sx + np.sin(angle) * sy) + phase)
            r2 = (sx - blob[0]) ** 2 + (sy - blob[1]) ** 2
            spot = np.exp(-r2 / 0.02)
            L[n, 0] = np.tanh(lum + 0.6 * spot)
            ab[n, 0] = colour[0, 0] + colour[0, 1] * np.sin(3 * sx + t * 0.1) + colour[0, 2] * spot
            ab[n, 1] = colour[1, 0] + colour[1, 1] * np.cos(4 * sy - t * 0.1) + colour[1, 2] * spot
    ab = np.clip(ab, -1, 1)
    return torch.from_numpy(L.astype(np.float32)), torch.from_numpy(ab.astype(np.float32))


# ----------------------------------------------------------------------------
# One pix2pix step (docs/model.md)

def train_step(G, D, optG, optD, L, ab, batch, time, record):
    """Generator forward; D update; G update with D re-run after D's step.

    D runs three times per step in training mode (real, fake.detach(), fake), so
    its BatchNorm running statistics are updated three times; G's once.
    """
    G.train()
    D.train()
    fake = G(L, batch, time)

    optD.zero_grad(set_to_none=False)
    real_logits = D(torch.cat([L, ab], dim=1))
    fake_logits = D(torch.cat([L, fake.detach()], dim=1))
    loss_D = 0.5 * (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
                    + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
    loss_D.backward()
    d_grads = grads(D)
    optD.step()

    optG.zero_grad(set_to_none=False)
    g_logits = D(torch.cat([L, fake], dim=1))
    loss_gan = F.binary_cross_entropy_with_logits(g_logits, torch.ones_like(g_logits))
    loss_l1 = F.l1_loss(fake, ab)
    (loss_gan + LAMBDA_L1 * loss_l1).backward()
    g_grads = grads(G)
    optG.step()

    out = {"loss_D": loss_D, "loss_G_gan": loss_gan, "loss_G_l1": loss_l1}
    out = {k: v.detach().reshape(1).clone() for k, v in out.items()}
    if record:
        out["fake"] = fake.detach().clone()
        out["D_real_logits"] = real_logits.detach().clone()
        out["D_fake_logits"] = fake_logits.detach().clone()
        out["G_grads"] = g_grads
        out["D_grads"] = d_grads
    return out


def make_model_fixture(variant, base, L, ab, batch, time, init_G, init_D):
    G = Generator(base, variant)
    D = Discriminator(base)
    G.load_state_dict({k: v for k, v in init_G.items() if variant == "lstm" or not k.startswith("lstm.")},
                      strict=False)
    D.load_state_dict(init_D, strict=False)
    assert sorted(state(G)) == sorted(n for n in G_NAMES if variant == "lstm" or not n.startswith("lstm.")), \
        sorted(set(state(G)) ^ set(G_NAMES))
    assert sorted(state(D)) == sorted(D_NAMES)
    optG = torch.optim.Adam(G.parameters(), **ADAM)
    optD = torch.optim.Adam(D.parameters(), **ADAM)

    t = {}
    for k, v in state(G).items():
        t[f"G.init.{k}"] = v
    for k, v in state(D).items():
        t[f"D.init.{k}"] = v

    s1 = train_step(G, D, optG, optD, L, ab, batch, time, record=True)
    for k in ("fake", "D_real_logits", "D_fake_logits", "loss_D", "loss_G_gan", "loss_G_l1"):
        t[f"step1.{k}"] = s1[k]
    for k, v in s1["G_grads"].items():
        t[f"step1.G.grad.{k}"] = v
    for k, v in s1["D_grads"].items():
        t[f"step1.D.grad.{k}"] = v
    for k, v in state(G).items():
        t[f"step1.G.{k}"] = v
    for k, v in state(D).items():
        t[f"step1.D.{k}"] = v
    for step in (2, 3):
        s = train_step(G, D, optG, optD, L, ab, batch, time, record=False)
        for k in ("loss_D", "loss_G_gan", "loss_G_l1"):
            t[f"step{step}.{k}"] = s[k]
    for k, v in state(G).items():
        t[f"step3.G.{k}"] = v
    for k, v in state(D).items():
        t[f"step3.D.{k}"] = v
    G.eval()
    with torch.no_grad():
        t["step3.eval_fake"] = G(L, batch, time).clone()
    return t


# ----------------------------------------------------------------------------
# Per-layer fixtures

def layer_fixtures(seed):
    gen = torch.Generator().manual_seed(seed)

    def rnd(*shape, scale=1.0):
        return (torch.randn(shape, generator=gen) * scale).float()

    t = {}

    def conv_case(prefix, module, x):
        x = x.clone().requires_grad_(True)
        y = module(x)
        dy = rnd(*y.shape)
        y.backward(dy)
        t[f"{prefix}.x"] = x.detach()
        t[f"{prefix}.weight"] = module.weight.detach().clone()
        t[f"{prefix}.bias"] = module.bias.detach().clone()
        t[f"{prefix}.y"] = y.detach()
        t[f"{prefix}.dy"] = dy
        t[f"{prefix}.dx"] = x.grad.detach().clone()
        t[f"{prefix}.dweight"] = module.weight.grad.detach().clone()
        t[f"{prefix}.dbias"] = module.bias.grad.detach().clone()

    def with_random_params(module):
        with torch.no_grad():
            module.weight.copy_(rnd(*module.weight.shape, scale=0.3))
            module.bias.copy_(rnd(*module.bias.shape, scale=0.3))
        return module

    # Non-square spatial sizes catch h/w mix-ups.
    conv_case("conv", with_random_params(nn.Conv2d(3, 5, 4, 2, 1, bias=True)), rnd(2, 3, 8, 10))
    conv_case("convT", with_random_params(nn.ConvTranspose2d(4, 3, 4, 2, 1, bias=True)), rnd(2, 4, 3, 5))
    conv_case("head", with_random_params(nn.Conv2d(6, 2, 4, 1, 1, bias=True)), rnd(2, 6, 7, 9))

    # BatchNorm, training mode: batch statistics, running stats updated once.
    bn = nn.BatchNorm2d(3, eps=BN_EPS, momentum=BN_MOMENTUM)
    with torch.no_grad():
        bn.weight.copy_(1 + rnd(3, scale=0.3))
        bn.bias.copy_(rnd(3, scale=0.3))
        bn.running_mean.copy_(rnd(3, scale=0.5))
        bn.running_var.copy_(1 + rnd(3, scale=0.2).abs())
    t["bn.weight"] = bn.weight.detach().clone()
    t["bn.bias"] = bn.bias.detach().clone()
    t["bn.running_mean"] = bn.running_mean.clone()
    t["bn.running_var"] = bn.running_var.clone()
    x = (rnd(4, 3, 5, 6) * torch.tensor([0.5, 2.0, 1.0]).view(1, 3, 1, 1)
         + torch.tensor([1.0, -3.0, 0.2]).view(1, 3, 1, 1)).requires_grad_(True)
    bn.train()
    y = bn(x)
    dy = rnd(*y.shape)
    y.backward(dy)
    t["bn.train.x"] = x.detach().clone()
    t["bn.train.y"] = y.detach()
    t["bn.train.dy"] = dy
    t["bn.train.dx"] = x.grad.detach().clone()
    t["bn.train.dweight"] = bn.weight.grad.detach().clone()
    t["bn.train.dbias"] = bn.bias.grad.detach().clone()
    t["bn.train.running_mean"] = bn.running_mean.clone()
    t["bn.train.running_var"] = bn.running_var.clone()
    # Eval mode uses the running statistics the training call left behind.
    bn.weight.grad = None
    bn.bias.grad = None
    bn.eval()
    x = rnd(2, 3, 5, 6).requires_grad_(True)
    y = bn(x)
    dy = rnd(*y.shape)
    y.backward(dy)
    t["bn.eval.x"] = x.detach().clone()
    t["bn.eval.y"] = y.detach()
    t["bn.eval.dy"] = dy
    t["bn.eval.dx"] = x.grad.detach().clone()
    t["bn.eval.dweight"] = bn.weight.grad.detach().clone()
    t["bn.eval.dbias"] = bn.bias.grad.detach().clone()

    # LSTM(I=6, H=5), T=4, in our clip layout [B*T, I, h, w]. Two cases: 3
    # sequences as batch=3, 1×1 (the model's case at 128×128), and 3 sequences as
    # batch=1, 1×3 (positions of one clip), both from the same x in [T, N, I].
    I, H, T, N = 6, 5, 4, 3
    lstm = nn.LSTM(I, H)
    with torch.no_grad():
        bound = 1 / math.sqrt(H)
        for p in lstm.parameters():
            p.copy_(torch.rand(p.shape, generator=gen) * 2 * bound - bound)
    xs = rnd(T, N, I)
    xs_ = xs.clone().requires_grad_(True)
    ys, _ = lstm(xs_)
    dys = rnd(T, N, H)
    ys.backward(dys)
    assert torch.allclose(ys, lstm_reference(xs, lstm.weight_ih_l0, lstm.weight_hh_l0,
                                             lstm.bias_ih_l0, lstm.bias_hh_l0), atol=1e-6)
    for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        p = getattr(lstm, f"{k}_l0")
        t[f"lstm.{k}"] = p.detach().clone()
        t[f"lstm.d{k}"] = p.grad.detach().clone()

    def to_batch_layout(a):          # [T, N, C] -> [N*T, C, 1, 1], n = b*T + t
        return a.permute(1, 0, 2).reshape(N * T, a.shape[2], 1, 1).contiguous()

    def to_spatial_layout(a):        # [T, N, C] -> [T, C, 1, N]  (batch 1, sequence = x position)
        return a.permute(0, 2, 1).reshape(T, a.shape[2], 1, N).contiguous()

    for prefix, conv in (("lstm.batch", to_batch_layout), ("lstm.spatial", to_spatial_layout)):
        t[f"{prefix}.x"] = conv(xs)
        t[f"{prefix}.y"] = conv(ys.detach())
        t[f"{prefix}.dy"] = conv(dys)
        t[f"{prefix}.dx"] = conv(xs_.grad.detach())
    # Cross-check: ClipLSTM (the generator's, square: input = hidden) matches nn.LSTM in both layouts.
    clip_sq = ClipLSTM(5)
    sq = nn.LSTM(5, 5)
    with torch.no_grad():
        for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
            getattr(clip_sq, k).copy_(getattr(sq, f"{k}_l0"))
    xq = rnd(T, N, 5)
    yq, _ = sq(xq)
    assert torch.allclose(clip_sq(to_batch_layout(xq), N, T), to_batch_layout(yq.detach()), atol=1e-6)
    assert torch.allclose(clip_sq(to_spatial_layout(xq), 1, T), to_spatial_layout(yq.detach()), atol=1e-6)

    # Losses: logits with large magnitudes test BCE's stable form; L1 with exact ties tests sign(0) = 0.
    logits = rnd(2, 1, 3, 3, scale=3.0)
    logits[0, 0, 0, 0] = 40.0
    logits[0, 0, 0, 1] = -40.0
    logits[1, 0, 2, 2] = 0.0
    t["bce.logits"] = logits.clone()
    for target in (1, 0):
        z = logits.clone().requires_grad_(True)
        loss = F.binary_cross_entropy_with_logits(z, torch.full_like(z, float(target)))
        loss.backward()
        t[f"bce.target{target}.loss"] = loss.detach().reshape(1)
        t[f"bce.target{target}.grad"] = z.grad.detach().clone()
    pred = rnd(2, 2, 3, 3)
    target = rnd(2, 2, 3, 3)
    target.view(-1)[::5] = pred.view(-1)[::5]
    p = pred.clone().requires_grad_(True)
    loss = F.l1_loss(p, target)
    loss.backward()
    t["l1.prediction"] = pred
    t["l1.target"] = target
    t["l1.loss"] = loss.detach().reshape(1)
    t["l1.grad"] = p.grad.detach().clone()

    # Adam: one parameter vector, three given gradients (one zero entry, tiny and large ones).
    p0 = rnd(10)
    gs = [rnd(10, scale=s) for s in (1.0, 0.1, 3.0)]
    for g in gs:
        g[3] = 0.0
    gs[1][7] = 1e-9
    param = nn.Parameter(p0.clone())
    opt = torch.optim.Adam([param], **ADAM)
    t["adam.p0"] = p0
    for i, g in enumerate(gs, 1):
        param.grad = g.clone()
        opt.step()
        t[f"adam.g{i}"] = g
        t[f"adam.p{i}"] = param.detach().clone()
    st = opt.state[param]
    t["adam.m3"] = st["exp_avg"].clone()
    t["adam.v3"] = st["exp_avg_sq"].clone()

    # LSTM, mixed layout: batch 2 and 2 positions (1×2) at once, the only layout
    # in which a swapped (batch, position) row order shows. Same weights, new
    # data; drawn last so every tensor above keeps its values.
    B2, P2 = 2, 2
    xm = rnd(T, B2 * P2, I).requires_grad_(True)      # sequence s = b·P2 + p
    lstm.zero_grad()
    ym, _ = lstm(xm)
    dym = rnd(T, B2 * P2, H)
    ym.backward(dym)

    def to_mixed_layout(a):          # [T, B2·P2, C] -> [B2·T, C, 1, P2], n = b·T + t
        return a.reshape(T, B2, P2, a.shape[2]).permute(1, 0, 3, 2).reshape(B2 * T, a.shape[2], 1, P2).contiguous()

    t["lstm.mixed.x"] = to_mixed_layout(xm.detach())
    t["lstm.mixed.y"] = to_mixed_layout(ym.detach())
    t["lstm.mixed.dy"] = to_mixed_layout(dym)
    t["lstm.mixed.dx"] = to_mixed_layout(xm.grad.detach())
    for k in ("weight_ih", "weight_hh", "bias_ih", "bias_hh"):
        t[f"lstm.mixed.d{k}"] = getattr(lstm, f"{k}_l0").grad.detach().clone()
    return t


# ----------------------------------------------------------------------------

def save(tensors, path, meta):
    tensors = {k: v.detach().contiguous().float() for k, v in tensors.items()}
    for k, v in tensors.items():
        assert torch.isfinite(v).all(), k
    save_file(tensors, path, metadata={k: json.dumps(v) for k, v in meta.items()})
    return sum(v.numel() for v in tensors.values())


def keep_in_none_variant(name):
    """The none file drops what the lstm file already proves, to keep the fixtures small (~6 MB).

    Dropped: G.init.*/D.init.* (identical to the lstm file's minus lstm.*),
    step1.G.<trainable> (Adam's first step from the stored init and gradients;
    the lstm file has them, and step3.G.* checks the update after three steps)
    and step3.eval_fake (eval-mode BatchNorm is the same code in both variants).
    step1.G.<running stats> are kept: they check the forward's batch statistics.
    """
    if name.startswith(("G.init.", "D.init.")) or name == "step3.eval_fake":
        return False
    if name.startswith("step1.G.") and not name.startswith("step1.G.grad."):
        return name.endswith(("running_mean", "running_var"))
    return True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default=FIXTURE_DIR)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)

    base, size, batch, time = 4, 128, 2, 3
    config = {"base_width": base, "size": size, "batch": batch, "clip": time,
              "bn_eps": BN_EPS, "bn_momentum": BN_MOMENTUM, "lambda_l1": LAMBDA_L1,
              "adam": {"lr": ADAM["lr"], "beta1": ADAM["betas"][0], "beta2": ADAM["betas"][1], "eps": ADAM["eps"]},
              "torch": torch.__version__}

    L, ab = make_inputs(batch, time, size, seed=20240611)
    n = save({"L": L, "ab": ab}, os.path.join(args.out, "inputs.safetensors"),
             {"config": config, "seed": 20240611,
              "layout": "[B*T, C, H, W], n = b*T + t; L = L*/50 - 1, ab = ab*/110"})
    print(f"inputs: {n} floats")

    gen = torch.Generator().manual_seed(1234)
    G0 = Generator(base, "lstm")
    D0 = Discriminator(base)
    init_weights(G0, gen)
    init_weights(D0, gen)
    init_G, init_D = state(G0), state(D0)

    for variant in ("lstm", "none"):
        torch.manual_seed(0)  # nothing below should draw, but pin it anyway
        t = make_model_fixture(variant, base, L, ab, batch, time, init_G, init_D)
        if variant == "none":
            t = {k: v for k, v in t.items() if keep_in_none_variant(k)}
        meta = {"config": dict(config, temporal=variant), "temporal": variant, "init_seed": 1234,
                "init_from": "model-lstm.safetensors" if variant == "none" else "this file"}
        n = save(t, os.path.join(args.out, f"model-{variant}.safetensors"), meta)
        print(f"model-{variant}: {len(t)} tensors, {n} floats; "
              f"loss_D {[round(t[f'step{s}.loss_D'].item(), 6) for s in (1, 2, 3)]}")

    t = layer_fixtures(seed=42)
    n = save(t, os.path.join(args.out, "layers.safetensors"), {"seed": 42, "torch": torch.__version__})
    print(f"layers: {len(t)} tensors, {n} floats")


if __name__ == "__main__":
    main()
