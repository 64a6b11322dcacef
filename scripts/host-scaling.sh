#!/bin/sh
# Step time of `vcolor train` on 1, 2, 3 and 4 hosts of cluster/testbed.sh
# (one rank a host, TCP only, links shaped with tc), every host given the same
# share of the CPU (`testbed.sh up --cpus`), so that each host is a machine of
# CPUS cores whatever the number of hosts: the figures for scripts/scaling-model.py
# and docs/cluster.md §How far it scales.
#
#   scripts/host-scaling.sh OUT [seed|tiny] [VCOLOR=.build/release/vcolor]   (root)
#
# seed: the seed configuration (base 64, B = 4, T = 8, 128², one thread a rank).
# tiny: a communication-bound one (base 16, B = 1, T = 2: ~1.5 GFLOP of compute
#       a step against an 11 MB gradient).
# doctor: no training: `vcolor doctor`'s timed all-reduce (median of 5) of
#       MEGABYTES="25 100" on 2…4 hosts, the collectives alone.
# Environment: REPO (the checkout whose cluster/ to use, for a copy of this script), HOSTS="1 2 3 4", LINKS="1gbit 10gbit", WIRES="fp32 bf16",
# CPUS=0.45 (CPUs a host), STEPS (6 seed, 30 tiny), REPEATS=1, RING_HOSTS="3"
# (host counts also run with libnbc's ring all-reduce, wire "fp32:ring" and
# "bf16:ring", instead of the reduce-scatter + allgather vcolor asks for,
# which folds a host count that is not a power of two onto the next lower one).
# Runs go to OUT/runs/CONFIG-LINK-HOSTSh-WIRE-rREPEAT (each with its
# metrics.jsonl); OUT/results.jsonl gets one line a run: median step_s and
# allreduce_s over steps 2…, the median compute time of each rank, the
# host's CPU seconds and, for 2+ hosts, the bytes host 2 sent per step (from
# its link's counter over the run less a 1-step run: tiny only, where that is cheap).
# The 1-host run is `vcolor train` alone on host 1, no mpirun. Configurations
# alternate within a repeat (link by link, hosts and wires interleaved), so
# slow drift of the machine spreads over all of them.
set -eu
OUT=${1:?usage: scripts/host-scaling.sh OUT [seed|tiny] [VCOLOR]}
CONFIG=${2:-seed}
VCOLOR=${3:-.build/release/vcolor}
case "$VCOLOR" in /*) ;; *) VCOLOR="$PWD/$VCOLOR" ;; esac
here=${REPO:-$(cd "$(dirname "$0")/.." && pwd)}   # REPO: where cluster/ is, when this script runs from a copy
case "$CONFIG" in
    seed) model="--base 64 --batch 4 --clip 8"; steps=${STEPS:-6} ;;
    tiny) model="--base 16 --batch 1 --clip 2"; steps=${STEPS:-30} ;;
    doctor) model=""; steps=0 ;;
    *) echo "host-scaling.sh: CONFIG is seed, tiny or doctor, got '$CONFIG'" >&2; exit 2 ;;
esac
case "$CONFIG:$steps" in
    doctor:*) ;;
    *:[0-9]|*:[0-9]*[0-9]) [ "$steps" -ge 3 ] 2>/dev/null || { echo "host-scaling.sh: STEPS must be a number of at least 3 (step 1 is left out), got '$steps'" >&2; exit 2; } ;;
    *) echo "host-scaling.sh: STEPS must be a number, got '$steps'" >&2; exit 2 ;;
esac
cpus=${CPUS:-0.45}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 VCOLOR_TESTBED=${VCOLOR_TESTBED:-vcscale}
mkdir -p "$OUT/videos" "$OUT/runs"
OUT=$(cd "$OUT" && pwd)

i=0
for src in testsrc testsrc2 mandelbrot life rgbtestsrc smptebars; do
    [ -f "$OUT/videos/$i-$src.mp4" ] ||
        ffmpeg -loglevel error -y -f lavfi -i "$src=size=160x128:rate=25" -t 6 "$OUT/videos/$i-$src.mp4"
    i=$((i + 1))
done
[ "$CONFIG" = doctor ] || [ -f "$OUT/data/index.json" ] || "$VCOLOR" prep "$OUT/videos" --out "$OUT/data" --val-fraction 0 --cut-threshold 2 >/dev/null

trap '"$here/cluster/testbed.sh" down >/dev/null 2>&1' EXIT
trap 'exit 130' INT TERM
"$here/cluster/testbed.sh" down

common="--data $OUT/data $model --threads 1 --validation-clips 0 --checkpoint-every 100000 --log-level quiet"
train() {  # train RUN HOSTS WIRE[:ring] STEPS
    rm -rf "$1"
    algorithm=3
    case "$3" in *:ring) algorithm=1 ;; esac
    if [ "$2" = 1 ]; then
        "$here/cluster/testbed.sh" run 1 -- env OPENBLAS_NUM_THREADS=1 "$VCOLOR" train $common --steps "$4" --run "$1" >&2
    else
        head -n "$2" "/run/vcolor-testbed-$VCOLOR_TESTBED/hostfile" > "$OUT/hostfile-$2"
        # mpirun hands OMPI_MCA_* from its environment to every rank.
        "$here/cluster/testbed.sh" run 1 -- env OMPI_MCA_coll_libnbc_iallreduce_algorithm=$algorithm \
            "$here/cluster/launch.sh" -H "$OUT/hostfile-$2" -t -N -c 1 -i 198.18.0.0/24 -b "$VCOLOR" -- \
            train $common --steps "$4" --run "$1" --allreduce-precision "${3%:ring}" >&2
    fi
}
cpu_s() {  # CPU seconds hosts 1…N have used so far, summed
    t=0
    for h in $(seq 1 "$1"); do t=$((t + $("$here/cluster/testbed.sh" cpu "$h"))); done
    echo "$t"
}

for repeat in $(seq 1 "${REPEATS:-1}"); do
    for link in ${LINKS:-1gbit 10gbit}; do
        "$here/cluster/testbed.sh" up 4 --rate "$link" --cpus "$cpus" >&2
        for hosts in ${HOSTS:-1 2 3 4}; do
            wires=${WIRES:-fp32 bf16}
            [ "$hosts" = 1 ] && wires=fp32
            case " ${RING_HOSTS-3} " in *" $hosts "*) for w in ${WIRES:-fp32 bf16}; do wires="$wires $w:ring"; done ;; esac
            for wire in $wires; do
                if [ "$CONFIG" = doctor ]; then
                    [ "$hosts" -ge 2 ] || continue
                    for mb in ${MEGABYTES:-25 100}; do
                        algorithm=3
                        case "$wire" in *:ring) algorithm=1 ;; esac
                        head -n "$hosts" "/run/vcolor-testbed-$VCOLOR_TESTBED/hostfile" > "$OUT/hostfile-$hosts"
                        "$here/cluster/testbed.sh" run 1 -- env OMPI_MCA_coll_libnbc_iallreduce_algorithm=$algorithm \
                            "$here/cluster/launch.sh" -H "$OUT/hostfile-$hosts" -t -N -c 1 -i 198.18.0.0/24 -b "$VCOLOR" -- \
                            doctor --json --megabytes "$mb" --repeats 5 --allreduce-precision "${wire%:ring}" 2>/dev/null |
                            python3 -c 'import json, sys
b = json.load(sys.stdin)["bandwidth"]
print(json.dumps({"config": "doctor", "link": sys.argv[1], "hosts": int(sys.argv[2]), "wire": sys.argv[3],
                  "cpus": float(sys.argv[4]), "repeat": int(sys.argv[5]), "megabytes": b["megabytes"], "seconds": b["seconds"]}))' \
                            "$link" "$hosts" "$wire" "$cpus" "$repeat" >> "$OUT/results.jsonl"
                        tail -n 1 "$OUT/results.jsonl" >&2
                    done
                    continue
                fi
                run="$OUT/runs/$CONFIG-$link-${hosts}h-$(echo "$wire" | tr : -)-r$repeat"
                bytes=null
                if [ "$CONFIG" = tiny ] && [ "$hosts" -ge 2 ]; then
                    b0=$("$here/cluster/testbed.sh" bytes 2)
                    train "$run-1step" "$hosts" "$wire" 1
                    b1=$("$here/cluster/testbed.sh" bytes 2)
                fi
                c0=$(cpu_s "$hosts")
                train "$run" "$hosts" "$wire" "$steps"
                c1=$(cpu_s "$hosts")
                if [ "$CONFIG" = tiny ] && [ "$hosts" -ge 2 ]; then
                    b2=$("$here/cluster/testbed.sh" bytes 2)
                    bytes=$(( ((b2 - b1) - (b1 - b0)) / (steps - 1) ))
                fi
                PYTHONPATH="$here/scripts" python3 - "$run" "$CONFIG" "$link" "$hosts" "$wire" "$cpus" \
                    "$repeat" "$bytes" "$((c1 - c0))" >> "$OUT/results.jsonl" <<'EOF'
import json, statistics, sys
from metrics_log import ALLREDUCE_S, RANK_COMPUTE_S, STEP, STEP_S, steps
run, config, link, hosts, wire, cpus, repeat, sent, cpu_ns = sys.argv[1:]
rows = [r for r in steps(run) if r[STEP] != 1]
per_rank = [r[RANK_COMPUTE_S] for r in rows if RANK_COMPUTE_S in r]
print(json.dumps({
    "config": config, "link": link, "hosts": int(hosts), "wire": wire, "cpus": float(cpus),
    "repeat": int(repeat), "steps": len(rows) + 1,
    STEP_S: statistics.median(r[STEP_S] for r in rows),
    ALLREDUCE_S: statistics.median(r.get(ALLREDUCE_S, 0.0) for r in rows),
    RANK_COMPUTE_S: [statistics.median(c[k] for c in per_rank) for k in range(len(per_rank[0]))] if per_rank else None,
    "bytes_per_step": None if sent == "null" else int(sent),
    "cpu_s": int(cpu_ns) / 1e9,
    "run": run,
}))
EOF
                tail -n 1 "$OUT/results.jsonl" >&2
            done
        done
        "$here/cluster/testbed.sh" down
    done
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)   (results in $OUT/results.jsonl)"
