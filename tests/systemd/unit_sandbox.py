"""What a systemd unit would do to its service, as meshbeat-sandbox options.

The syscall sets are systemd's own, asked of `systemd-analyze syscall-filter`
(the same tables PID 1 compiles its filters from), never a copy: a copy
drifts from the systemd that runs the unit.  The assignments are applied with
systemd's semantics (systemd.exec(5), SystemCallFilter=):

  - the first assignment decides the mode: without "~" an allow-list (which
    always includes @default), with "~" a deny-list;
  - later assignments add to or remove from that list: in an allow-list a
    plain entry adds, a "~" entry removes; in a deny-list the reverse;
  - a refused call gets SystemCallErrorNumber= as its errno, or without it
    kills the process (SIGSYS).
"""
import errno
import functools
import json
import os
import re
import shutil
import socket
import subprocess


class UnitError(AssertionError):
    pass


def parse_unit(path):
    """[(section, key, value)] in file order, continuation lines joined."""
    out, section, pending = [], None, ""
    with open(path) as f:
        for raw in f:
            line = pending + raw.rstrip("\n")
            if line.endswith("\\"):
                pending = line[:-1] + " "
                continue
            pending = ""
            s = line.strip()
            if not s or s[0] in "#;":
                continue
            if s.startswith("[") and s.endswith("]"):
                section = s[1:-1]
                continue
            key, _, value = s.partition("=")
            out.append((section, key.strip(), value.strip()))
    return out


def service_values(unit, key):
    return [v for sec, k, v in unit if sec == "Service" and k == key]


def have_systemd_analyze():
    return shutil.which("systemd-analyze") is not None


@functools.lru_cache(maxsize=None)
def expand(name):
    """The syscalls a filter entry names: a set (@x) is expanded, nested
    sets too, from systemd-analyze's tables."""
    if not name.startswith("@"):
        return frozenset([name])
    p = subprocess.run(["systemd-analyze", "syscall-filter", name],
                       capture_output=True, text=True)
    if p.returncode != 0:
        raise UnitError(f"systemd-analyze syscall-filter {name}: {p.stderr}")
    names = set()
    for line in p.stdout.splitlines()[1:]:  # the first line is the set's name
        entry = line.strip()
        if entry and not entry.startswith("#"):
            names |= expand(entry)
    if not names:
        raise UnitError(f"systemd-analyze knows no syscall set {name}")
    return frozenset(names)


def syscall_policy(unit, drop=()):
    """(allowed syscalls, action) for an allow-list unit; `drop` removes
    sets from the allow-list after the unit's own assignments, to show what
    a unit without them would do.  A deny-list unit is not supported:
    ours is an allow-list, and the test should say so if that changes."""
    allow, mode = set(), None
    for value in service_values(unit, "SystemCallFilter"):
        if value == "":
            allow, mode = set(), None
            continue
        invert = value.startswith("~")
        entries = value.lstrip("~").split()
        if mode is None:
            if invert:
                raise UnitError("the unit's SystemCallFilter= is a deny-list")
            mode = "allow"
            allow |= expand("@default")
        for e in entries:
            names = expand(e.split(":")[0])
            allow = allow - names if invert else allow | names
    if mode is None:
        raise UnitError("the unit has no SystemCallFilter=")
    for d in drop:
        allow -= expand(d)
    errnos = service_values(unit, "SystemCallErrorNumber")
    action = "kill"
    if errnos and errnos[-1] not in ("", "kill"):
        action = str(getattr(errno, errnos[-1]))
    return sorted(allow), action


def families(unit):
    """RestrictAddressFamilies= as socket() family numbers."""
    values = service_values(unit, "RestrictAddressFamilies")
    if not values or values[-1].startswith("~"):
        raise UnitError("expected an allow-list RestrictAddressFamilies=")
    return [int(getattr(socket, name)) for name in values[-1].split()]


def sandbox_argv(unit, sandbox, allow_file, writable, user=None, bind_ro=(),
                 drop=()):
    """meshbeat-sandbox's options for the unit's restrictions; writes the
    syscall allow-list to allow_file."""
    allow, action = syscall_policy(unit, drop)
    with open(allow_file, "w") as f:
        f.write("\n".join(allow) + "\n")
    argv = [sandbox, "--allow-file", allow_file, "--action", action,
            "--families", ",".join(str(f) for f in families(unit))]
    if service_values(unit, "ProtectSystem")[-1:] == ["strict"]:
        argv.append("--read-only")
        for w in writable:
            argv += ["--writable", w]
    # PrivateTmp=: an empty /tmp of its own -- unless the build tree or the
    # test's files live under /tmp (a checkout in /tmp), which the fresh
    # tmpfs would hide from the sandbox itself.  The agent writes nothing
    # to /tmp either way.
    needed = [sandbox, allow_file, *writable,
              *(b.split(":")[0] for b in bind_ro)]
    if service_values(unit, "PrivateTmp")[-1:] == ["yes"] and not any(
            os.path.realpath(p).startswith("/tmp/") for p in needed):
        argv += ["--tmpfs", "/tmp"]
    umask = service_values(unit, "UMask")
    if umask:
        argv += ["--umask", umask[-1]]
    if user is not None:
        if service_values(unit, "DynamicUser")[-1:] != ["yes"]:
            raise UnitError("the unit no longer uses DynamicUser=")
        argv += ["--user", f"{user[0]}:{user[1]}"]
    for b in bind_ro:
        argv += ["--bind-ro", b]
    return argv + ["--"]


def log_lines(path):
    """The agent's JSON log lines (log_format = "json")."""
    out = []
    with open(path, errors="replace") as f:
        for line in f:
            line = line.strip()
            if line.startswith("{"):
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    return out


def grep(path, pattern):
    with open(path, errors="replace") as f:
        return [l for l in f if re.search(pattern, l)]
