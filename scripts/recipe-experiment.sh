#!/usr/bin/env bash
# Training recipes compared on held-out real footage: each recipe (a set of
# `vcolor train` options) trained with the same data, seeds and step budget,
# then every model of a seed evaluated in one `vcolor eval` per held-out set,
# beside the grey baseline and the truth.
#
#   scripts/recipe-experiment.sh [options] WORK
#
# WORK is a seed-experiment work directory: its data sets (WORK/data, WORK/heldout,
# WORK/indomain, and WORK/heldout2, the second held-out set, where its footage has
# one) are made first with `scripts/seed-experiment.sh --stop-after prep` when
# missing (passing --footage and --vcolor on); in a WORK made before the second
# set, that makes WORK/heldout2 alone.
#
# Options:
#   --recipe 'NAME=OPTIONS'  a recipe: its name and the `vcolor train` options it adds
#                            (repeatable; default: 'seed=' and 'l1=--gan-weight 0')
#   --temporal "T..."        variants to train (default "lstm none")
#   --steps N                training steps per run (default 300)
#   --base N                 model base width (default 16)
#   --seeds "S..."           seeds (default "1 2")
#   --ranks N                MPI ranks (default 2), one compute thread each
#   --curve K                also keep and evaluate the checkpoints at every STEPS/K steps
#                            (default 1: the final one only): the metrics against steps
#   --footage DIR, --vcolor PATH   as for seed-experiment.sh
#   --out NAME               subdirectory of WORK for the runs and results (default recipes)
# Writes WORK/NAME/runs/RECIPE-T-sSEED, WORK/NAME/eval/SET-sSEED.json (SET: heldout,
# heldout2, indomain), WORK/NAME/summary.md (scripts/recipe-summary.py) and
# WORK/NAME/commands.txt.
# Running it again skips finished runs and evaluations.
set -euo pipefail
shopt -s inherit_errexit

HERE=$(cd "$(dirname "$0")" && pwd)
RECIPES=()
TEMPORAL="lstm none"
STEPS=300
BASE=16
SEEDS="1 2"
RANKS=2
FOOTAGE=""
VCOLOR=""
OUT=recipes
CURVE=1
usage() { sed -n '2,30p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
die() { echo "recipe-experiment: $*" >&2; exit 1; }
while (($#)); do
    case "$1" in
        --recipe) RECIPES+=("$2"); shift 2 ;;
        --temporal) TEMPORAL=$2; shift 2 ;;
        --steps) STEPS=$2; shift 2 ;;
        --base) BASE=$2; shift 2 ;;
        --seeds) SEEDS=$2; shift 2 ;;
        --ranks) RANKS=$2; shift 2 ;;
        --curve) CURVE=$2; shift 2 ;;
        --footage) FOOTAGE=$2; shift 2 ;;
        --vcolor) VCOLOR=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        -h|--help) usage ;;
        -*) echo "recipe-experiment: unknown option $1" >&2; usage 2 >&2 ;;
        *) break ;;
    esac
done
(($# == 1)) || { echo "recipe-experiment: give exactly one work directory" >&2; usage 2 >&2; }
((${#RECIPES[@]})) || RECIPES=("seed=" "l1=--gan-weight 0")
[[ $STEPS =~ ^[1-9][0-9]*$ ]] || die "--steps must be a positive integer, got '$STEPS'"
[[ $BASE =~ ^[1-9][0-9]*$ ]] || die "--base must be a positive integer, got '$BASE'"
[[ $RANKS =~ ^[1-9][0-9]*$ ]] || die "--ranks must be a positive integer, got '$RANKS'"
[[ $CURVE =~ ^[1-9][0-9]*$ ]] && ((STEPS % CURVE == 0)) || die "--curve must be a positive divisor of --steps, got '$CURVE'"
[[ $OUT =~ ^[A-Za-z0-9._-]+$ ]] || die "--out must be a plain name, got '$OUT'"
for s in $SEEDS; do [[ $s =~ ^[0-9]+$ ]] || die "--seeds: '$s' is not a seed"; done
for t in $TEMPORAL; do [[ $t == lstm || $t == none ]] || die "--temporal: '$t' is not lstm or none"; done
for r in "${RECIPES[@]}"; do
    [[ $r == *=* && ${r%%=*} =~ ^[A-Za-z0-9._-]+$ ]] || die "--recipe must be NAME=OPTIONS with a plain NAME, got '$r'"
done
if [[ -z $VCOLOR ]]; then
    VCOLOR=$(command -v vcolor || true)
    [[ -n $VCOLOR ]] || VCOLOR="$HERE/../.build/release/vcolor"
fi
[[ -x $VCOLOR ]] || die "no vcolor binary at '$VCOLOR' (build it or pass --vcolor)"
VCOLOR=$(cd "$(dirname "$VCOLOR")" && pwd)/$(basename "$VCOLOR")
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

WORK=$(mkdir -p "$1" && cd "$1" && pwd)
DIR="$WORK/$OUT"
mkdir -p "$DIR/runs" "$DIR/eval"
COMMANDS="$DIR/commands.txt"
LOG="$DIR/experiment.log"
run() {
    printf '%s  %s\n' "$(date -u +%FT%TZ)" "$*" >>"$COMMANDS"
    "$@"
}
say() { echo "recipe-experiment: $*" | tee -a "$LOG" >&2; }
say "start $(date -u +%FT%TZ): steps=$STEPS curve=$CURVE base=$BASE seeds='$SEEDS' temporal='$TEMPORAL' ranks=$RANKS recipes: ${RECIPES[*]}"

# --- data sets -------------------------------------------------------------------------------
if ! [[ -f $WORK/data/index.json && -f $WORK/heldout/index.json && -f $WORK/indomain/index.json
        && -f $WORK/heldout2/index.json ]]; then
    args=(--vcolor "$VCOLOR" --stop-after prep)
    [[ -n $FOOTAGE ]] && args+=(--footage "$FOOTAGE")
    run "$HERE/seed-experiment.sh" "${args[@]}" "$WORK"
fi

# --- train -----------------------------------------------------------------------------------
MPI=(mpirun --oversubscribe -np "$RANKS")
COMMON=(--data "$WORK/data" --base "$BASE" --batch 4 --clip 8 --threads 1 --validation-clips 0
        --steps "$STEPS" --checkpoint-every $((STEPS / CURVE)) --keep "$CURVE" --log-level info)
for seed in $SEEDS; do
    for r in "${RECIPES[@]}"; do
        name=${r%%=*}
        read -r -a extra <<<"${r#*=}"
        for t in $TEMPORAL; do
            dir="$DIR/runs/$name-$t-s$seed"
            args=("${COMMON[@]}" --run "$dir" --seed "$seed" --temporal "$t" ${extra[@]+"${extra[@]}"})
            if [[ -f $dir/done ]]; then
                # A finished run is reused only if it was trained with these very options.
                [[ $(cat "$dir/options") == "${args[*]}" ]] \
                    || die "$dir was trained with other options ($(cat "$dir/options")); use another --out"
                say "$name-$t-s$seed already finished"
                continue
            fi
            rm -rf "$dir"
            mkdir -p "$dir"
            printf '%s' "${args[*]}" >"$dir/options"
            start=$(date +%s)
            run "${MPI[@]}" "$VCOLOR" train "${args[@]}" >>"$LOG" 2>&1 || die "training $name-$t-s$seed failed (see $LOG)"
            echo $(($(date +%s) - start)) >"$dir/wall_seconds"
            touch "$dir/done"
            say "trained $name-$t-s$seed in $(cat "$dir/wall_seconds") s"
        done
    done
done

# --- eval ------------------------------------------------------------------------------------
for seed in $SEEDS; do
    models=()
    for r in "${RECIPES[@]}"; do
        for t in $TEMPORAL; do
            checkpoints=$(ls "$DIR/runs/${r%%=*}-$t-s$seed"/checkpoints/step-*.h5 | sort | tail -n "$CURVE")
            (($(wc -l <<<"$checkpoints") == CURVE)) || die "${r%%=*}-$t-s$seed has not $CURVE checkpoints"
            while read -r checkpoint; do models+=(--model "$checkpoint"); done <<<"$checkpoints"
        done
    done
    for set in heldout indomain heldout2; do
        [[ -f $WORK/$set/index.json ]] || continue   # no second held-out set in footage of one's own
        out="$DIR/eval/$set-s$seed.json"
        # An evaluation is reused only if it was of these very models.
        [[ -s $out && $(cat "$out.models" 2>/dev/null) == "${models[*]}" ]] && continue
        printf '%s' "${models[*]}" >"$out.models"
        run "$VCOLOR" eval "${models[@]}" --data "$WORK/$set" --split val --json >"$out.partial"
        mv "$out.partial" "$out"
    done
done

run python3 "$HERE/recipe-summary.py" "$DIR" >"$DIR/summary.md.partial"
mv "$DIR/summary.md.partial" "$DIR/summary.md"
say "done $(date -u +%FT%TZ): $DIR/summary.md"
