#!/usr/bin/env bash
# Bounded memory of `vcolor colorize` over a whole film (issue 20): the
# resident set of colorize, sampled every few seconds from start to end, on
#   film2h:   a generated 2-hour 160x120 film at 25 fps (180,000 frames), a
#             shot every 4 s (15 different lavfi sources, a 60 s reel looped),
#             with an AAC sound track;
#   loop1080: a real clip (box.mp4) upscaled to 1920x1080, grey, looped to
#             10 minutes (17,982 frames at 29.97 fps; a cut every 10 s where
#             the loop starts over).
# and what is left in the output's folder during and after the run.
#
# Usage: scripts/colorize-memory.sh make DIR            # the two inputs
#        scripts/colorize-memory.sh run DIR film2h|loop1080 [SECONDS] [VCOLOR_ARGS...]
# `run` writes DIR/NAME.rss.tsv (seconds since start, VmRSS kB of the colorize
# process, VmHWM kB, VmRSS kB of its ffmpeg children together, 1-min load average, bytes in OUT.parts, bytes of any other
# file beside the output) every 5 s, and DIR/NAME.log (colorize's stderr and
# `uptime` at the start and end). With SECONDS the run is stopped by SIGINT
# after that long (its finished chunks stay in OUT.parts, as for any stop).
# VCOLOR (default .build/release/vcolor) is the binary. Footage: FOOTAGE
# (default /work/exp/footage2/real, as fetched by scripts/fetch-footage.sh).
set -euo pipefail

vcolor="${VCOLOR:-$PWD/.build/release/vcolor}"
footage="${FOOTAGE:-/work/exp/footage2/real}"
mode="${1:?usage: colorize-memory.sh make|run DIR ...}"
dir="${2:?usage: colorize-memory.sh make|run DIR ...}"
mkdir -p "$dir"

make_inputs() {
  local s=160x120 r=25
  local sources=(
    "testsrc2=s=$s:r=$r" "cellauto=s=$s:r=$r:rule=30" "life=s=$s:r=$r:seed=1:mold=10"
    "mandelbrot=s=$s:r=$r" "rgbtestsrc=s=$s:r=$r" "smptebars=s=$s:r=$r"
    "gradients=s=$s:r=$r:seed=1" "testsrc=s=$s:r=$r" "cellauto=s=$s:r=$r:rule=110"
    "life=s=$s:r=$r:seed=7:ratio=0.3" "gradients=s=$s:r=$r:seed=9:speed=0.05" "smptehdbars=s=$s:r=$r"
    "mandelbrot=s=$s:r=$r:start_scale=0.5" "yuvtestsrc=s=$s:r=$r" "pal75bars=s=$s:r=$r")
  local args=() graph="" i=0
  for src in "${sources[@]}"; do
    args+=(-f lavfi -t 4 -i "$src")
    graph+="[$i:v]format=yuv420p,setsar=1[v$i];"
    i=$((i + 1))
  done
  for j in $(seq 0 $((i - 1))); do graph+="[v$j]"; done
  graph+="concat=n=$i:v=1:a=0[v]"
  # A 60 s reel of 15 shots with a sound track, then looped 120 times without re-encoding.
  ffmpeg -nostdin -y -v error "${args[@]}" -f lavfi -t 60 -i "sine=f=330:beep_factor=3:sample_rate=48000" \
    -filter_complex "$graph" -map '[v]' -map "$i:a" -c:v libx264 -preset veryfast -crf 20 -g 50 \
    -c:a aac -b:a 64k "$dir/reel60.mkv"
  ffmpeg -nostdin -y -v error -stream_loop 119 -i "$dir/reel60.mkv" -c copy -t 7200 "$dir/film2h.mkv"
  # 1080p: the first 10 s of box.mp4, grey, upscaled (the clip of docs/colorize.md's throughput table), looped.
  ffmpeg -nostdin -y -v error -i "$footage/box.mp4" -t 10 -vf scale=1920:1080:flags=lanczos,hue=s=0 \
    -c:v libx264 -crf 18 -preset fast -pix_fmt yuv420p "$dir/in1080.mp4"
  ffmpeg -nostdin -y -v error -stream_loop -1 -i "$dir/in1080.mp4" -c copy -t 600 "$dir/loop1080.mp4"
  for f in film2h.mkv loop1080.mp4; do
    echo "$f: $(ffprobe -v error -count_packets -select_streams v:0 -show_entries stream=width,height,nb_read_packets:format=duration -of csv=p=0 "$dir/$f" | tr '\n' ' ')"
  done
}

# bytes NAME...: total size of the named files/folders that exist (0 if none).
# A chunk's temporary is renamed or removed while du or find reads the folder: never fatal.
bytes() { local t=0 b; for p in "$@"; do [[ -e "$p" ]] && { b=$(du -sb "$p" 2>/dev/null | cut -f1 || true); t=$((t + ${b:-0})); }; done; echo "$t"; }

run_one() {
  local name="$1" limit="${2:-0}"; shift 2 || shift $#
  local in ext
  case "$name" in
    film2h) in="$dir/film2h.mkv" ext=mkv ;;
    loop1080) in="$dir/loop1080.mp4" ext=mp4 ;;
    *) echo "colorize-memory.sh: unknown input '$name' (film2h, loop1080)" >&2; exit 2 ;;
  esac
  local out="$dir/out-$name.$ext" tsv="$dir/$name.rss.tsv" log="$dir/$name.log"
  rm -rf "$out" "$out.parts"
  { echo "start $(date -u +%FT%TZ) uptime: $(uptime)"; echo "$vcolor colorize $in --out $out $*"; } > "$log"
  "$vcolor" colorize "$in" --out "$out" "$@" 2>>"$log" &
  local pid=$! t0=$SECONDS
  printf 'seconds\tvmrss_kb\tvmhwm_kb\tchildren_rss_kb\tload1\tparts_bytes\tother_bytes\n' > "$tsv"
  while kill -0 "$pid" 2>/dev/null; do
    local rss hwm kids other
    rss=$(awk '/^VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
    hwm=$(awk '/^VmHWM/{print $2}' "/proc/$pid/status" 2>/dev/null || true)
    # Its ffmpeg children (the plan's decoder, then a chunk's decoder and encoder, then the join).
    kids=$(for c in $(pgrep -P "$pid" || true); do awk '/^VmRSS/{print $2}' "/proc/$c/status" 2>/dev/null; done |
           awk '{s+=$1} END{print s+0}')
    # Everything beside the output that is not the input, the output, its parts or this script's records.
    other=$(find "$dir" -maxdepth 1 -mindepth 1 ! -name "$(basename "$in")" ! -name "$(basename "$out")" \
              ! -name "$(basename "$out").parts" ! -name '*.rss.tsv' ! -name '*.log' ! -name 'reel60.mkv' \
              ! -name 'film2h.mkv' ! -name 'loop1080.mp4' ! -name 'in1080.mp4' ! -name 'out-*' -printf '%s\n' 2>/dev/null |
            awk '{s+=$1} END{print s+0}' || true)
    [[ -n "$rss" ]] && printf '%d\t%s\t%s\t%s\t%s\t%s\t%s\n' $((SECONDS - t0)) "$rss" "$hwm" "$kids" \
      "$(cut -d' ' -f1 /proc/loadavg)" "$(bytes "$out.parts")" "$other" >> "$tsv"
    if [[ "$limit" -gt 0 && $((SECONDS - t0)) -ge "$limit" ]]; then kill -INT "$pid"; limit=0; fi
    sleep 5
  done
  local rc=0; wait "$pid" || rc=$?
  { echo "end $(date -u +%FT%TZ) after $((SECONDS - t0)) s, exit $rc, uptime: $(uptime)"
    echo "left beside the output: $(ls -A "$dir" | tr '\n' ' ')"
    [[ -d "$out.parts" ]] && echo "$out.parts: $(ls -A "$out.parts" | wc -l) entries, $(bytes "$out.parts") bytes"
    [[ -e "$out" ]] && echo "output: $(ffprobe -v error -count_packets -show_entries stream=codec_type,nb_read_packets -of csv=p=0 "$out" | tr '\n' ' ')"
  } >> "$log"
  tail -n 4 "$log"
}

case "$mode" in
  make) make_inputs ;;
  run) shift 2; name="${1:?film2h or loop1080}"; limit="${2:-0}"; shift 2 || shift $#; run_one "$name" "$limit" "$@" ;;
  *) echo "usage: colorize-memory.sh make|run DIR ..." >&2; exit 2 ;;
esac
