#!/bin/sh
# A RAID executor hook for the tests and the bench (docs/raid.md, "The
# executor's contract"), set as `raid { executor = "raid_hook.sh DIR" }`.
#
# It writes what it was asked (every MESHBEAT_* variable it was given) and
# when, to DIR/task-ID-TARGET.start, reports half the slot, waits until the
# file DIR/release exists (so a test can act while a task is under way),
# reports the whole slot, writes DIR/task-ID-TARGET.done and exits 0.  The
# files appear whole (written aside, then renamed), so a reader never sees
# half of one.
set -eu
dir=$1
run="$dir/task-$MESHBEAT_TASK_ID-$MESHBEAT_TARGET"

stamp() { # FILE: the variables and the time (s since the epoch), atomically
  {
    env | grep '^MESHBEAT_' | sort
    echo "at=$(date +%s.%N)"
  } >"$1.tmp"
  mv "$1.tmp" "$1"
}

stamp "$run.start"
echo "progress $((MESHBEAT_TASK_BYTES / 2))"
while [ ! -e "$dir/release" ]; do
  sleep 0.1
done
echo "progress $MESHBEAT_TASK_BYTES"
stamp "$run.done"
