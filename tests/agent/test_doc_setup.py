#!/usr/bin/python3
"""docs/operations.md's "Setting up a node", run word for word.

The section's ```sh blocks are run in order by one bash, with the built
meshbeat on PATH, as root in a network namespace of their own ("the node",
10.0.0.12) and a private mount namespace whose /etc, /var/lib and /run are
overlays, so the recipe's literal /etc/meshbeat, /var/lib/meshbeat and
/run/meshbeat are used and the host's are never touched.  A second
namespace ("the seed", 10.0.0.11, on a veth link) runs the member the
recipe joins, certified by the recipe's own authority.  The blocks stay as
the doc has them; an HTML comment before a block tells what to expect:

  <!-- doctest: then start the seed -->      start the seed after it
  <!-- doctest: exit 2, output as below -->  it exits 2, printing what the
                                             next ```text block shows (ids
                                             and times may differ)
  <!-- doctest: retry for 30 s -->           run it until it succeeds

It ends by asserting that both members are alive in both views (`meshbeat
members --json`).

With `certlife` (ctest doc_setup_certlife) the same run goes on with the
```sh blocks of "Certificates' life" (renewal) and "Revoking a node", word
for word, each followed by the test's own checks (`--check`, below):
after the renewal the same agent process runs on with the new
certificate's expiry (`meshbeat info`, the metric
meshbeat_cert_expiry_timestamp_seconds, and the seed's view of it), its
incarnation unchanged; after the revocation the revoked seed exits 3 and
says why, the node shows it dead and revoked, and the seed, restarted,
exits 3 at once.

The recipe runs in a PID namespace of its own too, so that a block's
`pkill` reaches only the agents it started.  Needs root, `ip`, `nsenter`,
`unshare`, overlayfs (and `jq`, `pkill` for certlife); otherwise it says
why and exits 77 (ctest counts that as skipped).

usage: test_doc_setup.py MESHBEAT OPERATIONS_MD [certlife]
       test_doc_setup.py --check NAME WORKDIR [ARGS]   (from the recipe)
"""
import datetime
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time

SECTION = "## Setting up a node"
RENEWAL, REVOCATION = "## Certificates' life", "### Revoking a node"
SEED_ADDR, NODE_ADDR = "10.0.0.11", "10.0.0.12"
NODE_SOCKET = "/run/meshbeat/admin.sock"  # the recipe's admin_socket
RENEWAL_TTL_S = 365 * 86400  # the renewal block's --ttl 365d


def skip(why):
    print(f"SKIP: {why}")
    sys.exit(77)


def sh(*args, check=True):
    return subprocess.run(args, check=check, capture_output=True, text=True)


class Block:
    def __init__(self, line, lang, text, directive):
        self.line, self.lang, self.text = line, lang, text
        self.directive = directive or ""
        self.sample = None  # the ```text block that shows its output

    def exit_code(self):
        m = re.search(r"exit (\d+)", self.directive)
        return int(m.group(1)) if m else 0

    def retry_s(self):
        m = re.search(r"retry for (\d+) s", self.directive)
        return int(m.group(1)) if m else 0


def blocks(doc, heading=SECTION, least=6):
    """The section's fenced blocks, dedented, with their directives."""
    lines = open(doc).read().split("\n")
    start = lines.index(heading)
    level = heading.split(" ")[0]
    end = next(i for i in range(start + 1, len(lines))
               if re.match(r"#{1,%d} " % len(level), lines[i]))
    out, directive, i = [], None, start
    while i < end:
        s = lines[i].strip()
        m = re.fullmatch(r"<!-- doctest: (.*) -->", s)
        if m:
            directive = m.group(1)
        elif s.startswith("```") and len(s) > 3:
            body, j = [], i + 1
            while lines[j].strip() != "```":
                body.append(lines[j])
                j += 1
            b = Block(i + 1, s[3:], textwrap.dedent("\n".join(body)) + "\n",
                      directive)
            if b.lang == "text" and out and "output as below" in \
                    out[-1].directive and out[-1].sample is None:
                out[-1].sample = b
            out.append(b)
            directive, i = None, j
        elif s:
            directive = directive if s.startswith("<!--") else None
        i += 1
    runnable = [b for b in out if b.lang == "sh"]
    assert len(runnable) >= least, \
        f"only {len(runnable)} sh blocks in {heading}"
    return runnable


def prelude(t, meshbeat, seed_ns):
    """Private /etc, /var/lib and /run; meshbeat on PATH; the seed hook.
    The seed's network namespace is opened before /run is overlaid (which
    hides /run/netns), and entered through that descriptor: by path, not
    by a process id, which the recipe's PID namespace would not know."""
    mounts = "\n".join(
        f"mkdir -p {t}/ov{d}/upper {t}/ov{d}/work\n"
        f"mount -t overlay overlay -o lowerdir={d},upperdir={t}/ov{d}/upper,"
        f"workdir={t}/ov{d}/work {d}" for d in ("/etc", "/var/lib", "/run"))
    seed = f"{t}/seed"
    return f"""set -euo pipefail
exec 9</run/netns/{seed_ns}
{mounts}
export PATH={shlex.quote(os.path.dirname(meshbeat))}:$PATH
mkdir -p {t}/home && cd {t}/home
exec 3>&2  # the trap's own stderr, also where a block's is a file
doc_trap='doc_rc=$?; cat "{t}/out.$DOC_LINE" >&3 2>/dev/null; echo "doc_setup: the block at docs/operations.md:$DOC_LINE failed (exit $doc_rc)" >&3'
trap "$doc_trap" ERR
doc_check() {{
  {shlex.quote(sys.executable)} {shlex.quote(os.path.abspath(__file__))} --check "$1" {t} "${{@:2}}"
}}
doc_start_seed() {{
  mkdir -m 0700 {seed}
  meshbeat keygen --out {seed}/node.key >/dev/null
  meshbeat cert issue --authority authority.key \\
    --node-id "$(meshbeat id --key {seed}/node.key)" --name store-01 \\
    --domain rack-a --out {seed}/node.cert >/dev/null
  doc_seed=(nsenter --net=/proc/self/fd/9 -- meshbeat agent --name store-01
    --domain rack-a --cluster production --bind {SEED_ADDR}:7946
    --authority "$(meshbeat id --key authority.key)"
    --key {seed}/node.key --cert {seed}/node.cert --data-dir {seed}/data
    --admin-socket {seed}/admin.sock --log-level debug)
  "${{doc_seed[@]}}" >{t}/seed.log 2>&1 &
  doc_seed_pid=$!
}}
"""


def alive_in(sock):
    check = ("import json, sys; m = json.load(sys.stdin); sys.exit(0 if "
             "{x['name'] for x in m if x['state'] == 'alive'} >= "
             "{'store-01', 'store-02'} else 1)")
    return (f"meshbeat members --json --admin-socket {sock} 2>/dev/null | "
            f"{shlex.quote(sys.executable)} -c {shlex.quote(check)}")


def both_alive(t):
    return f"""DOC_LINE=end
doc_until=$((SECONDS + 30))
until {alive_in(NODE_SOCKET)} && {alive_in(t + '/seed/admin.sock')}; do
  [ $SECONDS -lt $doc_until ] || {{ echo "doc_setup: store-01 and store-02 are not both alive in both views after 30 s" >&2; exit 1; }}
  sleep 0.2
done
echo "doc_setup: store-02 alive in a two-node mesh, as the doc promises"
"""


def epilogue():
    return """kill -TERM $(jobs -p)
wait
"""


def certlife(renewal, revocation, t):
    """The renewal and revocation blocks, run as written after the setup,
    each between the test's checks; their output kept for the checks."""
    def block(b):
        return (f"DOC_LINE={b.line}\necho '+ docs/operations.md:{b.line}'\n"
                f"{{\n{b.text}}} >{t}/out.{b.line} 2>&1\n"
                f"cat {t}/out.{b.line}")
    parts = ["doc_check renewal-before"]
    parts += [block(b) for b in renewal]
    parts.append(f"doc_check renewal-after $doc_node_pid {t}/out."
                 f"{renewal[0].line}")
    parts += [block(b) for b in revocation]
    parts.append(f"""DOC_LINE=end
doc_until=$((SECONDS + 10))
while kill -0 $doc_seed_pid 2>/dev/null; do
  [ $SECONDS -lt $doc_until ] || {{ echo "doc_setup: the revoked store-01 still runs after 10 s" >&2; exit 1; }}
  sleep 0.05
done
doc_rc=0; wait $doc_seed_pid || doc_rc=$?
[ $doc_rc -eq 3 ] || {{ echo "doc_setup: the revoked store-01 exited $doc_rc, not 3" >&2; exit 1; }}
doc_rc=0; timeout 20 "${{doc_seed[@]}}" >{t}/seed-again.log 2>&1 || doc_rc=$?
[ $doc_rc -eq 3 ] || {{ echo "doc_setup: store-01 restarted exited $doc_rc, not 3" >&2; cat {t}/seed-again.log >&2; exit 1; }}
doc_check revocation-after {t}/out.{revocation[-1].line}
kill -TERM $doc_node_pid
doc_rc=0; wait $doc_node_pid || doc_rc=$?
[ $doc_rc -eq 0 ] || {{ echo "doc_setup: store-02 exited $doc_rc on SIGTERM" >&2; exit 1; }}
echo "doc_setup: renewed by SIGHUP, store-01 revoked, as the doc promises"
""")
    return "\n".join(parts)


def script(blist, t, meshbeat, seed_ns, more=None):
    parts = [prelude(t, meshbeat, seed_ns)]
    for b in blist:
        parts.append(f"DOC_LINE={b.line}\necho '+ docs/operations.md:"
                     f"{b.line}'")
        if b.exit_code():
            parts.append(f"""set +e
trap - ERR
(
{b.text})  >{t}/out.{b.line} 2>&1
doc_rc=$?
trap "$doc_trap" ERR
set -e
cat {t}/out.{b.line}
if [ $doc_rc -ne {b.exit_code()} ]; then
  echo "doc_setup: docs/operations.md:{b.line} exited $doc_rc, the doc says {b.exit_code()}" >&2
  exit 1
fi""")
        elif b.retry_s():
            parts.append(f"""doc_until=$((SECONDS + {b.retry_s()}))
until (
{b.text}); do
  [ $SECONDS -lt $doc_until ] || {{ echo "doc_setup: docs/operations.md:{b.line} still failing after {b.retry_s()} s" >&2; exit 1; }}
  sleep 0.2
done""")
        else:
            parts.append(b.text)
            if b.text.rstrip().endswith("&"):  # the node's agent
                parts.append("doc_node_pid=$!")
        if "start the seed" in b.directive:
            parts.append("doc_start_seed")
    parts.append(both_alive(t))
    parts.append(more if more is not None else epilogue())
    return "\n".join(parts)


def pattern(sample_line):
    """A sample output line as a regex: ids and times may differ."""
    p = re.escape(sample_line.rstrip())
    p = re.sub(r"[0-9a-f]{64}", "[0-9a-f]{64}", p)
    return re.sub(r"\d{4}\\-\d\d\\-\d\dT\d\d:\d\d:\d\d\\\.\d{3}Z",
                  r"\\d{4}-\\d\\d-\\d\\dT[0-9:.]+Z", p)


def compare_samples(blist, t):
    for b in blist:
        if b.sample is None:
            continue
        got = open(f"{t}/out.{b.line}").read().rstrip("\n").split("\n")
        want = b.sample.text.rstrip("\n").split("\n")
        assert len(got) == len(want), \
            f"docs/operations.md:{b.sample.line}: the doc shows {len(want)} " \
            f"lines, the command printed {len(got)}:\n" + "\n".join(got)
        for w, g in zip(want, got):
            assert re.fullmatch(pattern(w), g), \
                f"docs/operations.md:{b.sample.line}: the doc shows\n  {w}\n" \
                f"the command printed\n  {g}"


def cli(*args):
    """The built meshbeat (on the recipe's PATH)."""
    p = subprocess.run(["meshbeat", *args], capture_output=True, text=True)
    assert p.returncode == 0, f"meshbeat {' '.join(args)}: {p.stderr}"
    return p.stdout


def until(cond, what, timeout):
    """Polls cond; what (a string, or a function for one said after the
    last try) says what did not happen."""
    deadline = time.monotonic() + timeout
    while not cond():
        assert time.monotonic() < deadline, \
            f"{what() if callable(what) else what} after {timeout} s"
        time.sleep(0.05)


def view_of(sock, name):
    return next(m for m in json.loads(cli("members", "--json",
                                          "--admin-socket", sock))
                if m["name"] == name)


def expiry_metric(sock):
    for line in cli("metrics", "--admin-socket", sock).splitlines():
        if line.startswith("meshbeat_cert_expiry_timestamp_seconds "):
            return int(float(line.split()[1]))
    raise AssertionError("no meshbeat_cert_expiry_timestamp_seconds")


def check_renewal_before(t):
    """Notes the certificate the node runs with; waits for the second in
    which the renewal's certificate can no longer equal it (the setup
    issued its own within the last second or two: an identical file would
    be "unchanged", and the check below would prove nothing)."""
    info = json.loads(cli("info", "--json", "--admin-socket", NODE_SOCKET))
    with open(f"{t}/renewal.json", "w") as f:
        json.dump(info, f)
    until(lambda: int(time.time()) + RENEWAL_TTL_S > info["cert_expires_at"],
          "the clock has not passed the setup's certificate", 5)


def check_renewal_after(t, pid, issue_out):
    before = json.load(open(f"{t}/renewal.json"))
    m = re.search(r"valid until (\S+) written to node\.cert",
                  open(issue_out).read())
    assert m, f"no expiry in the renewal's output: {open(issue_out).read()}"
    new = int(datetime.datetime.fromisoformat(
        m.group(1).replace("Z", "+00:00")).timestamp())
    assert new > before["cert_expires_at"], (new, before)
    seen = {}

    def renewed():
        info = json.loads(cli("info", "--json", "--admin-socket",
                              NODE_SOCKET))
        seen.update(info=info["cert_expires_at"],
                    metric=expiry_metric(NODE_SOCKET),
                    seed=view_of(f"{t}/seed/admin.sock",
                                 "store-02")["cert_expires_at"],
                    incarnation=info["incarnation"], id=info["id"])
        return seen["info"] == seen["metric"] == seen["seed"] == new

    until(renewed, lambda: f"store-02 (info, metric, the seed's view: "
          f"{seen}) not renewed to {new}", 10)
    assert seen["incarnation"] == before["incarnation"], \
        f"the incarnation changed: {before['incarnation']} -> {seen}"
    assert seen["id"] == before["id"]
    cmdline = open(f"/proc/{pid}/cmdline").read().split("\0")
    assert cmdline[:2] == ["meshbeat", "agent"], cmdline  # the same process
    print(f"doc_setup: renewed by SIGHUP in the same process {pid}: "
          f"expiry {before['cert_expires_at']} -> {new} in info, the metric "
          f"and the seed's view; incarnation {seen['incarnation']}")


def check_revocation_after(t, records_out):
    seed_id = cli("id", "--key", f"{t}/seed/node.key").split()[0]
    m = view_of(NODE_SOCKET, "store-01")
    assert m["id"] == seed_id and m["state"] == "dead" and \
        m["reason"] == "revoked" and m.get("revoked") is True, m
    records = open(records_out).read()
    assert "key lost" in records, f"meshbeat records: {records}"
    for log in ("seed.log", "seed-again.log"):
        text = open(f"{t}/{log}").read()
        assert f"this node ({seed_id}) has been revoked by the cluster " \
            "authority: key lost" in text, f"{log}:\n{text}"
    print("doc_setup: store-01 revoked: it exited 3, and 3 again at once "
          "when restarted; store-02 shows it dead, reason revoked")


CHECKS = {"renewal-before": check_renewal_before,
          "renewal-after": check_renewal_after,
          "revocation-after": check_revocation_after}


def preflight(tools):
    if os.geteuid() != 0:
        skip("network and mount namespaces need root")
    for tool in tools:
        if shutil.which(tool) is None:
            skip(f"{tool} is not installed")
    with tempfile.TemporaryDirectory() as d:
        for sub in ("lower", "upper", "work", "merged"):
            os.mkdir(os.path.join(d, sub))
        p = sh("unshare", "--mount", "--propagation", "private", "mount",
               "-t", "overlay", "overlay", "-o",
               f"lowerdir={d}/lower,upperdir={d}/upper,workdir={d}/work",
               f"{d}/merged", check=False)
        if p.returncode != 0:
            skip(f"cannot mount overlayfs here: {p.stderr.strip()}")


class Hosts:
    """Two namespaces on a veth link."""

    def __init__(self):
        pid = os.getpid()
        self.seed, self.node = f"mbd{pid}-seed", f"mbd{pid}-node"
        if sh("ip", "netns", "add", self.seed, check=False).returncode != 0:
            skip("cannot create network namespaces here")
        sh("ip", "netns", "add", self.node)
        sh("ip", "link", "add", f"mbd{pid}s", "netns", self.seed, "type",
           "veth", "peer", "name", f"mbd{pid}n", "netns", self.node)
        for ns, dev, addr in ((self.seed, f"mbd{pid}s", SEED_ADDR),
                              (self.node, f"mbd{pid}n", NODE_ADDR)):
            sh("ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", dev)
            sh("ip", "-n", ns, "link", "set", dev, "up")
            sh("ip", "-n", ns, "link", "set", "lo", "up")

    def cleanup(self):
        for ns in (self.seed, self.node):
            pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
            for p in pids:
                sh("kill", "-KILL", p, check=False)
        for ns in (self.seed, self.node):
            sh("ip", "netns", "del", ns, check=False)


def main():
    if sys.argv[1] == "--check":
        CHECKS[sys.argv[2]](*sys.argv[3:])
        return
    meshbeat, doc = os.path.abspath(sys.argv[1]), sys.argv[2]
    with_certlife = sys.argv[3:] == ["certlife"]
    blist = blocks(doc)
    tools = ["ip", "nsenter", "unshare"]
    more = None
    if with_certlife:
        renewal, revocation = blocks(doc, RENEWAL, 1), blocks(doc, REVOCATION, 1)
        tools += ["jq", "pkill"]
    preflight(tools)
    hosts = Hosts()
    t = tempfile.mkdtemp(prefix="meshbeat-doc-")
    ok = False
    try:
        if with_certlife:
            more = certlife(renewal, revocation, t)
        text = script(blist, t, meshbeat, hosts.seed, more)
        with open(f"{t}/recipe.sh", "w") as f:
            f.write(text)
        p = subprocess.run(["ip", "netns", "exec", hosts.node, "unshare",
                            "--mount", "--propagation", "private", "--pid",
                            "--fork", "--mount-proc", "bash",
                            f"{t}/recipe.sh"], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True, timeout=180)
        print(p.stdout)
        if p.returncode != 0:
            if os.path.exists(f"{t}/seed.log"):
                print("seed's log:\n" + open(f"{t}/seed.log").read())
            raise AssertionError(f"the recipe failed (exit {p.returncode})")
        compare_samples(blist, t)
        ok = True
        print("doc_setup: PASS")
    finally:
        hosts.cleanup()
        if ok or os.environ.get("MESHBEAT_KEEP") != "1":
            shutil.rmtree(t, ignore_errors=True)
        else:
            print(f"kept {t}")


if __name__ == "__main__":
    main()
