# ctest -P script: docs/cmake.md quotes each consumer project's CMakeLists.txt whole, right after
# a line "<!-- tests/package/<dir>/CMakeLists.txt -->", so the snippets a user copies are the
# ones the package tests build.   -DSRC=<project source dir> "-DPROJECTS=<dirs under tests/package>"
cmake_minimum_required(VERSION 3.25)
file(READ ${SRC}/docs/cmake.md doc)
set(failures)
foreach(p IN LISTS PROJECTS)
  set(file tests/package/${p}/CMakeLists.txt)
  file(READ ${SRC}/${file} text)
  string(FIND "${doc}" "<!-- ${file} -->\n```cmake\n${text}```\n" at)
  if(at EQUAL -1)
    list(APPEND failures ${file})
  endif()
endforeach()
if(failures)
  list(JOIN failures ", " failures)
  message(FATAL_ERROR "docs/cmake.md does not quote, whole and unchanged, ${failures}: copy the file "
                      "into the ```cmake block after its <!-- path --> line")
endif()
message(STATUS "docs/cmake.md quotes ${PROJECTS} unchanged")
