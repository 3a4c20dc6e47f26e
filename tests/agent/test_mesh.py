#!/usr/bin/python3
"""Process-level tests of `meshbeat agent` on loopback (ctest: agent_*).

usage: test_mesh.py MESHBEAT TEST BASE_PORT
TEST: lifecycle | admin | bad_datagrams | crash_loop
Set MESHBEAT_KEEP=1 to keep the agents' logs and data directories.
"""
import fcntl
import json
import os
import re
import select
import signal
import socket
import subprocess
import sys
import time

from meshlib import Mesh, MeshError, run_test

DETECT_S = 30  # generous bounds: CI runs these on 2 cores, also under ASan


def events_of(agent):
    return agent.call("events", limit=100000)


def test_lifecycle(mesh):
    """Join, SIGKILL, restart without --join, graceful leave."""
    t0 = time.monotonic()
    mesh.start_all()
    mesh.wait(mesh.converged, "5 agents to converge", DETECT_S)
    print(f"converged {time.monotonic() - t0:.2f} s after the first start")
    victim, leaver = mesh.agents[4], mesh.agents[3]
    inc_before = victim.states()[victim.name][1]
    victim.kill(signal.SIGKILL)
    t_kill = time.monotonic()
    mesh.wait(lambda: mesh.all_see(victim.name, "dead"),
              "every survivor to declare n4 dead", DETECT_S)
    print(f"n4 dead everywhere {time.monotonic() - t_kill:.2f} s after SIGKILL")
    for a in mesh.running():
        false = [e for e in events_of(a)
                 if e["to"] == "dead" and e["name"] != victim.name]
        if false:
            raise MeshError(f"{a.name} declared healthy members dead: {false}")
    # The restarted agent finds the mesh through its stored view.
    victim.start(join=())
    mesh.wait(lambda: mesh.all_see(victim.name, "alive", inc_before + 1),
              "n4 alive again with a higher incarnation everywhere", DETECT_S)
    leaver.kill(signal.SIGTERM)
    if leaver.proc.returncode != 0:
        raise MeshError(f"SIGTERM: exit code {leaver.proc.returncode}")
    mesh.wait(lambda: mesh.all_see(leaver.name, "left"),
              "n3's graceful leave to show as left", DETECT_S)


def expect_error(agent, line, code):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(agent.admin)
        try:
            s.sendall(line)
        except (BrokenPipeError, ConnectionResetError):
            pass  # an oversized line is refused before it is all sent
        answer = s.makefile("rb").readline()
    r = json.loads(answer)
    if r.get("ok") is not False or r["error"]["code"] != code:
        raise MeshError(f"{line[:40]!r}: expected error {code}, got {r}")


def test_admin(mesh):
    """Admin queries, the CLI contract, and malformed input breaking nothing."""
    mesh.start_all()
    mesh.wait(mesh.converged, "3 agents to converge", DETECT_S)
    a = mesh.agents[0]
    expect_error(a, b"this is not json\n", "parse_error")
    expect_error(a, b"[1,2,3]\n", "invalid_request")
    expect_error(a, b'{"cmd":"frobnicate"}\n', "unknown_command")
    expect_error(a, b'{"cmd":"member","query":"nobody"}\n', "not_found")
    expect_error(a, b'{"cmd":"join","addrs":["not an address"]}\n',
                 "invalid_request")
    expect_error(a, b"{" + b" " * (70 * 1024) + b"}\n", "line_too_long")
    # Still serving, and the view is intact.
    out = subprocess.run([mesh.meshbeat, "members", "--json",
                          "--admin-socket", a.admin],
                         check=True, capture_output=True, text=True).stdout
    members = json.loads(out)
    # The table shows the epoch that datagrams to this agent are bound to.
    info = subprocess.run([mesh.meshbeat, "info", "--admin-socket", a.admin],
                          check=True, capture_output=True, text=True).stdout
    epoch = a.call("info")["epoch"]
    if not re.search(rf"^epoch\s+{epoch}$", info, re.M):
        raise MeshError(f"info does not show epoch {epoch}:\n{info}")
    if len(members) != 3 or {m["state"] for m in members} != {"alive"}:
        raise MeshError(f"members after bad input: {members}")
    for m in members:
        for k in ("id", "name", "addr", "state", "incarnation", "capacity",
                  "available", "last_seen"):
            if k not in m:
                raise MeshError(f"members --json lacks {k}: {m}")
        if not re.fullmatch(r"[0-9a-f]{64}", m["id"]):
            raise MeshError(f"id is not 64 hex: {m['id']}")
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z",
                            m["last_seen"]):
            raise MeshError(f"last_seen is not RFC 3339: {m['last_seen']}")
        if m["capacity"] <= 0 or m["available"] > m["capacity"]:
            raise MeshError(f"capacity/available from statvfs: {m}")
    one = a.call("member", query=members[1]["id"][:10])
    if one["id"] != members[1]["id"]:
        raise MeshError(f"member by id prefix: {one}")
    metrics = a.call("metrics")
    for family in ("meshbeat_members", "meshbeat_datagrams_rejected_total",
                   "meshbeat_store_commit_seconds_bucket",
                   "meshbeat_admin_subscribers"):
        if family not in metrics:
            raise MeshError(f"metrics lack {family}")
    if a.call("health")["status"] != "ok":
        raise MeshError("health is not ok")
    # A follower sees a new event as it happens.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(DETECT_S)
        s.connect(a.admin)
        s.sendall(b'{"cmd":"events","follow":true,"since":1000000}\n')
        f = s.makefile("rb")
        if not json.loads(f.readline())["ok"]:
            raise MeshError("events --follow refused")
        mesh.agents[2].kill(signal.SIGTERM)
        while True:
            line = json.loads(f.readline())
            if line.get("stream") == "events" and \
                    line["data"]["name"] == "n2":
                if line["data"]["to"] != "left":
                    raise MeshError(f"followed event: {line}")
                break


def send_and_listen(sock, target, payload, wait=1.0):
    """Sends one datagram; returns the answers received within `wait` s."""
    sock.sendto(payload, target)
    answers = []
    sock.settimeout(wait)
    try:
        while True:
            answers.append(sock.recv(65536))
    except socket.timeout:
        return answers


def rejected(agent):
    counts = {}
    for m in re.finditer(r'meshbeat_datagrams_rejected_total\{reason="(\w+)"\}'
                         r" (\d+)", agent.call("metrics")):
        counts[m.group(1)] = int(m.group(2))
    return counts


def test_bad_datagrams(mesh):
    """Unsigned, uncertified, foreign, replayed, truncated and oversized
    datagrams change nothing, get no reply, and are counted."""
    mesh.start_all()
    mesh.wait(mesh.converged, "3 agents to converge", DETECT_S)
    a = mesh.agents[0]
    view = a.states()
    root = mesh.root
    auth = os.path.join(root, "authority.key")
    good_key, rogue_key = os.path.join(root, "t.key"), os.path.join(root,
                                                                    "r.key")
    good_id = mesh.cli("keygen", "--out", good_key).split()[0]
    mesh.cli("keygen", "--out", rogue_key)
    cert = os.path.join(root, "t.cert")
    mesh.cli("cert", "issue", "--authority", auth, "--node-id", good_id,
             "--name", "tester", "--out", cert)

    epoch = a.call("info")["epoch"]
    other = mesh.agents[1]

    def sample(key, cluster, *extra, to=a.node_id, to_epoch=epoch):
        out = os.path.join(root, "sample.bin")
        bind = ["--to", to, "--to-epoch", to_epoch] if to else []
        mesh.cli("wire", "sample", "ping", "--key", key, "--cluster", cluster,
                 "--target", a.node_id, "--out", out, *bind, *extra)
        with open(out, "rb") as f:
            return f.read()

    valid = sample(good_key, mesh.cluster, "--cert", cert, "--seq", "7")
    target = ("127.0.0.1", a.port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        # Control: a certified ping is answered, so silence below means
        # refusal, not a deaf agent.
        if not send_and_listen(s, target, valid):
            raise MeshError("a valid certified ping got no ack")
        before = rejected(a)
        bad = {
            "replayed": valid,
            "garbage": os.urandom(300),
            "truncated": valid[:len(valid) // 2],
            "foreign cluster": sample(good_key, "other-cluster", "--cert",
                                      cert, "--seq", "8"),
            "uncertified": sample(rogue_key, mesh.cluster, "--seq", "9"),
            "bound to another member": sample(
                good_key, mesh.cluster, "--cert", cert, "--seq", "10",
                to=other.node_id, to_epoch=other.call("info")["epoch"]),
            "unbound": sample(good_key, mesh.cluster, "--cert", cert,
                              "--seq", "11", to=None),
            "bound to an earlier epoch": sample(
                good_key, mesh.cluster, "--cert", cert, "--seq", "12",
                to_epoch=format(int(epoch, 16) ^ 1, "016x")),
            "oversized": valid + os.urandom(2000),
        }
        for what, payload in bad.items():
            answers = send_and_listen(s, target, payload)
            if answers:
                raise MeshError(f"{what} datagram was answered")
        after = rejected(a)
    grew = {k: after[k] - before.get(k, 0) for k in after}
    print(f"rejected counters grew by {grew}")
    expect = {"replay": 1, "signature": 2, "admission": 1, "malformed": 3,
              "binding": 2}
    for k, n in expect.items():
        if grew.get(k, 0) < n:
            raise MeshError(f"rejected[{k}] grew by {grew.get(k)}, want {n}")
    if a.states() != view:
        raise MeshError(f"view changed: {view} -> {a.states()}")
    app_from_member(mesh, a, good_key, cert, epoch)


def app_from_member(mesh, a, key, cert, epoch):
    """An app channel payload from a member is for a consumer the agent
    does not have yet: it must not turn into a membership event."""
    out = os.path.join(mesh.root, "sample.bin")
    target = ("127.0.0.1", a.port)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        # The tester becomes a member: its heartbeat, bound to a.
        mesh.cli("wire", "sample", "heartbeat", "--key", key, "--cert", cert,
                 "--cluster", mesh.cluster, "--to", a.node_id, "--to-epoch",
                 epoch, "--addr", f"127.0.0.1:{s.getsockname()[1]}",
                 "--seq", "20", "--out", out)
        with open(out, "rb") as f:
            s.sendto(f.read(), target)
        mesh.wait(lambda: "tester" in a.states(), "the tester to be a member",
                  DETECT_S)
        mesh.cli("wire", "sample", "app", "--key", key, "--cluster",
                 mesh.cluster, "--to", a.node_id, "--to-epoch", epoch,
                 "--seq", "21", "--out", out)
        with open(out, "rb") as f:
            send_and_listen(s, target, f.read())
    bogus = [e for e in events_of(a) if e["name"] == ""]
    if bogus:
        raise MeshError(f"an app datagram became events: {bogus}")


def test_crash_loop(mesh):
    """SIGKILL an agent again and again under load: it always reopens its
    store and resumes above its last incarnation."""
    mesh.start_all()
    mesh.wait(mesh.converged, "3 agents to converge", DETECT_S)
    victim = mesh.agents[2]
    last = victim.call("info")["incarnation"]
    for round_ in range(8):
        # Load: the victim is mid-way through commits of its event log.
        victim.call("join", addrs=[f"127.0.0.1:{mesh.base_port}"])
        victim.kill(signal.SIGKILL)
        victim.start(join=())
        info = victim.call("info")
        if info["incarnation"] <= last:
            raise MeshError(f"round {round_}: incarnation {info['incarnation']}"
                            f" not above {last}")
        last = info["incarnation"]
    mesh.wait(lambda: mesh.all_see(victim.name, "alive", last),
              "the victim alive at its last incarnation everywhere", DETECT_S)


def test_log_backpressure(mesh):
    """An agent whose stderr nobody reads (a stuck journald, a full pipe)
    keeps answering: log lines it has no room for are dropped and counted,
    never waited for, and it tells how many once the reader is back."""
    F_SETPIPE_SZ = 1031
    r, w = os.pipe()
    fcntl.fcntl(w, F_SETPIPE_SZ, 4096)
    slow = mesh.agents[0]
    slow.proc = subprocess.Popen(slow.argv(()), stdout=subprocess.DEVNULL,
                                 stderr=w, stdin=subprocess.DEVNULL)
    os.close(w)
    try:
        mesh.wait(slow.answers, "the agent with a stuck stderr to answer", 20)
        for a in mesh.agents[1:]:
            a.start(join=[0])
        mesh.wait(mesh.converged, "the mesh to converge", DETECT_S)
        # Each SIGHUP is a line (a reload, or its refusal): thousands of
        # them are far more than the queue and the 4 KiB pipe hold.  The
        # agent answers its admin socket between every two.
        for _ in range(3000):
            slow.proc.send_signal(signal.SIGHUP)
            slow.call("info")
        metrics = slow.call("metrics")
        dropped = [float(l.split()[-1]) for l in metrics.splitlines()
                   if l.startswith("meshbeat_log_lines_dropped_total ")]
        if not dropped or dropped[0] <= 0:
            raise MeshError(f"no log line counted as dropped: {dropped}")
        for a in mesh.agents[1:]:
            suspected = [e for e in a.call("events", limit=1000)
                         if e["name"] == slow.name and e["to"] != "alive"]
            if suspected:
                raise MeshError(f"{a.name} suspected the agent: {suspected}")
        # The reader comes back: what was queued arrives whole, then the
        # count of what was dropped.
        text = b""
        deadline = time.monotonic() + DETECT_S
        while b"log lines dropped" not in text:
            if time.monotonic() > deadline:
                raise MeshError("no 'log lines dropped' line")
            if select.select([r], [], [], 1.0)[0]:
                text += os.read(r, 65536)
                continue
            mesh.agents[5].call("leave")  # one more line to carry it
            mesh.agents[5].proc.wait(timeout=20)
            mesh.agents[5].start(join=[0])
        for line in text.splitlines()[:-1]:
            json.loads(line)  # every line whole
    finally:
        os.close(r)


def test_stopped_observer(mesh):
    """An agent stopped for a while (SIGSTOP: a host starved of CPU, a VM
    paused) reads what waits in its socket before it judges its probes:
    the acks that came while it was stopped are not failures, so it
    suspects nobody; it counts the lateness against its own health."""
    mesh.start_all()
    mesh.wait(mesh.converged, "the mesh to converge", DETECT_S)
    stopped = mesh.agents[0]
    for _ in range(8):
        stopped.proc.send_signal(signal.SIGSTOP)
        time.sleep(1.2)  # the fault itself: a stop of a known length
        stopped.proc.send_signal(signal.SIGCONT)
        mesh.wait(lambda: mesh.all_see(stopped.name, "alive"),
                  "the stopped agent alive everywhere", DETECT_S)
    accused = [e for e in stopped.call("events", limit=1000)
               if e["name"] != stopped.name and e["to"] != "alive"]
    if accused:
        raise MeshError(f"the stopped agent suspected others: {accused}")
    metrics = stopped.call("metrics")
    late = [float(l.split()[-1]) for l in metrics.splitlines()
            if l.startswith('meshbeat_loop_lag_seconds_bucket{le="0.512"}')]
    count = [float(l.split()[-1]) for l in metrics.splitlines()
             if l.startswith("meshbeat_loop_lag_seconds_count ")]
    if not late or count[0] - late[0] < 1:
        raise MeshError(f"no late timer counted: {late} of {count}")


class V6Mesh(Mesh):
    def host_of(self, idx):
        return "[::1]"


def test_ipv6(mesh):
    """The same agents over IPv6 loopback: join, detect a SIGKILL."""
    mesh.start_all()
    mesh.wait(mesh.converged, "3 agents to converge over IPv6", DETECT_S)
    addrs = {m["addr"] for m in mesh.agents[0].call("members")}
    if not all(a.startswith("[::1]:") for a in addrs):
        raise MeshError(f"members advertise {addrs}")
    mesh.agents[2].kill()
    mesh.wait(lambda: mesh.all_see("n2", "dead"), "n2 dead over IPv6",
              DETECT_S)


def ipv6_available():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_DGRAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


TESTS = {"lifecycle": (5, test_lifecycle), "admin": (3, test_admin),
         "log_backpressure": (6, test_log_backpressure),
         "stopped_observer": (4, test_stopped_observer),
         "ipv6": (3, test_ipv6),
         "bad_datagrams": (3, test_bad_datagrams),
         "crash_loop": (3, test_crash_loop)}


def main():
    meshbeat, name, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    n, fn = TESTS[name]
    if name == "ipv6" and not ipv6_available():
        print("SKIP: no IPv6 loopback here")
        sys.exit(77)
    kind = V6Mesh if name == "ipv6" else Mesh
    mesh = kind(n, os.path.abspath(meshbeat), port)
    run_test(mesh, fn, f"agent_{name}")


if __name__ == "__main__":
    main()
