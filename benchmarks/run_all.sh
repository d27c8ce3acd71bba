#!/usr/bin/env bash
# run_all.sh - runs every op benchmark of an existing build (it builds
# nothing), prints their tables and writes one JSON file per binary.
#
#   benchmarks/run_all.sh [--skip F1,F2] BUILD_DIR [OUT_DIR] [-- extra args for every binary]
#   benchmarks/run_all.sh --families      the op families it runs (bench_<family>)
#   --skip leaves those families out (a caller that runs them on its own)
#   e.g. benchmarks/run_all.sh build bench-results
#        benchmarks/run_all.sh build-cuda bench-cuda -- --backend cuda
#        benchmarks/run_all.sh build /tmp/smoke -- --quick
#
# OUT_DIR (default: bench-results) receives bench_<family>.json and all.txt
# (the tables). Exit status: 0 when every binary validated its results (a
# binary that exits 77, device unavailable, counts as skipped, or as failed
# when RISE_REQUIRE_GPU=1), 1 otherwise.
# There are no timing thresholds: a slow run is not a failure.
set -u

usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; }
# The op families (data_ops: the device-resident sampling, gathers, action noise and
# kNN; unet: the U-Net's convolutions and whole network, minutes on a CPU at the paper
# size); the other bench_* binaries (envs, data_load, data_knn, train) have their own
# options.
families="gemm elementwise activation layernorm random loss optim reduce spectral_norm time_embed gaussian data_ops unet"

if [ "${1:-}" = "--families" ]; then
    echo $families
    exit 0
fi
skipped_families=" "
if [ "${1:-}" = "--skip" ] && [ $# -ge 2 ]; then
    for f in ${2//,/ }; do
        case " $families " in *" $f "*) skipped_families+="$f " ;;
        *) echo "run_all.sh: --skip: no family '$f' (families: $families)" >&2; exit 2 ;; esac
    done
    shift 2
fi
if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
    usage
    [ $# -lt 1 ] && exit 2 || exit 0
fi
build=$1
shift
out=bench-results
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
    out=$1
    shift
fi
[ $# -gt 0 ] && [ "$1" = "--" ] && shift

bindir=$build/benchmarks
if [ ! -d "$bindir" ]; then
    echo "run_all.sh: '$bindir' does not exist: build first (cmake --build $build)" >&2
    exit 2
fi
mkdir -p "$out" || exit 2
: >"$out/all.txt"

status=0
ran=0
for f in $families; do
    case "$skipped_families" in *" $f "*) continue ;; esac
    bin=$bindir/bench_$f
    if [ ! -x "$bin" ]; then
        echo "run_all.sh: missing $bin" | tee -a "$out/all.txt" >&2
        status=1
        continue
    fi
    "$bin" --json "$out/bench_$f.json" "$@" 2>&1 | tee -a "$out/all.txt"
    rc=${PIPESTATUS[0]}
    echo | tee -a "$out/all.txt"
    case $rc in
    0) ran=$((ran + 1)) ;;
    77)
        if [ -n "${RISE_REQUIRE_GPU:-}" ] && [ "${RISE_REQUIRE_GPU}" != 0 ]; then
            echo "run_all.sh: bench_$f FAILED: device unavailable and RISE_REQUIRE_GPU=$RISE_REQUIRE_GPU" |
                tee -a "$out/all.txt" >&2
            status=1
        else
            echo "run_all.sh: bench_$f skipped (device unavailable)" | tee -a "$out/all.txt"
        fi
        ;;
    *)
        echo "run_all.sh: bench_$f FAILED (exit $rc)" | tee -a "$out/all.txt" >&2
        status=1
        ;;
    esac
done
echo "run_all.sh: $ran binaries validated and timed; tables in $out/all.txt, JSON in $out/"
exit $status
