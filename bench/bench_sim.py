#!/usr/bin/python3
"""Protocol cost and simulator speed versus mesh size.

For each size N it writes a scenario (N nodes, 1 % loss, join through 3
seeds, a steady stretch, then the last node crashes), runs `meshbeat-sim`
on it, and prints one row: detection (first / all survivors), start
convergence, bytes and datagrams sent per node per second in the steady
stretch, the simulator's host seconds per simulated second over the whole
run and over the steady stretch only, and its peak RSS. Real Ed25519
unless the size is marked `s` (stand-in signatures, for sizes where Ed25519
would dominate).  A size marked `p` skips the join storm: every node starts
holding every other's record (`start all at 0s preload`, the path of an
agent restoring its stored view), and the crash comes 50 s later.

usage: bench_sim.py MESHBEAT_SIM [SIZE[s][p] ...]     default: 64 256 1000s
A final JSON line carries every figure for scripts.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

SCENARIO = """nodes {n}
seed 1
duration {duration}s
network latency 1ms jitter uniform 1ms
network loss 1%
start all at 0s stagger {stagger}ms join 3 seeds
at {crash}s crash node last
measure {m_from}s {m_to}s
"""


PRELOADED = """nodes {n}
seed 1
duration {duration}s
network latency 1ms jitter uniform 1ms
network loss 1%
start all at 0s preload
at {crash}s crash node last
measure {m_from}s {m_to}s
"""

STEADY_S = 30  # measured stretch, after joins have settled


def scenario_for(n, preload):
    if preload:
        crash = 20 + STEADY_S
        return PRELOADED.format(n=n, duration=crash + 20, crash=crash,
                                m_from=crash - 1 - STEADY_S, m_to=crash - 1)
    stagger = 10 if n <= 256 else 2
    start_span = n * stagger / 1000.0
    crash = int(start_span + 45 + STEADY_S)
    return SCENARIO.format(n=n, duration=crash + 20, stagger=stagger,
                           crash=crash, m_from=crash - 1 - STEADY_S,
                           m_to=crash - 1)


def run(sim, n, standin, preload):
    with tempfile.TemporaryDirectory() as tmp:
        scn = os.path.join(tmp, f"bench{n}.scn")
        rep = os.path.join(tmp, "report.json")
        with open(scn, "w") as f:
            f.write(scenario_for(n, preload))
        args = [sim, "run", scn, "--report", rep, "--quiet"]
        if standin:
            args.append("--standin-crypto")
        t0 = time.monotonic()
        child = subprocess.Popen(args, stdout=subprocess.DEVNULL)
        _, _, usage = os.wait4(child.pid, 0)  # this child's own peak RSS
        wall = time.monotonic() - t0
        rss_kb = usage.ru_maxrss
        with open(rep) as f:
            r = json.load(f)
    fail = r["failures"][0] if r["failures"] else {}
    conv = [c for c in r["convergence"] if c["event"] == "start"]
    return {
        "nodes": n, "crypto": r.get("crypto"),
        "start": "preload" if preload else "join",
        "first_detect_s": fail.get("first_detect"),
        "all_detect_s": fail.get("all_detect"),
        "converged_s": conv[0]["converged_after"] if conv else None,
        "bytes_per_node_s": r["bytes_per_node_per_s"]["mean"],
        "dgrams_per_node_s": r["datagrams_per_node_per_s"]["mean"],
        "false_deaths": r["false_deaths"],
        "wall_per_sim_s": wall / r["sim_seconds"],
        "steady_wall_per_sim_s": r["window"].get("wall_per_sim_s"),
        "peak_rss_mb": rss_kb / 1024.0,
    }


def fmt(v, spec):
    return "-" if v is None else format(v, spec)


def main():
    sim = sys.argv[1]
    sizes = sys.argv[2:] or ["64", "256", "1000s"]
    rows = []
    print(f"{'N':>6} {'crypto':>8} {'start':>7} {'1st det s':>9} {'all det s':>9} "
          f"{'conv s':>7} {'B/node/s':>9} {'dg/node/s':>9} {'false':>5} "
          f"{'wall/sim':>8} {'steady':>7} {'RSS MB':>7}")
    for size in sizes:
        preload = size.endswith("p")
        standin = size.rstrip("p").endswith("s")
        r = run(sim, int(size.rstrip("ps")), standin, preload)
        rows.append(r)
        print(f"{r['nodes']:>6} {r['crypto']:>8} {r['start']:>7} "
              f"{fmt(r['first_detect_s'], '9.2f')} "
              f"{fmt(r['all_detect_s'], '9.2f')} "
              f"{fmt(r['converged_s'], '7.2f')} "
              f"{r['bytes_per_node_s']:9.0f} {r['dgrams_per_node_s']:9.2f} "
              f"{r['false_deaths']:5d} {r['wall_per_sim_s']:8.3f} "
              f"{fmt(r['steady_wall_per_sim_s'], '7.3f')} "
              f"{r['peak_rss_mb']:7.0f}", flush=True)
    print(json.dumps({"bench": "sim", "rows": rows}))


if __name__ == "__main__":
    main()
