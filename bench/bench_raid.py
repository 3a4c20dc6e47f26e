#!/usr/bin/env python3
"""How fast the RAID coordinator acts on real agents: N agents on loopback
in three failure domains, three Raft voters (certificate role
coordinator), the hook executor tests/agent/raid_hook.sh with its release
file present (so every task completes at once).

usage: bench_raid.py MESHBEAT [N] [ROUNDS] [BASE_PORT] [GRACE_MS]

- Raft commit latency: `raid create` round trips (answered once the
  command is committed and applied), asked at the leader and at a voter
  that forwards to it, beside the round trip of a query that commits
  nothing (`coordinator`); through the CLI, as an operator waits, and on
  the admin socket, without the CLI's process start;
- a death: with two 3-way mirrors, each round SIGKILLs a device that
  holds a slot and does not lead (one that does not vote when it can),
  and measures from the kill until the leader's `raid list` shows its slot
  down (committed DEVICE_DOWN), until its ledger row is out (DEVICE_OUT,
  after the grace GRACE_MS) and until the first rebuild's hook starts
  (TASK_START committed, learnt by the target, its lease granted, its
  hook spawned); then
  restarts it and waits until every array is healthy again.
Medians and the worst are printed (docs/benchmarks.md, "RAID on real
agents").  The leader's answers are polled through the CLI every 20 ms, a
poll costing about 10 ms: read the death figures as +-30 ms.
"""
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "agent"))

from meshlib import Mesh, MeshError, admin_call  # noqa: E402
from raidmesh import RaidMesh  # noqa: E402

VOTERS = ("n0", "n1", "n2")
CREATES = 10
POLL_S = 0.02


class BenchMesh(RaidMesh, Mesh):
    VOTERS = VOTERS


def timed(fn):
    t = time.monotonic()
    fn()
    return time.monotonic() - t


def until(cond, what, timeout=120):
    """Seconds since the epoch at which cond() first held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return time.time()
        time.sleep(POLL_S)
    raise MeshError(f"timed out waiting for {what}")


def create(mesh, agent, name):
    rc, out, err = mesh.run_cli(agent, "raid", "create", name, "--level",
                                "raid1", "--data", "1", "--parity", "2",
                                "--size", "1GiB")
    if rc != 0:
        raise MeshError(f"raid create {name} at {agent.name}: {err}{out}")


def admin(agent, request):
    r = admin_call(agent.admin, request, timeout=30)
    if not r.get("ok"):
        raise MeshError(f"{request} at {agent.name}: {r}")


def admin_create(agent, name):
    """raid_create on the admin socket: answered once applied."""
    admin(agent, {"cmd": "raid_create", "name": name, "level": "raid1",
                  "data": 1, "parity": 2, "size": 1 << 20})


def commit_latency(mesh, leader):
    """Round trips in seconds: {what: [samples]}."""
    lead = mesh.agent_named(leader)
    follower = mesh.agent_named(next(v for v in VOTERS if v != leader))
    n = range(CREATES)
    return {
        "CLI coordinator (a query)":
            [timed(lambda: mesh.coordinator(lead)) for _ in n],
        "CLI raid create at the leader":
            [timed(lambda i=i: create(mesh, lead, f"l{i}")) for i in n],
        "CLI raid create at a follower":
            [timed(lambda i=i: create(mesh, follower, f"f{i}")) for i in n],
        "admin coordinator (a query)":
            [timed(lambda: admin_call(lead.admin, {"cmd": "coordinator"}))
             for _ in n],
        "admin raid_create at the leader":
            [timed(lambda i=i: admin_create(lead, f"al{i}")) for i in n],
        "admin raid_create at a follower":
            [timed(lambda i=i: admin_create(follower, f"af{i}")) for i in n],
        "admin raid_remove at the leader":
            [timed(lambda a=a: admin(lead, {"cmd": "raid_remove", "name": a}))
             for a in list(mesh.arrays(lead))],
    }


def holder_to_kill(mesh, leader):
    """A device holding a slot, not the leader; one that does not vote
    when there is one."""
    arrays = mesh.arrays(mesh.agent_named(leader)).values()
    held = {s["device"] for a in arrays for s in a["slots"]}
    return min((a for a in mesh.running()
                if a.name != leader and a.name in held),
               key=lambda a: (a.name in VOTERS, a.idx))


def death_round(mesh, leader):
    lead = mesh.agent_named(leader)
    victim = holder_to_kill(mesh, leader)
    before = {r["file"] for r in mesh.hook_runs()}
    t_kill = time.time()
    victim.kill()
    t_down = until(lambda: any(s["device"] == victim.name and
                               s["state"] != "up"
                               for a in mesh.arrays(lead).values()
                               for s in a["slots"]), "the slot down")
    t_out = until(lambda: mesh.ledger(lead)[victim.name]["state"] == "out",
                  "the device out")
    until(lambda: [r for r in mesh.hook_runs() if r["file"] not in before],
          "a rebuild to start")
    t_task = min(r["at"] for r in mesh.hook_runs()
                 if r["file"] not in before)
    victim.start(join=[lead.idx])
    until(lambda: all(a["state"] == "healthy"
                      for a in mesh.arrays(lead).values()),
          "every array healthy again", 300)
    return t_down - t_kill, t_out - t_kill, t_task - t_kill


def fmt(xs, digits=0):
    return (f"median {statistics.median(xs) * 1000:.{digits}f} ms, "
            f"worst {max(xs) * 1000:.{digits}f} ms")


def main():
    meshbeat = os.path.abspath(sys.argv[1])
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 6
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    base = int(sys.argv[4]) if len(sys.argv) > 4 else 37900
    grace = int(sys.argv[5]) if len(sys.argv) > 5 else 5000
    mesh = BenchMesh(n, meshbeat, base)
    try:
        mesh.raid_setup(grace)
        mesh.release_hooks()
        mesh.start_all()
        mesh.wait(mesh.converged, f"{n} agents to converge", 60)
        leader = mesh.wait_leader("a leader", 60)
        trips = commit_latency(mesh, leader)  # and removes what it made
        for name in ("m1", "m2"):
            create(mesh, mesh.agent_named(leader), name)
        deaths = [death_round(mesh, leader) for _ in range(rounds)]
    finally:
        mesh.cleanup(keep=os.environ.get("MESHBEAT_KEEP") == "1")
    print(f"{n} agents, 3 voters, grace {grace} ms, {rounds} deaths, "
          f"{CREATES} creates each way")
    for what, xs in trips.items():
        print(f"{what + ':':<40}{fmt(xs, 1)}")
    rows = [("SIGKILL -> slot down (committed)", [d[0] for d in deaths]),
            ("SIGKILL -> device out (committed)", [d[1] for d in deaths]),
            ("  down -> out, beyond the grace",
             [d[1] - d[0] - grace / 1000 for d in deaths]),
            ("SIGKILL -> rebuild's hook started", [d[2] for d in deaths]),
            ("  out -> hook started", [d[2] - d[1] for d in deaths])]
    for what, xs in rows:
        print(f"{what + ':':<40}{fmt(xs)}")

if __name__ == "__main__":
    main()
