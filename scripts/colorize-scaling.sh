#!/usr/bin/env bash
# Throughput of `vcolor colorize` on whole films (issue 20): one rank against
# two ranks on two testbed hosts (cluster/testbed.sh: network namespaces,
# real TCP between them, docs/cluster.md §5), and 1080p against ffmpeg's own
# decode + encode on this machine. End to end: decode, the plan's pass that
# finds the cuts, the network, encode and the join, as whole-process wall times.
#
# Usage (as root, from the repository):
#   scripts/colorize-scaling.sh make DIR            # film576.mkv: 6 shots of real footage, 768x576
#   scripts/colorize-scaling.sh ranks DIR [PAIRS]   # 1 host x 1 rank vs 2 hosts x 1 rank, alternated
#   scripts/colorize-scaling.sh mpirun DIR          # the 2-host run once with a bare mpirun, same output?
#   scripts/colorize-scaling.sh machine DIR IN [PAIRS]  # colorize vs ffmpeg on IN, alternated, no testbed
#
# How the two cores are shared on the testbed: the hosts share this machine's
# two cores, so every rank is pinned with taskset to core (rank mod cores),
# with its ffmpeg children (they inherit the affinity), and runs the network
# with --threads 1 (launch.sh -c 1: OPENBLAS_NUM_THREADS=1). One rank alone
# then has one core, as each of the two ranks has: a rank's throughput is
# measured as it would be with a host to itself, and two ranks' against
# 2 x one rank's is the scaling the issue asks for. The machine is shared with
# other work, so the two runs alternate (1 2 1 2 ...) and the ratio is taken
# pair by pair; `uptime` is written beside every run.
#
# Each run's records go to DIR/runs.tsv: what, wall s, user s, sys s, frames,
# frames/s, seconds until OUT.parts/plan.json existed (the plan's pass, rank 0
# alone), 1-min load before the run, the timeline's name, and on the testbed
# each rank's own wall and CPU seconds (its ffmpeg children included: the
# CPU the timed launcher sees misses the ranks mpirun starts on other hosts). DIR/timeline-N.tsv (per run) samples the
# work folder every second: elapsed s, finished chunks, and each other rank's
# frame count (OUT.parts/.progress-R), so a rank's own frames/s can be read.
# VCOLOR (default .build/release/vcolor) is the binary.
set -euo pipefail

here="$(cd "$(dirname "$0")/.." && pwd)"
vcolor="${VCOLOR:-$here/.build/release/vcolor}"
footage="${FOOTAGE:-/work/exp/footage2/real}"
mode="${1:?usage: colorize-scaling.sh make|ranks|mpirun|machine DIR ...}"
dir="$(mkdir -p "${2:?DIR}" && cd "$2" && pwd)"
chunk_frames="${CHUNK_FRAMES:-100}"
testbed="$here/cluster/testbed.sh"
export VCOLOR_TESTBED="${VCOLOR_TESTBED:-vcscale}"

make_input() {
  # Six real clips, 5 s each, scaled to 768x576 (PAL SD), grey, 25 fps: six shots, 750 frames, and a tone.
  local args=() graph="" i=0
  for clip in box.mp4 cup.mp4 tree.avi vtest.avi bikes.mp4 carphone.mp4; do
    args+=(-stream_loop -1 -t 5 -i "$footage/$clip")
    graph+="[$i:v]fps=25,scale=768:576,setsar=1,hue=s=0,format=yuv420p[v$i];"
    i=$((i + 1))
  done
  for j in $(seq 0 $((i - 1))); do graph+="[v$j]"; done
  graph+="concat=n=$i:v=1:a=0[v]"
  ffmpeg -nostdin -y -v error "${args[@]}" -f lavfi -t 30 -i "sine=f=330:beep_factor=3:sample_rate=48000" \
    -filter_complex "$graph" -map '[v]' -map "$i:a" -c:v libx264 -crf 18 -preset fast -c:a aac -b:a 64k \
    "$dir/film576.mkv"
  ffprobe -v error -count_packets -select_streams v:0 -show_entries stream=width,height,nb_read_packets \
    -of csv=p=0 "$dir/film576.mkv"
}

frames_of() { ffprobe -v error -count_packets -select_streams v:0 -show_entries stream=nb_read_packets -of csv=p=0 "$1"; }

# The rank wrapper: every rank (and its ffmpeg children) on core rank mod cores,
# its own wall and CPU seconds (with its children's) into DIR/rank-R.time.
write_wrapper() {
  cat > "$dir/pinned-vcolor" <<EOF
#!/bin/sh
rank=\${OMPI_COMM_WORLD_RANK:-0}
exec /usr/bin/time -f '%e %U %S' -o "$dir/rank-\$rank.time" taskset -c \$(( rank % $(nproc) )) "$vcolor" "\$@"
EOF
  chmod +x "$dir/pinned-vcolor"
}

# ranks_of: "rank R wall W cpu C" for every rank of the run just ended (the wrapper's records).
ranks_of() {
  for f in "$dir"/rank-*.time; do
    [[ -e "$f" ]] || continue
    local r="${f##*/rank-}"; r="${r%.time}"
    awk -v r="$r" 'END{printf "rank %s wall %s cpu %.1f; ", r, $1, $2 + $3}' "$f"
    rm -f "$f"
  done
}

# watch OUT TIMELINE PID: sample the work folder every second while PID lives; prints plan seconds.
watch_parts() {
  local out="$1" timeline="$2" pid="$3" t0 plan=""
  t0=$(date +%s.%N)
  printf 'seconds\tchunks_done\tprogress_of_other_ranks\n' > "$timeline"
  while kill -0 "$pid" 2>/dev/null; do
    local now; now=$(awk -v a="$(date +%s.%N)" -v b="$t0" 'BEGIN{printf "%.1f", a-b}')
    if [[ -z "$plan" && -e "$out.parts/plan.json" ]]; then plan="$now"; fi
    local done others
    done=$(find "$out.parts" -maxdepth 1 -name 'chunk-*' 2>/dev/null | wc -l)
    others=$(for f in "$out.parts"/.progress-*; do [[ -e "$f" ]] && printf '%s=%s ' "${f##*-}" "$(cat "$f")"; done 2>/dev/null || true)
    printf '%s\t%s\t%s\n' "$now" "$done" "$others" >> "$timeline"
    sleep 1
  done
  echo "${plan:-NA}"
}

# timed WHAT OUT COMMAND...: one run, its record appended to runs.tsv.
timed() {
  local what="$1" out="$2"; shift 2
  rm -rf "$out" "$out.parts" "$dir"/rank-*.time
  local load n; load=$(cut -d' ' -f1 /proc/loadavg); n=$(( $(find "$dir" -maxdepth 1 -name 'timeline-*.tsv' | wc -l) + 1 ))
  echo "$what: uptime: $(uptime)" >> "$dir/uptime.log"
  /usr/bin/time -f '%e %U %S' -o "$dir/time.out" "$@" >> "$dir/stderr.log" 2>&1 &
  local pid=$!
  local plan; plan=$(watch_parts "$out" "$dir/timeline-$n.tsv" "$pid")
  wait "$pid" || { echo "colorize-scaling.sh: $what failed (see $dir/stderr.log)" >&2; return 1; }
  local wall user sys frames
  read -r wall user sys < <(tail -n 1 "$dir/time.out")
  frames=$(frames_of "$out")
  printf '%s\t%s\t%s\t%s\t%s\t%.2f\t%s\t%s\ttimeline-%s.tsv\t%s\n' "$what" "$wall" "$user" "$sys" "$frames" \
    "$(awk -v f="$frames" -v w="$wall" 'BEGIN{print f/w}')" "$plan" "$load" "$n" "$(ranks_of)" | tee -a "$dir/runs.tsv"
}

on_testbed() {
  local hosts="$1"; shift
  head -n "$hosts" "/run/vcolor-testbed-$VCOLOR_TESTBED/hostfile" > "$dir/hostfile-$hosts"
  timed "launch.sh ${hosts} host(s) x 1 rank, 1 core each" "$dir/out-$hosts.mkv" \
    "$testbed" run 1 -- "$here/cluster/launch.sh" -H "$dir/hostfile-$hosts" -c 1 -t -N -i 198.18.0.0/24 \
      -b "$dir/pinned-vcolor" -- colorize "$dir/film576.mkv" --out "$dir/out-$hosts.mkv" \
      --threads 1 --chunk-frames "$chunk_frames" --quiet
}

ranks() {
  local pairs="${1:-3}"
  write_wrapper
  "$testbed" down >/dev/null 2>&1 || true
  trap '"$testbed" down' EXIT
  "$testbed" up 2
  for _ in $(seq 1 "$pairs"); do
    on_testbed 1
    on_testbed 2
    cmp <(ffmpeg -v error -i "$dir/out-1.mkv" -map 0 -c copy -f streamhash -) \
        <(ffmpeg -v error -i "$dir/out-2.mkv" -map 0 -c copy -f streamhash -) \
      && echo "same streams (video and audio packets) from 1 and 2 ranks" | tee -a "$dir/runs.tsv"
  done
}

bare_mpirun() {
  write_wrapper
  "$testbed" down >/dev/null 2>&1 || true
  trap '"$testbed" down' EXIT
  "$testbed" up 2
  local hostfile="/run/vcolor-testbed-$VCOLOR_TESTBED/hostfile"
  timed "bare mpirun, 2 hosts x 1 rank, 1 core each" "$dir/out-mpirun.mkv" \
    "$testbed" run 1 -- mpirun -np 2 --hostfile "$hostfile" --map-by ppr:1:node --bind-to none \
      --allow-run-as-root --mca pml ob1 --mca btl tcp,self \
      --mca btl_tcp_if_include 198.18.0.0/24 --mca oob_tcp_if_include 198.18.0.0/24 \
      -x OPENBLAS_NUM_THREADS=1 "$dir/pinned-vcolor" colorize "$dir/film576.mkv" --out "$dir/out-mpirun.mkv" \
      --threads 1 --chunk-frames "$chunk_frames" --quiet
}

machine() {
  local in="$1" pairs="${2:-3}"
  for _ in $(seq 1 "$pairs"); do
    timed "colorize $(basename "$in"), one process, all cores" "$dir/out-colorize.mp4" \
      "$vcolor" colorize "$in" --out "$dir/out-colorize.mp4" --quiet
    timed "ffmpeg decode + encode $(basename "$in"), libx264 crf 18 fast yuv420p" "$dir/out-ffmpeg.mp4" \
      ffmpeg -nostdin -y -v error -i "$in" -c:v libx264 -crf 18 -preset fast -pix_fmt yuv420p "$dir/out-ffmpeg.mp4"
  done
}

case "$mode" in
  make) make_input ;;
  ranks) ranks "${3:-3}" ;;
  mpirun) bare_mpirun ;;
  machine) machine "${3:?IN}" "${4:-3}" ;;
  *) echo "usage: colorize-scaling.sh make|ranks|mpirun|machine DIR ..." >&2; exit 2 ;;
esac
