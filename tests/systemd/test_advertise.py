#!/usr/bin/python3
"""The address an agent advertises, and the reason it logs for it.

usage: test_advertise.py MESHBEAT SANDBOX UNIT PORT CASE

  loopback  bound to 0.0.0.0 with a seed on loopback: the route's source
            address, also where netlink is forbidden (the unit's address
            families, applied by meshbeat-sandbox); an unspecified or
            link-local advertise is refused with a message
  netns     in a network namespace with two interfaces, the first a
            stand-in for docker0: the route to the seed, else the default
            route, picks the address, with or without netlink; without a
            route and with two candidate interfaces the agent refuses; bound
            to [::] with only a link-local address it refuses, with a global
            address and a route it takes that (needs root: exits 77 without)

--check says what the start then does: the same address and reason, or the
same refusal, exit 2, naming the setting and its source.

Never 0.0.0.0, :: or fe80::.  MESHBEAT_KEEP=1 keeps the work directory.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import unit_sandbox as us

MB, SANDBOX, UNIT, PORT, CASE = sys.argv[1:6]
PORT = int(PORT)
NETNS = f"mba{os.getpid()}"


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(77)


def fail(why):
    raise AssertionError(why)


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True)


def admin_call(path, request):
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(path)
        s.sendall((json.dumps(request) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        return json.loads(buf)


class Run:
    """One agent start: its log, and the address it advertises."""
    started = []  # every run, so that a failed test stops them all

    def __init__(self, work, label, argv_prefix, args):
        self.dir = os.path.join(work, label)
        os.mkdir(self.dir)
        self.sock = os.path.join(self.dir, "admin.sock")
        self.log = os.path.join(self.dir, "agent.log")
        argv = argv_prefix + [
            MB, "agent", "--name", label, "--authority", "none",
            "--data-dir", self.dir, "--admin-socket", self.sock,
            "--log-format", "json"] + args
        # --check first, in the same place: it must say what the start
        # then does (and make nothing)
        self.check = subprocess.run(argv + ["--check"], capture_output=True,
                                    text=True, stdin=subprocess.DEVNULL,
                                    timeout=20)
        with open(self.log, "wb") as log:
            self.proc = subprocess.Popen(argv, stdout=log, stderr=log,
                                         stdin=subprocess.DEVNULL)
        Run.started.append(self)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.proc.poll() is not None or self.serving():
                return
            time.sleep(0.05)
        self.proc.kill()
        fail(f"{label}: neither served nor exited:\n{self.text()}")

    def serving(self):
        try:
            return admin_call(self.sock, {"cmd": "info"}).get("ok")
        except (OSError, ValueError):
            return False

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def messages(self):
        return [l.get("msg", "") for l in us.log_lines(self.log)]

    def advertised(self):
        """The advertised address in the agent's own view, and how."""
        members = admin_call(self.sock, {"cmd": "members"})["result"]
        addr = [m["addr"] for m in members if m["self"]][0]
        how = [l["how"] for l in us.log_lines(self.log) if "how" in l]
        return addr, how[0] if how else None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=20)


def never_unusable(addr):
    for bad in ("0.0.0.0:", "[::]:", "[fe80:"):
        if addr.startswith(bad):
            fail(f"advertised {addr}")


def expect(run, addr, how):
    if run.proc.poll() is not None:
        fail(f"{run.dir}: exited with {run.proc.returncode}:\n{run.text()}")
    got = run.advertised()
    never_unusable(got[0])
    if got != (addr, how):
        fail(f"{run.dir}: advertised {got}, expected {(addr, how)}:\n"
             f"{run.text()}")
    if f"advertising {addr} ({how})" not in run.messages():
        fail(f"{run.dir}: no info line saying how:\n{run.text()}")
    if run.check.returncode != 0:
        fail(f"{run.dir}: --check exit {run.check.returncode}: "
             f"{run.check.stderr}")
    said = json.loads(run.check.stdout)
    if (said["advertise"], said["advertise_how"]) != (addr, how):
        fail(f"{run.dir}: --check says {said['advertise']} "
             f"({said['advertise_how']}), the start {addr} ({how})")
    if run.stop() != 0:
        fail(f"{run.dir}: SIGTERM did not end it with 0")


def expect_refusal(run, setting, *words):
    """A configuration error: exit 2 naming the setting and its source
    ("advertise (--advertise)"), from the start and from --check alike,
    before anything is made."""
    rc = run.stop()
    if rc != 2:
        fail(f"{run.dir}: exit {rc}; expected a refusal (2):\n{run.text()}")
    text = run.text()
    for w in (f"meshbeat agent: {setting}: ", "set advertise") + words:
        if w not in text:
            fail(f"{run.dir}: refusal does not say '{w}':\n{text}")
        if w not in run.check.stderr:
            fail(f"{run.dir}: --check does not say '{w}' (exit "
                 f"{run.check.returncode}):\n{run.check.stderr}")
    if run.check.returncode != 2:
        fail(f"{run.dir}: --check exit {run.check.returncode}, not 2")
    if "started" in text or os.path.exists(os.path.join(run.dir, "store")):
        fail(f"{run.dir}: started before refusing:\n{text}")


def no_netlink():
    """The unit's RestrictAddressFamilies= alone (no root needed)."""
    fams = us.families(us.parse_unit(UNIT))
    return [SANDBOX, "--families", ",".join(map(str, fams)), "--"]


def case_loopback(work):
    seed = f"127.0.0.1:{PORT + 1}"
    for label, prefix in (("plain", []), ("no-netlink", no_netlink())):
        run = Run(work, label, prefix, ["--bind", f"0.0.0.0:{PORT}",
                                        "--join", seed])
        expect(run, f"127.0.0.1:{PORT}", f"route to seed {seed}")
    run = Run(work, "unspecified", [], ["--bind", f"127.0.0.1:{PORT}",
                                       "--advertise", f"0.0.0.0:{PORT}"])
    expect_refusal(run, "advertise (--advertise)", "unspecified")
    run = Run(work, "link-local", [], ["--bind", f"[::1]:{PORT}",
                                      "--advertise", f"[fe80::1]:{PORT}"])
    expect_refusal(run, "advertise (--advertise)", "link-local")


def ns(*args):
    sh("ip", "-n", NETNS, *args)


def link(name, *addrs):
    """A veth pair inside the namespace (no dummy module needed); nothing
    answers on the peer end."""
    ns("link", "add", name, "type", "veth", "peer", "name", name + "p")
    for a in addrs:
        ns("addr", "add", a, "dev", name, "nodad")
    ns("link", "set", name + "p", "up")
    ns("link", "set", name, "up")


def case_netns(work):
    if os.geteuid() != 0:
        skip("needs root for a network namespace")
    if sh("ip", "netns", "add", NETNS, check=False).returncode != 0:
        skip("cannot make a network namespace here")
    try:
        ns("link", "set", "lo", "up")
        # First, as docker0 comes first on a NAS: the old guess took it.
        link("dock0", "172.17.0.1/16")
        link("eth0", "10.0.0.11/24")
        ns("route", "add", "default", "via", "10.0.0.1")
        enter = ["ip", "netns", "exec", NETNS]
        for label, box in (("", []), ("-no-netlink", no_netlink())):
            run = Run(work, "seed" + label, enter + box,
                      ["--bind", f"0.0.0.0:{PORT}", "--join",
                       f"10.0.0.1:{PORT}"])
            expect(run, f"10.0.0.11:{PORT}", f"route to seed 10.0.0.1:{PORT}")
            run = Run(work, "default" + label, enter + box,
                      ["--bind", f"0.0.0.0:{PORT}"])
            expect(run, f"10.0.0.11:{PORT}", "default route")
        ns("route", "del", "default")
        run = Run(work, "no-route", enter, ["--bind", f"0.0.0.0:{PORT}"])
        expect_refusal(run, "advertise (default)",
                       "2 interfaces have one (dock0, eth0)")
        run = Run(work, "no-route-no-netlink", enter + no_netlink(),
                  ["--bind", f"0.0.0.0:{PORT}"])
        expect_refusal(run, "advertise (default)",
                       "the interfaces cannot be listed")
        # IPv6: only link-local addresses (the links' own) and no route.
        run = Run(work, "v6-link-local", enter + no_netlink(),
                  ["--bind", f"[::]:{PORT}"])
        expect_refusal(run, "advertise (default)", "bound to [::]")
        ns("addr", "add", "fd00::11/64", "dev", "eth0", "nodad")
        ns("-6", "route", "add", "default", "via", "fd00::1")
        run = Run(work, "v6-global", enter + no_netlink(),
                  ["--bind", f"[::]:{PORT}"])
        expect(run, f"[fd00::11]:{PORT}", "default route")
    finally:
        sh("ip", "netns", "del", NETNS, check=False)


def main():
    work = tempfile.mkdtemp(prefix="meshbeat-advertise-")
    ok = False
    try:
        {"loopback": case_loopback, "netns": case_netns}[CASE](work)
        ok = True
        print(f"{CASE}: PASS")
    finally:
        for run in Run.started:
            if run.proc.poll() is None:
                run.proc.kill()
                run.proc.wait()
        if not ok:
            print(f"{CASE}: FAIL; work directory {work}")
        if ok and os.environ.get("MESHBEAT_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)


main()
