#!/usr/bin/env bash
# device_kit.sh - prepares the kit a bare GPU machine needs to build and run rise: the C
# libraries rise links (HDF5, OpenBLAS, SLEEF, oneDNN, cJSON, libpng, MuJoCo, protobuf-c and
# what they load) and protoc-c, which the build runs, taken from Debian packages fetched with
# `apt-get download` (nothing is installed) and unpacked with `dpkg -x` into a private
# prefix, trimmed, packed into one archive, and checked.
# Runs on a Debian 12 machine with network access to its package archive (this one).
#
#   scripts/device_kit.sh [--dir DIR]      default DIR = .kit (ignored by git)
#
# DIR/pack/rise-deps.tar.gz  the archive that travels (scripts/gpu_session.sh unpacks it
#                            into DIR/prefix and configures with RISE_DEPS_PREFIX)
# DIR/pack/MANIFEST.txt      packages, versions, sizes, the newest glibc / libstdc++ symbol
#                            versions the libraries need (also inside the archive)
# DIR/prefix/                the archive unpacked here, for scripts/device_kit_check.sh
# DIR/debs/                  the downloaded packages (a cache; does not travel)
# Prints the paths that must travel with the checkout (the device tool's `carry`).
# Static archives are kept where a package ships one (HDF5 with szip/aec and zlib, libpng):
# Debian's shared libhdf5 needs libcurl and some twenty libraries behind it, the static one
# links without them. The rest is shared and found at run time through the RPATH that
# RISE_DEPS_PREFIX builds get (cmake/RiseDepsPrefix.cmake). docs/gpu_kit.md explains.
set -euo pipefail
cd "$(dirname "$0")/.."

# The one list of what the kit holds: -dev packages (headers, link names, static archives)
# and the shared libraries they load at run time that a bare CUDA image may lack. glibc,
# libstdc++, libgcc_s and libgomp are not here: they come with the machine's compiler.
kit_packages=(
    libhdf5-dev libaec-dev zlib1g-dev                # HDF5 1.10, static, + szip/aec + zlib
    libopenblas-openmp-dev libopenblas0-openmp       # OpenBLAS, OpenMP build (shared)
    libgfortran5 libquadmath0                        # ... which OpenBLAS's LAPACK loads
    libsleef-dev libsleef3                           # SLEEF (shared; no archive in Debian)
    libdnnl-dev libdnnl2                             # oneDNN (shared) ...
    ocl-icd-libopencl1                               # ... which links the OpenCL loader
    libcjson-dev libcjson1                           # cJSON (shared)
    libpng-dev                                       # libpng (static)
    libmujoco-dev libmujoco2.2.2                     # MuJoCo 2.2.2 (shared) ...
    libccd2 liblodepng0 libqhull-r8.0 libtinyxml2-9  # ... and what it loads
    libprotobuf-c-dev                                # protobuf-c (static) for TensorBoard files
    protobuf-c-compiler libprotoc32 libprotobuf32    # protoc-c, run by the build ...
    zlib1g                                           # ... and what libprotobuf loads
)
# What of the unpacked tree is kept (paths under the prefix; shell globs). Everything else
# (documentation, binaries, Fortran/C++ bindings, unused static archives) is dropped.
multiarch=usr/lib/x86_64-linux-gnu
kit_keep=(
    "usr/include/hdf5/serial/*.h" "$multiarch/libhdf5_serial.a" "$multiarch/libsz.a"
    "$multiarch/libaec.a" "$multiarch/libz.a" usr/include/zlib.h usr/include/zconf.h
    "usr/include/x86_64-linux-gnu/openblas-openmp/*.h"
    "$multiarch/openblas-openmp/libopenblas.so" "$multiarch/openblas-openmp/libopenblas.so.0"
    "$multiarch/openblas-openmp/libopenblasp-r*.so"
    usr/include/x86_64-linux-gnu/sleef.h "$multiarch/libsleef.so" "$multiarch/libsleef.so.3*"
    "usr/include/oneapi/dnnl/*.h" "$multiarch/libdnnl.so*" "$multiarch/libOpenCL.so.1*"
    "$multiarch/libgfortran.so.5*" "$multiarch/libquadmath.so.0*"
    usr/include/cjson/cJSON.h "$multiarch/libcjson.so*"
    "usr/include/libpng16/*.h" "$multiarch/libpng16.a"
    "usr/include/mujoco/*.h" "$multiarch/libmujoco.so*" "$multiarch/libccd.so.2*"
    "$multiarch/liblodepng.so.0*" "$multiarch/libqhull_r.so.8.0*" "$multiarch/libtinyxml2.so.9*"
    usr/include/protobuf-c/protobuf-c.h "$multiarch/libprotobuf-c.a" usr/bin/protoc-c usr/bin/protoc-gen-c
    "$multiarch/libprotoc.so.32*" "$multiarch/libprotobuf.so.32*" "lib/x86_64-linux-gnu/libz.so.1*"
    "usr/share/doc/*/copyright"
)
# Shared libraries the kit's own libraries may load from the machine (toolchain and libc).
device_provided="libc.so.6 libm.so.6 libdl.so.2 libpthread.so.0 librt.so.1 ld-linux-x86-64.so.2"
device_provided+=" libstdc++.so.6 libgcc_s.so.1 libgomp.so.1"
# The travel limit (the device tool's 64 MiB for the checkout and everything carried).
travel_limit=$((64 * 1024 * 1024))
# The device image's glibc (Ubuntu 24.04: 2.39; scripts/gpu_session.sh's probe checks it).
assumed_device_glibc=2.39

dir=.kit
while [ $# -gt 0 ]; do
    case "$1" in
    --dir) dir=$2; shift 2 ;;
    -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "device_kit.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    esac
done
die() { echo "device_kit.sh: $*" >&2; exit 1; }
for tool in apt-get dpkg dpkg-deb tar gzip readelf objdump git; do
    command -v "$tool" >/dev/null || die "'$tool' not found: run this on a Debian machine with binutils"
done
[ "$(dpkg --print-architecture)" = amd64 ] || die "the GPU machine is x86-64: run this on an amd64 Debian"
. /etc/os-release
[ "${VERSION_ID:-}" = 12 ] ||
    echo "device_kit.sh: warning: this is ${PRETTY_NAME:-an unknown system}, the kit was designed from Debian 12 (glibc 2.36)" >&2
case "$dir" in /*) ;; *) dir=$PWD/$dir ;; esac
if [ "$dir" = "$PWD/.kit" ] && ! git check-ignore -q .kit/pack; then
    die ".kit is not ignored by git here: add '/.kit/' to .gitignore (it must be carried, not committed)"
fi

# ---- download (cached: a package already in debs/ at the candidate version is kept) ----
mkdir -p "$dir/debs"
need=()
for p in "${kit_packages[@]}"; do
    v=$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: //p')
    if [ -z "$v" ] || [ "$v" = "(none)" ]; then need+=("$p"); continue; fi
    ls "$dir/debs/${p}_"*"_amd64.deb" >/dev/null 2>&1 &&
        [ "$(dpkg-deb -f "$(ls "$dir/debs/${p}_"*"_amd64.deb" | head -1)" Version)" = "$v" ] ||
        need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
    echo "device_kit.sh: downloading ${need[*]}"
    for p in "${need[@]}"; do rm -f "$dir/debs/${p}_"*.deb; done
    if ! (cd "$dir/debs" && apt-get download -q "${need[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed'); then
        [ "$(id -u)" -eq 0 ] || die "apt-get download failed; run 'apt-get update' as root and retry"
        apt-get update -qq
        (cd "$dir/debs" && apt-get download -q "${need[@]}" 2>&1 | grep -v '^W: Download is performed unsandboxed') ||
            die "apt-get download ${need[*]} failed"
    fi
fi
for p in "${kit_packages[@]}"; do
    [ "$(ls "$dir/debs/${p}_"*"_amd64.deb" 2>/dev/null | wc -l)" -eq 1 ] ||
        die "expected one $dir/debs/${p}_*_amd64.deb"
done

# ---- unpack into a private staging prefix (never into /) and trim ----
stage=$dir/stage
rm -rf "$stage" "$dir/pack.tmp"
mkdir -p "$stage/all" "$stage/prefix" "$dir/pack.tmp"
for p in "${kit_packages[@]}"; do dpkg -x "$dir/debs/${p}_"*"_amd64.deb" "$stage/all"; done
(
    cd "$stage/all"
    shopt -s nullglob
    for pattern in "${kit_keep[@]}"; do
        matches=($pattern)
        [ ${#matches[@]} -gt 0 ] || { echo "device_kit.sh: nothing matches '$pattern'" >&2; exit 1; }
        for m in "${matches[@]}"; do
            mkdir -p "../prefix/$(dirname "$m")"
            cp -a "$m" "../prefix/$m"
        done
    done
) || die "trimming failed: a package's layout changed (update kit_keep)"
rm -rf "$stage/all"
prefix=$stage/prefix
# a link whose target was trimmed away would be found by a search and fail at link time
dangling=$(find "$prefix" -xtype l)
[ -z "$dangling" ] || die "dangling links in the kit: $dangling"

# ---- check: every shared library's (and protoc-c's) needs are in the kit or come with the machine ----
elves=$(find "$prefix" -name '*.so*' -type f; echo "$prefix/usr/bin/protoc-gen-c")
sonames=" "
for so in $elves; do
    sonames+="$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p') "
done
glibc=2.0 glibcxx=3.4 missing=
for so in $elves; do
    for n in $(readelf -d "$so" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
        case "$sonames $device_provided " in *" $n "*) ;; *) missing+=" $(basename "$so")->$n" ;; esac
    done
    v=$(objdump -T "$so" | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -V | tail -1 || true)
    if [ -n "$v" ]; then glibc=$(printf '%s\n%s\n' "$glibc" "$v" | sort -V | tail -1); fi
    v=$(objdump -T "$so" | grep -o 'GLIBCXX_[0-9][0-9.]*' | sed 's/GLIBCXX_//' | sort -V | tail -1 || true)
    if [ -n "$v" ]; then glibcxx=$(printf '%s\n%s\n' "$glibcxx" "$v" | sort -V | tail -1); fi
done
[ -z "$missing" ] || die "libraries the kit's libraries load are neither in the kit nor provided by the machine:$missing (add their packages to kit_packages)"
if [ "$(printf '%s\n%s\n' "$glibc" "$assumed_device_glibc" | sort -V | tail -1)" != "$assumed_device_glibc" ]; then
    echo "device_kit.sh: warning: the kit needs glibc $glibc, newer than the assumed device's $assumed_device_glibc" >&2
fi

# ---- manifest, archive, size ----
{
    echo "rise device kit (scripts/device_kit.sh)"
    echo "made: $(date -u +%Y-%m-%dT%H:%M:%SZ) on ${PRETTY_NAME:-unknown}, commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "needs_glibc: $glibc"
    echo "needs_glibcxx: $glibcxx"
    echo "multiarch: $multiarch"
    echo "packages:"
    for p in "${kit_packages[@]}"; do
        deb=$(ls "$dir/debs/${p}_"*"_amd64.deb")
        echo "  $(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)"
    done
    echo "files:"
    (cd "$prefix" && find . \( -type f -o -type l \) ! -path './usr/share/doc/*' ! -name MANIFEST.txt -printf '  %P %s\n' | sort)
} >"$prefix/MANIFEST.txt"
tar -C "$prefix" -czf "$dir/pack.tmp/rise-deps.tar.gz" --owner=0 --group=0 --numeric-owner .
cp "$prefix/MANIFEST.txt" "$dir/pack.tmp/MANIFEST.txt"
rm -rf "$dir/pack" "$stage"
mv "$dir/pack.tmp" "$dir/pack"
# the prefix here is the archive unpacked, so a check here checks what travels
rm -rf "$dir/prefix"
mkdir -p "$dir/prefix"
tar -C "$dir/prefix" -xzf "$dir/pack/rise-deps.tar.gz"

pack_bytes=$(du -cb "$dir/pack" | tail -1 | cut -f1)
tree_bytes=$( (git ls-files -z; git ls-files -z --others --exclude-standard) | xargs -0 du -cb 2>/dev/null |
    awk '$2 == "total" { s += $1 } END { print s + 0 }')
total=$((pack_bytes + tree_bytes))
unpacked=$(du -sb "$dir/prefix" | cut -f1)
echo "device_kit.sh: kit ready: $dir/pack ($((pack_bytes / 1024)) KiB; unpacks to $((unpacked / 1048576)) MiB)," \
    "needs glibc >= $glibc, libstdc++ >= GLIBCXX_$glibcxx"
echo "device_kit.sh: checkout $((tree_bytes / 1024)) KiB + kit = $((total / 1048576)) MiB of the 64 MiB that may travel"
[ "$total" -le "$travel_limit" ] || die "over the travel limit: trim the kit or the checkout"
rel=${dir#"$PWD"/}
echo "carry: [\"$rel/pack\"]"
