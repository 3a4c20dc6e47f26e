"""A mesh whose agents run the RAID coordinator, for the process-level
tests and the bench (tests/agent/test_raid_netns.py, bench/bench_raid.py).

RaidMesh is a mixin for meshlib.Mesh and its subclasses: agent i is in
failure domain DOMAINS[i % 3] by its certificate, the voters' certificates
carry the role "coordinator" (`meshbeat cert issue --role coordinator`),
every agent is given the same voters list, a grace period and the hook
executor tests/agent/raid_hook.sh, which writes what it is asked into
hook_dir.  Everything is read through the CLI's --json answers (docs/cli.md),
as an operator would read it.
"""
import glob
import json
import os
import subprocess
import time

from meshlib import MeshError

DOMAINS = ("rack-a", "rack-b", "rack-c")
HOOK = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                    "raid_hook.sh")


class RaidMesh:
    """Set VOTERS (names) before Mesh.__init__ runs; then raid_setup()."""

    VOTERS = ("n0", "n1", "n2")

    def domain_of(self, idx):
        return DOMAINS[idx % len(DOMAINS)]

    def _certify(self):
        auth = os.path.join(self.root, "authority.key")
        self.authority_id = self.cli("keygen", "--out", auth).split()[0]
        for a in self.agents:
            key = os.path.join(a.dir, "node.key")
            a.node_id = self.cli("keygen", "--out", key).split()[0]
            role = ["--role", "coordinator"] if a.name in self.VOTERS else []
            self.cli("cert", "issue", "--authority", auth, "--node-id",
                     a.node_id, "--name", a.name, "--domain",
                     self.domain_of(a.idx), *role, "--out",
                     os.path.join(a.dir, "node.cert"))

    def raid_setup(self, grace_ms, extra=()):
        """Every agent: the voters, the grace before out, the hook."""
        self.grace_ms = grace_ms
        self.hook_dir = os.path.join(self.root, "hook")
        os.makedirs(self.hook_dir, exist_ok=True)
        for a in self.agents:
            a.extra += ["--raid-voters", ",".join(self.VOTERS),
                        "--raid-down-out-interval-ms", str(grace_ms),
                        "--raid-executor", f"{HOOK} {self.hook_dir}",
                        *extra]

    def release_hooks(self):
        """Hooks waiting (and every later one) report all and finish."""
        open(os.path.join(self.hook_dir, "release"), "w").close()

    # ---- the CLI, as an operator runs it --------------------------------

    def run_cli(self, agent, *args, timeout=30):
        """(exit code, stdout, stderr) of `meshbeat ARGS --admin-socket`."""
        p = subprocess.run([self.meshbeat, *args, "--admin-socket",
                            agent.admin], capture_output=True, text=True,
                           timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def ask(self, agent, *args, timeout=30):
        """The --json answer; MeshError unless the command exits 0."""
        rc, out, err = self.run_cli(agent, *args, "--json", timeout=timeout)
        if rc != 0:
            raise MeshError(f"{agent.name}: meshbeat {' '.join(args)} exited "
                            f"{rc}: {err.strip() or out.strip()}")
        return json.loads(out)

    def coordinator(self, agent):
        return self.ask(agent, "coordinator")

    def arrays(self, agent):
        return {a["name"]: a for a in self.ask(agent, "raid", "list")}

    def tasks(self, agent):
        return {t["id"]: t for t in self.ask(agent, "tasks")}

    def ledger(self, agent):
        return {d["device"]: d for d in self.ask(agent, "ledger")}

    def agent_named(self, name):
        return next(a for a in self.agents if a.name == name)

    def voters_running(self):
        return [a for a in self.running() if a.name in self.VOTERS]

    def leader(self, observers=None, min_term=0):
        """The leader's name when every observer (default: the running
        voters) names the same one, it is running and says it leads, in a
        term above min_term; else None."""
        observers = observers or self.voters_running()
        seen = [self.coordinator(a) for a in observers]
        names = {s["leader"] for s in seen}
        if len(names) != 1 or None in names:
            return None
        name = names.pop()
        lead = [a for a in self.running() if a.name == name]
        if not lead:
            return None
        st = self.coordinator(lead[0])
        if st["role"] != "leader" or st["term"] <= min_term:
            return None
        return name

    def wait_leader(self, what, timeout, **kw):
        found = []
        self.wait(lambda: found.append(self.leader(**kw)) or found[-1],
                  what, timeout)
        return found[-1]

    # ---- what the hooks were asked --------------------------------------

    def hook_runs(self, ending="start"):
        """Every hook run so far: dicts of its MESHBEAT_* variables, with
        `at` (s since the epoch) and `file`."""
        runs = []
        for path in sorted(glob.glob(os.path.join(self.hook_dir,
                                                  f"task-*.{ending}"))):
            with open(path) as f:
                run = dict(line.rstrip("\n").split("=", 1) for line in f
                           if "=" in line)
            run["at"] = float(run["at"])
            run["file"] = os.path.basename(path)
            runs.append(run)
        return sorted(runs, key=lambda r: (int(r["MESHBEAT_TASK_ID"]),
                                           r["MESHBEAT_TARGET"]))
