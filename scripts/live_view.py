#!/usr/bin/python3
"""The live view of `make run`: what every agent thinks of the mesh.

usage: live_view.py [--hint TEXT]... [--receiver CONTROL_URL] ADMIN_SOCKET...

One row per member with one letter per observing agent (A alive, S suspect,
D dead, L left, . not known to that agent, - that agent is down), then the
active bridge and its deliveries (when the agents have a bridge: the admin
command `bridge`), what the reference receiver got (--receiver, its control
URL), the RAID arrays (when the agents run the coordinator: the admin
commands `coordinator`, `raid_list` and `tasks`), then the latest
transitions, each on one line with the number of observers that agree,
then the commands to try (--hint).  Fits the terminal: no line is longer
than its width, the transitions shown are as many as its height leaves
room for.  Reads only the agents' admin sockets; Ctrl-C ends it.

MESHBEAT_VIEW_ONCE=1 prints one frame without cursor movement and exits.
"""
import json
import os
import shutil
import socket
import sys
import time
import urllib.request
from collections import Counter
from datetime import datetime

LETTERS = {"alive": "A", "suspect": "S", "dead": "D", "left": "L"}
COLOURS = {"alive": "32", "suspect": "33", "dead": "31", "left": "36",
           "none": "2"}
ARROW = "\u2192"


def call(path, request):
    """One request, one answer; None when the agent does not answer."""
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


class Line:
    """Text pieces, some coloured; fit() cuts it to a width in characters
    (escape codes take none)."""

    def __init__(self, *parts):
        self.parts = []
        for p in parts:
            self.add(p)

    def add(self, text, colour=None):
        self.parts.append((text, colour))
        return self

    def fit(self, width, colour_on):
        out, left = [], width
        for text, colour in self.parts:
            if left <= 0:
                break
            piece = text[:left]
            left -= len(piece)
            out.append(f"\033[{colour}m{piece}\033[0m"
                       if colour and colour_on else piece)
        return "".join(out)


def natural(name):
    digits = "".join(c for c in name if c.isdigit())
    return (name.rstrip("0123456789"), int(digits) if digits else -1, name)


class Transitions:
    """Every observer's events folded into one line per transition: the
    same member, from and to states and incarnation, whoever saw it."""

    def __init__(self):
        self.seq = {}      # admin socket -> last event seq read
        self.groups = {}   # (member, from, to, incarnation) -> group

    def read(self, path, observer):
        while True:
            evs = call(path, {"cmd": "events",
                              "since": self.seq.get(path, 0), "limit": 500})
            if not evs:
                return
            for e in evs:
                self.seq[path] = e["seq"]
                # Entering a view first-heard and restored are different
                # news; other reasons are one observer's angle on one
                # transition (a suspicion timed out here, was declared
                # there).
                key = (e["name"], e["from"], e["to"], e["incarnation"],
                       e["reason"] if e["from"] == "none" else "")
                g = self.groups.setdefault(
                    key, {"time": e["time"], "observers": set(),
                          "reasons": Counter()})
                g["time"] = min(g["time"], e["time"])
                g["observers"].add(observer)
                g["reasons"][e["reason"]] += 1
            if len(evs) < 500:
                return

    def latest(self, n, up):
        """The n latest transitions as Lines; `up` is the set of agents
        answering now, who could have seen one."""
        ordered = sorted(self.groups.items(), key=lambda kv: kv[1]["time"])
        lines = []
        for (member, frm, to, _inc, _why), g in ordered[-n:] if n > 0 else []:
            could = len((up - {member}) | g["observers"])
            reason = g["reasons"].most_common(1)[0][0]
            lines.append(Line(f"  {g['time'][11:19]}  {member:<5} ")
                         .add(frm, COLOURS.get(frm)).add(ARROW)
                         .add(f"{to:<8}", COLOURS.get(to))
                         .add(" " * max(0, 8 - len(frm)) +
                              f"{len(g['observers'])}/{could} observers"
                              f"  {reason}"))
        return lines


def human(n):
    for unit in ("B", "K", "M", "G", "T", "P"):
        if n < 1024:
            return f"{n:.0f}{unit}"
        n /= 1024
    return f"{n:.0f}E"


def member_rows(views, names):
    """One Line per member: its state in each observer's view, a letter
    under that observer's name."""
    col = max(len(n) for n in names) + 1
    members = sorted({m for v in views if v for m in v}, key=natural)
    rows = [Line(f"{'MEMBER':<7}" + "".join(f"{n:<{col}}" for n in names) +
                 f"{'INC':>4}  {'DOMAIN':<8}{'ADDRESS':<17}AVAILABLE")]
    for m in members:
        row = Line(f"{m:<7}")
        for v in views:
            st = None if v is None else v[m]["state"] if m in v else ""
            letter = "-" if st is None else LETTERS.get(st, "?") if st else "."
            row.add(letter, COLOURS.get(st)).add(" " * (col - 1))
        known = [v[m] for v in views if v and m in v]
        row.add(f"{max(k['incarnation'] for k in known):>4}  "
                f"{known[0].get('domain', ''):<8}{known[0]['addr']:<17}"
                f"{human(known[0]['available'])}")
        rows.append(row)
    return rows


def clock(rfc3339):
    """HH:MM:SS in local time, like the header's."""
    try:
        return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")) \
            .astimezone().strftime("%H:%M:%S")
    except (AttributeError, ValueError):
        return "?"


def destination(d):
    """One destination of `bridge`, short: ok and when, or what waits."""
    if d.get("outbox_depth"):
        age = d.get("oldest_age_s")
        text = f"{d['name']} {d['outbox_depth']} queued" + \
            (f" {age:.0f}s" if age is not None else "")
    elif d.get("last_success"):
        text = f"{d['name']} ok {clock(d['last_success'])}"
    else:
        text = f"{d['name']} idle"
    return text + (f" {d['parked']} parked" if d.get("parked") else "")


def bridge_lines(sockets, receiver):
    """The active bridge and its deliveries, as the active one tells them
    (admin `bridge`; nothing when the agents have no such command), and
    what the receiver got (nothing without --receiver)."""
    answers = [a for a in (call(p, {"cmd": "bridge"}) for p in sockets)
               if isinstance(a, dict)]
    lines = []
    if answers:
        mine = [a for a in answers if a.get("self_active")]
        a = (mine or answers)[0]
        view = a.get("view") or {}
        head = (f"bridge {a.get('active_name') or 'none'} "
                f"{view.get('live', 0)}/{view.get('total', 0)}")
        lines.append(Line(head + "  " + "  ".join(
            destination(d) for d in a.get("destinations", []))))
    if receiver:
        try:
            with urllib.request.urlopen(receiver + "/received",
                                        timeout=1) as r:
                got = json.load(r)
            refused = sum(n for kind in got["rejected"].values()
                          for n in kind.values())
            lines.append(Line(
                f"receiver {'open' if got['listening'] else 'CLOSED'}: "
                f"{got['views']['count']} views  "
                f"{got['flynas']['count']} flynas  "
                f"{got['events']['count']} events  "
                f"({got['events']['duplicates']} dup, {refused} refused)"))
        except (OSError, ValueError, KeyError):
            lines.append(Line("receiver: not answering"))
    return lines


RAID_COLOURS = {"healthy": "32", "degraded": "33", "rebuilding": "33",
                "failed": "31"}
RAID_ARRAYS_SHOWN = 2


def raid_source(sockets):
    """The admin socket of the agent that knows the arrays best, with its
    `coordinator` answer: the Raft leader, else a voter (its replica), else
    one that knows a leader (its publication); None when no agent runs the
    coordinator."""
    best = None
    for path in sockets:
        c = call(path, {"cmd": "coordinator"})
        if not isinstance(c, dict):
            continue
        if c.get("role") == "leader":
            return path, c
        rank = 2 if c.get("source") == "replica" else 1 if c.get("leader") \
            else 0
        if best is None or rank > best[0]:
            best = (rank, path, c)
    return best[1:] if best else None


def raid_lines(sockets):
    """One line per array (admin `raid_list`, `tasks`): its shape and
    state, the slots that are not up, its live tasks with their progress;
    the Raft leader and term on the first."""
    found = raid_source(sockets)
    arrays = call(found[0], {"cmd": "raid_list"}) if found else None
    if not arrays:
        return []
    tasks = call(found[0], {"cmd": "tasks"}) or []
    lines = []
    for a in arrays[:RAID_ARRAYS_SHOWN]:
        line = Line(f"raid {a['name']} {a['level']} {a['data']}+"
                    f"{a['parity']} ").add(a["state"],
                                            RAID_COLOURS.get(a["state"]))
        if not lines:
            c = found[1]
            line.add(f"  leader {c.get('leader') or 'none'} term "
                     f"{c.get('term', 0)}")
        for s in a["slots"]:
            if s["state"] != "up":
                line.add(f"  {s['device']} {s['state']}")
        for t in tasks:
            if t["array"] == a["name"] and t["state"] in ("queued",
                                                          "running"):
                pct = 100 * t["progress"] // max(t["bytes"], 1)
                line.add(f"  {t['kind']}{ARROW}{t['target']} {pct}%")
        lines.append(line)
    if len(arrays) > RAID_ARRAYS_SHOWN:
        lines.append(Line(f"  and {len(arrays) - RAID_ARRAYS_SHOWN} more "
                          "arrays (raid list)"))
    return lines


def frame(sockets, transitions, hints, once, receiver=None):
    width, height = shutil.get_terminal_size((80, 24))
    views, names, up = [], [], set()
    for i, path in enumerate(sockets):
        info = call(path, {"cmd": "info"})
        members = call(path, {"cmd": "members"}) if info else None
        name = info["name"] if info else f"n{i}"
        names.append(name)
        views.append({m["name"]: m for m in members}
                     if members is not None else None)
        if members is not None:
            up.add(name)
            transitions.read(path, name)
    top = [Line(f"meshbeat live view  {time.strftime('%H:%M:%S')}  "
                f"{len(up)} of {len(sockets)} agents up   "
                "Ctrl-C stops the mesh"),
           Line("A alive  S suspect  D dead  L left  . unknown to it  "
                "- agent down"),
           Line("")]
    top += member_rows(views, names)
    top += bridge_lines(sockets, receiver)
    top += raid_lines(sockets)
    top += [Line(""), Line("transitions (observers that agree):")]
    bottom = [Line("")] + [Line(h) for h in hints]
    room = height - 1 - len(top) - len(bottom)
    lines = top + transitions.latest(max(room, 1), up) + bottom
    colour = not once and sys.stdout.isatty() and "NO_COLOR" not in os.environ
    # One column short of the width: a line that fills it makes some
    # terminals wrap before the next one.
    text = [line.fit(width - 1, colour) for line in lines]
    if once:
        sys.stdout.write("\n".join(text) + "\n")
    else:
        sys.stdout.write("\033[H" + "\033[K\n".join(text) + "\033[K\033[J")
    sys.stdout.flush()


def main():
    args, hints, receiver = sys.argv[1:], [], None
    while len(args) >= 2 and args[0] in ("--hint", "--receiver"):
        if args[0] == "--hint":
            hints.append(args[1])
        else:
            receiver = args[1]
        args = args[2:]
    once = os.environ.get("MESHBEAT_VIEW_ONCE") == "1"
    transitions = Transitions()
    if not once:
        sys.stdout.write("\033[2J")
    while True:
        frame(args, transitions, hints, once, receiver)
        if once:
            return
        time.sleep(1)


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
