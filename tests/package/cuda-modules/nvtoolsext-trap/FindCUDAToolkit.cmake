# Stands in for Debian 12's FindCUDAToolkit.cmake (CMake 3.25.1) with CUDA 13: that module fails
# with "set_property could not find TARGET CUDA::nvToolsExt" whenever the calling project
# requires CMake >= 3.25. Otherwise the real module runs.
if(CMAKE_MINIMUM_REQUIRED_VERSION VERSION_GREATER_EQUAL 3.25)
  message(FATAL_ERROR "set_property could not find TARGET CUDA::nvToolsExt (simulated CMake 3.25 + CUDA 13)")
endif()
include(${CMAKE_ROOT}/Modules/FindCUDAToolkit.cmake)
