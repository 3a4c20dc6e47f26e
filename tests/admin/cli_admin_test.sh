#!/usr/bin/env bash
# Contract tests of the CLI's agent commands, run as real processes against
# admin_test_server (the real mb_admin server with canned answers).
# usage: cli_admin_test.sh MESHBEAT_BINARY SERVER_BINARY CASE
: "${PYTHON:=python3}"
set -euo pipefail

MB=$(realpath "$1")
SERVER=$(realpath "$2")
CASE=$3
WORK=$(mktemp -d)
SOCK="$WORK/admin.sock"
SERVER_PID=
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"
export MESHBEAT_ADMIN_SOCKET="$SOCK"

fail() { echo "FAIL: $*" >&2; exit 1; }

# Runs the CLI and records its exit code in RC, stdout in OUT, stderr in ERR.
run() {
  set +e
  "$MB" "$@" >out.txt 2>err.txt
  RC=$?
  set -e
  OUT=$(cat out.txt)
  ERR=$(cat err.txt)
}

expect_rc() {
  [ "$RC" -eq "$1" ] || fail "exit $RC, expected $1 (stdout: $OUT; stderr: $ERR)"
}

# Waits (up to 10 s) until cond (a shell command) holds.
await() {
  for _ in $(seq 100); do
    if eval "$1"; then return 0; fi
    sleep 0.1
  done
  fail "timed out waiting for: $1"
}

start_server() {
  "$SERVER" "$SOCK" "$@" &
  SERVER_PID=$!
  await '[ -S "$SOCK" ]'
}

stop_server() {
  kill "$SERVER_PID"
  wait "$SERVER_PID" || fail "server did not exit cleanly"
  SERVER_PID=
  [ ! -e "$SOCK" ] || fail "server left its socket file behind"
}

# Without an agent every command exits 3 and says why; usage errors exit 2.
case_absent() {
  for cmd in members info events metrics health leave "member nas1" \
             "join 10.0.0.1:7946"; do
    # shellcheck disable=SC2086
    run $cmd
    expect_rc 3
    [[ $ERR == *"is the agent running"* ]] || fail "$cmd: unclear error: $ERR"
  done
  "$PYTHON" -c "import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])" "$SOCK"
  run members
  expect_rc 3
  [[ $ERR == *"stale socket"* ]] || fail "stale socket not explained: $ERR"
  rm -f "$SOCK"
  run members --admin-socket "$WORK/elsewhere.sock"
  expect_rc 3
  [[ $ERR == *"elsewhere.sock"* ]] || fail "--admin-socket not used: $ERR"
  run members extra; expect_rc 2
  run member; expect_rc 2
  run join; expect_rc 2
  run join nonsense; expect_rc 2
  run join host:99999; expect_rc 2
  run events --since x; expect_rc 2
  run info --bogus; expect_rc 2
}

case_help() {
  for cmd in members member info events metrics health join leave; do
    run "$cmd" --help
    expect_rc 0
    [[ $OUT == *"usage: meshbeat $cmd"* ]] || fail "$cmd --help: no usage line"
    [[ $OUT == *"--admin-socket"* ]] || fail "$cmd --help: no --admin-socket"
  done
  run help
  [[ $OUT == *"members"* && $OUT == *"events"* ]] || fail "help lists no admin commands"
}

case_members() {
  start_server
  run members
  expect_rc 0
  local head
  head=$(head -1 out.txt)
  [[ $head =~ ^NAME\ +ID\ +ADDR\ +STATE\ +INC\ +CAPACITY\ +AVAILABLE\ +LAST-SEEN$ ]] ||
    fail "members header: $head"
  grep -Eq '^nas1 +a1b2c3d4e5f6 +10\.0\.0\.1:7946 +alive +3 +3\.6 TiB +931\.5 GiB +now$' out.txt ||
    fail "members row of nas1: $OUT"
  grep -Eq '^pi2 +a1b2c3000000 +10\.0\.0\.2:7946 +suspect +1 .* [45]s ago$' out.txt ||
    fail "members row of pi2: $OUT"
  grep -Eq '^phone3 .*\[fd00::3\]:7946 +dead .* 1[01]m ago$' out.txt ||
    fail "members row of phone3: $OUT"
  # Columns line up: every row has STATE at the header's offset.
  local col
  col=$(head -1 out.txt | grep -bo STATE | cut -d: -f1)
  while read -r line; do
    [[ ${line:$col:1} =~ [a-zS] ]] || fail "misaligned row: $line"
  done <out.txt
  run members --json
  expect_rc 0
  "$PYTHON" -c '
import json, sys
m = json.load(open("out.txt"))
assert [x["name"] for x in m] == ["nas1", "pi2", "phone3"], m
assert len(m[0]["id"]) == 64 and m[0]["self"] is True
' || fail "members --json is not the raw result"
  stop_server
}

# serf's `members -status`, and by failure domain: repeatable or
# comma-separated, the table and --json alike; a state that does not exist
# is a usage error.
case_filters() {
  start_server
  names() { awk 'NR > 1 { print $1 }' out.txt | tr '\n' ' '; }
  run members --status alive
  expect_rc 0
  [[ $(names) == "nas1 " ]] || fail "--status alive: $OUT"
  run members --status alive,dead
  [[ $(names) == "nas1 phone3 " ]] || fail "--status alive,dead: $OUT"
  run members --status suspect --status dead
  [[ $(names) == "pi2 phone3 " ]] || fail "--status twice: $OUT"
  run members --domain rack1
  [[ $(names) == "nas1 phone3 " ]] || fail "--domain rack1: $OUT"
  run members --domain rack1 --status dead,suspect
  [[ $(names) == "phone3 " ]] || fail "--domain and --status: $OUT"
  run members --domain rack9
  expect_rc 0
  [[ $OUT =~ ^NAME\ +ID ]] && [ "$(wc -l <out.txt)" -eq 1 ] || fail "no match: $OUT"
  run members --json --domain rack2,rack9
  expect_rc 0
  "$PYTHON" -c '
import json
assert [m["name"] for m in json.load(open("out.txt"))] == ["pi2"]' ||
    fail "members --json --domain: $OUT"
  run members --status zombie
  expect_rc 2
  [[ $ERR == *"unknown state 'zombie'"* ]] || fail "unknown state: $ERR"
  run members --status alive,
  expect_rc 2
  stop_server
}

# An unknown flag or a missing value: one message from us, none from getopt.
case_badopts() {
  check_one() {
    [[ $ERR == *"$1"* ]] || fail "$2: message lacks '$1': $ERR"
    [[ $ERR != *"unrecognized"* && $ERR != *"requires an argument"* ]] ||
      fail "$2: getopt spoke too: $ERR"
    [ "$(grep -c "^meshbeat" err.txt)" -eq 1 ] || fail "$2: not one message: $ERR"
  }
  for cmd in members member info events metrics health join leave keygen id \
             inspect "cert issue" "cert revoke" revoke records \
             "wire sample ping" "raid list" tasks ledger coordinator; do
    # shellcheck disable=SC2086
    run $cmd --bogus
    expect_rc 2
    check_one "unknown option '--bogus'" "$cmd --bogus"
  done
  run keygen --out
  expect_rc 2
  check_one "option '--out' needs a value" "keygen --out"
  run members --json=yes
  expect_rc 2
  check_one "option '--json' takes no value" "members --json=yes"
  run cert issue --n x
  expect_rc 2
  check_one "option '--n' is ambiguous (--node-id, --name)" "cert issue --n"
  run events -x
  expect_rc 2
  check_one "unknown option '-x'" "events -x"
}

# raid's arguments are judged before the agent is asked: usage errors
# exit 2 with or without an agent; a well-formed request without one, 3.
case_raid_usage() {
  for args in "raid" "raid frob x" "raid list extra" "raid show" \
              "raid create a --level raid1 --parity 2" \
              "raid create a --level raid1 --parity 2 --size 1.5GiB" \
              "raid create a --level raid1 --parity 2 --size 10XB" \
              "raid create a --level raid1 --parity 40 --size 1GiB" \
              "raid remove a --size 1GiB"; do
    # shellcheck disable=SC2086
    run $args
    expect_rc 2
    [ "$(grep -c "^meshbeat raid" err.txt)" -eq 1 ] ||
      fail "$args: not one message: $ERR"
  done
  run raid create a --level raid1 --parity 2 --size 10GiB
  expect_rc 3
  run raid drain n4
  expect_rc 3
}

case_member() {
  start_server
  run member nas1
  expect_rc 0
  grep -Eq '^id +a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90$' out.txt ||
    fail "member by name: $OUT"
  grep -Eq '^capacity +3\.6 TiB \(4000787030016\)$' out.txt || fail "capacity: $OUT"
  run member ff00
  expect_rc 0
  grep -Eq '^name +phone3$' out.txt || fail "member by id prefix: $OUT"
  run member a1b2c3
  expect_rc 1
  [[ $ERR == *"nas1, pi2"* && $ERR == *"(ambiguous)"* ]] || fail "ambiguous: $ERR"
  run member nobody
  expect_rc 1
  [[ $ERR == *"(not_found)"* ]] || fail "not found: $ERR"
  run member --json pi2
  expect_rc 0
  "$PYTHON" -c 'import json; assert json.load(open("out.txt"))["state"] == "suspect"' ||
    fail "member --json"
  stop_server
}

case_info() {
  start_server
  run info
  expect_rc 0
  grep -Eq '^name +nas1$' out.txt || fail "info name: $OUT"
  grep -Eq '^uptime +1d 2h$' out.txt || fail "info uptime: $OUT"
  grep -Eq '^members +1 alive, 1 suspect, 1 dead, 0 left$' out.txt || fail "info members: $OUT"
  grep -Eq '^domain +rack1$' out.txt || fail "info domain: $OUT"
  grep -Eq '^certificate +valid until 2027-11-23T20:00:00Z$' out.txt ||
    fail "info certificate: $OUT"
  run info --json
  expect_rc 0
  "$PYTHON" -c 'import json; assert json.load(open("out.txt"))["cluster"] == "home"' ||
    fail "info --json"
  run metrics
  expect_rc 0
  grep -q '^# TYPE meshbeat_members gauge$' out.txt || fail "metrics: $OUT"
  grep -q '^meshbeat_members{state="alive"} 1$' out.txt || fail "metrics sample: $OUT"
  grep -q '^meshbeat_admin_requests_total ' out.txt || fail "admin stats in metrics"
  run join 10.0.0.2:7946 [fd00::3]:7946
  expect_rc 0
  [[ $OUT == "Joined through 10.0.0.2:7946, [fd00::3]:7946." ]] || fail "join: $OUT"
  run join --wait 1 10.0.0.9:9
  expect_rc 1
  [[ $ERR == "meshbeat join: no answer from 10.0.0.9:9 within 1 s" ]] || fail "join to nowhere: $ERR"
  run join --wait 0 10.0.0.9:9
  expect_rc 0
  [[ $OUT == "Join requested through 10.0.0.9:9; not waiting for an answer." ]] || fail "join --wait 0: $OUT"
  run join --wait soon 10.0.0.9:9
  expect_rc 2
  run leave
  expect_rc 0
  [[ $OUT == "Graceful leave complete." ]] || fail "leave: $OUT"
  run leave --json
  "$PYTHON" -c 'import json; assert json.load(open("out.txt")) == {"left": True}' ||
    fail "leave --json"
  stop_server
}

case_health() {
  start_server
  run health
  expect_rc 0
  [[ $(head -1 out.txt) == "status: ok" ]] || fail "health: $OUT"
  grep -Eq '^gossip +ok: 3 members known$' out.txt || fail "health checks: $OUT"
  stop_server
  start_server --health degraded
  run health
  expect_rc 1
  [[ $(head -1 out.txt) == "status: degraded" ]] || fail "degraded: $OUT"
  run health --json
  expect_rc 1
  stop_server
}

case_events() {
  start_server
  run events
  expect_rc 0
  [[ $(head -1 out.txt) =~ ^TIME\ +NAME\ +FROM→TO\ +REASON\ +INC$ ]] || fail "events header: $OUT"
  grep -Eq '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z +pi2 +alive→suspect +probe timeout +1$' out.txt ||
    fail "events row: $OUT"
  run events --since 1 --json
  expect_rc 0
  "$PYTHON" -c 'import json; assert [e["seq"] for e in json.load(open("out.txt"))] == [2]' ||
    fail "events --since"
  # Following: recorded events, then live ones as they are published.
  "$MB" events --follow >follow.txt 2>follow.err &
  local pid=$!
  await '[ "$(grep -c "refuted" follow.txt)" -ge 2 ]'
  kill "$pid"
  wait "$pid" || true
  grep -Eq 'phone3 +suspect→dead +suspicion timeout +7$' follow.txt || fail "backlog: $(cat follow.txt)"
  # JSON lines, and the agent going away ends the follow with exit 3.
  "$MB" events --follow --json >follow.json 2>follow.err &
  pid=$!
  await '[ "$(grep -c "\"seq\": *10" follow.json)" -ge 1 ]'
  stop_server
  set +e
  wait "$pid"
  RC=$?
  set -e
  [ "$RC" -eq 3 ] || fail "follow after the agent went away: exit $RC"
  grep -q "closed the connection" follow.err || fail "follow: $(cat follow.err)"
  "$PYTHON" -c '
import json
lines = [json.loads(l) for l in open("follow.json")]
assert [l["seq"] for l in lines[:2]] == [1, 2], lines
assert all(l["seq"] >= 100 for l in lines[2:]), lines
' || fail "follow --json lines"
}

# An agent that answers the follow request and then hangs: the CLI gives up
# after three missed heartbeats (here 3 x 100 ms + 1 s) with exit 3.
case_hung() {
  "$PYTHON" - "$SOCK" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])
s.listen(1)
c, _ = s.accept()
c.makefile().readline()
c.sendall(b'{"ok":true,"id":null,"result":[],'
          b'"follow":{"stream":"events","heartbeat_ms":100}}\n')
time.sleep(30)
PY
  SERVER_PID=$!
  await '[ -S "$SOCK" ]'
  local start=$SECONDS
  run events --follow
  expect_rc 3
  [[ $ERR == *"no heartbeat from the agent"* ]] || fail "hung agent: $ERR"
  [ $((SECONDS - start)) -le 5 ] || fail "took $((SECONDS - start)) s to give up"
}

"case_$CASE"
