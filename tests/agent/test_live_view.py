#!/usr/bin/python3
"""`make run`'s live view (scripts/live_view.py) showing the bridge and the
reference receiver (ctest: live_view_bridge).

The agents here are admin sockets answering the documented JSON of `info`,
`members`, `events` and `bridge` (docs/admin-api.md; `bridge` as
docs/admin-api.md will give it), so the view is checked against the
contract before and after the agent has the command; the receiver is the
real one (tools/receiver).

- a `bridge` answer: one line with the active bridge (the member that says
  self_active), its view, and per destination ok and when, or what is
  queued and how old, parked deliveries;
- agents that answer `bridge` with unknown_command: no bridge line at all;
- agents that run the RAID coordinator (`coordinator`, `raid_list`,
  `tasks`): a line per array as the leader knows it, with the slots not up
  and the live tasks' progress; none when the commands are unknown;
- --receiver: a line of what the receiver got, CLOSED once it is closed,
  "not answering" when it is gone;
- every line within 80 columns, at most 24 lines.
"""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
VIEW = os.path.join(ROOT, "scripts", "live_view.py")
sys.path.insert(0, os.path.join(ROOT, "tools", "receiver"))
from receiver_client import ReceiverProcess  # noqa: E402

NAMES = [f"n{i}" for i in range(5)]
WIDTH, HEIGHT = 80, 24


class Failure(AssertionError):
    pass


def expect(cond, what, got=None):
    if not cond:
        raise Failure(what + ("" if got is None else f":\n{got}"))


def bridge_answer(self_active, depth):
    return {"enabled": True, "eligible": True, "active": "ab" * 32,
            "active_name": "n2", "self_active": self_active,
            "view": {"live": 4, "total": 5}, "offline_after_ms": 0,
            "episodes_open": 1,
            "destinations": [
                {"name": "view", "url": "https://127.0.0.1:1/v1/heartbeat",
                 "outbox_depth": 0, "parked": 0, "oldest_age_s": None,
                 "last_success": "2026-12-02T10:30:00.000Z",
                 "last_error": None, "last_error_at": None, "delivered": 9,
                 "retries": 0, "in_flight": False},
                {"name": "webhook", "url": "https://127.0.0.1:1/v1/events",
                 "outbox_depth": depth, "parked": 1, "oldest_age_s": 42.4,
                 "last_success": None,
                 "last_error": "Couldn't connect to server",
                 "last_error_at": "2026-12-02T10:31:00.000Z",
                 "delivered": 2, "retries": 5, "in_flight": True}]}


class FakeAgent:
    """An admin socket: one JSON request per line, one answer per line."""

    def __init__(self, path, name, bridge, raid=None):
        self.name, self.bridge, self.raid = name, bridge, raid or {}
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(path)
        self.sock.listen(16)
        threading.Thread(target=self.serve, daemon=True).start()

    def result(self, req):
        cmd = req.get("cmd")
        if cmd == "info":
            return {"name": self.name}
        if cmd == "members":
            return [{"name": n, "state": "alive", "incarnation": 1,
                     "domain": "rack-0", "addr": f"127.0.0.1:{7946 + i}",
                     "available": 1 << 30} for i, n in enumerate(NAMES)]
        if cmd == "events":
            return []
        if cmd == "bridge" and self.bridge is not None:
            return self.bridge
        return self.raid.get(cmd)

    def serve(self):
        while True:
            conn, _ = self.sock.accept()
            with conn:
                req = json.loads(conn.makefile().readline())
                result = self.result(req)
                answer = {"ok": True, "result": result} if result is not None \
                    else {"ok": False, "error": {"code": "unknown_command"}}
                conn.sendall((json.dumps(answer) + "\n").encode())


def frame(sockets, *extra):
    env = dict(os.environ, MESHBEAT_VIEW_ONCE="1", COLUMNS=str(WIDTH),
               LINES=str(HEIGHT))
    r = subprocess.run([sys.executable, VIEW, "--hint", "a hint", *extra,
                        *sockets], capture_output=True, text=True, env=env,
                       timeout=30)
    expect(r.returncode == 0, "live_view.py runs", r.stderr)
    lines = r.stdout.rstrip("\n").split("\n")
    wide = [l for l in lines if len(l) >= WIDTH]
    expect(not wide and len(lines) <= HEIGHT,
           f"within {WIDTH}x{HEIGHT}", r.stdout)
    return lines


def raid_answers(name):
    """n1 leads; n3's slot of demo is out, rebuilt on n4 (half done)."""
    slots = [{"slot": i, "device": n, "id": "cd" * 32, "domain": "rack-0",
              "state": "out" if n == "n3" else "up"}
             for i, n in enumerate(NAMES)]
    return {"coordinator": {"leader": "n1", "term": 4,
                            "role": "leader" if name == "n1" else "follower",
                            "source": "replica"},
            "raid_list": [{"name": "demo", "level": "raid6", "data": 3,
                           "parity": 2, "size": 3 << 30,
                           "slot_bytes": 1 << 30, "state": "rebuilding",
                           "index": 9, "slots": slots}],
            "tasks": [{"id": 7, "array": "demo", "slot": 3, "kind": "rebuild",
                       "target": "n4", "target_id": "ef" * 32,
                       "sources": ["n0", "n1", "n2"], "bytes": 1 << 30,
                       "progress": 1 << 29, "state": "running"},
                      {"id": 6, "array": "demo", "slot": 1, "kind": "resync",
                       "target": "n1", "target_id": "ab" * 32,
                       "sources": ["n0"], "bytes": 1 << 30,
                       "progress": 1 << 30, "state": "done"}]}


def agents(folder, bridges, raid=False):
    paths = []
    for name, bridge in zip(NAMES, bridges):
        path = os.path.join(folder, f"{name}.sock")
        FakeAgent(path, name, bridge, raid_answers(name) if raid else None)
        paths.append(path)
    return paths


def main():
    folder = tempfile.mkdtemp(prefix="meshbeat-live-view-")
    with_bridge = agents(os.path.join(folder), [
        bridge_answer(i == 2, 7 if i == 2 else 0) for i in range(5)])
    lines = frame(with_bridge)
    rows = [l for l in lines if l.startswith("bridge ")]
    expect(len(rows) == 1, "one bridge line", "\n".join(lines))
    when = datetime(2026, 12, 2, 10, 30, tzinfo=timezone.utc).astimezone() \
        .strftime("%H:%M:%S")
    want = f"bridge n2 4/5  view ok {when}  webhook 7 queued 42s 1 parked"
    expect(rows[0] == want, "the active bridge's own destinations",
           f"{rows[0]!r} != {want!r}")

    os.mkdir(os.path.join(folder, "old"))
    without = agents(os.path.join(folder, "old"), [None] * 5)
    lines = frame(without)
    expect(not any(l.startswith(("bridge", "receiver", "raid")) for l in
                   lines),
           "nothing extra when `bridge` and `raid_list` are unknown",
           "\n".join(lines))

    os.mkdir(os.path.join(folder, "raid"))
    lines = frame(agents(os.path.join(folder, "raid"), [None] * 5, raid=True))
    want = ("raid demo raid6 3+2 rebuilding  leader n1 term 4  n3 out  "
            "rebuild\u2192n4 50%")
    expect([l for l in lines if l.startswith("raid")] == [want],
           "the array from the leader: its slot out, its live task only",
           "\n".join(lines))

    with ReceiverProcess() as r:
        lines = frame(without, "--receiver", r.control_url)
        expect("receiver open: 0 views  0 flynas  0 events  (0 dup, "
               "0 refused)" in lines, "the receiver's line", "\n".join(lines))
        r.control("close")
        lines = frame(with_bridge, "--receiver", r.control_url)
        expect(any(l.startswith("receiver CLOSED") for l in lines) and
               any(l.startswith("bridge n2") for l in lines),
               "a closed receiver, with the bridge line", "\n".join(lines))
        url = r.control_url
    lines = frame(without, "--receiver", url)
    expect("receiver: not answering" in lines, "a receiver gone",
           "\n".join(lines))
    subprocess.run(["rm", "-rf", folder])
    print("live_view_bridge: PASS")


if __name__ == "__main__":
    try:
        main()
    except Failure as e:
        print(f"live_view_bridge: FAIL: {e}")
        sys.exit(1)
