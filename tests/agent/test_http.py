#!/usr/bin/python3
"""The agent's HTTP listener over real TCP (ctest agent_http).

Three agents enable it the three ways (flag, MESHBEAT_HTTP_ADDR, config
file). /metrics is fetched with curl and piped into `promtool check
metrics` (Debian's prometheus package; scripts/install-deps.sh installs it),
which must pass, and must fail on deliberately broken copies, proving it
checks. /health has the admin `health` shape; other paths are 404, other
methods 405; clients holding half a request block nobody and are closed
after the listener's timeout; a taken port stops the agent with a message.
The shell and YAML blocks of docs/operations.md's "HTTP listener" section
run as written (the shell block against this test's port).

usage: test_http.py MESHBEAT BASE_PORT OPERATIONS_MD
Set MESHBEAT_KEEP=1 to keep the agents' logs and data directories.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time

from meshlib import Mesh, MeshError, run_test

DETECT_S = 30
LISTENER_TIMEOUT_S = 10  # MB_HTTP_DEFAULT_TIMEOUT_S
HALF_REQUEST = b"GET /metrics HTTP/1.1\r\nHost: meshbeat\r\n"
DOC_ADDR = "127.0.0.1:9946"  # the address docs/operations.md shows


def need(tool):
    if shutil.which(tool) is None:
        raise MeshError(f"{tool} is missing: run scripts/install-deps.sh "
                        "(Debian packages curl and prometheus)")


def curl(url, *args):
    """(status, header block, body) of one request."""
    p = subprocess.run(["curl", "-sS", "--max-time", "5", "-D", "-", *args,
                        url], capture_output=True)  # bytes: keep the CRLFs
    if p.returncode != 0:
        raise MeshError(f"curl {' '.join(args)} {url}: {p.stderr.decode()}")
    head, _, body = p.stdout.decode().partition("\r\n\r\n")
    return int(head.split()[1]), head, body


def scrape_into_promtool(url):
    """What docs/operations.md shows: curl | promtool check metrics."""
    return subprocess.run(
        ["bash", "-o", "pipefail", "-c",
         f"curl -sSf --max-time 5 {url} | promtool check metrics"],
        capture_output=True, text=True)


def promtool(text):
    return subprocess.run(["promtool", "check", "metrics"], input=text,
                          capture_output=True, text=True)


def sample(text, name_and_labels):
    for line in text.splitlines():
        if line.startswith(name_and_labels + " "):
            return line.split()[-1]
    raise MeshError(f"no sample {name_and_labels} in the exposition")


def check_metrics(base, agent, n_alive):
    p = scrape_into_promtool(base + "/metrics")
    if p.returncode != 0:
        raise MeshError(f"curl | promtool check metrics failed "
                        f"({p.returncode}): {p.stdout}{p.stderr}")
    status, head, text = curl(base + "/metrics")
    if status != 200 or \
            "content-type: text/plain; version=0.0.4\r\n" not in \
            head.lower() + "\r\n":
        raise MeshError(f"/metrics: {status}\n{head}")
    # promtool passes an empty page too: the content is checked here.
    version = agent.call("info")["version"]
    if sample(text, f'meshbeat_build_info{{version="{version}"}}') != "1":
        raise MeshError("meshbeat_build_info is not 1")
    for state in ("alive", "suspect", "dead", "left"):
        want = str(n_alive) if state == "alive" else "0"
        got = sample(text, f'meshbeat_members{{state="{state}"}}')
        if got != want:
            raise MeshError(f"meshbeat_members{{state={state}}} = {got}, "
                            f"want {want}")
    sample(text, 'meshbeat_http_responses_total{code="200"}')
    return text


def check_promtool_bites(text):
    """promtool must refuse broken copies of what passed, or its pass
    proves nothing."""
    broken = {
        "unterminated label value":
            text.replace('state="alive"}', 'state="alive}', 1),
        "a value that is not a number":
            text.replace("\nmeshbeat_incarnation ", "\nmeshbeat_incarnation x",
                         1),
        "a counter without _total":
            text.replace("meshbeat_probes_total", "meshbeat_probes"),
    }
    for what, copy in broken.items():
        if copy == text:
            raise MeshError(f"could not make the exposition have {what}")
        if promtool(copy).returncode == 0:
            raise MeshError(f"promtool passed an exposition with {what}")


def check_health(base, agent):
    status, head, body = curl(base + "/health")
    if "content-type: application/json" not in head.lower():
        raise MeshError(f"/health content type:\n{head}")
    h = json.loads(body)
    if status != 200 or h.get("status") not in ("ok", "degraded"):
        raise MeshError(f"/health: {status} {body}")
    if set(h) != {"status", "checks"} or not h["checks"]:
        raise MeshError(f"/health shape: {body}")
    for name, c in h["checks"].items():
        if c.get("status") not in ("ok", "degraded", "failing") or \
                not set(c) <= {"status", "message"} or \
                not isinstance(c.get("message", ""), str):
            raise MeshError(f"/health check {name}: {c}")
    admin = agent.call("health")
    if set(admin["checks"]) != set(h["checks"]):
        raise MeshError(f"/health {h} and admin health {admin} differ")


def check_errors(base):
    for method, path, want in (("GET", "/nothing", 404),
                               ("POST", "/metrics", 405),
                               ("PUT", "/health", 405),
                               ("DELETE", "/", 404)):
        status, head, _ = curl(base + path, "-X", method)
        if status != want:
            raise MeshError(f"{method} {path}: {status}, want {want}")
        if want == 405 and "allow: get, head" not in head.lower():
            raise MeshError(f"405 without Allow:\n{head}")
    status, _, _ = curl(base + "/metrics", "-I")
    if status != 200:
        raise MeshError(f"HEAD /metrics: {status}")


def check_slow_clients(base, port, agent):
    """Half-written requests and a silent connection, held open: /metrics
    still answers at once, and the holders are closed after the timeout."""
    held = []
    for _ in range(4):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(HALF_REQUEST)
        held.append(s)
    held.append(socket.create_connection(("127.0.0.1", port)))
    t0 = time.monotonic()
    status, _, _ = curl(base + "/metrics")
    answered = time.monotonic() - t0
    p = scrape_into_promtool(base + "/metrics")
    if status != 200 or p.returncode != 0:
        raise MeshError(f"/metrics with slow clients held: {p.stderr}")
    agent.call("info")  # the loop serves the admin socket as well
    print(f"/metrics answered in {answered * 1000:.0f} ms with "
          f"{len(held)} slow clients held")
    t0 = time.monotonic()
    for s in held:
        s.settimeout(LISTENER_TIMEOUT_S + 10)
        if s.recv(1024) != b"":
            raise MeshError("a half-written request got an answer")
        s.close()
    print(f"slow clients closed {time.monotonic() - t0:.1f} s later "
          f"(timeout {LISTENER_TIMEOUT_S} s)")


def check_port_taken(mesh, taken):
    """A second agent asked to serve HTTP on a taken port does not start,
    and says which setting and why."""
    d = os.path.join(mesh.root, "taken")
    os.makedirs(d, mode=0o700)
    p = subprocess.run(
        [mesh.meshbeat, "agent", "--bind", f"127.0.0.1:{mesh.port_of(9)}",
         "--data-dir", d, "--authority", "none", "--http-addr", taken],
        capture_output=True, text=True, timeout=20)
    if p.returncode != 1 or "http.listen" not in p.stderr or \
            "in use" not in p.stderr.lower():
        raise MeshError(f"taken HTTP port: rc {p.returncode}: {p.stderr}")


def doc_blocks(path, lang):
    """The ```lang blocks of the HTTP listener section of operations.md."""
    text = open(path).read()
    section = text.split("\n## HTTP listener\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(rf"```{lang}\n(.*?)```", section, re.S)
    if not blocks:
        raise MeshError(f"no {lang} block in {path}, HTTP listener")
    return blocks


def check_docs(mesh, addr):
    for block in doc_blocks(mesh.operations_md, "sh"):
        if DOC_ADDR not in block:
            raise MeshError(f"the doc's commands no longer use {DOC_ADDR}")
        p = subprocess.run(["bash", "-e", "-o", "pipefail", "-c",
                            block.replace(DOC_ADDR, addr)],
                           capture_output=True, text=True, timeout=30)
        if p.returncode != 0 or not p.stdout.rstrip().endswith("200"):
            raise MeshError(f"operations.md commands: rc {p.returncode}\n"
                            f"{p.stdout}{p.stderr}")
    for block in doc_blocks(mesh.operations_md, "yaml"):
        path = os.path.join(mesh.root, "prometheus.yml")
        with open(path, "w") as f:
            f.write(block)
        p = subprocess.run(["promtool", "check", "config", path],
                           capture_output=True, text=True)
        if p.returncode != 0:
            raise MeshError(f"operations.md scrape config: {p.stdout}"
                            f"{p.stderr}")


def test_http(mesh):
    need("curl")
    need("promtool")
    base_port = mesh.base_port + 50
    addr = [f"127.0.0.1:{base_port + i}" for i in range(3)]
    n0, n1, n2 = mesh.agents
    n0.extra = ["--http-addr", addr[0]]
    conf = os.path.join(mesh.root, "n2.conf")
    with open(conf, "w") as f:
        f.write(f'http {{\n  listen = "{addr[2]}"\n}}\n')
    n2.extra = ["--config", conf]
    n0.start()
    os.environ["MESHBEAT_HTTP_ADDR"] = addr[1]
    try:
        n1.start(join=[0])
    finally:
        del os.environ["MESHBEAT_HTTP_ADDR"]
    n2.start(join=[0])
    mesh.wait(mesh.converged, "3 agents to converge", DETECT_S)

    base = f"http://{addr[0]}"
    text = check_metrics(base, n0, 3)
    check_promtool_bites(text)
    check_health(base, n0)
    check_errors(base)
    check_docs(mesh, addr[0])
    for a, ad in ((n1, addr[1]), (n2, addr[2])):  # env and file enable it
        check_metrics(f"http://{ad}", a, 3)
        check_health(f"http://{ad}", a)
    check_slow_clients(base, base_port, n0)
    check_port_taken(mesh, addr[0])

    if n0.kill(signal.SIGTERM) != 0:
        raise MeshError(f"SIGTERM: exit code {n0.proc.returncode}")
    try:
        socket.create_connection(("127.0.0.1", base_port), timeout=2).close()
        raise MeshError("the HTTP port still accepts after the agent left")
    except ConnectionRefusedError:
        pass


def main():
    meshbeat, base = sys.argv[1], int(sys.argv[2])
    mesh = Mesh(3, meshbeat, base)
    mesh.operations_md = sys.argv[3]
    run_test(mesh, test_http, "http")


if __name__ == "__main__":
    main()
