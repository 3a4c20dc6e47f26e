#!/usr/bin/python3
"""`meshbeat agent --check` and the first start.

Settings come from defaults < file < MESHBEAT_* < flags; --check prints
the effective ones (real defaults, not "") or exits 2 with one line per
bad value naming the setting and its source (the flag, the variable, or
FILE:LINE); a start refuses the same values the same way.  The first start
of a node with an authority but no certificate makes its key wherever
`key` points, prints its id and the exact `meshbeat cert issue` command,
and exits 2; running that command admits it.  Seeds may be host names.

usage: test_config.py MESHBEAT EXAMPLE_CONF PORT_BASE
"""
import base64
import grp
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time

from meshlib import admin_call

MB, EXAMPLE = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
PORT = int(sys.argv[3])
ROOT = tempfile.mkdtemp(prefix="meshbeat-config-")


def clean_env(extra=None):
    e = {k: v for k, v in os.environ.items() if not k.startswith("MESHBEAT_")}
    e.update(extra or {})
    return e


def run(args, env=None, cwd=ROOT, timeout=20):
    return subprocess.run([MB, *args], env=clean_env(env), cwd=cwd,
                          capture_output=True, text=True, timeout=timeout)


def check(args, env=None, code=0, cwd=ROOT):
    p = run(["agent", *args, "--check"], env, cwd)
    assert p.returncode == code, (args, env, p.returncode, p.stdout, p.stderr)
    return json.loads(p.stdout) if code == 0 else p.stderr


def write(name, text):
    path = os.path.join(ROOT, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def line_of(path, needle):
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if needle in line:
                return n
    raise AssertionError(f"{needle!r} not in {path}")


def cli(*args):
    return subprocess.run([MB, *args], check=True, capture_output=True,
                          text=True).stdout


AUTH_KEY = os.path.join(ROOT, "authority.key")
AUTH_ID = cli("keygen", "--out", AUTH_KEY).split()[0]
LOOP = ["--bind", f"127.0.0.1:{PORT}"]


def test_defaults():
    """--check prints the values a start would use, not "" for what is
    derived or unset, and creates nothing."""
    d = tempfile.mkdtemp(dir=ROOT)
    got = check(["--authority", "none"], cwd=d)
    assert got["bind"] == "0.0.0.0:7946" and got["join"] == []
    assert got["data_dir"] == "meshbeat-data"
    assert got["admin_socket"] == "meshbeat-data/admin.sock", got
    assert got["key"] == "meshbeat-data/node.key", got
    assert got["cert"] == "meshbeat-data/node.cert", got
    assert got["admin_group"] is None, got
    # bound to 0.0.0.0: the address a start would advertise, chosen as a
    # start chooses it (here, with no seed, the default route's source)
    route = default_route_source()
    if route is not None:
        assert (got["advertise"], got["advertise_how"]) == \
            (f"{route}:7946", "default route"), got
    assert got["authority"] == "none" and got["config"] is None
    assert got["name"] == os.uname().nodename[:63], got
    assert got["gossip.probe_interval_ms"] == 1000
    assert got["gossip.suspicion_unit_ms"] == 200
    assert got["gossip.cert_skew_s"] == 300
    assert got["http.listen"] is None, got  # the HTTP listener is off
    assert os.listdir(d) == [], "--check created files"
    got = check(LOOP)
    assert got["advertise"] == f"127.0.0.1:{PORT}" and got["authority"] is None
    assert got["advertise_how"] == "from bind", got


def default_route_source():
    """The source address of the default route, as the agent asks for it
    (a connected UDP socket sends nothing); None without one."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))
        except OSError:
            return None
        return s.getsockname()[0]


def test_precedence():
    conf = write("prec.conf", 'name = "from-file"\ncluster = "c1"\n'
                 'join = {"10.0.0.1:1"}\ngossip { probe_interval_ms = 700 }\n')
    base = ["--authority", "none"]
    got = check(base + ["--config", conf])
    assert (got["name"], got["cluster"], got["gossip.probe_interval_ms"]) == \
        ("from-file", "c1", 700)
    got = check(base, env={"MESHBEAT_CONFIG": conf, "MESHBEAT_NAME": "from-env",
                           "MESHBEAT_JOIN": "10.0.0.2:2,10.0.0.3:3"})
    assert got["name"] == "from-env" and got["cluster"] == "c1"
    assert got["join"] == ["10.0.0.2:2", "10.0.0.3:3"]
    got = check(base + ["--config", conf, "--name", "from-flag",
                        "--join=10.0.0.4:4"], env={"MESHBEAT_NAME": "from-env"})
    assert got["name"] == "from-flag" and got["join"] == ["10.0.0.4:4"]


def test_http_listen():
    """http.listen: the http { } section, MESHBEAT_HTTP_ADDR, --http-addr."""
    conf = write("http.conf", 'http {\n  listen = "127.0.0.1:9946"\n}\n')
    base = ["--authority", "none", "--config", conf]
    assert check(base)["http.listen"] == "127.0.0.1:9946"
    env = {"MESHBEAT_HTTP_ADDR": "[::1]:9946"}
    assert check(base, env=env)["http.listen"] == "[::1]:9946"
    got = check(base + ["--http-addr", "10.0.0.5:9946"], env=env)
    assert got["http.listen"] == "10.0.0.5:9946"


def refused(args, setting, source, env=None, why=None):
    """Exit 2 from --check and from a start, naming setting and source."""
    for extra in (["--check"], []):
        d = tempfile.mkdtemp(dir=ROOT)
        p = run(["agent", *args, "--data-dir", os.path.join(d, "data"),
                 *extra], env, cwd=d)
        want = f"{setting} ({source})"
        assert p.returncode == 2, (args, extra, p.returncode, p.stderr)
        assert want in p.stderr, (want, p.stderr)
        if why:
            assert re.search(why, p.stderr), (why, p.stderr)
        assert not os.path.exists(os.path.join(d, "data")), \
            "a refused configuration left a data directory"
    return p.stderr


def test_bad_values():
    """Each bad value: exit 2, the setting and its source named."""
    none = ["--authority", "none"]
    refused(["--bind", "nonsense"] + none, "bind", "--bind", why="HOST:PORT")
    refused(none, "bind", "MESHBEAT_BIND", env={"MESHBEAT_BIND": "1.2.3:x"})
    refused(["--advertise", "0.0.0.0:7946"] + none, "advertise",
            "--advertise", why="unspecified")
    # addresses the other members cannot reach: refused before the start
    refused(["--bind", f"[::1]:{PORT}", "--advertise", f"[fe80::1]:{PORT}"] +
            none, "advertise", "--advertise", why="is link-local: the other "
            "members cannot reach it; set advertise")
    refused(none, "bind", "MESHBEAT_BIND", why="169.254.1.1:7946 is "
            "link-local", env={"MESHBEAT_BIND": "169.254.1.1:7946"})
    conf = write("group.conf", f'admin_group = "mb-no-group-{os.getpid()}"\n')
    refused(["--config", conf] + LOOP, "admin_group", f"{conf}:1",
            why="is not a group on this host")
    refused(["--join", "bad host:1"] + none, "join", "--join")
    refused(none, "join", "MESHBEAT_JOIN", env={"MESHBEAT_JOIN": "h:99999"})
    refused(["--log-level", "loud"] + none, "log_level", "--log-level",
            why="loud")
    refused(["--name", "x" * 64] + none, "name", "--name")
    refused(["--http-addr", "localhost:http"] + none, "http.listen",
            "--http-addr", why="HOST:PORT")
    conf = write("http-bad.conf", 'http {\n  listen = "127.0.0.1:0"\n}\n')
    refused(["--config", conf] + none, "http.listen", f"{conf}:2")
    err = refused(["--authority", "xyz"] + LOOP, "authority", "--authority",
                  why="not an authority id: expected 64 hex")
    assert "certificate" not in err, err
    refused(LOOP, "authority", "MESHBEAT_AUTHORITY",
            env={"MESHBEAT_AUTHORITY": "g" * 64}, why="not all hex")
    refused(["--authority", "0" * 64] + LOOP, "authority", "--authority",
            why="placeholder")
    # no authority on a routable address: refused, naming the way out
    refused(["--bind", "0.0.0.0:0"], "authority", "default", why='"none"')

    conf = write("bad.conf", "# a comment, counted once\n"
                 'name = "ok"\n'
                 "gossip {\n"
                 "  dead_quorum = 9 # more than a suspicion remembers\n"
                 "  probe_timeout_ms = 5000\n"
                 "}\n"
                 'bind = "nonsense"\n'
                 "payload_interval_ms = 0\n")
    err = refused(["--config", conf] + none, "bind", f"{conf}:7")
    assert f"gossip.dead_quorum ({conf}:4): 9 is out of range 1..8" in err, err
    assert f"payload_interval_ms ({conf}:8)" in err, err
    conf = write("relation.conf", "gossip {\n  probe_interval_ms = 300\n"
                 "  probe_timeout_ms = 500\n}\n")
    refused(["--config", conf] + none, "gossip.probe_timeout_ms", f"{conf}:3",
            why="must not exceed probe_interval_ms")
    conf = write("soon.conf", 'gossip { probe_interval_ms = "soon" }\n')
    refused(["--config", conf] + none, "gossip.probe_interval_ms",
            f"{conf}:1", why="not a whole number")
    refused(["--config", os.path.join(ROOT, "absent.conf")] + none, "config",
            "--config", why="cannot read")

    refused(["--admin-socket", "/tmp/" + "s" * 100] + none, "admin_socket",
            "--admin-socket", why="longer than 91")
    key = os.path.join(ROOT, "open.key")
    cli("keygen", "--out", key)
    os.chmod(key, 0o644)
    refused(["--key", key] + none, "key", "--key", why="chmod 600")


def test_data_dir_env_only():
    """(refused() passes --data-dir itself; this checks the variable.)"""
    a_file = write("b-file", "")
    p = run(["agent", "--authority", "none", "--check"],
            env={"MESHBEAT_DATA_DIR": a_file})
    assert p.returncode == 2 and "data_dir (MESHBEAT_DATA_DIR)" in p.stderr, \
        p.stderr


def test_unknown_flag():
    """One message, ours; --flag=value works too."""
    p = run(["agent", "--frobnicate", "1"])
    assert p.returncode == 2, p
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "--frobnicate" in lines[0], p.stderr
    assert check(["--authority=none", "--bind=127.0.0.1:1"])["bind"] == \
        "127.0.0.1:1"


def edited_example(edits):
    text = open(EXAMPLE).read()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    return write("edited.conf", text)


def test_example_placeholders():
    """The shipped example is refused until its EDIT lines are edited,
    each message naming the line; edited, it checks clean."""
    err = check(["--config", EXAMPLE], code=2)
    join_line = line_of(EXAMPLE, "join = ")
    auth_line = line_of(EXAMPLE, "authority = ")
    assert f"join ({EXAMPLE}:{join_line}): seed1.invalid:7946 is the " \
        "example's placeholder" in err, err
    assert f"authority ({EXAMPLE}:{auth_line}): all zeros is the example's " \
        "placeholder" in err, err
    for n in (join_line, auth_line):
        assert "EDIT" in open(EXAMPLE).read().splitlines()[n - 1]
    d = tempfile.mkdtemp(dir=ROOT)
    conf = edited_example([
        ('{"seed1.invalid:7946", "seed2.invalid:7946"}',
         '{"nas2.lan:7946", "10.0.0.2:7946"}'),
        ("0" * 64, AUTH_ID), ("/var/lib/meshbeat", d + "/state"),
        ("/etc/meshbeat", d + "/etc"), ("/run/meshbeat", d + "/run"),
        ('admin_group = "meshbeat"',  # a group that exists here
         f'admin_group = "{grp.getgrgid(os.getgid()).gr_name}"')])
    key = os.path.join(d, "state", "node.key")
    os.makedirs(os.path.dirname(key), mode=0o700)
    node_id = cli("keygen", "--out", key).split()[0]
    os.makedirs(os.path.join(d, "etc"))
    cli("cert", "issue", "--authority", AUTH_KEY, "--node-id", node_id,
        "--name", os.uname().nodename[:63], "--out",
        os.path.join(d, "etc", "node.cert"))
    got = check(["--config", conf])
    assert got["cluster"] == "production" and got["log_format"] == "json"
    assert got["join"] == ["nas2.lan:7946", "10.0.0.2:7946"]
    assert got["gossip.cert_skew_s"] == 300


def test_cert_without_authority():
    """A certificate and no authority would run an open mesh: refused,
    whether the certificate is named or found at its default place."""
    d = tempfile.mkdtemp(dir=ROOT)
    key, cert = os.path.join(d, "node.key"), os.path.join(d, "node.cert")
    node_id = cli("keygen", "--out", key).split()[0]
    cli("cert", "issue", "--authority", AUTH_KEY, "--node-id", node_id,
        "--name", "n", "--out", cert)
    err = refused(LOOP + ["--key", key, "--cert", cert], "authority",
                  "default", why="not set, but there is a certificate")
    assert AUTH_ID in err and '"none"' in err, err
    for extra in (["--check"], []):
        p = run(["agent", *LOOP, "--data-dir", d, *extra])
        assert p.returncode == 2 and "not set, but there is a certificate" \
            in p.stderr, p.stderr


def test_first_start():
    """Authority, no certificate: the key is made where `key` points (its
    directories 0700, the file 0600), the id and the exact command are
    printed, exit 2 and no store; the printed command admits the node."""
    d = tempfile.mkdtemp(dir=ROOT)
    key = os.path.join(d, "keys", "deep", "node.key")
    cert = os.path.join(d, "certs", "node.cert")
    args = ["agent", "--authority", AUTH_ID, "--bind", f"127.0.0.1:{PORT + 1}",
            "--name", "first-01", "--domain", "rack b", "--key", key,
            "--cert", cert, "--data-dir", os.path.join(d, "data"),
            "--log-level", "debug"]
    p = run(args, cwd=d)
    assert p.returncode == 2, (p.returncode, p.stderr)
    assert stat.S_IMODE(os.stat(key).st_mode) == 0o600
    for sub in ("keys", "keys/deep"):
        assert stat.S_IMODE(os.stat(os.path.join(d, sub)).st_mode) == 0o700
    node_id = cli("id", "--key", key).split()[0]
    want = (f"meshbeat cert issue --authority AUTHORITY.key --node-id "
            f"{node_id} --name first-01 --domain 'rack b' --out {cert}")
    assert f"node id: {node_id}" in p.stderr and want in p.stderr, p.stderr
    assert f"cert (--cert): no certificate at {cert}" in p.stderr, p.stderr
    assert not os.path.exists(os.path.join(d, "data", "store")), \
        "a start that cannot be admitted opened the store"
    err = check(args[1:], code=2, cwd=d)  # --check says the same, key kept
    assert want in err, err
    os.makedirs(os.path.dirname(cert))
    cmd = want.replace("AUTHORITY.key", AUTH_KEY).replace("meshbeat ", "", 1)
    subprocess.run(f"{MB} {cmd}", shell=True, check=True, cwd=d,
                   capture_output=True)
    check(args[1:], cwd=d)
    # without the settings, the name and domain a start uses: the
    # certificate's (not the host name)
    unnamed = [a for i, a in enumerate(args[1:]) if a not in (
        "--name", "first-01", "--domain", "rack b")]
    got = check(unnamed, cwd=d)
    assert (got["name"], got["domain"]) == ("first-01", "rack b"), got
    admin = os.path.join(d, "data", "admin.sock")
    agent = subprocess.Popen([MB, *args], cwd=d, env=clean_env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
    try:
        info = wait_for(lambda: call_ok(admin, "info"), "the admitted node")
        assert info["id"] == node_id and info["name"] == "first-01", info
    finally:
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(timeout=20) == 0, agent.stderr.read()


def test_first_start_unnamed():
    """No name set: the printed command names the host, which the node
    then runs under; run exactly as printed, it admits the node."""
    d = tempfile.mkdtemp(dir=ROOT)
    args = ["agent", "--authority", AUTH_ID, "--bind", f"127.0.0.1:{PORT + 6}",
            "--data-dir", os.path.join(d, "data")]
    p = run(args, cwd=d)
    assert p.returncode == 2, (p.returncode, p.stderr)
    m = re.search(r"^ +(meshbeat cert issue .*)$", p.stderr, re.M)
    assert m, p.stderr
    host = os.uname().nodename[:63]
    assert f" --name {host} " in m.group(1), (host, m.group(1))
    cmd = m.group(1).replace("AUTHORITY.key", AUTH_KEY).replace(
        "meshbeat ", "", 1)
    subprocess.run(f"{MB} {cmd}", shell=True, check=True, cwd=d,
                   capture_output=True)
    assert check(args[1:], cwd=d)["name"] == host
    admin = os.path.join(d, "data", "admin.sock")
    agent = subprocess.Popen([MB, *args], cwd=d, env=clean_env(),
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True)
    try:
        info = wait_for(lambda: call_ok(admin, "info"), "the admitted node")
        assert info["name"] == host, info
    finally:
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(timeout=20) == 0, agent.stderr.read()


def call_ok(sock, cmd):
    try:
        r = admin_call(sock, {"cmd": cmd}, 1.0)
    except (OSError, ValueError):
        return None
    return r["result"] if r.get("ok") else None


def wait_for(fn, what, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = fn()
        if v:
            return v
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def start_open(name, port, extra=()):
    d = os.path.join(ROOT, name)
    log = open(os.path.join(ROOT, f"{name}.log"), "w")
    p = subprocess.Popen([MB, "agent", "--name", name, "--authority", "none",
                          "--bind", f"127.0.0.1:{port}", "--data-dir", d,
                          "--log-format", "json", "--log-level", "debug",
                          *extra], env=clean_env(), stdout=log, stderr=log)
    log.close()
    return p, os.path.join(d, "admin.sock"), os.path.join(ROOT, f"{name}.log")


def log_lines(path):
    out = []
    with open(path) as f:
        for line in f:
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def test_host_name_seeds():
    """join = localhost:PORT resolves off the loop and joins (logged at
    debug); a name that does not resolve is retried with a doubling delay
    and logged at warn; authority = "none" warns that the mesh is open."""
    a, sock_a, _ = start_open("seed-a", PORT + 2)
    b, sock_b, log_b = start_open(
        "seed-b", PORT + 3,
        ["--join", f"localhost:{PORT + 2}", "--join",
         f"no-such-seed.meshbeat-test.:{PORT + 2}"])
    try:
        wait_for(lambda: call_ok(sock_a, "info"), "seed-a")
        names = lambda s: {m["name"] for m in call_ok(s, "members") or []
                           if m["state"] == "alive"}
        wait_for(lambda: names(sock_b) >= {"seed-a", "seed-b"} and
                 names(sock_a) >= {"seed-a", "seed-b"},
                 "seed-b to join seed-a through localhost")
        resolved = [l for l in log_lines(log_b)
                    if l["msg"].startswith(f"seed localhost:{PORT + 2} "
                                           f"resolved to 127.0.0.1:{PORT + 2}")]
        assert resolved and resolved[0]["level"] == "debug", log_lines(log_b)

        def retries():
            r = [l for l in log_lines(log_b)
                 if l["msg"].startswith("seed no-such-seed")]
            return r if len(r) >= 2 else None
        r = wait_for(retries, "two failed resolutions", 30)
        assert all(l["level"] == "warn" for l in r), r
        assert [l["retry_ms"] for l in r[:2]] == [1000, 2000], r
        assert any(l["level"] == "warn" and "open mesh" in l["msg"]
                   for l in log_lines(log_b)), "no open-mesh warning"
    finally:
        for p in (a, b):
            p.send_signal(signal.SIGTERM)
        for p in (a, b):
            assert p.wait(timeout=20) == 0


def test_seeds_kept():
    """A host-name seed that resolves adds its addresses to the join: the
    numeric seed given beside it is still asked.  (The seed is down while
    the name resolves, to a port where nobody listens; it comes up after,
    and only the numeric seed can bring the two together.)"""
    seed_port, dead_port = PORT + 4, PORT + 7
    b, sock_b, log_b = start_open(
        "kept-b", PORT + 5, ["--join", f"127.0.0.1:{seed_port}", "--join",
                             f"localhost:{dead_port}"])
    procs = [b]
    try:
        wait_for(lambda: any(l["msg"].startswith(f"seed localhost:{dead_port} "
                                                 "resolved")
                             for l in log_lines(log_b)),
                 "the host name to resolve")
        a, sock_a, _ = start_open("kept-a", seed_port)
        procs.append(a)
        names = lambda s: {m["name"] for m in call_ok(s, "members") or []
                           if m["state"] == "alive"}
        wait_for(lambda: names(sock_b) >= {"kept-a", "kept-b"} and
                 names(sock_a) >= {"kept-a", "kept-b"},
                 "kept-b to join through its numeric seed", 30)
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            assert p.wait(timeout=20) == 0


# ---- the bridge's settings (bridge { }, --bridge-*, MESHBEAT_BRIDGE_*) ----

def whsec(fill=0x11, n=32):
    return "whsec_" + base64.b64encode(bytes([fill]) * n).decode()


def secret(name, text, mode=0o600):
    path = write(name, text)
    os.chmod(path, mode)
    return path


NONE = ["--authority", "none"]


def test_bridge_defaults():
    """The plan's defaults, files null (never their contents), no list."""
    got = check(NONE + LOOP)
    want = {"bridge.endpoint": None, "bridge.token_file": None,
            "bridge.ca_file": None, "bridge.interval_ms": 30000,
            "bridge.debounce_ms": 1000, "bridge.offline_after_ms": 0,
            "bridge.connect_timeout_ms": 5000, "bridge.timeout_ms": 10000,
            "bridge.retry_max_ms": 300000,
            "bridge.outbox_max_bytes": 64 << 20, "bridge.eligible": [],
            "bridge.flynas.endpoint": None, "bridge.flynas.token_file": None,
            "bridge.webhook.url": None, "bridge.webhook.secret_file": None}
    assert {k: v for k, v in got.items() if k.startswith("bridge.")} == want, \
        got
    text = run(["agent", "--help"]).stdout
    for flag in ("--bridge-endpoint", "--bridge-eligible",
                 "--bridge-flynas-token-file", "--bridge-webhook-secret-file",
                 "MESHBEAT_BRIDGE_OUTBOX_MAX_BYTES"):
        assert flag in text, (flag, text)


def bridge_conf(name, token, flynas, hook, extra=""):
    return write(name, f"""# the bridge, with sections inside its section
bridge {{
  endpoint = "https://central.example.com/api/view"
  token_file = "{token}"
  interval_ms = 5000   # every 5 s
  eligible = {{"nas-1",
              "nas-2"}}
  flynas {{
    endpoint = "https://flynas.example.com/api/raid/heartbeat"
    token_file = "{flynas}"
  }}
  webhook {{
    url = "http://hooks.example.com/meshbeat"
    secret_file = "{hook}"
  }}
{extra}}}
""")


def bridge_files():
    return (secret("view.token", "tok-SEKRIT-view\n"),
            secret("flynas.tokens", "# device token\nnas-1 tok-SEKRIT-1\n"
                   "nas-2 tok-SEKRIT-2\n"),
            secret("hook.secret", whsec() + "\n"))


def test_bridge_file_sections():
    """bridge { flynas { } webhook { } } in the file; --check shows the
    values and the files' paths, never what is in them."""
    token, flynas, hook = bridge_files()
    conf = bridge_conf("bridge.conf", token, flynas, hook)
    p = run(["agent", *NONE, *LOOP, "--config", conf, "--check"])
    assert p.returncode == 0, p.stderr
    got = json.loads(p.stdout)
    assert got["bridge.endpoint"] == "https://central.example.com/api/view"
    assert got["bridge.interval_ms"] == 5000, got
    assert got["bridge.eligible"] == ["nas-1", "nas-2"], got
    assert got["bridge.flynas.endpoint"] == \
        "https://flynas.example.com/api/raid/heartbeat", got
    assert (got["bridge.token_file"], got["bridge.flynas.token_file"],
            got["bridge.webhook.secret_file"]) == (token, flynas, hook), got
    assert got["bridge.webhook.url"] == "http://hooks.example.com/meshbeat"
    assert "SEKRIT" not in p.stdout + p.stderr and "whsec_" not in p.stdout
    assert p.stderr == "", p.stderr  # 0600 files: no warning
    # a bad value in a section inside a section: its own line named
    bad = bridge_conf("bridge-bad.conf", token, flynas, hook,
                      '  webhook { url = "ftp://hooks.example.com/x" }\n')
    line = line_of(bad, "ftp://")
    refused(["--config", bad] + NONE, "bridge.webhook.url", f"{bad}:{line}",
            why="not an http:// or https:// URL: the scheme is 'ftp'")
    # libconfuse's own message about a line inside a section names the
    # file too (its sections were made before the file was named)
    typo = bridge_conf("bridge-typo.conf", token, flynas, hook,
                       "  flynas { end_point = \"https://x.example.com/\" }\n")
    err = check(["--config", typo] + NONE, code=2)
    assert f"{typo}:{line_of(typo, 'end_point')}: no such option " \
        "'end_point'" in err, err


def test_bridge_precedence():
    """flag > variable > file, for one value and for the eligible list
    (a higher source's list replaces the lower one's)."""
    token, flynas, hook = bridge_files()
    conf = bridge_conf("prec-bridge.conf", token, flynas, hook)
    base = NONE + LOOP + ["--config", conf]
    env = {"MESHBEAT_BRIDGE_ENDPOINT": "https://env.example.com/v",
           "MESHBEAT_BRIDGE_ELIGIBLE": "env-1,env-2,env-3"}
    got = check(base)
    assert got["bridge.endpoint"] == "https://central.example.com/api/view"
    got = check(base, env=env)
    assert got["bridge.endpoint"] == "https://env.example.com/v", got
    assert got["bridge.eligible"] == ["env-1", "env-2", "env-3"], got
    got = check(base + ["--bridge-endpoint", "https://flag.example.com/v",
                        "--bridge-eligible", "flag-1",
                        "--bridge-eligible=flag-2,flag-3"], env=env)
    assert got["bridge.endpoint"] == "https://flag.example.com/v", got
    assert got["bridge.eligible"] == ["flag-1", "flag-2", "flag-3"], got
    assert got["bridge.interval_ms"] == 5000  # still the file's
    got = check(base + ["--bridge-interval-ms", "7000"],
                env={"MESHBEAT_BRIDGE_INTERVAL_MS": "6000"})
    assert got["bridge.interval_ms"] == 7000, got


def test_bridge_refusals():
    """Exit 2 from --check and a start, naming the setting and where it
    came from; a secret's text never in the output."""
    refused(NONE + ["--bridge-endpoint", "ftp://central.example.com/x"],
            "bridge.endpoint", "--bridge-endpoint", why="the scheme is 'ftp'")
    refused(NONE, "bridge.flynas.endpoint", "MESHBEAT_BRIDGE_FLYNAS_ENDPOINT",
            env={"MESHBEAT_BRIDGE_FLYNAS_ENDPOINT": "central/api"},
            why="is not a URL")
    err = refused(NONE + ["--bridge-endpoint",
                          "https://ops:pw-SEKRIT@central.example.com/x"],
                  "bridge.endpoint", "--bridge-endpoint",
                  why="has credentials in it")
    assert "SEKRIT" not in err, err
    refused(NONE + ["--bridge-webhook-url", "https://h.example.com/x"],
            "bridge.webhook.url", "--bridge-webhook-url",
            why="bridge.webhook.secret_file is not")
    refused(NONE + ["--bridge-interval-ms", "10"], "bridge.interval_ms",
            "--bridge-interval-ms", why="out of range 1000..86400000")
    refused(NONE + ["--bridge-connect-timeout-ms", "20000"],
            "bridge.connect_timeout_ms", "--bridge-connect-timeout-ms",
            why=r"must not exceed bridge.timeout_ms \(10000\)")
    refused(NONE + ["--bridge-eligible", "ok," + "x" * 64],
            "bridge.eligible", "--bridge-eligible", why="longer than 63")
    absent = os.path.join(ROOT, "absent.token")
    refused(NONE + ["--bridge-token-file", absent], "bridge.token_file",
            "--bridge-token-file", why=f"{absent}: cannot read it")
    refused(NONE + ["--bridge-ca-file", absent], "bridge.ca_file",
            "--bridge-ca-file", why="cannot read it")
    if os.getuid() != 0:  # root reads a mode-000 file
        locked = secret("locked.token", "tok\n", 0)
        refused(NONE + ["--bridge-token-file", locked], "bridge.token_file",
                "--bridge-token-file", why="Permission denied")
    spaced = secret("spaced.token", "tok SEKRIT\n")
    err = refused(NONE, "bridge.token_file", "MESHBEAT_BRIDGE_TOKEN_FILE",
                  env={"MESHBEAT_BRIDGE_TOKEN_FILE": spaced},
                  why="white space")
    assert "SEKRIT" not in err, err


def test_bridge_secret_files():
    """A malformed webhook secret and a Flynas file naming a device twice
    are refused (file and line named, never their text); a secret others
    can read is a warning at start, not a refusal."""
    bad = secret("bad-hook.secret", "whsec_SEKRIT%%%\n")
    conf = write("hook.conf", "bridge {\n  webhook {\n"
                 '    url = "https://hooks.example.com/x"\n'
                 f'    secret_file = "{bad}"\n  }}\n}}\n')
    err = refused(["--config", conf] + NONE, "bridge.webhook.secret_file",
                  f"{conf}:4", why=f"{bad}: is not one or more whsec_")
    assert "SEKRIT" not in err, err
    short = secret("short-hook.secret", whsec(0x22, 16))
    err = refused(NONE + ["--bridge-webhook-secret-file", short],
                  "bridge.webhook.secret_file",
                  "--bridge-webhook-secret-file", why="not 24..64 bytes")
    assert whsec(0x22, 16)[6:] not in err, err
    dup = secret("dup.tokens", "nas-1 tok-SEKRIT-a\n# b\nnas-2 tok-SEKRIT-b\n"
                 "nas-1 tok-SEKRIT-c\n")
    err = refused(NONE + ["--bridge-flynas-endpoint",
                          "https://flynas.example.com/api/raid/heartbeat",
                          "--bridge-flynas-token-file", dup],
                  "bridge.flynas.token_file", "--bridge-flynas-token-file",
                  why=f"{dup}: line 4 names the same device as line 1")
    assert "SEKRIT" not in err, err
    refused(NONE + ["--bridge-flynas-endpoint",
                    "https://flynas.example.com/api/raid/heartbeat"],
            "bridge.flynas.endpoint", "--bridge-flynas-endpoint",
            why="bridge.flynas.token_file is not")

    shared = secret("shared.token", "tok-SEKRIT\n", 0o640)
    p = run(["agent", *NONE, *LOOP, "--bridge-token-file", shared, "--check"])
    assert p.returncode == 0, p.stderr
    assert f"bridge.token_file (--bridge-token-file): {shared} is readable " \
        "by group or others (mode 0640)" in p.stderr, p.stderr
    agent, sock, log = start_open("bridge-warn", PORT + 8,
                                  ["--bridge-token-file", shared])
    try:
        wait_for(lambda: call_ok(sock, "info"), "the agent to start")
        warned = [l for l in log_lines(log) if "is readable by group" in
                  l["msg"]]
        assert warned and warned[0]["level"] == "warn", log_lines(log)
        assert warned[0]["setting"] == "bridge.token_file", warned
        assert not any("SEKRIT" in json.dumps(l) for l in log_lines(log))
    finally:
        agent.send_signal(signal.SIGTERM)
        assert agent.wait(timeout=20) == 0


def test_bridge_shown_blocks():
    """The example's bridge { } block (commented out) and operations.md's,
    with their secret files made here: both check clean, the example's
    numbers being the defaults."""
    lines = open(EXAMPLE).read().splitlines()
    start = lines.index("#bridge {")
    block = [l[1:] for l in lines[start:lines.index("#}", start) + 1]]
    docs = os.path.join(os.path.dirname(EXAMPLE), "..", "docs",
                        "operations.md")
    text = open(docs).read().split("### The bridge's settings", 1)[1]
    doc_block = text.split("```\n", 2)[1]
    d = tempfile.mkdtemp(dir=ROOT)
    files = {"view.token": "tok\n", "flynas.tokens": "nas-1 t1\nnas-2 t2\n",
             "webhook.secret": whsec() + "\n", "central-ca.pem": ""}
    for name, body in files.items():
        secret(os.path.join(d, name), body)
    for n, conf_text in enumerate(["\n".join(block), doc_block]):
        conf = write(f"shown-{n}.conf",
                     conf_text.replace("/etc/meshbeat/", d + "/"))
        p = run(["agent", *NONE, *LOOP, "--config", conf, "--check"])
        assert p.returncode == 0 and p.stderr == "", (conf_text, p.stderr)
        got = json.loads(p.stdout)
        assert got["bridge.eligible"] == ["nas-1", "nas-2"], got
        assert got["bridge.webhook.secret_file"] == d + "/webhook.secret"
        if n == 0:
            example = got
    defaults = check(NONE + LOOP)
    for key in ("interval_ms", "debounce_ms", "offline_after_ms",
                "connect_timeout_ms", "timeout_ms", "outbox_max_bytes"):
        assert example["bridge." + key] == defaults["bridge." + key], key
    assert example["bridge.ca_file"] == d + "/central-ca.pem", example


# ---- the RAID coordinator's settings (raid { }, --raid-*, MESHBEAT_RAID_*) ----

def test_raid_settings():
    """Defaults (Ceph's where Ceph has one), the file's raid { } section,
    flag > variable > file, and refusals naming setting and source."""
    got = check(NONE + LOOP)
    want = {"raid.down_out_interval_ms": 600000, "raid.max_backfills": 1,
            "raid.max_backfills_mesh": 8, "raid.min_up_ratio": 0.3,
            "raid.stall_timeout_ms": 300000, "raid.executor": "builtin",
            "raid.builtin_rate_bytes": 100 << 20, "raid.voters": [],
            "raid.coordinator_names": []}
    assert {k: v for k, v in got.items() if k.startswith("raid.")} == want, \
        got
    hook = os.path.join(ROOT, "rebuild-hook")
    with open(hook, "w") as f:
        f.write("#!/bin/sh\necho progress 0\n")
    os.chmod(hook, 0o755)
    conf = write("raid.conf", f"""raid {{
  down_out_interval_ms = 5000
  min_up_ratio = 0.25
  max_backfills_mesh = 3
  executor = "{hook} --verbose"
}}
""")
    got = check(NONE + LOOP + ["--config", conf])
    assert (got["raid.down_out_interval_ms"], got["raid.min_up_ratio"],
            got["raid.max_backfills_mesh"], got["raid.executor"]) == \
        (5000, 0.25, 3, hook + " --verbose"), got
    got = check(NONE + LOOP + ["--config", conf, "--raid-min-up-ratio", ".5"],
                env={"MESHBEAT_RAID_MIN_UP_RATIO": "1",
                     "MESHBEAT_RAID_MAX_BACKFILLS": "2"})
    assert (got["raid.min_up_ratio"], got["raid.max_backfills"]) == \
        (0.5, 2), got
    for bad in ("1.5", "0.3333", "-0.1", "abc", ".", "30%"):
        refused(NONE + ["--raid-min-up-ratio", bad], "raid.min_up_ratio",
                "--raid-min-up-ratio", why="is not a share from 0 to 1")
    refused(NONE + ["--raid-max-backfills", "0"], "raid.max_backfills",
            "--raid-max-backfills", why="out of range 1..64")
    refused(NONE, "raid.executor", "MESHBEAT_RAID_EXECUTOR",
            env={"MESHBEAT_RAID_EXECUTOR": "/nonexistent/rebuild --x"},
            why="/nonexistent/rebuild: No such file or directory")
    plain = write("not-executable", "#!/bin/sh\n")
    line = line_of(conf, "executor")
    conf2 = write("raid-bad.conf", open(conf).read().replace(hook, plain))
    refused(["--config", conf2] + NONE, "raid.executor", f"{conf2}:{line}",
            why="is not an executable file")
    refused(NONE + ["--raid-executor", "  "], "raid.executor",
            "--raid-executor", why='must be "builtin" or a command')
    # a bare name is the shell's to find when a task runs
    got = check(NONE + LOOP + ["--raid-executor", "rebuild-hook --x"])
    assert got["raid.executor"] == "rebuild-hook --x", got
    # operations.md's block checks clean and shows the defaults
    docs = os.path.join(os.path.dirname(EXAMPLE), "..", "docs",
                        "operations.md")
    text = open(docs).read().split("### The RAID settings", 1)[1]
    shown = write("raid-doc.conf", text.split("```\n", 2)[1])
    got = check(NONE + LOOP + ["--config", shown])
    assert {k: v for k, v in got.items() if k.startswith("raid.")} == want, \
        got


def test_raid_voters():
    """The voters and coordinator names: lists from file, variable and
    flags; counts Raft can use; in an open mesh only listed coordinators."""
    conf = write("voters.conf", """raid {
  voters = {"s1", "s2",
            "s3"}
  coordinator_names = {"s1", "s2", "s3", "s4"}
}
""")
    got = check(NONE + LOOP + ["--config", conf])
    assert (got["raid.voters"], got["raid.coordinator_names"]) == \
        (["s1", "s2", "s3"], ["s1", "s2", "s3", "s4"]), got
    got = check(NONE + LOOP + ["--config", conf, "--raid-voters", "s4"],
                env={"MESHBEAT_RAID_COORDINATOR_NAMES": "s4,s5"})
    assert (got["raid.voters"], got["raid.coordinator_names"]) == \
        (["s4"], ["s4", "s5"]), got
    line = line_of(conf, "voters")
    two = write("voters-two.conf", open(conf).read().replace(
        '"s2",\n', ""))
    refused(["--config", two] + NONE, "raid.voters", f"{two}:{line}",
            why="2 names: 1, 3 or 5 voters")
    refused(NONE + ["--raid-coordinator-names", "a,b", "--raid-voters",
                    "a,b,a"], "raid.voters", "--raid-voters",
            why="'a' is listed twice")
    refused(NONE + ["--raid-coordinator-names", "a,b", "--raid-voters",
                    "a,b,c"], "raid.voters", "--raid-voters",
            why="'c' is not in raid.coordinator_names")
    refused(NONE + ["--raid-coordinator-names", "a, b"],
            "raid.coordinator_names", "--raid-coordinator-names",
            why="begins or ends with a space")


TESTS = [test_defaults, test_precedence, test_http_listen, test_bad_values,
         test_data_dir_env_only, test_unknown_flag, test_example_placeholders,
         test_cert_without_authority, test_first_start,
         test_first_start_unnamed, test_host_name_seeds, test_seeds_kept,
         test_bridge_defaults, test_bridge_file_sections,
         test_bridge_precedence, test_bridge_refusals,
         test_bridge_secret_files, test_bridge_shown_blocks,
         test_raid_settings, test_raid_voters]

if __name__ == "__main__":
    only = sys.argv[4:]
    for t in TESTS:
        if not only or t.__name__ in only:
            t()
            print(f"{t.__name__}: PASS")
    subprocess.run(["rm", "-rf", ROOT])
