#!/usr/bin/env bash
# setup.sh - installs the Debian packages rise needs, only those missing.
# Idempotent and quiet when nothing is missing. Run as root or with sudo.
set -euo pipefail

packages=(
  build-essential cmake pkg-config
  libopenblas-dev libomp-dev
  libhdf5-dev hdf5-tools
  libcjson-dev libpng-dev
  libmujoco-dev
  libopenmpi-dev openmpi-bin
  python3 python3-numpy python3-h5py
  clang libclang-rt-14-dev
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup.sh: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
echo "setup.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
