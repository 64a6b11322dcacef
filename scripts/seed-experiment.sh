#!/usr/bin/env bash
# The seed experiment on real film: does the LSTM at the bottleneck colourise
# held-out real footage better and more steadily than the same network without it?
#
#   scripts/seed-experiment.sh [options] WORK
#
# Stages (each command line is appended to WORK/commands.txt before it runs):
#   1. fetch    scripts/fetch-footage.sh WORK/footage (or --footage DIR: any folder
#               with a footage.tsv in that format; a WORK split before keeps the
#               folder its split.tsv names). The second held-out set is the footage
#               folder's heldout2.tsv; a folder fetched before there was one gets it
#               in WORK/footage-heldout2 (`fetch-footage.sh --heldout2-only`), a
#               folder of your own (no .packages/) goes without
#   2. split    by video: the --holdout real videos are held out whole (the honest
#               test); every other real video is cut at (1 − --tail) of its frames,
#               the head for training, the tail held out (in-domain); photo-pan and
#               animation clips are training data. WORK/split.tsv lists every input.
#   3. prep     three data sets, each input labelled with its kind in index.json
#               (`--label real=…`): WORK/data (training; no validation split),
#               WORK/heldout and WORK/indomain (all validation); and WORK/heldout2
#               (all validation) from the second held-out set where there is one
#   4. train    for each seed, --temporal lstm then none: same seed, data order and
#               step budget, `mpirun -np RANKS vcolor train`, wall time logged
#   5. eval     `vcolor eval --json` of both models (and the grey baseline where
#               eval has it) on each held-out set (heldout2 too), per seed
#   6. report   WORK/summary.md (mean ± spread over seeds, both sets, data amounts,
#               budget, wall times) and, where vcolor has it, `vcolor report` pages
#
# Options:
#   --budget N        training steps per run (default 600); or Nmin: minutes for the
#                     whole training stage, turned into steps from a 3-step timing
#                     of each variant
#   --full            the full seed scale instead: 50 epochs at base 64
#                     (expected time: docs/results.md)
#   --seeds "S..."    seeds (default "1 2")
#   --base N          model base width (default 32)
#   --ranks N         MPI ranks (default 2), one compute thread each
#   --holdout "F..."  real videos held out whole (default "tree.avi cup.mp4 carphone.mp4")
#   --tail F          fraction of each training real video held out at its end (0.2)
#   --footage DIR     use this footage folder instead of fetching
#   --vcolor PATH     the vcolor binary (default: vcolor on PATH, else .build/release/vcolor)
#   --stop-after S    stop after stage S (fetch, split, prep, train, eval)
# Running it again in the same WORK reuses the footage, the split and the data
# sets, and skips runs whose final checkpoint exists; in a WORK made before the
# second held-out set, it adds WORK/heldout2 and its evaluations and redoes nothing.
set -euo pipefail
shopt -s inherit_errexit

HERE=$(cd "$(dirname "$0")" && pwd)
BUDGET=600
FULL=0
SEEDS="1 2"
BASE=32
RANKS=2
HOLDOUT="tree.avi cup.mp4 carphone.mp4"
TAIL=0.2
FOOTAGE=""
VCOLOR=""
STOP_AFTER=""
usage() { sed -n '2,49p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
die() { echo "seed-experiment: $*" >&2; exit 1; }
while (($#)); do
    case "$1" in
        --budget) BUDGET=$2; shift 2 ;;
        --full) FULL=1; shift ;;
        --seeds) SEEDS=$2; shift 2 ;;
        --base) BASE=$2; shift 2 ;;
        --ranks) RANKS=$2; shift 2 ;;
        --holdout) HOLDOUT=$2; shift 2 ;;
        --tail) TAIL=$2; shift 2 ;;
        --footage) FOOTAGE=$2; shift 2 ;;
        --vcolor) VCOLOR=$2; shift 2 ;;
        --stop-after) STOP_AFTER=$2; shift 2 ;;
        -h|--help) usage ;;
        -*) echo "seed-experiment: unknown option $1" >&2; usage 2 >&2 ;;
        *) break ;;
    esac
done
(($# == 1)) || { echo "seed-experiment: give exactly one work directory" >&2; usage 2 >&2; }
[[ $BUDGET =~ ^[1-9][0-9]*(min)?$ ]] || die "--budget must be a number of steps or of minutes (e.g. 600 or 90min), got '$BUDGET'"
[[ $BASE =~ ^[1-9][0-9]*$ ]] || die "--base must be a positive integer, got '$BASE'"
[[ $RANKS =~ ^[1-9][0-9]*$ ]] || die "--ranks must be a positive integer, got '$RANKS'"
[[ -n ${SEEDS// /} ]] || die "--seeds is empty"
for s in $SEEDS; do [[ $s =~ ^[0-9]+$ ]] || die "--seeds: '$s' is not a seed"; done
awk -v t="$TAIL" 'BEGIN { exit !(t > 0 && t < 1) }' || die "--tail must be between 0 and 1, got '$TAIL'"
case "$STOP_AFTER" in ""|fetch|split|prep|train|eval) ;; *) die "--stop-after must be fetch, split, prep, train or eval" ;; esac
((FULL)) && BASE=64

if [[ -z $VCOLOR ]]; then
    VCOLOR=$(command -v vcolor || true)
    [[ -n $VCOLOR ]] || VCOLOR="$HERE/../.build/release/vcolor"
fi
[[ -x $VCOLOR ]] || die "no vcolor binary at '$VCOLOR' (build it or pass --vcolor)"
VCOLOR=$(cd "$(dirname "$VCOLOR")" && pwd)/$(basename "$VCOLOR")
for tool in ffmpeg ffprobe mpirun python3; do command -v "$tool" >/dev/null || die "$tool is not installed"; done
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

WORK=$(mkdir -p "$1" && cd "$1" && pwd)
COMMANDS="$WORK/commands.txt"
LOG="$WORK/experiment.log"
# run CMD...: log the command line (to commands.txt, with the time) and run it.
run() {
    printf '%s  %s\n' "$(date -u +%FT%TZ)" "$*" >>"$COMMANDS"
    "$@"
}
say() { echo "seed-experiment: $*" | tee -a "$LOG" >&2; }
stop_after() { [[ $STOP_AFTER == "$1" ]] && { say "stopped after $1"; exit 0; }; return 0; }
say "start $(date -u +%FT%TZ): budget=$BUDGET full=$FULL seeds='$SEEDS' base=$BASE ranks=$RANKS vcolor=$VCOLOR"

# complete SET: WORK/SET is a data set prep finished.
complete() { [[ -f $WORK/$1/index.json ]] && grep -q '"complete" *: *true' "$WORK/$1/index.json"; }

# --- 1. fetch ------------------------------------------------------------------------------
SPLIT="$WORK/split.tsv"
if [[ -z $FOOTAGE && -f $SPLIT ]]; then
    # Split before: the footage is where the split found it (a held-out input less its path in the folder).
    FOOTAGE=$(awk -F'\t' 'NR > 1 && $3 == "heldout" { print substr($1, 1, length($1) - length($5) - 1); exit }' "$SPLIT")
fi
if [[ -z $FOOTAGE ]]; then
    FOOTAGE="$WORK/footage"
    [[ -f $FOOTAGE/footage.tsv ]] || run "$HERE/fetch-footage.sh" "$FOOTAGE"
fi
FOOTAGE=$(cd "$FOOTAGE" && pwd)
[[ -f $FOOTAGE/footage.tsv ]] || die "$FOOTAGE/footage.tsv: no such file (make it with scripts/fetch-footage.sh)"
HELDOUT2=""   # the folder whose heldout2.tsv lists the second held-out set, if any
if [[ -f $FOOTAGE/heldout2.tsv ]]; then
    HELDOUT2=$FOOTAGE
elif [[ -f $WORK/footage-heldout2/heldout2.tsv ]]; then
    HELDOUT2="$WORK/footage-heldout2"
elif ! complete heldout2 && [[ -d $FOOTAGE/.packages ]]; then
    # Fetched before the second set existed: fetch it beside, leaving that folder as it is.
    run "$HERE/fetch-footage.sh" --heldout2-only "$WORK/footage-heldout2"
    HELDOUT2="$WORK/footage-heldout2"
fi
[[ -n $HELDOUT2 ]] || complete heldout2 || say "$FOOTAGE has no heldout2.tsv: no second held-out set"
stop_after fetch

# --- 2. split by video -----------------------------------------------------------------------
CUTS="$WORK/cut"
if [[ ! -f $SPLIT ]]; then
    mkdir -p "$CUTS"
    printf 'input\tkind\trole\tframes\tsource\n' >"$SPLIT.partial"
    for h in $HOLDOUT; do
        awk -F'\t' -v h="$h" 'NR > 1 && $2 == "real" { n = split($1, p, "/"); if (p[n] == h) found = 1 } END { exit !found }' \
            "$FOOTAGE/footage.tsv" || die "--holdout: $h is not a real video in $FOOTAGE/footage.tsv"
    done
    while IFS=$'\t' read -r file kind _ _ _ _ _ frames _; do
        name=$(basename "$file")
        if [[ $kind == real && " $HOLDOUT " == *" $name "* ]]; then
            printf '%s\t%s\theldout\t%s\t%s\n' "$FOOTAGE/$file" "$kind" "$frames" "$file" >>"$SPLIT.partial"
        elif [[ $kind == real ]]; then
            # Frame-exact cut, stored losslessly (FFV1) so the frames are the decoded originals.
            head=$(awk -v n="$frames" -v t="$TAIL" 'BEGIN { printf "%d", n - int(n * t + 0.5) }')
            stem=${name%.*}
            run ffmpeg -nostdin -v error -y -i "$FOOTAGE/$file" -an \
                -vf "trim=end_frame=$head,setpts=PTS-STARTPTS" -c:v ffv1 "$CUTS/$stem-head.mkv"
            run ffmpeg -nostdin -v error -y -i "$FOOTAGE/$file" -an \
                -vf "trim=start_frame=$head,setpts=PTS-STARTPTS" -c:v ffv1 "$CUTS/$stem-tail.mkv"
            printf '%s\t%s\ttrain\t%s\t%s\n' "$CUTS/$stem-head.mkv" "$kind" "$head" "$file" >>"$SPLIT.partial"
            printf '%s\t%s\tindomain\t%s\t%s\n' "$CUTS/$stem-tail.mkv" "$kind" "$((frames - head))" "$file" >>"$SPLIT.partial"
        else
            printf '%s\t%s\ttrain\t%s\t%s\n' "$FOOTAGE/$file" "$kind" "$frames" "$file" >>"$SPLIT.partial"
        fi
    done < <(tail -n +2 "$FOOTAGE/footage.tsv")
    mv "$SPLIT.partial" "$SPLIT"
fi
role() { awk -F'\t' -v r="$1" 'NR > 1 && $3 == r { print $1 "\t" $2 }' "$SPLIT"; }   # "INPUT<tab>KIND" lines
for r in train heldout indomain; do
    [[ -n $(role "$r") ]] || die "the split has no $r inputs (see $SPLIT)"
done
stop_after split

# --- 3. prep ---------------------------------------------------------------------------------
# prep DIR VAL_FRACTION < lines "INPUT<tab>KIND": every input labelled with its kind
# (real, photo-pan, animation) in index.json.
prep() {
    local list=() labels=() input kind
    while IFS=$'\t' read -r input kind; do list+=("$input"); labels+=("--label=$kind=$input"); done
    complete "$1" && return 0
    run "$VCOLOR" prep "${list[@]}" "${labels[@]}" --out "$WORK/$1" --val-fraction "$2" >>"$LOG" </dev/null
}
prep data 0 < <(role train)
prep heldout 1 < <(role heldout)
prep indomain 1 < <(role indomain)
if [[ -n $HELDOUT2 ]]; then
    prep heldout2 1 < <(awk -F'\t' -v d="$HELDOUT2" 'NR > 1 { print d "/" $1 "\t" $2 }' "$HELDOUT2/heldout2.tsv")
fi
# The held-out sets this WORK has: heldout, indomain, and heldout2 where made.
SETS="heldout indomain"
complete heldout2 && SETS+=" heldout2"
stop_after prep

# --- 4. train --------------------------------------------------------------------------------
TRAIN_COMMON=(--data "$WORK/data" --base "$BASE" --batch 4 --clip 8 --threads 1 --validation-clips 0 --log-level info)
MPI=(mpirun --oversubscribe -np "$RANKS")
train_frames=$(awk -F'\t' 'NR > 1 && $3 == "train" { s += $4 } END { print s }' "$SPLIT")
if ((FULL)); then
    STEPS_ARGS=(--epochs 50)
    say "full seed scale: 50 epochs at base 64"
elif [[ $BUDGET == *min ]]; then
    # Time three steps of each variant and share the minutes between the runs.
    minutes=${BUDGET%min}
    per_step=0
    for t in lstm none; do
        rm -rf "$WORK/calibrate-$t"
        run "${MPI[@]}" "$VCOLOR" train "${TRAIN_COMMON[@]}" --run "$WORK/calibrate-$t" --steps 3 \
            --seed 1 --temporal "$t" --checkpoint-every 1000000 >>"$LOG" 2>&1
        s=$(PYTHONPATH="$HERE" python3 -c 'import sys
from metrics_log import STEP_S, steps
rows = steps(sys.argv[1])
ts = sorted(r[STEP_S] for r in rows[1:] or rows); print(ts[len(ts) // 2])' "$WORK/calibrate-$t")
        per_step=$(awk -v a="$per_step" -v b="$s" 'BEGIN { print a + b }')
    done
    nseeds=$(wc -w <<<"$SEEDS")
    steps=$(awk -v m="$minutes" -v p="$per_step" -v n="$nseeds" 'BEGIN { s = int(m * 60 / (p * n)); print (s < 1 ? 1 : s) }')
    say "budget ${minutes} min: $per_step s for a step of both variants → $steps steps per run"
    STEPS_ARGS=(--steps "$steps")
else
    STEPS_ARGS=(--steps "$BUDGET")
fi
mkdir -p "$WORK/runs"
for seed in $SEEDS; do
    for t in lstm none; do
        dir="$WORK/runs/$t-s$seed"
        if [[ -f $dir/done ]]; then say "run $t-s$seed already finished"; continue; fi
        rm -rf "$dir"
        say "train $t seed $seed"
        start=$(date +%s)
        run "${MPI[@]}" "$VCOLOR" train "${TRAIN_COMMON[@]}" --run "$dir" "${STEPS_ARGS[@]}" \
            --seed "$seed" --temporal "$t" --checkpoint-every 250 --keep 2 >>"$LOG" 2>&1
        wall=$(($(date +%s) - start))
        echo "$wall" >"$dir/wall_seconds"
        touch "$dir/done"
        say "train $t seed $seed: ${wall} s"
    done
done
stop_after train

# --- 5. eval ---------------------------------------------------------------------------------
newest() { ls "$1"/checkpoints/step-*.h5 | sort | tail -n1; }
mkdir -p "$WORK/eval"
for seed in $SEEDS; do
    for set in $SETS; do
        out="$WORK/eval/$set-s$seed.json"
        [[ -s $out ]] && continue
        run "$VCOLOR" eval --model "$(newest "$WORK/runs/lstm-s$seed")" --model "$(newest "$WORK/runs/none-s$seed")" \
            --data "$WORK/$set" --split val --json >"$out.partial"
        mv "$out.partial" "$out"
    done
done
stop_after eval

# --- 6. report -------------------------------------------------------------------------------
run python3 "$HERE/experiment-summary.py" "$WORK" --seeds $SEEDS >"$WORK/summary.md.partial"
mv "$WORK/summary.md.partial" "$WORK/summary.md"
if "$VCOLOR" --help | grep -q "^ *report "; then
    first=${SEEDS%% *}
    for set in $SETS; do
        run "$VCOLOR" report "$WORK"/runs/*-s"$first" --eval "$WORK/eval/$set-s$first.json" --out "$WORK/report-$set.html"
    done
else
    say "this vcolor has no report command: only summary.md was written"
fi
say "done $(date -u +%FT%TZ): $WORK/summary.md"
