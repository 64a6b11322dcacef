#!/bin/sh
# Per-rank step time of `vcolor train` with one rank vs N ranks on this node,
# each rank with one BLAS thread, at the seed configuration (base 64, B=4,
# T=8, 128²), and the share of each step spent in the gradient all-reduce.
#
#   scripts/train-scaling.sh [RANKS=2] [STEPS=4] [VCOLOR=.build/release/vcolor]
#   scripts/train-scaling.sh tcp [STEPS=4] [VCOLOR=.build/release/vcolor]   (root)
#
# Makes a synthetic data set with ffmpeg (testsrc/mandelbrot/life videos),
# trains STEPS steps alone and under mpirun, and prints the median step time
# (the first step, which sizes every buffer, is left out) from metrics.jsonl.
# BUCKET_MB=0 averages G's gradients in one blocking all-reduce after its
# backward instead of in buckets overlapped with it (default 25).
#
# `tcp`: 2 hosts x 1 rank of cluster/testbed.sh (network namespaces, TCP
# only) on unshaped links and on links shaped to 10 Gb/s and 1 Gb/s; per
# shape, blocking vs 25 MB buckets and fp32 vs bf16 averaging. Prints one
# markdown row per run: per-rank s/step, ratio to 1 rank alone, exposed
# all-reduce s (and % of the step), and the bytes host 2 sends per step
# (its link's counter, from a STEPS run less a 1-step run, / (STEPS-1)).
# SHAPES="none 10gbit 1gbit" and MODES="0:fp32 0:bf16 25:fp32 25:bf16"
# (bucket MB:precision[:progress-us], e.g. 25:fp32:0 for buckets advanced
# only between blocks) choose the runs. EXTRA_ARGS is appended to every
# train command (e.g. EXTRA_ARGS="--base 8" for a quick check that it runs).
set -eu
TRANSPORT=shm
if [ "${1:-}" = tcp ]; then TRANSPORT=tcp; shift; set -- 2 "$@"; fi
RANKS=${1:-2}
STEPS=${2:-4}
VCOLOR=${3:-.build/release/vcolor}
WORK=${WORK:-$(mktemp -d /tmp/vcolor-scaling.XXXXXX)}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1

mkdir -p "$WORK/videos"
i=0
for src in testsrc testsrc2 mandelbrot life rgbtestsrc smptebars; do
    ffmpeg -loglevel error -y -f lavfi -i "$src=size=160x128:rate=25" -t 6 "$WORK/videos/$i-$src.mp4"
    i=$((i + 1))
done
[ -f "$WORK/data/index.json" ] || "$VCOLOR" prep "$WORK/videos" --out "$WORK/data" --val-fraction 0 --cut-threshold 2 >/dev/null

SCRIPTS=$(cd "$(dirname "$0")" && pwd)
summary() {  # metrics.jsonl → "median step_s, its allreduce_s" over steps 2…
    PYTHONPATH="$SCRIPTS" python3 -c 'import sys
from metrics_log import ALLREDUCE_S, STEP, STEP_S, steps
rows = sorted((r for r in steps(sys.argv[1]) if r[STEP] != 1), key=lambda r: r[STEP_S])
m = rows[(len(rows) + 1) // 2 - 1]
print(f"{m[STEP_S]:.3f} {m[ALLREDUCE_S]:.3f}")' "$1"
}

common="--data $WORK/data --steps $STEPS --threads 1 --validation-clips 0 --checkpoint-every 100000 --log-level quiet ${EXTRA_ARGS:-}"
rm -rf "$WORK/one" "$WORK/many"
OPENBLAS_NUM_THREADS=1 "$VCOLOR" train $common --run "$WORK/one"

if [ "$TRANSPORT" = tcp ]; then
    [ "$STEPS" -ge 2 ] || { echo "train-scaling.sh tcp: STEPS must be at least 2" >&2; exit 2; }
    here=$(cd "$(dirname "$0")/.." && pwd)
    case "$VCOLOR" in /*) ;; *) VCOLOR="$PWD/$VCOLOR" ;; esac
    export VCOLOR_TESTBED=vcscale
    trap '"$here/cluster/testbed.sh" down' EXIT INT TERM
    "$here/cluster/testbed.sh" down
    set -- $(summary "$WORK/one/metrics.jsonl")
    one=$1
    echo "1 rank alone: $one s/step"
    echo "| link | G averaging | wire | s/step per rank | ratio | exposed all-reduce | MB sent per step |"
    echo "|---|---|---|---|---|---|---|"
    tcp_train() {  # tcp_train RUN STEPS BUCKET PRECISION PROGRESS: 2 hosts x 1 rank; prints host 2's bytes sent
        before=$("$here/cluster/testbed.sh" bytes 2)
        "$here/cluster/testbed.sh" run 1 -- sh -c 'exec "$0" -H "$VCOLOR_TESTBED_HOSTFILE" "$@"' "$here/cluster/launch.sh" \
            -t -N -c 1 -i 198.18.0.0/24 -b "$VCOLOR" -- train $common --steps "$2" --run "$1" \
            --bucket-mb "$3" --allreduce-precision "$4" --progress-us "$5" >&2
        echo $(( $("$here/cluster/testbed.sh" bytes 2) - before ))
    }
    for shape in ${SHAPES:-none 10gbit 1gbit}; do
        if [ "$shape" = none ]; then "$here/cluster/testbed.sh" up 2 >&2; else "$here/cluster/testbed.sh" up 2 --rate "$shape" >&2; fi
        for mode in ${MODES:-0:fp32 25:fp32 0:bf16 25:bf16}; do
            bucket=${mode%%:*} rest=${mode#*:}
            precision=${rest%%:*} progress=1000
            [ "$rest" != "$precision" ] && progress=${rest#*:}
            run="$WORK/tcp-$shape-$bucket-$precision-$progress"
            rm -rf "$run" "$run-1"
            first=$(tcp_train "$run-1" 1 "$bucket" "$precision" "$progress")
            all=$(tcp_train "$run" "$STEPS" "$bucket" "$precision" "$progress")
            set -- $(summary "$run/metrics.jsonl")
            awk  -v shape="$shape" -v bucket="$bucket" -v p="$precision" -v progress="$progress" -v one="$one" -v many="$1" -v reduce="$2" \
                -v bytes="$(( (all - first) / (STEPS - 1) ))" 'BEGIN {
                printf "| %s | %s | %s | %.2f | %.2f | %.2f s (%.0f%%) | %.1f |\n", shape == "none" ? "unshaped" : shape,
                    bucket == 0 ? "blocking" : bucket " MB buckets" (progress == 0 ? ", no progress thread" : ""), p, many, many / one, reduce, 100 * reduce / many, bytes / 1e6
            }'
        done
        "$here/cluster/testbed.sh" down
    done
    echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)   (data and runs in $WORK)"
    exit 0
fi
mpirun -np "$RANKS" --oversubscribe --bind-to none -x OPENBLAS_NUM_THREADS=1 "$VCOLOR" train $common --run "$WORK/many" --bucket-mb "${BUCKET_MB:-25}"

set -- $(summary "$WORK/one/metrics.jsonl")
one=$1
set -- $(summary "$WORK/many/metrics.jsonl")
many=$1 reduce=$2
awk -v one="$one" -v many="$many" -v reduce="$reduce" -v n="$RANKS" 'BEGIN {
    printf "1 rank : %.2f s/step\n", one
    printf "%d ranks: %.2f s/step per rank (ratio %.2f), all-reduce %.2f s = %.0f%% of the step\n", n, many, many / one, reduce, 100 * reduce / many
}'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)   (data and runs in $WORK)"
