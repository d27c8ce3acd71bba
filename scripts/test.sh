#!/usr/bin/env bash
# test.sh - sets up, builds and runs the whole test suite (ctest), then builds the library
# and tests again with AddressSanitizer + UBSan (-DRISE_SANITIZE=ON, build-asan/) and runs
# the cpu tests there too: the fast kernels' hand-made indexing is where overflows hide.
# GPU tests report as skipped on a machine without a device. Arguments go to both ctest
# runs (e.g. -R test_backend_cpu). RISE_TEST_SANITIZE=0 skips the sanitizer pass.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
(cd build && ctest --output-on-failure -j"$(nproc)" "$@")
if [ "${RISE_TEST_SANITIZE:-1}" != 0 ]; then
  echo "test.sh: the cpu tests again under AddressSanitizer + UBSan (build-asan/)"
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRISE_CUDA=OFF \
        -DRISE_SANITIZE=ON >build-asan.log 2>&1 || { cat build-asan.log; exit 1; }
  cmake --build build-asan -j"$(nproc)" >>build-asan.log 2>&1 || { tail -40 build-asan.log; exit 1; }
  (cd build-asan && ctest --output-on-failure -j"$(nproc)" -L cpu "$@")
fi
