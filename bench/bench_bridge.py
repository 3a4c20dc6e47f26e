#!/usr/bin/env python3
"""How fast a death reaches the central endpoint, and what the endpoint
pays for it: N real agents on loopback, all eligible, posting to the
reference receiver (tools/receiver, plain HTTP).

usage: bench_bridge.py MESHBEAT [N] [KILLS] [BASE_PORT]

Each round SIGKILLs a member that is not the active bridge, measures the
time until the receiver holds its machine.offline, restarts it and
measures the time until its machine.online; then counts what the
endpoint received per minute at rest (views, with a 30 s interval and
Flynas off).  Medians and the worst of the rounds are printed, with the
figure a per-device heartbeat service needs for the same mesh (seed 001:
every device posts every 30 s, and seed 002 notices a death after 2
minutes).
"""
import base64
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "agent"))
sys.path.insert(0, os.path.join(ROOT, "tools", "receiver"))

from meshlib import Mesh  # noqa: E402
from receiver_client import ReceiverProcess  # noqa: E402

INTERVAL_S = 30


def events_of(receiver, member, kind):
    return [e for e in receiver.received()["events"]["list"]
            if e["member"] == member and e["type"] == kind]


def wait_for(cond, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return time.monotonic()
        time.sleep(0.02)
    raise AssertionError("timed out")


def main():
    meshbeat = sys.argv[1]
    n = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    kills = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    port = int(sys.argv[4]) if len(sys.argv) > 4 else 36000
    mesh = Mesh(n, meshbeat, port)
    secret = os.path.join(mesh.root, "webhook.secret")
    with open(secret, "w") as f:
        f.write("whsec_" + base64.b64encode(os.urandom(32)).decode() + "\n")
    os.chmod(secret, 0o600)
    receiver = ReceiverProcess(["--webhook-secret-file", secret])
    try:
        eligible = sum((["--bridge-eligible", a.name] for a in mesh.agents),
                       [])
        for a in mesh.agents:
            a.extra = ["--bridge-endpoint", receiver.url + "/v1/heartbeat",
                       "--bridge-webhook-url", receiver.url + "/v1/events",
                       "--bridge-webhook-secret-file", secret, *eligible]
        mesh.start_all()
        wait_for(mesh.converged, 120)
        offline, online = [], []
        for k in range(kills):
            active = mesh.agents[0].call("bridge")["active_name"]
            victim = next(a for a in mesh.agents[1 + k % (n - 1):]
                          if a.name != active)
            before_off = len(events_of(receiver, victim.name,
                                       "machine.offline"))
            t0 = time.monotonic()
            victim.kill()
            t1 = wait_for(lambda: len(events_of(
                receiver, victim.name, "machine.offline")) > before_off)
            offline.append(t1 - t0)
            before_on = len(events_of(receiver, victim.name,
                                      "machine.online"))
            t0 = time.monotonic()
            victim.start(join=[a.idx for a in mesh.running()][:1])
            t1 = wait_for(lambda: len(events_of(
                receiver, victim.name, "machine.online")) > before_on)
            online.append(t1 - t0)
            wait_for(mesh.converged, 120)
        views0 = receiver.received()["views"]["count"]
        time.sleep(2 * INTERVAL_S)
        views = receiver.received()["views"]["count"] - views0
        print(f"N={n}, {kills} kills")
        print(f"SIGKILL -> machine.offline at the endpoint: median "
              f"{statistics.median(offline):.2f} s, worst {max(offline):.2f} s")
        print(f"restart -> machine.online at the endpoint: median "
              f"{statistics.median(online):.2f} s, worst {max(online):.2f} s")
        print(f"requests at rest: {views / 2:.1f} views/min from the one "
              f"bridge; a per-device service (seed 001) gets "
              f"{n * 60 / INTERVAL_S:.0f}/min, {n * 60 / INTERVAL_S / max(views / 2, 0.5):.0f}x as many")
    finally:
        receiver.stop()
        mesh.cleanup(keep=False)


if __name__ == "__main__":
    main()
