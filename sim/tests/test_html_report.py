"""meshbeat-sim run ... --html: the report page, checked in headless Chromium.

Runs a scenario with --report R.json --html R.html (the scenario copied
under a file name full of HTML's special characters, which the page must
show as text), opens the page from disk and asserts what a reader relies on:

  - no console errors, no request of any kind, no URL in the file;
  - one heatmap row per node, or per bucket of ceil(n / 200) nodes above
    200 nodes, covering every node once, in order;
  - the CDF's points are the report's detection times (failures[].
    first_detect and all_detect that are not null), both series, as
    multisets, printed as the report prints them;
  - every expectation of the report with its verdict, and the page's
    overall verdict equal to the run's exit status;
  - with RAID: one row per array and one bar per task of raid.tasks;
  - the file stays under --max-bytes.

Writes a full-page screenshot.  Exits 77 (skip) only without Chromium.

  test_html_report.py --sim BIN --scenario FILE --workdir DIR
                      --screenshot PNG [--max-bytes N] [--raid] [-- ARGS...]
"""
import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..",
                                "tests", "browser"))
from browser import Browser, require_browser  # noqa: E402

ROWS = 200  # SIM_HTML_ROWS
HOSTILE = "<i>x&amp;\"q'"  # a file name (no slash) that must stay text


def expected_rows(n):
    if n <= ROWS:
        return n, 1
    per = math.ceil(n / ROWS)
    return math.ceil(n / per), per


def run_sim(args, workdir):
    os.makedirs(workdir, exist_ok=True)
    scn = os.path.join(workdir, f"{HOSTILE}.scn")
    shutil.copyfile(args.scenario, scn)
    report = os.path.join(workdir, "report.json")
    html = os.path.join(workdir, "report.html")
    cmd = [args.sim, "run", scn, "--report", report, "--html", html,
           "--quiet"] + args.extra
    t0 = time.monotonic()
    proc = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True)
    wall = time.monotonic() - t0
    if proc.returncode not in (0, 1):
        sys.exit(f"FAIL: {cmd} exited {proc.returncode}: {proc.stderr}")
    with open(report) as f:
        rep = json.load(f)
    print(f"run: exit {proc.returncode}, {rep['nodes']} nodes, "
          f"{wall:.2f} s wall; page {os.path.getsize(html)} bytes")
    return proc.returncode, rep, html


def check(cond, what):
    if not cond:
        raise AssertionError(what)


def check_file(html, max_bytes):
    size = os.path.getsize(html)
    check(size <= max_bytes, f"page is {size} bytes > {max_bytes}")
    with open(html, encoding="utf-8") as f:
        text = f.read()
    check("://" not in text, "the page names a URL")
    check("<script" not in text, "the page has a script")
    check(HOSTILE not in text, "the scenario's name reached the page raw")


def check_rows(b, rep):
    n = rep["nodes"]
    want, per = expected_rows(n)
    rows = b.js("return [...document.querySelectorAll('#heatmap .hm-row')]"
                ".map(g => [+g.dataset.first, +g.dataset.last]);")
    check(len(rows) == want, f"{len(rows)} heatmap rows, want {want} "
          f"for {n} nodes ({per} per row)")
    nxt = 0
    for first, last in rows:
        check(first == nxt and last >= first and last - first < per,
              f"row {first}-{last} after node {nxt - 1}")
        nxt = last + 1
    check(nxt == n, f"rows end at node {nxt - 1}, not {n - 1}")
    print(f"heatmap: {len(rows)} rows of {per} for {n} nodes")


def check_cdf(b, rep):
    points = b.js("return [...document.querySelectorAll('.cdf-point')]"
                  ".map(c => [c.dataset.series, c.dataset.t]);")
    for series, key in (("first", "first_detect"), ("all", "all_detect")):
        want = sorted(f[key] for f in rep["failures"] if f[key] is not None)
        got = sorted(float(t) for s, t in points if s == series)
        check(got == want, f"CDF {series}: page {got}, report {want}")
        print(f"cdf {series}: {len(got)} points match the report")


def check_expectations(b, rep, rc):
    rows = b.js("return [...document.querySelectorAll('tr.expectation')]"
                ".map(r => [+r.dataset.line, r.querySelector('.text')"
                ".textContent, r.dataset.pass === 'true', "
                "r.querySelector('.verdict').textContent]);")
    want = [[e["line"], e["expect"], e["pass"], "PASS" if e["pass"]
             else "FAIL"] for e in rep["expectations"]]
    check(rows == want, f"expectations: page {rows}, report {want}")
    verdict = b.js("return document.getElementById('verdict').dataset.pass;")
    check(verdict == ("true" if rc == 0 else "false"),
          f"page verdict {verdict}, exit status {rc}")
    print(f"expectations: {len(rows)} with their verdicts; overall "
          f"{'PASS' if rc == 0 else 'FAIL'}")


def check_text(b):
    title = b.js("return document.querySelector('h1').textContent;")
    check(title == f"{HOSTILE}.scn", f"title {title!r}")
    check(b.js("return document.querySelectorAll('h1 i').length;") == 0,
          "the scenario's name became markup")


def check_raid(b, rep):
    raid = rep.get("raid")
    check(raid is not None, "no raid object in the report")
    arrays = b.js("return [...document.querySelectorAll('.arr-row')]"
                  ".map(g => g.dataset.array);")
    named = {t["array"] for t in raid["tasks"]} | {
        q["array"] for q in raid["requests"] if q["kind"] == "create"}
    check(len(arrays) > 0 and set(arrays) == named,
          f"array rows {arrays}, report names {sorted(named)}")
    bars = b.js("return [...document.querySelectorAll('.task-bar')]"
                ".map(r => [+r.dataset.id, r.dataset.result]);")
    want = [[t["id"], t["result"]] for t in raid["tasks"]]
    check(bars == want, f"task bars {bars}, report tasks {want}")
    print(f"raid: {len(arrays)} array rows, {len(bars)} task bars "
          f"({', '.join(r for _, r in bars) or 'none'})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sim", required=True)
    ap.add_argument("--scenario", required=True)
    ap.add_argument("--workdir", required=True)
    ap.add_argument("--screenshot", required=True)
    ap.add_argument("--max-bytes", type=int, default=2_000_000)
    ap.add_argument("--raid", action="store_true")
    ap.add_argument("extra", nargs="*")
    args = ap.parse_args()
    require_browser()
    rc, rep, html = run_sim(args, args.workdir)
    check_file(html, args.max_bytes)
    with Browser() as b:
        b.open("file://" + os.path.abspath(html))
        b.wait_for("document.readyState === 'complete' && "
                   "document.querySelector('footer')", 20, "the page")
        check_text(b)
        check_rows(b, rep)
        check_cdf(b, rep)
        check_expectations(b, rep, rc)
        if args.raid:
            check_raid(b, rep)
        requests = b.requests()
        check(requests == [], f"requests: {requests}")
        errors = b.console_errors()
        check(errors == [], f"console errors: {errors}")
        b.screenshot(args.screenshot, full_page=True)
        print(f"no console errors, no requests; screenshot {args.screenshot}")
    print("PASS")


if __name__ == "__main__":
    main()
