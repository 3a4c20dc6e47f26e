#!/usr/bin/python3
"""RAID on six hosts: real agents, each in its own network namespace
(test_netns.py's network), in three failure domains, with three Raft
voters certified as coordinators, and the hook executor raid_hook.sh.

usage: test_raid_netns.py MESHBEAT
Needs root, `ip netns` and nft; otherwise it says why and exits 77.
MESHBEAT_KEEP=1 keeps logs, hook files and the namespaces' data.

One story, each step asserted as the operator's CLI (--json) shows it:
1. bootstrap: one leader; two arrays created from a coordinator that does
   not lead, each with its three slots in three domains;
2. a slot holder SIGKILLed: its slot down and the array degraded at once
   at every agent (the voters from their replicas, the others from the
   leader's publication); out only after the grace; then a rebuild onto the other device of the
   dead one's domain, whose hook is told exactly the task and nothing of
   the agent's own settings;
3. the leader SIGKILLed while that rebuild is under way (the hook holds it
   at half): a new leader, the same task completes on the same target
   (not started again anywhere), every array healthy;
4. a 3|3 partition (nft) that leaves one voter alone: its side elects no
   leader, commits nothing and starts no task, while the majority's side
   commits the other side out after the grace and reconstructs; after the
   heal every task any hook ever ran is one the majority committed.
"""
import os
import shutil
import signal
import sys
import time

from meshlib import MeshError, run_test
from raidmesh import RaidMesh
from test_netns import NetnsMesh, sh, skip

# One voter per domain (raidmesh.DOMAINS[i % 3]): n0 rack-a, n1 rack-b,
# n5 rack-c.  The partition {n0,n1,n2} | {n3,n4,n5} gives the left side
# two voters (a majority) and the right side one, each side one device of
# every domain (so neither side sees a whole domain down, and both would
# take the other out if they could).
VOTERS = ("n0", "n1", "n5")
LEFT, RIGHT = (0, 1, 2), (3, 4, 5)
GRACE_MS = 15000
# Long, so that a task the hook holds is neither moved for silence nor
# left without a lease (a lease lasts at most half of it): the
# leader-crash step shows that the same task completes.  Given through
# the environment, to check that the agent's MESHBEAT_* settings do not
# reach the hook.
STALL_MS = 300000
DETECT_S = 40
ELECT_S = 30
# The documented variables (docs/raid.md, "The executor's contract"): all
# of them, and nothing else of the agent's.
HOOK_VARS = {"MESHBEAT_TASK_ID", "MESHBEAT_TASK_KIND", "MESHBEAT_ARRAY",
             "MESHBEAT_ARRAY_LEVEL", "MESHBEAT_SLOT", "MESHBEAT_TASK_BYTES",
             "MESHBEAT_SOURCES", "MESHBEAT_TARGET", "MESHBEAT_EXECUTOR"}
ARRAYS = {"mirror": ("raid1", 1, 2, "1GiB", 1 << 30),
          "code": ("ec", 1, 2, "2GiB", 2 << 30)}


class RaidNetnsMesh(RaidMesh, NetnsMesh):
    VOTERS = VOTERS


def peer_of(mesh, name):
    """The other device of name's domain."""
    idx = mesh.agent_named(name).idx
    return next(a.name for a in mesh.agents
                if a.idx != idx and mesh.domain_of(a.idx) ==
                mesh.domain_of(idx))


def slot_of(array, device):
    return next(s for s in array["slots"] if s["device"] == device)


def bootstrap(mesh):
    mesh.start_all()
    mesh.wait(mesh.converged, "6 agents to converge", DETECT_S)
    leader = mesh.wait_leader("the voters to agree on a leader", ELECT_S)
    asker = mesh.agent_named(next(v for v in VOTERS if v != leader))
    for name, (level, k, m, size, _) in ARRAYS.items():
        rc, out, err = mesh.run_cli(asker, "raid", "create", name, "--level",
                                    level, "--data", str(k), "--parity",
                                    str(m), "--size", size)
        if rc != 0:
            raise MeshError(f"raid create {name} at {asker.name} (leader "
                            f"{leader}): exit {rc}: {err}{out}")
    # Answered once applied at the leader; the other voters apply it with
    # the leader's next message, the other devices from its publication.
    mesh.wait(lambda: all(set(mesh.arrays(a)) == set(ARRAYS)
                          for a in mesh.running()),
              "the arrays at every agent", ELECT_S)
    for a in mesh.running():
        source = mesh.coordinator(a)["source"]
        if source != ("replica" if a.name in VOTERS else "publication"):
            raise MeshError(f"{a.name} answers from its {source}")
    for name, arr in mesh.arrays(mesh.agent_named(leader)).items():
        level, k, m, _, size = ARRAYS[name]
        domains = {s["domain"] for s in arr["slots"]}
        if (arr["level"], arr["data"], arr["parity"], arr["size"]) != \
                (level, k, m, size) or len(domains) != 3 or \
                arr["state"] != "healthy":
            raise MeshError(f"array {name} is not as asked, healthy, over "
                            f"three domains: {arr}")
    print(f"leader {leader}; arrays created at {asker.name}: " +
          "; ".join(f"{n} on {[s['device'] for s in a['slots']]}"
                    for n, a in mesh.arrays(asker).items()))
    return leader


def choose_victim(mesh, leader):
    """A device that is no voter and holds a slot, whose domain's other
    device (the rebuild's target) is not the leader (step 3 kills that)."""
    for name, arr in sorted(mesh.arrays(mesh.agent_named(leader)).items()):
        for s in arr["slots"]:
            if s["device"] not in VOTERS and \
                    peer_of(mesh, s["device"]) != leader:
                return name, s["slot"], s["device"]
    raise MeshError("no slot holder to kill whose rebuild avoids the leader")


def kill_slot_holder(mesh, leader):
    array, slot, victim = choose_victim(mesh, leader)
    target = peer_of(mesh, victim)
    if mesh.hook_runs():
        raise MeshError(f"tasks ran before any failure: {mesh.hook_runs()}")
    t_kill = time.time()
    mesh.agent_named(victim).kill()

    def degraded_everywhere():
        for a in mesh.running():
            arr = mesh.arrays(a)[array]
            if arr["state"] != "degraded" or \
                    slot_of(arr, victim)["state"] != "down":
                return False
        return True
    mesh.wait(degraded_everywhere, f"{array} degraded, {victim}'s slot down,"
              " at every agent", DETECT_S)
    print(f"{array} degraded at every agent {time.time() - t_kill:.2f} s "
          f"after SIGKILL of {victim}")
    mesh.wait(lambda: mesh.hook_runs(), "a reconstruction to start",
              DETECT_S + GRACE_MS / 1000)
    runs = mesh.hook_runs()
    if len(runs) != 1:
        raise MeshError(f"one task expected, hooks ran {runs}")
    run = runs[0]
    arr = mesh.arrays(mesh.agent_named(leader))[array]
    holders = {s["device"] for s in arr["slots"] if s["state"] == "up"}
    want = {"MESHBEAT_TASK_KIND": "rebuild", "MESHBEAT_ARRAY": array,
            "MESHBEAT_ARRAY_LEVEL": ARRAYS[array][0],
            "MESHBEAT_SLOT": str(slot), "MESHBEAT_TARGET": target,
            "MESHBEAT_TASK_BYTES": str(ARRAYS[array][4] // ARRAYS[array][1]),
            "MESHBEAT_EXECUTOR": "hook"}
    got = {k: v for k, v in run.items() if k in want}
    sources = set(run.get("MESHBEAT_SOURCES", "").split())
    names = set(run) - {"at", "file"}
    if got != want or names != HOOK_VARS or \
            len(sources) != ARRAYS[array][1] or not sources <= holders:
        raise MeshError(f"the hook was asked {run}; expected {want}, "
                        f"{ARRAYS[array][1]} source(s) among {holders}, "
                        f"exactly the variables {sorted(HOOK_VARS)}")
    if run["at"] - t_kill < GRACE_MS / 1000:
        raise MeshError(f"rebuild started {run['at'] - t_kill:.2f} s after "
                        f"the death, before the {GRACE_MS} ms grace")
    print(f"rebuild {run['MESHBEAT_TASK_ID']} of {array}[{slot}] on {target}"
          f" ({mesh.domain_of(mesh.agent_named(target).idx)}, {victim}'s "
          f"domain) started {run['at'] - t_kill:.2f} s after the SIGKILL "
          f"(grace {GRACE_MS} ms)")
    task_id = int(run["MESHBEAT_TASK_ID"])
    half = int(want["MESHBEAT_TASK_BYTES"]) // 2

    def running_at_half():
        t = mesh.tasks(mesh.agent_named(leader)).get(task_id)
        return t is not None and t["state"] == "running" and \
            t["target"] == target and t["progress"] == half
    mesh.wait(running_at_half, f"task {task_id} running at half (the hook's"
              " progress through the heartbeat, committed)", DETECT_S)
    return victim, array, slot, target, task_id


def kill_leader_mid_task(mesh, leader, array, slot, target, task_id):
    old = mesh.agent_named(leader)
    term = mesh.coordinator(old)["term"]
    t_kill = time.time()
    old.kill()
    new = mesh.wait_leader("a new leader among the two voters left", ELECT_S,
                           min_term=term)
    print(f"leader {leader} SIGKILLed mid-task; {new} leads in term "
          f"{mesh.coordinator(mesh.agent_named(new))['term']} "
          f"{time.time() - t_kill:.2f} s later")
    old.start(join=[mesh.agent_named(new).idx])
    mesh.release_hooks()

    def completed():
        t = mesh.tasks(mesh.agent_named(new)).get(task_id)
        return t is not None and t["state"] == "done" and \
            slot_of(mesh.arrays(mesh.agent_named(new))[array],
                    target)["state"] == "up"
    mesh.wait(completed, f"task {task_id} done, {target} holding "
              f"{array}[{slot}]", DETECT_S)
    mesh.wait(lambda: all(x["state"] == "healthy" for a in mesh.running()
                          for x in mesh.arrays(a).values()),
              "every array healthy at every agent", DETECT_S + 30)
    again = [r for r in mesh.hook_runs() if r["MESHBEAT_ARRAY"] == array and
             r["MESHBEAT_SLOT"] == str(slot)]
    if len(again) != 1:
        raise MeshError(f"{array}[{slot}] was started more than once: "
                        f"{again}")
    print(f"task {task_id} completed across the leader's death; arrays "
          f"healthy everywhere")


def partition(mesh):
    """3|3 with one voter alone on the right."""
    left = [mesh.agents[i] for i in LEFT]
    right = [mesh.agents[i] for i in RIGHT]
    right_names = {a.name for a in right}
    lone = next(a for a in right if a.name in VOTERS)
    before = set(mesh.tasks(mesh.agent_named(
        mesh.wait_leader("a leader before the cut", ELECT_S))))
    for i in LEFT:
        mesh.cut_off(i, RIGHT)
    for i in RIGHT:
        mesh.cut_off(i, LEFT)
    t_cut = time.time()
    for side, other in ((left, right), (right, left)):
        for o in other:
            mesh.wait(lambda: mesh.all_see(o.name, "dead", observers=side),
                      f"{o.name} dead on the other side", DETECT_S)
    # Nothing reaches the lone voter any more: what it has committed now is
    # all it may ever commit until the heal.
    frozen = mesh.coordinator(lone)["commit_index"]
    print(f"partition seen on both sides {time.time() - t_cut:.2f} s after "
          f"the cut")
    voters_left = [a for a in left if a.name in VOTERS]
    leader = mesh.wait_leader("a leader on the majority's side", ELECT_S,
                              observers=voters_left)

    def majority_outs():
        ledger = mesh.ledger(mesh.agent_named(leader))
        return all(ledger[n]["state"] == "out" for n in right_names)
    mesh.wait(majority_outs, "the majority to commit the other side out",
              DETECT_S + GRACE_MS / 1000)

    def new_tasks():
        """Reconstructions the majority committed onto its own side (at
        least one array lost slots without failing: the two arrays hold
        six slots, the right side at most four)."""
        return [t for i, t in mesh.tasks(mesh.agent_named(leader)).items()
                if i not in before and t["target"] not in right_names]
    mesh.wait(new_tasks, "a reconstruction committed by the majority",
              DETECT_S)
    # Its target learns it (a voter from its replica, another device from
    # the publication) and runs it under the leader's lease.
    mesh.wait(lambda: {str(t["id"]) for t in new_tasks()} &
              {r["MESHBEAT_TASK_ID"] for r in mesh.hook_runs()},
              "the majority's reconstruction to start", DETECT_S)
    print(f"majority {leader}: {sorted(right_names)} out, then " +
          "; ".join(f"{t['kind']} {t['array']}[{t['slot']}] on "
                    f"{t['target']}" for t in new_tasks()) +
          f", {time.time() - t_cut:.2f} s after the cut")
    for a in right:
        st = mesh.coordinator(a)
        if st["role"] == "leader" or (a is lone and
                                      st["commit_index"] != frozen):
            raise MeshError(f"{a.name} acted without a majority: {st} "
                            f"(commit index {frozen} once cut off)")
    wrong = [r for r in mesh.hook_runs() if r["at"] > t_cut and
             r["MESHBEAT_TARGET"] in right_names]
    if wrong:
        raise MeshError(f"tasks started on the minority's side: {wrong}")
    for i in range(len(mesh.agents)):
        mesh.heal(i)
    t = time.time()
    mesh.wait(mesh.converged, "both sides to re-merge", 120)
    final = mesh.wait_leader("one leader after the heal", ELECT_S)
    print(f"re-merged {time.time() - t:.2f} s after the heal; leader {final}")
    committed = mesh.tasks(mesh.agent_named(final))
    for r in mesh.hook_runs():
        t = committed.get(int(r["MESHBEAT_TASK_ID"]))
        if t is None or (t["array"], str(t["slot"]), t["kind"]) != \
                (r["MESHBEAT_ARRAY"], r["MESHBEAT_SLOT"],
                 r["MESHBEAT_TASK_KIND"]):
            raise MeshError(f"a hook ran a task the majority never committed"
                            f": {r}; committed {t}")


def test_raid(mesh):
    mesh.raid_setup(GRACE_MS)
    leader = bootstrap(mesh)
    victim, array, slot, target, task = kill_slot_holder(mesh, leader)
    kill_leader_mid_task(mesh, leader, array, slot, target, task)
    mesh.agent_named(victim).start(join=[0])
    mesh.wait(mesh.converged, f"{victim} back in the mesh", DETECT_S)
    partition(mesh)
    print("hooks run: " + "; ".join(
        f"{r['MESHBEAT_TASK_ID']} {r['MESHBEAT_TASK_KIND']} "
        f"{r['MESHBEAT_ARRAY']}[{r['MESHBEAT_SLOT']}] on "
        f"{r['MESHBEAT_TARGET']}" for r in mesh.hook_runs()))


def main():
    meshbeat = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        skip("network namespaces need root")
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            skip(f"{tool} is not installed (scripts/install-deps.sh adds it)")
    probe = f"mbt-probe-{os.getpid()}"
    if sh("ip", "netns", "add", probe, check=False).returncode != 0:
        skip("cannot create network namespaces here (no CAP_SYS_ADMIN?)")
    sh("ip", "netns", "del", probe, check=False)
    os.environ["MESHBEAT_RAID_STALL_TIMEOUT_MS"] = str(STALL_MS)
    mesh = RaidNetnsMesh(meshbeat)
    run_test(mesh, test_raid, "raid_netns")


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    main()
