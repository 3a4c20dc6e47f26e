#!/usr/bin/python3
"""/health over real TCP from real agents, through each status (ctest
agent_http_health).

Three certified agents, each with `--http-addr`:

  n0  its store on a 1 MiB tmpfs.  Healthy: 200, every check ok.  The
      tmpfs is then filled, and n1's leave makes n0 commit an event: the
      commit fails (ENOSPC), the `store` check is failing and /health
      answers 503 with the same JSON; the filler removed, the retried
      commit succeeds and /health is 200 and ok again.
  n1  the member n0's mesh needs to have events at all.
  n2  joins only through a port nobody listens on: after the join grace
      its `join` check is degraded and /health answers 200 (degraded is
      not a reason to restart an agent, docs/operations.md).

Every change is awaited by polling /health with a deadline.  Each answer
must have the documented shape (docs/operations.md, HTTP listener; admin-
api.md, health): application/json, {"status", "checks"}, each check
{"status"[, "message"]}, and the same statuses as `meshbeat health --json`
over the admin socket.

The tmpfs needs a mount namespace: the test runs itself again under
`unshare --mount` (with `--map-root-user` when not root); where neither
works it says why and exits 77 (skipped).

usage: test_http_health.py MESHBEAT BASE_PORT
Set MESHBEAT_KEEP=1 to keep the agents' logs and data directories.
"""
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time

from meshlib import Mesh, MeshError, run_test

CHECKS = {"store", "gossip", "leaving", "join", "certificate"}
JOIN_GRACE_S = 10  # JOIN_HEALTH_GRACE_MS in src/agent/join_watch.c
DETECT_S = 30
NS_MARK = "MESHBEAT_HEALTH_TEST_IN_NS"


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(77)


def in_mount_namespace():
    """Runs this script again in a mount namespace of its own, where the
    tmpfs lives and dies with it."""
    if os.environ.get(NS_MARK) == "1":
        return
    if shutil.which("unshare") is None:
        skip("unshare (util-linux) is not installed")
    flags = ["--mount", "--propagation", "private"]
    if os.geteuid() != 0:
        flags.insert(0, "--map-root-user")
    probe = subprocess.run(["unshare", *flags, "true"], capture_output=True,
                           text=True)
    if probe.returncode != 0:
        skip(f"cannot make a mount namespace here ({' '.join(flags)}): "
             f"{probe.stderr.strip()}")
    os.environ[NS_MARK] = "1"
    os.execvp("unshare", ["unshare", *flags, sys.executable, *sys.argv])


def get_health(url):
    """(status code, content type, parsed body) of GET url, over TCP."""
    p = subprocess.run(["curl", "-sS", "--max-time", "5", "-o", "-", "-w",
                        "\n%{http_code} %{content_type}", url],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise MeshError(f"curl {url}: {p.stderr}")
    body, _, tail = p.stdout.rpartition("\n")
    code, _, ctype = tail.partition(" ")
    return int(code), ctype, json.loads(body)


def check_shape(h, agent):
    """The documented shape, and the admin socket's statuses."""
    if set(h) != {"status", "checks"} or set(h["checks"]) != CHECKS:
        raise MeshError(f"/health shape: {h}")
    worst = "ok"
    for name, c in h["checks"].items():
        if c.get("status") not in ("ok", "degraded", "failing") or \
                not set(c) <= {"status", "message"} or \
                not isinstance(c.get("message", ""), str):
            raise MeshError(f"/health check {name}: {c}")
        order = ("ok", "degraded", "failing")
        worst = max(worst, c["status"], key=order.index)
    if h["status"] != worst:
        raise MeshError(f"/health status {h['status']}, worst check {worst}")
    p = subprocess.run([agent.mesh.meshbeat, "health", "--json",
                        "--admin-socket", agent.admin], capture_output=True,
                       text=True)
    admin = json.loads(p.stdout)
    want_rc = 0 if admin["status"] == "ok" else 1
    if {n: c["status"] for n, c in admin["checks"].items()} != \
            {n: c["status"] for n, c in h["checks"].items()} or \
            admin["status"] != h["status"] or p.returncode != want_rc:
        raise MeshError(f"/health {h} and `meshbeat health --json` "
                        f"(exit {p.returncode}) {admin} differ")


def await_health(mesh, url, agent, code, status, check, what):
    """Polls url until it answers `code` with overall `status` and the
    named check in that status; returns (seconds waited, body)."""
    seen = []
    t0 = time.monotonic()

    def answered():
        got, ctype, h = get_health(url)
        seen[:] = [got, h]
        if ctype != "application/json":
            raise MeshError(f"/health content type {ctype!r}")
        return got == code and h["status"] == status and \
            h["checks"][check]["status"] == status

    try:
        mesh.wait(answered, what, DETECT_S)
    except MeshError:
        raise MeshError(f"{what}: last answer {seen}")
    check_shape(seen[1], agent)
    return time.monotonic() - t0, seen[1]


def fill(directory):
    """Writes a file until the file system is full."""
    path = os.path.join(directory, "filler")
    chunk = b"\0" * 4096
    with open(path, "wb", buffering=0) as f:
        try:
            while True:
                f.write(chunk)
        except OSError as e:
            if e.errno != errno.ENOSPC:
                raise
    return path


def test_health(mesh):
    if shutil.which("curl") is None:
        raise MeshError("curl is missing: run scripts/install-deps.sh")
    n0, n1, n2 = mesh.agents
    tcp = [mesh.base_port + 50 + i for i in range(3)]
    url = [f"http://127.0.0.1:{p}/health" for p in tcp]
    store = os.path.join(n0.dir, "store")
    os.mkdir(store, 0o700)
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m,mode=0700",
                    "meshbeat-health", store], check=True)
    for a, p in zip(mesh.agents, tcp):
        a.extra = ["--http-addr", f"127.0.0.1:{p}"]
    silent = f"127.0.0.1:{mesh.port_of(9)}"  # nobody listens there
    n2.extra += ["--join", silent]
    try:
        n2.start()
        phases(mesh, url, store, silent)
    finally:
        mesh.stop()
        subprocess.run(["umount", store], check=True)


def phases(mesh, url, store, silent):
    n0, n1, n2 = mesh.agents
    n0.start()
    n1.start(join=[0])
    mesh.wait(lambda: mesh.all_see("n1", "alive", observers=[n0, n1]) and
              mesh.all_see("n0", "alive", observers=[n0, n1]),
              "n0 and n1 to see each other", DETECT_S)

    s, h = await_health(mesh, url[0], n0, 200, "ok", "store", "n0 healthy")
    if any(c["status"] != "ok" for c in h["checks"].values()):
        raise MeshError(f"healthy n0: {h}")
    print(f"n0 healthy: 200 {json.dumps(h)}")

    filler = fill(store)
    n1.kill(signal.SIGTERM)  # n0 logs and commits n1's leave
    s, h = await_health(mesh, url[0], n0, 503, "failing", "store",
                        "n0's /health to fail once its disk is full")
    if "commit" not in h["checks"]["store"].get("message", ""):
        raise MeshError(f"the store check does not say why: {h}")
    print(f"disk full: 503 after {s:.2f} s {json.dumps(h)}")

    os.unlink(filler)
    s, h = await_health(mesh, url[0], n0, 200, "ok", "store",
                        "n0's /health to recover once its disk has room")
    print(f"room again: 200 after {s:.2f} s")

    s, h = await_health(mesh, url[2], n2, 200, "degraded", "join",
                        "n2's join check to degrade")
    msg = h["checks"]["join"].get("message", "")
    if f"no seed answered (tried {silent})" not in msg:
        raise MeshError(f"n2's join check: {h}")
    print(f"seed silent: 200 degraded {json.dumps(h['checks']['join'])}")
    if n2.proc.poll() is not None or n0.proc.poll() is not None:
        raise MeshError("an agent exited")


def main():
    in_mount_namespace()
    meshbeat, base = sys.argv[1], int(sys.argv[2])
    run_test(Mesh(3, meshbeat, base), test_health, "http_health")


if __name__ == "__main__":
    main()
