#!/usr/bin/python3
"""Translate meshbeat agents' JSON logs into the peer harness's node log
contract (see ../shared/peers/README.md, "Node log format").  Standard
library only.  ONE converter process serves every node of a run:

  to_peer_log.py --out RUNDIR --base-port P --n N --max-seconds S
                 [--sock-dir DIR] [--stats-every S]

It is started by run_cluster.sh before the first launch (it creates
RUNDIR/data/n<port>/log.fifo for every node and touches RUNDIR/data/ready
when they are all open); node.sh points each agent's stderr at its FIFO.
One long-lived process instead of one interpreter per node: on this VM a
python3 start-up costs ~0.2 s of CPU, and 64 of them at once would compete
with the agents during the join phase (and delay the stamps of a per-node
reader by up to seconds).

For each node it
  * appends every raw agent line to RUNDIR/data/n<port>/agent.log;
  * appends contract lines to RUNDIR/node<idx>.jsonl (the file the driver
    made the node's stdout; opened in append mode when the node's first log
    line arrives, i.e. after the driver created it), flushed per line:
      "agent n<port> started"              -> start
      first sighting of a member, alive    -> join   (suspect: join + suspect)
      to dead or left                      -> leave
      to suspect                           -> suspect
      refuted / rejoined / updated / alive -> update (with "state")
      its FIFO closed (agent exited)       -> exit
    every event line keeps the agent's fields (from, to, reason,
    incarnation) as extras;
  * with --stats-every, reads the agent's counters over its admin socket (a
    Unix socket: no loopback IP traffic) and logs `stats` lines:
    udp_tx_bytes = meshbeat_bytes_sent_total (UDP payload of the signed
    datagrams), udp_tx_pkts = meshbeat_datagrams_sent_total.
The wrapper sends nothing over the network.

Timestamps: "t" is the agent's own time of the line (its "time" field: the
log time, or for a membership event the event's time; wall clock, 1 ms
resolution) mapped onto CLOCK_MONOTONIC (the clock of the driver and of the
other harnesses' nodes) with the CLOCK_REALTIME - CLOCK_MONOTONIC offset
measured here when the line arrives, but never later than "t_recv", the
time.monotonic() at which this process received the line (an event cannot
have happened after its line arrived).  Both are kept: "t_agent" (mapped)
and "t_recv".  Why not simply t_recv (which would be acceptable): with one
busy reader for 64 agents on 2 vCPUs, lines arrived a median 20-130 ms and
up to 1.25 s after the event during the join phase (steady state: ~0.4 ms).
Why the clamp: the agent turns its loop time into wall time with an offset
taken once at start-up (src/agent/agent.c, started_ms/started_wall_ms); an
agent preempted between those two reads maps every event late by the
preemption (seen: one agent per run, 20-115 ms, during the launch storm).
A line whose time does not parse is stamped with t_recv.

  to_peer_log.py --restamp RUNDIR   applies the same clamp to a finished
  run's node*.jsonl written before the clamp existed (t = min(t, t_recv),
  the old t kept as t_agent; idempotent), for re-analysis.
"""
import argparse
import calendar
import json
import os
import select
import socket
import sys
import time


def mono_ms():
    return time.monotonic() * 1000.0


def wall_minus_mono_ms():
    best = None
    for _ in range(3):
        m0 = time.monotonic()
        w = time.time()
        m1 = time.monotonic()
        if best is None or (m1 - m0) < best[0]:
            best = (m1 - m0, w * 1000.0 - (m0 + m1) * 500.0)
    return best[1]


_sec_cache = {}


def parse_rfc3339_ms(s):
    # the agent writes 2026-11-22T21:16:23.431Z
    try:
        base, frac = s.rstrip("Z").split(".")
        secs = _sec_cache.get(base)
        if secs is None:
            secs = calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S"))
            _sec_cache[base] = secs
        return secs * 1000.0 + float("0." + frac) * 1000.0
    except (ValueError, AttributeError):
        return None


def admin_metrics(path, timeout=0.2):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    try:
        s.connect(path)
        s.sendall(b'{"cmd":"metrics"}\n')
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    resp = json.loads(buf)
    if not resp.get("ok"):
        return None
    vals = {}
    for line in resp["result"].splitlines():
        if line.startswith("#") or " " not in line:
            continue
        k, v = line.rsplit(" ", 1)
        try:
            vals[k] = float(v)
        except ValueError:
            pass
    return vals


class Node:
    def __init__(self, out, idx, port, sock_dir):
        self.name = f"n{port}"
        d = os.path.join(out, "data", self.name)
        self.fifo = os.path.join(d, "log.fifo")
        self.sock = os.path.join(sock_dir, self.name + ".sock")
        self.raw = open(os.path.join(d, "agent.log"), "ab")
        self.jsonl_path = os.path.join(out, "node%03d.jsonl" % idx)
        self.jsonl = None
        self.fd = None
        self.pending = b""
        self.seen = set()
        self.started = False
        self.done = False

    def emit(self, event, t, t_recv, **extra):
        if self.jsonl is None:
            self.jsonl = open(self.jsonl_path, "a")
        rec = {"t": round(t, 3), "node": self.name, "event": event}
        rec.update(extra)
        if t_recv is not None:
            rec["t_recv"] = round(t_recv, 3)
        self.jsonl.write(json.dumps(rec, separators=(",", ":")) + "\n")
        self.jsonl.flush()

    def line(self, raw, t_recv):
        self.raw.write(raw + b"\n")
        try:
            j = json.loads(raw)
        except ValueError:
            return
        if not isinstance(j, dict):
            return
        w = parse_rfc3339_ms(j.get("time"))
        t_agent = (w - wall_minus_mono_ms()) if w is not None else t_recv
        t = min(t_agent, t_recv)
        if j.get("msg") == f"agent {self.name} started":
            self.started = True
            self.emit("start", t, t_recv, t_agent=round(t_agent, 3))
            return
        name, to = j.get("name"), j.get("to")
        if not name or not to or "reason" not in j:
            return
        ex = {"peer": name, "from": j.get("from"), "to": to,
              "reason": j.get("reason"), "incarnation": j.get("incarnation"),
              "t_agent": round(t_agent, 3)}
        first = name not in self.seen
        self.seen.add(name)
        if to in ("dead", "left"):
            self.emit("leave", t, t_recv, **ex)
        elif first:
            self.emit("join", t, t_recv, state=to, **ex)
            if to == "suspect":
                self.emit("suspect", t, t_recv, **ex)
        elif to == "suspect":
            self.emit("suspect", t, t_recv, **ex)
        else:  # alive again or changed: refuted, rejoined, updated
            self.emit("update", t, t_recv, state=to, **ex)

    def close(self):
        if self.pending:
            self.line(self.pending, mono_ms())
            self.pending = b""
        self.raw.flush()
        if self.started:
            self.emit("exit", mono_ms(), None)
        self.done = True


def restamp(rundir):
    import glob
    for p in sorted(glob.glob(os.path.join(rundir, "node*.jsonl"))):
        out = []
        for line in open(p):
            e = json.loads(line)
            if "t_recv" in e:
                e.setdefault("t_agent", e["t"])
                e["t"] = round(min(e["t_agent"], e["t_recv"]), 3)
            out.append(json.dumps(e, separators=(",", ":")) + "\n")
        with open(p + ".tmp", "w") as f:
            f.writelines(out)
        os.replace(p + ".tmp", p)
    return 0


def drain(poll, by_fd, timeout_ms):
    """Reads whatever the agents' FIFOs hold, waiting at most timeout_ms."""
    for fd, ev in poll.poll(timeout_ms):
        nd = by_fd.get(fd)
        if nd is None:
            continue
        t_recv = mono_ms()
        try:
            chunk = os.read(fd, 65536)
        except BlockingIOError:
            continue
        if not chunk:  # the agent exited (or was killed)
            poll.unregister(fd)
            os.close(fd)
            del by_fd[fd]
            nd.close()
            continue
        nd.pending += chunk
        *lines, nd.pending = nd.pending.split(b"\n")
        for raw in lines:
            nd.line(raw, t_recv)
        nd.raw.flush()


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--restamp":
        return restamp(sys.argv[2])
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--base-port", type=int, required=True)
    ap.add_argument("--n", type=int, required=True)
    ap.add_argument("--max-seconds", type=float, required=True,
                    help="give up after this long (backstop)")
    ap.add_argument("--sock-dir", help="where the admin sockets are (default RUNDIR/data)")
    ap.add_argument("--stats-every", type=float, default=0.0)
    args = ap.parse_args()
    args.until_ms = mono_ms() + args.max_seconds * 1000.0

    sock_dir = args.sock_dir or os.path.join(args.out, "data")
    nodes = [Node(args.out, i, args.base_port + i, sock_dir) for i in range(args.n)]
    by_fd = {}
    poll = select.poll()
    for nd in nodes:
        if not os.path.exists(nd.fifo):
            os.mkfifo(nd.fifo, 0o600)
        # O_NONBLOCK: the open does not wait for the writer; poll() reports
        # POLLHUP only once a writer has come and gone (Linux pipe_poll)
        nd.fd = os.open(nd.fifo, os.O_RDONLY | os.O_NONBLOCK)
        by_fd[nd.fd] = nd
        poll.register(nd.fd, select.POLLIN | select.POLLHUP)
    open(os.path.join(args.out, "data", "ready"), "w").close()

    next_stats = None
    while by_fd and mono_ms() < args.until_ms:
        now = mono_ms()
        if args.stats_every > 0 and next_stats is None and any(n.started for n in nodes):
            next_stats = now + args.stats_every * 1000.0
        deadline = min(args.until_ms, next_stats or args.until_ms)
        drain(poll, by_fd, max(0, int(deadline - now) + 1))
        if next_stats is not None and mono_ms() >= next_stats:
            next_stats += args.stats_every * 1000.0
            for nd in nodes:
                if not nd.started or nd.done:
                    continue
                # the FIFOs first: an agent that blocks on a full one (an
                # agent built before its log had its own thread) cannot
                # answer, and waiting for it would stall every other agent
                drain(poll, by_fd, 0)
                try:
                    m = admin_metrics(nd.sock)
                except (OSError, ValueError):
                    m = None
                if m is not None:
                    nd.emit("stats", mono_ms(), None,
                            udp_tx_bytes=m.get("meshbeat_bytes_sent_total", 0),
                            udp_tx_pkts=m.get("meshbeat_datagrams_sent_total", 0),
                            tcp_tx_bytes=0,
                            members=m.get('meshbeat_members{state="alive"}', 0),
                            lag_count=m.get("meshbeat_loop_lag_seconds_count", 0),
                            lag_over_256ms=m.get("meshbeat_loop_lag_seconds_count", 0)
                            - m.get('meshbeat_loop_lag_seconds_bucket{le="0.256"}', 0),
                            lag_over_1s=m.get("meshbeat_loop_lag_seconds_count", 0)
                            - m.get('meshbeat_loop_lag_seconds_bucket{le="1.024"}', 0))
    for nd in list(by_fd.values()):
        print(f"{nd.name}: still open at the deadline", file=sys.stderr)
        nd.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
