#!/usr/bin/python3
"""The RAID coordinator on real agents (ctest: agent_raid_*), as
docs/cli.md and docs/raid.md tell an operator to use it.

Six agents on loopback in three failure domains, an open mesh whose
coordinators are named by raid.coordinator_names: n0, n1, n2 (d0, d1, d2)
are the Raft voters, n3 (d0) a coordinator that does not vote, n4 (d1)
and n5 (d2) plain devices.  Every agent runs its tasks through a hook
executor that logs its MESHBEAT_* environment and reports progress.

  mesh:    errors first (not_coordinator from a plain device, naming the
           coordinators; invalid_level; usage errors exit 2); `raid create`
           at the coordinator that does not vote (forwarded to the leader),
           answered once applied; exists; every agent lists the array (a
           plain device from the leader's publication, its `coordinator`
           saying so); the list, tasks, ledger and coordinator --json
           shapes; a SIGKILLed slot holder makes the array degraded at
           every agent within seconds, then, after the short
           down_out_interval, a rebuild task runs on the only device of
           the domain the array lost, through the hook (its environment
           checked), and the array is healthy again everywhere; the events
           stream tells it in order, the metrics agree; a drained slot
           holder's slot moves off it, undrain ends the drain.
  single:  one voter (n0) and one plain device: a create is answered as
           soon as the lone voter applied it (it commits inside its own
           proposal), not as lost after the coordinator's patience.
  restart: the three voters SIGKILLed and started again come back with
           their Raft state from LMDB: the same array and a higher term
           (an empty store would bootstrap afresh, at term 1 and without
           it); a remove then still commits.

usage: test_raid.py MESHBEAT CASE BASE_PORT
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

from meshlib import Mesh, MeshError, run_test

CONVERGE_S = 40  # bounds, not sleeps: 2 cores shared, maybe under ASan
DOWN_OUT_MS = 4000
VOTERS = ["n0", "n1", "n2"]
COORDINATORS = VOTERS + ["n3"]
HOOK = """#!/bin/sh
env | grep '^MESHBEAT_' | sort > "{log}/task-$MESHBEAT_TASK_ID.env"
echo progress 0
echo progress $(($MESHBEAT_TASK_BYTES / 2))
echo progress $MESHBEAT_TASK_BYTES
"""


def cli(agent, *args):
    p = subprocess.run([agent.mesh.meshbeat, *args, "--admin-socket",
                        agent.admin], capture_output=True, text=True,
                       timeout=60)
    return p.returncode, p.stdout, p.stderr


def cli_json(agent, *args):
    rc, out, err = cli(agent, *args, "--json")
    if rc != 0:
        raise MeshError(f"{agent.name} {args}: exit {rc}: {err}")
    return json.loads(out)


def make_mesh(meshbeat, port):
    mesh = Mesh(6, meshbeat, port, authority=False)
    hook = os.path.join(mesh.root, "hook.sh")
    with open(hook, "w") as f:
        f.write(HOOK.format(log=mesh.root))
    os.chmod(hook, 0o755)
    for a in mesh.agents:
        a.extra = ["--domain", f"d{a.idx % 3}",
                   "--raid-voters", ",".join(VOTERS),
                   "--raid-coordinator-names", ",".join(COORDINATORS),
                   "--raid-down-out-interval-ms", str(DOWN_OUT_MS),
                   "--raid-executor", hook]
    return mesh


def leader_of(mesh):
    """The leader's name when every running voter agrees on one."""
    seen = set()
    for a in mesh.running():
        if a.name in VOTERS:
            seen.add(a.call("coordinator")["leader"])
    return seen.pop() if len(seen) == 1 and None not in seen else None


def start(mesh):
    mesh.start_all()
    mesh.wait(mesh.converged, "a converged view", CONVERGE_S)
    mesh.wait(lambda: leader_of(mesh), "one Raft leader", CONVERGE_S)
    # every device learns it (voters from Raft, the rest from publication)
    mesh.wait(lambda: all(a.call("coordinator")["leader"] == leader_of(mesh)
                          for a in mesh.running()),
              "the leader known everywhere", CONVERGE_S)
    # every device in the ledger: placement needs them
    mesh.wait(lambda: len(mesh.agents[0].call("ledger")) == 6,
              "six devices in the ledger", CONVERGE_S)


def array_at(agent, name):
    for arr in agent.call("raid_list"):
        if arr["name"] == name:
            return arr
    return None


def expect_refusals(mesh, follower):
    plain = mesh.agents[4]
    rc, out, err = cli(plain, "raid", "create", "a1", "--level", "raid1",
                       "--parity", "2", "--size", "1GiB")
    assert rc == 1 and "(not_coordinator)" in err, (rc, err)
    for name in COORDINATORS:  # the operator is told whom to ask
        assert name in err, err
    rc, out, err = cli(follower, "raid", "create", "a1", "--level", "raid5",
                       "--data", "1", "--size", "1GiB")
    assert rc == 1 and "(invalid_level)" in err, (rc, err)
    for bad in (["--level", "raid1", "--parity", "2", "--size", "1.5GiB"],
                ["--level", "raid1", "--parity", "2"],
                ["--level", "raid1", "--parity", "0", "--size", "1GiB"]):
        rc, out, err = cli(follower, "raid", "create", "a1", *bad)
        assert rc == 2, (bad, rc, err)
    rc, out, err = cli(follower, "raid", "show", "nosuch")
    assert rc == 1 and "(not_found)" in err, (rc, err)


def check_shapes(mesh, arr):
    assert set(arr) == {"name", "level", "data", "parity", "size",
                        "slot_bytes", "state", "index", "slots"}, arr
    assert (arr["level"], arr["data"], arr["parity"], arr["size"],
            arr["state"]) == ("raid1", 1, 2, 1 << 30, "healthy"), arr
    assert [s["slot"] for s in arr["slots"]] == [0, 1, 2], arr
    assert sorted(s["domain"] for s in arr["slots"]) == ["d0", "d1", "d2"]
    for s in arr["slots"]:
        assert set(s) == {"slot", "device", "id", "domain", "state"}, s
        assert len(s["id"]) == 64 and s["state"] == "up", s
    ledger = cli_json(mesh.agents[1], "ledger")
    assert len(ledger) == 6, ledger
    for d in ledger:
        assert set(d) == {"device", "id", "domain", "capacity", "available",
                          "allocated", "reserved", "state", "draining"}, d
    held = {s["device"] for s in arr["slots"]}
    for d in ledger:  # the ledger balances: each holder has a slot's bytes
        assert d["allocated"] == ((1 << 30) if d["device"] in held else 0), d
    c = cli_json(mesh.agents[1], "coordinator")
    assert set(c) >= {"leader", "leader_id", "term", "commit_index",
                      "applied_index", "role", "is_voter", "voters",
                      "source"}, c
    assert c["is_voter"] and c["source"] == "replica", c
    assert c["role"] in ("leader", "follower"), c
    assert sorted(v["name"] for v in c["voters"]) == VOTERS, c
    for v in c["voters"]:
        assert set(v) == {"name", "id", "domain", "alive"} and v["alive"], v


def create_array(mesh):
    leader = leader_of(mesh)
    follower = next(a for a in mesh.agents if a.name in VOTERS
                    and a.name != leader)
    standby = mesh.agents[3]  # a coordinator that does not vote
    expect_refusals(mesh, follower)
    t0 = time.monotonic()
    rc, out, err = cli(standby, "raid", "create", "a1", "--level", "raid1",
                       "--parity", "2", "--size", "1GiB", "--json")
    assert rc == 0, (rc, out, err)
    answer = json.loads(out)
    assert answer.get("name") == "a1", answer
    print(f"raid create through {standby.name} (no voter; leader {leader}) "
          f"answered in {time.monotonic() - t0:.3f} s")
    rc, out, err = cli(follower, "raid", "create", "a1", "--level", "raid1",
                       "--parity", "2", "--size", "1GiB")
    assert rc == 1 and "(exists)" in err, (rc, err)
    for a in mesh.agents:  # voters from their replica, the rest published
        mesh.wait(lambda: array_at(a, "a1") is not None,
                  f"a1 at {a.name}", CONVERGE_S)
    plain = mesh.agents[4]
    shown = cli_json(plain, "raid", "list")
    assert [x["name"] for x in shown] == ["a1"], shown
    c = cli_json(plain, "coordinator")
    assert (c["source"], c["is_voter"], c["role"], c["leader"]) == \
        ("publication", False, "none", leader), c
    arr = cli_json(follower, "raid", "show", "a1")
    assert arr.pop("tasks") == [], arr
    check_shapes(mesh, arr)
    return arr


class Follower:
    """Collects the "events" stream of one agent in a thread."""

    def __init__(self, agent):
        self.lines, self.sock = [], socket.socket(socket.AF_UNIX)
        self.sock.connect(agent.admin)
        self.sock.sendall(b'{"cmd":"events","follow":true}\n')
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buf = b""
        while True:
            try:
                chunk = self.sock.recv(65536)
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while b"\n" in buf:
                line, buf = buf.split(b"\n", 1)
                self.lines.append(json.loads(line))

    def raid(self):
        return [(d["reason"], d["name"], d["from"], d["to"])
                for d in (x.get("data") or {} for x in self.lines
                          if x.get("stream") == "events")
                if d.get("type") == "raid"]


def metric(agent, family, labels=""):
    m = re.search(rf"^{family}{re.escape(labels)} (\d+)$",
                  agent.call("metrics"), re.M)
    return int(m.group(1)) if m else None


def kill_and_rebuild(mesh, arr):
    # the d2 slot's holder dies; the other d2 device must take it
    lost = next(s for s in arr["slots"] if s["domain"] == "d2")
    victim = next(a for a in mesh.agents if a.name == lost["device"])
    heir = next(a for a in mesh.agents
                if a.idx % 3 == 2 and a is not victim)
    watcher = next(a for a in mesh.agents if a.name in VOTERS
                   and a is not victim)
    follower = Follower(watcher)
    victim.kill(signal.SIGKILL)
    voters = [a for a in mesh.running() if a.name in VOTERS]
    t0 = time.monotonic()
    for a in mesh.running():
        mesh.wait(lambda: array_at(a, "a1")["state"] != "healthy",
                  f"a1 degraded at {a.name}", CONVERGE_S)
    print(f"degraded at every agent {time.monotonic() - t0:.1f} s after the "
          f"SIGKILL of {victim.name}")
    for a in mesh.running():
        mesh.wait(lambda: array_at(a, "a1")["state"] == "healthy" and
                  victim.name not in
                  [s["device"] for s in array_at(a, "a1")["slots"]],
                  f"a1 rebuilt at {a.name}", CONVERGE_S + DOWN_OUT_MS / 1000)
    print(f"healthy again {time.monotonic() - t0:.1f} s after the SIGKILL")
    now = array_at(voters[0], "a1")
    slot = next(s for s in now["slots"] if s["slot"] == lost["slot"])
    assert slot["device"] == heir.name and slot["domain"] == "d2", now
    tasks = cli_json(voters[0], "tasks")
    rebuilds = [t for t in tasks if t["kind"] == "rebuild"]
    assert len(rebuilds) == 1, tasks
    t = rebuilds[0]
    assert set(t) == {"id", "array", "slot", "kind", "target", "target_id",
                      "sources", "bytes", "progress", "state"}, t
    assert (t["array"], t["slot"], t["target"], t["state"], t["progress"],
            t["bytes"]) == ("a1", lost["slot"], heir.name, "done",
                            1 << 30, 1 << 30), t
    env = open(os.path.join(mesh.root, f"task-{t['id']}.env")).read()
    want = {"MESHBEAT_TASK_ID": str(t["id"]), "MESHBEAT_TASK_KIND": "rebuild",
            "MESHBEAT_ARRAY": "a1", "MESHBEAT_ARRAY_LEVEL": "raid1",
            "MESHBEAT_SLOT": str(lost["slot"]),
            "MESHBEAT_TASK_BYTES": str(1 << 30),
            "MESHBEAT_TARGET": heir.name, "MESHBEAT_EXECUTOR": "hook"}
    got = dict(line.split("=", 1) for line in env.splitlines())
    sources = got.pop("MESHBEAT_SOURCES").split()
    assert got == want, (got, want)
    assert len(sources) == 1 and sources[0] in \
        [s["device"] for s in arr["slots"] if s is not lost], sources
    # the events stream told the story, in order
    mesh.wait(lambda: ("array_healthy", "a1", "rebuilding", "healthy") in
              follower.raid(), f"array_healthy on {watcher.name}'s stream",
              CONVERGE_S)
    story = [e for e in follower.raid() if e[1] == "a1"]
    assert story[0] == ("array_degraded", "a1", "healthy", "degraded"), story
    kinds = [e[0] for e in story]
    assert kinds.index("task_started") < kinds.index("task_done") < \
        kinds.index("array_healthy"), story
    assert ("task_started", "a1", "none", "queued") in story, story
    assert [e[3] for e in story if e[0] == "task_done"] == ["done"], story
    # and the metrics say where things stand
    assert metric(watcher, "meshbeat_raid_arrays", '{state="healthy"}') == 1
    assert metric(watcher, "meshbeat_raid_tasks",
                  '{kind="rebuild",state="done"}') == 1
    assert sum(metric(a, "meshbeat_raft_leader") for a in voters) == 1
    assert metric(heir, "meshbeat_raid_executor_tasks_total",
                  '{result="done"}') == 1
    return victim


def drain_one(mesh):
    """A drained slot holder's slot moves to another device (a move task
    through the hook); undrain ends it."""
    c = mesh.agents[1]
    arr = array_at(c, "a1")
    holder = arr["slots"][0]["device"]
    rc, out, err = cli(c, "raid", "drain", holder)
    assert rc == 0 and "applied" in out, (rc, out, err)
    rc, out, err = cli(c, "raid", "drain", holder)
    assert rc == 1 and "(invalid_state)" in err, (rc, err)
    mesh.wait(lambda: holder not in [s["device"] for s in
                                     array_at(c, "a1")["slots"]] and
              array_at(c, "a1")["state"] == "healthy",
              f"a1's slot off {holder}", CONVERGE_S)
    moves = [t for t in cli_json(c, "tasks") if t["kind"] == "move"]
    assert [t["state"] for t in moves] == ["done"], moves
    row = next(d for d in cli_json(c, "ledger") if d["device"] == holder)
    assert row["draining"] and row["allocated"] == 0, row
    rc, out, err = cli(c, "raid", "undrain", holder)
    assert rc == 0, (rc, out, err)
    mesh.wait(lambda: not next(d for d in c.call("ledger")
                               if d["device"] == holder)["draining"],
              f"{holder} undrained", CONVERGE_S)


def test_mesh(mesh):
    start(mesh)
    arr = create_array(mesh)
    kill_and_rebuild(mesh, arr)
    drain_one(mesh)


def test_restart(mesh):
    start(mesh)
    leader = mesh.agents[[a.name for a in mesh.agents].index(leader_of(mesh))]
    rc, out, err = cli(leader, "raid", "create", "keep", "--level", "ec",
                       "--data", "2", "--parity", "1", "--size", "3MiB")
    assert rc == 0, (rc, err)
    before = {a.name: a.call("coordinator") for a in mesh.agents[:3]}
    for a in mesh.agents[:3]:
        mesh.wait(lambda: array_at(a, "keep") is not None,
                  f"keep at {a.name}", CONVERGE_S)
    for a in mesh.agents[:3]:
        a.kill(signal.SIGKILL)
    for a in mesh.agents[:3]:
        a.start(join=[3])
    mesh.wait(lambda: leader_of(mesh), "a leader after the restart",
              CONVERGE_S)
    for a in mesh.agents[:3]:
        mesh.wait(lambda: array_at(a, "keep") is not None,
                  f"keep at {a.name} after its restart", CONVERGE_S)
        c = a.call("coordinator")
        # an empty store would bootstrap afresh: term 1, no array
        assert c["is_voter"] and c["term"] > before[a.name]["term"], \
            (before[a.name], c)
    leader = mesh.agents[[a.name for a in mesh.agents].index(leader_of(mesh))]
    rc, out, err = cli(leader, "raid", "remove", "keep")
    assert rc == 0 and "applied" in out, (rc, out, err)
    for a in mesh.agents[:3]:
        mesh.wait(lambda: array_at(a, "keep") is None,
                  f"keep removed at {a.name}", CONVERGE_S)


def test_single(mesh):
    """One voter: it commits alone, inside its own proposal; a request
    must be answered as soon as it is applied, not after the patience
    (8 s) as lost."""
    for a in mesh.agents[:2]:
        a.extra[a.extra.index("--raid-voters") + 1] = "n0"
    mesh.agents[0].start()
    mesh.agents[1].start(join=[0])
    n0 = mesh.agents[0]
    mesh.wait(lambda: len(n0.call("ledger")) == 2, "two devices in the "
              "ledger", CONVERGE_S)
    t0 = time.monotonic()
    rc, out, err = cli(n0, "raid", "create", "solo", "--level", "raid1",
                       "--parity", "1", "--size", "1MiB", "--json")
    took = time.monotonic() - t0
    assert rc == 0 and json.loads(out)["name"] == "solo", (rc, out, err)
    assert took < 2, f"answered after {took:.1f} s"
    print(f"raid create on a lone voter answered in {took:.3f} s")


CASES = {"mesh": test_mesh, "restart": test_restart, "single": test_single}


def main():
    meshbeat, case, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    run_test(make_mesh(meshbeat, port), CASES[case], f"agent_raid_{case}")


if __name__ == "__main__":
    main()
