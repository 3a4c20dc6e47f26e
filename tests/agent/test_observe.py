#!/usr/bin/python3
"""What an operator sees of real agents: events, logs, health and `meshbeat
join` telling the truth (ctest: observe_*).

usage: test_observe.py MESHBEAT TEST BASE_PORT
TEST: restored_events | join_truth | refusals
Set MESHBEAT_KEEP=1 to keep the agents' logs and data directories.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time

from meshlib import Mesh, MeshError, run_test

DETECT_S = 30


def log_lines(mesh, agent):
    """The agent's log (it runs with --log-format json) as dicts."""
    out = []
    with open(os.path.join(mesh.root, f"{agent.name}.log"), "rb") as f:
        for raw in f:
            try:
                out.append(json.loads(raw))
            except ValueError:
                pass
    return out


def wait_log(mesh, agent, pred, what, timeout=DETECT_S):
    found = []

    def seen():
        found[:] = [l for l in log_lines(mesh, agent) if pred(l)]
        return bool(found)
    mesh.wait(seen, what, timeout)
    return found


def test_restored_events(mesh):
    """A restarted agent puts its stored members back as `restored`, from
    `none`: no fake dead->alive join per stored member."""
    mesh.start_all()
    mesh.wait(mesh.converged, "3 agents to converge", DETECT_S)
    n2 = mesh.agents[2]
    first = n2.call("events", limit=1000)
    joins = [e for e in first if e["reason"] == "joined"]
    if {e["name"] for e in joins} != {"n0", "n1"} or \
            any(e["from"] != "none" for e in joins):
        raise MeshError(f"first-heard members should be none->alive joined: "
                        f"{first}")
    last_seq = max(e["seq"] for e in first)
    n2.kill(signal.SIGKILL)
    n2.start(join=())
    mesh.wait(lambda: mesh.all_see("n2", "alive"), "n2 back everywhere",
              DETECT_S)
    after = [e for e in n2.call("events", since=last_seq, limit=1000)
             if e["name"] in ("n0", "n1")]
    restored = {e["name"] for e in after if e["reason"] == "restored"}
    if restored != {"n0", "n1"}:
        raise MeshError(f"expected n0 and n1 restored, events: {after}")
    fake = [e for e in after if e["reason"] == "joined" or
            (e["from"] == "dead" and e["to"] == "alive")]
    if fake:
        raise MeshError(f"a restart logged joins or dead->alive: {fake}")
    if any(e["from"] != "none" for e in after if e["reason"] == "restored"):
        raise MeshError(f"restored events should come from none: {after}")
    # The CLI shows the same.
    out = subprocess.run([mesh.meshbeat, "events", "--admin-socket", n2.admin,
                          "--since", str(last_seq)], check=True,
                         capture_output=True, text=True).stdout
    if not any("none→alive" in l and "restored" in l
               for l in out.splitlines()):
        raise MeshError(f"meshbeat events does not show none→alive "
                        f"restored:\n{out}")
    if "dead→alive" in out:
        raise MeshError(f"meshbeat events shows dead→alive:\n{out}")
    # And the log.
    msgs = [l["msg"] for l in log_lines(mesh, n2)
            if l.get("msg", "").startswith("member n0") or
            l.get("msg", "").startswith("member n1")]
    if not any("none -> alive (restored)" in m for m in msgs) or \
            any("dead -> alive" in m for m in msgs):
        raise MeshError(f"log lines about members: {msgs}")


def join_cli(mesh, agent, *args):
    return subprocess.run([mesh.meshbeat, "join", "--admin-socket",
                           agent.admin, *args], capture_output=True, text=True)


def test_join_truth(mesh):
    """A join nobody answers is logged (debug), makes `health` degraded and
    `meshbeat join` fail; one that is answered says through whom."""
    nobody = f"127.0.0.1:{mesh.base_port + 10}"  # nothing listens there
    n0, n1 = mesh.agents
    n0.start()
    n0.call("join", addrs=[nobody])
    wait_log(mesh, n0, lambda l: l["level"] == "debug" and
             l["msg"] == f"join request 1 of at most 30 sent to {nobody}",
             "the debug line of the first join request")
    wait_log(mesh, n0, lambda l: l["level"] == "debug" and
             l["msg"].startswith("no answer from any seed after round 1 "
                                 f"(tried {nobody}); backing off"),
             "the debug line of an unanswered round")
    mesh.wait(lambda: n0.call("health")["status"] == "degraded",
              "health degraded by the unanswered join", DETECT_S)
    check = n0.call("health")["checks"]["join"]
    if not check["message"].startswith(f"no seed answered (tried {nobody}) "
                                       "for "):
        raise MeshError(f"join check: {check}")
    r = join_cli(mesh, n0, "--wait", "2", nobody)
    if r.returncode != 1 or \
            f"no answer from {nobody} within 2 s" not in r.stderr:
        raise MeshError(f"join to nowhere: rc {r.returncode}, {r.stdout!r} "
                        f"{r.stderr!r}")
    n1.start()
    seed = f"127.0.0.1:{mesh.port_of(1)}"
    r = join_cli(mesh, n0, nobody, seed)
    if r.returncode != 0 or r.stdout != f"Joined through {seed}.\n":
        raise MeshError(f"join: rc {r.returncode}, {r.stdout!r} {r.stderr!r}")
    wait_log(mesh, n0, lambda l: l["msg"] == f"join answered by {seed}",
             "the debug line of the answer")
    if n0.call("health")["status"] != "ok":
        raise MeshError(f"health after the join: {n0.call('health')}")
    r = join_cli(mesh, n0, "--json", seed)
    status = json.loads(r.stdout)
    if r.returncode != 0 or status["seeds"][0]["addr"] != seed or \
            status["seeds"][0]["answers"] < 1:
        raise MeshError(f"join --json: rc {r.returncode}, {r.stdout}")


def refusal_lines(mesh, agent):
    return [l for l in log_lines(mesh, agent)
            if l.get("msg", "").startswith("refused ")]


def test_refusals(mesh):
    """Refused datagrams are logged at debug level by reason, with their
    count, at most one line per reason every 10 s."""
    n0 = mesh.agents[0]
    n0.start()
    target = ("127.0.0.1", mesh.port_of(0))
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b"not a meshbeat datagram", target)
        first = wait_log(mesh, n0, lambda l: l.get("reason") == "malformed",
                         "a line about the malformed datagram")
        if first[0]["count"] != 1 or not first[0]["msg"].startswith(
                "refused 1 datagram: malformed ("):
            raise MeshError(f"first refusal line: {first}")
        for _ in range(20):
            s.sendto(b"more garbage", target)
        second = wait_log(mesh, n0, lambda l: l.get("reason") == "malformed"
                          and l["count"] == 20, "the 20 later ones, counted",
                          timeout=20)
    lines = [l for l in refusal_lines(mesh, n0)
             if l.get("reason") == "malformed"]
    if len(lines) != 2:
        raise MeshError(f"expected two lines, one per 10 s: {lines}")
    t0 = time.mktime(time.strptime(first[0]["time"][:19], "%Y-%m-%dT%H:%M:%S"))
    t1 = time.mktime(time.strptime(second[0]["time"][:19],
                                   "%Y-%m-%dT%H:%M:%S"))
    if t1 - t0 < 9:
        raise MeshError(f"lines about one reason {t1 - t0} s apart")


TESTS = {"restored_events": (3, test_restored_events),
         "join_truth": (2, test_join_truth),
         "refusals": (1, test_refusals)}


def main():
    meshbeat, name, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    n, fn = TESTS[name]
    mesh = Mesh(n, os.path.abspath(meshbeat), port)
    run_test(mesh, fn, f"observe_{name}")


if __name__ == "__main__":
    main()
