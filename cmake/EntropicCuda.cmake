# entropic_enable_cuda(<out-var>): turns on the CUDA language and finds the toolkit
# (CUDA::cudart, CUDA::cublas) when nvcc is there, and sets <out-var> to ON; otherwise sets it to
# OFF and says why. The CPU build must never fail because of how a CUDA toolkit is detected, so
# the detection first runs in a throwaway child project: a toolkit that CMake's own module
# cannot handle becomes a warning and a CPU-only build, not a configure error.
#
# A macro, not a function: enable_language() is only allowed at directory scope.
macro(entropic_enable_cuda out)
  set(${out} OFF)
  if(NOT DEFINED ENTROPIC_CUDA_PROBE_OK)
    include(CheckLanguage)
    check_language(CUDA)
    if(CMAKE_CUDA_COMPILER)
      set(_entropic_probe ${PROJECT_BINARY_DIR}/cuda-probe)
      file(MAKE_DIRECTORY ${_entropic_probe})
      execute_process(
        COMMAND ${CMAKE_COMMAND} -S ${PROJECT_SOURCE_DIR}/cmake/cuda-probe -B ${_entropic_probe}
                -DCMAKE_CUDA_COMPILER=${CMAKE_CUDA_COMPILER} -DCMAKE_CUDA_ARCHITECTURES=90
                -DENTROPIC_CMAKE_DIR=${PROJECT_SOURCE_DIR}/cmake "-DCMAKE_MODULE_PATH=${CMAKE_MODULE_PATH}"
        RESULT_VARIABLE _entropic_probe_rc
        OUTPUT_FILE ${_entropic_probe}/probe.log ERROR_FILE ${_entropic_probe}/probe.log)
      if(_entropic_probe_rc EQUAL 0)
        set(ENTROPIC_CUDA_PROBE_OK ON CACHE INTERNAL "nvcc and the CUDA toolkit configure")
      else()
        set(ENTROPIC_CUDA_PROBE_OK OFF CACHE INTERNAL "nvcc and the CUDA toolkit configure")
        message(WARNING "entropic: nvcc was found (${CMAKE_CUDA_COMPILER}) but CMake cannot set up the "
                        "CUDA toolkit with it (see ${_entropic_probe}/probe.log); building for the CPU only. "
                        "To silence this, configure with -DENTROPIC_CUDA=OFF -DENTROPIC_TEST_NVCC=OFF.")
      endif()
    else()
      set(ENTROPIC_CUDA_PROBE_OK OFF CACHE INTERNAL "nvcc and the CUDA toolkit configure")
    endif()
  endif()
  if(ENTROPIC_CUDA_PROBE_OK)
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES)
      # Without a GPU "native" cannot be detected, and unset CMake picks sm_75: name one.
      set(CMAKE_CUDA_ARCHITECTURES 90 CACHE STRING "CUDA architectures")
    endif()
    enable_language(CUDA)
    entropic_find_cuda_toolkit()
    set(${out} ON)
  endif()
endmacro()

# find_package(CUDAToolkit) without the nvToolsExt trap: CMake 3.25's module marks the legacy
# nvToolsExt target deprecated when the project requires CMake >= 3.25, and its test for that
# target is missing, so with CUDA 13 (which no longer ships nvToolsExt) it fails with "could not
# find TARGET CUDA::nvToolsExt". Stating an older minimum for this one call skips that branch;
# nothing here uses nvToolsExt.
macro(entropic_find_cuda_toolkit)
  if(NOT TARGET CUDA::cudart)
    set(_entropic_min ${CMAKE_MINIMUM_REQUIRED_VERSION})
    set(CMAKE_MINIMUM_REQUIRED_VERSION 3.24)
    find_package(CUDAToolkit REQUIRED)
    set(CMAKE_MINIMUM_REQUIRED_VERSION ${_entropic_min})
  endif()
endmacro()
