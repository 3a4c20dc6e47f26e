#!/usr/bin/python3
"""Multi-host tests: six agents, each in its own network namespace, on veth
links to a bridge; faults are nft drop rules inside the namespaces.

usage: test_netns.py MESHBEAT TEST      TEST: loss | partition
Needs root, `ip netns` and nft; otherwise it says why and exits 77 (ctest
counts that as skipped).  MESHBEAT_KEEP=1 keeps logs and namespaces' data.
"""
import os
import shutil
import subprocess
import sys
import time

from meshlib import Mesh, MeshError, run_test

N = 6
SUBNET = "10.77.{tag}.{host}"
DETECT_S = 40


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True)


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(77)


class NetnsMesh(Mesh):
    """Agent i runs in namespace mbt<pid>-i at 10.77.<tag>.(i+1):7946; the
    namespaces hang off a bridge in a hub namespace, so nothing touches the
    host's own network."""

    def __init__(self, meshbeat):
        self.tag = os.getpid() % 200 + 20
        self.prefix = f"mbt{os.getpid()}"
        self.hub = f"{self.prefix}-hub"
        super().__init__(N, meshbeat, 7946)
        self._build_network()

    def ns(self, idx):
        return f"{self.prefix}-{idx}"

    def host_of(self, idx):
        return SUBNET.format(tag=self.tag, host=idx + 1)

    def port_of(self, idx):
        return 7946

    def prefix_of(self, idx):
        return ["ip", "netns", "exec", self.ns(idx)]

    def _build_network(self):
        sh("ip", "netns", "add", self.hub)
        sh("ip", "-n", self.hub, "link", "add", "br0", "type", "bridge")
        sh("ip", "-n", self.hub, "link", "set", "br0", "up")
        for i in range(N):
            ns = self.ns(i)
            sh("ip", "netns", "add", ns)
            sh("ip", "link", "add", f"mbv{self.tag}h{i}", "netns", self.hub,
               "type", "veth", "peer", "name", "eth0", "netns", ns)
            sh("ip", "-n", self.hub, "link", "set", f"mbv{self.tag}h{i}",
               "master", "br0", "up")
            sh("ip", "-n", ns, "addr", "add", f"{self.host_of(i)}/24", "dev",
               "eth0")
            sh("ip", "-n", ns, "link", "set", "eth0", "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")

    def nft(self, idx, script):
        subprocess.run(["ip", "netns", "exec", self.ns(idx), "nft", "-f", "-"],
                       input=script, check=True, text=True,
                       capture_output=True)

    def drop_random(self, idx, percent):
        """Drops `percent` % of this host's meshbeat datagrams, both ways."""
        self.nft(idx, f"""table inet mbloss {{
  chain in  {{ type filter hook input priority 0; udp dport 7946 numgen random mod 100 < {percent} drop; }}
  chain out {{ type filter hook output priority 0; udp sport 7946 numgen random mod 100 < {percent} drop; }}
}}""")

    def cut_off(self, idx, others):
        addrs = ", ".join(self.host_of(j) for j in others)
        self.nft(idx, f"""table inet mbpart {{
  chain in  {{ type filter hook input priority 0; ip saddr {{ {addrs} }} drop; }}
  chain out {{ type filter hook output priority 0; ip daddr {{ {addrs} }} drop; }}
}}""")

    def heal(self, idx):
        self.nft(idx, "delete table inet mbpart")

    def cleanup(self, keep):
        self.stop()
        for i in range(N):
            sh("ip", "netns", "del", self.ns(i), check=False)
        sh("ip", "netns", "del", self.hub, check=False)
        if not keep:
            shutil.rmtree(self.root, ignore_errors=True)


def dead_events(agent, except_names=()):
    return [e for e in agent.call("events", limit=100000)
            if e["to"] == "dead" and e["name"] not in except_names]


def test_loss(mesh):
    """10 % of one host's datagrams dropped for 40 s: nobody is declared
    dead (Lifeguard's promise under loss), and a crash elsewhere is still
    detected by every survivor."""
    mesh.start_all()
    mesh.wait(mesh.converged, "6 agents to converge", DETECT_S)
    mesh.drop_random(5, 10)
    deadline = time.monotonic() + 40
    mesh.wait(lambda: time.monotonic() > deadline or
              any(dead_events(a) for a in mesh.running()),
              "40 s of loss to pass", 60)
    for a in mesh.running():
        if dead_events(a):
            raise MeshError(f"{a.name} declared a live member dead under 10 % "
                            f"loss: {dead_events(a)}")
    victim = mesh.agents[2]
    victim.kill()
    t = time.monotonic()
    mesh.wait(lambda: mesh.all_see(victim.name, "dead"),
              "every survivor to declare n2 dead under loss", DETECT_S)
    print(f"n2 dead everywhere {time.monotonic() - t:.2f} s after SIGKILL, "
          f"with 10 % loss at n5")
    for a in mesh.running():
        if dead_events(a, except_names=[victim.name]):
            raise MeshError(f"false deaths at {a.name}: {dead_events(a)}")


def test_partition(mesh):
    """{0,1,2} | {3,4,5}: each side declares the other dead; after the heal
    both sides re-merge with no join and no operator action."""
    mesh.start_all()
    mesh.wait(mesh.converged, "6 agents to converge", DETECT_S)
    left, right = [0, 1, 2], [3, 4, 5]
    for i in left:
        mesh.cut_off(i, right)
    for i in right:
        mesh.cut_off(i, left)
    t = time.monotonic()
    for side, other in ((left, right), (right, left)):
        obs = [mesh.agents[i] for i in side]
        for j in other:
            mesh.wait(lambda: mesh.all_see(f"n{j}", "dead", observers=obs),
                      f"n{j} dead on the other side", DETECT_S)
    print(f"partition detected on both sides in {time.monotonic() - t:.2f} s")
    for a in mesh.running():  # within its own side, nobody died
        side = left if a.idx in left else right
        mine = {f"n{i}" for i in side}
        bad = [e for e in dead_events(a) if e["name"] in mine]
        if bad:
            raise MeshError(f"{a.name} declared its own side dead: {bad}")
    for i in range(N):
        mesh.heal(i)
    t = time.monotonic()
    mesh.wait(mesh.converged, "both sides to re-merge after the heal", 120)
    print(f"re-merged {time.monotonic() - t:.2f} s after the heal")


TESTS = {"loss": test_loss, "partition": test_partition}


def main():
    meshbeat, name = os.path.abspath(sys.argv[1]), sys.argv[2]
    if os.geteuid() != 0:
        skip("network namespaces need root")
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            skip(f"{tool} is not installed (scripts/install-deps.sh adds it)")
    probe = f"mbt-probe-{os.getpid()}"
    if sh("ip", "netns", "add", probe, check=False).returncode != 0:
        skip("cannot create network namespaces here (no CAP_SYS_ADMIN?)")
    sh("ip", "netns", "del", probe, check=False)
    mesh = NetnsMesh(meshbeat)
    run_test(mesh, TESTS[name], f"netns_{name}")


if __name__ == "__main__":
    main()
