#!/usr/bin/env bash
# device_kit_check.sh - proves the kit (scripts/device_kit.sh) here, before any GPU: with the
# system's own copies of the kit's libraries and headers hidden (a private mount namespace
# in which they are covered up; the rest of the machine does not see it), configures and
# builds what scripts/gpu_session.sh builds against .kit/prefix only, checks with ldd that
# every executable loads its libraries from the kit (or glibc, the compiler's runtime,
# CUDA), and runs the CPU side of each library: HDF5 (square data written and read back),
# MuJoCo (square episodes), OpenBLAS, SLEEF and oneDNN (a training run on the fast cpu
# backend), cJSON (configs), libpng (a coverage
# map), protobuf-c (the run's TensorBoard events file), and a GPU test binary, which must skip (77) and must fail with RISE_REQUIRE_GPU=1.
#
#   scripts/device_kit_check.sh [--build DIR] [--arch 90] [--keep] [--no-hide]
#
# Builds from scratch in build-kit (--keep: reuse it), with CUDA (nvcc must be here; nothing
# runs on a GPU); about 3 minutes on 2 cores. Hiding the system copies needs root and
# unshare; --no-hide checks without hiding them (weaker: ldd still shows where each library
# comes from). Exit 0 when everything held.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-kit arch=90 hide=1 keep=0
while [ $# -gt 0 ]; do
    case "$1" in
    --build) build=$2; shift 2 ;;
    --arch) arch=$2; shift 2 ;;
    --no-hide) hide=0; shift ;;
    --keep) keep=1; shift ;;
    --inside) hide=inside; shift ;;
    -h | --help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "device_kit_check.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
done
kit=$PWD/.kit/prefix
case "$build" in /*) ;; *) build=$PWD/$build ;; esac
[ -f "$kit/MANIFEST.txt" ] || { echo "device_kit_check.sh: no kit at $kit: run scripts/device_kit.sh" >&2; exit 1; }

if [ "$hide" = 1 ]; then
    { [ "$(id -u)" -eq 0 ] && command -v unshare >/dev/null; } ||
        { echo "device_kit_check.sh: hiding the system copies needs root and unshare (or pass --no-hide)" >&2; exit 1; }
    exec unshare --mount --propagation private "$0" --inside --build "$build" --arch "$arch" \
        $([ "$keep" = 1 ] && echo --keep)
fi
if [ "$hide" = inside ]; then
    # Cover up every system copy of what the kit brings (headers, libraries, pkg-config
    # data and the tools that would find them), so a search that strays finds nothing.
    empty=$(mktemp -d)
    hidden=0
    lib=/usr/lib/x86_64-linux-gnu
    for d in /usr/include/hdf5 /usr/include/cjson /usr/include/libpng16 /usr/include/mujoco \
        /usr/include/protobuf-c /usr/include/google/protobuf-c /usr/include/oneapi $lib/cmake/dnnl \
        /usr/include/x86_64-linux-gnu/openblas-pthread /usr/include/x86_64-linux-gnu/openblas-openmp \
        $lib/openblas-pthread $lib/openblas-openmp $lib/openblas-serial $lib/hdf5 $lib/blas $lib/lapack \
        $lib/cmake/mujoco $lib/cmake/cJSON $lib/pkgconfig /usr/share/pkgconfig; do
        [ -d "$d" ] && mount --bind "$empty" "$d" && hidden=$((hidden + 1))
    done
    for f in /usr/include/png.h /usr/include/pngconf.h /usr/include/pnglibconf.h /usr/include/cblas.h \
        /usr/include/szlib.h /usr/include/libaec.h /usr/bin/pkg-config /usr/bin/pkgconf /usr/bin/h5cc \
        /usr/include/x86_64-linux-gnu/sleef.h /usr/include/dnnl*.h* $lib/libsleef* $lib/libdnnl* $lib/libOpenCL* \
        $lib/libhdf5* $lib/libcjson* $lib/libpng* $lib/libmujoco* $lib/libccd.* $lib/liblodepng* \
        $lib/libqhull_r* $lib/libtinyxml2* $lib/libgfortran* $lib/libquadmath* $lib/libsz.* $lib/libaec.* \
        $lib/libopenblas* $lib/libblas* $lib/liblapack* /etc/alternatives/libblas* /etc/alternatives/liblapack* \
        /etc/alternatives/libopenblas* $lib/libprotobuf* $lib/libprotoc.* /usr/bin/protoc-c /usr/bin/protoc-gen-c; do
        [ -e "$f" ] && mount --bind /dev/null "$f" && hidden=$((hidden + 1))
    done
    echo "device_kit_check.sh: $hidden system copies hidden in this process's mount namespace"
    ! ls $lib/libhdf5_serial.so.* >/dev/null 2>&1 || [ ! -s $lib/libhdf5_serial.so.103 ] ||
        { echo "device_kit_check.sh: hiding failed" >&2; exit 1; }
fi

# The build exactly as the GPU session builds (its build stage, in a dry run: a stand-in
# nvidia-smi reports compute capability 9.0, or --arch), with no time box to speak of.
session_out=$(mktemp -d)
if [ "$keep" = 0 ]; then
    [ ! -e "$build" ] || [ -f "$build/CMakeCache.txt" ] || { echo "device_kit_check.sh: $build is no build folder" >&2; exit 1; }
    rm -rf "$build"
fi
mkdir -p "$build"
RISE_CUDA_ARCH=$arch scripts/gpu_session.sh --dry-run --only build --build "$build" --out "$session_out" \
    --budget 14400 --box build=14000 >"$build/kit_check_session.txt" 2>&1
grep -q '^build ok$' "$build/session/state.txt" 2>/dev/null ||
    { cat "$build/kit_check_session.txt"; tail -30 "$build/session/build/build.txt" 2>/dev/null; exit 1; }
sed -n '/^build /p' "$build/session/summary.txt"
sed -n '/^== build/,/^$/p' "$build/session/summary.txt"
# No compile may have read a header from the system's copies: the dependency files list
# every header each object read.
if [ -f "$build/build.ninja" ]; then
    strays=$(ninja -C "$build" -t deps 2>/dev/null |
        grep -E '^ +/usr/include/(hdf5|cjson|libpng16|png|mujoco|cblas|protobuf-c|google/protobuf-c|x86_64-linux-gnu/openblas|x86_64-linux-gnu/sleef|oneapi|dnnl)' | sort -u || true)
    [ -z "$strays" ] || { echo "device_kit_check.sh: headers read from the system: $strays" >&2; exit 1; }
    echo "device_kit_check.sh: headers: $(ninja -C "$build" -t deps | grep -c " $kit/" || true) reads from the kit, none from the system's copies"
fi
# Nor any link a library of the system's (the static archives are named by their kit path).
if grep -E -o "(^|[^A-Za-z0-9_.-])/usr/(lib/x86_64-linux-gnu/[^ ]*(hdf5|openblas|sleef|dnnl|OpenCL|cjson|png|mujoco|libsz|libaec|libz\.a|protobuf)|bin/protoc)[^ ]*" \
    "$build"/build.ninja "$build"/CMakeFiles/rules.ninja 2>/dev/null | sort -u | grep .; then
    echo "device_kit_check.sh: the build links system copies (above)" >&2
    exit 1
fi
exes=$(find "$build" -maxdepth 3 -type f -perm -u+x \( -name rise -o -name 'test_*' -o -name 'bench_*' \) | sort)
scripts/kit_ldd_check.sh "$kit" $exes >"$build/kit_check_ldd.txt" || { grep outside "$build/kit_check_ldd.txt" >&2; exit 1; }
echo "device_kit_check.sh: ldd: $(echo $exes | wc -w) executables load every library from the kit or the machine:"
sed -n '1,3p' "$build/kit_check_ldd.txt"
echo "device_kit_check.sh: ldd of $build/rise:"
ldd "$build/rise" | grep -E "$kit|not found" | sed "s|$kit|<kit>|"

# Run each library's CPU side in this namespace (the system copies still hidden).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export OMP_NUM_THREADS=2
rise=$build/rise
"$rise" gen --task square --kind expert --episodes 4 --seed 1 --out "$tmp/square_expert.h5" --quiet
"$rise" gen --task square --kind play --episodes 8 --seed 2 --out "$tmp/square_play.h5" --quiet
mkdir -p "$tmp/cfg/x"
sed "s|../../runs/data/|$tmp/|" paper_repro/configs/square_rise.json >"$tmp/cfg/x/square_rise.json"
# the fast cpu backend: OpenBLAS and oneDNN GEMMs, SLEEF activations (oneDNN's verbose
# log counts the matmuls it ran: there must be some)
DNNL_VERBOSE=1 "$rise" train --config "$tmp/cfg/x/square_rise.json" --set train.steps=40 \
    --set train.log_every=20 --set train.backend=cpu --out "$tmp/run" --quiet >"$tmp/train.txt" 2>&1 ||
    { tail -20 "$tmp/train.txt" >&2; exit 1; }
dnnl_runs=$(grep -c '^onednn_verbose,exec,cpu,matmul' "$tmp/train.txt" || true)
[ "$dnnl_runs" -gt 0 ] || { echo "device_kit_check.sh: oneDNN ran no matmul in the training run" >&2; exit 1; }
"$rise" eval "$tmp/run" --grid 2 --trials 1 --threads 2 --quiet --out "$tmp/run/eval" | tail -2
[ -s "$tmp/run/eval/coverage.png" ] && [ -s "$tmp/run/checkpoint.h5" ] && [ -s "$tmp/run/config.json" ] &&
    [ -s "$(ls "$tmp"/run/events.out.tfevents* 2>/dev/null | head -1)" ] ||
    { echo "device_kit_check.sh: the run wrote no checkpoint, config, TensorBoard events or coverage map" >&2; exit 1; }
echo "device_kit_check.sh: HDF5, MuJoCo, OpenBLAS, SLEEF, oneDNN ($dnnl_runs matmuls), cJSON," \
    "protobuf-c and libpng ran from the kit (square data, training, TensorBoard events, coverage map)"
set +e
(cd tests && env -u RISE_REQUIRE_GPU "$build/tests/test_cuda_backend_basics" >/dev/null 2>&1)
skip=$?
(cd tests && RISE_REQUIRE_GPU=1 "$build/tests/test_cuda_backend_basics" >"$tmp/req.txt" 2>&1)
req=$?
set -e
echo "device_kit_check.sh: a GPU test without a device exits $skip (skip), with RISE_REQUIRE_GPU=1 $req: $(tail -1 "$tmp/req.txt")"
[ "$skip" -eq 77 ] && [ "$req" -ne 0 ] && [ "$req" -ne 77 ] || exit 1
echo "device_kit_check.sh: the kit holds"
