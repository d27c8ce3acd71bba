#!/usr/bin/env bash
# demo.sh - sets up, builds and runs the main job (`rise demo`).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
build/rise demo "$@"
