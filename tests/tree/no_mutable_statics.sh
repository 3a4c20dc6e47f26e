#!/usr/bin/env bash
# No mutable statics in src/: state lives in objects (the agent, the core,
# the store), so that two of them can live in one process (the simulator
# runs thousands of cores) and nothing is shared by accident.  A static
# that is written lands in .data or .bss; tables that are only read land
# in .rodata or .data.rel.ro.  Given the libraries built from src/, prints
# every object in a writable section and fails if there is one; what a
# sanitizer adds (__odr_asan.*, __asan_*) is the instrumentation's, not ours.
set -euo pipefail
found=0
for lib in "$@"; do
  out=$(objdump -t "$lib" | awk '
    /^[^ ]+\.o:/ { unit = $1 }
    $3 == "O" && $4 ~ /^\.(data|bss)(\.|$)/ && $4 !~ /rel\.ro/ &&
    $NF !~ /^(__odr_asan|__asan|___asan|__ubsan|__sancov)/ {
      print unit, $4, $NF
    }')
  if [ -n "$out" ]; then
    echo "$(basename "$lib"): writable statics:"
    echo "$out" | sed 's/^/  /'
    found=1
  fi
done
if [ "$found" -ne 0 ]; then
  echo "move these into the object that owns the state (docs/design.md)"
  exit 1
fi
echo "no writable statics in $# libraries"
