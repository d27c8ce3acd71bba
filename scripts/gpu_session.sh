#!/usr/bin/env bash
# gpu_session.sh - everything only a GPU can show, as one time-boxed run on a bare machine
# with an NVIDIA GPU and the CUDA toolkit but none of rise's C libraries and no network:
# they come from the kit (.kit/pack, made by scripts/device_kit.sh and carried along).
#
#   scripts/gpu_session.sh [--out DIR] [--only STAGES] [--skip STAGES] [--budget SECONDS]
#                          [--box STAGE=SECONDS ...] [--build DIR] [--dry-run]
#   scripts/gpu_session.sh --list | --print-targets | --help
#
# Stages run in the order of the table below, each under its own time box (timeout), all
# within --budget (default 540 s = 9 min, leaving a 10-minute device command room to start
# and to send the files back): a stage gets min(its box, time left); the paper stage gets
# all that is left (--box changes a stage's box). A stage whose prerequisite failed is skipped; one that cannot start in
# the time left is skipped. --only STAGES (comma-separated, or `failed`: those that did not
# end ok in an earlier call on this machine, from BUILD/session/state.txt) runs just those
# (plus their prerequisites that are not done yet). Everything is written under
# BUILD/session/ (BUILD = build-gpu); at most 8 files go to the output folder (--out, else
# $OUT, else gpu-results): summary.txt (also printed at the end), session.tar.gz (every log
# and result), and ops.json, train.json, peers.json, unet.json, paper_square.json when made.
# A stage that has nothing to do here (the NCCL tests or the U-Net config not in this
# checkout, no torch in a dry run) says so and is skipped, which is not a failure.
# --dry-run runs every stage here without a GPU (fake nvidia-smi and compute-sanitizer,
# the cpu backend, small sizes) to check the logic; docs/gpu_kit.md describes a real run.
# Exit status: 0 when every stage that ran ended ok.
set -uo pipefail
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# ---- the stages, most valuable first (a first call that runs short of time loses the
# last): name, box (s; 0 = all the time left), least time to start (s), prerequisite (-
# for none; NAME? = must have run, whatever its result; NAME = must have ended ok), what it
# does. A first call with a 3-minute build fits everything but the paper stage in 540 s
# (docs/gpu_kit.md, "The stages"). To add a stage: a line here and a function
# stage_<name> below that writes its files into $sdir, a one-line result into
# $sdir/note.txt and a short report into $sdir/report.txt, and returns 0 (ok), 1 (failed)
# or 3 (skipped: nothing to do here, e.g. what it checks is not in this checkout; the note
# says why; not rerun by --only failed).
stage_table='
probe      45   5  -      the machine: GPU, driver, compilers, glibc, tools, libraries, NCCL, a CUDA hello
build     240  60  probe? unpack the kit, configure and build what the stages run, for the device arch
tests      90  30  build  ctest -L gpu with RISE_REQUIRE_GPU=1 (a skip is a failure), but NCCL, MPI and U-Net tests
nccl       45  15  build  the NCCL tests (tests/gpu/test_nccl*: data parallel at world size 1), when present
unet      100  40  build  the U-Net: its GPU tests, memcheck+racecheck, bench_unet, the paper config with and without graphs
bench      60  20  build  every other op benchmark on the cuda backend, the perf table
train      60  20  build  bench_train at batch 256/512 x width 256/512 with graphs, 256 x 256 without
peers     120  60  build  compare.py on the GPU: rise vs PyTorch eager and torch.compile, the ratio targets
sanitizer  90  40  build  compute-sanitizer memcheck and racecheck on the op tests, small shapes
images     70  15  build  bench_images on the GPU (conv and ResNet-18 trunks): frames/s, diffusion BC and RISE steps/s on 84x84 frames; the PyTorch image peer
paper       0 120  build  square, IDQL and RISE, 3 seeds, as many steps as the time left allows
'
# The op tests compute-sanitizer checks (tests labelled `faults` are always left out), and
# the shape set they run there (tests/test_util.h: RISE_TEST_SHAPES).
# (test_unet_gpu: the unet stage's)
sanitizer_tests="test_cuda_backend_basics test_backend_ops test_backend_ops_data test_backend_clock test_graph_capture"
sanitizer_shapes=small
# The NCCL tests (their own stage: they need NCCL in the build, which the machine may lack),
# and every GPU test with a stage of its own (the tests stage leaves them out).
nccl_tests='^test_nccl'
own_stage_tests="$nccl_tests|unet"
pack_reserve=15       # seconds kept for writing the output folder
archive_limit=$((15 * 1024 * 1024))

stage_names() { echo "$stage_table" | awk 'NF { print $1 }'; }
stage_field() { echo "$stage_table" | awk -v n="$1" -v f="$2" '$1 == n { print $f }'; }

# ---- arguments ----
out=${OUT:-gpu-results} only= skip= budget=540 build=build-gpu dry=0 mode=run stage_to_run=
declare -A box_override=()
while [ $# -gt 0 ]; do
    case "$1" in
    --out) out=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --skip) skip=$2; shift 2 ;;
    --budget) budget=$2; shift 2 ;;
    --build) build=$2; shift 2 ;;
    --box)
        [[ $2 =~ ^[a-z_]+=[0-9]+$ ]] || { echo "gpu_session.sh: --box expects STAGE=SECONDS" >&2; exit 2; }
        box_override[${2%%=*}]=${2#*=}
        shift 2
        ;;
    --dry-run) dry=1; shift ;;
    --list) mode=list; shift ;;
    --print-targets) mode=targets; shift ;;
    --stage) mode=stage; stage_to_run=$2; shift 2 ;; # internal: one stage, under timeout
    -h | --help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "gpu_session.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done

# What the build stage builds: the command line, every GPU test, the op benchmarks and
# bench_train (nothing else: CPU tests do not need the device).
print_targets() {
    local t=rise_cli f
    for f in tests/gpu/test_*.c; do t+=" $(basename "$f" .c)"; done
    for f in $(benchmarks/run_all.sh --families) train images; do t+=" bench_$f"; done
    echo "$t"
}
case $mode in
list) echo "$stage_table" | awk 'NF'; exit 0 ;;
targets) print_targets; exit 0 ;;
esac
[[ $budget =~ ^[0-9]+$ ]] || { echo "gpu_session.sh: --budget expects seconds" >&2; exit 2; }
case "$build" in /*) ;; *) build=$root/$build ;; esac
work=$build/session
mkdir -p "$work"

# ---- helpers available to the stages ----
now() { date +%s; }
note() { echo "$*" >"$sdir/note.txt"; }
report() { echo "$*" >>"$sdir/report.txt"; }
# json_bundle OUT NAME=FILE...: one JSON object holding each file under NAME (a file that
# is not valid JSON, e.g. cut off by a crash, is left out: it stays in the archive)
json_bundle() {
    local dst=$1 sep= kv
    shift
    {
        echo "{"
        for kv in "$@"; do
            [ -s "${kv#*=}" ] || continue
            if command -v python3 >/dev/null && ! python3 -m json.tool "${kv#*=}" >/dev/null 2>&1; then
                continue
            fi
            printf '%s"%s": ' "$sep" "${kv%%=*}"
            cat "${kv#*=}"
            sep=$',\n'
        done
        echo "}"
    } >"$dst"
}
facts() { [ -f "$work/facts.env" ] && . "$work/facts.env"; }
# PyTorch's compile caches, shared by the peers stage and the prewarm below
torch_env() {
    export PYTHONUNBUFFERED=1 TORCHINDUCTOR_CACHE_DIR=$build/torch-cache/inductor \
        TRITON_CACHE_DIR=$build/torch-cache/triton
}
# torch.compile's first compilation of the RISE update takes about a minute. The build
# stage starts the peers stage's compiled run in the background (same sizes, so the same
# graphs), while the GPU is idle and the build's serial tail leaves cores free, so the
# peers stage finds Inductor's caches warm. At most 4 compile threads; the first timing
# stage waits for it (prewarm_wait) so nothing else uses the GPU while it times.
prewarm_compile() {
    [ "$dry" = 0 ] || return 0
    case "${GS_TORCH:-}" in *" cuda "* | *" cuda") ;; *) return 0 ;; esac
    case "${GS_SELECTED:-}" in *" peers "*) ;; *) return 0 ;; esac
    mkdir -p "$work/prewarm"
    (
        torch_env
        export TORCHINDUCTOR_COMPILE_THREADS=4
        exec timeout -k 5 300 "${GS_PYTHON:-python3}" benchmarks/peers/rise_update_torch.py --device cuda \
            --mode compile --no-extract --steps 20 --batch 256 --width 256 --blocks 3 --code-width 512 \
            --obs-dim 6 --act-dim 2
    ) >"$work/prewarm/log.txt" 2>&1 &
    echo "$! $(now)" >"$work/prewarm/pid"
    report "torch.compile prewarm started in the background (pid $!)"
}
# prewarm_wait SECONDS: let a running prewarm finish (at most SECONDS), then stop it
prewarm_wait() {
    local pid t0 waited=0
    [ -f "$work/prewarm/pid" ] || return 0
    read -r pid t0 <"$work/prewarm/pid"
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt "$1" ]; do sleep 1; waited=$((waited + 1)); done
    if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid" 2>/dev/null
        report "torch.compile prewarm stopped after $(($(now) - t0))s (waited ${waited}s)"
    else
        report "torch.compile prewarm ended after about $(($(now) - t0))s (waited ${waited}s): $(tail -1 "$work/prewarm/log.txt" | cut -c1-120)"
    fi
    rm -f "$work/prewarm/pid"
}

# ==== stage: probe ====
stage_probe() {
    local p=$sdir problems= warnings=
    {
        echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "tree: $(git -C "$root" rev-parse HEAD 2>/dev/null || echo "unknown (no .git)")"
        [ -f .kit/pack/MANIFEST.txt ] && sed -n '2,4p' .kit/pack/MANIFEST.txt | sed 's/^/kit /'
        echo "os: $(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-unknown}"), kernel $(uname -r), $(uname -m)"
        echo "cpus: $(nproc), memory: $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)," \
            "disk free here: $(df -h . | awk 'NR == 2 { print $4 }')"
        echo "user: $(id -un 2>/dev/null || id -u)"
    } >"$p/machine.txt"
    # the GPU
    local gpu=
    if command -v nvidia-smi >/dev/null; then
        nvidia-smi >"$p/nvidia-smi.txt" 2>&1
        nvidia-smi -q >"$p/nvidia-smi-q.txt" 2>&1
        gpu=$(nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv,noheader 2>/dev/null | head -1)
        nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total,clocks.max.sm,clocks.max.mem,power.limit,persistence_mode,mig.mode.current,ecc.mode.current \
            --format=csv >"$p/gpu.csv" 2>&1
    fi
    [ -n "$gpu" ] || problems+=" no-GPU-visible(nvidia-smi)"
    local cc arch
    cc=$(echo "$gpu" | awk -F', *' '{ print $3 }')
    arch=${RISE_CUDA_ARCH:-$(echo "$cc" | tr -d '. ')}
    [[ $arch =~ ^[0-9]+$ ]] || { arch=90; problems+=" no-compute-capability(sm_90-assumed)"; }
    # compilers and tools
    local nvcc cmake ninja san ncu py
    nvcc=$(command -v nvcc || { [ -x /usr/local/cuda/bin/nvcc ] && echo /usr/local/cuda/bin/nvcc; } || true)
    cmake=$(command -v cmake || true)
    if [ -z "$cmake" ] && command -v python3 >/dev/null; then
        cmake=$(python3 -c 'import cmake, os; print(os.path.join(cmake.CMAKE_BIN_DIR, "cmake"))' 2>/dev/null || true)
    fi
    ninja=$(command -v ninja || true)
    if [ -z "$ninja" ] && command -v python3 >/dev/null; then
        ninja=$(python3 -c 'import ninja, os; print(os.path.join(ninja.BIN_DIR, "ninja"))' 2>/dev/null || true)
    fi
    san=$(command -v compute-sanitizer || { [ -x /usr/local/cuda/bin/compute-sanitizer ] && echo /usr/local/cuda/bin/compute-sanitizer; } || true)
    ncu=$(command -v ncu || ls /usr/local/cuda/bin/ncu /opt/nvidia/nsight-compute/*/ncu 2>/dev/null | head -1 || true)
    py=$(command -v python3 || true)
    {
        echo "gcc: $(gcc --version 2>/dev/null | head -1 || echo missing)"
        echo "g++: $(g++ --version 2>/dev/null | head -1 || echo missing)"
        echo "nvcc: ${nvcc:-missing} $([ -n "$nvcc" ] && "$nvcc" --version | tail -2 | head -1)"
        echo "cmake: ${cmake:-missing} $([ -n "$cmake" ] && "$cmake" --version | head -1)"
        echo "ninja: ${ninja:-missing} $([ -n "$ninja" ] && "$ninja" --version)"
        echo "make: $(command -v make || echo missing)"
        echo "compute-sanitizer: ${san:-missing} $([ -n "$san" ] && "$san" --version 2>/dev/null | grep -i version | head -1)"
        echo "ncu: ${ncu:-missing} $([ -n "$ncu" ] && "$ncu" --version 2>/dev/null | tail -1)"
        echo "python3: ${py:-missing} $([ -n "$py" ] && "$py" --version 2>&1)"
        echo "glibc: $(getconf GNU_LIBC_VERSION 2>/dev/null || ldd --version 2>/dev/null | head -1)"
        local stdcxx
        stdcxx=$(g++ -print-file-name=libstdc++.so.6 2>/dev/null)
        echo "libstdc++: $stdcxx, newest $(grep -ao 'GLIBCXX_3\.4\.[0-9]*' "$stdcxx" 2>/dev/null | sort -V | tail -1)"
        echo "libgomp: $(gcc -print-file-name=libgomp.so 2>/dev/null)"
    } >"$p/tools.txt"
    command -v gcc >/dev/null && command -v g++ >/dev/null || problems+=" no-gcc/g++"
    [ -n "$nvcc" ] || problems+=" no-nvcc"
    [ -n "$cmake" ] || problems+=" no-cmake"
    local cmake_version
    cmake_version=$([ -n "$cmake" ] && "$cmake" --version | sed -n '1s/.* //p')
    [ -z "$cmake_version" ] || [ "$(printf '3.24\n%s\n' "$cmake_version" | sort -V | head -1)" = 3.24 ] ||
        problems+=" cmake-$cmake_version-older-than-3.24"
    # the kit's libraries need a glibc at least this new
    local have need
    have=$(getconf GNU_LIBC_VERSION 2>/dev/null | awk '{ print $2 }')
    need=$(sed -n 's/^needs_glibc: //p' .kit/pack/MANIFEST.txt 2>/dev/null)
    if [ -n "$need" ] && [ -n "$have" ] &&
        [ "$(printf '%s\n%s\n' "$need" "$have" | sort -V | head -1)" != "$need" ]; then
        problems+=" glibc-$have-older-than-the-kit's-$need"
    fi
    # OpenMP with the host compiler (FindOpenMP needs omp.h and libgomp)
    printf '#include <omp.h>\n#include <stdio.h>\nint main(void){int n=0;\n#pragma omp parallel\n{\n#pragma omp atomic\nn++;}\nprintf("openmp threads %%d\\n",n);return 0;}\n' >"$p/omp.c"
    if gcc -fopenmp "$p/omp.c" -o "$p/omp" >"$p/omp.txt" 2>&1 && "$p/omp" >>"$p/omp.txt" 2>&1; then :; else problems+=" no-OpenMP(gcc-fopenmp)"; fi
    # a CUDA hello: nvcc with this host compiler for this arch, the driver running it
    local cuda_flags=
    cat >"$p/hello.cu" <<'EOF'
#include <cstdio>
#include <cuda_runtime.h>
__global__ void add(const float *a, float *b, int n) { int i = blockIdx.x * blockDim.x + threadIdx.x; if (i < n) b[i] += a[i]; }
int main() {
    int n = 0, drv = 0, rt = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    cudaDriverGetVersion(&drv); cudaRuntimeGetVersion(&rt);
    printf("driver API %d, runtime %d, devices %d (%s)\n", drv, rt, n, cudaGetErrorString(e));
    if (e != cudaSuccess || n < 1) return 1;
    cudaDeviceProp p; cudaGetDeviceProperties(&p, 0);
    printf("%s: cc %d.%d, %d SMs, L2 %d KiB, %zu MiB, %d KiB shared/block opt-in\n", p.name, p.major, p.minor,
           p.multiProcessorCount, p.l2CacheSize / 1024, p.totalGlobalMem >> 20, (int)(p.sharedMemPerBlockOptin / 1024));
    const int N = 1 << 20; float *a, *b; cudaMalloc(&a, N * 4); cudaMalloc(&b, N * 4);
    cudaMemset(a, 0, N * 4); cudaMemset(b, 0, N * 4); add<<<(N + 255) / 256, 256>>>(a, b, N);
    e = cudaDeviceSynchronize(); printf("kernel: %s\n", cudaGetErrorString(e));
    return e == cudaSuccess ? 0 : 1;
}
EOF
    if [ -n "$nvcc" ]; then
        if ! "$nvcc" -arch=sm_"$arch" "$p/hello.cu" -o "$p/hello" >"$p/hello_build.txt" 2>&1; then
            if grep -qi "unsupported GNU version\|unsupported.*compiler" "$p/hello_build.txt" &&
                "$nvcc" -arch=sm_"$arch" -allow-unsupported-compiler "$p/hello.cu" -o "$p/hello" >>"$p/hello_build.txt" 2>&1; then
                cuda_flags=-allow-unsupported-compiler
                warnings+=" host-compiler-unsupported-by-nvcc(using-allow-unsupported-compiler)"
            else
                problems+=" nvcc-cannot-build-a-CUDA-hello"
            fi
        fi
        if [ -x "$p/hello" ] && ! "$p/hello" >"$p/hello.txt" 2>&1; then
            [ "$dry" = 1 ] && warnings+=" CUDA-hello-failed-to-run(dry-run)" || problems+=" CUDA-hello-failed-to-run"
        fi
    fi
    # the libraries the machine itself has (the kit brings its own)
    ldconfig -p 2>/dev/null | grep -E 'libhdf5|libopenblas|libcjson|libpng16|libmujoco|libgfortran|libgomp|libz\.so|libstdc\+\+|libcudart|libcublas|libnccl' >"$p/ldconfig.txt"
    # python and torch, for the peers stage
    local torch=
    [ -n "$py" ] && torch=$(timeout 60 "$py" -c 'import torch; print(torch.__version__, "cuda" if torch.cuda.is_available() else "no-cuda", torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")' 2>"$p/torch_err.txt")
    echo "torch: ${torch:-not importable}" >>"$p/tools.txt"
    # NCCL, for the nccl stage's build: the system's (header and library together), else the
    # pair PyTorch's wheels bring (nvidia-nccl-cu*: include/nccl.h, lib/libnccl.so.2)
    local nccl_inc= nccl_lib= d site
    for d in /usr/include /usr/local/cuda/include ${nvcc:+"$(dirname "$nvcc")/../include"}; do
        [ -f "$d/nccl.h" ] && { nccl_inc=$(cd "$d" && pwd); break; }
    done
    nccl_lib=$(ldconfig -p 2>/dev/null | awk '/libnccl\.so.*x86-64/ { print $NF; exit }')
    if [ -z "$nccl_inc" ] || [ -z "$nccl_lib" ]; then
        nccl_inc= nccl_lib=
        for site in $([ -n "$py" ] && timeout 30 "$py" -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null); do
            [ -d "$site/nvidia" ] || continue
            d=$(find "$site/nvidia" -maxdepth 4 -name nccl.h -path '*/include/*' 2>/dev/null | head -1)
            [ -n "$d" ] || continue
            nccl_inc=$(dirname "$d")
            nccl_lib=$(ls "$(dirname "$nccl_inc")"/lib/libnccl.so* 2>/dev/null | head -1)
            [ -n "$nccl_lib" ] && break
            nccl_inc=
        done
    fi
    echo "nccl: ${nccl_inc:-no nccl.h} ${nccl_lib:-no libnccl}" >>"$p/tools.txt"
    # cuDNN, for the U-Net's convolutions (too big for the kit: its engine libraries alone are
    # some 400 MB): the build finds a copy in the CUDA toolkit or the system by itself
    # (RISE_CUDNN=AUTO); where there is none, the one PyTorch's wheels bring (nvidia-cudnn-*:
    # include/cudnn*.h, lib/libcudnn.so.9, whose parts it loads from its own folder); else the
    # convolutions run on im2col + cuBLAS (the build says so)
    local cudnn_sys= cudnn_inc= cudnn_lib=
    cudnn_sys=$(ldconfig -p 2>/dev/null | awk '/libcudnn\.so.*x86-64/ { print $NF; exit }')
    [ -n "$cudnn_sys" ] || [ -z "$nvcc" ] || cudnn_sys=$(ls "$(dirname "$nvcc")"/../lib*/libcudnn.so* 2>/dev/null | head -1)
    for site in $([ -n "$py" ] && timeout 30 "$py" -c 'import site; print(" ".join(site.getsitepackages()))' 2>/dev/null); do
        [ -d "$site/nvidia" ] || continue
        d=$(find "$site/nvidia" -maxdepth 4 -name cudnn_version.h -path '*/include/*' 2>/dev/null | head -1)
        [ -n "$d" ] || continue
        cudnn_inc=$(dirname "$d")
        cudnn_lib=$(ls "$(dirname "$cudnn_inc")"/lib/libcudnn.so* 2>/dev/null | head -1)
        [ -n "$cudnn_lib" ] && [ -f "$cudnn_inc/cudnn.h" ] && break
        cudnn_inc= cudnn_lib=
    done
    echo "cudnn: system ${cudnn_sys:-none}; in the Python packages ${cudnn_lib:-none}" >>"$p/tools.txt"
    {
        echo "GS_ARCH=$arch"
        echo "GS_NVCC='$nvcc'"
        echo "GS_CMAKE='$cmake'"
        # ctest next to cmake (the pip package's bin folder may not be on PATH)
        echo "GS_CTEST='$(if [ -n "$cmake" ] && [ -x "$(dirname "$cmake")/ctest" ]; then echo "$(dirname "$cmake")/ctest"; else command -v ctest; fi)'"
        echo "GS_NINJA='$ninja'"
        echo "GS_SANITIZER='$san'"
        echo "GS_NCU='$ncu'"
        echo "GS_PYTHON='$py'"
        echo "GS_TORCH='$torch'"
        echo "GS_NCCL_INC='$nccl_inc'"
        echo "GS_NCCL_LIB='$nccl_lib'"
        echo "GS_CUDNN_INC='$cudnn_inc'"
        echo "GS_CUDNN_LIB='$cudnn_lib'"
        echo "GS_CUDA_FLAGS='$cuda_flags'"
    } >"$work/facts.env"
    cat "$p/machine.txt" "$p/tools.txt" >"$p/report.txt"
    [ -s "$p/gpu.csv" ] && cat "$p/gpu.csv" >>"$p/report.txt"
    [ -s "$p/hello.txt" ] && sed 's/^/cuda hello: /' "$p/hello.txt" >>"$p/report.txt"
    note "${gpu:-no GPU}; sm_$arch; $(gcc -dumpfullversion 2>/dev/null | sed 's/^/gcc /'); glibc ${have:-?}; torch ${torch:-none}${problems:+; PROBLEMS:$problems}${warnings:+; warnings:$warnings}"
    [ -z "$problems" ]
}

# ==== stage: build ====
stage_build() {
    facts
    local p=$sdir deps=() kit=$root/.kit/prefix
    if [ -f .kit/pack/rise-deps.tar.gz ]; then
        if ! cmp -s .kit/pack/MANIFEST.txt "$kit/MANIFEST.txt"; then
            rm -rf "$kit" && mkdir -p "$kit"
            tar -C "$kit" -xzf .kit/pack/rise-deps.tar.gz 2>"$p/unpack.txt" ||
                python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' \
                    .kit/pack/rise-deps.tar.gz "$kit" 2>>"$p/unpack.txt" ||
                { note "could not unpack .kit/pack/rise-deps.tar.gz: $(tail -1 "$p/unpack.txt")"; return 1; }
        fi
        deps=(-DRISE_DEPS_PREFIX="$kit" -DRISE_MPI=OFF)
        report "libraries: the kit ($(sed -n 2p "$kit/MANIFEST.txt"))"
    else
        report "libraries: the system's (no .kit/pack here)"
    fi
    prewarm_compile
    local cmake=${GS_CMAKE:-cmake} gen=() jobs
    [ -n "${GS_NINJA:-}" ] && gen=(-G Ninja -DCMAKE_MAKE_PROGRAM="$GS_NINJA")
    jobs=$(nproc)
    # NCCL only where the nccl stage has tests to run and the probe found it (a machine's
    # NCCL that does not configure or build costs the nccl stage, not the build)
    local nccl=(-DRISE_NCCL=OFF) nccl_note="NCCL off (no tests/gpu/test_nccl*)"
    if ls tests/gpu/test_nccl*.c >/dev/null 2>&1; then
        if [ -n "${GS_NCCL_INC:-}" ] && [ -n "${GS_NCCL_LIB:-}" ]; then
            nccl=(-DRISE_NCCL=ON -DNCCL_INCLUDE_DIR="$GS_NCCL_INC" -DNCCL_LIBRARY="$GS_NCCL_LIB")
            nccl_note="NCCL on ($GS_NCCL_LIB)"
        else
            nccl_note="NCCL off: the probe found no nccl.h + libnccl"
        fi
    fi
    # a folder configured with another generator cannot be reused
    if [ -f "$build/CMakeCache.txt" ] && ! grep -q "CMAKE_GENERATOR:INTERNAL=${gen[1]:-Unix Makefiles}" "$build/CMakeCache.txt"; then
        find "$build" -mindepth 1 -maxdepth 1 ! -name session -exec rm -rf {} +
    fi
    local args=(-S . -B "$build" "${gen[@]}" -DCMAKE_BUILD_TYPE=Release -DRISE_CUDA=ON
        -DCMAKE_CUDA_ARCHITECTURES="${GS_ARCH:-90}" -DRISE_CUDA_WERROR=OFF "${deps[@]}")
    [ -n "${GS_NVCC:-}" ] && args+=(-DCMAKE_CUDA_COMPILER="$GS_NVCC")
    [ -n "${GS_CUDA_FLAGS:-}" ] && args+=(-DCMAKE_CUDA_FLAGS="$GS_CUDA_FLAGS")
    echo "+ $cmake ${args[*]} ${nccl[*]}" >"$p/configure.txt"
    local configured=0
    if "$cmake" "${args[@]}" "${nccl[@]}" >>"$p/configure.txt" 2>&1; then
        configured=1
    elif grep -qi "unsupported GNU version" "$p/configure.txt"; then # the probe did not see it
        args+=(-DCMAKE_CUDA_FLAGS=-allow-unsupported-compiler)
        echo "GS_CUDA_FLAGS='-allow-unsupported-compiler'" >>"$work/facts.env"
        "$cmake" "${args[@]}" "${nccl[@]}" >>"$p/configure.txt" 2>&1 && configured=1
    fi
    if [ "$configured" = 0 ] && [ "${nccl[0]}" = -DRISE_NCCL=ON ]; then
        nccl=(-DRISE_NCCL=OFF) nccl_note="NCCL off: configuring with it failed (configure.txt)"
        "$cmake" "${args[@]}" "${nccl[@]}" >>"$p/configure.txt" 2>&1 && configured=1
    fi
    # cuDNN: the toolkit's or the system's when CMake found one; else PyTorch's (its headers
    # alone, through a folder of links, so the wheel's other CUDA headers stay out); a
    # configure or build that fails with it is redone without it (im2col + cuBLAS)
    local cudnn=() cudnn_note
    if [ "$configured" = 1 ]; then
        if grep -q 'cuDNN .*yes' "$p/configure.txt"; then
            cudnn_note="cuDNN $(sed -n 's/.*cuDNN  *yes: \([0-9]*\).*/\1/p' "$p/configure.txt" | tail -1) (the machine's: $(sed -n 's/.*cuDNN  *yes: [0-9.x]* (\([^)]*\)).*/\1/p' "$p/configure.txt" | tail -1))"
        elif [ -n "${GS_CUDNN_LIB:-}" ] && [ -n "${GS_CUDNN_INC:-}" ]; then
            rm -rf "$work/cudnn-include" && mkdir -p "$work/cudnn-include" &&
                ln -s "$GS_CUDNN_INC"/cudnn*.h "$work/cudnn-include/"
            cudnn=(-DRISE_CUDNN=ON -DCUDNN_INCLUDE_DIR="$work/cudnn-include" -DCUDNN_LIBRARY="$GS_CUDNN_LIB")
            cudnn_note="cuDNN $(sed -n 's/^#define CUDNN_MAJOR \([0-9]*\).*/\1/p' "$GS_CUDNN_INC/cudnn_version.h") (PyTorch's: $GS_CUDNN_LIB)"
            if ! "$cmake" "${args[@]}" "${nccl[@]}" "${cudnn[@]}" >>"$p/configure.txt" 2>&1; then
                cudnn=(-DRISE_CUDNN=OFF)
                cudnn_note="no cuDNN: convolutions on im2col + cuBLAS (configuring with PyTorch's failed: configure.txt)"
                "$cmake" "${args[@]}" "${nccl[@]}" "${cudnn[@]}" >>"$p/configure.txt" 2>&1 || configured=0
            fi
        else
            cudnn_note="no cuDNN: convolutions on im2col + cuBLAS (none on this machine; it is too big for the kit)"
        fi
    fi
    if [ "$configured" = 0 ]; then
        tail -30 "$p/configure.txt" >"$p/report.txt"
        note "configure failed: $(sed 1d "$p/configure.txt" | grep -m1 -i 'error')$([ ${#deps[@]} -eq 0 ] &&
            echo " (no kit here: run scripts/device_kit.sh in the checkout and carry .kit/pack)")"
        return 1
    fi
    sed -n '/rise .* configuration/,/^-- $/p' "$p/configure.txt" | sed 's/^-- //' >>"$p/report.txt"
    local targets t0
    targets=$(print_targets)
    t0=$(now)
    local built=0
    "$cmake" --build "$build" -j"$jobs" --target $targets >"$p/build.txt" 2>&1 && built=1
    if [ "$built" = 0 ] && [ "${cudnn[0]:-}" = -DRISE_CUDNN=ON ] && grep -qi cudnn "$p/build.txt"; then
        # PyTorch's cuDNN broke the build: the convolutions have their own variants
        mv "$p/build.txt" "$p/build_with_cudnn.txt"
        cudnn=(-DRISE_CUDNN=OFF)
        cudnn_note="no cuDNN: convolutions on im2col + cuBLAS (building with PyTorch's failed: build_with_cudnn.txt)"
        "$cmake" "${args[@]}" "${nccl[@]}" "${cudnn[@]}" >>"$p/configure.txt" 2>&1 &&
            "$cmake" --build "$build" -j"$jobs" --target $targets >"$p/build.txt" 2>&1 && built=1
    fi
    if [ "$built" = 0 ] && [ "${nccl[0]}" = -DRISE_NCCL=ON ] && grep -qi nccl "$p/build.txt"; then
        # the machine's NCCL broke the build: everything else is worth more than the nccl stage
        mv "$p/build.txt" "$p/build_with_nccl.txt"
        nccl=(-DRISE_NCCL=OFF) nccl_note="NCCL off: building with it failed (build_with_nccl.txt)"
        "$cmake" "${args[@]}" "${nccl[@]}" "${cudnn[@]}" >>"$p/configure.txt" 2>&1 &&
            "$cmake" --build "$build" -j"$jobs" --target $targets >"$p/build.txt" 2>&1 && built=1
    fi
    if [ "$built" = 0 ]; then
        grep -E -m20 "error|Error" "$p/build.txt" >>"$p/report.txt"
        note "build failed after $(($(now) - t0))s: $(grep -E -m1 'error' "$p/build.txt")"
        return 1
    fi
    echo "GS_NCCL_BUILT=$([ "${nccl[0]}" = -DRISE_NCCL=ON ] && echo 1 || echo 0)" >>"$work/facts.env"
    printf 'GS_CUDNN_NOTE=%q\n' "$cudnn_note" >>"$work/facts.env"
    report "$nccl_note"
    report "$cudnn_note"
    local warnings nexe
    warnings=$(grep -c "warning" "$p/build.txt")
    grep -E "warning" "$p/build.txt" | sort | uniq -c | sort -rn | head -20 >"$p/warnings.txt"
    nexe=$(echo $targets | wc -w)
    # every rise dependency must load from the kit (and CUDA's from the toolkit); if the
    # RPATH and the loader's cache do not do it (CMake puts no RPATH to the toolkit's own
    # folders, and an image need not list them in ld.so.conf), fall back to LD_LIBRARY_PATH
    # for the later stages, and say so
    local ldd_note=
    if [ ${#deps[@]} -gt 0 ]; then
        local exes cuda_lib=
        exes=$(find "$build" -maxdepth 3 -type f -perm -u+x \( -name rise -o -name 'test_*' -o -name 'bench_*' \) | sort)
        if [ -n "${GS_NVCC:-}" ]; then
            local c
            c=$(cd "$(dirname "$(readlink -f "$GS_NVCC")")/.." && pwd)
            for d in "$c/lib64" "$c/lib" "$c/targets/x86_64-linux/lib"; do [ -d "$d" ] && cuda_lib+=":$d"; done
        fi
        # NCCL and cuDNN from PyTorch's wheels, where the build took them
        [ "${nccl[0]}" = -DRISE_NCCL=ON ] && cuda_lib+=":$(dirname "$GS_NCCL_LIB")"
        [ "${cudnn[0]:-}" = -DRISE_CUDNN=ON ] && cuda_lib+=":$(dirname "$GS_CUDNN_LIB")"
        if ! scripts/kit_ldd_check.sh "$kit" $exes >"$p/ldd.txt" 2>&1; then
            export LD_LIBRARY_PATH=$kit/usr/lib/x86_64-linux-gnu:$kit/usr/lib/x86_64-linux-gnu/openblas-openmp$cuda_lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
            if scripts/kit_ldd_check.sh "$kit" $exes >"$p/ldd_with_path.txt" 2>&1; then
                echo "export LD_LIBRARY_PATH='$LD_LIBRARY_PATH'" >>"$work/facts.env"
                ldd_note="; ldd: needed LD_LIBRARY_PATH (the RPATH did not resolve)"
            else
                grep "outside" "$p/ldd_with_path.txt" | head -5 >>"$p/report.txt"
                note "built, but libraries do not resolve: $(grep -m1 outside "$p/ldd_with_path.txt")"
                return 1
            fi
        else
            ldd_note="; ldd: every library from the kit or the machine"
        fi
        ldd "$build/rise" >"$p/ldd_rise.txt" 2>&1
    fi
    note "sm_${GS_ARCH:-90}, $nexe targets in $(($(now) - t0))s, $warnings warning lines$ldd_note; ${nccl_note%% (*}; ${cudnn_note%% (*}"
}

# ==== stage: tests ====
# ctest_counts FILE: "P passed, F failed of T" from a ctest log
ctest_counts() {
    sed -n 's/.*tests passed, \([0-9]*\) tests failed out of \([0-9]*\).*/\1 \2/p' "$1" | tail -1 |
        awk '{ printf "%d passed, %d failed of %d", $2 - $1, $1, $2 }'
}
stage_tests() {
    facts
    local p=$sdir t=$((${GS_BOX:-180} - 10))
    cd "$build" || return 1
    if [ "$dry" = 1 ]; then
        # no device here: every GPU test must skip without RISE_REQUIRE_GPU and fail with it
        env -u RISE_REQUIRE_GPU "${GS_CTEST:-ctest}" -L gpu -LE mpi -E "$own_stage_tests" --timeout "$t" -j2 >"$p/ctest_skip.txt" 2>&1
        RISE_REQUIRE_GPU=1 "${GS_CTEST:-ctest}" -L gpu -LE mpi -E "$own_stage_tests" --timeout "$t" -j2 >"$p/ctest.txt" 2>&1
        local n skipped failed
        n=$(grep -c "Test *#[0-9]*: " "$p/ctest.txt")
        skipped=$(grep -c "Test *#[0-9]*: .*\*\*\*Skipped" "$p/ctest_skip.txt")
        failed=$(grep -c "Test *#[0-9]*: .*\*\*\*Failed" "$p/ctest.txt")
        report "dry run: $skipped of $n GPU tests skip without RISE_REQUIRE_GPU; with it $failed of $n fail"
        note "dry run: $skipped/$n skip, with RISE_REQUIRE_GPU=1 $failed/$n fail"
        [ "$n" -gt 0 ] && [ "$skipped" -eq "$n" ] && [ "$failed" -eq "$n" ]
        return
    fi
    # the NCCL and U-Net tests have their own stages (NCCL needs to be in the build), the
    # MPI ones need mpirun and several ranks; everything else labelled gpu, the deliberate
    # faults too
    RISE_REQUIRE_GPU=1 "${GS_CTEST:-ctest}" -L gpu -LE mpi -E "$own_stage_tests" --output-on-failure --timeout "$t" \
        -j8 >"$p/ctest.txt" 2>&1
    local rc=$?
    grep -E "Test +#|tests passed|Total Test" "$p/ctest.txt" >"$p/report.txt"
    grep -E "^FAIL|FAIL " "$p/ctest.txt" | head -40 >>"$p/report.txt"
    note "$(ctest_counts "$p/ctest.txt") (RISE_REQUIRE_GPU=1)"
    return $rc
}

# ==== stage: sanitizer ====
# sanitizer_start LIMIT TEST...: memcheck and racecheck on each test at once, in the
# background (they are independent; both tools are slow), each under LIMIT seconds
sanitizer_start() {
    local limit=$1 t tool
    shift
    san_pids=() san_names=() san_limit=$limit
    for tool in memcheck racecheck; do
        for t in "$@"; do
            (cd tests && RISE_REQUIRE_GPU=$((1 - dry)) RISE_TEST_SHAPES=$sanitizer_shapes OMP_NUM_THREADS=2 \
                timeout -k 5 "$limit" "$GS_SANITIZER" --tool "$tool" \
                --error-exitcode 9 --print-limit 50 "$build/tests/$t") >"$sdir/${tool}_$t.txt" 2>&1 &
            san_pids+=($!) san_names+=("${tool}_$t")
        done
    done
}
# sanitizer_collect: waits for them and reports each; sets san_ok, san_bad and
# san_unsupported (compute-sanitizer refused the device, as it does under gVisor)
sanitizer_collect() {
    local i rc line f
    san_ok=0 san_bad=0 san_unsupported=0
    for i in "${!san_pids[@]}"; do
        wait "${san_pids[$i]}"
        rc=$?
        f=$sdir/${san_names[$i]}.txt
        line=$(grep -E "ERROR SUMMARY|RACECHECK SUMMARY|HAZARD|error" "$f" | tail -1)
        if [ "$rc" != 0 ] && grep -qi "device not supported" "$f"; then
            san_unsupported=$((san_unsupported + 1))
            report "UNSUPPORTED ${san_names[$i]}: $(grep -m1 -i 'device not supported' "$f")"
            continue
        fi
        case $rc in
        0) san_ok=$((san_ok + 1)); report "ok       ${san_names[$i]}: $line" ;;
        9) san_bad=$((san_bad + 1)); report "ERRORS   ${san_names[$i]}: $line" ;;
        124 | 137) san_bad=$((san_bad + 1)); report "TIMEOUT  ${san_names[$i]} after ${san_limit}s: $(grep -c '^=========.*\(Invalid\|Race\|Error\)' "$f") findings so far" ;;
        77) if [ "$dry" = 1 ]; then san_ok=$((san_ok + 1)); report "skipped  ${san_names[$i]} (dry run, no device)"; else san_bad=$((san_bad + 1)); report "SKIPPED  ${san_names[$i]}"; fi ;;
        *) san_bad=$((san_bad + 1)); report "FAILED   ${san_names[$i]} (exit $rc): $line" ;;
        esac
    done
}
stage_sanitizer() {
    facts
    local p=$sdir faults tests= t
    [ -n "${GS_SANITIZER:-}" ] || { note "compute-sanitizer not found"; return 1; }
    faults=" $( (cd "$build" && "${GS_CTEST:-ctest}" -N -L faults) | sed -n 's/.*Test *#[0-9]*: \([^ ]*\).*/\1/p' | tr '\n' ' ') "
    for t in $sanitizer_tests; do
        case "$faults" in
        *" $t "*) report "left out: $t (label faults)" ;;
        *) if [ -x "$build/tests/$t" ]; then tests+=" $t"; else report "left out: $t (not in this build)"; fi ;;
        esac
    done
    sanitizer_start $((${GS_BOX:-150} - 10)) $tests
    sanitizer_collect
    note "$san_ok of ${#san_pids[@]} clean ($(echo $tests | wc -w) tests x memcheck, racecheck; RISE_TEST_SHAPES=$sanitizer_shapes)$([ "$san_unsupported" -gt 0 ] && echo "; compute-sanitizer refused the device in $san_unsupported")"
    [ "$san_bad" -eq 0 ] && [ "$san_unsupported" -eq 0 ]
}

# ==== stage: bench ====
stage_bench() {
    facts
    prewarm_wait 60
    local p=$sdir backend=cuda extra=()
    [ "$dry" = 1 ] && { backend=cpu; extra=(--quick); }
    RISE_REQUIRE_GPU=$((1 - dry)) benchmarks/run_all.sh --skip unet "$build" "$p/json" -- --backend "$backend" "${extra[@]}" >"$p/bench.txt" 2>&1
    local rc=$? kv=() f
    for f in "$p"/json/bench_*.json; do [ -s "$f" ] && kv+=("$(basename "$f" .json)=$f"); done
    json_bundle "$p/ops.json" "${kv[@]}"
    # the perf table with the ceilings measured on an H200 here (copy 4.3 TB/s; fp32
    # non-tensor FLOP peak 67 TFLOP/s by the datasheet; L2 60 MB)
    command -v python3 >/dev/null && python3 benchmarks/perf_table.py "$p/json" --peak-gbps 4300 \
        --peak-gflops 67000 --cache-bytes 62914560 >"$p/perf_table.md" 2>&1
    tail -3 "$p/bench.txt" >"$p/report.txt"
    note "$(tail -1 "$p/bench.txt" | sed 's/^run_all.sh: //; s/;.*//'); perf table $(grep -c '^|' "$p/perf_table.md" 2>/dev/null || echo 0) rows"
    return $rc
}

# ==== stage: train ====
stage_train() {
    facts
    prewarm_wait 60
    # graphs on at every size (the default on cuda); off at the target size, for the gain
    local p=$sdir backend=cuda steps=300 runs_list="256x256:on 256x256:off 512x256:on 256x512:on 512x512:on"
    local quick=() run b w g bad=0 kv=() name rc
    [ "$dry" = 1 ] && { backend=cpu; steps=2; runs_list="32x32:on 32x32:off"; quick=(--quick); }
    local runs
    runs=$(echo $runs_list | wc -w)
    local limit=$(((${GS_BOX:-160} - 5) / runs))
    report "batch width graph  idql/s   rise/s  extract1 ms  extract64 ms"
    for run in $runs_list; do
        b=${run%%x*} w=${run#*x} g=${run#*:}
        w=${w%%:*}
        name=train_b${b}_w${w}_graph_$g
        RISE_REQUIRE_GPU=1 timeout -k 5 "$limit" "$build/benchmarks/bench_train" --backend "$backend" --algo idql,rise \
            --batch "$b" --width "$w" --graph "$g" --steps $steps "${quick[@]}" --json "$p/$name.json" >"$p/$name.txt" 2>&1
        rc=$?
        [ $rc -eq 0 ] || { bad=1; report "$name FAILED (exit $rc): $(tail -1 "$p/$name.txt")"; continue; }
        kv+=("$name=$p/$name.json")
        report "$(awk -v b="$b" -v w="$w" -v g="$g" '
            $1 == "idql_update_steps_per_s" { i = $2 } $1 == "rise_update_steps_per_s" { r = $2 }
            $1 == "extract_latency_ms_1_state" { e1 = $2 } $1 == "extract_latency_ms_64_states" { e64 = $2 }
            END { printf "%5s %5s %5s %8s %8s %12s %13s", b, w, g, i, r, e1, e64 }' "$p/$name.txt")"
    done
    json_bundle "$p/train.json" "${kv[@]}"
    note "${#kv[@]} of $runs runs ($steps timed steps each, at most ${limit}s each$([ "$dry" = 1 ] && echo "; dry run: cpu, small sizes"))"
    return $bad
}

# ==== stage: images ====
# bench_images on the device: gather + upload, crop, encoder forward and backward, and the
# steps/s of diffusion BC and RISE (policy + three critic encoders) on 84x84 frames, with the
# small conv trunk and with ResNet-18 (encoder.trunk=resnet); then the PyTorch peer
# (benchmarks/peers/image_bc_torch.py, diffusion BC with the same encoders on the GPU) when a
# torch with CUDA is there. Whether the CUDA image path is right is the tests stage's
# (test_train_images_gpu, test_image_ops_gpu).
stage_images() {
    facts
    local p=$sdir backend=cuda size=84 batches=64,256 steps=20 rc bad=0 py=${GS_PYTHON:-python3}
    local end=$(($(now) + ${GS_BOX:-70} - 5)) resnet=(--set encoder.trunk=resnet --set encoder.channels=64,128,256,512)
    [ "$dry" = 1 ] && { backend=cpu; size=16; batches=8; steps=1; resnet=(--set encoder.trunk=resnet --set encoder.channels=16,32); }
    RISE_REQUIRE_GPU=1 timeout -k 5 $(((end - $(now)) / 2)) "$build/benchmarks/bench_images" \
        --backend "$backend" --size $size --batches $batches --steps $steps >"$p/bench_images.txt" 2>&1
    rc=$?
    cat "$p/bench_images.txt" >>"$p/report.txt"
    if [ $rc -ne 0 ]; then
        note "bench_images FAILED (exit $rc): $(tail -1 "$p/bench_images.txt")"
        return 1
    fi
    RISE_REQUIRE_GPU=1 timeout -k 5 $(((end - $(now)) * 2 / 3)) "$build/benchmarks/bench_images" \
        --backend "$backend" --size $size --batches $batches --steps $((steps / 4 + 1)) "${resnet[@]}" \
        >"$p/bench_images_resnet18.txt" 2>&1 || { bad=1; report "bench_images resnet18 FAILED: $(tail -1 "$p/bench_images_resnet18.txt")"; }
    { echo "-- ResNet-18 trunk"; cat "$p/bench_images_resnet18.txt"; } >>"$p/report.txt"
    local peer="no torch peer"
    case "${GS_TORCH:-}" in
    *" cuda "* | *" cuda")
        peer="torch b64/b256 conv, resnet18:"
        for trunk in conv resnet18; do
            for b in ${batches//,/ }; do
                [ $((end - $(now))) -ge 10 ] || { peer+=" (no time left)"; break 2; }
                timeout -k 5 $((end - $(now))) "$py" benchmarks/peers/image_bc_torch.py --device cuda \
                    --trunk $trunk --batch $b --steps $steps >>"$p/image_bc_torch.txt" 2>&1 || bad=1
                peer+=" $(tail -1 "$p/image_bc_torch.txt" | sed -n 's/.*"steps_per_s": \([0-9.]*\).*/\1/p' | cut -c1-6)"
            done
        done
        cat "$p/image_bc_torch.txt" >>"$p/report.txt"
        ;;
    esac
    note "$(awk '$1 == "bc_diffusion" || $1 == "rise" { printf "%s b%s %s steps/s; ", $1, $2, $3 }' \
        "$p/bench_images.txt")resnet18: $(awk '$1 == "bc_diffusion" || $1 == "rise" { printf "%s b%s %s; ", $1, $2, $3 }' \
        "$p/bench_images_resnet18.txt")$peer$([ "$dry" = 1 ] && echo "; dry run: cpu, 16x16")"
    return $bad
}

# ==== stage: nccl ====
# The NCCL tests (data parallel at world size 1 on the GPU) when the checkout has them; they
# need NCCL in the build, which the build stage adds when the probe found it.
stage_nccl() {
    facts
    local p=$sdir t=$((${GS_BOX:-45} - 5)) names n
    names=$(cd tests/gpu && ls test_nccl*.c 2>/dev/null | sed 's/\.c$//' | tr '\n' ' ' | sed 's/ $//')
    if [ -z "$names" ]; then
        note "skipped: this checkout has no NCCL tests (tests/gpu/test_nccl*.c)"
        return 3
    fi
    n=$(echo $names | wc -w)
    cd "$build" || return 1
    if [ "$dry" = 1 ]; then
        env -u RISE_REQUIRE_GPU "${GS_CTEST:-ctest}" -R "$nccl_tests" -LE mpi --timeout "$t" >"$p/ctest.txt" 2>&1
        local skipped
        skipped=$(grep -c "Test *#[0-9]*: .*\*\*\*Skipped" "$p/ctest.txt")
        note "dry run: $skipped of $n NCCL tests skip without a device ($names)"
        [ "$skipped" -eq "$n" ]
        return
    fi
    if [ "${GS_NCCL_BUILT:-0}" != 1 ]; then
        note "cannot run $names: NCCL is not in this build ($(grep -m1 '^NCCL' "$work/build/report.txt" 2>/dev/null))"
        return 1
    fi
    RISE_REQUIRE_GPU=1 "${GS_CTEST:-ctest}" -R "$nccl_tests" -LE mpi --output-on-failure --timeout "$t" >"$p/ctest.txt" 2>&1
    local rc=$?
    grep -E "Test +#|tests passed|Total Test" "$p/ctest.txt" >"$p/report.txt"
    grep -E "^FAIL|FAIL " "$p/ctest.txt" | head -20 >>"$p/report.txt"
    note "$(ctest_counts "$p/ctest.txt") (RISE_REQUIRE_GPU=1; $names)"
    return $rc
}

# ==== stage: peers ====
stage_peers() {
    facts
    local p=$sdir py=${GS_PYTHON:-python3}
    case "${GS_TORCH:-}" in
    *" cuda "* | *" cuda") ;;
    *)
        note "no torch with CUDA in $py (${GS_TORCH:-torch not importable})"
        [ "$dry" = 1 ] && {
            python3 -m py_compile benchmarks/peers/compare.py benchmarks/peers/rise_update_torch.py \
                benchmarks/peers/iql_torch.py && return 3
        }
        return 1
        ;;
    esac
    prewarm_wait 90
    torch_env
    local end=$(($(now) + ${GS_BOX:-120} - 5)) bad=0 kv=() common
    common=(--build "$build" --backend cuda --rounds 1 --threads 4 --steps 300 --iql-steps 1000)
    # 1. the target: the RISE update at batch 256 against eager PyTorch and
    #    torch.compile(mode="reduce-overhead"); one round (the GPU is this run's alone)
    RISE_REQUIRE_GPU=1 timeout -k 5 $((end - $(now))) "$py" benchmarks/peers/compare.py "${common[@]}" \
        --cases rise256 --out "$p/rise256" >"$p/rise256.txt" 2>&1 || {
        bad=1
        report "rise256 FAILED: $(grep -m1 'FAILED\|Error' "$p/rise256.txt" || tail -1 "$p/rise256.txt")"
    }
    [ -s "$p/rise256/compare.json" ] && kv+=("rise256=$p/rise256/compare.json")
    sed -n '/^case /,$p' "$p/rise256.txt" >>"$p/report.txt"
    # 2. compare.py's other cases against eager PyTorch, while time allows
    if [ $((end - $(now))) -ge 30 ]; then
        RISE_REQUIRE_GPU=1 timeout -k 5 $((end - $(now))) "$py" benchmarks/peers/compare.py "${common[@]}" \
            --cases rise_maze,iql,extract --no-compile --out "$p/others" >"$p/others.txt" 2>&1 || {
            bad=1
            report "rise_maze,iql,extract FAILED: $(grep -m1 'FAILED\|Error' "$p/others.txt" || tail -1 "$p/others.txt")"
        }
        [ -s "$p/others/compare.json" ] && kv+=("others=$p/others/compare.json")
        sed -n '/^case /,$p' "$p/others.txt" | tail -n +2 >>"$p/report.txt"
    else
        report "rise_maze, iql, extract: no time left"
    fi
    json_bundle "$p/peers.json" "${kv[@]}"
    local targets
    targets=$(awk '/^target / { sub(/^target rise256 rise \/ /, ""); printf "%s%s", sep, $0; sep = "; " }' "$p/rise256.txt")
    note "rise256 rise / ${targets:-: no ratios (the rise256 comparison failed)}"
    return $bad
}

# ==== stage: unet ====
# The U-Net (policy.net=unet: the paper configs' denoiser, Diffusion Policy's conditional
# 1-D U-Net) on the GPU, in a stage of its own so that a U-Net failure costs only this
# stage: its GPU tests (ctest -L gpu -R unet: every conv1d variant, cuDNN's when the build
# has it, GroupNorm, FiLM and the whole network against the CPU backend; PyTorch's golden
# values), compute-sanitizer memcheck and racecheck on test_unet_gpu (small shapes, in the
# background meanwhile), bench_unet (each convolution variant and the whole network, CPU
# and paper dims), and paper_repro/configs/square_rise_paper.json trained a few steps with
# the step graph and then without (train.step_graph 1, 0): steps/s of both, and whether
# the capture held. The other stages leave the U-Net's tests and benchmark to this one.
stage_unet() {
    facts
    local p=$sdir cfg=paper_repro/configs/square_rise_paper.json end rc bad=0 parts=
    if [ ! -f tests/gpu/test_unet_gpu.c ] || ! grep -q '"net": *"unet"' "$cfg" 2>/dev/null; then
        note "skipped: this checkout has no U-Net (tests/gpu/test_unet_gpu.c, $cfg with policy.net unet)"
        return 3
    fi
    end=$(($(now) + ${GS_BOX:-100} - 5))
    local backend=cuda steps=200 sizes=() quick=()
    # the dry run: the cpu backend, a small network, a few steps
    [ "$dry" = 1 ] && { backend=cpu; steps=4; sizes=(--set policy.unet_down_dims=16,32 --set policy.unet_step_embed=16 --set train.batch=16); quick=(--quick); }
    # square data for the training runs, made on the host while the GPU tests run
    local data=$p/data
    mkdir -p "$data" "$p/cfg/x"
    ("$build/rise" gen --task square --kind expert --episodes 10 --seed 1 --out "$data/square_expert.h5" --quiet &&
        "$build/rise" gen --task square --kind play --episodes 20 --seed 2 --out "$data/square_play.h5" --quiet) \
        >"$p/gen.txt" 2>&1 &
    local gen_pid=$!
    # 1. the sanitizers in the background, 2. the GPU tests meanwhile (no timing yet)
    [ -n "${GS_SANITIZER:-}" ] && sanitizer_start $((${GS_BOX:-100} / 2)) test_unet_gpu
    local t=$((${GS_BOX:-100} / 2)) n
    if [ "$dry" = 1 ]; then
        (cd "$build" && env -u RISE_REQUIRE_GPU "${GS_CTEST:-ctest}" -L gpu -R unet --timeout "$t" -j2) >"$p/ctest_skip.txt" 2>&1
        (cd "$build" && RISE_REQUIRE_GPU=1 "${GS_CTEST:-ctest}" -L gpu -R unet --timeout "$t" -j2) >"$p/ctest.txt" 2>&1
        local skipped failed
        n=$(grep -c "Test *#[0-9]*: " "$p/ctest.txt")
        skipped=$(grep -c "Test *#[0-9]*: .*\*\*\*Skipped" "$p/ctest_skip.txt")
        failed=$(grep -c "Test *#[0-9]*: .*\*\*\*Failed" "$p/ctest.txt")
        parts+="tests: dry run, $skipped/$n skip, with RISE_REQUIRE_GPU=1 $failed/$n fail"
        [ "$n" -gt 0 ] && [ "$skipped" -eq "$n" ] && [ "$failed" -eq "$n" ] || bad=1
    else
        (cd "$build" && RISE_REQUIRE_GPU=1 "${GS_CTEST:-ctest}" -L gpu -R unet --output-on-failure --timeout "$t" \
            -j4) >"$p/ctest.txt" 2>&1 || bad=1
        parts+="tests: $(ctest_counts "$p/ctest.txt")"
    fi
    grep -E "Test +#|tests passed" "$p/ctest.txt" >>"$p/report.txt"
    grep -E "^FAIL|FAIL " "$p/ctest.txt" | head -20 >>"$p/report.txt"
    if [ -n "${GS_SANITIZER:-}" ]; then
        sanitizer_collect
        parts+="; sanitizer: $san_ok of ${#san_pids[@]} clean$([ "$san_unsupported" -gt 0 ] && echo ", refused the device")"
        [ "$san_bad" -eq 0 ] || bad=1
    else
        parts+="; sanitizer: compute-sanitizer not found"
        bad=1
    fi
    # 3. bench_unet (timing: nothing else on the GPU, the torch.compile prewarm ended)
    prewarm_wait 60
    local left=$((end - $(now)))
    RISE_REQUIRE_GPU=$((1 - dry)) timeout -k 5 $((left / 3 > 10 ? left / 3 : 10)) "$build/benchmarks/bench_unet" \
        --backend "$backend" "${quick[@]}" --json "$p/bench_unet.json" >"$p/bench_unet.txt" 2>&1
    rc=$?
    if [ $rc -eq 0 ]; then
        parts+="; bench_unet ok"
    else
        bad=1 parts+="; bench_unet FAILED (exit $rc)"
    fi
    grep -E '^(conv1d|unet|# bench_unet)' "$p/bench_unet.txt" | head -30 >>"$p/report.txt"
    # 4. the paper config, a few steps with the step graph and without
    wait "$gen_pid" || { note "${parts}; could not generate square data: $(tail -1 "$p/gen.txt")"; return 1; }
    sed "s|../../runs/data/|$data/|" "$cfg" >"$p/cfg/x/$(basename "$cfg")"
    local g sps capture runs_json= sep= t1
    for g in 1 0; do
        left=$((end - $(now)))
        [ "$g" = 0 ] || left=$((left / 2))
        if [ "$left" -lt 5 ]; then
            bad=1 parts+="; train graph $g: no time left"
            continue
        fi
        t1=$(now)
        RISE_REQUIRE_GPU=$((1 - dry)) timeout -k 5 "$left" "$build/rise" train --config "$p/cfg/x/$(basename "$cfg")" \
            --set train.backend="$backend" --set train.steps=$steps --set train.log_every=$steps \
            --set train.ckpt_every=$steps --set train.step_graph=$g "${sizes[@]}" \
            --out "$p/run_graph$g" --quiet >"$p/train_graph$g.txt" 2>&1
        rc=$?
        t1=$(($(now) - t1))
        sps=$(grep -o '[0-9.]* steps/s' "$p/train_graph$g.txt" | cut -d' ' -f1 | tail -1)
        capture=n/a
        if [ "$g" = 1 ]; then
            if grep -q "as a CUDA graph failed" "$p/train_graph$g.txt"; then
                capture=failed bad=1
            elif [ "$backend" = cuda ]; then capture=held; fi
        fi
        if [ $rc -ne 0 ]; then
            bad=1 parts+="; train graph $g FAILED (exit $rc)"
            report "train step_graph=$g: $(tail -2 "$p/train_graph$g.txt" | tr '\n' ' ')"
        else
            parts+="; graph $g: ${sps:-?} steps/s$([ "$g" = 1 ] && echo " (capture $capture)")"
            report "train step_graph=$g: $(tail -1 "$p/train_graph$g.txt")"
            [ -s "$p/run_graph$g/metrics.csv" ] && report "  last metrics: $(tail -1 "$p/run_graph$g/metrics.csv")"
        fi
        runs_json+="$sep\"graph_$g\": {\"exit\": $rc, \"steps\": $steps, \"steps_per_s\": ${sps:-null}, \"wall_s\": $t1, \"capture\": \"$capture\"}"
        sep=", "
    done
    # the graph replays the eager step's kernels: the two runs' last metrics should agree
    # (test_agent_graph asserts it for the parameters; here it is reported, not asserted)
    local same=null
    if [ -s "$p/run_graph1/metrics.csv" ] && [ -s "$p/run_graph0/metrics.csv" ]; then
        same=$(paste -d, <(tail -1 "$p/run_graph1/metrics.csv") <(tail -1 "$p/run_graph0/metrics.csv") | awk -F, '{
            n = NF / 2; d = 0
            for (i = 2; i <= n; i++) { a = $i; b = $(i + n); r = a - b; if (r < 0) r = -r
                m = (a < 0 ? -a : a); if (m > 0) r /= m; if (r > d) d = r }
            if (d == 0) print "true"; else printf "%.3g\n", d }')
        report "last metrics, step graph against eager: $([ "$same" = true ] && echo identical || echo "largest relative difference $same")"
        [ "$same" = true ] || same="false, \"metrics_max_rel_diff\": $same"
    fi
    runs_json+=", \"metrics_equal\": $same"
    {
        printf '{"config": "%s", "backend": "%s", "cudnn": "%s", %s}\n' "$(basename "$cfg")" "$backend" \
            "${GS_CUDNN_NOTE:-unknown}" "$runs_json"
    } >"$p/train_runs.json"
    json_bundle "$p/unet.json" "train=$p/train_runs.json" "bench_unet=$p/bench_unet.json"
    note "$parts; ${GS_CUDNN_NOTE%% (*}"
    return $bad
}

# ==== stage: paper ====
stage_paper() {
    facts
    local p=$sdir backend=cuda extra=()
    [ "$dry" = 1 ] && { backend=cpu; extra=(--calib-steps 20 --max-steps 1000 --grid 2 --trials 1); }
    RISE_REQUIRE_GPU=1 paper_repro/square_budget/run.sh --budget $((${GS_BOX:-300} - 10)) --backend "$backend" \
        --seeds "0 1 2" --methods "idql rise" --build "$build" --out "$p/runs" "${extra[@]}" >"$p/paper.txt" 2>&1
    local rc=$?
    [ -s "$p/runs/results.json" ] && cp "$p/runs/results.json" "$p/paper_square.json"
    [ -s "$p/runs/results.md" ] && cp "$p/runs/results.md" "$p/report.txt"
    grep "^\[square_budget" "$p/paper.txt" | tail -4 >>"$p/report.txt"
    note "$(sed -n 1p "$p/runs/results.md" 2>/dev/null || tail -1 "$p/paper.txt")"
    return $rc
}

# tests/scripts/gpu_session_machinery.sh checks this script's machinery (boxes, skips,
# reruns, the output folder) with a table of its own in GS_TEST_STAGES, whose stages do
# what their names say: okN ends ok, sleepN sleeps N seconds, failN fails, skipN skips.
if [ -n "${GS_TEST_STAGES:-}" ]; then
    stage_table=$GS_TEST_STAGES
    stage_test() {
        case $1 in
        sleep*) sleep "${1#sleep}"; note "slept ${1#sleep}s" ;;
        fail*) note "failed on purpose"; return 1 ;;
        skip*) note "nothing to do here"; return 3 ;;
        *) note "fine"; echo "a result" >"$sdir/result.txt" ;;
        esac
    }
    for n in $(stage_names); do eval "stage_$n() { stage_test $n; }"; done
fi

# ---- one stage, as run under timeout by the main loop ----
if [ "$mode" = stage ]; then
    sdir=$work/$stage_to_run
    declare -F "stage_$stage_to_run" >/dev/null || { echo "no stage $stage_to_run" >&2; exit 2; }
    "stage_$stage_to_run"
    exit $?
fi

# ---- the main loop ----
if [ "$dry" = 1 ]; then
    # stand-ins for the device's tools, so that every stage's logic runs here
    fake=$work/fakebin
    mkdir -p "$fake"
    cat >"$fake/nvidia-smi" <<'EOF'
#!/bin/sh
# dry-run stand-in for nvidia-smi: one GPU that does not exist
case "$*" in
*--query-gpu=*) q=${*#*--query-gpu=}; q=${q%% *}; line=
    for f in $(echo "$q" | tr ',' ' '); do
        case $f in name) v="dry-run GPU" ;; driver_version) v=0.0 ;; compute_cap) v=9.0 ;; memory.total) v="0 MiB" ;; *) v="[N/A]" ;; esac
        line=${line:+$line, }$v
    done
    case "$*" in *noheader*) ;; *) echo "$q" | sed 's/,/, /g' ;; esac
    echo "$line" ;;
*) echo "dry-run nvidia-smi: no GPU here" ;;
esac
EOF
    cat >"$fake/compute-sanitizer" <<'EOF'
#!/bin/sh
# dry-run stand-in for compute-sanitizer: runs the program, reports no finding
while [ $# -gt 0 ]; do case "$1" in --version) echo "dry-run compute-sanitizer, Version 0"; exit 0 ;;
    --tool|--error-exitcode|--print-limit) shift 2 ;; --*) shift ;; *) break ;; esac; done
"$@"; rc=$?; echo "========= ERROR SUMMARY: 0 errors (dry run)"; exit $rc
EOF
    chmod +x "$fake/nvidia-smi" "$fake/compute-sanitizer"
    export PATH=$fake:$PATH
fi

declare -A status=()
if [ -f "$work/state.txt" ]; then
    while read -r n s; do [ -n "$n" ] && status[$n]=$s; done <"$work/state.txt"
fi
# which stages run: all, --only's (with `failed` read from the state), less --skip's;
# a named stage's prerequisites are added unless an earlier call here ended them ok
selected=" "
if [ -z "$only" ]; then
    selected+="$(stage_names | tr '\n' ' ')"
else
    for n in $(echo "$only" | tr ',' ' '); do
        if [ "$n" = failed ]; then
            if [ ! -f "$work/state.txt" ]; then
                echo "gpu_session.sh: no earlier call on this machine ($work/state.txt): running every stage"
                selected+="$(stage_names | tr '\n' ' ')"
            else
                for m in $(stage_names); do
                    case "${status[$m]:-none}" in ok | skipped) ;; *) selected+="$m " ;; esac
                done
            fi
        elif [ -n "$(stage_field "$n" 1)" ]; then
            selected+="$n "
        else
            echo "gpu_session.sh: no stage '$n' (stages: $(stage_names | tr '\n' ' '))" >&2
            exit 2
        fi
    done
    changed=1
    while [ $changed = 1 ]; do
        changed=0
        for n in $selected; do
            need=$(stage_field "$n" 4)
            [ "$need" = - ] && continue
            if [ "${need%\?}" != "$need" ]; then # must have run: its facts are needed
                need=${need%\?}
                case "$selected" in *" $need "*) ;; *) [ -f "$work/facts.env" ] || { selected+="$need "; changed=1; } ;; esac
                continue
            fi
            case "$selected" in *" $need "*) continue ;; esac
            if [ "${status[$need]:-none}" != ok ] || { [ "$need" = build ] && [ ! -f "$build/CMakeCache.txt" ]; }; then
                selected+="$need "
                changed=1
            fi
        done
    done
fi
for n in $(echo "$skip" | tr ',' ' '); do selected=${selected// $n / }; done

t_start=$(now)
deadline=$((t_start + budget))
mkdir -p "$out" || { echo "gpu_session.sh: cannot write $out" >&2; exit 2; }
declare -A took=() boxed=()
order=$(stage_names)
current_pid=

write_summary() {
    local s=$work/summary.txt n st
    {
        echo "rise GPU session: $(date -u +%Y-%m-%dT%H:%M:%SZ), budget ${budget}s, $(($(now) - t_start))s so far$([ "$dry" = 1 ] && echo ', DRY RUN (no GPU: fakes and the cpu backend)')"
        echo "tree: $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo "unknown (no .git)"); kit: $(sed -n 2p .kit/pack/MANIFEST.txt 2>/dev/null || echo none)"
        printf '%-10s %-22s %6s %6s  %s\n' stage status time box result
        for n in $order; do
            case "$selected" in *" $n "*) ;; *) continue ;; esac
            printf '%-10s %-22s %6s %6s  %s\n' "$n" "${status[$n]:-not run}" "${took[$n]:-}" "${boxed[$n]:-}" \
                "$(cat "$work/$n/note.txt" 2>/dev/null)"
        done
        for n in $order; do
            [ -s "$work/$n/report.txt" ] || continue
            case "$selected" in *" $n "*) ;; *) continue ;; esac
            echo
            echo "== $n"
            head -60 "$work/$n/report.txt"
        done
        local again=
        for n in $order; do
            case "$selected" in *" $n "*) ;; *) continue ;; esac
            case "${status[$n]:-}" in ok | skipped) ;; *) again+="${again:+,}$n" ;; esac
        done
        echo
        [ -n "$again" ] && echo "rerun what did not end ok: scripts/gpu_session.sh --only $again" ||
            echo "every stage ended ok (or had nothing to do)"
    } >"$s"
    for n in $order; do st=${status[$n]:-none}; echo "$n ${st// /_}"; done >"$work/state.txt"
    cp "$s" "$out/summary.txt"
}
# the output folder: at most 8 plain files, names of letters, digits, . _ -, each <= 16 MiB
write_out() {
    local n f size
    write_summary
    # the archive: everything under the session folder but data, checkpoints and caches
    tar -C "$work" -czf "$out/session.tar.gz.tmp" --exclude='*.h5' --exclude='fakebin' \
        --exclude='hello' --exclude='omp' --exclude='*.tmp' . 2>/dev/null
    size=$(stat -c %s "$out/session.tar.gz.tmp" 2>/dev/null || echo 0)
    if [ "$size" -gt "$archive_limit" ]; then # drop the largest files, say which
        (cd "$work" && find . -type f -size +256k ! -name '*.h5' -printf '%P\n') >"$work/dropped_from_archive.txt"
        tar -C "$work" -czf "$out/session.tar.gz.tmp" --exclude='*.h5' --exclude='fakebin' \
            --exclude='hello' --exclude='omp' --exclude='*.tmp' -X "$work/dropped_from_archive.txt" . 2>/dev/null
    fi
    mv -f "$out/session.tar.gz.tmp" "$out/session.tar.gz"
    # the results of this call's stages (an earlier call's stay in the archive only)
    for f in bench/ops.json train/train.json peers/peers.json unet/unet.json paper/paper_square.json; do
        case "$selected" in *" ${f%%/*} "*) ;; *) continue ;; esac
        [ -s "$work/$f" ] && cp "$work/$f" "$out/$(basename "$f")"
    done
    # the limits: what comes back is at most 8 files of at most 16 MiB, plainly named
    for f in "$out"/summary.txt "$out"/session.tar.gz "$out"/*.json; do
        [ -f "$f" ] && [ "$(stat -c %s "$f")" -gt $((16 * 1024 * 1024)) ] && rm -f "$f"
    done
    n=$(find "$out" -mindepth 1 | wc -l)
    [ "$n" -le 8 ] || echo "gpu_session.sh: warning: $out holds $n entries; only 8 files come back" >&2
    find "$out" -mindepth 1 | sed "s|^$out/||" | grep -v '^[A-Za-z0-9._-]*$' |
        sed 's/^/gpu_session.sh: warning: will not come back (name or depth): /' >&2
}
on_signal() {
    [ -n "$current_pid" ] && kill -TERM "$current_pid" 2>/dev/null && wait "$current_pid" 2>/dev/null
    echo "gpu_session.sh: stopped by a signal"
    write_out
    cat "$work/summary.txt"
    exit 1
}
trap on_signal TERM INT

echo "gpu_session.sh: stages$selected| budget ${budget}s | work $work | out $out$([ "$dry" = 1 ] && echo ' | DRY RUN')"
overall=0
for n in $order; do
    case "$selected" in *" $n "*) ;; *) continue ;; esac
    need=$(stage_field "$n" 4)
    if [ "$need" != - ] && [ "${need%\?}" = "$need" ] && [ "${status[$need]:-none}" != ok ]; then
        status[$n]="skipped (needs $need)"
        overall=1
        write_summary
        continue
    fi
    left=$((deadline - $(now) - pack_reserve))
    box=${box_override[$n]:-$(stage_field "$n" 2)}
    least=$(stage_field "$n" 3)
    if [ "$left" -lt "$least" ]; then
        status[$n]="skipped (no time)"
        rm -rf "${work:?}/$n"
        mkdir -p "$work/$n"
        echo "no time: ${left}s left, the stage needs ${least}s" >"$work/$n/note.txt"
        overall=1
        write_summary
        continue
    fi
    [ "$box" -eq 0 ] || [ "$box" -gt "$left" ] && box=$left
    rm -rf "${work:?}/$n"
    mkdir -p "$work/$n"
    echo "== $n (box ${box}s, ${left}s left)"
    t0=$(now)
    GS_BOX=$box GS_SELECTED=$selected timeout -k 10 "$box" bash "$self" --stage "$n" --build "$build" --budget "$budget" \
        $([ "$dry" = 1 ] && echo --dry-run) >"$work/$n/log.txt" 2>&1 &
    current_pid=$!
    wait $current_pid
    rc=$?
    current_pid=
    took[$n]="$(($(now) - t0))s"
    boxed[$n]="${box}s"
    case $rc in
    0) status[$n]=ok ;;
    3) status[$n]="skipped" ;;
    124 | 137) status[$n]="TIMED OUT"; overall=1 ;;
    *) status[$n]="FAILED ($rc)"; overall=1 ;;
    esac
    [ -s "$work/$n/note.txt" ] || tail -1 "$work/$n/log.txt" >"$work/$n/note.txt"
    echo "   $n: ${status[$n]} in ${took[$n]}: $(cat "$work/$n/note.txt")"
    write_out
done
sdir=$work/peers prewarm_wait 0 >/dev/null 2>&1 # a prewarm still running when no stage waited for it
write_out
echo
cat "$work/summary.txt"
echo
echo "files in $out: $(ls "$out" | tr '\n' ' ')"
exit $overall
