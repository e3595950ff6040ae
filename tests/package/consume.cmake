# ctest -P script: builds a consumer project the way a user would and runs its programs.
#   -DPROJECT_DIR=<dir holding the consumer's CMakeLists.txt>
#   -DSOURCES_DIR=<dir whose other files the consumer builds>  (default PROJECT_DIR)
#   -DBIN=<scratch dir> -DGENERATOR=<cmake generator> "-DOPTIONS=<configure options, ;-list>"
#   "-DRUN=<programs, ;-list>": each is run with an output directory and must print "ok"
#   "-DPNG=<file>": a file the programs write there, which must be a PNG
# The consumer's CMakeLists.txt is the very file docs/cmake.md quotes (check-docs.cmake), so it
# is copied as is; the programs' sources come from SOURCES_DIR so that two consumers share them.
cmake_minimum_required(VERSION 3.25)
file(REMOVE_RECURSE ${BIN})
file(MAKE_DIRECTORY ${BIN}/src ${BIN}/out)
if(NOT SOURCES_DIR)
  set(SOURCES_DIR ${PROJECT_DIR})
endif()
file(GLOB sources ${SOURCES_DIR}/*.cpp ${SOURCES_DIR}/*.cu)
file(COPY ${sources} ${PROJECT_DIR}/CMakeLists.txt DESTINATION ${BIN}/src)

function(run step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${step} failed (exit ${rc}):\n${out}\n${err}")
  endif()
  set(out "${out}" PARENT_SCOPE)
endfunction()

run(configure ${CMAKE_COMMAND} -S ${BIN}/src -B ${BIN}/build -G ${GENERATOR} ${OPTIONS})
run(build ${CMAKE_COMMAND} --build ${BIN}/build -j 2)
foreach(program IN LISTS RUN)
  run(${program} ${BIN}/build/${program} ${BIN}/out)
  if(NOT out MATCHES " ok")
    message(FATAL_ERROR "${program} did not say ok:\n${out}")
  endif()
  message(STATUS "${out}")
endforeach()
if(PNG)
  set(png ${BIN}/out/${PNG})
  if(NOT EXISTS ${png})
    message(FATAL_ERROR "no ${PNG} was written")
  endif()
  file(READ ${png} signature LIMIT 8 HEX)
  if(NOT signature STREQUAL "89504e470d0a1a0a")
    message(FATAL_ERROR "${PNG} does not start with the PNG signature: ${signature}")
  endif()
  file(SIZE ${png} size)
  message(STATUS "${PNG}: a PNG of ${size} bytes")
endif()
file(REMOVE_RECURSE ${BIN})
