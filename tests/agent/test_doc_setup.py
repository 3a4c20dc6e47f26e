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
members --json`).  Needs root, `ip`, `nsenter`, `unshare` and overlayfs;
otherwise it says why and exits 77 (ctest counts that as skipped).

usage: test_doc_setup.py MESHBEAT OPERATIONS_MD
"""
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import textwrap

SECTION = "## Setting up a node"
SEED_ADDR, NODE_ADDR = "10.0.0.11", "10.0.0.12"


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


def blocks(doc):
    """The section's fenced blocks, dedented, with their directives."""
    lines = open(doc).read().split("\n")
    start = lines.index(SECTION)
    end = next(i for i in range(start + 1, len(lines))
               if lines[i].startswith("## "))
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
    assert len(runnable) >= 6, f"only {len(runnable)} sh blocks in {SECTION}"
    return runnable


def prelude(t, meshbeat, sleeper):
    """Private /etc, /var/lib and /run; meshbeat on PATH; the seed hook."""
    mounts = "\n".join(
        f"mkdir -p {t}/ov{d}/upper {t}/ov{d}/work\n"
        f"mount -t overlay overlay -o lowerdir={d},upperdir={t}/ov{d}/upper,"
        f"workdir={t}/ov{d}/work {d}" for d in ("/etc", "/var/lib", "/run"))
    seed = f"{t}/seed"
    return f"""set -euo pipefail
{mounts}
export PATH={shlex.quote(os.path.dirname(meshbeat))}:$PATH
mkdir -p {t}/home && cd {t}/home
doc_trap='echo "doc_setup: the block at docs/operations.md:$DOC_LINE failed (exit $?)" >&2'
trap "$doc_trap" ERR
doc_start_seed() {{
  mkdir -m 0700 {seed}
  meshbeat keygen --out {seed}/node.key >/dev/null
  meshbeat cert issue --authority authority.key \\
    --node-id "$(meshbeat id --key {seed}/node.key)" --name store-01 \\
    --domain rack-a --out {seed}/node.cert >/dev/null
  nsenter -t {sleeper} -n -m -- meshbeat agent --name store-01 \\
    --domain rack-a --cluster production --bind {SEED_ADDR}:7946 \\
    --authority "$(meshbeat id --key authority.key)" \\
    --key {seed}/node.key --cert {seed}/node.cert --data-dir {seed}/data \\
    --admin-socket {seed}/admin.sock --log-level debug >{t}/seed.log 2>&1 &
}}
"""


def alive_in(sock):
    check = ("import json, sys; m = json.load(sys.stdin); sys.exit(0 if "
             "{x['name'] for x in m if x['state'] == 'alive'} >= "
             "{'store-01', 'store-02'} else 1)")
    return (f"meshbeat members --json --admin-socket {sock} 2>/dev/null | "
            f"{shlex.quote(sys.executable)} -c {shlex.quote(check)}")


def epilogue(t):
    return f"""DOC_LINE=end
doc_until=$((SECONDS + 30))
until {alive_in('/run/meshbeat/admin.sock')} && {alive_in(t + '/seed/admin.sock')}; do
  [ $SECONDS -lt $doc_until ] || {{ echo "doc_setup: store-01 and store-02 are not both alive in both views after 30 s" >&2; exit 1; }}
  sleep 0.2
done
echo "doc_setup: store-02 alive in a two-node mesh, as the doc promises"
kill -TERM $(jobs -p)
wait
"""


def script(blist, t, meshbeat, sleeper):
    parts = [prelude(t, meshbeat, sleeper)]
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
        if "start the seed" in b.directive:
            parts.append("doc_start_seed")
    parts.append(epilogue(t))
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


def preflight():
    if os.geteuid() != 0:
        skip("network and mount namespaces need root")
    for tool in ("ip", "nsenter", "unshare"):
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
    """Two namespaces on a veth link; a process parked in the seed's for
    nsenter (the recipe's /run overlay hides /run/netns)."""

    def __init__(self):
        pid = os.getpid()
        self.seed, self.node = f"mbd{pid}-seed", f"mbd{pid}-node"
        self.sleeper = None
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
        self.sleeper = subprocess.Popen(["ip", "netns", "exec", self.seed,
                                         "sleep", "3600"])

    def cleanup(self):
        for ns in (self.seed, self.node):
            pids = sh("ip", "netns", "pids", ns, check=False).stdout.split()
            for p in pids:
                sh("kill", "-KILL", p, check=False)
        if self.sleeper:
            self.sleeper.wait()
        for ns in (self.seed, self.node):
            sh("ip", "netns", "del", ns, check=False)


def main():
    meshbeat, doc = os.path.abspath(sys.argv[1]), sys.argv[2]
    blist = blocks(doc)
    preflight()
    hosts = Hosts()
    t = tempfile.mkdtemp(prefix="meshbeat-doc-")
    ok = False
    try:
        text = script(blist, t, meshbeat, hosts.sleeper.pid)
        with open(f"{t}/recipe.sh", "w") as f:
            f.write(text)
        p = subprocess.run(["ip", "netns", "exec", hosts.node, "unshare",
                            "--mount", "--propagation", "private", "bash",
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
