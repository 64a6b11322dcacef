"""Runs an ONNX model written by `vcolor convert` in ONNX Runtime, as the
export tests (Tests/ExportTests) ask: the ONNX checker's full check first, then
a list of calls that carry the LSTM state from one call to the next unless
told to start from zeros (a new shot).

    python tools/onnx_run.py SPEC.json

SPEC: {"model": PATH, "frames": PATH of float32 [F, 1, S, S], "size": S,
       "calls": [{"first": i, "count": n, "streams": b, "reset": true}, ...],
       "output": PATH, "threads": 1}
A call feeds frames first..first+n-1 as n = b·T frames (stream-major) with
state [b, H, s, s]; the outputs ab of all calls are written to "output" as
float32 in call order. Prints one JSON line: opset, ONNX Runtime's version, the
checker's verdict.
"""
import json
import sys

import numpy as np
import onnx
import onnxruntime as ort

spec = json.load(open(sys.argv[1]))
model = onnx.load(spec["model"])
onnx.checker.check_model(model, full_check=True)
options = ort.SessionOptions()
options.intra_op_num_threads = spec.get("threads", 1)
session = ort.InferenceSession(spec["model"], options, providers=["CPUExecutionProvider"])
inputs = {i.name: i for i in session.get_inputs()}
size = spec["size"]
frames = np.fromfile(spec["frames"], dtype=np.float32).reshape(-1, 1, size, size)
state = None
outputs = []
for call in spec["calls"]:
    feed = {"L": frames[call["first"]:call["first"] + call["count"]]}
    if "state_h" in inputs:
        hidden, side = inputs["state_h"].shape[1], inputs["state_h"].shape[2]
        if call["reset"] or state is None:
            zeros = np.zeros((call["streams"], hidden, side, side), dtype=np.float32)
            state = (zeros, zeros)
        feed["state_h"], feed["state_c"] = state
        ab, h, c = session.run(["ab", "state_h_out", "state_c_out"], feed)
        state = (h, c)
    else:
        (ab,) = session.run(["ab"], feed)
    outputs.append(ab)
np.concatenate(outputs).astype(np.float32).tofile(spec["output"])
print(json.dumps({"opset": [o.version for o in model.opset_import], "onnxruntime": ort.__version__,
                  "checker": "full check passed"}))
