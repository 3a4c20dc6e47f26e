#!/usr/bin/python3
"""The live view of `make run`: every agent's view of the mesh, refreshed.

usage: live_view.py ADMIN_SOCKET...

One row per member, one column per agent (what that agent thinks of the
member), then the latest membership events as the agents logged them.
Reads only the agents' admin sockets; Ctrl-C ends it.
"""
import json
import os
import socket
import sys
import time

COLOURS = {"alive": "\033[32m", "suspect": "\033[33m", "dead": "\033[31m",
           "left": "\033[36m"}
RESET = "\033[0m"


def call(path, request):
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(1.0)
            s.connect(path)
            s.sendall((json.dumps(request) + "\n").encode())
            buf = b""
            while not buf.endswith(b"\n"):
                chunk = s.recv(1 << 20)
                if not chunk:
                    return None
                buf += chunk
        r = json.loads(buf)
        return r["result"] if r.get("ok") else None
    except (OSError, ValueError):
        return None


def paint(state, width):
    text = state.ljust(width)
    return COLOURS.get(state, "") + text + RESET if state in COLOURS else text


def human(n):
    for unit in ("B", "K", "M", "G", "T", "P"):
        if n < 1024:
            return f"{n:.0f}{unit}"
        n /= 1024
    return f"{n:.0f}E"


def frame(sockets, events):
    views, names = [], []
    for path in sockets:
        info = call(path, {"cmd": "info"})
        members = call(path, {"cmd": "members"}) if info else None
        views.append({m["name"]: m for m in members or []})
        names.append(info["name"] if info else "(down)")
        if info:
            for e in call(path, {"cmd": "events", "since": events["seq"].get(
                    path, 0), "limit": 50}) or []:
                events["seq"][path] = e["seq"]
                events["lines"].append((e["time"], info["name"], e))
    members = sorted({n for v in views for n in v})
    out = ["\033[H\033[2J", f"meshbeat live view  {time.strftime('%H:%M:%S')}"
           "   (Ctrl-C stops the mesh)\n\n"]
    out.append("member     capacity  available  incarnation   " +
               "".join(f"{'seen by ' + n:<16}" for n in names) + "\n")
    for m in members:
        any_view = next(v[m] for v in views if m in v)
        row = (f"{m:<10} {human(any_view['capacity']):>8}  "
               f"{human(any_view['available']):>9}  "
               f"{max(v[m]['incarnation'] for v in views if m in v):>11}   ")
        row += "".join(paint(v[m]["state"], 16) if m in v else
                       paint("-", 16) for v in views)
        out.append(row + "\n")
    out.append("\nlatest events (observer: member from -> to, reason)\n")
    events["lines"].sort(key=lambda x: x[0])
    del events["lines"][:-12]
    for when, who, e in events["lines"]:
        was = "new" if e["reason"] == "joined" else e["from"]
        out.append(f"  {when[11:23]}  {who:<6} {e['name']:<8} {was:>7}"
                   f" -> {paint(e['to'], 8)} {e['reason']}\n")
    sys.stdout.write("".join(out))
    sys.stdout.flush()


def main():
    sockets = sys.argv[1:]
    events = {"seq": {}, "lines": []}
    once = os.environ.get("MESHBEAT_VIEW_ONCE") == "1"
    while True:
        frame(sockets, events)
        if once:
            return
        time.sleep(1)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
