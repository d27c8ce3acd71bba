#!/usr/bin/env bash
# setup.sh - installs what rise needs: the Debian packages (only those missing; run as
# root or with sudo), then the Python packages the tests use that Debian does not ship
# (tensorboard, safetensors) into the project's venv .venv (Debian's Python is
# externally managed, PEP 668), which also sees Debian's numpy and h5py. Idempotent
# and quiet when nothing is missing. The Python tests run with .venv/bin/python.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  build-essential cmake pkg-config
  libopenblas-dev libopenblas-openmp-dev libomp-dev
  libsleef-dev libdnnl-dev
  libhdf5-dev hdf5-tools
  libcjson-dev libpng-dev
  libprotobuf-c-dev protobuf-c-compiler
  libmujoco-dev libegl-dev libegl-mesa0 libgl1-mesa-dri
  libopenmpi-dev openmpi-bin
  python3 python3-numpy python3-h5py python3-venv
  clang libclang-rt-14-dev
)
# Pinned so every machine's tests read files with the same TensorBoard and safetensors.
python_packages=(tensorboard==2.20.0 safetensors==0.6.2)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || { echo "setup.sh: need root (or sudo) to install: ${missing[*]}" >&2; exit 1; }
    sudo="sudo"
  fi
  echo "setup.sh: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

venv=.venv
if [ ! -x "$venv/bin/python" ]; then
  echo "setup.sh: creating the Python venv $venv (with Debian's numpy and h5py)"
  /usr/bin/python3 -m venv --system-site-packages "$venv"
fi
need_pip=0
for spec in "${python_packages[@]}"; do
  name=${spec%%==*} version=${spec#*==}
  have=$("$venv/bin/python" -c "import importlib.metadata as m; print(m.version('$name'))" 2>/dev/null || true)
  [ "$have" = "$version" ] || need_pip=1
done
if [ $need_pip -eq 1 ]; then
  echo "setup.sh: installing ${python_packages[*]} into $venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "${python_packages[@]}"
fi
