#!/usr/bin/env bash
# gpu_session.sh - everything only a GPU can show, in one time-boxed run, for a machine
# with an NVIDIA GPU and the CUDA toolkit (no network needed):
#   1. configure and build a CUDA build (build-gpu, archs from nvidia-smi's compute
#      capability, or RISE_CUDA_ARCH) with the tests and benchmarks;
#   2. the gpu-labelled tests (every op, the data ops, the networks and one / 100 RISE
#      steps against the CPU backend);
#   3. compute-sanitizer memcheck and racecheck on the op tests;
#   4. the op benchmarks on the cuda backend and bench_train at batch 256/512 x width
#      256/512, each with and without the CUDA graph step (steps/s, extraction latency);
#   5. bench_dp at batch 256 per GPU (the LN-ResNet on chunks and the paper's U-Net): the
#      compute time per step of the scaling model in docs/performance.md at world size 1
#      (the NCCL path at world size 1 is ctest's test_nccl), and the step with NCCL
#      all-reduces on every visible GPU under mpirun where there are several.
# Everything goes to OUT_DIR (default gpu-results): nvidia-smi.txt, build.log,
# ctest_gpu.txt, sanitizer_*.txt, bench/ (JSON + tables), train_b*_w*_graph_*.json,
# dp_*.json, summary.txt.
# The PyTorch comparison (benchmarks/peers/compare.py) needs torch installed and is not
# run here. Exit status: 0 when every stage passed.
#   scripts/gpu_session.sh [OUT_DIR]
set -uo pipefail
cd "$(dirname "$0")/.."
out=${1:-gpu-results}
mkdir -p "$out"
status=0
stage() { echo "== $1" | tee -a "$out/summary.txt"; }
result() { # name rc
    if [ "$2" -eq 0 ]; then echo "   ok: $1" | tee -a "$out/summary.txt"
    else echo "   FAILED ($2): $1" | tee -a "$out/summary.txt"; status=1; fi
}

stage "device"
nvidia-smi > "$out/nvidia-smi.txt" 2>&1
result "nvidia-smi" $?
arch=${RISE_CUDA_ARCH:-$(nvidia-smi --query-gpu=compute_cap --format=csv,noheader 2>/dev/null |
    head -1 | tr -d '. ')}
[ -n "$arch" ] || arch=90
head -12 "$out/nvidia-smi.txt" >> "$out/summary.txt"

stage "build (sm_$arch)"
{ cmake -S . -B build-gpu -DCMAKE_BUILD_TYPE=Release -DRISE_CUDA=ON \
      -DCMAKE_CUDA_ARCHITECTURES="$arch" &&
  cmake --build build-gpu -j"$(nproc)"; } > "$out/build.log" 2>&1
rc=$?
result "build" $rc
[ $rc -eq 0 ] || exit 1

stage "gpu tests"
(cd build-gpu && ctest -L gpu --output-on-failure) > "$out/ctest_gpu.txt" 2>&1
rc=$?
grep -E "tests passed|Skipped|Failed|\*\*\*" "$out/ctest_gpu.txt" | tail -12 >> "$out/summary.txt"
result "ctest -L gpu" $rc

stage "compute-sanitizer"
san=$(command -v compute-sanitizer || echo /usr/local/cuda/bin/compute-sanitizer)
[ -x "$san" ] || { san=; result "compute-sanitizer is not installed (CUDA toolkit's)" 1; }
for t in ${san:+test_cuda_backend_basics test_backend_ops test_backend_ops_data test_backend_clock}; do
    for tool in memcheck racecheck; do
        (cd tests && timeout 300 "$san" --tool "$tool" --error-exitcode 9 "../build-gpu/tests/$t") \
            > "$out/sanitizer_${tool}_$t.txt" 2>&1
        rc=$?
        tail -2 "$out/sanitizer_${tool}_$t.txt" >> "$out/summary.txt"
        result "$tool $t" $rc
    done
done

stage "op benchmarks"
benchmarks/run_all.sh build-gpu "$out/bench" -- --backend cuda > "$out/bench.txt" 2>&1
result "benchmarks/run_all.sh --backend cuda" $?

stage "training and extraction"
for b in 256 512; do
    for w in 256 512; do
        for g in on off; do
            name="train_b${b}_w${w}_graph_$g"
            timeout 300 build-gpu/benchmarks/bench_train --backend cuda --batch $b --width $w \
                --graph $g --json "$out/$name.json" > "$out/$name.txt" 2>&1
            rc=$?
            tail -5 "$out/$name.txt" >> "$out/summary.txt"
            result "bench_train batch $b width $w graph $g" $rc
        done
    done
done
stage "data parallel (bench_dp, 256 rows per GPU)"
ngpu=$(nvidia-smi -L 2>/dev/null | grep -c '^GPU')
for net in lnresnet unet; do
    opt="--chunks"
    [ "$net" = unet ] && opt="--unet 256,512,1024"
    name="dp_${net}_world1"
    timeout 600 build-gpu/benchmarks/bench_dp --backend cuda --batch 256 $opt --steps 10 \
        --json "$out/$name.json" > "$out/$name.txt" 2>&1
    rc=$?
    tail -3 "$out/$name.txt" >> "$out/summary.txt"
    result "bench_dp $net world 1" $rc
    if [ "$ngpu" -gt 1 ] && command -v mpirun > /dev/null; then
        name="dp_${net}_world$ngpu"
        OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 timeout 600 \
            mpirun -np "$ngpu" --oversubscribe --bind-to none build-gpu/benchmarks/bench_dp \
            --backend cuda --batch $((256 * ngpu)) $opt --steps 10 --json "$out/$name.json" \
            > "$out/$name.txt" 2>&1
        rc=$?
        tail -3 "$out/$name.txt" >> "$out/summary.txt"
        result "bench_dp $net world $ngpu" $rc
    fi
done
echo "summary: $out/summary.txt"
exit $status
