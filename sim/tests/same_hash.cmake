# Runs SIM on SCENARIO twice and fails unless both runs print the same
# trace_hash; then once with another seed, which must print another hash.
# Usage: cmake -DSIM=... -DSCENARIO=... -P same_hash.cmake

function(trace_hash out)
  execute_process(COMMAND ${SIM} run ${SCENARIO} ${ARGN}
                  OUTPUT_VARIABLE stdout ERROR_VARIABLE stderr
                  RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "meshbeat-sim ${ARGN} exited ${rc}:\n${stdout}${stderr}")
  endif()
  if(NOT stdout MATCHES "trace_hash ([0-9a-f]+)")
    message(FATAL_ERROR "no trace_hash in:\n${stdout}")
  endif()
  set(${out} ${CMAKE_MATCH_1} PARENT_SCOPE)
endfunction()

trace_hash(first)
trace_hash(second)
if(NOT first STREQUAL second)
  message(FATAL_ERROR "same seed, different traces:\n  ${first}\n  ${second}")
endif()
trace_hash(other --seed 4242)
if(other STREQUAL first)
  message(FATAL_ERROR "another seed gave the same trace ${first}")
endif()
message(STATUS "deterministic: ${first}")
