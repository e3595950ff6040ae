# Runs mpi-dead-rank under mpirun (-D MPIEXEC=... -D EXE=... -D MODE=exit|hang -D NP=2) and
# requires the job to fail within LIMIT seconds, for hang with the timeout's message.
execute_process(COMMAND ${MPIEXEC} ${MPIFLAGS} -np ${NP} ${EXE} ${MODE}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err TIMEOUT ${LIMIT})
message("${out}${err}")
if(rc EQUAL 0)
  message(FATAL_ERROR "the job with a ${MODE} rank succeeded; it must fail")
endif()
if(rc MATCHES "timeout")
  message(FATAL_ERROR "the job with a ${MODE} rank was still running after ${LIMIT} s: it hangs")
endif()
if(MODE STREQUAL "hang" AND NOT "${out}${err}" MATCHES "all_reduce did not complete within")
  message(FATAL_ERROR "the job failed but without the timeout's message naming the collective")
endif()
if("${out}${err}" MATCHES "completed, which it must not")
  message(FATAL_ERROR "a collective completed without its peer")
endif()
