# Regenerates the seed corpus into FRESH and compares it, file by file, with
# the COMMITTED one (ctest test fuzz_corpus_current).  A difference means the
# encoding changed: rebuild the corpus with `make regen_fuzz_corpus` and
# commit it, so the fuzzers start again from inputs of the current format.
#
# Inputs: GENERATOR FRESH COMMITTED.

file(REMOVE_RECURSE ${FRESH})
execute_process(COMMAND ${GENERATOR} ${FRESH} RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "make_fuzz_corpus failed: a seed no longer decodes "
          "the way it should (see its messages above)")
endif()

file(GLOB_RECURSE fresh RELATIVE ${FRESH} ${FRESH}/*)
file(GLOB_RECURSE committed RELATIVE ${COMMITTED} ${COMMITTED}/*)
list(SORT fresh)
list(SORT committed)
if(NOT fresh STREQUAL committed)
  message(FATAL_ERROR "seed file names differ\n generated: ${fresh}\n "
          "committed: ${committed}\nrun `make regen_fuzz_corpus`")
endif()

set(stale "")
foreach(f IN LISTS fresh)
  execute_process(COMMAND ${CMAKE_COMMAND} -E compare_files
                          ${FRESH}/${f} ${COMMITTED}/${f}
                  RESULT_VARIABLE differs)
  if(differs)
    list(APPEND stale ${f})
  endif()
endforeach()
if(stale)
  message(FATAL_ERROR "stale seeds: ${stale}\nrun `make regen_fuzz_corpus`")
endif()
message(STATUS "${COMMITTED} is current")
