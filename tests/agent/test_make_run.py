#!/usr/bin/python3
"""`make run`'s main job (scripts/run.sh) as a person sees it (ctest:
make_run_*).

usage: test_make_run.py BUILD_DIR TEST BASE_PORT
TEST: view | port_taken | receiver

view: the job in a tmux pane of 80x24 shows every member with its state
in every agent's view, and the array demo over every agent healthy,
without a line wider than the pane; a SIGKILLed agent's row turns dead,
with one transition line that 4 of 4 observers agree on, and the array
degraded with its slot down; it comes back with the hint's restart
command and the array is healthy again; Ctrl-C stops every agent with a
graceful leave.  The dashboard's URL is on screen and answers with the
page, whose data lists the five members.
port_taken: with the first agent's UDP port held by someone else, the job
exits non-zero and prints why; the same with n0's HTTP port (TCP, the
dashboard's) held.
receiver: the reference receiver beside the agents (MESHBEAT_RUN_RECEIVER=1,
which an agent with a bridge implies): its TCP port taken, the job exits 1
and says why; else it serves HTTPS with the run's certificate, the agents
get the bridge's flags when their --help lists them, the hint's
`receiver.sh close` closes it, the view says so, and the job stops it;
after its one frame (MESHBEAT_RUN_SECONDS) the job prints `mb n0 raid
list` with the array demo when the agent runs the RAID coordinator.
Set MESHBEAT_KEEP=1 to keep the run directory.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
RUN_SH = os.path.join(ROOT, "scripts", "run.sh")
WIDTH, HEIGHT = 80, 24
TIMEOUT_S = 60
NAMES = [f"n{i}" for i in range(5)]


class Failure(AssertionError):
    pass


def check_dashboard(text, port):
    """The view's dashboard line names n0's listener (MESHBEAT_RUN_PORT +
    40), and the URL answers: the page, and its data with five members."""
    url = f"http://127.0.0.1:{port + 40}/ui"
    if f"dashboard: {url}" not in text:
        raise Failure(f"no 'dashboard: {url}' in the view:\n{text}")
    for path, want in (("", "<script src=\"/ui/ui.js\""),
                       ("/api/state", '"members"')):
        r = subprocess.run(["curl", "-sS", "--max-time", "5", "-w",
                            "\n%{http_code}", url + path],
                           capture_output=True, text=True)
        body, _, code = r.stdout.rpartition("\n")
        if code != "200" or want not in body:
            raise Failure(f"{url}{path}: {code} {r.stderr}{body[:300]}")
    members = json.loads(body)["members"]
    if sorted(m["name"] for m in members) != NAMES:
        raise Failure(f"{url}/api/state members: {members}")


def wait_for(cond, what, timeout=TIMEOUT_S):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        ok, last = cond()
        if ok:
            return last
        time.sleep(0.2)
    raise Failure(f"timed out after {timeout} s waiting for {what}; "
                  f"last seen:\n{last}")


class Pane:
    """A detached tmux session on a server of its own (-L), one pane."""

    def __init__(self, command):
        self.server = f"meshbeat-test-{os.getpid()}"
        subprocess.run(self.tmux("new-session", "-d", "-x", str(WIDTH), "-y",
                                 str(HEIGHT), "-s", "run", command),
                       check=True)

    def tmux(self, *args):
        return ["tmux", "-L", self.server, "-f", "/dev/null", *args]

    def size(self):
        return subprocess.run(
            self.tmux("display-message", "-p", "-t", "run",
                      "#{pane_width}x#{pane_height}"),
            check=True, capture_output=True, text=True).stdout.strip()

    def lines(self):
        """The screen; -J joins a line the terminal wrapped, so a line
        wider than the pane shows as one long line."""
        out = subprocess.run(self.tmux("capture-pane", "-p", "-J", "-t",
                                       "run"),
                             check=True, capture_output=True, text=True)
        return out.stdout.rstrip("\n").split("\n")

    def keys(self, *keys):
        subprocess.run(self.tmux("send-keys", "-t", "run", *keys), check=True)

    def close(self):
        subprocess.run(self.tmux("kill-server"), capture_output=True)


def row(lines, name):
    for line in lines:
        if re.match(rf"{name}\s", line):
            return line
    return None


def views(lines, name):
    """The state letters of one member's row, one per observer."""
    r = row(lines, name)
    m = r and re.match(rf"{name}\s+((?:[ASDL.-] +){{5}})", r + " ")
    return m.group(1).split() if m else None


def agent_pids(run):
    pids = {}
    for n in NAMES:
        try:
            with open(os.path.join(run, f"{n}.pid")) as f:
                pids[n] = int(f.read())
        except (OSError, ValueError):
            pass
    return pids


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False


def test_view(build, run, port):
    if shutil.which("tmux") is None:
        print("SKIP: tmux is not installed (scripts/install-deps.sh)")
        sys.exit(77)
    command = (f"cd {ROOT} && MESHBEAT_RUN_PORT={port} MESHBEAT_RUN_DIR={run}"
               f" {RUN_SH} {build}; echo EXIT=$?; sleep 600")
    pane = Pane(command)
    try:
        if pane.size() != f"{WIDTH}x{HEIGHT}":
            raise Failure(f"the pane is {pane.size()}, not {WIDTH}x{HEIGHT}")

        def converged():
            lines = pane.lines()
            return all(views(lines, n) == ["A"] * 5 for n in NAMES), lines
        lines = wait_for(converged, "every member alive in every view")
        check_width(lines)
        text = "\n".join(lines)
        for hint in ("kill -9 $(cat", "/start n3", "/mb n0 members"):
            if hint not in text:
                raise Failure(f"the hint {hint!r} is not on screen:\n{text}")
        check_dashboard(text, port)
        # n4 joined last: its line is among the latest whatever the room.
        if not re.search(r"n4\s+none→alive\s+4/4 observers\s+joined", text):
            raise Failure(f"no aggregated join line for n4:\n{text}")
        if not re.search(r"^raid demo raid6 3\+2 healthy  leader n\d", text,
                         re.M):
            raise Failure(f"no healthy array demo over the 5 agents:\n{text}")

        pids = agent_pids(run)
        os.kill(pids["n3"], signal.SIGKILL)

        def n3_dead():
            lines = pane.lines()
            dead = views(lines, "n3") == ["D", "D", "D", "-", "D"]
            agreed = any(re.search(r"n3\s+\w+→dead\s+4/4 observers", l)
                         for l in lines)
            degraded = any(re.match(r"raid demo \S+ \S+ degraded .* n3 down",
                                    l) for l in lines)
            return dead and agreed and degraded, lines
        lines = wait_for(n3_dead, "n3's row dead, with a 4/4 transition line,"
                         " and the array degraded with n3's slot down")
        check_width(lines)
        deaths = [l for l in lines if re.search(r"n3\s+\w+→dead", l)]
        if len(deaths) != 1:
            raise Failure(f"one line per transition, not per observer: "
                          f"{deaths}")

        # The other two hints on screen work as shown.
        subprocess.run([os.path.join(run, "start"), "n3"], check=True)
        wait_for(lambda: (views(pane.lines(), "n3") == ["A"] * 5,
                          "\n".join(pane.lines())), "n3 back alive")
        # Back before the grace: resynced, not rebuilt.
        wait_for(lambda: (any(re.match(r"raid demo \S+ \S+ healthy", l)
                              for l in pane.lines()),
                          "\n".join(pane.lines())), "the array healthy again")
        pids = agent_pids(run)
        members = subprocess.run([os.path.join(run, "mb"), "n0", "members"],
                                 capture_output=True, text=True)
        if members.returncode != 0 or \
                not re.search(r"^n3 .* alive ", members.stdout, re.M):
            raise Failure(f"mb n0 members: {members}")

        pane.keys("C-c")
        wait_for(lambda: (any(l == "EXIT=0" for l in pane.lines()),
                          "\n".join(pane.lines())),
                 "the job to stop with exit 0 after Ctrl-C")
        still = [n for n, p in pids.items() if alive(p)]
        if still:
            raise Failure(f"agents still running after Ctrl-C: {still}")
        for n in NAMES:
            with open(os.path.join(run, f"{n}.log")) as f:
                if "leaving the mesh (SIGTERM)" not in f.read():
                    raise Failure(f"{n} did not leave gracefully")
    finally:
        pane.close()


def check_width(lines):
    wide = [l for l in lines if len(l) > WIDTH]
    if wide:
        raise Failure(f"lines wider than {WIDTH} columns: {wide}")
    if len(lines) > HEIGHT:
        raise Failure(f"{len(lines)} lines on a {HEIGHT}-line screen")


def test_port_taken(build, run, port):
    test_udp_port_taken(build, run, port)
    test_http_port_taken(build, run, port)


def test_http_port_taken(build, run, port):
    with socket.socket() as holder:
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", port + 40))
        holder.listen()
        env = dict(os.environ, MESHBEAT_RUN_PORT=str(port),
                   MESHBEAT_RUN_DIR=run)
        r = subprocess.run([RUN_SH, build], env=env, capture_output=True,
                           text=True, timeout=TIMEOUT_S, cwd=ROOT)
    want = [f"agent n0 (127.0.0.1:{port}) could not start",
            f"cannot serve HTTP on '127.0.0.1:{port + 40}' (http.listen)",
            "MESHBEAT_RUN_HTTP_PORT="]
    missing = [w for w in want if w not in r.stderr]
    if r.returncode != 1 or missing:
        raise Failure(f"with TCP {port + 40} taken: exit {r.returncode}, "
                      f"missing {missing}:\n{r.stderr}")
    left = [n for n, p in agent_pids(run).items() if alive(p)]
    if left:
        raise Failure(f"agents left running: {left}")


def test_udp_port_taken(build, run, port):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as holder:
        holder.bind(("127.0.0.1", port))
        env = dict(os.environ, MESHBEAT_RUN_PORT=str(port),
                   MESHBEAT_RUN_DIR=run)
        r = subprocess.run([RUN_SH, build], env=env, capture_output=True,
                           text=True, timeout=TIMEOUT_S, cwd=ROOT)
    if r.returncode == 0:
        raise Failure(f"exit 0 with port {port} taken:\n{r.stdout}{r.stderr}")
    want = [f"agent n0 (127.0.0.1:{port}) could not start",
            f"cannot bind UDP 127.0.0.1:{port}: address already in use",
            "MESHBEAT_RUN_PORT="]
    missing = [w for w in want if w not in r.stderr]
    if missing:
        raise Failure(f"the cause is not printed ({missing}):\n{r.stderr}")
    left = [n for n, p in agent_pids(run).items() if alive(p)]
    if left:
        raise Failure(f"agents left running: {left}")


def receiver_pid(run):
    try:
        with open(os.path.join(run, "receiver.pid")) as f:
            return int(f.read())
    except (OSError, ValueError):
        return None


def test_receiver(build, run, port):
    env = dict(os.environ, MESHBEAT_RUN_PORT=str(port), MESHBEAT_RUN_DIR=run,
               MESHBEAT_RUN_RECEIVER="1", COLUMNS=str(WIDTH),
               LINES=str(HEIGHT))
    receiver_port = port + 30
    with socket.socket() as holder:
        # A previous run's connections may linger in TIME_WAIT.
        holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        holder.bind(("127.0.0.1", receiver_port))
        holder.listen()
        r = subprocess.run([RUN_SH, build], env=env, capture_output=True,
                           text=True, timeout=TIMEOUT_S, cwd=ROOT)
    want = [f"the receiver (TCP 127.0.0.1:{receiver_port}", "could not start",
            "MESHBEAT_RUN_RECEIVER_PORT="]
    if r.returncode != 1 or any(w not in r.stderr for w in want):
        raise Failure(f"with TCP {receiver_port} taken: exit {r.returncode}"
                      f"\n{r.stderr}")

    # The receiver starts before the agents, and the job shows its one
    # frame 10 s after the last agent answers: the commands below are done
    # by then.
    job = subprocess.Popen([RUN_SH, build], cwd=ROOT, text=True,
                           env=dict(env, MESHBEAT_RUN_SECONDS="10"),
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        log = os.path.join(run, "receiver.log")

        def listening():
            try:
                with open(log) as f:
                    text = f.read()
            except OSError:
                text = ""
            return '"kind": "listening"' in text, text
        wait_for(listening, "the receiver listening")
        ca = os.path.join(run, "receiver", "ca.pem")
        curl = subprocess.run(
            ["curl", "-sS", "--cacert", ca, "-o", "/dev/null", "-w",
             "%{http_code}", "--data-binary", "{}", "-H",
             "Content-Type: application/json",
             f"https://127.0.0.1:{receiver_port}/v1/heartbeat"],
            capture_output=True, text=True)
        if curl.stdout != "401":
            raise Failure(f"HTTPS with the run's CA, no token: want 401: "
                          f"{curl.stdout} {curl.stderr}")
        # The README's outage: close, open, close (the view shows it).
        for command, listening in (("close", False), ("open", True),
                                   ("close", False)):
            r = subprocess.run([os.path.join(run, "receiver.sh"), command],
                               capture_output=True, text=True)
            if r.returncode != 0 or \
                    json.loads(r.stdout)["listening"] != listening:
                raise Failure(f"receiver.sh {command}: {r}")
        wait_for(lambda: (len(agent_pids(run)) == 5, agent_pids(run)),
                 "five agents started")
        bridge = "--bridge-endpoint" in subprocess.run(
            [os.path.join(build, "src", "cli", "meshbeat"), "agent",
             "--help"], capture_output=True, text=True).stdout
        for n, pid in agent_pids(run).items():
            with open(f"/proc/{pid}/cmdline") as f:
                cmdline = f.read().split("\0")
            has = "--bridge-endpoint" in cmdline
            if has != bridge:
                raise Failure(f"{n}: bridge flags {has}, the agent has a "
                              f"bridge: {bridge}: {cmdline}")
            if has and cmdline[cmdline.index("--bridge-endpoint") + 1] != \
                    f"https://127.0.0.1:{receiver_port}/v1/heartbeat":
                raise Failure(f"{n}: bridge endpoint: {cmdline}")
        if bridge:  # the README's "watch the outbox": mb n0 bridge
            def bridge_table():
                r = subprocess.run([os.path.join(run, "mb"), "n0", "bridge"],
                                   capture_output=True, text=True)
                return (r.returncode == 0 and
                        re.search(r"^Active bridge: n\d", r.stdout, re.M)
                        and re.search(r"^view\s+\d+", r.stdout, re.M),
                        r.stdout + r.stderr)
            wait_for(bridge_table, "mb n0 bridge naming the active bridge")
        out, err = job.communicate(timeout=TIMEOUT_S)
    finally:
        if job.poll() is None:
            job.kill()
    lines = out.rstrip("\n").split("\n")
    # The frame, without the job's goodbye (a blank line and "stopped;
    # logs and data are in ...") printed after it, nor, with the RAID
    # coordinator, the `mb n0 raid list` it prints before that (a blank
    # line, the command after "$ ", its table).
    frame = lines[:-2] if lines[-1].startswith("stopped;") else lines
    shown = [i for i, line in enumerate(frame) if line.startswith("$ ")]
    if shown:
        frame = frame[:shown[0] - 1]
    check_width(frame)
    raid = "--raid-voters" in subprocess.run(
        [os.path.join(build, "src", "cli", "meshbeat"), "agent", "--help"],
        capture_output=True, text=True).stdout
    if raid and not (shown and lines[shown[0]].endswith("/mb n0 raid list")
                     and re.search(r"^demo\s+raid6\s+3\+2 .* healthy ",
                                   "\n".join(lines[shown[0]:]), re.M)):
        raise Failure(f"no `mb n0 raid list` with the array demo after the "
                      f"frame:\n{out}")
    text = "\n".join(lines)
    # The bridge queues what the closed receiver cannot take, and the
    # view says so.
    for want in (r"receiver CLOSED: \d+ views", r"/receiver\.sh close",
                 r"bridge n\d 5/5  view \d+ queued"):
        if not re.search(want, text):
            raise Failure(f"{want!r} not in the view:\n{text}")
    if job.returncode != 0:
        raise Failure(f"exit {job.returncode}: {err}")
    pid = receiver_pid(run)
    if pid is None or alive(pid):
        raise Failure(f"the receiver ({pid}) is still running after the job")


def main():
    build, name, port = os.path.abspath(sys.argv[1]), sys.argv[2], \
        int(sys.argv[3])
    run = tempfile.mkdtemp(prefix="meshbeat-run-")
    ok = False
    try:
        {"view": test_view, "port_taken": test_port_taken,
         "receiver": test_receiver}[name](
            build, run, port)
        ok = True
        print(f"make_run_{name}: PASS")
    finally:
        if not ok:
            print(f"make_run_{name}: FAIL; run directory {run}")
        for pid in list(agent_pids(run).values()) + [receiver_pid(run)]:
            if pid is not None and alive(pid):
                os.kill(pid, signal.SIGKILL)
        if ok and os.environ.get("MESHBEAT_KEEP") != "1":
            shutil.rmtree(run, ignore_errors=True)


if __name__ == "__main__":
    main()
