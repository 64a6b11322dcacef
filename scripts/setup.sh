#!/usr/bin/env bash
# Installs the system packages vcolor builds and runs against (idempotent):
# OpenMPI, OpenBLAS, HDF5, ffmpeg and pkg-config. Debian/Ubuntu.
set -euo pipefail
packages=(libopenmpi-dev openmpi-bin libopenblas-dev libhdf5-dev ffmpeg pkg-config)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
    echo "setup: system packages present"
    exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "setup: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
