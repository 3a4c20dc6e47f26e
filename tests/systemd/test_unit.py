#!/usr/bin/python3
"""The agent under dist/meshbeat.service's restrictions, with the shipped
example configuration.

usage: test_unit.py MESHBEAT SANDBOX UNIT EXAMPLE_CONF PORT CASE

  restrictions   the unit's syscall filter, address families, read-only
                 file system and dynamic user (meshbeat-sandbox, in a
                 network namespace): the agent starts, chowns its socket to
                 admin_group, serves `members` to root and to a member of
                 the group, and leaves on SIGTERM with exit 0 and no socket
                 left behind
  chown_refused  the same with @chown taken out of the filter: the agent
                 does not die of SIGSYS but says the chown was refused and
                 runs on with an owner-only socket
  systemd_run    the real unit under systemd: where systemd is not PID 1,
                 this case runs itself again inside systemd booted as PID
                 1 of a throwaway container (systemd_container.py)
  unknown_group  an admin_group that names no group is a configuration
                 error (exit 2, naming the setting and its source), from
                 a start and --check alike

Needs root, mount and network namespaces and systemd-analyze (for systemd's
own syscall sets); otherwise it says why and exits 77 (skipped).
MESHBEAT_KEEP=1 keeps the work directory.
"""
import grp
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

import unit_sandbox as us

MB, SANDBOX, UNIT, EXAMPLE, PORT, CASE = sys.argv[1:7]
PORT = int(PORT)
# A dynamic user as systemd allocates them (61184-65519).
DYN_UID, DYN_GID = 61917, 61917
GROUP_MEMBER_UID = 61918
NETNS = f"mbu{os.getpid()}"
ADDR = "10.0.0.11"  # the example's advertise address, given to a dummy link


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(77)


def fail(why):
    raise AssertionError(why)


def sh(*args, check=True, **kw):
    return subprocess.run(args, check=check, capture_output=True, text=True,
                          **kw)


def wait_for(cond, what, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.05)
    fail(f"timed out after {timeout} s waiting for {what}")


def preconditions():
    if os.geteuid() != 0:
        skip("needs root (mount namespace, a dynamic user, ip netns)")
    if not us.have_systemd_analyze():
        skip("no systemd-analyze: scripts/install-deps.sh installs systemd")
    if shutil.which("ip") is None:
        skip("no ip (iproute2)")
    if sh("unshare", "-m", "true", check=False).returncode != 0:
        skip("cannot make a mount namespace here")
    if sh("ip", "netns", "add", NETNS, check=False).returncode != 0:
        skip("cannot make a network namespace here")


def build_netns():
    """The example's addresses exist, its seeds are on-link and silent."""
    sh("ip", "-n", NETNS, "link", "set", "lo", "up")
    # A veth pair inside the namespace: kernels without the dummy module
    # have it, and nothing answers on its other end.
    sh("ip", "-n", NETNS, "link", "add", "eth0", "type", "veth", "peer",
       "name", "eth0p")
    sh("ip", "-n", NETNS, "addr", "add", f"{ADDR}/24", "dev", "eth0")
    sh("ip", "-n", NETNS, "link", "set", "eth0p", "up")
    sh("ip", "-n", NETNS, "link", "set", "eth0", "up")


class Node:
    """The example configuration, adapted in paths and ports only (and the
    all-zero authority, which the operator must replace: here by a real
    one), with the unit's directories and a dynamic user's ownership."""

    def __init__(self, work):
        self.work = work
        self.conf_dir = os.path.join(work, "etc")        # /etc/meshbeat
        self.state = os.path.join(work, "state")         # StateDirectory
        self.runtime = os.path.join(work, "run")         # RuntimeDirectory
        self.socket = os.path.join(self.runtime, "admin.sock")
        self.conf = os.path.join(self.conf_dir, "meshbeat.conf")
        self.log = os.path.join(work, "agent.log")
        self.group_file = os.path.join(work, "group")
        os.chmod(work, 0o755)
        os.mkdir(self.conf_dir, 0o755)
        os.mkdir(self.state, 0o700)
        os.mkdir(self.runtime, 0o750)
        self.certify()
        self.write_conf()
        self.write_group_file()
        for d in (self.state, self.runtime):
            os.chown(d, DYN_UID, DYN_GID)
        os.chown(os.path.join(self.state, "node.key"), DYN_UID, DYN_GID)
        self.proc = None

    def cli(self, *args):
        return sh(MB, *args).stdout

    def certify(self):
        auth_key = os.path.join(self.work, "authority.key")
        self.authority = self.cli("keygen", "--out", auth_key).split()[0]
        node_id = self.cli("keygen", "--out",
                           os.path.join(self.state, "node.key")).split()[0]
        self.cli("cert", "issue", "--authority", auth_key, "--node-id",
                 node_id, "--name", "store-01", "--domain", "rack-a",
                 "--out", os.path.join(self.conf_dir, "node.cert"))

    def write_conf(self):
        with open(EXAMPLE) as f:
            text = f.read()
        edits = {
            '"0.0.0.0:7946"': f'"0.0.0.0:{PORT}"',
            '# advertise = "10.0.0.11:7946"': f'advertise = "{ADDR}:{PORT}"',
            # the seeds: a member of the mesh (none answers here)
            '{"seed1.invalid:7946", "seed2.invalid:7946"}':
                f'{{"127.0.0.1:{PORT + 9}"}}',
            '"/var/lib/meshbeat/': f'"{self.state}/',
            '"/etc/meshbeat/': f'"{self.conf_dir}/',
            '"' + "0" * 64 + '"': f'"{self.authority}"',
            '# name = "store-01"': 'name = "store-01"',
            '# domain = "rack-a"': 'domain = "rack-a"',
        }
        for old, new in edits.items():
            if old not in text:
                fail(f"the example no longer has {old}: adapt the test")
            text = text.replace(old, new)
        with open(self.conf, "w") as f:
            f.write(text)
        os.chmod(self.conf, 0o644)

    def write_group_file(self):
        """The group the unit's DynamicUser= makes: systemd's NSS module
        names it; here /etc/group does, inside the sandbox only."""
        with open("/etc/group") as f:
            text = f.read()
        with open(self.group_file, "w") as f:
            f.write(text + f"meshbeat:x:{DYN_GID}:\n")
        os.chmod(self.group_file, 0o644)

    def argv(self, drop=()):
        unit = us.parse_unit(UNIT)
        box = us.sandbox_argv(unit, SANDBOX,
                              os.path.join(self.work, "allowed-syscalls"),
                              writable=[self.state, self.runtime],
                              user=(DYN_UID, DYN_GID),
                              bind_ro=[f"{self.group_file}:/etc/group"],
                              drop=drop)
        # The unit's ExecStart, with this node's paths.
        return ["ip", "netns", "exec", NETNS] + box + [
            MB, "agent", "--config", self.conf, "--data-dir", self.state,
            "--admin-socket", self.socket]

    def start(self, drop=()):
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.argv(drop), stdout=log,
                                         stderr=log, stdin=subprocess.DEVNULL)
        wait_for(self.serving, "the agent to serve its admin socket")

    def serving(self):
        if self.proc.poll() is not None:
            fail(f"the agent exited with {self.proc.returncode} "
                 f"({describe(self.proc.returncode)}):\n{self.log_text()}")
        return os.path.exists(self.socket) and sh(
            MB, "members", "--admin-socket", self.socket,
            check=False).returncode == 0

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def members_as(self, uid, gid):
        """`meshbeat members` run by another user of the group."""
        return sh("setpriv", f"--reuid={uid}", f"--regid={gid}",
                  "--clear-groups", MB, "members", "--admin-socket",
                  self.socket, check=False)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=20)
        if rc != 0:
            fail(f"SIGTERM: exit {rc} ({describe(rc)}), not 0:\n"
                 f"{self.log_text()}")
        left = os.listdir(self.runtime)
        if left:
            fail(f"left behind in the runtime directory: {left}")


def describe(rc):
    if rc is not None and rc < 0:
        return f"killed by {signal.Signals(-rc).name}"
    if rc is not None and rc > 128:
        return f"killed by {signal.Signals(rc - 128).name}?"
    return "exit code"


def log_messages(node):
    return [l.get("msg", "") for l in us.log_lines(node.log)]


def check_members(node):
    out = node.cli("members", "--admin-socket", node.socket)
    if "store-01" not in out or " alive " not in out:
        fail(f"members does not show store-01 alive:\n{out}")
    return out


def test_restrictions(node):
    node.start()
    check_members(node)
    mode = os.stat(node.socket)
    if mode.st_gid != DYN_GID or stat.S_IMODE(mode.st_mode) != 0o660:
        fail(f"the socket is {oct(mode.st_mode)} group {mode.st_gid}, not "
             f"0660 group meshbeat ({DYN_GID})")
    p = node.members_as(GROUP_MEMBER_UID, DYN_GID)
    if p.returncode != 0:
        fail(f"a member of admin_group cannot use the CLI: {p.stderr}")
    msgs = log_messages(node)
    want = f"advertising {ADDR}:{PORT} (from advertise)"
    if want not in msgs:
        fail(f"no '{want}' in the log:\n{node.log_text()}")
    node.stop()


def test_chown_refused(node):
    node.start(drop=["@chown"])
    check_members(node)
    warned = [m for m in log_messages(node) if "chown() was refused" in m]
    if not warned or "meshbeat" not in warned[0]:
        fail(f"no clear warning about the refused chown:\n{node.log_text()}")
    if stat.S_IMODE(os.stat(node.socket).st_mode) != 0o600:
        fail("without its group the socket must be the agent's alone (0600)")
    p = node.members_as(GROUP_MEMBER_UID, DYN_GID)
    if p.returncode != 3:
        fail(f"a group member got in without the group: {p.returncode}")
    node.stop()


def run_case(fn):
    preconditions()
    work = tempfile.mkdtemp(prefix="meshbeat-unit-", dir=os.getcwd())
    ok = False
    node = None
    try:
        build_netns()
        node = Node(work)
        fn(node)
        ok = True
        print(f"{CASE}: PASS")
    finally:
        if node is not None and node.proc is not None and \
                node.proc.poll() is None:
            node.proc.kill()
            node.proc.wait()
        sh("ip", "netns", "del", NETNS, check=False)
        if not ok:
            print(f"{CASE}: FAIL; work directory {work}")
        if ok and os.environ.get("MESHBEAT_KEEP") != "1":
            shutil.rmtree(work, ignore_errors=True)


def systemd_is_pid1():
    return os.path.isdir("/run/systemd/system")


def test_systemd_run_in_container():
    """Where systemd is not PID 1: the same case inside systemd booted as
    PID 1 of a container over this host's files (the build tree included),
    or skipped saying why that cannot be made here."""
    from systemd_container import SystemdContainer, Unavailable
    work = tempfile.mkdtemp(prefix="meshbeat-systemd-")
    try:
        with SystemdContainer(work) as c:
            t0 = time.monotonic()
            p = c.run([sys.executable, os.path.abspath(__file__), *sys.argv[1:]],
                      cwd=os.getcwd(), check=False, timeout=100)
            print(p.stdout + p.stderr, end="")
            if p.returncode != 0:
                fail(f"systemd_run in the container: exit {p.returncode}")
            print(f"(in a container booted by systemd "
                  f"{c.run(['systemctl', '--version']).stdout.split()[1]}; "
                  f"the case took {time.monotonic() - t0:.1f} s)")
    except Unavailable as e:
        skip(f"systemd is not PID 1 here, and {e}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_systemd_run():
    """The unit itself, started by systemd: a transient copy of it with this
    build's binary, its own state and runtime directory names, and the
    example configuration with an open mesh on loopback (a dynamic user
    cannot read a key made for it beforehand)."""
    if os.geteuid() != 0:
        skip("needs root: systemctl start of a system unit")
    if not systemd_is_pid1():
        test_systemd_run_in_container()
        return
    name = f"meshbeat-test-{os.getpid()}"
    unit_path = f"/run/systemd/system/{name}.service"
    conf = f"/run/{name}.conf"
    sock = f"/run/{name}/admin.sock"
    with open(EXAMPLE) as f:
        text = f.read()
    lines = []
    for line in text.splitlines():
        key = line.split("=")[0].strip()
        if key in ("bind", "advertise", "join", "authority", "key", "cert"):
            continue
        lines.append(line)
    lines += [f'bind = "127.0.0.1:{PORT}"', 'authority = "none"']
    with open(conf, "w") as f:
        f.write("\n".join(lines) + "\n")
    os.chmod(conf, 0o644)
    # The unit hides /tmp (PrivateTmp=) and /root, /home (ProtectHome=),
    # where a build tree may well be: the service runs a copy from /run,
    # which it sees, under the unit's restrictions unchanged.
    binary = f"/run/{name}.meshbeat"
    shutil.copy2(os.path.realpath(MB), binary)
    os.chmod(binary, 0o755)
    out, skipping = [], False
    for line in open(UNIT).read().splitlines():
        if skipping:
            skipping = line.endswith("\\")
            continue
        if line.startswith("ExecStart="):
            out.append(f"ExecStart={binary} agent --config "
                       f"{conf} --data-dir /var/lib/{name} --admin-socket "
                       f"{sock}")
            # A sanitized build's settings (ctest gives them: LeakSanitizer
            # needs ptrace, which the unit's filter denies) reach the
            # service, which does not inherit the test's environment.
            for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
                if os.environ.get(var):
                    out.append(f"Environment={var}={os.environ[var]}")
            skipping = line.endswith("\\")
            continue
        for key in ("StateDirectory=", "RuntimeDirectory="):
            if line.startswith(key):
                line = key + name
        out.append(line.replace("@CMAKE_INSTALL_FULL_BINDIR@", "/usr/bin"))
    with open(unit_path, "w") as f:
        f.write("\n".join(out) + "\n")
    try:
        sh("systemctl", "daemon-reload")
        p = sh("systemctl", "start", name, check=False)
        if p.returncode != 0:
            fail(f"systemctl start: {p.stderr}\n" +
                 sh("journalctl", "-u", name, "--no-pager", check=False).stdout)
        out = sh(MB, "members", "--admin-socket", sock).stdout
        if " alive " not in out:
            fail(f"members under systemd: {out}")
        sh("systemctl", "stop", name)
        show = sh("systemctl", "show", name, "-p", "Result",
                  "-p", "ExecMainStatus").stdout
        if "Result=success" not in show or "ExecMainStatus=0" not in show:
            fail(f"the agent did not leave cleanly under systemd: {show}\n" +
                 sh("journalctl", "-u", name, "--no-pager",
                    check=False).stdout)
        if os.path.exists(sock):
            fail("the socket was left behind")
        print("systemd_run: PASS")
    finally:
        sh("systemctl", "stop", name, check=False)
        os.unlink(unit_path)
        os.unlink(conf)
        os.unlink(binary)
        sh("systemctl", "daemon-reload", check=False)


def test_unknown_group():
    """An admin_group that names no group: a refusal that says so (no
    root needed)."""
    with tempfile.TemporaryDirectory() as d:
        group = f"mb-no-such-group-{os.getpid()}"
        for extra in ([], ["--check"]):
            p = subprocess.run(
                [MB, "agent", "--bind", f"127.0.0.1:{PORT}", "--authority",
                 "none", "--data-dir", d, "--admin-group", group, *extra],
                capture_output=True, text=True, timeout=20)
            if p.returncode != 2 or f"admin_group (--admin-group): " \
                    f"'{group}' is not a group" not in p.stderr:
                fail(f"unknown admin_group {extra}: exit {p.returncode}\n"
                     f"{p.stderr}")
            if os.listdir(d):
                fail(f"a refused configuration made {os.listdir(d)}")
    print("unknown_group: PASS")


if CASE == "systemd_run":
    test_systemd_run()
elif CASE == "unknown_group":
    test_unknown_group()
else:
    run_case({"restrictions": test_restrictions,
              "chown_refused": test_chown_refused}[CASE])
