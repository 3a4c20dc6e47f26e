"""Real meshbeat agents on loopback, for the process-level tests.

A Mesh makes a throwaway authority, keys and certificates with the real
CLI, starts `meshbeat agent` processes with their own data directories and
admin sockets, and talks to them over the admin socket (JSON lines). Waits
poll the agents' own answers until a condition holds or a deadline passes;
the deadline is a bound, not a sleep standing in for an event.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time


class MeshError(AssertionError):
    pass


def admin_call(path, request, timeout=5.0):
    """One request line, one response line."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall((json.dumps(request) + "\n").encode())
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                raise MeshError(f"{path}: connection closed mid-answer")
            buf += chunk
        return json.loads(buf)


class Agent:
    def __init__(self, mesh, idx):
        self.mesh, self.idx = mesh, idx
        self.name = f"n{idx}"
        self.host = mesh.host_of(idx)
        self.port = mesh.port_of(idx)
        self.dir = os.path.join(mesh.root, self.name)
        self.admin = os.path.join(self.dir, "admin.sock")
        self.proc = None
        self.node_id = None
        self.extra = []  # more agent arguments, e.g. ["--http-addr", ...]

    def argv(self, join):
        a = self.mesh.prefix_of(self.idx) + [
             self.mesh.meshbeat, "agent", "--name", self.name,
             "--bind", f"{self.host}:{self.port}", "--data-dir", self.dir,
             "--admin-socket", self.admin, "--cluster", self.mesh.cluster,
             "--log-format", "json", "--log-level", "debug"]
        if self.mesh.authority_id:
            a += ["--authority", self.mesh.authority_id,
                  "--key", os.path.join(self.dir, "node.key"),
                  "--cert", os.path.join(self.dir, "node.cert")]
        for j in join:
            a += ["--join", f"{self.mesh.host_of(j)}:{self.mesh.port_of(j)}"]
        return a + self.extra

    def start(self, join=()):
        log = open(os.path.join(self.mesh.root, f"{self.name}.log"), "ab")
        self.proc = subprocess.Popen(self.argv(join), stdout=log, stderr=log,
                                     stdin=subprocess.DEVNULL)
        log.close()
        self.mesh.wait(lambda: self.answers(), f"{self.name} admin socket", 20)

    def answers(self):
        if self.proc.poll() is not None:
            raise MeshError(f"{self.name} exited with {self.proc.returncode};"
                            f" see {self.mesh.root}/{self.name}.log")
        try:
            return admin_call(self.admin, {"cmd": "info"}, 1.0)["ok"]
        except (OSError, ValueError):
            return False

    def call(self, cmd, **args):
        r = admin_call(self.admin, dict(cmd=cmd, **args))
        if not r.get("ok"):
            raise MeshError(f"{self.name} {cmd}: {r}")
        return r["result"]

    def states(self):
        """name -> (state, incarnation) in this agent's view."""
        return {m["name"]: (m["state"], m["incarnation"])
                for m in self.call("members")}

    def kill(self, sig=signal.SIGKILL):
        self.proc.send_signal(sig)
        return self.proc.wait(timeout=20)


class Mesh:
    """N agents; by default all on 127.0.0.1 at base_port + i.  Subclasses
    place them elsewhere (network namespaces) through the *_of methods."""

    def __init__(self, n, meshbeat, base_port, authority=True,
                 cluster="meshbeat-test"):
        self.meshbeat, self.base_port, self.cluster = meshbeat, base_port, cluster
        self.root = tempfile.mkdtemp(prefix="meshbeat-mesh-")
        self.authority_id = None
        self.agents = [Agent(self, i) for i in range(n)]
        for a in self.agents:
            os.makedirs(a.dir, mode=0o700)
        if authority:
            self._certify()

    def host_of(self, idx):
        return "127.0.0.1"

    def port_of(self, idx):
        return self.base_port + idx

    def prefix_of(self, idx):
        return []

    def cli(self, *args):
        return subprocess.run([self.meshbeat, *args], check=True,
                              capture_output=True, text=True).stdout

    def _certify(self):
        auth = os.path.join(self.root, "authority.key")
        self.authority_id = self.cli("keygen", "--out", auth).split()[0]
        for a in self.agents:
            key = os.path.join(a.dir, "node.key")
            a.node_id = self.cli("keygen", "--out", key).split()[0]
            self.cli("cert", "issue", "--authority", auth, "--node-id",
                     a.node_id, "--name", a.name, "--out",
                     os.path.join(a.dir, "node.cert"))

    def start_all(self):
        self.agents[0].start()
        for a in self.agents[1:]:
            a.start(join=[0])

    def wait(self, cond, what, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return time.monotonic()
            time.sleep(0.05)
        raise MeshError(f"timed out after {timeout} s waiting for {what}")

    def running(self):
        return [a for a in self.agents
                if a.proc is not None and a.proc.poll() is None]

    def all_see(self, name, state, min_incarnation=0, observers=None):
        for a in observers or self.running():
            st = a.states().get(name)
            if st is None or st[0] != state or st[1] < min_incarnation:
                return False
        return True

    def converged(self):
        names = {a.name for a in self.running()}
        return all(set(n for n, (st, _) in a.states().items()
                       if st == "alive") >= names for a in self.running())

    def stop(self):
        for a in self.running():
            a.proc.kill()
            a.proc.wait()

    def cleanup(self, keep):
        self.stop()
        if not keep:
            shutil.rmtree(self.root, ignore_errors=True)


def run_test(mesh, fn, label):
    """Runs fn(mesh); on failure keeps the logs and says where they are."""
    ok = False
    try:
        fn(mesh)
        ok = True
        print(f"{label}: PASS")
    finally:
        if not ok:
            print(f"{label}: FAIL; logs in {mesh.root}")
        mesh.cleanup(keep=not ok or os.environ.get("MESHBEAT_KEEP") == "1")
