#!/usr/bin/env bash
# The main job of `make run`: a throwaway cluster authority certifies five
# agents, which start on loopback (ports 7946-7950) with their own data
# directories and admin sockets, and the live view shows what each of them
# thinks of the mesh.  Ctrl-C stops every agent gracefully.
#
# To watch detection: in another terminal,  kill -9 $(cat RUN/n3.pid)
# and to watch it rejoin (higher incarnation):  RUN/start n3
# (RUN is printed below; it is $BUILD/run-mesh.)
set -euo pipefail
BUILD=${1:-build}
N=${MESHBEAT_RUN_NODES:-5}
BASE_PORT=${MESHBEAT_RUN_PORT:-7946}
MB="$(cd "$BUILD" && pwd)/src/cli/meshbeat"
RUN="$(cd "$BUILD" && pwd)/run-mesh"

stop_all() {
  for pidfile in "$RUN"/n*.pid; do
    [ -f "$pidfile" ] && kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  echo
  echo "stopped; logs and data are in $RUN"
}

for pidfile in "$RUN"/n*.pid; do  # an earlier run left agents behind?
  [ -f "$pidfile" ] && kill -TERM "$(cat "$pidfile")" 2>/dev/null || true
done
rm -rf "$RUN"
mkdir -p "$RUN"
"$MB" keygen --out "$RUN/authority.key" >"$RUN/authority.id"
AUTH=$(cat "$RUN/authority.id")

# RUN/start NAME: (re)starts one agent in the background.
cat >"$RUN/start" <<EOF
#!/usr/bin/env bash
set -eu
name=\$1; idx=\${name#n}; dir="$RUN/\$name"
join=""; [ "\$idx" != 0 ] && join="--join 127.0.0.1:$BASE_PORT"
"$MB" agent --name "\$name" --bind 127.0.0.1:\$(($BASE_PORT + idx)) \\
  --data-dir "\$dir" --admin-socket "\$dir/admin.sock" --cluster demo \\
  --authority $AUTH --key "\$dir/node.key" --cert "\$dir/node.cert" \\
  --domain "rack-\$((idx % 3))" \$join >>"$RUN/\$name.log" 2>&1 &
echo \$! >"$RUN/\$name.pid"
EOF
chmod +x "$RUN/start"

sockets=()
for i in $(seq 0 $((N - 1))); do
  dir="$RUN/n$i"
  mkdir -m 700 "$dir"
  id=$("$MB" keygen --out "$dir/node.key")
  "$MB" cert issue --authority "$RUN/authority.key" --node-id "$id" \
    --name "n$i" --domain "rack-$((i % 3))" --ttl 1d --out "$dir/node.cert" \
    >/dev/null
  "$RUN/start" "n$i"
  sockets+=("$dir/admin.sock")
done
trap stop_all INT TERM EXIT

echo "$N agents starting in $RUN (authority $AUTH)"
echo "kill one:      kill -9 \$(cat $RUN/n3.pid)"
echo "restart it:    $RUN/start n3"
echo "query one:     $MB members --admin-socket $RUN/n0/admin.sock"
sleep 1
if [ -n "${MESHBEAT_RUN_SECONDS:-}" ]; then  # non-interactive: show and stop
  sleep "$MESHBEAT_RUN_SECONDS"
  MESHBEAT_VIEW_ONCE=1 python3 scripts/live_view.py "${sockets[@]}"
else
  python3 scripts/live_view.py "${sockets[@]}"
fi
