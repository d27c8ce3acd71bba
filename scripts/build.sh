#!/usr/bin/env bash
# build.sh - configures and builds rise into ./build (CUDA when nvcc exists).
# Extra arguments go to cmake's configure step, e.g. -DRISE_CUDA=OFF.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release "$@" >build.log 2>&1 || { cat build.log; exit 1; }
grep -A20 "rise .* configuration" build.log | sed -n '1,16p' | sed 's/^-- //'
cmake --build build -j"$(nproc)" 2>&1 | grep -E "warning|error|Error" || true
test -x build/rise || { echo "build.sh: build failed (see cmake --build build)" >&2; exit 1; }
