#!/usr/bin/python3
"""CPU time and memory of a harness run's node processes (stdlib only).

  proc_sample.py ROOT_PID RUNDIR AT_S [AT_S...]
  proc_sample.py --leftovers RUNDIR     print the pids of RUNDIR/procs.json
                                        that still exist (same pid and start
                                        time), one per line

Waits until RUNDIR/node000.jsonl exists (the driver creates it when it
launches the seed, right after taking its t0), then at t0' + AT_S seconds
for each AT_S snapshots every live descendant of ROOT_PID (the `timeout`
around run_cluster.sh): pid, ppid, comm, utime+stime in seconds
(/proc/PID/stat, clock ticks), VmHWM and VmRSS in kB (/proc/PID/status),
and the node's port taken from its command line.  Writes RUNDIR/procs.json
after each snapshot.  Reads /proc only; stops early when ROOT_PID is gone.
"""
import json
import os
import sys
import time

TCK = os.sysconf("SC_CLK_TCK")


def stat(pid):
    with open(f"/proc/{pid}/stat") as f:
        s = f.read()
    comm = s[s.index("(") + 1:s.rindex(")")]
    rest = s[s.rindex(")") + 2:].split()
    # rest[0] = state (field 3); utime/stime are fields 14/15
    # start time (field 22) tells a process from a later one with its pid
    return comm, int(rest[1]), (int(rest[11]) + int(rest[12])) / TCK, int(rest[19])


def status_kb(pid):
    out = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmHWM", "VmRSS"):
                out[k] = int(v.split()[0])
    return out


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return [a.decode(errors="replace") for a in f.read().split(b"\0")]
    except OSError:
        return []


def port_of(argv):
    for i, a in enumerate(argv[:-1]):
        if a in ("--bind",):
            return int(argv[i + 1].rsplit(":", 1)[1])
        if a in ("-port", "--port"):
            return int(argv[i + 1])
    return None


def snapshot(root):
    kids = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            comm, ppid, cpu, start = stat(int(d))
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append((int(d), comm, cpu, start))
    procs, todo = [], [root]
    while todo:
        p = todo.pop()
        for pid, comm, cpu, start in kids.get(p, []):
            todo.append(pid)
            argv = cmdline(pid)
            try:
                st = status_kb(pid)
            except OSError:
                continue
            procs.append({"pid": pid, "ppid": p, "comm": comm, "cpu_s": cpu, "start_ticks": start,
                          "vmhwm_kb": st.get("VmHWM"), "vmrss_kb": st.get("VmRSS"),
                          "port": port_of(argv), "cmd": " ".join(argv)[:200]})
    return procs


def leftovers(rundir):
    try:
        snaps = json.load(open(os.path.join(rundir, "procs.json")))["snapshots"]
    except (OSError, ValueError, KeyError):
        return 0
    seen = {(p["pid"], p["start_ticks"]) for s in snaps for p in s["procs"]}
    for pid, start in sorted(seen):
        try:
            if stat(pid)[3] == start:
                print(pid)
        except (OSError, ValueError, IndexError):
            pass
    return 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--leftovers":
        return leftovers(argv[2])
    if len(argv) < 4:
        print(__doc__, file=sys.stderr)
        return 2
    root, rundir = int(argv[1]), argv[2]
    ats = sorted(float(a) for a in argv[3:])
    seed_log = os.path.join(rundir, "node000.jsonl")
    while not os.path.exists(seed_log):
        if not os.path.exists(f"/proc/{root}"):
            return 1
        time.sleep(0.02)
    t0 = time.monotonic()
    res = {"t0_mono_ms": round(t0 * 1000, 3), "clk_tck": TCK, "snapshots": []}
    for at in ats:
        d = t0 + at - time.monotonic()
        if d > 0:
            time.sleep(d)
        if not os.path.exists(f"/proc/{root}"):
            break
        t = time.monotonic()
        res["snapshots"].append({"at_s": at, "t_mono_ms": round(t * 1000, 3),
                                 "procs": snapshot(root)})
        with open(os.path.join(rundir, "procs.json"), "w") as f:
            json.dump(res, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
