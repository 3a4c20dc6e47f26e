"""A meshbeat-receiver run from Python, for tests (the receiver's own and
the agent's end-to-end ones): starts it on free ports, drives its control
port, reads what it received.

    sys.path.insert(0, os.path.join(ROOT, "tools", "receiver"))
    from receiver_client import ReceiverProcess
    with ReceiverProcess(["--webhook-secret-file", path], tls_dir=d) as r:
        r.url                 # https://127.0.0.1:PORT
        r.control("status 503")          # or r.control({"mode": "close"})
        r.wait(lambda got: got["events"]["count"] >= 2, timeout=30)
        r.received()["events"]["list"]

tls_dir: a folder from make_certs.py (server.pem, server-key.pem): HTTPS.
Every line the receiver logs is kept in r.log (parsed JSON).
"""
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
RECEIVER = os.path.join(HERE, "meshbeat-receiver")


class ReceiverError(AssertionError):
    pass


class ReceiverProcess:
    def __init__(self, args=(), tls_dir=None, listen="127.0.0.1:0",
                 python=sys.executable, start_timeout=20):
        cmd = [python, RECEIVER, "--listen", listen,
               "--control", "127.0.0.1:0", *args]
        if tls_dir:
            cmd += ["--cert", os.path.join(tls_dir, "server.pem"),
                    "--key", os.path.join(tls_dir, "server-key.pem")]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.log, self.stderr = [], []
        self.cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        threading.Thread(target=lambda: self.stderr.extend(self.proc.stderr),
                         daemon=True).start()
        first = self.wait_log(lambda l: l.get("kind") == "listening",
                              start_timeout, "the listening line")
        self.url, self.control_url = first["url"], first["control"]

    def _read(self):
        for raw in self.proc.stdout:
            try:
                line = json.loads(raw)
            except ValueError:
                line = {"unparsed": raw}
            with self.cond:
                self.log.append(line)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def wait_log(self, pred, timeout, what):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                for line in self.log:
                    if pred(line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    time.sleep(0.2)  # the rest of stderr
                    raise ReceiverError(
                        f"receiver: no {what} (exit {self.proc.poll()}): "
                        f"{''.join(self.stderr)}")
                self.cond.wait(min(left, 0.2))

    def control(self, command):
        """One command (text line or dict); the answer's JSON.  Raises
        ReceiverError when the receiver refuses it."""
        data = json.dumps(command) if isinstance(command, dict) else command
        req = urllib.request.Request(self.control_url + "/control",
                                     data=data.encode())
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return json.load(r)
        except urllib.error.HTTPError as e:
            raise ReceiverError(f"control {command!r}: {e.read().decode()}")

    def received(self):
        with urllib.request.urlopen(self.control_url + "/received",
                                    timeout=10) as r:
            return json.load(r)

    def wait(self, pred, timeout=30, what="the condition"):
        """Polls /received until pred(it) holds; returns it."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.received()
            if pred(got):
                return got
            if time.monotonic() > deadline:
                raise ReceiverError(f"timed out waiting for {what}; "
                                    f"received: {json.dumps(got)[:2000]}")
            time.sleep(0.1)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        return self.proc.returncode

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
