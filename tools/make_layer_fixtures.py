#!/usr/bin/env python3
"""Writes small PyTorch reference outputs for the LSTM and BatchNorm2d layer tests.

Run by hand (never from CI):  /work/venv/bin/python tools/make_layer_fixtures.py
Output: Tests/NetTests/Fixtures/layers/{lstm,batchnorm}.{json,bin}.
Format: <name>.bin is raw little-endian float32, the tensors one after another;
<name>.json is {"tensors": [{"name", "shape", "offset"}], ...} with offsets in floats.
Activations use vcolor's layout (NCHW, image n = b*time + t for the LSTM), parameters
PyTorch's own layout, and every gradient is d(sum(y * dy))/d(.) for the stored dy.
"""
import json
import os

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(__file__), "..", "Tests", "NetTests", "Fixtures", "layers")


def write(name, tensors, meta):
    os.makedirs(OUT, exist_ok=True)
    entries, blobs, offset = [], [], 0
    for key, t in tensors:
        a = np.ascontiguousarray(t.detach().numpy().astype("<f4"))
        entries.append({"name": key, "shape": list(a.shape), "offset": offset})
        blobs.append(a.tobytes())
        offset += a.size
    with open(os.path.join(OUT, name + ".bin"), "wb") as f:
        f.write(b"".join(blobs))
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump({"tensors": entries, **meta}, f, indent=1)


def lstm_fixture():
    torch.manual_seed(1)
    batch, time, inp, hid, h, w = 2, 4, 3, 5, 1, 2
    lstm = torch.nn.LSTM(inp, hid)
    # vcolor layout [batch*time, I, h, w]; every (b, y, x) is one sequence.
    x = (torch.rand(batch * time, inp, h, w) * 4 - 2).requires_grad_()
    seq = x.view(batch, time, inp, h * w).permute(1, 0, 3, 2).reshape(time, batch * h * w, inp)
    out, _ = lstm(seq)  # [time, batch*h*w, hid], zero initial state
    y = out.view(time, batch, h * w, hid).permute(1, 0, 3, 2).reshape(batch * time, hid, h, w)
    dy = torch.rand(y.shape) * 2 - 1
    (y * dy).sum().backward()
    write("lstm", [
        ("weight_ih", lstm.weight_ih_l0), ("weight_hh", lstm.weight_hh_l0),
        ("bias_ih", lstm.bias_ih_l0), ("bias_hh", lstm.bias_hh_l0),
        ("x", x), ("y", y), ("dy", dy), ("dx", x.grad),
        ("grad_weight_ih", lstm.weight_ih_l0.grad), ("grad_weight_hh", lstm.weight_hh_l0.grad),
        ("grad_bias_ih", lstm.bias_ih_l0.grad), ("grad_bias_hh", lstm.bias_hh_l0.grad),
    ], {"batch": batch, "time": time, "input": inp, "hidden": hid})


def batchnorm_fixture():
    torch.manual_seed(2)
    bn = torch.nn.BatchNorm2d(3)  # eps 1e-5, momentum 0.1
    with torch.no_grad():
        bn.weight.copy_(torch.rand(3) + 0.5)
        bn.bias.copy_(torch.rand(3) - 0.5)
        bn.running_mean.copy_(torch.rand(3) - 0.5)
        bn.running_var.copy_(torch.rand(3) + 0.5)
    weight0, bias0 = bn.weight.detach().clone(), bn.bias.detach().clone()
    mean0, var0 = bn.running_mean.clone(), bn.running_var.clone()
    x = (torch.rand(4, 3, 2, 3) * 3 - 1) * torch.tensor([1.0, 2.0, 0.5]).view(1, 3, 1, 1)
    x.requires_grad_()
    dy = torch.rand(x.shape) * 2 - 1
    bn.train()
    y = bn(x)
    (y * dy).sum().backward()
    train = [("y_train", y), ("dx_train", x.grad), ("grad_weight_train", bn.weight.grad),
             ("grad_bias_train", bn.bias.grad), ("running_mean_after", bn.running_mean.clone()),
             ("running_var_after", bn.running_var.clone())]
    # Evaluation with the updated running statistics.
    bn.eval()
    x.grad = None
    bn.weight.grad = None
    bn.bias.grad = None
    y = bn(x)
    (y * dy).sum().backward()
    write("batchnorm", [
        ("weight", weight0), ("bias", bias0), ("running_mean", mean0), ("running_var", var0),
        ("x", x), ("dy", dy), *train,
        ("y_eval", y), ("dx_eval", x.grad), ("grad_weight_eval", bn.weight.grad),
        ("grad_bias_eval", bn.bias.grad),
    ], {"torch": torch.__version__})


if __name__ == "__main__":
    lstm_fixture()
    batchnorm_fixture()
