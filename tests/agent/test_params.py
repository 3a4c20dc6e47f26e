#!/usr/bin/python3
"""Every protocol parameter in docs/protocol.md's Parameters table is
settable, with the documented default and range, in the agent's
gossip { } section and in the simulator's `param` — and nothing else is:
the three cannot drift apart.

usage: test_params.py MESHBEAT MESHBEAT_SIM PROTOCOL_MD
"""
import json
import os
import re
import subprocess
import sys
import tempfile

MB, SIM, DOC = sys.argv[1:4]
ROOT = tempfile.mkdtemp(prefix="meshbeat-params-")
ENV = {k: v for k, v in os.environ.items() if not k.startswith("MESHBEAT_")}


def documented():
    """name -> (default, min, max) from the Parameters table."""
    text = open(DOC).read()
    section = text[text.index("## Parameters"):]
    section = section[:section.index("\n## ", 1)] if "\n## " in section[3:] \
        else section
    rows = {}
    for m in re.finditer(r"^\| `(\w+)` \| (\d+) \| (\d+)–(\d+)[^|]* \|",
                         section, re.M):
        rows[m.group(1)] = tuple(int(m.group(i)) for i in (2, 3, 4))
    assert len(rows) >= 18, f"parsed only {sorted(rows)} from {DOC}"
    return rows


def agent(gossip_lines):
    conf = os.path.join(ROOT, "agent.conf")
    with open(conf, "w") as f:
        f.write("gossip {\n%s}\n" % "".join(f"  {l}\n" for l in gossip_lines))
    return subprocess.run([MB, "agent", "--config", conf, "--authority", "none",
                           "--check"], capture_output=True, text=True, env=ENV,
                          cwd=ROOT)


def sim(param_lines):
    scn = os.path.join(ROOT, "params.scn")
    with open(scn, "w") as f:
        f.write("nodes 4\nseed 1\nduration 5s\n"
                + "".join(f"param {l}\n" for l in param_lines)
                + "start all at 0s stagger 10ms join 1 seeds\n")
    return subprocess.run([SIM, "check", scn], capture_output=True, text=True)


def main():
    rows = documented()
    # The agent's defaults are the documented ones, and it has no others.
    p = agent([])
    assert p.returncode == 0, p.stderr
    got = {k[len("gossip."):]: v for k, v in json.loads(p.stdout).items()
           if k.startswith("gossip.")}
    assert set(got) == set(rows), (sorted(set(got) ^ set(rows)))
    for name, (default, lo, hi) in rows.items():
        assert got[name] == default, (name, got[name], default)

    # Each parameter, at either bound of its range, accepted by both (the
    # probe timeout cannot exceed the interval: give it room).
    room = ["probe_interval_ms = 600000"]
    for name, (default, lo, hi) in rows.items():
        for v in (lo, hi):
            extra = room if name == "probe_timeout_ms" else []
            p = agent(extra + [f"{name} = {v}"])
            if name == "probe_interval_ms" and v < 500:
                extra = ["probe_timeout_ms = 1"]
                p = agent(extra + [f"{name} = {v}"])
            assert p.returncode == 0, (name, v, p.stderr)
            assert json.loads(p.stdout)[f"gossip.{name}"] == v
            params = [l.replace(" = ", " ") for l in extra]
            p = sim(params + [f"{name} {v}"])
            assert p.returncode == 0, (name, v, p.stderr)
        # ... and one past the range refused by both, with the same bounds
        bad = hi + 1
        p = agent([f"{name} = {bad}"])
        assert p.returncode == 2 and f"gossip.{name}" in p.stderr and \
            f"out of range {lo}..{hi}" in p.stderr, (name, p.stderr)
        p = sim([f"{name} {bad}"])
        assert p.returncode == 2 and f"out of range {lo}..{hi}" in p.stderr, \
            (name, p.stderr)
    print(f"{len(rows)} documented parameters: agent and simulator agree: "
          "PASS")
    subprocess.run(["rm", "-rf", ROOT])


if __name__ == "__main__":
    main()
