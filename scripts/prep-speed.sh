#!/usr/bin/env bash
# Prep's wall time against ffmpeg's own decode, crop and scale of the same
# inputs (docs/dataprep.md §Speed; the target is at most 1.3×).
#
#   scripts/prep-speed.sh FOOTAGE [KIND...]     (FOOTAGE from scripts/fetch-footage.sh)
#
# For each KIND of FOOTAGE/footage.tsv (default: real, then every kind as
# "all"): ffmpeg alone decodes each input to 128² rgb24 with prep's own filter
# chain (centre crop, area scale) into /dev/null, WORKERS (default 2) inputs
# at a time; then `vcolor prep --workers WORKERS` of the same inputs. The pair
# is run REPEAT (default 5) times; the table gives the fastest of each and the
# median of the pairs' ratios (a pair runs back to back, so the median holds on
# a machine whose speed drifts). VCOLOR (default .build/release/vcolor) is the
# binary measured. BASELINE=tuned runs the baseline's ffmpeg as prep runs its
# own (one decoding and one filter thread per input, OPENBLAS_NUM_THREADS=1),
# to separate what prep adds from what it saves on ffmpeg. Needs an idle
# machine: a loaded one measures the load.
set -euo pipefail
(($# >= 1)) || { sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
FOOTAGE=$(cd "$1" && pwd)
shift
KINDS=("$@")
((${#KINDS[@]})) || KINDS=(real all)
VCOLOR=${VCOLOR:-.build/release/vcolor}
WORKERS=${WORKERS:-2}
REPEAT=${REPEAT:-5}
[[ -x $VCOLOR ]] || { echo "prep-speed: no vcolor at $VCOLOR (set VCOLOR)" >&2; exit 2; }
[[ -f $FOOTAGE/footage.tsv ]] || { echo "prep-speed: $FOOTAGE/footage.tsv: no such file" >&2; exit 2; }
SCRATCH=$(mktemp -d /tmp/prep-speed.XXXXXX)
trap 'rm -rf "$SCRATCH"' EXIT

BASELINE=${BASELINE:-plain}
case $BASELINE in
    plain) export BASELINE_FLAGS="" ;;
    tuned) export BASELINE_FLAGS="-filter_threads 1 -threads 1" OPENBLAS_NUM_THREADS=1 ;;
    *) echo "prep-speed: BASELINE must be plain or tuned" >&2; exit 2 ;;
esac
decode_one() {  # the filter of FitMode.crop for square pixels, as prep's FrameReader runs it
    # shellcheck disable=SC2086  # BASELINE_FLAGS is a list of words
    ffmpeg -nostdin -hide_banner -loglevel error $BASELINE_FLAGS -i "file:$1" -map 0:v:0 -an -sn -dn -fps_mode passthrough \
        -vf "crop=w='min(iw,ih)':h='min(ih,iw)',scale=128:128:flags=area,format=rgb24" \
        -pix_fmt rgb24 -f rawvideo -y /dev/null
}
export -f decode_one
now() { date +%s.%N; }

echo "| inputs | frames | ffmpeg decode+scale s | prep s | prep frames/s | ratio of fastest | median paired ratio |"
echo "|---|---|---|---|---|---|---|"
for kind in "${KINDS[@]}"; do
    mapfile -t files < <(awk -F'\t' -v k="$kind" -v d="$FOOTAGE" 'NR > 1 && (k == "all" || $2 == k) { print d "/" $1 }' "$FOOTAGE/footage.tsv")
    ((${#files[@]})) || { echo "prep-speed: no inputs of kind $kind" >&2; exit 2; }
    frames=$(awk -F'\t' -v k="$kind" 'NR > 1 && (k == "all" || $2 == k) { s += $8 } END { print s }' "$FOOTAGE/footage.tsv")
    best_ffmpeg="" best_prep="" ratios=()
    for ((r = 0; r < REPEAT; r++)); do
        t0=$(now)
        printf '%s\0' "${files[@]}" | xargs -0 -n 1 -P "$WORKERS" bash -c 'decode_one "$0"'
        t1=$(now)
        rm -rf "$SCRATCH/data"
        env -u OPENBLAS_NUM_THREADS "$VCOLOR" prep "${files[@]}" --out "$SCRATCH/data" --workers "$WORKERS" --val-fraction 0 --log-level quiet >/dev/null
        t2=$(now)
        ffmpeg_s=$(awk -v x="$t0" -v y="$t1" 'BEGIN { print y - x }')
        prep_s=$(awk -v x="$t1" -v y="$t2" 'BEGIN { print y - x }')
        best_ffmpeg=$(awk -v a="$best_ffmpeg" -v b="$ffmpeg_s" 'BEGIN { print (a == "" || b < a) ? b : a }')
        best_prep=$(awk -v a="$best_prep" -v b="$prep_s" 'BEGIN { print (a == "" || b < a) ? b : a }')
        ratios+=("$(awk -v a="$ffmpeg_s" -v b="$prep_s" 'BEGIN { print b / a }')")
    done
    median=$(printf '%s\n' "${ratios[@]}" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }')
    awk -v k="$kind" -v n="${#files[@]}" -v f="$frames" -v a="$best_ffmpeg" -v b="$best_prep" -v m="$median" 'BEGIN {
        printf "| %s (%d) | %d | %.1f | %.1f | %.0f | %.2f× | %.2f× |\n", k, n, f, a, b, f / b, b / a, m }'
done
echo "workers $WORKERS, $REPEAT pairs, $BASELINE baseline; load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
