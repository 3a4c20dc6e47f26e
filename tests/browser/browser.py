"""Debian's headless Chromium, driven through Debian's chromedriver and
python3-selenium, for the tests that check pages as a person would see them.

A Browser records what the page did: every console message of level error
(and every uncaught exception or failed load, which Chromium logs there) and
every request the page made (from the DevTools performance log), so a test
can assert "no console errors" and "no requests but these" after the fact.

    with Browser(screenshot_dir) as b:
        b.open("file:///.../report.html")
        b.wait_for("document.querySelectorAll('.row').length > 0", 10)
        assert b.console_errors() == []
        assert b.requests(exclude=b.url) == []
        b.screenshot("report.png")

Exits the test with 77 (ctest's skip code) only when Chromium or its driver
is missing; everything else is a failure.
"""
import json
import os
import shutil
import sys
import tempfile
import time

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
SKIP = 77
INTERNAL_SCHEMES = ("chrome:", "chrome-extension:", "chrome-untrusted:",
                    "devtools:")


class BrowserError(AssertionError):
    pass


def require_browser():
    """Skips (77) when Debian's chromium, chromium-driver or
    python3-selenium is not installed: scripts/install-deps.sh installs
    all three, so a skip means the machine was not set up with it."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not os.access(p, os.X_OK)]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("python3-selenium")
    if missing:
        print(f"skipped: {', '.join(missing)} not installed "
              "(scripts/install-deps.sh installs them)")
        sys.exit(SKIP)


class Browser:
    def __init__(self, width=1400, height=1000):
        require_browser()
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        self._profile = tempfile.mkdtemp(prefix="meshbeat-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                    "--disable-dev-shm-usage", "--no-first-run",
                    "--disable-extensions", "--disable-background-networking",
                    "--disable-component-update", "--disable-sync",
                    "--hide-scrollbars", "--force-device-scale-factor=1",
                    f"--window-size={width},{height}",
                    f"--user-data-dir={self._profile}"):
            opts.add_argument(arg)
        opts.set_capability("goog:loggingPrefs",
                            {"browser": "ALL", "performance": "ALL"})
        self.driver = webdriver.Chrome(service=Service(CHROMEDRIVER),
                                       options=opts)
        self.url = None
        self._console = []
        self._requests = []

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def close(self):
        if self.driver is not None:
            self.driver.quit()
            self.driver = None
        shutil.rmtree(self._profile, ignore_errors=True)

    def open(self, url):
        """Navigates; what the start page did before is forgotten, so the
        logs hold only this page's messages and requests."""
        self._drain_logs()
        self._console.clear()
        self._requests.clear()
        self.url = url
        self.driver.get(url)

    def js(self, script, *args):
        """The value of a JavaScript function body run in the page
        (`return ...`)."""
        return self.driver.execute_script(script, *args)

    def wait_for(self, expression, timeout, what=None):
        """Polls a JavaScript expression until it is truthy; returns its
        value.  A bound, not a sleep: it returns as soon as it holds."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.js(f"return ({expression});")
            if value:
                return value
            if time.monotonic() > deadline:
                raise BrowserError(f"timed out after {timeout} s waiting for "
                                   f"{what or expression}")
            time.sleep(0.05)

    def _drain_logs(self):
        for entry in self.driver.get_log("browser"):
            self._console.append(entry)
        for entry in self.driver.get_log("performance"):
            msg = json.loads(entry["message"])["message"]
            if msg.get("method") != "Network.requestWillBeSent":
                continue
            url = msg["params"]["request"]["url"]
            # The browser's own pages (its new-tab page loads late) are not
            # the page's requests.
            if not url.startswith(INTERNAL_SCHEMES):
                self._requests.append(url)

    def console_errors(self):
        """Console messages of level SEVERE (console.error, uncaught
        exceptions, failed loads), as 'level: message' strings."""
        self._drain_logs()
        return [f"{e['level']}: {e['message']}" for e in self._console
                if e["level"] == "SEVERE"]

    def console(self):
        self._drain_logs()
        return [f"{e['level']}: {e['message']}" for e in self._console]

    def requests(self, allowed_prefix=None):
        """Every URL the page requested, minus the page itself, data: URLs
        and (if given) those starting with allowed_prefix."""
        self._drain_logs()
        out = []
        for u in self._requests:
            if u == self.url or u.startswith("data:"):
                continue
            if allowed_prefix is not None and u.startswith(allowed_prefix):
                continue
            out.append(u)
        return out

    def screenshot(self, path, full_page=False):
        """A PNG of the viewport, or of the whole page's height."""
        if full_page:
            height = self.js("return document.documentElement.scrollHeight;")
            width = self.js("return document.documentElement.scrollWidth;")
            self.driver.execute_cdp_cmd(
                "Emulation.setDeviceMetricsOverride",
                {"width": int(width), "height": int(height),
                 "deviceScaleFactor": 1, "mobile": False})
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        if not self.driver.save_screenshot(path):
            raise BrowserError(f"could not write {path}")
        if full_page:
            self.driver.execute_cdp_cmd(
                "Emulation.clearDeviceMetricsOverride", {})
        return path
