# ctest -P script: runs a program on bad input and requires what a user should see: exit status
# 2 (an entropic::Error caught by cli::main_guard, not a crash or an uncaught exception), the
# message matching MESSAGE, and no byte outside printable ASCII, tab and newline in the output.
#   -DMESSAGE=<regex> -DCMD=<program;args...>
execute_process(COMMAND ${CMD} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT 120)
set(all "${out}${err}")
if(NOT rc STREQUAL "2")
  message(FATAL_ERROR "expected exit status 2, got '${rc}'; output:\n${all}")
endif()
if(NOT err MATCHES "${MESSAGE}")
  message(FATAL_ERROR "stderr does not match '${MESSAGE}':\n${err}")
endif()
string(REGEX MATCH "[^\t\n -~]" raw "${all}")
if(raw)
  message(FATAL_ERROR "the output holds a non-printable byte:\n${all}")
endif()
message(STATUS "exit 2: ${err}")
