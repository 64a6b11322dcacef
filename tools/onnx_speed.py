"""Frames per second of an ONNX model written by `vcolor convert` in ONNX
Runtime, on the same shape `vcolor bench` times inference on (B streams of T
frames), with a fixed thread count, for docs/format.md §ONNX:

    python tools/onnx_speed.py MODEL.onnx [--streams 4] [--frames 8] [--threads 1] [--repeats 5]

Prints one JSON line: the median and best frames/s over the repeats (after one warm-up run).
"""
import argparse
import json
import time

import numpy as np
import onnxruntime as ort

parser = argparse.ArgumentParser()
parser.add_argument("model")
parser.add_argument("--streams", type=int, default=4)
parser.add_argument("--frames", type=int, default=8)
parser.add_argument("--threads", type=int, default=1)
parser.add_argument("--repeats", type=int, default=5)
args = parser.parse_args()
options = ort.SessionOptions()
options.intra_op_num_threads = args.threads
options.inter_op_num_threads = 1
session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
inputs = {i.name: i for i in session.get_inputs()}
size = inputs["L"].shape[2]
n = args.streams * args.frames
feed = {"L": np.random.default_rng(1).uniform(-1, 1, (n, 1, size, size)).astype(np.float32)}
if "state_h" in inputs:
    hidden, side = inputs["state_h"].shape[1], inputs["state_h"].shape[2]
    feed["state_h"] = feed["state_c"] = np.zeros((args.streams, hidden, side, side), np.float32)
session.run(None, feed)
rates = []
for _ in range(args.repeats):
    start = time.perf_counter()
    session.run(None, feed)
    rates.append(n / (time.perf_counter() - start))
print(json.dumps({"model": args.model, "threads": args.threads, "frames": n,
                  "median_frames_per_s": float(np.median(rates)), "best_frames_per_s": max(rates)}))
