# Every DIR/*.scn is a broken scenario whose first line is
#   # error: REGEX
# meshbeat-sim CMD (default check) must refuse it (exit 2) with a message
# matching REGEX (which names the file and line).
# Usage: cmake -DSIM=... -DDIR=... [-DCMD=run] -P errors.cmake

if(NOT CMD)
  set(CMD check)
endif()

file(GLOB cases ${DIR}/*.scn)
list(LENGTH cases n)
if(n EQUAL 0)
  message(FATAL_ERROR "no cases in ${DIR}")
endif()
foreach(case ${cases})
  file(STRINGS ${case} first LIMIT_COUNT 1)
  if(NOT first MATCHES "^# error: (.+)$")
    message(FATAL_ERROR "${case}: first line must be '# error: REGEX'")
  endif()
  set(want "${CMAKE_MATCH_1}")
  execute_process(COMMAND ${SIM} ${CMD} ${case}
                  OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
  if(NOT rc EQUAL 2)
    message(FATAL_ERROR "${case}: exit ${rc}, expected 2\n${out}${err}")
  endif()
  if(NOT err MATCHES "${want}")
    message(FATAL_ERROR "${case}: message\n  ${err}does not match\n  ${want}")
  endif()
  get_filename_component(name ${case} NAME)
  message(STATUS "${name}: ${err}")
endforeach()
