#!/usr/bin/env bash
# kit_ldd_check.sh - checks that the executables of a build made with RISE_DEPS_PREFIX load
# every library from the kit, the C library and compiler runtime, or the CUDA toolkit and
# driver, and nothing from anywhere else (a system copy of HDF5, OpenBLAS, ...), using ldd.
#
#   scripts/kit_ldd_check.sh KIT_PREFIX EXECUTABLE...
#
# Prints one line per executable (libraries from the kit / from the machine) and each
# offending library; exit 0 when all are clean, 1 otherwise. Used by
# scripts/device_kit_check.sh here and by scripts/gpu_session.sh's build stage there.
set -uo pipefail
[ $# -ge 2 ] || { sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
kit=$(cd "$1" && pwd -P) || exit 2
shift
# What the machine itself provides: glibc, the compiler's runtime (libgomp for OpenMP),
# and CUDA (toolkit libraries, the driver, NCCL and cuDNN where the machine has them).
machine_re='^(linux-vdso\.so|ld-linux-x86-64\.so|libc\.so|libm\.so|libdl\.so|libpthread\.so|librt\.so|libstdc\+\+\.so|libgcc_s\.so|libgomp\.so|libcudart\.so|libcublas\.so|libcublasLt\.so|libcuda\.so|libnccl\.so|libcudnn[a-z_]*\.so|libnvrtc\.so|libnvJitLink\.so)'
status=0
for exe in "$@"; do
    out=$(ldd "$exe" 2>&1) || { echo "kit_ldd_check: ldd $exe failed: $out"; status=1; continue; }
    from_kit=0 from_machine=0 bad=
    while read -r name arrow path _; do
        [ -n "$name" ] || continue
        case "$name" in /*) name=$(basename "$name"); path=$name ;; esac
        if [ "$arrow" != "=>" ]; then path=$name; fi
        if [ "$path" = "not" ]; then
            bad+=" $name (not found)"
        elif [ "${path#"$kit"/}" != "$path" ] || [ "$(readlink -f "$path" 2>/dev/null | sed "s|^$kit/.*|kit|")" = kit ]; then
            from_kit=$((from_kit + 1))
        elif [[ $name =~ $machine_re ]]; then
            from_machine=$((from_machine + 1))
        else
            bad+=" $name => $path"
        fi
    done <<<"$out"
    if [ -n "$bad" ]; then
        echo "kit_ldd_check: $exe loads libraries from outside the kit:$bad"
        status=1
    else
        echo "kit_ldd_check: $(basename "$exe"): $from_kit from the kit, $from_machine from the machine"
    fi
done
exit $status
