#!/usr/bin/env python3
"""The reference receiver (tools/receiver/meshbeat-receiver) driven by a
client, over real TCP: what it accepts, refuses, counts and answers, and
each fault its control port switches on.  The bodies and the webhook
signatures come from the bridge's own C code (bridge_tool), so the
receiver is checked against what the agent will send.

usage: test_receiver.py BRIDGE_TOOL CASE
CASE: webhooks | views | flynas | faults | tls | options
"""
import base64
import email.utils
import hashlib
import hmac
import http.client
import json
import os
import secrets
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "tools", "receiver"))
from receiver_client import RECEIVER, ReceiverError, ReceiverProcess  # noqa

TOOL = sys.argv[1]
WORK = tempfile.mkdtemp(prefix="meshbeat-receiver-test-")


class Failure(AssertionError):
    pass


def expect(cond, what, got=None):
    if not cond:
        raise Failure(what + ("" if got is None else f"; got: {got!r}"))


def write(name, text):
    path = os.path.join(WORK, name)
    with open(path, "w") as f:
        f.write(text)
    return path


def read(name):
    with open(os.path.join(WORK, name), "rb") as f:
        return f.read()


def new_secret():
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def c_signature(secrets_file, msg_id, stamp, body):
    """The webhook-signature header the agent's C code makes."""
    body_file = write("sign-body", body.decode())
    r = subprocess.run([TOOL, "sign", secrets_file, msg_id, str(stamp),
                        body_file], capture_output=True, text=True,
                       check=True)
    return r.stdout.strip()


def py_signature(secret, msg_id, stamp, body):
    key = base64.b64decode(secret[len("whsec_"):])
    mac = hmac.new(key, f"{msg_id}.{stamp}.".encode() + body,
                   hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


def post(url, path, body, headers=None, timeout=10, context=None):
    """(status, headers, JSON answer or raw bytes)."""
    req = urllib.request.Request(url + path, data=body, method="POST",
                                 headers={"Content-Type": "application/json",
                                          **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=timeout,
                                    context=context) as r:
            status, hdrs, data = r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        status, hdrs, data = e.code, e.headers, e.read()
    try:
        return status, hdrs, json.loads(data)
    except ValueError:
        return status, hdrs, data


def bodies():
    subprocess.run([TOOL, "bodies", WORK], check=True)
    return {name: read(name) for name in os.listdir(WORK)
            if name.endswith(".json")}


def event_body(n, kind="machine.offline"):
    """A valid event with a fresh id (its order tells arrival order)."""
    doc = {"type": kind, "id": f"evt_{n:032x}",
           "data": {"machine": {"id": "ab" * 32, "name": f"device-{n}",
                                "domain": "rack-a",
                                "status": kind.split(".")[1]},
                    "incarnation": n}}
    if kind == "machine.online":
        doc["data"]["ends"] = f"evt_{n + 1000:032x}"
    return json.dumps(doc, separators=(",", ":")).encode()


def signed_headers(sig, msg_id, stamp):
    return {"webhook-id": msg_id, "webhook-timestamp": str(stamp),
            "webhook-signature": sig, "Idempotency-Key": msg_id}


def test_webhooks():
    old, new = new_secret(), new_secret()
    both = write("secrets", f"{old}\n{new}\n")
    only_new = write("secrets-new", new + "\n")
    receiver_secrets = write("receiver-secrets", f"{old} {new}")
    b = bodies()
    offline, online = b["event-0.json"], b["event-1.json"]
    off_id = json.loads(offline)["id"]
    with ReceiverProcess(["--webhook-secret-file", receiver_secrets]) as r:
        now = int(time.time())
        status, _, _ = post(r.url, "/v1/events", offline, signed_headers(
            c_signature(both, off_id, now, offline), off_id, now))
        expect(status == 200, "a webhook signed by the agent's code (two "
               "secrets) is accepted", status)

        tampered = offline.replace(b"device-2", b"device-9")
        status, _, answer = post(r.url, "/v1/events", tampered,
                                 signed_headers(c_signature(
                                     both, off_id, now, offline),
                                     off_id, now))
        expect(status == 401, "a tampered body is refused", (status, answer))

        stranger = new_secret()
        on_id = json.loads(online)["id"]
        status, _, _ = post(r.url, "/v1/events", online, signed_headers(
            py_signature(stranger, on_id, now, online), on_id, now))
        expect(status == 401, "a signature by a secret the receiver does "
               "not hold is refused", status)

        stale = now - 3600
        status, _, _ = post(r.url, "/v1/events", online, signed_headers(
            c_signature(both, on_id, stale, online), on_id, stale))
        expect(status == 401, "a webhook-timestamp an hour old is refused",
               status)
        status, _, _ = post(r.url, "/v1/events", online, {})
        expect(status == 401, "a webhook without its headers is refused",
               status)

        # The repeat of a delivered event (a retry, another bridge): 200,
        # counted once.
        later = now + 1
        status, _, _ = post(r.url, "/v1/events", offline, signed_headers(
            c_signature(both, off_id, later, offline), off_id, later))
        expect(status == 200, "a repeated webhook-id answers 200", status)

        # Rotation: signed with the new secret alone.
        status, _, _ = post(r.url, "/v1/events", online, signed_headers(
            c_signature(only_new, on_id, now, online), on_id, now))
        expect(status == 200, "a signature by the second secret alone is "
               "accepted", status)

        order = [event_body(n, "machine.online" if n % 2 else
                            "machine.offline") for n in range(1, 9)]
        for body in order:
            msg_id = json.loads(body)["id"]
            status, _, _ = post(r.url, "/v1/events", body, signed_headers(
                py_signature(old, msg_id, now, body), msg_id, now))
            expect(status == 200, f"event {msg_id} accepted", status)

        bad = json.loads(order[0])
        bad["type"] = "machine.rebooted"
        bad["id"] = f"evt_{99:032x}"
        bad_body = json.dumps(bad).encode()
        status, _, _ = post(r.url, "/v1/events", bad_body, signed_headers(
            py_signature(old, bad["id"], now, bad_body), bad["id"], now))
        expect(status == 400, "a signed event outside the schema is "
               "refused", status)
        other_id = f"evt_{98:032x}"
        status, _, _ = post(r.url, "/v1/events", order[1], signed_headers(
            py_signature(old, other_id, now, order[1]), other_id, now))
        expect(status == 400, "a body whose id is not the webhook-id is "
               "refused", status)

        got = r.received()
        ev = got["events"]
        ids = [e["id"] for e in ev["list"]]
        want = [off_id, on_id] + [json.loads(b)["id"] for b in order]
        expect(ids == want, "every event once, in arrival order", ids)
        expect(ev["duplicates"] == 1 and ev["list"][0]["duplicates"] == 1,
               "the repeat counted as one duplicate of the first event", ev)
        expect(all(e["valid_signature"] is True and e["conflicts"] == 0
                   for e in ev["list"]), "signatures valid, no conflict",
               ev["list"])
        expect(ev["list"][0]["member"] == "device-2" and
               ev["list"][1]["type"] == "machine.online",
               "member and type recorded", ev["list"][:2])
        expect(got["rejected"]["events"] == {"signature": 4, "schema": 1,
                                             "id": 1},
               "refusals counted by reason", got["rejected"]["events"])
        # A request's log line follows its answer: awaited.
        r.wait_log(lambda l: l.get("kind") == "events" and
                   l.get("id") == other_id, 10, "the last request's log line")
        logged = [l for l in r.log if l.get("kind") == "events"]
        expect(len(logged) == 17 and logged[-1]["status"] == 400,
               "one log line per request", logged)
    print("webhooks: PASS")


def test_views():
    token = write("token", secrets.token_hex(24) + "\n")
    bearer = {"Authorization": "Bearer " + read("token").decode().strip()}
    view = bodies()["view.json"]
    with ReceiverProcess(["--token-file", token]) as r:
        status, hdrs, answer = post(r.url, "/v1/heartbeat", view, {
            **bearer, "Idempotency-Key": "dlv-1"})
        expect(status == 200 and answer == {}, "a valid view: 200 {}",
               (status, answer))
        for headers, what in (({}, "no token"),
                              ({"Authorization": "Bearer nope"},
                               "a wrong token"),
                              ({"Authorization": "Basic " +
                                bearer["Authorization"][7:]},
                               "another scheme")):
            status, hdrs, _ = post(r.url, "/v1/heartbeat", view, headers)
            expect(status == 401 and hdrs["WWW-Authenticate"] == "Bearer",
                   f"{what}: 401 with WWW-Authenticate", status)

        doc = json.loads(view)
        for change, what in ((lambda d: d.update(version=2), "version 2"),
                             (lambda d: d["members"][0].update(
                                 status="alive"), "status alive"),
                             (lambda d: d.pop("bridge"), "no bridge")):
            bad = json.loads(view)
            change(bad)
            status, _, answer = post(r.url, "/v1/heartbeat",
                                     json.dumps(bad).encode(), bearer)
            expect(status == 400 and "schema" in answer["error"],
                   f"a view with {what}: 400", (status, answer))
        status, _, _ = post(r.url, "/v1/heartbeat", b"{not json", bearer)
        expect(status == 400, "a body that is not JSON: 400", status)

        # Instructions ride on every 200 until a later view shows them
        # applied (or cannot show them); a fault's answer carries none.
        undrain_id = doc["members"][1]["id"]
        r.control("instruct drain device-3")
        r.control({"mode": "instruct", "type": "undrain", "device": undrain_id,
                   "id": "central-7"})
        r.control("instruct reboot device-0")
        r.control("instruct drain device-99")
        r.control("view status 500")
        status, _, answer = post(r.url, "/v1/heartbeat", view, bearer)
        expect(status == 500 and "instructions" not in answer,
               "a faulted answer carries no instruction", answer)
        r.control("view ok")
        status, _, answer = post(r.url, "/v1/heartbeat", view, {
            **bearer, "Idempotency-Key": "dlv-2"})
        want = [{"id": "ins-1", "type": "drain", "device": "device-3"},
                {"id": "central-7", "type": "undrain", "device": undrain_id},
                {"id": "ins-3", "type": "reboot", "device": "device-0"},
                {"id": "ins-4", "type": "drain", "device": "device-99"}]
        expect(status == 200 and answer == {"instructions": want},
               "the queued instructions in the next answer", answer)
        with open(os.path.join(ROOT, "docs", "bridge-view.schema.json")) as f:
            shows_draining = "draining" in json.load(f)["$defs"]["member"][
                "properties"]
        if shows_draining:
            not_yet = with_draining(doc, set())
            status, _, answer = post(r.url, "/v1/heartbeat", not_yet, {
                **bearer, "Idempotency-Key": "dlv-3"})
            expect(answer == {"instructions": want[:1]},
                   "the drain repeated until the view shows it; the undrain "
                   "shown, the unknown type and device done", answer)
            status, _, answer = post(r.url, "/v1/heartbeat", with_draining(
                doc, {"device-3"}), {**bearer, "Idempotency-Key": "dlv-2"})
            expect(answer == {}, "the drain shown applied: done", answer)
            outcomes = {"ins-1": "applied", "central-7": "applied",
                        "ins-3": "unknown type", "ins-4": "unknown device"}
        else:
            status, _, answer = post(r.url, "/v1/heartbeat", view, {
                **bearer, "Idempotency-Key": "dlv-2"})
            expect(answer == {}, "a view without draining: done after one "
                   "delivery", answer)
            outcomes = {"ins-1": "not shown", "central-7": "not shown",
                        "ins-3": "unknown type", "ins-4": "unknown device"}
        got = r.received()
        ins = got["instructions"]
        expect(ins["queued"] == [] and
               {i["id"]: i["outcome"] for i in ins["done"]} == outcomes,
               "every instruction done, with why", ins)
        expect(next(i["deliveries"] for i in ins["done"]
                    if i["id"] == "ins-1") == 1 + shows_draining,
               "deliveries counted", ins["done"])
        if shows_draining:
            status, _, answer = post(r.url, "/v1/heartbeat", view, {
                **bearer, "Idempotency-Key": "dlv-3"})
        got = r.received()
        v = got["views"]
        count = 5 if shows_draining else 3
        expect(v["count"] == count and v["duplicates"] == 1 + shows_draining and
               v["latest_key"] == ("dlv-3" if shows_draining else "dlv-2")
               and v["latest"] == json.loads(view),
               "the views, repeated Idempotency-Keys, the latest kept",
               {k: v[k] for k in ("count", "duplicates", "latest_key")})
        expect(v["bridges"] == {doc["bridge"]["name"]: count},
               "views counted by bridge", v["bridges"])
        expect(got["rejected"]["view"] == {"token": 3, "schema": 3,
                                           "not JSON": 1},
               "refusals counted", got["rejected"]["view"])
        page = urllib.request.urlopen(r.control_url + "/").read().decode()
        for text in (f"views: {count} received", doc["members"][0]["name"],
                     "unknown type ins-3 reboot device-0"):
            expect(text in page, f"the status page shows {text!r}", page)
    print("views: PASS")


def with_draining(doc, draining):
    """The view body with each member's draining flag set."""
    out = json.loads(json.dumps(doc))
    for m in out["members"]:
        m["draining"] = m["name"] in draining
    return json.dumps(out).encode()


def test_flynas():
    tokens = write("flynas-tokens", "# device token\n\ndevice-0 tok-zero\n"
                   "device-1 tok-one\n")
    b = bodies()
    with ReceiverProcess(["--flynas-token-file", tokens]) as r:
        path = "/api/raid/heartbeat"
        status, _, _ = post(r.url, path, b["flynas-1.json"],
                            {"Authorization": "Bearer tok-one"})
        expect(status == 200, "a device's heartbeat with its token", status)
        status, _, _ = post(r.url, path, b["flynas-0.json"],
                            {"Authorization": "Bearer tok-zero"})
        expect(status == 200, "another device's", status)
        for headers in ({}, {"Authorization": "Bearer tok-three"}):
            status, _, _ = post(r.url, path, b["flynas-2.json"], headers)
            expect(status == 401, f"{headers or 'no token'}: 401", status)
        extra = json.loads(b["flynas-1.json"])
        extra["name"] = "device-1"
        status, _, _ = post(r.url, path, json.dumps(extra).encode(),
                            {"Authorization": "Bearer tok-one"})
        expect(status == 400, "a sixth key: 400 (exactly seed 000's five)",
               status)
        got = r.received()["flynas"]
        expect(got["count"] == 2 and sorted(got["devices"]) ==
               ["device-0", "device-1"], "devices known by their tokens",
               got)
        expect(got["devices"]["device-1"]["latest"] ==
               json.loads(b["flynas-1.json"]), "the latest body per device",
               got)
    print("flynas: PASS")


def test_faults():
    view = bodies()["view.json"]
    with ReceiverProcess() as r:
        r.control("status 500")
        status, _, _ = post(r.url, "/v1/heartbeat", view)
        expect(status == 500, "status 500", status)

        r.control("429 7")
        status, hdrs, _ = post(r.url, "/v1/heartbeat", view)
        expect(status == 429 and hdrs["Retry-After"] == "7",
               "429 with Retry-After: 7", (status, dict(hdrs)))
        r.control({"mode": "status", "status": 429, "retry_after": "date+60"})
        status, hdrs, _ = post(r.url, "/v1/events", event_body(1))
        when = email.utils.parsedate_to_datetime(hdrs["Retry-After"])
        ahead = when.timestamp() - time.time()
        expect(status == 429 and 50 < ahead <= 61 and
               hdrs["Retry-After"].endswith(" GMT"),
               "429 with an HTTP-date a minute ahead", dict(hdrs))

        r.control("ok")
        r.control("events status 503")
        expect(post(r.url, "/v1/events", event_body(1))[0] == 503 and
               post(r.url, "/v1/heartbeat", view)[0] == 200,
               "a fault limited to one kind")
        r.control("ok")

        # hang: the client's timeout fires; the receiver forgets it.
        before = r.received()["views"]["count"]
        r.control("hang")
        start = time.monotonic()
        try:
            post(r.url, "/v1/heartbeat", view, timeout=1)
            raise Failure("a hung request was answered")
        except (socket.timeout, TimeoutError, urllib.error.URLError):
            pass
        expect(time.monotonic() - start < 5, "the client's timeout ended it")
        r.wait_log(lambda l: l.get("result") ==
                   "hung until the client left", 10, "the hang's log line")
        expect(r.received()["views"]["count"] == before,
               "a request whose client left is not recorded")
        # A client still waiting when the hang ends gets the new mode's
        # answer.
        result = {}
        waiter = threading.Thread(target=lambda: result.update(
            answer=post(r.url, "/v1/heartbeat", view, timeout=20)))
        waiter.start()
        time.sleep(0.5)  # let it reach the receiver (nothing to await)
        expect(waiter.is_alive(), "the request hangs")
        r.control("ok")
        waiter.join(10)
        expect(result.get("answer", (0,))[0] == 200,
               "answered once the hang ends", result)

        # close: the port refuses, and a kept-alive connection is cut.
        host, port = r.url.split("//")[1].rsplit(":", 1)
        kept = http.client.HTTPConnection(host, int(port), timeout=5)
        kept.request("POST", "/v1/heartbeat", view,
                     {"Content-Type": "application/json"})
        expect(kept.getresponse().read() is not None, "kept-alive answer")
        expect(r.control("close")["listening"] is False, "closed")
        for attempt in (lambda: socket.create_connection((host, int(port)),
                                                         timeout=5),):
            try:
                attempt().close()
                raise Failure("a connection to a closed receiver")
            except ConnectionRefusedError:
                pass
        try:
            kept.request("POST", "/v1/heartbeat", view,
                         {"Content-Type": "application/json"})
            status = kept.getresponse().status
            raise Failure(f"a kept-alive connection still answered {status}")
        except (OSError, http.client.HTTPException):
            pass
        expect(r.control("open")["listening"] is True, "open again")
        status, _, _ = post(r.url, "/v1/heartbeat", view)
        expect(status == 200, "answers on the same port after open", status)

        for bad in ("dance", "status", "status 99", "429 soon",
                    "view close", "instruct drain", '{"mode": 3}'):
            try:
                r.control(bad)
                raise Failure(f"the control command {bad!r} was accepted")
            except ReceiverError:
                pass
        status, _, _ = post(r.url, "/v2/heartbeat", view)
        expect(status == 404, "another path: 404", status)
        got = r.received()
        expect(got["answers"]["view"] == {"500": 1, "429": 1, "200": 4},
               "answers counted by status", got["answers"])
    print("faults: PASS")


def test_tls():
    certs = os.path.join(WORK, "tls")
    subprocess.run([sys.executable, os.path.join(ROOT, "tools", "receiver",
                                                 "make_certs.py"), certs],
                   check=True)
    view = bodies()["view.json"]
    with ReceiverProcess(tls_dir=certs) as r:
        expect(r.url.startswith("https://"), "an https URL", r.url)
        ctx = ssl.create_default_context(cafile=os.path.join(certs,
                                                             "ca.pem"))
        status, _, _ = post(r.url, "/v1/heartbeat", view, context=ctx)
        expect(status == 200, "HTTPS verified against the test CA", status)
        try:
            post(r.url, "/v1/heartbeat", view,
                 context=ssl.create_default_context())
            raise Failure("verified without the CA")
        except urllib.error.URLError as e:
            expect(isinstance(e.reason, ssl.SSLCertVerificationError),
                   "a client without the CA refuses the certificate", e)
        # libcurl, as the agent uses it, with the CA file it is given.
        body = os.path.join(WORK, "view.json")
        curl = subprocess.run(
            ["curl", "-sS", "--cacert", os.path.join(certs, "ca.pem"),
             "-H", "Content-Type: application/json", "--data-binary",
             "@" + body, "-w", "\n%{http_code}", r.url + "/v1/heartbeat"],
            capture_output=True, text=True)
        expect(curl.stdout.endswith("\n200"), "curl --cacert: 200",
               curl.stdout + curl.stderr)
        # A plain-HTTP client gets no answer, and the receiver survives it.
        try:
            post(r.url.replace("https:", "http:"), "/v1/heartbeat", view,
                 timeout=5)
        except (OSError, http.client.HTTPException):
            pass
        expect(r.received()["views"]["count"] == 2, "two views over TLS")
        r.wait_log(lambda l: l.get("kind") == "connection", 10,
                   "the failed handshake's log line")
        expect(r.stderr == [], "nothing on stderr", r.stderr)
    print("tls: PASS")


def run_receiver(*args, timeout=10):
    return subprocess.run([sys.executable, RECEIVER, *args],
                          capture_output=True, text=True, timeout=timeout)


def test_options():
    h = run_receiver("--help")
    expect(h.returncode == 0 and "POST /control" in h.stdout and
           "instruct TYPE DEVICE" in h.stdout, "--help documents control",
           h.stdout)
    bad_secret = write("bad-secret", "whsec_!!!\n")
    short = write("short-secret", "whsec_" +
                  base64.b64encode(b"x" * 8).decode())
    two_lines = write("token-two-lines", "a\nb\n")
    dup = write("flynas-dup", "d1 t1\nd1 t2\n")
    cases = [
        (["--bogus"], "unknown option"),
        (["--listen"], "--listen needs a value"),
        (["--listen", "localhost:80"], "not an IP address"),
        (["--listen", "127.0.0.1"], "want ADDR:PORT"),
        (["--control", "0.0.0.0:9000"], "loopback"),
        (["--cert", "/nonexistent"], "--cert and --key go together"),
        (["--cert", "/nonexistent", "--key", "/nonexistent"], "--cert"),
        (["--token-file", "/nonexistent"], "--token-file /nonexistent"),
        (["--token-file", two_lines], "one line"),
        (["--flynas-token-file", dup], "appears twice"),
        (["--webhook-secret-file", bad_secret], "not base64"),
        (["--webhook-secret-file", short], "8 bytes"),
        (["--schemas", WORK], "bridge-view.schema.json"),
        (["--view-path", "v1"], "want a path"),
        (["--webhook-tolerance-s", "-5"], "positive number"),
    ]
    for args, want in cases + [(["ctl"], "usage")]:
        r = run_receiver(*args) if args[0] == "ctl" else \
            run_receiver("--listen", "127.0.0.1:0", *args)
        expect(r.returncode == 2 and want in r.stderr,
               f"{args}: exit 2 saying {want!r}", (r.returncode, r.stderr))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = run_receiver("--listen", f"127.0.0.1:{port}")
        expect(r.returncode == 1 and "cannot listen" in r.stderr,
               "a port in use: exit 1", (r.returncode, r.stderr))
    with ReceiverProcess(["--max-body-bytes", "100"]) as rcv:
        status, _, _ = post(rcv.url, "/v1/heartbeat", b"{" + b" " * 200 + b"}")
        expect(status == 413, "a body over --max-body-bytes: 413", status)
        with socket.create_connection(rcv.url[7:].split(":")) as raw:
            raw.sendall(b"POST /v1/heartbeat HTTP/1.1\r\nHost: x\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
            expect(raw.recv(100).startswith(b"HTTP/1.1 411"),
                   "no Content-Length: 411")
        with socket.create_connection(rcv.url[7:].split(":")) as raw:
            raw.sendall(b"\x16\x03\x01 garbage HTTP/1.1\r\n\r\n")
            expect(raw.recv(100).startswith(b"HTTP/1.1 501"),
                   "garbage: 501")
        status, _, _ = post(rcv.url, "/v1/heartbeat", b"{}")
        expect(status == 400, "still serving after garbage", status)
        addr = rcv.control_url.split("//")[1]
        r = run_receiver("ctl", addr, "429", "5")
        expect(r.returncode == 0 and json.loads(r.stdout)["modes"]["view"]
               == {"mode": "status", "status": 429, "retry_after": "5"},
               "ctl sets a mode", r.stdout + r.stderr)
        r = run_receiver("ctl", addr, "received")
        expect(r.returncode == 0 and "events" in json.loads(r.stdout),
               "ctl received", r.stdout)
        r = run_receiver("ctl", addr, "dance")
        expect(r.returncode == 2 and "unknown command" in r.stderr,
               "ctl with a bad command: exit 2", r.stderr)
        expect(rcv.stop() == 0, "SIGTERM: exit 0")
    print("options: PASS")


def main():
    case = sys.argv[2]
    try:
        {"webhooks": test_webhooks, "views": test_views,
         "flynas": test_flynas, "faults": test_faults, "tls": test_tls,
         "options": test_options}[case]()
    except (Failure, ReceiverError) as e:
        print(f"receiver_{case}: FAIL: {e}")
        print(f"work directory kept: {WORK}")
        sys.exit(1)
    subprocess.run(["rm", "-rf", WORK])


if __name__ == "__main__":
    main()
