# ctest -P script: configures the project with a FindCUDAToolkit module that fails in a given
# way and requires the configure to succeed, with CUDA on or off as EXPECT says.
#   -DSRC=<project> -DBIN=<scratch> -DMODULES=<dir holding FindCUDAToolkit.cmake> -DEXPECT=ON|OFF
file(REMOVE_RECURSE ${BIN})
execute_process(
  COMMAND ${CMAKE_COMMAND} -S ${SRC} -B ${BIN} -DCMAKE_MODULE_PATH=${MODULES}
          -DENTROPIC_BUILD_TESTS=OFF -DENTROPIC_BUILD_EXAMPLES=ON -DENTROPIC_BUILD_BENCHMARKS=OFF
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "configure failed (exit ${rc}) with ${MODULES}:\n${out}\n${err}")
endif()
file(STRINGS ${BIN}/CMakeCache.txt probe REGEX "^ENTROPIC_CUDA_PROBE_OK")
if(NOT probe STREQUAL "ENTROPIC_CUDA_PROBE_OK:INTERNAL=${EXPECT}")
  message(FATAL_ERROR "expected CUDA ${EXPECT}, the cache says '${probe}'\n${out}\n${err}")
endif()
if(EXPECT STREQUAL "OFF" AND NOT err MATCHES "building for the CPU only")
  message(FATAL_ERROR "no warning that CUDA was turned off:\n${err}")
endif()
file(REMOVE_RECURSE ${BIN})
message(STATUS "configured with CUDA ${EXPECT}, as expected")
