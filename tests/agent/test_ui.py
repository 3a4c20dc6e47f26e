#!/usr/bin/python3
"""The agent's dashboard /ui (ctest agent_ui, agent_ui_api).

  browser: three agents in three domains, all RAID voters, n0 serving
           HTTP; a raid1 array over the three.  /ui in Debian's headless
           Chromium shows the three members alive and the array healthy;
           n2 is SIGKILLed and, without a reload (the page's
           window.__loadId is unchanged), n2's row turns dead within the
           detection bound, an event about n2 joins the live list and the
           array shows degraded with n2's slot down.  n1's domain holds
           markup, shown as text and never run.  No console errors, no
           request outside the listener.  The screenshot is written to
           SCREENSHOT_DIR/dashboard.png.
  api:     the endpoints without a browser: content types and security
           headers, /ui/api/state's fields against the admin commands,
           events?after=, 400 for a bad after, 403 for a foreign Host
           (DNS rebinding), 404 for /ui/xyz, 405 for POST; a listener on
           0.0.0.0 (n1's, for a second) is warned about, n0's on
           127.0.0.1 is not.

usage: test_ui.py MESHBEAT CASE BASE_PORT [SCREENSHOT_DIR]
The listener is TCP BASE_PORT + 50.  MESHBEAT_KEEP=1 keeps the logs.
"""
import http.client
import json
import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "browser"))
from meshlib import Mesh, MeshError, run_test  # noqa: E402

DETECT_S = 30  # the other agent tests' bound: 2 shared cores, maybe ASan
CONVERGE_S = 40
VOTERS = "n0,n1,n2"
# Markup in a domain: a page that parsed it would request /ui/x (and run
# the handler); one that sets text shows it as it is.
MARKUP_DOMAIN = 'd1<img src=x onerror="window.__ran=1">'
DOMAINS = ["d0", MARKUP_DOMAIN, "d2"]


def http_get(port, path, method="GET", host=None):
    """(status, headers dict with lower-case names, body text)."""
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.putrequest(method, path, skip_host=host is not None)
        if host is not None:
            c.putheader("Host", host)
        c.endheaders()
        r = c.getresponse()
        return (r.status, {k.lower(): v for k, v in r.getheaders()},
                r.read().decode())
    finally:
        c.close()


def make_mesh(meshbeat, port, n):
    mesh = Mesh(n, meshbeat, port, authority=False)
    for a in mesh.agents:
        a.extra = ["--domain", DOMAINS[a.idx]]
        if n == 3:  # each its own domain: raid1 with two mirrors fits
            a.extra += ["--raid-voters", VOTERS,
                        "--raid-coordinator-names", VOTERS]
    mesh.http_port = port + 50
    mesh.agents[0].extra += ["--http-addr", f"127.0.0.1:{mesh.http_port}"]
    return mesh


def create_array(mesh):
    """raid1 over the three domains, once a leader is elected."""
    n0 = mesh.agents[0]

    def created():
        p = subprocess.run([mesh.meshbeat, "raid", "create", "a1", "--level",
                            "raid1", "--parity", "2", "--size", "1GiB",
                            "--admin-socket", n0.admin],
                           capture_output=True, text=True, timeout=30)
        return p.returncode == 0 or "(exists)" in p.stderr
    mesh.wait(created, "the array a1 created", CONVERGE_S)


# JavaScript expressions on the page, for wait_for.
def row_state(name):
    return (f"(document.querySelector('#members tr[data-name=\"{name}\"]')"
            f" || {{}}).dataset?.state")


def label_text(name):
    return (f"document.querySelector('#members tr[data-name=\"{name}\"] "
            f".state')?.textContent")


ALL_ALIVE = ("document.querySelectorAll('#members tbody tr').length === 3 &&"
             " [...document.querySelectorAll('#members tbody tr')].every("
             "tr => tr.dataset.state === 'alive' && "
             "tr.querySelector('.state').textContent === 'alive')")
ARRAY_STATE = ("document.querySelector('#arrays .array[data-name=\"a1\"]')"
               "?.dataset.state")
N2_SLOT_STATE = ("document.querySelector('#arrays .array[data-name=\"a1\"] "
                 ".slot[data-device=\"n2\"]')?.dataset.state")
N2_EVENT = ("[...document.querySelectorAll('#events li[data-name=\"n2\"]')]"
            ".map(li => li.dataset.to).filter(t => t !== 'alive')"
            ".join(',')")


def check_markup_shown_as_text(b):
    cell = b.js("return [...document.querySelectorAll('#members tbody tr')]"
                ".find(tr => tr.dataset.name === 'n1').cells[2].textContent;")
    if cell != MARKUP_DOMAIN:
        raise MeshError(f"n1's domain shown as {cell!r}, not as its text")
    if b.js("return document.querySelectorAll('main img').length") != 0 or \
            b.js("return window.__ran") is not None:
        raise MeshError("n1's domain was parsed as markup")


def test_browser(mesh):
    from browser import Browser
    n0, n1, n2 = mesh.agents
    origin = f"http://127.0.0.1:{mesh.http_port}"
    mesh.start_all()
    mesh.wait(mesh.converged, "3 agents to converge", CONVERGE_S)
    create_array(mesh)
    with Browser(width=1200, height=800) as b:
        b.open(origin + "/ui")
        b.wait_for(ALL_ALIVE, CONVERGE_S, "3 member rows alive")
        b.wait_for(f"{ARRAY_STATE} === 'healthy'", CONVERGE_S,
                   "the array a1 healthy")
        load_id = b.js("return window.__loadId")
        if not load_id:
            raise MeshError("the page set no window.__loadId")
        check_markup_shown_as_text(b)

        n2.kill(signal.SIGKILL)
        t0 = time.monotonic()
        b.wait_for(f"{row_state('n2')} === 'dead' && "
                   f"{label_text('n2')} === 'dead'", DETECT_S,
                   "n2's row dead on the page")
        took = time.monotonic() - t0
        print(f"n2's row turned dead on the page {took:.1f} s after its "
              f"SIGKILL (bound {DETECT_S} s)")
        if b.js("return window.__loadId") != load_id:
            raise MeshError("the page was reloaded, not updated in place")
        b.wait_for(f"{N2_EVENT}.includes('dead')", 10,
                   "an event about n2's death in the live list")
        print(f"events about n2 on the page: {b.js('return ' + N2_EVENT)}")
        b.wait_for(f"{ARRAY_STATE} === 'degraded' && "
                   f"{N2_SLOT_STATE} === 'down'", DETECT_S,
                   "the array degraded with n2's slot down")
        for name in ("n0", "n1"):
            state = b.js(f"return {row_state(name)}")
            if state != "alive":
                raise MeshError(f"{name}'s row shows {state}")
        if b.js("return window.__loadId") != load_id:
            raise MeshError("the page was reloaded, not updated in place")
        errors = b.console_errors()
        if errors:
            raise MeshError(f"console errors: {errors}")
        outside = b.requests(allowed_prefix=origin + "/")
        if outside:
            raise MeshError(f"requests outside {origin}: {outside}")
        polls = [u for u in b.requests() if u.endswith("/ui/api/state")]
        print(f"{len(polls)} polls of /ui/api/state, no console error, "
              f"no request outside {origin}")
        shot = b.screenshot(os.path.join(mesh.screenshots, "dashboard.png"))
        print(f"screenshot: {shot}")
    leave_cleanly(n0)


def leave_cleanly(agent):
    """SIGTERM: the agent that served the page leaves with exit 0 (under
    ASan, also without a leak from the requests it answered)."""
    rc = agent.kill(signal.SIGTERM)
    if rc != 0:
        raise MeshError(f"{agent.name} exited with {rc} after SIGTERM; see "
                        f"{agent.name}.log")


SECURITY_HEADERS = {
    "content-security-policy":
        "default-src 'none'; script-src 'self'; style-src 'self'; "
        "img-src 'self'; connect-src 'self'; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "cache-control": "no-store",
}


def expect(port, path, status, content_type=None, **kw):
    got, headers, body = http_get(port, path, **kw)
    if got != status:
        raise MeshError(f"{kw.get('method', 'GET')} {path} "
                        f"{kw.get('host') or ''}: {got}, want {status}: "
                        f"{body}")
    if content_type and headers.get("content-type") != content_type:
        raise MeshError(f"{path}: content type {headers.get('content-type')}"
                        f", want {content_type}")
    return headers, body


def check_files(port):
    for path, ctype in (("/ui", "text/html; charset=utf-8"),
                        ("/ui/", "text/html; charset=utf-8"),
                        ("/ui/ui.css", "text/css; charset=utf-8"),
                        ("/ui/ui.js", "text/javascript; charset=utf-8"),
                        ("/ui/icon.svg", "image/svg+xml"),
                        ("/ui/api/state", "application/json"),
                        ("/ui/api/events", "application/json")):
        headers, body = expect(port, path, 200, ctype)
        for name, want in SECURITY_HEADERS.items():
            if headers.get(name) != want:
                raise MeshError(f"{path}: {name}: {headers.get(name)!r}, "
                                f"want {want!r}")
        if path == "/ui" and "<script src=\"/ui/ui.js\"" not in body:
            raise MeshError(f"/ui is not the page: {body[:200]}")


def check_state(port, agent):
    _, body = expect(port, "/ui/api/state", 200)
    state = json.loads(body)
    if set(state) != {"time", "agent", "members", "raid", "bridge"}:
        raise MeshError(f"/ui/api/state keys: {sorted(state)}")
    info = agent.call("info")
    for key in ("id", "name", "version", "cluster", "domain"):
        if state["agent"][key] != info[key]:
            raise MeshError(f"agent.{key}: {state['agent'][key]} != {info}")
    if "data_dir" in state["agent"]:
        raise MeshError("the dashboard shows the data directory")
    members = {m["id"]: m for m in agent.call("members")}
    for m in state["members"]:
        want = members[m["id"]]
        for key in ("name", "state", "domain", "capacity", "incarnation",
                    "since"):  # not available: sampled from the disk
            if m[key] != want[key]:
                raise MeshError(f"member {m['name']} {key}: {m[key]} != "
                                f"{want[key]}")
    if len(state["members"]) != len(members):
        raise MeshError(f"{len(state['members'])} members, the admin "
                        f"command lists {len(members)}")
    raid = state["raid"]
    if not raid["enabled"] or raid["arrays"] != agent.call("raid_list") or \
            raid["tasks"] != agent.call("tasks"):
        raise MeshError(f"raid: {raid}")
    bridge = agent.call("bridge")
    if state["bridge"].keys() != bridge.keys():
        raise MeshError(f"bridge: {state['bridge']} vs {bridge}")


def check_events(port, agent):
    # The admin command first: it commits what is staged, the dashboard
    # reads what is committed (the store commits every 200 ms anyway).
    admin = agent.call("events")
    _, body = expect(port, "/ui/api/events", 200)
    latest = json.loads(body)["events"]
    if not latest or latest != admin[-len(latest):]:
        raise MeshError(f"/ui/api/events {latest} != events {admin}")
    first = latest[0]["seq"]
    _, body = expect(port, f"/ui/api/events?after={first}", 200)
    after = json.loads(body)["events"]
    if after != [e for e in latest if e["seq"] > first]:
        raise MeshError(f"events?after={first}: {after}")
    _, body = expect(port, f"/ui/api/events?after={latest[-1]['seq']}", 200)
    if json.loads(body)["events"] != []:
        raise MeshError(f"events after the last: {body}")
    for bad in ("=bogus", "=-1", "=1x", "=", "", "=99999999999999999999"):
        expect(port, f"/ui/api/events?after{bad}", 400)


def check_refusals(port):
    for host in ("evil.example", "evil.example:80", "127.0.0.1.nip.io",
                 "localhost.evil.example", "[::1", "127.0.0.1:x"):
        for path in ("/ui", "/ui/api/state", "/ui/ui.js"):
            expect(port, path, 403, host=host)
    for host in ("127.0.0.1", f"127.0.0.1:{port}", f"localhost:{port}",
                 "LOCALHOST", f"[::1]:{port}", "10.1.2.3:443"):
        expect(port, "/ui/api/state", 200, host=host)
    # /metrics and /health answer whatever the Host, as before.
    expect(port, "/metrics", 200, host="evil.example")
    expect(port, "/ui/xyz", 404)
    expect(port, "/ui/api", 404)
    for method in ("POST", "PUT", "DELETE"):
        headers, _ = expect(port, "/ui/api/state", 405, method=method)
        if headers.get("allow") != "GET, HEAD":
            raise MeshError(f"{method}: Allow {headers.get('allow')}")
    expect(port, "/ui", 200, method="HEAD")


def test_api(mesh):
    n0, n1 = mesh.agents
    n1.extra += ["--http-addr", f"0.0.0.0:{mesh.http_port + 1}"]
    mesh.start_all()
    mesh.wait(mesh.converged, "2 agents to converge", CONVERGE_S)
    port = mesh.http_port
    check_files(port)
    check_state(port, n0)
    check_events(port, n0)
    check_refusals(port)
    leave_cleanly(n1)
    leave_cleanly(n0)
    warned = {}
    for a in mesh.agents:
        with open(os.path.join(mesh.root, f"{a.name}.log")) as f:
            warned[a.name] = "is not a loopback address: anyone" in f.read()
    if warned != {"n0": False, "n1": True}:
        raise MeshError(f"warned of a listener not on loopback: {warned}")
    print("the endpoints answer as documented")


def main():
    meshbeat, case, base = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if case == "browser":
        from browser import require_browser
        require_browser()  # exits 77 without Chromium
        mesh = make_mesh(meshbeat, base, 3)
        mesh.screenshots = sys.argv[4]
        run_test(mesh, test_browser, "agent_ui")
    elif case == "api":
        mesh = make_mesh(meshbeat, base, 2)
        run_test(mesh, test_api, "agent_ui_api")
    else:
        raise SystemExit(f"unknown case {case}")


if __name__ == "__main__":
    main()
