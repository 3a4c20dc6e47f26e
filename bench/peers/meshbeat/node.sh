#!/usr/bin/env bash
# One meshbeat agent for the peer harness (run by run_cluster.sh's node_argv).
#
#   node.sh DURATION_S LOG_FIFO STDOUT_FILE -- MESHBEAT agent ARGS...
#
# `exec` gives this process's pid to the agent, so the agent is the direct
# child of the driver's `timeout` and is what the driver SIGKILLs
# (common/mono.py killat kills the first child of timeout).  Its stderr (the
# JSON log) goes to LOG_FIFO, read by the run's one to_peer_log.py; its
# stdout to STDOUT_FILE (the driver's nodeNNN.jsonl, this script's stdout,
# is written by to_peer_log.py only).  The agent has no run-time limit: a
# forked subshell (no new interpreter) sends it SIGTERM, its graceful stop,
# DURATION_S after the start, as the other harnesses' nodes stop by themselves.
set -euo pipefail
DURATION=$1; FIFO=$2; STDOUT_FILE=$3; shift 3
[ "$1" = "--" ] && shift
(
  sleep "$DURATION"
  # still our agent? (the victim is long gone by then)
  if read -r comm 2>/dev/null <"/proc/$$/comm" && [ "$comm" = meshbeat ]; then kill -TERM $$; fi
) &
exec "$@" >>"$STDOUT_FILE" 2>"$FIFO"
