#!/usr/bin/python3
"""`meshbeat agent --check`: defaults < file < MESHBEAT_* < flags, and bad
settings refused with exit code 2 and a message naming them.

usage: test_config.py MESHBEAT EXAMPLE_CONF
"""
import json
import os
import subprocess
import sys
import tempfile

MB, EXAMPLE = sys.argv[1], sys.argv[2]


def check(args, env=None, code=0):
    e = {k: v for k, v in os.environ.items() if not k.startswith("MESHBEAT_")}
    e.update(env or {})
    p = subprocess.run([MB, "agent", *args, "--check"], env=e,
                       capture_output=True, text=True)
    assert p.returncode == code, (args, env, p.returncode, p.stderr)
    return json.loads(p.stdout) if code == 0 else p.stderr


defaults = check([])
assert defaults["bind"] == "0.0.0.0:7946" and defaults["join"] == []
assert defaults["gossip.probe_interval_ms"] == 1000
assert defaults["data_dir"] == "meshbeat-data"
assert defaults["http.listen"] == ""  # the HTTP listener is off by default

example = check(["--config", EXAMPLE])
assert example["cluster"] == "production" and len(example["join"]) == 3
assert example["log_format"] == "json"

with tempfile.NamedTemporaryFile("w", suffix=".conf", delete=False) as f:
    f.write('name = "from-file"\ncluster = "c1"\njoin = {"10.0.0.1:1"}\n'
            'gossip { probe_interval_ms = 700 }\n')
conf = f.name
got = check(["--config", conf])
assert (got["name"], got["cluster"], got["gossip.probe_interval_ms"]) == \
    ("from-file", "c1", 700)
got = check([], env={"MESHBEAT_CONFIG": conf, "MESHBEAT_NAME": "from-env",
                     "MESHBEAT_JOIN": "10.0.0.2:2,10.0.0.3:3"})
assert got["name"] == "from-env" and got["cluster"] == "c1"
assert got["join"] == ["10.0.0.2:2", "10.0.0.3:3"]
got = check(["--config", conf, "--name", "from-flag", "--join", "10.0.0.4:4"],
            env={"MESHBEAT_NAME": "from-env"})
assert got["name"] == "from-flag" and got["join"] == ["10.0.0.4:4"]

# http.listen: the http { } section, MESHBEAT_HTTP_ADDR, --http-addr.
with open(conf, "w") as f:
    f.write('http {\n  listen = "127.0.0.1:9946"\n}\n')
assert check(["--config", conf])["http.listen"] == "127.0.0.1:9946"
got = check(["--config", conf], env={"MESHBEAT_HTTP_ADDR": "[::1]:9946"})
assert got["http.listen"] == "[::1]:9946"
got = check(["--config", conf, "--http-addr", "10.0.0.5:9946"],
            env={"MESHBEAT_HTTP_ADDR": "[::1]:9946"})
assert got["http.listen"] == "10.0.0.5:9946"

err = check(["--log-level", "loud"], code=2)
assert "loud" in err, err
err = check(["--frobnicate", "1"], code=2)
assert "--frobnicate" in err, err
with open(conf, "w") as f:
    f.write('gossip { probe_interval_ms = "soon" }\n')
err = check(["--config", conf], code=2)
assert conf in err, err
os.unlink(conf)

# No authority on a routable address: refused, unless the operator asks
# for an open mesh in so many words (authority = "none").
with tempfile.TemporaryDirectory() as d:
    p = subprocess.run([MB, "agent", "--bind", "0.0.0.0:0", "--name", "x",
                        "--data-dir", os.path.join(d, "data"),
                        "--admin-socket", os.path.join(d, "admin.sock")],
                       capture_output=True, text=True, timeout=20,
                       env={k: v for k, v in os.environ.items()
                            if not k.startswith("MESHBEAT_")})
    assert p.returncode != 0, p
    assert "no authority" in p.stderr and '"none"' in p.stderr, p.stderr
print("config precedence and refusals: PASS")
