"""The keys of RUN/metrics.jsonl, a training run's record (one JSON object per
line, one line per event), for the scripts that read it.

The keys are defined in Sources/Storage/MetricsLog.swift and documented in
docs/training.md §Run directory; Tests/StorageTests/MetricsLogKeyTests.swift
holds this list to both. Import it from a script in scripts/ (its folder is on
the path): `from metrics_log import LOSS_G_L1, steps`.
"""
import json
import os

FILE_NAME = "metrics.jsonl"

# Events (the value of EVENT).
STEP_EVENT = "step"
VALIDATION_EVENT = "validation"
CHECKPOINT_EVENT = "checkpoint"

# Every event.
EVENT = "event"
STEP = "step"
TIME = "time"
# Step and validation events.
EPOCH = "epoch"
# Step events.
LOSS_D = "loss_d"
LOSS_G = "loss_g"
LOSS_G_GAN = "loss_g_gan"
LOSS_G_L1 = "loss_g_l1"
STEP_S = "step_s"
ALLREDUCE_S = "allreduce_s"
FRAMES_PER_S = "frames_per_s"
RANKS = "ranks"
ACCUMULATE = "accumulate"
LR = "lr"
RANK_COMPUTE_S = "rank_compute_s"
SLOWEST_RANK = "slowest_rank"
# Validation events.
VAL_L1 = "val_l1"
VAL_PSNR = "val_psnr"
CLIPS = "clips"
# Checkpoint events.
PATH = "path"


def steps(run):
    """The step events of a run directory (or of its metrics.jsonl), in step
    order. A resumed run logs the steps after its checkpoint again: the newer
    line wins, as in `vcolor report`. A line cut short by a crash is skipped."""
    path = run if run.endswith(FILE_NAME) else os.path.join(run, FILE_NAME)
    by_step = {}
    with open(path) as f:
        for line in f:
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if row.get(EVENT) == STEP_EVENT:
                by_step[row[STEP]] = row
    return [by_step[s] for s in sorted(by_step)]
