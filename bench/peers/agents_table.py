#!/usr/bin/python3
"""Side-by-side median table of harness runs (stdlib only).

  agents_table.py RUNDIR...

Each RUNDIR holds a run of PEERS_DIR/common/cluster.sh (summary.json,
meta.json) and optionally procs.json (proc_sample.py) and pre.json
(bench_agents.sh: load average and idle loopback traffic before the run).
Groups by (impl, N), prints Markdown: the median table, ratios
meshbeat/memberlist, and the per-run values.

Medians as in common/analyze.py: a run that did not converge before the
kill, or in which not every survivor detected the victim, counts as +inf.
Per-agent CPU and memory are pooled over every node process of every run
of a group (the victim included; it is alive at the snapshots):
  CPU s        utime+stime at the snapshot taken ~1 s before the kill
  steady %core (CPU s at that snapshot - CPU s 30 s earlier) / elapsed
  peak RSS     VmHWM at the late snapshot, MiB
"late lo tx" is the loopback bytes/node/s over the last 25 s before the
kill (kill-25.2 .. kill-0.2 s; from net.tsv), for comparing rates away
from the join phase (the harness's window starts 1 s after convergence).
meshbeat's log converter (to_peer_log.py, one process per run serving all
N agents) is reported on its own line, as a whole (not per agent).
"""
import json
import os
import statistics
import sys

AGENT_COMMS = {"meshbeat", "mlnode", "tarantool"}
INF = float("inf")


def load(d):
    r = json.load(open(os.path.join(d, "summary.json")))
    for extra in ("procs.json", "pre.json"):
        p = os.path.join(d, extra)
        r["_" + extra.split(".")[0]] = json.load(open(p)) if os.path.exists(p) else None
    r["_dir"] = d
    r["_late_bytes"], r["_late_dgrams"] = late_rate(d, r)
    return r


def late_rate(d, r, span_s=25.0):
    """lo tx bytes and UDP datagrams per node per second, kill-span..kill-0.2 s."""
    try:
        kill_ms = float(open(os.path.join(d, "kill.txt")).read().split()[0])
        rows = [l.split() for l in open(os.path.join(d, "net.tsv"))]
    except (OSError, ValueError, IndexError):
        return None, None
    hdr = rows[0]
    rows = [dict(zip(hdr, map(float, x))) for x in rows[1:] if x and x[0] != "t"]
    win = [x for x in rows if kill_ms - 200 - span_s * 1000 <= x["t"] <= kill_ms - 200]
    if len(win) < 2:
        return None, None
    a, b = win[0], win[-1]
    dt = (b["t"] - a["t"]) / 1000
    n = r["n"]
    return (b["lo_tx_bytes"] - a["lo_tx_bytes"]) / n / dt, (b["udp_out"] - a["udp_out"]) / n / dt


def per_process(procs_json):
    """-> (agents, wrappers): lists of dicts cpu_s, pct_core, hwm_mib."""
    if not procs_json or not procs_json.get("snapshots"):
        return [], []
    snaps = procs_json["snapshots"]
    late = snaps[-1]
    early = snaps[0] if len(snaps) > 1 else None
    e_by_pid = {p["pid"]: p for p in early["procs"]} if early else {}
    dt = (late["t_mono_ms"] - early["t_mono_ms"]) / 1000 if early else None
    agents, wrappers = [], []
    for p in late["procs"]:
        if p["comm"] in AGENT_COMMS:
            dest = agents
        elif "to_peer_log.py" in p.get("cmd", ""):
            dest = wrappers
        else:
            continue
        e = e_by_pid.get(p["pid"])
        dest.append({"cpu_s": p["cpu_s"],
                     "pct_core": (100 * (p["cpu_s"] - e["cpu_s"]) / dt) if e and dt else None,
                     "hwm_mib": p["vmhwm_kb"] / 1024 if p.get("vmhwm_kb") else None})
    return agents, wrappers


def med(vals, none_is_inf=False):
    if none_is_inf:
        vals = [INF if v is None else v for v in vals]
    vals = [v for v in vals if v is not None]
    return statistics.median(vals) if vals else None


def f(v, nd=2):
    if v is None:
        return "-"
    if v == INF:
        return "inf"
    return f"{v:.{nd}f}"


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    runs = []
    for d in argv[1:]:
        if os.path.exists(os.path.join(d, "summary.json")):
            runs.append(load(d))
        else:
            print(f"<!-- skipped {d}: no summary.json -->")
    groups = {}
    for r in runs:
        groups.setdefault((r["n"], r["impl"]), []).append(r)
    order = {"memberlist": 0, "tarantool": 1, "meshbeat": 2}
    keys = sorted(groups, key=lambda k: (k[0], order.get(k[1], 9), k[1]))

    cell = {}
    out = ["| impl | N | runs | conv. s | conv. s after last start | first suspect s "
           "| first-detect s | all-detect s | false susp/dead | lo tx B/node/s "
           "| UDP dgrams/node/s | late lo tx B/node/s | late dgrams/node/s | app UDP B/node/s | join kB/node | CPU s/agent by kill "
           "| steady % of a core/agent | peak RSS MiB/agent |",
           "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for k in keys:
        n, impl = k
        rs = groups[k]
        ag, wr = [], []
        for r in rs:
            a, w = per_process(r["_procs"])
            ag += a
            wr += w
        c = {
            "conv": med([r.get("convergence_s") for r in rs], True),
            "conv_last": med([r.get("convergence_from_last_start_s") for r in rs], True),
            "fsus": med([r.get("first_suspect_s") for r in rs]),
            "fdet": med([r.get("first_detect_s") for r in rs]),
            "adet": med([r.get("all_detect_s") for r in rs], True),
            "bytes": med([r.get("lo_tx_bytes_per_node_s") for r in rs]),
            "dgrams": med([r.get("udp_out_dgrams_per_node_s") for r in rs]),
            "late": med([r["_late_bytes"] for r in rs]),
            "late_dg": med([r["_late_dgrams"] for r in rs]),
            "app": med([r.get("app_udp_tx_bytes_per_node_s") for r in rs]),
            "join": med([r.get("join_lo_tx_bytes_per_node") for r in rs]),
            "cpu": med([a["cpu_s"] for a in ag]),
            "pct": med([a["pct_core"] for a in ag]),
            "pct_max": max([a["pct_core"] for a in ag if a["pct_core"] is not None], default=None),
            "rss": med([a["hwm_mib"] for a in ag]),
            "rss_max": max([a["hwm_mib"] for a in ag if a["hwm_mib"] is not None], default=None),
        }
        cell[k] = c
        nconv = sum(1 for r in rs if r.get("convergence_s") is not None)
        ndet = sum(1 for r in rs if r.get("all_detect_s") is not None)
        fs = sum(r["false_suspect_events"] for r in rs)
        fd = sum(r["false_dead_events"] for r in rs)
        out.append(
            f"| {impl} | {n} | {len(rs)} | {f(c['conv'])}"
            f"{'' if nconv == len(rs) else f' ({nconv}/{len(rs)} by kill)'} | {f(c['conv_last'])} "
            f"| {f(c['fsus'])} | {f(c['fdet'])} | {f(c['adet'])}"
            f"{'' if ndet == len(rs) else f' ({ndet}/{len(rs)} complete)'} | {fs}/{fd} "
            f"| {f(c['bytes'], 0)} | {f(c['dgrams'], 2)} | {f(c['late'], 0)} | {f(c['late_dg'], 2)} "
            f"| {f(c['app'], 0)} "
            f"| {f(c['join'] / 1000 if c['join'] is not None else None, 1)} "
            f"| {f(c['cpu'])} | {f(c['pct'])} (max {f(c['pct_max'])}) "
            f"| {f(c['rss'], 1)} (max {f(c['rss_max'], 1)}) |")
        if wr:
            out.append(
                f"| ↳ {impl} log converter (to_peer_log.py, 1 process for all {n}) | {n} | | | | | | | | | | | | | "
                f"| {f(med([w['cpu_s'] for w in wr]))} | {f(med([w['pct_core'] for w in wr]))} "
                f"| {f(med([w['hwm_mib'] for w in wr]), 1)} |")
    print("\n".join(out))

    ratio_rows = []
    for n in sorted({k[0] for k in keys}):
        a, b = cell.get((n, "meshbeat")), cell.get((n, "memberlist"))
        if not a or not b:
            continue

        def q(x, y):
            if x is None or y in (None, 0) or INF in (x, y):
                return "-"
            return f"{x / y:.2f}"
        ratio_rows.append(f"| {n} | {q(a['adet'], b['adet'])} | {q(a['bytes'], b['bytes'])} "
                          f"| {q(a['dgrams'], b['dgrams'])} | {q(a['late'], b['late'])} "
                          f"| {q(a['late_dg'], b['late_dg'])} | {q(a['cpu'], b['cpu'])} "
                          f"| {q(a['pct'], b['pct'])} | {q(a['rss'], b['rss'])} |")
    if ratio_rows:
        print()
        print("| N | meshbeat/memberlist: all-detect | bytes/node/s | datagrams/node/s "
              "| late bytes/node/s | late datagrams/node/s | CPU s by kill | steady CPU | peak RSS |")
        print("|---|---|---|---|---|---|---|---|---|")
        print("\n".join(ratio_rows))

    print()
    print("| run | conv. s | after last start | first suspect | all-detect | detected | "
          "lo tx B/node/s | dgrams/node/s | late lo tx B/node/s | false susp/dead | rcvbuf drops | load1 before | idle lo B/s before |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for k in keys:
        for r in sorted(groups[k], key=lambda r: r["_dir"]):
            pre = r["_pre"] or {}
            conv = f(r.get("convergence_s")) if r.get("convergence_s") is not None else (
                f"not by kill (all learned {f(r.get('all_learned_s'))})")
            print(f"| {os.path.basename(r['_dir'].rstrip('/'))} | {conv} "
                  f"| {f(r.get('convergence_from_last_start_s'))} | {f(r.get('first_suspect_s'))} "
                  f"| {f(r.get('all_detect_s'))} | {r.get('detected_by')}/{r.get('survivors')} "
                  f"| {f(r.get('lo_tx_bytes_per_node_s'), 0)} | {f(r.get('udp_out_dgrams_per_node_s'))} "
                  f"| {f(r['_late_bytes'], 0)} | {r['false_suspect_events']}/{r['false_dead_events']} "
                  f"| {r.get('udp_rcvbuf_errors_run', '-')} | {pre.get('load1', '-')} "
                  f"| {pre.get('idle_lo_tx_bytes_per_s', '-')} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
