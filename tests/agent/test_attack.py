#!/usr/bin/python3
"""Attacks on a live mesh: five agents in network namespaces, and a hostile
peer (tests/agent/attacker.c) in a sixth on the same bridge.

usage: test_attack.py MESHBEAT ATTACKER [--json FILE] [--seconds S]
                      [--modes MODE,...]
The JSON report also goes to $MESHBEAT_ATTACK_JSON when set; the attack
length per mode to $MESHBEAT_ATTACK_SECONDS (default 20).

Each mode floods for S seconds as fast as the attacker can send, one mode
after the other in the same mesh, then asserts what must hold whatever an
attacker sends:
  - no healthy member is declared dead by any agent;
  - no healthy member stays suspect longer than a refutation takes
    (REFUTE_S, from the agents' own event logs: suspect -> alive), and
    none is suspected at all while replays are relayed;
  - datagrams that are not authenticated (forged certificates, a member's
    kid with a bad signature or ref with a bad MAC, garbage) get no reply
    at all, and replays none but the introduction an unbound join draws,
    no larger than the join (and none when none was captured);
  - the attacked agent rejected what it rejected for the reason the mode
    aims at (EXPECTED_REASONS), so a datagram refused early for an
    unrelated reason (say, unbound) cannot pass for a check that held; and
    the claims of the claim modes were taken (the victim refuted them);
  - after the attack every agent sees every other alive.
Datagrams between members are bound to their receiver (its node ref in the
body, its id and epoch in the external AAD): every attack that is meant to
reach past that binds its datagrams to its target, with the epoch the
target's `info` shows.
It reports, without asserting a bound, what the attacked agent paid: its
CPU time during the attack (/proc/PID/stat) per datagram it rejected
(meshbeat_datagrams_rejected_total) and per datagram it received.

Needs root, `ip netns` and nft like test_netns.py; otherwise exits 77.
MESHBEAT_KEEP=1 keeps logs, captures and data.
"""
import datetime
import json
import os
import re
import signal
import subprocess
import sys
import time

from meshlib import MeshError, run_test
import test_netns
from test_netns import NetnsMesh, sh, skip

AGENTS = 5               # namespaces 0..4; the attacker lives in namespace 5
ATTACKER_NS = 5
ATTACKER_PORT = 7946
VICTIM = 1               # subject of the claims, target of the floods
REFUTE_S = 3.0           # the longest a healthy member may stay suspect
SETTLE_S = 30            # bound on the mesh converging again after a mode
CAPTURE_S = 4            # seconds of real traffic captured for the replays
CLK_TCK = os.sysconf("SC_CLK_TCK")

UNAUTHENTICATED = {"forged-certs", "bad-signature", "forged-mac", "garbage"}
REPLAYS = {"replay-relay", "replay-restart"}
MODES = ["dead-claims", "suspect-claims", "max-incarnation", "forged-certs",
         "bad-signature", "forged-mac", "garbage", "replay-relay",
         "replay-restart"]
# What the attacked agent must have rejected the attack's datagrams for:
# the check each mode aims at, for at least EXPECTED_SHARE of its
# rejections (and MAIN_REASON for that share of those; REACHED at least
# once: the check itself ran).  A member's signed datagrams are checked
# 400 a second at most, the rest refused as "budget"; the attacker as a
# member signs only until its target has heard of it, then MACs.
EXPECTED_REASONS = {
    "max-incarnation": {"claim", "budget"},
    "forged-certs": {"admission"},
    "bad-signature": {"signature", "budget"},  # 400 verified a second
    "forged-mac": {"signature"},
    "garbage": {"malformed"},
    "replay-relay": {"binding", "replay"},     # bound to n2; unbound joins
    # bound to n1's earlier epoch; signed ones past the budget
    "replay-restart": {"signature", "binding", "replay", "budget"},
}
MAIN_REASON = {"replay-relay": "binding", "replay-restart": "signature",
               "bad-signature": "budget"}
REACHED = {"max-incarnation": "claim", "bad-signature": "signature"}
EXPECTED_SHARE = 0.9
NO_SUSPICION = {"replay-relay"}


def agent_pid(agent):
    """The agent's own pid (`ip netns exec` execs it, but be sure)."""
    pid = agent.proc.pid
    for _ in range(50):
        with open(f"/proc/{pid}/comm") as f:
            if f.read().strip() == "meshbeat":
                return pid
        time.sleep(0.02)
    raise MeshError(f"{agent.name}: pid {pid} is not meshbeat")


def cpu_s(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def counters(agent):
    text = agent.call("metrics")
    rej = {m.group(1): int(m.group(2)) for m in re.finditer(
        r'meshbeat_datagrams_rejected_total\{reason="(\w+)"\} (\d+)', text)}
    recv = int(re.search(r"^meshbeat_datagrams_received_total (\d+)$", text,
                         re.M).group(1))
    return rej, recv


def udp_drops(mesh, idx):
    """Datagrams the kernel of namespace idx dropped for a full socket
    buffer (RcvbufErrors in /proc/net/snmp, per namespace)."""
    out = subprocess.run(["ip", "netns", "exec", mesh.ns(idx), "cat",
                          "/proc/net/snmp"], check=True, capture_output=True,
                         text=True).stdout
    head, vals = [l.split() for l in out.splitlines()
                  if l.startswith("Udp:")][:2]
    return int(vals[head.index("RcvbufErrors")])


def sent_total(agent):
    return int(re.search(r"^meshbeat_datagrams_sent_total (\d+)$",
                         agent.call("metrics"), re.M).group(1))


def machine_busy_s():
    """CPU seconds the whole machine spent busy (all cores, /proc/stat)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return (sum(v[:8]) - v[3] - v[4]) / CLK_TCK  # minus idle and iowait


def all_process_cpu():
    """(pid, name) -> CPU seconds, for every process on the machine."""
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                text = f.read()
        except OSError:
            continue
        name = text[text.index("(") + 1:text.rindex(")")]
        fields = text.rsplit(")", 1)[1].split()
        out[(int(pid), name)] = (int(fields[11]) + int(fields[12])) / CLK_TCK
    return out


def others_top(before, after, exclude):
    """The processes outside the test that used the most CPU meanwhile."""
    grew = {}
    for (pid, name), t in after.items():
        if pid in exclude or name in ("meshbeat", "meshbeat-attack"):
            continue
        d = t - before.get((pid, name), 0.0)
        if d >= 0.1:
            grew[name] = round(grew.get(name, 0.0) + d, 2)
    return dict(sorted(grew.items(), key=lambda kv: -kv[1])[:4])


def when(ev):
    return datetime.datetime.fromisoformat(
        ev["time"].replace("Z", "+00:00")).timestamp()


class AttackMesh(NetnsMesh):
    """NetnsMesh's six namespaces: agents in the first five, the attacker
    in the last, with a certificate of its own from the same authority."""

    def __init__(self, meshbeat, attacker):
        super().__init__(meshbeat)
        self.attacker = attacker
        self.events_seen = {}   # agent name -> last event seq read
        self.suspect_since = {}  # (observer, member) -> time
        auth = os.path.join(self.root, "authority.key")
        self.att_key = os.path.join(self.root, "mallory.key")
        self.att_cert = os.path.join(self.root, "mallory.cert")
        self.att_id = self.cli("keygen", "--out", self.att_key).split()[0]
        self.cli("cert", "issue", "--authority", auth, "--node-id",
                 self.att_id, "--name", "mallory", "--out", self.att_cert)

    def agents_up(self):
        return self.agents[:AGENTS]

    def start_mesh(self):
        self.agents[0].start()
        for a in self.agents[1:AGENTS]:
            a.start(join=[0])

    def addr(self, idx):
        return f"{self.host_of(idx)}:{self.port_of(idx)}"

    def receiver(self, idx):
        """--receiver for agent idx: its node id and current epoch, which
        a datagram bound to it names."""
        a = self.agents[idx]
        return f"{a.node_id}:{a.call('info')['epoch']}"

    def attack(self, mode, seconds, targets, *extra, bound=True):
        argv = ["ip", "netns", "exec", self.ns(ATTACKER_NS), self.attacker,
                mode, "--cluster", self.cluster, "--duration", str(seconds)]
        for t in targets:
            argv += ["--target", self.addr(t)]
        if bound:
            for t in targets:
                argv += ["--receiver", self.receiver(t)]
        out = subprocess.run(argv + list(extra), check=True,
                             capture_output=True, text=True).stdout
        return json.loads(out.strip().splitlines()[-1])

    def capture(self, idx, seconds, path):
        out = subprocess.run(
            ["ip", "netns", "exec", self.ns(idx), self.attacker, "capture",
             "--duration", str(seconds), "--out", path, "--port",
             str(self.port_of(idx))], check=True, capture_output=True,
            text=True).stdout
        return json.loads(out)["captured"]

    def new_events(self, agent):
        """Events the agent logged since we last asked, oldest first."""
        out = []
        while True:
            since = self.events_seen.get(agent.name, 0)
            page = agent.call("events", since=since, limit=5000)
            page = [e for e in page if e["seq"] > since]
            if not page:
                return out
            out += page
            self.events_seen[agent.name] = page[-1]["seq"]

    def judge_events(self, healthy, now):
        """Reads every agent's new events; returns (deaths of healthy
        members, suspicions of them longer than REFUTE_S, suspicions seen,
        the longest one) and keeps open suspicions for the next call."""
        deaths, long_, n_susp, longest = [], [], 0, 0.0
        for a in self.running():
            for e in self.new_events(a):
                if e["name"] not in healthy:
                    continue
                key = (a.name, e["name"])
                if e["to"] == "dead":
                    deaths.append((a.name, e))
                if e["to"] == "suspect":
                    n_susp += 1
                    self.suspect_since.setdefault(key, when(e))
                elif key in self.suspect_since:
                    d = when(e) - self.suspect_since.pop(key)
                    longest = max(longest, d)
                    if d > REFUTE_S:
                        long_.append((a.name, e["name"], round(d, 2)))
        for (obs, name), t in self.suspect_since.items():
            d = now - t
            longest = max(longest, d)
            if d > REFUTE_S:
                long_.append((obs, name, round(d, 2), "still suspect"))
        return deaths, long_, n_susp, longest


def measure(mesh, targets, run):
    """Runs the attack `run` and returns what the targets paid for it."""
    before = {}
    drops0 = {i: udp_drops(mesh, i) for i in range(AGENTS)}
    sent0 = {a.name: (agent_pid(a), sent_total(a)) for a in mesh.agents_up()}
    agents_cpu0 = {a.name: (agent_pid(a), cpu_s(agent_pid(a)))
                   for a in mesh.agents_up()}
    busy0 = machine_busy_s()
    procs0 = all_process_cpu()
    for i in targets:
        a = mesh.agents[i]
        rej, recv = counters(a)
        before[i] = (agent_pid(a), cpu_s(agent_pid(a)), rej, recv)
    result = run()
    busy = machine_busy_s() - busy0
    kids = result.get("cpu_s", 0.0)  # the attacker's own account
    others = others_top(procs0, all_process_cpu(), {os.getpid()})
    agents_cpu = 0.0
    for a in mesh.agents_up():
        pid, c0 = agents_cpu0[a.name]
        agents_cpu += cpu_s(agent_pid(a)) - (c0 if agent_pid(a) == pid else 0)
    # Where the machine's CPU went: the agents, the attacker, and the rest
    # (the kernel's packet work not charged to them, and other processes:
    # on a shared 2-core box these alone can starve the agents).
    result["cpu"] = {"machine_busy_s": round(busy, 2),
                     "agents_s": round(agents_cpu, 2),
                     "attacker_s": round(kids, 2),
                     "other_s": round(busy - agents_cpu - kids, 2),
                     "other_processes": others}
    result["kernel_drops"] = {f"n{i}": udp_drops(mesh, i) - drops0[i]
                              for i in range(AGENTS)}
    # What the mesh itself sent meanwhile (a restarted agent's counter
    # starts again from zero).
    result["mesh_sent"] = sum(
        sent_total(a) - (sent0[a.name][1] if agent_pid(a) == sent0[a.name][0]
                         else 0) for a in mesh.agents_up())
    cost = {}
    for i in targets:
        a = mesh.agents[i]
        pid0, cpu0, rej0, recv0 = before[i]
        pid = agent_pid(a)
        rej, recv = counters(a)
        if pid != pid0:  # restarted during the attack: counters restart too
            cpu0, rej0, recv0 = 0.0, {}, 0
        grew = {k: v - rej0.get(k, 0) for k, v in rej.items()
                if v - rej0.get(k, 0) > 0}
        cost[a.name] = {"cpu_s": round(cpu_s(pid) - cpu0, 2),
                        "received": recv - recv0,
                        "rejected": sum(grew.values()),
                        "rejected_by_reason": grew}
    return result, cost


def without_source(src_path, dst_path, host):
    """The captured lines not sent from host (capture's "SRC DST HEX")."""
    kept = dropped = 0
    with open(src_path) as f, open(dst_path, "w") as out:
        for line in f:
            if line.startswith(f"{host}:"):
                dropped += 1
            else:
                out.write(line)
                kept += 1
    return kept, dropped


def restart(mesh, agent, note):
    """kill -9 and a start on the same store: a new epoch, a higher
    incarnation.  Returns once every agent holds the new life's record and
    sees everyone alive; what the restart itself caused (others suspect it
    while their datagrams are still bound to its old epoch) goes into note,
    not to the attack's account."""
    healthy = {a.name for a in mesh.agents_up()}
    mesh.judge_events(healthy, time.time())
    mesh.suspect_since.clear()
    epoch0 = agent.call("info")["epoch"]
    t0 = time.monotonic()
    agent.kill(signal.SIGKILL)
    agent.start(join=[0])
    info = agent.call("info")
    mesh.wait(lambda: mesh.all_see(agent.name, "alive",
                                   min_incarnation=info["incarnation"])
              and mesh.all_see_all(), f"{agent.name}'s new life in every "
              f"view", SETTLE_S)
    deaths, long_, n_susp, longest = mesh.judge_events(healthy, time.time())
    mesh.suspect_since.clear()
    note["restart"] = {"epoch_before": epoch0, "epoch_after": info["epoch"],
                       "incarnation_after": info["incarnation"],
                       "settled_s": round(time.monotonic() - t0, 2),
                       "suspicions": n_susp,
                       "longest_suspicion_s": round(longest, 2),
                       "deaths": len(deaths)}
    print(f"restart of {agent.name} before the replays: {note['restart']}",
          flush=True)


def run_mode(mesh, mode, seconds, tmp):
    victim = mesh.agents[VICTIM]
    everyone = list(range(AGENTS))
    claims = ["--key", mesh.att_key, "--cert", mesh.att_cert,
              "--victim", victim.node_id, "--member", "mallory",
              "--bind", f"{mesh.host_of(ATTACKER_NS)}:{ATTACKER_PORT}"]
    extra_note = {}
    prepare = None  # run before the measured attack
    if mode == "idle":  # the baseline: what a quiet mesh costs and sends
        targets = [VICTIM]

        def run():
            time.sleep(seconds)
            return {"mode": "idle", "sent": 0, "seconds": seconds,
                    "rate_per_s": 0, "replies": 0, "reply_bytes": 0}
    elif mode in ("dead-claims", "suspect-claims", "max-incarnation"):
        inc = victim.states()[victim.name][1]
        targets = everyone
        run = lambda: mesh.attack(mode, seconds, targets, *claims,
                                  "--incarnation", str(inc))
        extra_note["victim_incarnation_before"] = inc
    elif mode == "forged-certs":
        # Join requests: the one unbound datagram admission reads.
        targets = [VICTIM]
        run = lambda: mesh.attack(mode, seconds, targets, "--authority",
                                  mesh.authority_id, bound=False)
    elif mode in ("bad-signature", "forged-mac"):
        # n2's kid (Sign1) or node ref (Mac0), bound to n1.
        targets = [VICTIM]
        run = lambda: mesh.attack(mode, seconds, targets, "--kid",
                                  mesh.agents[2].node_id)
    elif mode == "garbage":
        targets = [VICTIM]
        run = lambda: mesh.attack(mode, seconds, targets, bound=False)
    elif mode == "replay-relay":
        # Real datagrams addressed to n2 (bound to it), sent to n1; not
        # those n1 itself sent n2, which n1 refuses as its own.
        raw = os.path.join(tmp, "to-n2.raw.hex")
        path = os.path.join(tmp, "to-n2.hex")
        extra_note["captured"] = mesh.capture(2, CAPTURE_S, raw)
        kept, dropped = without_source(raw, path, victim.host)
        extra_note["captured_from_victim_left_out"] = dropped
        if kept == 0:
            raise MeshError(f"nothing captured on its way to n2 but from n1 "
                            f"in {CAPTURE_S} s")
        targets = [VICTIM]
        run = lambda: mesh.attack(mode, seconds, targets, "--captured", path,
                                  bound=False)
    elif mode == "replay-restart":
        # Real datagrams addressed to n1, sent again to n1 once it has
        # restarted after a kill -9 (its replay windows start empty, its
        # epoch is new).
        path = os.path.join(tmp, "to-n1.hex")
        extra_note["captured"] = mesh.capture(VICTIM, CAPTURE_S, path)
        if extra_note["captured"] == 0:
            raise MeshError(f"nothing captured on its way to n1 in "
                            f"{CAPTURE_S} s")
        targets = [VICTIM]
        prepare = lambda: restart(mesh, victim, extra_note)
        run = lambda: mesh.attack(mode, seconds, targets, "--captured", path,
                                  bound=False)
    else:
        raise MeshError(f"unknown mode {mode}")
    if prepare is not None:
        prepare()
    t0 = time.monotonic()
    result, cost = measure(mesh, targets, run)
    result.update(extra_note)
    result["targets"] = [mesh.agents[i].name for i in targets]
    result["cost"] = cost
    try:
        mesh.wait(lambda: mesh.all_see_all(), "every agent to see every "
                  "other alive after the attack", SETTLE_S)
        result["settled_s"] = round(time.monotonic() - t0 - seconds, 2)
    except MeshError as e:
        result["settled_s"] = None
        result["not_settled"] = str(e)
    if mode.startswith(("dead", "suspect")):
        result["victim_incarnation_after"] = victim.states()[victim.name][1]
    return result


def wrong_reasons(mode, r):
    """Why the victim's rejections do not show the check the mode aims at
    (None when they do)."""
    want = EXPECTED_REASONS.get(mode)
    if want is None:
        return None
    c = r["cost"][VICTIM_NAME]
    by = c["rejected_by_reason"]
    aimed = sum(n for k, n in by.items() if k in want)
    main = MAIN_REASON.get(mode)
    if c["rejected"] == 0 or aimed < EXPECTED_SHARE * c["rejected"]:
        return (f"{VICTIM_NAME} rejected {by}, not mostly for "
                f"{sorted(want)}")
    if main is not None and by.get(main, 0) < EXPECTED_SHARE * aimed:
        return f"{VICTIM_NAME} rejected {by}, not mostly for {main}"
    if mode in REACHED and not by.get(REACHED[mode]):
        return f"{VICTIM_NAME} rejected {by}, none for {REACHED[mode]}"
    return None


def all_see_all(mesh):
    names = {a.name for a in mesh.agents_up()}
    for a in mesh.agents_up():
        st = a.states()
        if any(st.get(n, ("?",))[0] != "alive" for n in names):
            return False
    return True


def table(results):
    head = (f"{'mode':<16} {'sent/s':>8} {'replies':>7} {'target':>6} "
            f"{'received':>9} {'rejected':>9} {'k.drops':>8} {'cpu s':>6} "
            f"{'us/rej':>7} {'us/recv':>7} {'mesh/s':>7} {'susp':>5} "
            f"{'longest':>7} {'deaths':>6} {'other cpu':>9}  why rejected")
    lines = [head, "-" * len(head)]
    for r in results:
        name = VICTIM_NAME
        c = r["cost"].get(name) or next(iter(r["cost"].values()))
        per_rej = (f"{1e6 * c['cpu_s'] / c['rejected']:.1f}"
                   if c["rejected"] else "-")
        per_recv = (f"{1e6 * c['cpu_s'] / c['received']:.1f}"
                    if c["received"] else "-")
        lines.append(
            f"{r['mode']:<16} {r['rate_per_s']:>8.0f} {r['replies']:>7} "
            f"{name:>6} {c['received']:>9} {c['rejected']:>9} "
            f"{r['kernel_drops'][name]:>8} {c['cpu_s']:>6.2f} {per_rej:>7} "
            f"{per_recv:>7} {r['mesh_sent'] / r['seconds']:>7.0f} "
            f"{r['suspicions']:>5} {r['longest_suspicion_s']:>7.2f} "
            f"{len(r['deaths']):>6} {r['cpu']['other_s']:>9.2f}  "
            f"{reasons(c)}")
    return "\n".join(lines)


VICTIM_NAME = f"n{VICTIM}"


def reasons(cost):
    """"signature" or "binding 93%, replay 7%": the victim's rejections."""
    by, n = cost["rejected_by_reason"], cost["rejected"]
    if not n:
        return "-"
    top = sorted(by.items(), key=lambda kv: -kv[1])
    if len(top) == 1:
        return top[0][0]
    return ", ".join(f"{k} {100 * v / n:.0f}%" for k, v in top[:3])


def survives_kill9(mesh):
    """The claims drove the victim's incarnation up by refutation: after a
    kill -9 it must start above it, from its own store, before it hears
    anything from the mesh (a refuted 1032 used to come back as 32)."""
    victim = mesh.agents[VICTIM]
    before = victim.call("info")["incarnation"]
    victim.kill(signal.SIGKILL)
    victim.start(join=())
    after = victim.call("info")["incarnation"]
    print(f"kill -9 after refutations: incarnation {before} -> {after}",
          flush=True)
    if after <= before:
        raise MeshError(f"refuted incarnation {before} not persisted: "
                        f"restarted at {after}")
    mesh.wait(mesh.all_see_all, "the victim back in every view", SETTLE_S)
    mesh.judge_events({a.name for a in mesh.agents_up()}, time.time())
    mesh.suspect_since.clear()  # a real death and restart: not judged


def test_attack(mesh, modes, seconds, json_path):
    mesh.all_see_all = lambda: all_see_all(mesh)
    mesh.start_mesh()
    mesh.wait(mesh.all_see_all, "5 agents to converge", 40)
    healthy = {a.name for a in mesh.agents_up()}
    mesh.judge_events(healthy, time.time())  # the start is not an attack
    mesh.suspect_since.clear()
    results, failures = [], []
    for mode in ["idle"] + modes:
        r = run_mode(mesh, mode, 5 if mode == "idle" else seconds, mesh.root)
        deaths, long_, n_susp, longest = mesh.judge_events(healthy,
                                                           time.time())
        r.update(deaths=[f"{o}: {e['name']} {e['from']}->dead "
                         f"({e['reason']}, inc {e['incarnation']})"
                         for o, e in deaths],
                 long_suspicions=long_, suspicions=n_susp,
                 longest_suspicion_s=round(longest, 2))
        results.append(r)
        print(json.dumps(r), flush=True)
        if deaths:
            failures.append(f"{mode}: healthy members declared dead: "
                            f"{r['deaths'][:10]}")
        if long_:
            failures.append(f"{mode}: suspected longer than {REFUTE_S} s: "
                            f"{long_[:10]}")
        if mode in UNAUTHENTICATED and r["replies"]:
            failures.append(f"{mode}: {r['replies']} replies "
                            f"({r['reply_bytes']} bytes) to unauthenticated "
                            f"datagrams")
        if mode in REPLAYS:
            # Only an unbound join is read by anyone, once (its sequence
            # number then is a replay), and answered with no more bytes.
            allowed = r["captured_kinds"]["unbound_bytes"]
            if r["reply_bytes"] > allowed:
                failures.append(f"{mode}: {r['replies']} replies "
                                f"({r['reply_bytes']} bytes) to replays, "
                                f"more than the {allowed} bytes of unbound "
                                f"joins among them")
        if mode in NO_SUSPICION and n_susp:
            failures.append(f"{mode}: {n_susp} suspicions of healthy "
                            f"members")
        why = wrong_reasons(mode, r)
        if why:
            failures.append(f"{mode}: {why}")
        if (mode in ("dead-claims", "suspect-claims") and
                r["victim_incarnation_after"] <=
                r["victim_incarnation_before"]):
            failures.append(f"{mode}: {VICTIM_NAME} never refuted: the "
                            f"claims did not reach it")
        if r["settled_s"] is None:
            failures.append(f"{mode}: {r['not_settled']}")
        mesh.suspect_since.clear()  # a failure is reported once
    if any(m in modes for m in ("dead-claims", "suspect-claims")):
        try:
            survives_kill9(mesh)
        except MeshError as e:
            failures.append(str(e))
    print(table(results))
    report = {"seconds_per_mode": seconds, "victim": VICTIM_NAME,
              "cpus": os.cpu_count(), "modes": results}
    for path in filter(None, [json_path,
                              os.environ.get("MESHBEAT_ATTACK_JSON")]):
        with open(path, "w") as f:
            json.dump(report, f, indent=1)
        print(f"report written to {path}")
    if failures:
        raise MeshError("safety violated:\n  " + "\n  ".join(failures))


def main():
    args = sys.argv[1:]
    if len(args) < 2:
        print(__doc__)
        sys.exit(2)
    meshbeat, attacker = os.path.abspath(args[0]), os.path.abspath(args[1])
    opts = dict(zip(args[2::2], args[3::2]))
    seconds = float(opts.get("--seconds",
                             os.environ.get("MESHBEAT_ATTACK_SECONDS", 20)))
    modes = opts.get("--modes", ",".join(MODES)).split(",")
    if os.geteuid() != 0:
        skip("network namespaces need root")
    for tool in ("ip", "nft"):
        if test_netns.shutil.which(tool) is None:
            skip(f"{tool} is not installed (scripts/install-deps.sh adds it)")
    probe = f"mbt-probe-{os.getpid()}"
    if sh("ip", "netns", "add", probe, check=False).returncode != 0:
        skip("cannot create network namespaces here (no CAP_SYS_ADMIN?)")
    sh("ip", "netns", "del", probe, check=False)
    mesh = AttackMesh(meshbeat, attacker)
    run_test(mesh, lambda m: test_attack(m, modes, seconds,
                                         opts.get("--json")), "netns_attack")


if __name__ == "__main__":
    main()
