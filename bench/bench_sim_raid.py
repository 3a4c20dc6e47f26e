#!/usr/bin/python3
"""Simulator speed with every node running its RAID coordinator.

For each size it writes a scenario: N devices in 3 failure domains (1 TiB
each), 3 voters, every node holding every other's record from the start
(`preload`, as an agent restoring its stored view), A arrays (raid5 2+1,
1 GiB) created one every 20 ms from 10 s on, 240 s for the arrays' published
records to reach everyone, a steady stretch of 30 s, then one slot holder
crashes for good: its slots are degraded at once, out after
down_out_interval (30 s) and rebuilt at 1 GiB/s.  It runs `meshbeat-sim`
on it and prints one row: the run's virtual seconds per host second, over
the whole run and over the steady stretch only (arrays created, nothing
failing), the bytes each node sent per second over that stretch, how
long after the first create the mesh's traffic came back under twice what
it was before (the published records spread) and the worst second's
bytes per node, the peak RSS, and what the coordinators committed (outs,
rebuilds, commands applied at every replica) with the history checker's
verdict.

usage: bench_sim_raid.py MESHBEAT_SIM [N:A[s] ...]    default: 1000:1000s
`s` runs that size with stand-in signatures (--standin-crypto).  A final
JSON line carries every figure for scripts.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

HEAD = """nodes {n}
seed 1
duration {duration}s
domains 3
network latency 1ms jitter uniform 1ms
raid voters 0-2
raid param down_out_interval 30s
raid executor rate 1GiB/s
capacity 1TiB
start all at 0s preload
measure {m_from}s {m_to}s
at {crash}s crash node {victim}
expect raid_history_ok
"""

CREATE_AT_S = 10
SETTLE_S = 240  # the arrays' published records spread (about 50 s for 300)
STEADY_S = 30  # measured stretch, after the creates have settled


def scenario(n, arrays):
    created = CREATE_AT_S + arrays * 0.02
    m_from = int(created) + SETTLE_S
    crash = m_from + STEADY_S + 1
    lines = [HEAD.format(n=n, duration=crash + 60, m_from=m_from,
                         m_to=m_from + STEADY_S, crash=crash,
                         victim=n - 1)]
    for k in range(arrays):
        at_ms = CREATE_AT_S * 1000 + 20 * k
        lines.append(f"at {at_ms}ms raid create a{k} level raid5 data 2 "
                     f"parity 1 size 1GiB\n")
    return "".join(lines)


def run(sim, n, arrays, standin):
    with tempfile.TemporaryDirectory() as tmp:
        scn = os.path.join(tmp, f"raid{n}_{arrays}.scn")
        rep = os.path.join(tmp, "report.json")
        with open(scn, "w") as f:
            f.write(scenario(n, arrays))
        args = [sim, "run", scn, "--report", rep, "--quiet"]
        if standin:
            args.append("--standin-crypto")
        t0 = time.monotonic()
        child = subprocess.Popen(args, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(child.pid, 0)  # this child's peak RSS
        wall = time.monotonic() - t0
        with open(rep) as f:
            r = json.load(f)
    raid = r.get("raid") or {}
    per_s = r["sent_per_second"]["bytes"]
    before = max(per_s[CREATE_AT_S - 2], 1)
    settled = next((t for t in range(CREATE_AT_S, len(per_s))
                    if all(b < 2 * before for b in per_s[t:t + 10])), None)
    committed = raid.get("committed", {})
    return {
        "nodes": n, "arrays": arrays, "crypto": r.get("crypto"),
        "sim_s": r["sim_seconds"], "wall_s": wall,
        "sim_per_wall": r["sim_seconds"] / wall,
        "steady_sim_per_wall": (1 / r["window"]["wall_per_sim_s"]
                                if r["window"].get("wall_per_sim_s") else None),
        "peak_rss_mb": usage.ru_maxrss / 1024.0,
        "steady_bytes_per_node_s": r["bytes_per_node_per_s"]["mean"],
        "settled_s": None if settled is None else settled - CREATE_AT_S,
        "burst_bytes_per_node_s": max(per_s[CREATE_AT_S:]) / n,
        "outs": committed.get("outs"), "rebuilds": committed.get("rebuilds"),
        "applied": raid.get("applied"),
        "violations": raid.get("violation_count"),
        "passed": os.waitstatus_to_exitcode(status) == 0,
    }


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def main():
    sim = sys.argv[1]
    sizes = sys.argv[2:] or ["1000:1000s"]
    rows = []
    print(f"{'N':>6} {'arrays':>6} {'crypto':>8} {'sim s':>6} {'wall s':>7} "
          f"{'sim/wall':>8} {'steady':>7} {'B/node/s':>8} {'settle s':>8} "
          f"{'peak B/node/s':>13} {'RSS MB':>7} "
          f"{'outs':>5} "
          f"{'rebuilds':>8} {'applied':>8} {'violations':>10}")
    for size in sizes:
        standin = size.endswith("s")
        n, arrays = (int(x) for x in size.rstrip("s").split(":"))
        r = run(sim, n, arrays, standin)
        rows.append(r)
        print(f"{r['nodes']:>6} {r['arrays']:>6} {r['crypto']:>8} "
              f"{r['sim_s']:6.0f} {r['wall_s']:7.1f} {r['sim_per_wall']:8.2f} "
              f"{fmt(r['steady_sim_per_wall'], '7.2f')} "
              f"{r['steady_bytes_per_node_s']:8.0f} "
              f"{fmt(r['settled_s'], '8d')} "
              f"{r['burst_bytes_per_node_s']:13.0f} "
              f"{r['peak_rss_mb']:7.0f} {fmt(r['outs'], '5d')} "
              f"{fmt(r['rebuilds'], '8d')} {fmt(r['applied'], '8d')} "
              f"{fmt(r['violations'], '10d')}", flush=True)
    print(json.dumps({"bench": "sim_raid", "rows": rows}))


if __name__ == "__main__":
    main()
