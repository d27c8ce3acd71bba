# RiseDependencies.cmake - finds every library rise uses and records what will
# be built. Required: OpenMP, OpenBLAS, SLEEF, oneDNN, HDF5, cJSON, libpng, protobuf-c (with
# its compiler protoc-c, for TensorBoard event files). Optional: CUDA
# (with cuBLAS/cuBLASLt), NCCL, MPI, MuJoCo (and EGL, to render its tasks). Produces the interface target
# `rise_deps` and RISE_WITH_* variables read by RiseSummary.cmake.
# With RISE_DEPS_PREFIX set, the C libraries come from that unpacked kit only
# (RiseDepsPrefix.cmake; scripts/device_kit.sh), OpenMP and CUDA from the toolchain.
set(RISE_DEPS_PREFIX "" CACHE PATH
    "Take the C libraries (and protoc-c) only from this unpacked kit (scripts/device_kit.sh); empty: the system's")
add_library(rise_deps INTERFACE)

find_package(OpenMP REQUIRED COMPONENTS C)
target_link_libraries(rise_deps INTERFACE OpenMP::OpenMP_C)
# POSIX threads: the worker threads that step the agents of train.seeds.
find_package(Threads REQUIRED)
target_link_libraries(rise_deps INTERFACE Threads::Threads)

set(RISE_WITH_MUJOCO_RENDER OFF) # the GPU kit carries no EGL: its builds render the maze only
if(RISE_DEPS_PREFIX)
  include(RiseDepsPrefix)
else()
  find_package(PkgConfig REQUIRED)

  # OpenBLAS: Debian's OpenMP build when present (libopenblas-openmp-dev), so BLAS threads
  # come from the same OpenMP pool as everything else; otherwise whichever build pkg-config
  # names (the backends then keep a pthreads OpenBLAS single-threaded where it would fight
  # OpenMP). The library is linked by path with an RPATH to its folder, because both builds
  # install the same soname and the system's default alternative is the pthreads one.
  find_library(OPENBLAS_OPENMP_LIBRARY openblas
    PATHS /usr/lib/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp NO_DEFAULT_PATH)
  find_path(OPENBLAS_OPENMP_INCLUDE_DIR cblas.h
    PATHS /usr/include/${CMAKE_LIBRARY_ARCHITECTURE}/openblas-openmp NO_DEFAULT_PATH)
  if(OPENBLAS_OPENMP_LIBRARY AND OPENBLAS_OPENMP_INCLUDE_DIR)
    set(RISE_OPENBLAS_BUILD "OpenMP")
    file(STRINGS ${OPENBLAS_OPENMP_INCLUDE_DIR}/openblas_config.h _ob_version
         REGEX "define OPENBLAS_VERSION")
    string(REGEX MATCH "[0-9]+\\.[0-9]+\\.[0-9]+" OPENBLAS_VERSION "${_ob_version}")
    target_include_directories(rise_deps INTERFACE ${OPENBLAS_OPENMP_INCLUDE_DIR})
    target_link_libraries(rise_deps INTERFACE ${OPENBLAS_OPENMP_LIBRARY})
  else()
    set(RISE_OPENBLAS_BUILD "default (pkg-config; not the OpenMP build)")
    pkg_check_modules(OPENBLAS REQUIRED IMPORTED_TARGET openblas)
    target_link_libraries(rise_deps INTERFACE PkgConfig::OPENBLAS)
  endif()

  # SLEEF: vectorised float exp/log/tanh for the fast CPU kernels (libsleef-dev).
  pkg_check_modules(SLEEF REQUIRED IMPORTED_TARGET sleef)
  target_link_libraries(rise_deps INTERFACE PkgConfig::SLEEF)

  # oneDNN: the fast CPU backend's matmul where it beats OpenBLAS, and its bf16 path
  # (libdnnl-dev; Debian builds it on OpenMP, the same pool).
  find_path(DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.h)
  find_library(DNNL_LIBRARY dnnl)
  if(NOT DNNL_INCLUDE_DIR OR NOT DNNL_LIBRARY)
    message(FATAL_ERROR "oneDNN not found (apt-get install libdnnl-dev, or run scripts/setup.sh)")
  endif()
  file(STRINGS ${DNNL_INCLUDE_DIR}/oneapi/dnnl/dnnl_version.h _dnnl_v REGEX "define DNNL_VERSION_(MAJOR|MINOR|PATCH) ")
  string(REGEX REPLACE "[^0-9;]" "" _dnnl_v "${_dnnl_v}")
  string(REPLACE ";" "." DNNL_VERSION "${_dnnl_v}")
  target_include_directories(rise_deps INTERFACE ${DNNL_INCLUDE_DIR})
  target_link_libraries(rise_deps INTERFACE ${DNNL_LIBRARY})

  find_package(HDF5 REQUIRED COMPONENTS C)
  target_include_directories(rise_deps INTERFACE ${HDF5_C_INCLUDE_DIRS})
  target_link_libraries(rise_deps INTERFACE ${HDF5_C_LIBRARIES})
  target_compile_definitions(rise_deps INTERFACE H5_USE_110_API)

  pkg_check_modules(CJSON REQUIRED IMPORTED_TARGET libcjson)
  target_link_libraries(rise_deps INTERFACE PkgConfig::CJSON)

  find_package(PNG REQUIRED)
  target_link_libraries(rise_deps INTERFACE PNG::PNG)

  # protobuf-c encodes TensorBoard's Event messages (host/tb_event.proto -> C at build time).
  pkg_check_modules(PROTOBUFC REQUIRED IMPORTED_TARGET libprotobuf-c)
  target_link_libraries(rise_deps INTERFACE PkgConfig::PROTOBUFC)
  find_program(RISE_PROTOC_C protoc-c)
  if(NOT RISE_PROTOC_C)
    message(FATAL_ERROR "protoc-c (protobuf-c-compiler) not found: run scripts/setup.sh or apt-get install protobuf-c-compiler")
  endif()

  # MuJoCo (Debian's libmujoco-dev ships no CMake config: plain find).
  find_path(MUJOCO_INCLUDE_DIR mujoco/mujoco.h)
  find_library(MUJOCO_LIBRARY mujoco)
  if(MUJOCO_INCLUDE_DIR AND MUJOCO_LIBRARY)
    set(RISE_WITH_MUJOCO ON)
    target_include_directories(rise_deps INTERFACE ${MUJOCO_INCLUDE_DIR})
    target_link_libraries(rise_deps INTERFACE ${MUJOCO_LIBRARY})
    target_compile_definitions(rise_deps INTERFACE RISE_WITH_MUJOCO=1)
  else()
    set(RISE_WITH_MUJOCO OFF)
  endif()

  # EGL (libglvnd's libEGL with Mesa's, libegl-dev): the MuJoCo tasks' camera views render
  # headless through it (envs/mujoco_render.c); without it (or with -DRISE_EGL=OFF) they are
  # refused.
  if(RISE_WITH_MUJOCO AND RISE_EGL)
    find_path(EGL_INCLUDE_DIR EGL/egl.h)
    find_library(EGL_LIBRARY EGL)
    if(EGL_INCLUDE_DIR AND EGL_LIBRARY)
      set(RISE_WITH_MUJOCO_RENDER ON)
      target_include_directories(rise_deps INTERFACE ${EGL_INCLUDE_DIR})
      target_link_libraries(rise_deps INTERFACE ${EGL_LIBRARY})
      target_compile_definitions(rise_deps INTERFACE RISE_WITH_MUJOCO_RENDER=1)
    endif()
  endif()
endif() # RISE_DEPS_PREFIX

# CUDA: AUTO builds it when a compiler is found (no GPU is needed to build).
set(RISE_WITH_CUDA OFF)
if(NOT RISE_CUDA STREQUAL "OFF")
  include(CheckLanguage)
  if(NOT DEFINED CMAKE_CUDA_COMPILER AND EXISTS /usr/local/cuda/bin/nvcc)
    set(CMAKE_CUDA_COMPILER /usr/local/cuda/bin/nvcc)
  endif()
  check_language(CUDA)
  if(CMAKE_CUDA_COMPILER)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      set(CMAKE_CUDA_ARCHITECTURES 80 90)
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit REQUIRED)
    set(RISE_WITH_CUDA ON)
    if(RISE_DEPS_PREFIX)
      # A bare machine's loader need not know the toolkit's folder (CMake writes no RPATH
      # for it, as it counts it among the compiler's own), so say where cuBLAS (and a
      # cuDNN that came with the toolkit) is.
      list(APPEND CMAKE_BUILD_RPATH "${CUDAToolkit_LIBRARY_DIR}")
    endif()
  elseif(RISE_CUDA STREQUAL "ON")
    message(FATAL_ERROR "RISE_CUDA=ON but no CUDA compiler was found (install the CUDA toolkit or set CMAKE_CUDA_COMPILER)")
  endif()
endif()

# cuDNN (optional, for the U-Net's convolutions): the CUDA toolkit's own copy or a system
# one. Without it the convolutions use the handwritten and cuBLAS variants.
set(RISE_WITH_CUDNN OFF)
if(RISE_WITH_CUDA AND NOT RISE_CUDNN STREQUAL "OFF")
  find_path(CUDNN_INCLUDE_DIR cudnn.h HINTS ${CUDAToolkit_INCLUDE_DIRS})
  find_library(CUDNN_LIBRARY cudnn HINTS ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_LIBRARY_ROOT}/lib
               ${CUDAToolkit_LIBRARY_ROOT}/lib64)
  if(CUDNN_INCLUDE_DIR AND CUDNN_LIBRARY)
    file(STRINGS ${CUDNN_INCLUDE_DIR}/cudnn_version.h CUDNN_MAJOR_LINE REGEX "define CUDNN_MAJOR ")
    string(REGEX MATCH "[0-9]+" CUDNN_MAJOR "${CUDNN_MAJOR_LINE}")
  endif()
  if(CUDNN_INCLUDE_DIR AND CUDNN_LIBRARY AND CUDNN_MAJOR GREATER_EQUAL 8)
    set(RISE_WITH_CUDNN ON)
    target_include_directories(rise_deps INTERFACE ${CUDNN_INCLUDE_DIR})
    target_link_libraries(rise_deps INTERFACE ${CUDNN_LIBRARY})
    target_compile_definitions(rise_deps INTERFACE RISE_WITH_CUDNN=1)
  elseif(RISE_CUDNN STREQUAL "ON")
    message(FATAL_ERROR "RISE_CUDNN=ON but cudnn.h / libcudnn (version 8 or later) were not found")
  endif()
endif()

set(RISE_WITH_NCCL OFF)
if(RISE_WITH_CUDA AND NOT RISE_NCCL STREQUAL "OFF")
  find_path(NCCL_INCLUDE_DIR nccl.h HINTS ${CUDAToolkit_INCLUDE_DIRS})
  find_library(NCCL_LIBRARY nccl HINTS ${CUDAToolkit_LIBRARY_DIR} ${CUDAToolkit_LIBRARY_ROOT}/lib)
  if(NCCL_INCLUDE_DIR AND NCCL_LIBRARY)
    set(RISE_WITH_NCCL ON)
    target_include_directories(rise_deps INTERFACE ${NCCL_INCLUDE_DIR})
    target_link_libraries(rise_deps INTERFACE ${NCCL_LIBRARY})
    target_compile_definitions(rise_deps INTERFACE RISE_WITH_NCCL=1)
  elseif(RISE_NCCL STREQUAL "ON")
    message(FATAL_ERROR "RISE_NCCL=ON but nccl.h / libnccl were not found")
  endif()
endif()

set(RISE_WITH_MPI OFF)
if(NOT RISE_MPI STREQUAL "OFF")
  find_package(MPI COMPONENTS C QUIET)
  if(MPI_C_FOUND)
    set(RISE_WITH_MPI ON)
    target_link_libraries(rise_deps INTERFACE MPI::MPI_C)
    target_compile_definitions(rise_deps INTERFACE RISE_WITH_MPI=1)
  elseif(RISE_MPI STREQUAL "ON")
    message(FATAL_ERROR "RISE_MPI=ON but no MPI was found (apt-get install libopenmpi-dev)")
  endif()
endif()
