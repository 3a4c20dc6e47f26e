"""The bridge end to end: real agents on loopback post to the reference
receiver (tools/receiver) over HTTPS, with a CA made for the run.

usage: test_bridge.py MESHBEAT TEST BASE_PORT

Tests (issue 11's "Done when"):
  mesh      5 agents post their view; a member SIGKILLed gives exactly one
            machine.offline with a valid signature, its restart exactly one
            machine.online; Flynas heartbeats carry each device's token
  outage    the receiver is down for a minute while members die and come
            back, then answers 500, then 429 with Retry-After, then hangs
            past the timeout: every event arrives afterwards, once, in
            order, nothing parked
  handover  the active bridge is SIGKILLed in the middle of an outage: the
            next one delivers everything the first had not confirmed
  kill_loop kill -9 of the active bridge in a loop while a member dies and
            returns: nothing lost, order kept
  pause     the active bridge stopped (SIGSTOP) until the mesh declares it
            dead, then continued: its offline from the next bridge, its own
            online from itself once it is active again
  drain     a drain instruction in a view's answer reaches the device, which
            every member shows draining within seconds; undrain ends it
"""
import base64
import json
import os
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools", "receiver"))

from meshlib import Mesh, MeshError, run_test  # noqa: E402
from receiver_client import ReceiverError, ReceiverProcess  # noqa: E402
import make_certs  # noqa: E402

N = 5
DETECT_S = 30  # a bound on detection, handover and delivery; not a sleep
FLAP_HOLD_S = 60  # gossip.flap_hold_ms: a third death's hold
# The outage of test_outage; MESHBEAT_BRIDGE_OUTAGE_S=600 makes it the
# ten minutes and more the issue names (by hand: too long for the suite).
OUTAGE_S = int(os.environ.get("MESHBEAT_BRIDGE_OUTAGE_S", "60"))
TOKEN = "test-token-3f9c2a"


class BridgeMesh(Mesh):
    """N agents, all eligible, posting to one receiver."""

    def setup_bridge(self, extra_receiver=()):
        tls = os.path.join(self.root, "tls")
        os.makedirs(tls)
        make_certs.main(tls)
        self.secret = os.urandom(32)
        self.secret_file = self._write("webhook.secret", "whsec_" +
                                       base64.b64encode(self.secret).decode())
        self.token_file = self._write("view.token", TOKEN)
        self.flynas_file = self._write(
            "flynas.tokens", "".join(f"n{i} flynas-token-{i}\n"
                                     for i in range(3)))
        self.receiver = ReceiverProcess(
            ["--webhook-secret-file", self.secret_file, "--token-file",
             self.token_file, "--flynas-token-file", self.flynas_file,
             *extra_receiver], tls_dir=tls)
        url = self.receiver.url
        eligible = []
        for a in self.agents:
            eligible += ["--bridge-eligible", a.name]
        for a in self.agents:
            a.extra = [
                "--bridge-endpoint", f"{url}/v1/heartbeat",
                "--bridge-token-file", self.token_file,
                "--bridge-flynas-endpoint", f"{url}/api/raid/heartbeat",
                "--bridge-flynas-token-file", self.flynas_file,
                "--bridge-webhook-url", f"{url}/v1/events",
                "--bridge-webhook-secret-file", self.secret_file,
                "--bridge-ca-file", os.path.join(tls, "ca.pem"),
                "--bridge-interval-ms", "2000",
                "--bridge-connect-timeout-ms", "1000",
                "--bridge-timeout-ms", "2000",
                "--bridge-retry-max-ms", "2000", *eligible]

    def _write(self, name, text):
        path = os.path.join(self.root, name)
        with open(path, "w") as f:
            f.write(text + ("" if text.endswith("\n") else "\n"))
        os.chmod(path, 0o600)
        return path

    def cleanup(self, keep):
        self.receiver.stop()
        super().cleanup(keep)

    def by_name(self, name):
        return next(a for a in self.agents if a.name == name)

    def active(self):
        """The active bridge every running agent names, or None."""
        names = {a.call("bridge")["active_name"] for a in self.running()}
        return self.by_name(names.pop()) if len(names) == 1 and \
            None not in names else None

    def wait_active(self, not_name=None):
        holder = []

        def agreed():
            b = self.active()
            if b is None or b.name == not_name or b.proc.poll() is not None:
                return False
            holder.append(b)
            return True
        self.wait(agreed, "one active bridge named by every agent",
                  DETECT_S)
        return holder[-1]

    def events(self):
        return self.receiver.received()["events"]

    def wait_events(self, n, what):
        try:
            return self.receiver.wait(lambda g: g["events"]["count"] >= n,
                                      DETECT_S + 60, what)["events"]
        except ReceiverError:
            raise MeshError(f"timed out waiting for {what}: "
                            f"{self.events_in_short()}") from None

    def events_in_short(self):
        """What came and what every agent holds, in a line CI shows whole:
        the receiver's events, then per agent its active bridge, its
        webhook outbox depth and its states of the others."""
        got = [f"{e['type'].split('.')[-1]} {e['member']}"
               for e in self.events()["list"]]
        agents = []
        for a in self.running():
            try:
                states = {n: f"{s}@{i}" for n, (s, i) in a.states().items()}
                agents.append(f"{a.name}: bridge "
                              f"{a.call('bridge')['active_name']} outbox "
                              f"{self.outbox(a)['outbox_depth']} {states}")
            except (MeshError, OSError) as e:
                agents.append(f"{a.name}: {e}")
        return f"received {got}; " + "; ".join(agents)

    def outbox(self, agent, dest="webhook"):
        for d in agent.call("bridge")["destinations"]:
            if d["name"] == dest:
                return d
        raise MeshError(f"{agent.name}: no destination {dest}")


def check_signed_once(got):
    """Every event once after de-duplication by id (a handover may send
    one again: the receiver drops it), its signature valid, and never two
    bodies under one id."""
    for e in got["list"]:
        if e["valid_signature"] is not True:
            raise MeshError(f"event {e['id']} without a valid signature")
        if e["conflicts"]:
            raise MeshError(f"event {e['id']} came with two bodies")


def check_pairs(events):
    """Per member: offline, online, offline... each online ending the
    offline before it.  Returns {member: [types]}."""
    seen = {}
    last_offline = {}
    for e in events:
        kinds = seen.setdefault(e["member"], [])
        want = "machine.offline" if len(kinds) % 2 == 0 else "machine.online"
        if e["type"] != want:
            raise MeshError(f"{e['member']}: {e['type']} after {kinds}")
        if want == "machine.online" and e["ends"] != last_offline[e["member"]]:
            raise MeshError(f"{e['id']} ends {e['ends']}, not "
                            f"{last_offline[e['member']]}")
        if want == "machine.offline":
            last_offline[e["member"]] = e["id"]
        kinds.append(e["type"])
    return seen


def wait_drained(mesh):
    """Every running agent's webhook outbox is empty, and stays so while
    the active bridge posts two more views (nothing else was coming)."""
    def drained():
        return all(mesh.outbox(a)["outbox_depth"] == 0
                   for a in mesh.running())
    mesh.wait(drained, "every outbox drained", DETECT_S + 60)
    views = mesh.receiver.received()["views"]["count"]
    mesh.receiver.wait(lambda g: g["views"]["count"] >= views + 2,
                       DETECT_S, "two more views")


def check_one_death_each(mesh, *agents):
    """Once every outbox drained: each agent named died and came back
    once (an offline, then the online ending it, each once and signed),
    and nobody else."""
    wait_drained(mesh)
    got = mesh.events()
    check_signed_once(got)
    types = check_pairs(got["list"])
    want = {a.name: ["machine.offline", "machine.online"] for a in agents}
    if types != want:
        raise MeshError(f"events {types}")
    return got


def test_mesh(mesh):
    mesh.setup_bridge()
    mesh.start_all()
    mesh.wait(mesh.converged, "convergence", DETECT_S)
    bridge = mesh.wait_active()
    got = mesh.receiver.wait(
        lambda g: g["views"]["latest"] is not None and
        g["views"]["latest"]["bridge"]["live"] == N, DETECT_S,
        "a view of all members")
    view = got["views"]["latest"]
    if view["bridge"]["name"] != bridge.name or \
            len(view["members"]) != N:
        raise MeshError(f"view from {view['bridge']} of "
                        f"{len(view['members'])} members")
    if got["rejected"]["view"]:
        raise MeshError(f"views refused: {got['rejected']['view']}")
    silent = [m["name"] for m in view["members"] if not m["health"]]
    if silent:  # every member's heartbeat carries memory and load
        raise MeshError(f"no health figures in the view for {silent}")
    mesh.receiver.wait(lambda g: set(g["flynas"]["devices"]) ==
                       {"n0", "n1", "n2"}, DETECT_S,
                       "Flynas heartbeats of the three devices with tokens")
    victim = next(a for a in mesh.agents if a is not bridge)
    victim.kill()
    first = mesh.wait_events(1, f"{victim.name}'s offline")
    victim.start(join=[a.idx for a in mesh.running() if a is not victim][:1])
    mesh.wait_events(2, f"{victim.name}'s online")
    got = check_one_death_each(mesh, victim)
    print(f"{got['duplicates']} repeated deliveries (dropped by id)")
    print(f"offline after kill: {first['list'][0]['received_at']}")
    check_rotation_and_parking(mesh, bridge)


def check_rotation_and_parking(mesh, bridge):
    """A token rotated on disk is used after SIGHUP: a wrong one gets 401,
    which parks the view (retrying cannot help) with a log line and a
    metric; the right one again, after another SIGHUP, gets views in."""
    def rotate(token):
        with open(mesh.token_file, "w") as f:
            f.write(token + "\n")
        for a in mesh.running():
            a.proc.send_signal(signal.SIGHUP)
    rotate("wrong-token")
    mesh.wait(lambda: mesh.outbox(bridge, "view")["parked"] >= 1,
              "a view parked after the 401", DETECT_S)
    parked = re.search(r'deliveries_total\{destination="view",'
                       r'result="parked"\} ([0-9]+)',
                       bridge.call("metrics"))
    if parked is None or int(parked.group(1)) < 1:
        raise MeshError("no parked view in the metrics")
    with open(os.path.join(mesh.root, f"{bridge.name}.log")) as f:
        if not re.search(r"view .* parked: the endpoint answered HTTP 401",
                         f.read()):
            raise MeshError("no log line for the parked view")
    views = mesh.receiver.received()["views"]["count"]
    rotate(TOKEN)
    mesh.receiver.wait(lambda g: g["views"]["count"] > views, DETECT_S,
                       "a view accepted with the token restored")


def test_outage(mesh):
    mesh.setup_bridge()
    mesh.start_all()
    mesh.wait(mesh.converged, "convergence", DETECT_S)
    bridge = mesh.wait_active()
    others = [a for a in mesh.agents if a is not bridge]
    mesh.receiver.control("close")
    down_at = time.monotonic()
    others[0].kill()
    others[1].kill()
    mesh.wait(lambda: mesh.outbox(bridge)["outbox_depth"] >= 2,
              "two offlines queued at the bridge", DETECT_S)
    others[1].start(join=[bridge.idx])
    mesh.wait(lambda: mesh.outbox(bridge)["outbox_depth"] >= 3,
              "the online queued", DETECT_S)
    ob = mesh.outbox(bridge)
    if ob["oldest_age_s"] is None or ob["last_error"] is None:
        raise MeshError(f"outbox during the outage: {ob}")
    check_doc_commands(mesh, bridge)
    left = OUTAGE_S - (time.monotonic() - down_at)
    if left > 0:
        time.sleep(left)  # the outage itself: a minute, as the issue says
    mesh.receiver.control("open")
    mesh.wait_events(3, "the three events after the outage")
    # Then an endpoint that fails in every other way, one after another,
    # each while others[0] dies or comes back.
    victim = others[0]
    for fault in ("events status 500", "events 429 3", "events hang"):
        mesh.receiver.control(fault)
        n, retries = mesh.events()["count"], mesh.outbox(bridge)["retries"]
        if victim.proc.poll() is None:
            victim.kill()
        else:
            victim.start(join=[bridge.idx])
        mesh.wait(lambda: mesh.outbox(bridge)["retries"] > retries,
                  f"a retry under '{fault}'", DETECT_S)
        mesh.receiver.control("events ok")
        got = mesh.wait_events(n + 1, f"the event held back by '{fault}'")
        if fault == "events 429 3":
            check_retry_after(mesh, got["list"][n]["id"], 3.0)
    wait_drained(mesh)
    got = mesh.events()
    check_signed_once(got)
    check_pairs(got["list"])
    parked = [mesh.outbox(a)["parked"] for a in mesh.running()]
    if got["count"] != 6 or any(parked):
        raise MeshError(f"{got['count']} events, parked {parked}")


def check_doc_commands(mesh, bridge):
    """operations.md's "Running the bridge" commands, run as written on the
    active bridge during the outage: its table names the queued webhook
    deliveries, and the metrics their depth."""
    text = open(os.path.join(ROOT, "docs", "operations.md")).read()
    section = text.split("\n### Running the bridge\n", 1)[1] \
        .split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", section, re.S)
    if len(blocks) != 1:
        raise MeshError(f"{len(blocks)} sh blocks in Running the bridge")
    env = dict(os.environ, MESHBEAT_ADMIN_SOCKET=bridge.admin,
               PATH=os.path.dirname(mesh.meshbeat) + ":" + os.environ["PATH"])
    p = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", blocks[0]],
                       capture_output=True, text=True, timeout=30, env=env)
    if p.returncode != 0 or \
            not re.search(r"^webhook\s+[1-9]", p.stdout, re.M) or \
            not re.search(r'outbox_depth\{destination="webhook"\} [1-9]',
                          p.stdout):
        raise MeshError(f"operations.md's bridge commands: rc {p.returncode}"
                        f"\n{p.stdout}{p.stderr}")


def check_retry_after(mesh, event_id, seconds):
    """The first 429 for the event and the next request for it are at
    least Retry-After apart (the receiver's log: one line per answer)."""
    def mine(ln, status):
        return ln.get("kind") == "events" and ln.get("id") == event_id and \
            ln.get("status") == status
    t429 = mesh.receiver.wait_log(lambda ln: mine(ln, 429), DETECT_S,
                                  "the 429's log line")["time"]
    t200 = mesh.receiver.wait_log(lambda ln: mine(ln, 200), DETECT_S,
                                  "the 200's log line")["time"]
    gap = parse_time(t200) - parse_time(t429)
    if gap < seconds - 0.1:
        raise MeshError(f"retried {gap:.2f} s after a 429 asking {seconds} s")
    print(f"retried {gap:.2f} s after 429 with Retry-After: {seconds:g}")


def parse_time(text):
    from datetime import datetime
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def test_handover(mesh):
    mesh.setup_bridge()
    mesh.start_all()
    mesh.wait(mesh.converged, "convergence", DETECT_S)
    first = mesh.wait_active()
    victim = next(a for a in mesh.agents if a is not first)
    mesh.receiver.control("close")
    victim.kill()
    mesh.wait(lambda: all(mesh.outbox(a)["outbox_depth"] >= 1
                          for a in mesh.running()),
              "the offline held by every eligible member", DETECT_S)
    first.kill()
    second = mesh.wait_active(not_name=first.name)
    mesh.wait(lambda: mesh.outbox(second)["outbox_depth"] >= 2,
              "the next bridge holding both offlines", DETECT_S)
    mesh.receiver.control("open")
    got = mesh.wait_events(2, "both offlines from the next bridge")
    members = sorted(e["member"] for e in got["list"])
    if members != sorted([victim.name, first.name]):
        raise MeshError(f"offlines of {members}")
    check_signed_once(mesh.events())
    check_pairs(mesh.events()["list"])


def test_kill_loop(mesh):
    """Each round kills the active bridge with SIGKILL and restarts it once
    the next one took over; a member dies in the first round and returns in
    the second, straddling a handover.  The bridge killed a third time in
    the hour is held out for flapping when it restarts (flap.c): its online
    follows when the hold ends, and no offline is sent for it meanwhile."""
    mesh.setup_bridge()
    mesh.start_all()
    mesh.wait(mesh.converged, "convergence", DETECT_S)
    kills = {}
    victim = None
    for round_ in range(3):
        bridge = mesh.wait_active()
        if round_ == 0:
            victim = next(a for a in mesh.agents if a is not bridge)
            victim.kill()
            kills[victim.name] = 1
        kills[bridge.name] = kills.get(bridge.name, 0) + 1
        bridge.kill()
        mesh.wait_active(not_name=bridge.name)
        seed = next(a for a in mesh.running()).idx
        bridge.start(join=[seed])
        if round_ == 1:
            victim.start(join=[seed])
        mesh.wait(mesh.converged, "convergence after the restarts",
                  DETECT_S + FLAP_HOLD_S)
        # The next kill waits until the receiver has this round's events
        # (the victim's online comes in round 1).  Killed again before it
        # delivered its own online, a bridge whose successor joined after
        # that online was derived sees the successor's next offline of it
        # overtake that online: a known gap (docs/bridge.md, "Handover").
        so_far = 2 * sum(kills.values()) - (1 if round_ == 0 else 0)
        mesh.wait_events(so_far, f"round {round_}'s {so_far} events")
    want = 2 * sum(kills.values())
    mesh.wait_events(want, f"{want} events")
    wait_drained(mesh)
    got = mesh.events()
    check_signed_once(got)
    types = check_pairs(got["list"])
    counts = {m: len(t) // 2 for m, t in types.items()}
    if counts != kills or got["count"] != want:
        raise MeshError(f"kills {kills}, events {types}")
    print(f"kills {kills}: {want} events, each once, in order")


def test_pause(mesh):
    """A bridge that never died in its own eyes: stopped long enough for
    the mesh to declare it dead, then continued, it refutes at a new
    incarnation and is the active bridge again.  Only the others derived
    its death, so its online reaches the receiver only if it learns its
    episode from their cursors, whenever those arrive (before or after
    its refutation, before or after the others re-admitted it)."""
    mesh.setup_bridge()
    mesh.start_all()
    mesh.wait(mesh.converged, "convergence", DETECT_S)
    bridge = mesh.wait_active()
    others = [a for a in mesh.agents if a is not bridge]
    bridge.proc.send_signal(signal.SIGSTOP)
    mesh.receiver.wait(lambda g: g["events"]["count"] >= 1, DETECT_S,
                       f"{bridge.name}'s offline from the next bridge")
    mesh.wait(lambda: mesh.all_see(bridge.name, "dead", observers=others),
              f"{bridge.name} dead everywhere", DETECT_S)
    # Long enough for the others' cursors naming its death to be old news
    # (gossip no longer carries them): it can learn its episode only from
    # the cursors they announce after they re-admitted it.
    views = mesh.receiver.received()["views"]["count"]
    mesh.receiver.wait(lambda g: g["views"]["count"] >= views + 3,
                       DETECT_S, "three views from the next bridge")
    bridge.proc.send_signal(signal.SIGCONT)
    mesh.wait(mesh.converged, f"{bridge.name} alive again", DETECT_S)
    mesh.wait_events(2, f"{bridge.name}'s online")
    check_one_death_each(mesh, bridge)


def test_comeback(mesh):
    """The active bridge dies and is back before the next one could
    deliver its offline (the receiver is closed meanwhile).  Seeing it
    again, the next one steps down with the offline still queued, and the
    others take it for the active bridge and send nothing: only the
    returned bridge can report its own death, from the episode their
    cursors name, and it must send that offline before its online."""
    mesh.setup_bridge()
    mesh.start_all()
    mesh.wait(mesh.converged, "convergence", DETECT_S)
    bridge = mesh.wait_active()
    mesh.receiver.control("close")
    bridge.kill()
    mesh.wait_active(not_name=bridge.name)
    mesh.wait(lambda: all(mesh.outbox(a)["outbox_depth"] >= 1
                          for a in mesh.running()),
              f"{bridge.name}'s offline held by every other member", DETECT_S)
    seed = next(a for a in mesh.running()).idx
    bridge.start(join=[seed])
    mesh.wait(mesh.converged, f"{bridge.name} back", DETECT_S)
    if mesh.wait_active() is not bridge:
        raise MeshError(f"{bridge.name} is not the active bridge again")
    mesh.receiver.control("open")
    mesh.wait_events(2, f"{bridge.name}'s offline and online")
    check_one_death_each(mesh, bridge)


def test_late_bridge(mesh):
    """A member dies with the active bridge; the bridge comes back while
    the member is still down, so its view never showed that death, and is
    the active bridge again when the member returns.  Only the others
    derived the member's online, and they do not send it while another is
    active: the bridge must take it from the episode their cursors name
    (bridge_held.c) and send it, after the offline."""
    mesh.setup_bridge()
    mesh.start_all()
    mesh.wait(mesh.converged, "convergence", DETECT_S)
    bridge = mesh.wait_active()
    member = next(a for a in mesh.agents if a is not bridge)
    member.kill()
    bridge.kill()
    mesh.wait_active(not_name=bridge.name)
    mesh.wait_events(2, f"the offlines of {member.name} and {bridge.name}")
    seed = next(a for a in mesh.running()).idx
    bridge.start(join=[seed])
    mesh.wait(mesh.converged, f"{bridge.name} back", DETECT_S)
    if mesh.wait_active() is not bridge:
        raise MeshError(f"{bridge.name} is not the active bridge again")
    mesh.wait_events(3, f"{bridge.name}'s online")
    member.start(join=[seed])
    mesh.wait(mesh.converged, f"{member.name} back", DETECT_S)
    mesh.wait_events(4, f"{member.name}'s online")
    check_one_death_each(mesh, member, bridge)


def test_drain(mesh):
    mesh.setup_bridge()
    mesh.start_all()
    mesh.wait(mesh.converged, "convergence", DETECT_S)
    mesh.wait_active()
    device = mesh.agents[2]

    def shown(flag):
        return all(next(m for m in a.call("members")
                        if m["name"] == device.name).get("draining") is flag
                   for a in mesh.running())
    mesh.receiver.control(f"instruct drain {device.name} ins-1")
    t0 = time.monotonic()
    mesh.wait(lambda: shown(True), "draining shown by every member", 20)
    print(f"drain shown everywhere after {time.monotonic() - t0:.2f} s")
    mesh.receiver.wait(
        lambda g: any(m["name"] == device.name and m["draining"]
                      for m in (g["views"]["latest"] or {}).get("members", [])),
        DETECT_S, "the view showing the device draining")
    mesh.receiver.control(f"instruct undrain {device.node_id} ins-2")
    mesh.wait(lambda: shown(False), "undrain shown by every member", 20)
    # An instruction of a type the bridge does not know is logged and
    # ignored (counted), and changes nothing.
    bridge = mesh.wait_active()
    mesh.receiver.control(f"instruct reboot {device.name} ins-3")

    def ignored():
        m = re.search(r'instructions_total\{result="ignored"\} ([0-9]+)',
                      bridge.call("metrics"))
        return m is not None and int(m.group(1)) >= 1
    mesh.wait(ignored, "the unknown instruction counted as ignored",
              DETECT_S)
    if not shown(False):
        raise MeshError("an unknown instruction changed the device")


TESTS = {"comeback": test_comeback, "mesh": test_mesh, "outage": test_outage,
         "handover": test_handover,
         "kill_loop": test_kill_loop, "pause": test_pause,
         "late_bridge": test_late_bridge,
         "drain": test_drain}


def main():
    meshbeat, name, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    mesh = BridgeMesh(N, meshbeat, port)
    run_test(mesh, TESTS[name], f"bridge_{name}")


if __name__ == "__main__":
    main()
