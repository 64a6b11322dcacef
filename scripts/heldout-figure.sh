#!/usr/bin/env bash
# The held-out strip of docs/results.md: for each clip, its middle frame as
# the black-and-white input, as a model colours it (`vcolor colorize` of the
# whole clip at its own resolution) and as the truth, side by side; one row per clip.
#
#   scripts/heldout-figure.sh --out FIGURE.png [--model FILE] [--vcolor PATH] [--height H] CLIP...
#
#   --model FILE   the model (default: colorize's, the shipped model)
#   --height H     each frame scaled to H pixels high (default 160)
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
VCOLOR="$HERE/../.build/release/vcolor"
OUT="" MODEL=() HEIGHT=160
while (($#)); do
    case "$1" in
        --out|--model|--vcolor|--height)
            (($# >= 2)) || { echo "heldout-figure: $1 needs a value" >&2; exit 2; } ;;&
        --out) OUT=$2; shift 2 ;;
        --model) MODEL=(--model "$2"); shift 2 ;;
        --vcolor) VCOLOR=$2; shift 2 ;;
        --height) HEIGHT=$2; shift 2 ;;
        -*) echo "heldout-figure: unknown option $1" >&2; exit 2 ;;
        *) break ;;
    esac
done
[[ -n $OUT && $# -ge 1 ]] || { echo "heldout-figure: give --out FIGURE.png and at least one clip" >&2; exit 2; }
[[ $HEIGHT =~ ^[1-9][0-9]*$ ]] || { echo "heldout-figure: --height must be a positive integer" >&2; exit 2; }
WIDTH=$(( (HEIGHT * 16 / 9 + 1) / 2 * 2 ))   # each frame fitted into a 16:9 box, padded white
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
rows=()
i=0
for clip in "$@"; do
    i=$((i + 1))
    frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames -of csv=p=0 "$clip" | head -n1 | tr -cd 0-9)
    middle=$((frames / 2))
    ffmpeg -nostdin -v error -y -i "$clip" -an -vf "hue=s=0" -c:v ffv1 "$TMP/grey$i.mkv"
    "$VCOLOR" colorize "${MODEL[@]}" --quiet "$TMP/grey$i.mkv" --out "$TMP/colour$i.mp4"
    for part in grey colour truth; do
        case $part in
            grey) source="$TMP/grey$i.mkv" ;;     # lossless: any frame size, no chroma to lose
            colour) source="$TMP/colour$i.mp4" ;;
            truth) source=$clip ;;
        esac
        ffmpeg -nostdin -v error -y -i "$source" -vf "select=eq(n\,$middle),scale=w=$WIDTH:h=$HEIGHT:force_original_aspect_ratio=decrease,pad=$WIDTH:$HEIGHT:(ow-iw)/2:(oh-ih)/2:white,setsar=1" -frames:v 1 "$TMP/$part$i.png"
    done
    ffmpeg -nostdin -v error -y -i "$TMP/grey$i.png" -i "$TMP/colour$i.png" -i "$TMP/truth$i.png" \
        -filter_complex "hstack=inputs=3" "$TMP/row$i.png"
    rows+=(-i "$TMP/row$i.png")
done
if ((i == 1)); then cp "$TMP/row1.png" "$OUT.partial.png"; else
    ffmpeg -nostdin -v error -y "${rows[@]}" -filter_complex "vstack=inputs=$i" "$OUT.partial.png"
fi
mv "$OUT.partial.png" "$OUT"
echo "heldout-figure: $OUT ($i rows: grey input | model | truth)"
