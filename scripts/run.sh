#!/usr/bin/env bash
# The main job of `make run`: a throwaway cluster authority certifies five
# agents, which start on loopback (ports 7946-7950) with their own data
# directories and admin sockets, and the live view shows what each of them
# thinks of the mesh, with the commands to try.  Beside them the reference
# receiver (tools/receiver) plays the central endpoint over HTTPS, and the
# agents' bridge posts to it (when the agent has a bridge: its --help lists
# --bridge-endpoint).  When the agent runs the RAID coordinator (its --help
# lists --raid-voters), n0-n2 are the Raft voters and the array `demo`
# spans every agent; the view shows it.  Ctrl-C stops every agent
# gracefully, and the receiver.  An agent or receiver that cannot start (its port taken, no
# binary) ends the job at once with the cause from its log and exit code 1.
# n0 serves the dashboard (/ui) on its HTTP listener; the view prints its URL.
#
# Knobs (README.md, `make run`): MESHBEAT_RUN_NODES, MESHBEAT_RUN_PORT,
# MESHBEAT_RUN_DIR, MESHBEAT_RUN_SECONDS, MESHBEAT_RUN_RECEIVER,
# MESHBEAT_RUN_RECEIVER_PORT, MESHBEAT_RUN_HTTP_PORT.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-build}
N=${MESHBEAT_RUN_NODES:-5}
BASE_PORT=${MESHBEAT_RUN_PORT:-7946}
RUN=${MESHBEAT_RUN_DIR:-$BUILD/run-mesh}
RECEIVER_MODE=${MESHBEAT_RUN_RECEIVER:-auto}
# TCP, the receiver's HTTPS port; its control port is the next one.
RECEIVER_PORT=${MESHBEAT_RUN_RECEIVER_PORT:-$((BASE_PORT + 30))}
# TCP, n0's HTTP listener: the dashboard /ui, /metrics and /health.
HTTP_PORT=${MESHBEAT_RUN_HTTP_PORT:-$((BASE_PORT + 40))}
RECEIVER="$(dirname "$HERE")/tools/receiver"
# How long an agent may take to answer on its admin socket.
START_TIMEOUT_S=15

fail() {
  echo "make run: $*" >&2
  exit "${FAIL_CODE:-1}"
}

number_in() {  # VALUE MIN MAX
  [[ $1 =~ ^[0-9]+$ ]] && [ "$1" -ge "$2" ] && [ "$1" -le "$3" ]
}
FAIL_CODE=2
number_in "$N" 1 26 || fail "MESHBEAT_RUN_NODES=$N: want 1 to 26 agents"
number_in "$BASE_PORT" 1 $((65535 - N + 1)) ||
  fail "MESHBEAT_RUN_PORT=$BASE_PORT: want a UDP port (1-$((65535 - N + 1)))"
case $RECEIVER_MODE in
  auto | 0 | 1) ;;
  *) fail "MESHBEAT_RUN_RECEIVER=$RECEIVER_MODE: want auto, 0 or 1" ;;
esac
number_in "$RECEIVER_PORT" 1 65534 ||
  fail "MESHBEAT_RUN_RECEIVER_PORT=$RECEIVER_PORT: want a TCP port (1-65534)"
number_in "$HTTP_PORT" 1 65535 ||
  fail "MESHBEAT_RUN_HTTP_PORT=$HTTP_PORT: want a TCP port (1-65535)"
FAIL_CODE=1
[ -d "$BUILD" ] || fail "no build directory $BUILD (make build first)"
MB="$(cd "$BUILD" && pwd)/src/cli/meshbeat"
[ -x "$MB" ] || fail "no meshbeat binary at $MB (make build first)"
"$MB" version >/dev/null 2>&1 || fail "$MB does not run: $("$MB" version 2>&1 | head -1)"
command -v python3 >/dev/null || fail "python3 is needed for the live view"

# The bridge's flags exist once the agent has a bridge (issue 11); until
# then the agents run without it, and the receiver only when asked for.
AGENT_HELP=$("$MB" agent --help 2>&1 || true)
has_flag() { grep -q -- "$1" <<<"$AGENT_HELP"; }
BRIDGE=0
has_flag --bridge-endpoint && BRIDGE=1
case $RECEIVER_MODE in
  auto) WITH_RECEIVER=$BRIDGE ;;
  *) WITH_RECEIVER=$RECEIVER_MODE ;;
esac
[ "$WITH_RECEIVER" = 1 ] || BRIDGE=0
# The RAID coordinator runs when the agent has one (its --help lists
# --raid-voters): the first agents of up to three domains are its Raft
# voters (certificate role coordinator), and one array spans every agent.
RAID=0
has_flag --raid-voters && RAID=1
VOTERS=$(seq -s, -f 'n%g' 0 $((N < 3 ? 0 : 2)))
if [ "$WITH_RECEIVER" = 1 ]; then
  python3 -c 'import jsonschema, cryptography' 2>/dev/null ||
    fail "the receiver needs python3-jsonschema and python3-cryptography (scripts/install-deps.sh)"
fi

# RUN is emptied: only when it is one of ours (or empty, or new).
if [ -d "$RUN" ] && [ -n "$(ls -A "$RUN")" ] && [ ! -f "$RUN/authority.id" ]; then
  FAIL_CODE=2 fail "$RUN is not empty and not a make run directory; pick another MESHBEAT_RUN_DIR"
fi
mkdir -p "$RUN"
RUN=$(cd "$RUN" && pwd)
# Paths as a person would type them from here, when RUN is below it.
SHOW_RUN=${RUN#"$PWD"/}

# SIGTERM to every agent of RUN (one signal each: a second one would cut
# its graceful leave short), then waits until they are gone (at most 10 s).
stop_agents() {
  local pids=() pid
  for pidfile in "$RUN"/n*.pid; do
    [ -f "$pidfile" ] || continue
    pid=$(cat "$pidfile")
    # Only an agent of ours: a stale file's pid may be someone else's now.
    { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -q -- "--data-dir $RUN/" &&
      kill -TERM "$pid" 2>/dev/null && pids+=("$pid")
  done
  for pid in "${pids[@]}"; do
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
}

# SIGTERM to the receiver of RUN, if it is still ours.
stop_receiver() {
  local pid
  [ -f "$RUN/receiver.pid" ] || return 0
  pid=$(cat "$RUN/receiver.pid")
  { tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null | grep -q -- "--token-file $RUN/receiver/" &&
    kill -TERM "$pid" 2>/dev/null &&
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  return 0
}

stop_all() {
  trap - INT TERM EXIT
  stop_agents
  stop_receiver
  echo
  echo "stopped; logs and data are in $SHOW_RUN"
}

stop_agents  # an earlier run left agents behind?
stop_receiver
find "$RUN" -mindepth 1 -delete
"$MB" keygen --out "$RUN/authority.key" >"$RUN/authority.id"
AUTH=$(cat "$RUN/authority.id")

# The central endpoint: a throwaway TLS authority and server certificate,
# a Bearer token for the view, one Flynas token per device and a webhook
# secret, all in RUN/receiver; the agents get the same files.
BRIDGE_FLAGS=""
if [ "$WITH_RECEIVER" = 1 ]; then
  R="$RUN/receiver"
  mkdir -m 700 "$R"
  python3 "$RECEIVER/make_certs.py" "$R"
  random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }
  (
    umask 077  # secrets: the agents' user's alone
    random_hex 24 >"$R/token"
    echo "whsec_$(head -c 32 /dev/urandom | base64 -w0)" >"$R/webhook.secret"
    for i in $(seq 0 $((N - 1))); do
      echo "n$i $(random_hex 16)"
    done >"$R/flynas.tokens"
  )
  URL="https://127.0.0.1:$RECEIVER_PORT"
  if [ "$BRIDGE" = 1 ]; then
    flags=(--bridge-endpoint "$URL/v1/heartbeat" --bridge-ca-file "$R/ca.pem"
           --bridge-token-file "$R/token" --bridge-interval-ms 5000
           --bridge-webhook-url "$URL/v1/events"
           --bridge-webhook-secret-file "$R/webhook.secret")
    # Every agent may be the bridge (the certificates carry no role).
    for i in $(seq 0 $((N - 1))); do flags+=(--bridge-eligible "n$i"); done
    if has_flag --bridge-flynas-endpoint; then
      flags+=(--bridge-flynas-endpoint "$URL/api/raid/heartbeat"
              --bridge-flynas-token-file "$R/flynas.tokens")
    fi
    # Quoted for the start script below.
    BRIDGE_FLAGS=$(printf ' %q' "${flags[@]}")
  fi
  # RUN/receiver.sh COMMAND: drives the receiver (close, open, status 503,
  # 429 30, hang, ok, received; tools/receiver/meshbeat-receiver --help).
  printf '#!/usr/bin/env bash\nexec python3 "%s" ctl 127.0.0.1:%s "$@"\n' \
    "$RECEIVER/meshbeat-receiver" $((RECEIVER_PORT + 1)) >"$RUN/receiver.sh"
  chmod +x "$RUN/receiver.sh"
  setsid python3 "$RECEIVER/meshbeat-receiver" --listen "127.0.0.1:$RECEIVER_PORT" \
    --control "127.0.0.1:$((RECEIVER_PORT + 1))" --cert "$R/server.pem" --key "$R/server-key.pem" \
    --token-file "$R/token" --flynas-token-file "$R/flynas.tokens" \
    --webhook-secret-file "$R/webhook.secret" >>"$RUN/receiver.log" 2>&1 </dev/null &
  echo $! >"$RUN/receiver.pid"
fi

RAID_FLAGS=""
[ "$RAID" = 1 ] && RAID_FLAGS="--raid-voters $VOTERS"

# RUN/start NAME: (re)starts one agent in the background, in a session of
# its own (Ctrl-C in the terminal reaches the job, which stops the agents
# one signal each, so every one leaves gracefully).
cat >"$RUN/start" <<EOF
#!/usr/bin/env bash
set -eu
name=\$1; idx=\${name#n}; dir="$RUN/\$name"
join=""; [ "\$idx" != 0 ] && join="--join 127.0.0.1:$BASE_PORT"
http=""; [ "\$idx" = 0 ] && http="--http-addr 127.0.0.1:$HTTP_PORT"
setsid "$MB" agent --name "\$name" --bind 127.0.0.1:\$(($BASE_PORT + idx)) \\
  --data-dir "\$dir" --admin-socket "\$dir/admin.sock" --cluster demo \\
  --authority $AUTH --key "\$dir/node.key" --cert "\$dir/node.cert" \\
  --domain "rack-\$((idx % 3))" \$join \$http $BRIDGE_FLAGS $RAID_FLAGS >>"$RUN/\$name.log" 2>&1 </dev/null &
echo \$! >"$RUN/\$name.pid"
EOF
# RUN/mb NAME ARGS...: the meshbeat CLI talking to that agent.
cat >"$RUN/mb" <<EOF
#!/usr/bin/env bash
name=\$1; shift
exec "$MB" "\$@" --admin-socket "$RUN/\$name/admin.sock"
EOF
chmod +x "$RUN/start" "$RUN/mb"

# Waits until agent NAME answers on its admin socket; if it exits first or
# never answers, says why (the end of its log) and fails the job.
await_agent() {
  local name=$1 pid
  pid=$(cat "$RUN/$name.pid")
  for _ in $(seq $((START_TIMEOUT_S * 10))); do
    if ! kill -0 "$pid" 2>/dev/null; then
      {
        echo "make run: agent $name (127.0.0.1:$((BASE_PORT + ${name#n}))) could not start; the end of $SHOW_RUN/$name.log:"
        tail -n 5 "$RUN/$name.log" | sed 's/^/  /'
        if grep -q "(http.listen)" "$RUN/$name.log"; then
          echo "another program holds that TCP port; choose another:"
          echo "MESHBEAT_RUN_HTTP_PORT=$((HTTP_PORT + 1000)) make run"
        elif grep -q "address already in use" "$RUN/$name.log"; then
          echo "another program holds that UDP port (serf, consul, memberlist?);"
          echo "choose other ports: MESHBEAT_RUN_PORT=$((BASE_PORT + 1000)) make run"
        fi
      } >&2
      stop_all >&2
      exit 1
    fi
    "$MB" info --admin-socket "$RUN/$name/admin.sock" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  echo "make run: agent $name did not answer within $START_TIMEOUT_S s; see $SHOW_RUN/$name.log" >&2
  stop_all >&2
  exit 1
}

# Waits until the receiver logs that it listens; if it exits first or
# never does, says why (the end of its log) and fails the job.
await_receiver() {
  local pid
  pid=$(cat "$RUN/receiver.pid")
  for _ in $(seq $((START_TIMEOUT_S * 10))); do
    grep -q '"kind": "listening"' "$RUN/receiver.log" 2>/dev/null && return 0
    if ! kill -0 "$pid" 2>/dev/null; then
      {
        echo "make run: the receiver (TCP 127.0.0.1:$RECEIVER_PORT and $((RECEIVER_PORT + 1))) could not start; the end of $SHOW_RUN/receiver.log:"
        tail -n 5 "$RUN/receiver.log" | sed 's/^/  /'
        echo "choose other ports: MESHBEAT_RUN_RECEIVER_PORT=$((RECEIVER_PORT + 1000)) make run"
      } >&2
      stop_all >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "make run: the receiver did not start within $START_TIMEOUT_S s; see $SHOW_RUN/receiver.log" >&2
  stop_all >&2
  exit 1
}

trap stop_all INT TERM EXIT
if [ "$WITH_RECEIVER" = 1 ]; then await_receiver; fi
sockets=()
for i in $(seq 0 $((N - 1))); do
  dir="$RUN/n$i"
  mkdir -m 700 "$dir"
  id=$("$MB" keygen --out "$dir/node.key")
  role=()
  [ "$RAID" = 1 ] && [[ ,$VOTERS, == *,n$i,* ]] && role=(--role coordinator)
  "$MB" cert issue --authority "$RUN/authority.key" --node-id "$id" \
    --name "n$i" --domain "rack-$((i % 3))" --ttl 1d "${role[@]}" \
    --out "$dir/node.cert" >/dev/null
  "$RUN/start" "n$i"
  await_agent "n$i"
  sockets+=("$dir/admin.sock")
done

# The array `demo` over every agent, as wide as the level allows: a kill
# degrades it, a restart resyncs it (`meshbeat raid list`).
create_array() {
  local level=(--level raid6 --data $((N - 2)) --parity 2)
  [ "$N" -ge 4 ] || level=(--level raid5 --data 2 --parity 1)
  [ "$N" -ge 3 ] || level=(--level raid1 --data 1 --parity 1)
  local out=""
  for _ in $(seq $((START_TIMEOUT_S * 10))); do  # until a leader is elected
    out=$("$RUN/mb" n0 raid create demo "${level[@]}" --size 1GiB 2>&1) &&
      return 0
    # A try whose answer was lost (no leader yet) may still have committed.
    [[ $out == *"(exists)"* ]] && return 0
    sleep 0.1
  done
  echo "make run: could not create the array demo within $START_TIMEOUT_S s: $out; see $SHOW_RUN/n0.log" >&2
  stop_all >&2
  exit 1
}
[ "$RAID" = 1 ] && [ "$N" -ge 2 ] && create_array

victim=n$((N > 3 ? 3 : N - 1))
hints=(--hint "kill one:  kill -9 \$(cat $SHOW_RUN/$victim.pid)"
       --hint "restart:   $SHOW_RUN/start $victim"
       --hint "ask one:   $SHOW_RUN/mb n0 members   (or raid list, tasks, events -f)")
view_args=()
if [ "$WITH_RECEIVER" = 1 ]; then
  hints+=(--hint "receiver:  $SHOW_RUN/receiver.sh close   (then open; or status 503)")
  view_args+=(--receiver "http://127.0.0.1:$((RECEIVER_PORT + 1))")
fi
hints+=(--hint "dashboard: http://127.0.0.1:$HTTP_PORT/ui")
if [ -n "${MESHBEAT_RUN_SECONDS:-}" ]; then  # non-interactive: show and stop
  number_in "$MESHBEAT_RUN_SECONDS" 0 86400 ||
    FAIL_CODE=2 fail "MESHBEAT_RUN_SECONDS=$MESHBEAT_RUN_SECONDS: want seconds"
  sleep "$MESHBEAT_RUN_SECONDS"
  MESHBEAT_VIEW_ONCE=1 python3 "$HERE/live_view.py" "${hints[@]}" "${view_args[@]}" "${sockets[@]}"
  if [ "$RAID" = 1 ]; then
    echo
    echo "\$ $SHOW_RUN/mb n0 raid list"
    "$RUN/mb" n0 raid list || true
  fi
else
  python3 "$HERE/live_view.py" "${hints[@]}" "${view_args[@]}" "${sockets[@]}"
fi
