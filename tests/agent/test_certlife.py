#!/usr/bin/python3
"""Certificates over their life, with real agents on loopback (ctest:
agent_cert_*): docs/operations.md, "Certificates' life".

usage: test_certlife.py MESHBEAT TEST BASE_PORT
TEST: name_conflict | expiry | renewal
  name_conflict  name and domain come from the certificate; a setting
                 that contradicts it (flag, environment, file) is exit 2
                 naming the setting, its value and the certificate's
  expiry         a certificate near its end: the warning in the log, the
                 expiry metric, health degraded; at expiry the agent says
                 so, leaves (exit 3) and its peers show it left, not dead
  renewal        SIGHUP loads a renewed certificate without a restart
                 (same pid, no leave, past the old expiry); a bad one is
                 refused and the old one kept; peers hold the new one
Set MESHBEAT_KEEP=1 to keep the agents' logs and data directories.
"""
import json
import os
import shlex
import re
import signal
import subprocess
import sys
import time

from meshlib import Agent, Mesh, MeshError, run_test

DETECT_S = 30


class CertAgent(Agent):
    """An agent that takes its name and domain from its certificate: no
    --name, unless a test adds one."""

    def __init__(self, mesh, idx):
        super().__init__(mesh, idx)
        self.extra, self.env = [], None

    def argv(self, join):
        a = super().argv(join)
        i = a.index("--name")
        return a[:i] + a[i + 2:] + self.extra

    def start(self, join=()):
        log = open(self.log_path(), "ab")
        env = dict(os.environ, **(self.env or {}))
        self.proc = subprocess.Popen(self.argv(join), stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL, env=env)
        log.close()
        self.mesh.wait(lambda: self.answers(), f"{self.name} admin socket", 20)

    def log_path(self):
        return os.path.join(self.mesh.root, f"{self.name}.log")

    def log_lines(self):
        """The agent's JSON log lines, parsed (others skipped)."""
        out = []
        with open(self.log_path(), errors="replace") as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
        return out

    def logged(self, pattern):
        return [l for l in self.log_lines()
                if re.search(pattern, l.get("msg", ""))]

    def health(self, check):
        checks = self.call("health")["checks"]
        if check not in checks:
            raise MeshError(f"{self.name}: no health check {check}: {checks}")
        return checks[check]

    def metric(self, name):
        m = re.search(rf"^{name} (\S+)$", self.call("metrics"), re.M)
        return float(m.group(1)) if m else None


class CertMesh(Mesh):
    """Agents n<i> certified in domain r<i>; certify() reissues one."""

    def __init__(self, n, meshbeat, base_port):
        super().__init__(n, meshbeat, base_port)
        self.agents = [CertAgent(self, i) for i in range(n)]
        for a in self.agents:
            a.node_id = self.cli("id", "--key",
                                 os.path.join(a.dir, "node.key")).split()[0]
            self.certify(a)

    def certify(self, a, name=None, domain=None, ttl="365d", issued_at=None,
                out=None):
        args = ["cert", "issue", "--authority",
                os.path.join(self.root, "authority.key"), "--node-id",
                a.node_id, "--name", name or a.name, "--domain",
                domain or f"r{a.idx}", "--ttl", ttl,
                "--out", out or os.path.join(a.dir, "node.cert")]
        if issued_at is not None:
            args += ["--issued-at", str(issued_at)]
        if os.path.exists(args[-1]):
            os.unlink(args[-1])
        self.cli(*args)

    def expect_refusal(self, a, check=False, **how):
        """Starts a (or runs --check) with extra flags/env: it must exit 2
        saying so; returns that line."""
        a.extra, a.env = how.get("flags", []), how.get("env")
        argv = a.argv(()) + (["--check"] if check else [])
        with open(a.log_path(), "ab") as log:
            p = subprocess.Popen(argv, stdout=log, stderr=log,
                                 stdin=subprocess.DEVNULL,
                                 env=dict(os.environ, **(a.env or {})))
        a.extra, a.env = [], None
        try:
            rc = p.wait(timeout=20)  # a refusal comes at once
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
            raise MeshError(f"{how}: the agent runs, contradicting its "
                            "certificate")
        if rc != 2:
            raise MeshError(f"{how}: exit {rc}, expected 2")
        with open(a.log_path(), errors="replace") as f:
            said = [l for l in f if "contradicts the certificate" in l]
        if not said:
            raise MeshError(f"{how}: exit 2 without a message")
        os.unlink(a.log_path())
        return said[-1]


def test_name_conflict(mesh):
    """A node certified as n1 in r1 cannot run as another name or domain
    (the issue: it ran as notS1 in r9 and was shown so everywhere)."""
    a = mesh.agents[1]
    cert = os.path.join(a.dir, "node.cert")
    for check in (False, True):  # a start, and --check alike
        msg = mesh.expect_refusal(a, check, flags=["--name", "notS1"])
        for part in ("name (--name): 'notS1' contradicts the certificate "
                     f"{cert}, which says name 'n1'",):
            if part not in msg:
                raise MeshError(f"refusal does not say {part!r}: {msg}")
    msg = mesh.expect_refusal(a, env={"MESHBEAT_DOMAIN": "r9"})
    part = "domain (MESHBEAT_DOMAIN): 'r9' contradicts the certificate"
    if part not in msg or "which says domain 'r1'" not in msg:
        raise MeshError(f"refusal does not say {part!r}: {msg}")
    conf = os.path.join(mesh.root, "n1.conf")
    with open(conf, "w") as f:
        f.write('domain = "r9"\n')
    msg = mesh.expect_refusal(a, flags=["--config", conf])
    if f"domain ({conf}:1): 'r9' contradicts" not in msg:
        raise MeshError(f"refusal does not name the file and line: {msg}")
    print("conflicting name/domain: exit 2 naming the setting and both values")
    # Without them (or with the certified values) the certificate's are
    # used, and every member shows them.
    mesh.agents[0].start()
    a.extra = ["--name", "n1", "--domain", "r1"]
    a.start(join=[0])
    mesh.agents[2].start(join=[0])
    mesh.wait(mesh.converged, "3 agents to converge", DETECT_S)
    for obs in mesh.agents:
        for m in obs.call("members"):
            want = mesh.agents[int(m["name"][1:])]
            if m["domain"] != f"r{want.idx}" or m["id"] != want.node_id:
                raise MeshError(f"{obs.name} shows {m}")
    info = mesh.agents[2].call("info")
    if (info["name"], info["domain"]) != ("n2", "r2"):
        raise MeshError(f"info: {info}")


def name_explicitly(mesh):
    """The certified names and domains given as flags too (allowed: they
    agree), so the tests below run on agents that ignore certificates'
    names as well, and fail on what they test."""
    for a in mesh.agents:
        a.extra = ["--name", a.name, "--domain", f"r{a.idx}"]


def expiry_of(a):
    return a.call("info")["cert_expires_at"]


def test_expiry(mesh):
    """Warned ahead, then gone at expiry: plainly, gracefully, exit 3."""
    doomed = mesh.agents[2]
    # Lifetime 200 s, so warnings start 20 s before the end (10 %), which
    # is 40 s from now.
    now = int(time.time())
    # A domain with a space: the renewal command printed must still be
    # one the shell reads back as the certificate's.
    mesh.certify(doomed, domain="rack 2", ttl="200s", issued_at=now - 160)
    expires, window_opens = now + 40, now + 20
    name_explicitly(mesh)
    doomed.extra = ["--name", doomed.name, "--domain", "rack 2"]
    mesh.start_all()
    mesh.wait(mesh.converged, "3 agents to converge", DETECT_S)
    if doomed.metric("meshbeat_cert_expiry_timestamp_seconds") != expires:
        raise MeshError("metric: " + str(
            doomed.metric("meshbeat_cert_expiry_timestamp_seconds")))
    if expiry_of(doomed) != expires:
        raise MeshError(f"info: {doomed.call('info')}")
    if time.time() < window_opens - 2:
        h = doomed.health("certificate")
        if h["status"] != "ok" or doomed.logged("expires at"):
            raise MeshError(f"warned too early: {h}")
    mesh.wait(lambda: doomed.logged(r"certificate .* expires at .* SIGHUP"),
              "the expiry warning in the log", 30)
    warned = time.time()
    h = doomed.health("certificate")
    if h["status"] != "degraded" or "renew" not in h.get("message", ""):
        raise MeshError(f"health after the warning: {h}")
    if doomed.call("health")["status"] == "ok":
        raise MeshError("overall health ok while the certificate expires")
    print(f"warned {expires - warned:.1f} s before expiry: {h['message']}")
    rc = doomed.proc.wait(timeout=expires - time.time() + 20)
    gone = time.time()
    if rc != 3:
        raise MeshError(f"exit code {rc} at expiry, expected 3")
    if gone < expires - 0.5:
        raise MeshError(f"left {expires - gone:.1f} s before expiry")
    said = doomed.logged(r"certificate expired at .*: leaving the mesh; "
                         r"renew it with `meshbeat cert issue")
    if not said:
        raise MeshError("no plain message at expiry")
    command = shlex.split(said[0]["msg"].split("`")[1])
    if command[command.index("--domain") + 1] != "rack 2":
        raise MeshError(f"the renewal command names another domain: {command}")
    print(f"left {gone - expires:.2f} s after expiry, exit 3: "
          f"{said[0]['msg'][:80]}...")
    survivors = mesh.agents[:2]
    mesh.wait(lambda: mesh.all_see(doomed.name, "left", observers=survivors),
              "n2's leave to show as left", DETECT_S)
    for a in survivors:
        dead = [e for e in a.call("events", limit=1000) if e["to"] == "dead"]
        if dead:
            raise MeshError(f"{a.name} declared deaths: {dead}")


def test_renewal(mesh):
    """SIGHUP: a renewed certificate replaces the old one in flight."""
    a = mesh.agents[1]
    now = int(time.time())
    # Lifetime 300 s, 30 s left: inside the warning window (30 s) at once.
    mesh.certify(a, ttl="300s", issued_at=now - 270)
    old_expiry = now + 30
    name_explicitly(mesh)
    mesh.start_all()
    mesh.wait(mesh.converged, "3 agents to converge", DETECT_S)
    if a.health("certificate")["status"] != "degraded":
        raise MeshError(f"inside the warning window: {a.health('certificate')}")
    pid = a.proc.pid
    # A certificate for another domain is refused; the old one is kept.
    mesh.certify(a, domain="r9", ttl="1h")
    a.proc.send_signal(signal.SIGHUP)
    mesh.wait(lambda: a.logged(r"not loaded: it names 'n1' in domain 'r9'"),
              "the refusal of a certificate for another domain", 10)
    if expiry_of(a) != old_expiry:
        raise MeshError(f"a refused certificate was taken: {expiry_of(a)}")
    mesh.certify(a, ttl="1h")
    a.proc.send_signal(signal.SIGHUP)
    mesh.wait(lambda: a.logged(r"certificate .* renewed: valid until"),
              "the renewal in the log", 10)
    new_expiry = expiry_of(a)
    if new_expiry < now + 3600 or \
            a.metric("meshbeat_cert_expiry_timestamp_seconds") != new_expiry:
        raise MeshError(f"after SIGHUP: info {new_expiry}, metric "
                        f"{a.metric('meshbeat_cert_expiry_timestamp_seconds')}")
    if a.health("certificate")["status"] != "ok":
        raise MeshError(f"renewed, still {a.health('certificate')}")

    def peers_hold_new():
        return all(m["cert_expires_at"] == new_expiry
                   for o in mesh.agents if o is not a
                   for m in o.call("members") if m["name"] == a.name)
    mesh.wait(peers_hold_new, "every peer to hold the renewed certificate",
              DETECT_S)
    print(f"renewed by SIGHUP: expiry {old_expiry} -> {new_expiry}, "
          "held by every peer")
    # Past the old expiry: still the same process, never left.
    mesh.wait(lambda: time.time() > old_expiry + 2, "the old expiry", 60)
    if a.proc.poll() is not None or a.proc.pid != pid:
        raise MeshError(f"the agent stopped: exit {a.proc.returncode}")
    if a.logged("leaving the mesh"):
        raise MeshError("the agent left at the old expiry")
    if not mesh.all_see(a.name, "alive"):
        raise MeshError("n1 not alive everywhere after the old expiry")


TESTS = {"name_conflict": (3, test_name_conflict),
         "expiry": (3, test_expiry),
         "renewal": (3, test_renewal)}


def main():
    meshbeat, name, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    n, fn = TESTS[name]
    mesh = CertMesh(n, os.path.abspath(meshbeat), port)
    run_test(mesh, fn, f"agent_cert_{name}")


if __name__ == "__main__":
    main()
