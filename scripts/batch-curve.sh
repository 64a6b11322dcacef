#!/bin/sh
# One run of the statistical-efficiency curve (docs/training.md §The
# statistical-efficiency curve): train one process at global batch
# G = 4 × K (`--batch 4 --accumulate K`, which trains exactly as K ranks of
# --batch 4 would) with a learning-rate rule, keep a checkpoint every CLIPS
# training clips, and score every checkpoint on the data set's validation
# split with `vcolor eval` (or EVAL_DATA's: a fixed held-out set).
#
#   scripts/batch-curve.sh DATA OUT G RULE SEED [BUDGET_CLIPS=9600]
#
# DATA: a data set made by `vcolor prep` with a validation split.
# OUT/G<G>-<RULE>-s<SEED>/ gets the run, and eval/step-N.json per checkpoint.
# Checkpoints fall every CLIPS (384) clips, so runs at every G are scored
# at the same numbers of clips seen (384 is 4·96 = 128·3). The configuration
# (base 8, T = 4, one thread) is chosen so that the whole curve fits a
# 2-core machine; BASE, CLIP, THREADS, EVAL_FRAMES and EXTRA (appended to
# the train command) change it. VCOLOR is the binary (default
# .build/release/vcolor). With TARGET set, each checkpoint is scored as it
# appears and training stops (SIGTERM: a clean stop) once the run reaches
# it by batch-curve.py's rule (the mean validation a*b* error of the last 3
# checkpoints at or below TARGET), so a run costs only what it needs.
set -eu
DATA=$1 OUT=$2 G=$3 RULE=$4 SEED=$5 BUDGET=${6:-9600}
VCOLOR=${VCOLOR:-.build/release/vcolor}
BASE=${BASE:-8} CLIP=${CLIP:-4} THREADS=${THREADS:-1} CLIPS=${CLIPS:-384}
EVAL_FRAMES=${EVAL_FRAMES:-1024} EVAL_DATA=${EVAL_DATA:-$DATA}
[ $((G % 4)) -eq 0 ] || { echo "batch-curve: G=$G is not a multiple of 4" >&2; exit 2; }
K=$((G / 4))
[ $((CLIPS % G)) -eq 0 ] || { echo "batch-curve: $CLIPS clips is not a whole number of steps at G=$G" >&2; exit 2; }
EVERY=$((CLIPS / G))
STEPS=$((BUDGET / G))
RUN=$OUT/G$G-$RULE-s$SEED
mkdir -p "$RUN/eval"
set -- train --data "$DATA" --run "$RUN/run" --steps "$STEPS" --batch 4 \
    --accumulate "$K" --lr-scaling "$RULE" --clip "$CLIP" --base "$BASE" \
    --seed "$SEED" --threads "$THREADS" --checkpoint-every "$EVERY" --keep 0 \
    --validation-clips 0 --log-level quiet ${EXTRA:-}
[ -d "$RUN/run/checkpoints" ] && set -- "$@" --resume
echo "$(date -u +%FT%TZ)  $VCOLOR $* ${TARGET:+(stopping at a*b* error <= $TARGET)}" >> "$RUN/commands.txt"

# Scores every checkpoint not yet scored; exit status 0 once one reaches TARGET.
score() {
    for ckpt in "$RUN"/run/checkpoints/step-*.h5; do
        [ -e "$ckpt" ] || continue
        name=$(basename "$ckpt" .h5)
        if [ ! -s "$RUN/eval/$name.json" ]; then
            "$VCOLOR" eval --model "$ckpt" --data "$EVAL_DATA" --max-frames "$EVAL_FRAMES" \
                --threads "$THREADS" --json --log-level quiet > "$RUN/eval/$name.json.tmp"
            mv "$RUN/eval/$name.json.tmp" "$RUN/eval/$name.json"
        fi
    done
    [ -n "${TARGET:-}" ] && python3 "$(dirname "$0")/batch-curve.py" --reached "$RUN" --target "$TARGET"
}

if [ -n "${TARGET:-}" ] && score; then exit 0; fi
"$VCOLOR" "$@" &
train=$!
if [ -n "${TARGET:-}" ]; then
    while kill -0 "$train" 2>/dev/null; do
        sleep 5
        # A checkpoint is complete once its name appears (written under a temporary name, then renamed).
        if score; then kill -TERM "$train"; break; fi
    done
fi
wait "$train" || true
score || true
echo "$(date -u +%FT%TZ)  eval of every checkpoint: --data $EVAL_DATA --max-frames $EVAL_FRAMES" >> "$RUN/commands.txt"
