#!/bin/sh
# Per-rank step time of `vcolor train` with one rank vs N ranks on this node,
# each rank with one BLAS thread, at the seed configuration (base 64, B=4,
# T=8, 128²), and the share of each step spent in the gradient all-reduce.
#
#   scripts/train-scaling.sh [RANKS=2] [STEPS=4] [VCOLOR=.build/release/vcolor]
#
# Makes a synthetic data set with ffmpeg (testsrc/mandelbrot/life videos),
# trains STEPS steps alone and under mpirun, and prints the median step time
# (the first step, which sizes every buffer, is left out) from metrics.jsonl.
set -eu
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

summary() {  # metrics.jsonl → "median step_s, median allreduce_s" over steps 2…
    grep '"event":"step"' "$1" | grep -v '"step":1,' | sed 's/.*"allreduce_s":\([0-9.e-]*\).*"step_s":\([0-9.e-]*\).*/\2 \1/' |
        sort -n | awk '{ s[NR] = $1; a[NR] = $2 } END { m = int((NR + 1) / 2); printf "%.3f %.3f\n", s[m], a[m] }'
}

common="--data $WORK/data --steps $STEPS --threads 1 --validation-clips 0 --checkpoint-every 100000 --log-level quiet"
rm -rf "$WORK/one" "$WORK/many"
OPENBLAS_NUM_THREADS=1 "$VCOLOR" train $common --run "$WORK/one"
mpirun -np "$RANKS" --oversubscribe --bind-to none -x OPENBLAS_NUM_THREADS=1 "$VCOLOR" train $common --run "$WORK/many"

set -- $(summary "$WORK/one/metrics.jsonl")
one=$1
set -- $(summary "$WORK/many/metrics.jsonl")
many=$1 reduce=$2
awk -v one="$one" -v many="$many" -v reduce="$reduce" -v n="$RANKS" 'BEGIN {
    printf "1 rank : %.2f s/step\n", one
    printf "%d ranks: %.2f s/step per rank (ratio %.2f), all-reduce %.2f s = %.0f%% of the step\n", n, many, many / one, reduce, 100 * reduce / many
}'
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)   (data and runs in $WORK)"
