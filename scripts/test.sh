#!/usr/bin/env bash
# test.sh - sets up, builds and runs the whole test suite (ctest). GPU tests
# report as skipped on a machine without a device.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
cd build
ctest --output-on-failure -j"$(nproc)" "$@"
