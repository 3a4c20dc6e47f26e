# Runs one libFuzzer target for SECONDS (ctest test fuzz_<name>).
#
# The fuzzer works on WORK, a build-dir copy of the seed corpus that keeps
# what earlier runs found, so the source tree is never written.  The
# regression inputs, when the directory exists, are loaded as a second,
# read-only corpus: libFuzzer runs each of them before it starts mutating.
# Crash inputs land in ARTIFACTS as crash-<sha1>, leak-..., timeout-...
#
# Inputs: FUZZER SEEDS REGRESSIONS WORK ARTIFACTS SECONDS.

file(MAKE_DIRECTORY ${WORK} ${ARTIFACTS})
file(GLOB seeds ${SEEDS}/*)
if(NOT seeds)
  message(FATAL_ERROR "no seed corpus in ${SEEDS}")
endif()
file(COPY ${seeds} DESTINATION ${WORK})

set(corpora ${WORK})
if(IS_DIRECTORY ${REGRESSIONS})
  list(APPEND corpora ${REGRESSIONS})
endif()

execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -rss_limit_mb=2048
          -timeout=10 -print_final_stats=1 -artifact_prefix=${ARTIFACTS}/
          ${corpora}
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "${FUZZER} failed (${rc}); the input is in ${ARTIFACTS}. "
          "Copy it to ${REGRESSIONS}/ and report it.")
endif()
