# RiseDepsPrefix.cmake - finds HDF5, OpenBLAS (the OpenMP build), SLEEF, oneDNN, cJSON,
# libpng, MuJoCo and protobuf-c (and the protoc-c the build runs) only inside RISE_DEPS_PREFIX, a tree of Debian packages
# unpacked by scripts/device_kit.sh (for a machine that has none of them: the GPU machine),
# and never in the system's directories: every search names its folder and passes
# NO_DEFAULT_PATH, and pkg-config is not used. Static where the kit keeps an archive (HDF5
# with szip/aec and zlib, libpng, protobuf-c; Debian's shared libhdf5 would load libcurl and
# the twenty libraries behind it), shared otherwise (OpenBLAS, SLEEF, oneDNN, cJSON, MuJoCo),
# found at run time through an RPATH into the prefix. The RPATH is written as DT_RPATH, not DT_RUNPATH,
# because only DT_RPATH also serves the libraries those libraries load (OpenBLAS ->
# libgfortran, oneDNN -> libOpenCL, MuJoCo -> libccd, ...). libgomp is the machine's (the
# compiler's OpenMP runtime), one pool for rise, OpenBLAS and oneDNN alike.
# Included by RiseDependencies.cmake; adds to the interface target rise_deps.
get_filename_component(RISE_KIT "${RISE_DEPS_PREFIX}" ABSOLUTE)
if(NOT EXISTS "${RISE_KIT}/MANIFEST.txt")
  message(FATAL_ERROR "RISE_DEPS_PREFIX=${RISE_DEPS_PREFIX}: no MANIFEST.txt there. Expected the "
                      "kit's archive unpacked: tar -C .kit/prefix -xzf .kit/pack/rise-deps.tar.gz "
                      "(scripts/device_kit.sh makes it; scripts/gpu_session.sh unpacks it)")
endif()
set(RISE_KIT_LIB "${RISE_KIT}/usr/lib/x86_64-linux-gnu")
set(RISE_KIT_INC "${RISE_KIT}/usr/include")

# rise_kit_find(PATH|LIBRARY <var> <file> <folder>): <file> in <folder> and nowhere else.
function(rise_kit_find kind var file folder)
  if(kind STREQUAL "PATH")
    find_path(${var} ${file} PATHS "${folder}" NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
  else()
    find_library(${var} NAMES ${file} PATHS "${folder}" NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
  endif()
  if(NOT ${var})
    message(FATAL_ERROR "RISE_DEPS_PREFIX=${RISE_DEPS_PREFIX}: ${file} is not in ${folder}; "
                        "the kit is incomplete or from another version (rerun scripts/device_kit.sh)")
  endif()
endfunction()

rise_kit_find(PATH RISE_KIT_HDF5_INCLUDE hdf5.h "${RISE_KIT_INC}/hdf5/serial")
rise_kit_find(LIBRARY RISE_KIT_HDF5 libhdf5_serial.a "${RISE_KIT_LIB}")
rise_kit_find(LIBRARY RISE_KIT_SZ libsz.a "${RISE_KIT_LIB}")
rise_kit_find(LIBRARY RISE_KIT_AEC libaec.a "${RISE_KIT_LIB}")
rise_kit_find(LIBRARY RISE_KIT_Z libz.a "${RISE_KIT_LIB}")
rise_kit_find(PATH RISE_KIT_OPENBLAS_INCLUDE cblas.h "${RISE_KIT_INC}/x86_64-linux-gnu/openblas-openmp")
rise_kit_find(LIBRARY RISE_KIT_OPENBLAS libopenblas.so "${RISE_KIT_LIB}/openblas-openmp")
rise_kit_find(PATH RISE_KIT_SLEEF_INCLUDE sleef.h "${RISE_KIT_INC}/x86_64-linux-gnu")
rise_kit_find(LIBRARY RISE_KIT_SLEEF libsleef.so "${RISE_KIT_LIB}")
rise_kit_find(PATH RISE_KIT_DNNL_INCLUDE oneapi/dnnl/dnnl.h "${RISE_KIT_INC}")
rise_kit_find(LIBRARY RISE_KIT_DNNL libdnnl.so "${RISE_KIT_LIB}")
rise_kit_find(PATH RISE_KIT_CJSON_INCLUDE cjson/cJSON.h "${RISE_KIT_INC}")
rise_kit_find(LIBRARY RISE_KIT_CJSON libcjson.so "${RISE_KIT_LIB}")
rise_kit_find(PATH RISE_KIT_PNG_INCLUDE png.h "${RISE_KIT_INC}/libpng16")
rise_kit_find(LIBRARY RISE_KIT_PNG libpng16.a "${RISE_KIT_LIB}")
rise_kit_find(PATH RISE_KIT_MUJOCO_INCLUDE mujoco/mujoco.h "${RISE_KIT_INC}")
rise_kit_find(LIBRARY RISE_KIT_MUJOCO libmujoco.so "${RISE_KIT_LIB}")
rise_kit_find(PATH RISE_KIT_PROTOBUFC_INCLUDE protobuf-c/protobuf-c.h "${RISE_KIT_INC}")
rise_kit_find(LIBRARY RISE_KIT_PROTOBUFC libprotobuf-c.a "${RISE_KIT_LIB}")
find_program(RISE_KIT_PROTOC_C protoc-c PATHS "${RISE_KIT}/usr/bin" NO_DEFAULT_PATH NO_CMAKE_FIND_ROOT_PATH)
if(NOT RISE_KIT_PROTOC_C)
  message(FATAL_ERROR "RISE_DEPS_PREFIX=${RISE_DEPS_PREFIX}: no usr/bin/protoc-c there (rerun scripts/device_kit.sh)")
endif()
# The build runs the kit's protoc-c, which loads libprotoc, libprotobuf and zlib from the kit.
set(RISE_PROTOC_C ${CMAKE_COMMAND} -E env
    "LD_LIBRARY_PATH=${RISE_KIT_LIB}:${RISE_KIT}/lib/x86_64-linux-gnu" ${RISE_KIT_PROTOC_C})

# Include order: the kit's folders before the compiler's own /usr/include, so a system
# copy of the same header (on a machine that has one) is never the one used.
target_include_directories(rise_deps SYSTEM INTERFACE
  ${RISE_KIT_HDF5_INCLUDE} ${RISE_KIT_OPENBLAS_INCLUDE} ${RISE_KIT_SLEEF_INCLUDE}
  ${RISE_KIT_DNNL_INCLUDE} ${RISE_KIT_CJSON_INCLUDE}/cjson ${RISE_KIT_CJSON_INCLUDE}
  ${RISE_KIT_PNG_INCLUDE} ${RISE_KIT_MUJOCO_INCLUDE} ${RISE_KIT_PROTOBUFC_INCLUDE})
target_compile_definitions(rise_deps INTERFACE H5_USE_110_API RISE_WITH_MUJOCO=1)
# Static archives in dependency order (HDF5 -> szip -> aec, png/HDF5 -> zlib), then the
# shared libraries; HDF5's archive also needs libdl and libm from the C library.
target_link_libraries(rise_deps INTERFACE ${RISE_KIT_PROTOBUFC}
  ${RISE_KIT_HDF5} ${RISE_KIT_SZ} ${RISE_KIT_AEC} ${RISE_KIT_PNG} ${RISE_KIT_Z}
  ${RISE_KIT_OPENBLAS} ${RISE_KIT_SLEEF} ${RISE_KIT_DNNL} ${RISE_KIT_CJSON} ${RISE_KIT_MUJOCO}
  ${CMAKE_DL_LIBS} m)
target_link_options(rise_deps INTERFACE "LINKER:--disable-new-dtags")
list(APPEND CMAKE_BUILD_RPATH "${RISE_KIT_LIB}" "${RISE_KIT_LIB}/openblas-openmp")
set(RISE_WITH_MUJOCO ON)

# Versions for the configure summary, read from the kit's headers.
function(rise_kit_version var header regex)
  file(STRINGS "${header}" line REGEX "${regex}" LIMIT_COUNT 1)
  string(REGEX REPLACE ".*${regex}.*" "\\1" v "${line}")
  set(${var} "${v}" PARENT_SCOPE)
endfunction()
rise_kit_version(HDF5_VERSION "${RISE_KIT_HDF5_INCLUDE}/H5public.h" "H5_VERS_INFO \"HDF5 library version: ([0-9.]+)\"")
rise_kit_version(PNG_VERSION_STRING "${RISE_KIT_PNG_INCLUDE}/png.h" "PNG_LIBPNG_VER_STRING \"([0-9.]+)\"")
rise_kit_version(OPENBLAS_VERSION "${RISE_KIT_OPENBLAS_INCLUDE}/openblas_config.h" "OPENBLAS_VERSION \" OpenBLAS ([0-9.]+) \"")
set(RISE_OPENBLAS_BUILD "OpenMP")
rise_kit_version(_sl_major "${RISE_KIT_SLEEF_INCLUDE}/sleef.h" "SLEEF_VERSION_MAJOR ([0-9]+)")
rise_kit_version(_sl_minor "${RISE_KIT_SLEEF_INCLUDE}/sleef.h" "SLEEF_VERSION_MINOR ([0-9]+)")
rise_kit_version(_sl_patch "${RISE_KIT_SLEEF_INCLUDE}/sleef.h" "SLEEF_VERSION_PATCHLEVEL ([0-9]+)")
set(SLEEF_VERSION "${_sl_major}.${_sl_minor}.${_sl_patch}")
set(_dnnl_h "${RISE_KIT_DNNL_INCLUDE}/oneapi/dnnl/dnnl_version.h")
rise_kit_version(_dn_major "${_dnnl_h}" "DNNL_VERSION_MAJOR ([0-9]+)")
rise_kit_version(_dn_minor "${_dnnl_h}" "DNNL_VERSION_MINOR ([0-9]+)")
rise_kit_version(_dn_patch "${_dnnl_h}" "DNNL_VERSION_PATCH ([0-9]+)")
set(DNNL_VERSION "${_dn_major}.${_dn_minor}.${_dn_patch}")
rise_kit_version(_cj_major "${RISE_KIT_CJSON_INCLUDE}/cjson/cJSON.h" "CJSON_VERSION_MAJOR ([0-9]+)")
rise_kit_version(_cj_minor "${RISE_KIT_CJSON_INCLUDE}/cjson/cJSON.h" "CJSON_VERSION_MINOR ([0-9]+)")
rise_kit_version(_cj_patch "${RISE_KIT_CJSON_INCLUDE}/cjson/cJSON.h" "CJSON_VERSION_PATCH ([0-9]+)")
set(CJSON_VERSION "${_cj_major}.${_cj_minor}.${_cj_patch}")
set(MUJOCO_LIBRARY "${RISE_KIT_MUJOCO}")
