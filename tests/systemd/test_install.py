#!/usr/bin/python3
"""What `cmake --install` puts in place, and the docs generated from --help.

usage: test_install.py BUILD_DIR MESHBEAT CASE

  tree  DESTDIR=... cmake --install: the binary, the unit with the installed
        paths filled in, the example configuration in SYSCONFDIR/meshbeat,
        meshbeat(1) and the bash completion; then an installation under a
        scratch prefix, whose unit `systemd-analyze verify` passes clean
        (its Documentation=man:meshbeat(1) found through MANPATH).  Exits
        77 only if systemd-analyze is missing and cannot be installed.
  docs  every command and every flag that `meshbeat --help` and the
        commands' --help show is in the man page and is offered by the bash
        completion (run in bash), which also completes subcommands and the
        values a flag's help lists; the man page formats without warnings.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile

BUILD, MB, CASE = sys.argv[1:4]
DIST = os.path.join(BUILD, "dist")
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def fail(why):
    raise AssertionError(why)


def sh(*args, env=None, check=True):
    p = subprocess.run(args, capture_output=True, text=True,
                       env=None if env is None else {**os.environ, **env})
    if check and p.returncode != 0:
        fail(f"{' '.join(args)}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    return p


def cache(var):
    with open(os.path.join(BUILD, "CMakeCache.txt")) as f:
        for line in f:
            if line.startswith(var + ":"):
                return line.split("=", 1)[1].strip()
    fail(f"{var} not in CMakeCache.txt")


def read(path):
    with open(path) as f:
        return f.read()


def unit_value(text, key):
    joined = text.replace("\\\n", " ")
    return [l.split("=", 1)[1] for l in joined.splitlines()
            if l.startswith(key + "=")]


def systemd_analyze():
    if shutil.which("systemd-analyze"):
        return True
    if os.geteuid() == 0 and shutil.which("apt-get"):
        sh("apt-get", "install", "-y", "-qq", "--no-install-recommends",
           "systemd", "man-db", check=False,
           env={"DEBIAN_FRONTEND": "noninteractive"})
    return shutil.which("systemd-analyze") is not None


def case_tree(work):
    prefix = cache("CMAKE_INSTALL_PREFIX")
    root = os.path.join(work, "destdir")
    sh("cmake", "--install", BUILD, env={"DESTDIR": root})
    conf_dir = "/etc/meshbeat" if prefix == "/usr" else f"{prefix}/etc/meshbeat"
    want = {
        f"{prefix}/bin/meshbeat": 0o111,
        f"{prefix}/lib/systemd/system/meshbeat.service": 0,
        f"{conf_dir}/meshbeat.conf.example": 0,
        f"{prefix}/share/man/man1/meshbeat.1": 0,
        f"{prefix}/share/bash-completion/completions/meshbeat": 0,
    }
    for path, mode in want.items():
        full = root + path
        if not os.path.isfile(full) or (os.stat(full).st_mode & mode) != mode:
            fail(f"not installed: {path}")
    unit = read(root + f"{prefix}/lib/systemd/system/meshbeat.service")
    start = unit_value(unit, "ExecStart")[0].split()
    if start[0] != f"{prefix}/bin/meshbeat" or \
            start[start.index("--config") + 1] != f"{conf_dir}/meshbeat.conf":
        fail(f"the unit's ExecStart has the wrong paths: {start}")
    for f in ("/lib/systemd/system/meshbeat.service",
              "/share/man/man1/meshbeat.1"):
        if re.search(r"@[A-Z_]+@", read(root + prefix + f)):
            fail(f"{f}: a placeholder was not filled in")
    source = cache("meshbeat_SOURCE_DIR")
    if read(root + f"{conf_dir}/meshbeat.conf.example") != read(
            os.path.join(source, "dist", "meshbeat.conf.example")):
        fail("the installed example is not dist/meshbeat.conf.example")

    if not systemd_analyze():
        print("SKIP: no systemd-analyze and it cannot be installed here")
        sys.exit(77)
    # Under a prefix of its own, the unit names files that exist, and
    # verify checks them: the binary, the man page (through MANPATH).
    scratch = os.path.join(work, "prefix")
    sh("cmake", "--install", BUILD, "--prefix", scratch)
    unit_path = f"{scratch}/lib/systemd/system/meshbeat.service"
    if f"{scratch}/etc/meshbeat/meshbeat.conf" not in read(unit_path):
        fail("cmake --install --prefix did not fill the unit with its paths")
    p = sh("systemd-analyze", "verify", unit_path,
           env={"MANPATH": f"{scratch}/share/man"}, check=False)
    if p.returncode != 0 or p.stdout.strip() or p.stderr.strip():
        fail(f"systemd-analyze verify {unit_path}: exit {p.returncode}\n"
             f"{p.stdout}{p.stderr}")
    print("tree: PASS")


def help_of(*args):
    return sh(MB, *args, "--help").stdout


def commands():
    top = help_of()
    names = re.findall(r"^  ([a-z][a-z-]*) ", top.split("commands:")[1], re.M)
    if len(names) < 10:
        fail(f"meshbeat --help lists too few commands: {names}")
    out = {}
    for name in names:
        text = help_of(name)
        own = text.startswith("usage:") and text != top
        out[name] = sorted(set(FLAG.findall(text))) if own else []
    return out


def complete(script, *words):
    """What the completion offers for `meshbeat WORDS...` (the last word
    is the one being completed)."""
    words = ["meshbeat", *words]
    quoted = " ".join("'" + w.replace("'", "'\\''") + "'" for w in words)
    p = sh("bash", "-c", f"source '{script}'; COMP_WORDS=({quoted}); "
           f"COMP_CWORD={len(words) - 1}; _meshbeat; "
           'printf "%s\\n" "${COMPREPLY[@]}"')
    return [w for w in p.stdout.splitlines() if w]


def case_docs(work):
    man = read(os.path.join(DIST, "meshbeat.1.in"))
    text = man.replace("\\-", "-").replace("\\e", "\\").replace("\\&", "")
    bash = os.path.join(DIST, "meshbeat.bash")
    cmds = commands()
    offered = complete(bash, "")
    for name, flags in cmds.items():
        if not re.search(rf"^\.B {re.escape(name)}$", text, re.M):
            fail(f"man page: command {name} is not listed")
        if name not in offered:
            fail(f"completion: command {name} is not offered ({offered})")
        if flags and f'.SS "meshbeat {name}"' not in text:
            fail(f"man page: no section for {name}")
        section = text.split(f'.SS "meshbeat {name}"')[-1].split(".SS")[0]
        got = complete(bash, name, "--")
        for flag in flags:
            if flag not in section:
                fail(f"man page: {name} {flag} is missing")
            if flag not in got:
                fail(f"completion: {name} {flag} is not offered ({got})")
    checks = [
        (("mem",), ["member", "members"]),
        (("members", "--st"), ["--status"]),
        (("members", "--status", ""), ["alive", "suspect", "dead", "left"]),
        (("members", "--status", "alive,s"), ["alive,suspect"]),
        (("agent", "--log-level", "w"), ["warn"]),
        (("cert", ""), ["issue", "revoke"]),
        (("members", "--domain", ""), []),  # free text: nothing to offer
    ]
    for words, want in checks:
        got = complete(bash, *words)
        if sorted(got) != sorted(want):
            fail(f"completion of {' '.join(words)!r}: {got}, expected {want}")
    if shutil.which("groff"):
        p = sh("groff", "-man", "-ww", "-z", os.path.join(DIST, "meshbeat.1.in"))
        if p.stderr.strip():
            fail(f"groff warns about the man page:\n{p.stderr}")
    print("docs: PASS")


def main():
    work = tempfile.mkdtemp(prefix="meshbeat-install-")
    try:
        {"tree": case_tree, "docs": case_docs}[CASE](work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


main()
