# meshbeat-sim run --seeds: every seed of a range in one process.
#  - smoke.scn over 1..30 passes: exit 0, one result line naming 30 runs;
#  - a scenario whose expectation fails for every seed: exit 1, one line per
#    failing seed naming the expectation's line, and the count.
# Usage: cmake -DSIM=... -DSCENARIOS=... -DCASES=... -P seeds.cmake

execute_process(COMMAND ${SIM} run ${SCENARIOS}/smoke.scn --seeds 1..30
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 0 OR NOT out MATCHES
   "^result: PASS \\(seeds 1\\.\\.30: 30 runs, 0 failed, 0 errors; [0-9.]+ wall s\\)\n$")
  message(FATAL_ERROR "smoke over 1..30: exit ${rc}\n${out}${err}")
endif()
message(STATUS "${out}")

execute_process(COMMAND ${SIM} run ${CASES}/one_fails.scn --seeds 5..7
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "one_fails over 5..7: exit ${rc}, expected 1\n${out}${err}")
endif()
foreach(seed 5 6 7)
  if(NOT out MATCHES "seed ${seed}: FAIL  line 8: expect deaths last == 0")
    message(FATAL_ERROR "seed ${seed} not reported:\n${out}")
  endif()
endforeach()
if(out MATCHES "line 7:" OR NOT out MATCHES "3 runs, 3 failed, 0 errors")
  message(FATAL_ERROR "wrong report:\n${out}")
endif()

execute_process(COMMAND ${SIM} run ${SCENARIOS}/smoke.scn --seeds 9..3
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 2 OR NOT err MATCHES "bad --seeds")
  message(FATAL_ERROR "--seeds 9..3: exit ${rc}\n${out}${err}")
endif()
message(STATUS "${out}")

# A scenario the simulator cannot set up is refused once, not per seed.
execute_process(COMMAND ${SIM} run ${CASES}/cannot_set_up.scn --seeds 1..3
                OUTPUT_VARIABLE out ERROR_VARIABLE err RESULT_VARIABLE rc)
if(NOT rc EQUAL 2 OR NOT err MATCHES "cannot_set_up\\.scn:5: node 5 is out of range"
   OR out MATCHES "seed")
  message(FATAL_ERROR "cannot_set_up over --seeds: exit ${rc}\n${out}${err}")
endif()
