#!/usr/bin/env python3
"""Writes meshbeat(1) and the bash completion from the built binary's help.

usage: gen_cli_docs.py MESHBEAT --man OUT.1 --bash OUT.bash
                       [--version V] [--conf-dir DIR] [--unit-dir DIR]

--conf-dir and --unit-dir name the installed paths in the man page's FILES;
the build passes @MESHBEAT_CONF_DIR@ and @MESHBEAT_UNIT_DIR@, which the
installation fills in (dist/install_unit.cmake) as it does in the unit.

The one source is the CLI itself: `meshbeat --help` lists the commands and
`meshbeat COMMAND --help` each one's usage and flags, so the man page and
the completion are rebuilt with the binary and cannot drift from it (the
build runs this after linking; tests/systemd/test_cli_docs.py checks that
every command and flag of --help is in both).  What a flag's value is comes
from the help text too: "--out FILE" takes a file name, "--status STATE ...
alive|suspect|dead|left" one of those words, and a flag followed by no
upper-case word takes no value.
"""
import argparse
import re
import subprocess

FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
# "--flag METAVAR": an upper-case word after the flag that ends where the
# help's columns or brackets end ("--mac   MAC under the pair key" is a
# flag and then prose, so the word must not run on into lower-case text).
VALUED = re.compile(r"(--[a-z][a-z0-9-]*)(?:=|[ \t]+)([A-Z][A-Z0-9_:]*)"
                    r"(?=[ \t]{2,}|[ \t]*$|[ \t]+--|[ \t]*\[|\]|\.\.\.)",
                    re.M)
# An option's own line ("  --flag ...", "  -f, --flag ..."): where its
# choices ("debug|info|warn|error") and short form are.
OPTION_LINE = re.compile(r"^\s+(?:(-[A-Za-z]), )?(--[a-z][a-z0-9-]*)(.*)$")
CHOICES = re.compile(r"(?<![\w|-])([a-z][a-z0-9-]*(?:\|[a-z][a-z0-9-]*)+)"
                     r"(?![\w|-])")
FILE_METAVAR = re.compile(r"FILE|PATH|DIR|KEY|CERT|SOCKET|CONFIG")
ENV_VAR = re.compile(r"\$?(MESHBEAT_[A-Z_]+)")


def run_help(binary, *args):
    p = subprocess.run([binary, *args, "--help"], capture_output=True,
                       text=True)
    return p.stdout if p.returncode == 0 else ""


class Command:
    def __init__(self, name, summary, text):
        self.name, self.summary, self.text = name, summary, text
        self.flags = sorted(set(FLAG.findall(text)))
        self.short = set()
        self.takes_value = dict(VALUED.findall(text))  # flag -> metavar
        self.choices = {}  # flag -> [word]
        for line in text.splitlines():
            m = OPTION_LINE.match(line)
            if not m:
                continue
            short, flag, rest = m.groups()
            if short:
                self.short.add(short)
            c = CHOICES.search(rest)
            if c and flag in self.takes_value:
                self.choices[flag] = c.group(1).split("|")
        # Words that follow the command in its usage lines ("cert issue").
        self.subcommands = sorted(set(re.findall(
            rf"meshbeat {re.escape(name)} ([a-z][a-z-]*)\b", text)))

    def file_flags(self):
        return sorted(f for f, mv in self.takes_value.items()
                      if FILE_METAVAR.search(mv) and f not in self.choices)


def commands(binary):
    top = run_help(binary)
    if "commands:" not in top:
        raise SystemExit(f"{binary} --help lists no commands")
    out = []
    for line in top.split("commands:", 1)[1].splitlines():
        m = re.match(r"^  ([a-z][a-z-]*)\s+(.*)$", line)
        if m:
            name, summary = m.groups()
            text = run_help(binary, name)
            own = text.startswith("usage:") and text != top  # not `help`
            out.append(Command(name, summary, text if own else ""))
    return top, out


# ---- the man page ----------------------------------------------------------

def roff(text):
    """Text as it stands, safe inside roff: backslashes, leading dots and
    quotes, and minus signs (so that flags copy and search as typed)."""
    out = []
    for line in text.splitlines():
        line = line.replace("\\", "\\e").replace("-", "\\-")
        if line.startswith((".", "'")):
            line = "\\&" + line
        out.append(line)
    return "\n".join(out)


def man_page(cmds, version, conf, unitdir):
    env = sorted({v for c in cmds for v in ENV_VAR.findall(c.text)})
    s = [f'.TH MESHBEAT 1 "" "meshbeat {version}" "User Commands"',
         ".SH NAME",
         "meshbeat \\- peer\\-to\\-peer heartbeat and RAID membership "
         "agent and its command line",
         ".SH SYNOPSIS",
         ".B meshbeat",
         ".I COMMAND",
         ".RI [ options ]",
         ".SH DESCRIPTION",
         "A meshbeat agent is a member of a mesh of machines that watch each "
         "other with the SWIM protocol (with Lifeguard's refinements) over "
         "UDP.  Every message is signed with the node's Ed25519 key and, when "
         "the mesh has an authority, admitted only with a certificate the "
         "authority issued.  The other commands make keys and certificates, "
         "decode datagrams, and ask a running agent over its admin socket.",
         ".PP",
         "This page is generated from the commands' own \\-\\-help.",
         ".SH COMMANDS"]
    for c in cmds:
        s += [".TP", f".B {c.name}", roff(c.summary)]
    for c in cmds:
        if c.text:
            s += [f'.SS "meshbeat {c.name}"', ".nf", roff(c.text.rstrip()),
                  ".fi"]
    s += [".SH ENVIRONMENT"]
    for v in env:
        users = ", ".join(c.name for c in cmds if v in c.text)
        s += [".TP", f".B {roff(v)}", f"used by: {users}"]
    s += [".SH FILES",
          ".TP", f".I {roff(conf)}/meshbeat.conf",
          "the agent's configuration under systemd (libconfuse syntax); "
          f"{roff(conf)}/meshbeat.conf.example shows every setting",
          ".TP", f".I {roff(unitdir)}/meshbeat.service",
          "the systemd unit: keys and store in /var/lib/meshbeat, the admin "
          "socket in /run/meshbeat",
          ".SH EXIT STATUS",
          "0 success; 1 a verdict or an operation failed, or the agent "
          "failed to start or died; 2 a usage or configuration error; "
          "3 the agent cannot be reached.",
          ".SH SEE ALSO",
          ".BR systemd.exec (5),",
          ".BR systemd\\-analyze (1);",
          "docs/operations.md and docs/cli.md in the source."]
    return "\n".join(s) + "\n"


# ---- the bash completion ---------------------------------------------------

def words(items):
    return " ".join(items)


def bash_completion(cmds):
    names = words(c.name for c in cmds)
    cases, values = [], []
    for c in cmds:
        flags = words(sorted(c.short) + c.flags)
        cases.append(f"    {c.name}) flags=\"{flags}\"; "
                     f"files=\"{words(c.file_flags())}\"; "
                     f"valued=\"{words(sorted(c.takes_value))}\"; "
                     f"subs=\"{words(c.subcommands)}\" ;;")
        for flag, choices in sorted(c.choices.items()):
            values.append(f"    {c.name}:{flag}) choices=\"{words(choices)}\""
                          " ;;")
    return f"""# bash completion for meshbeat(1).  Generated by
# scripts/gen_cli_docs.py from `meshbeat --help` and each command's --help:
# edit the help texts, not this file.
_meshbeat() {{
  local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
  COMPREPLY=()
  if [ "$COMP_CWORD" -eq 1 ]; then
    COMPREPLY=($(compgen -W "{names}" -- "$cur"))
    return
  fi
  local flags="" files="" valued="" subs="" choices=""
  case ${{COMP_WORDS[1]}} in
{chr(10).join(cases)}
  esac
  case ${{COMP_WORDS[1]}}:$prev in
{chr(10).join(values)}
  esac
  if [ -n "$choices" ]; then
    # Values may be comma-separated: complete the last one.
    local done=${{cur%,*}} last=${{cur##*,}}
    [ "$done" = "$cur" ] && done="" || done="$done,"
    COMPREPLY=($(compgen -P "$done" -W "$choices" -- "$last"))
    return
  fi
  case " $files " in *" $prev "*)
    COMPREPLY=($(compgen -f -- "$cur")); return ;;
  esac
  case " $valued " in *" $prev "*) return ;; esac
  if [ "$COMP_CWORD" -eq 2 ] && [ -n "$subs" ] && [[ $cur != -* ]]; then
    COMPREPLY=($(compgen -W "$subs" -- "$cur"))
    return
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$flags" -- "$cur"))
  fi
}}
complete -o default -F _meshbeat meshbeat
"""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("binary")
    ap.add_argument("--man", required=True)
    ap.add_argument("--bash", required=True)
    ap.add_argument("--version", default="")
    ap.add_argument("--conf-dir", default="/etc/meshbeat")
    ap.add_argument("--unit-dir", default="/usr/lib/systemd/system")
    a = ap.parse_args()
    _, cmds = commands(a.binary)
    with open(a.man, "w") as f:
        f.write(man_page(cmds, a.version, a.conf_dir, a.unit_dir))
    with open(a.bash, "w") as f:
        f.write(bash_completion(cmds))


main()
