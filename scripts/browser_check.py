"""Open the built course website in headless Chromium, offline, and check what a reader sees.

    python scripts/browser_check.py                       # checks _build/html (run `make book`)
    python scripts/browser_check.py DIR --screenshots OUT  # another build / screenshot folder

Every page checked (the landing page, the glossary, every lesson and every solution page) is
loaded from the built files with all network requests blocked, and must

* show every ``<img>`` decoded (``naturalWidth > 0``): figures, the Colab badge, the logo;
* render every formula with MathJax (served from the site itself), with no TeX error;
* raise no JavaScript error, and load every local file it asks for; requests to other hosts are
  blocked and listed, but are not errors (the site must not need them).

It also searches the site for "attention" and expects results (the search index is local).

It writes screenshots to ``_build/screenshots/``: the landing page, one lesson at laptop size
(its top, and scrolled to its first figure), the same lesson at phone size, and the glossary.
Look at them.

Chromium is driven through its DevTools protocol over a pipe (``--remote-debugging-pipe``), so
the check needs nothing but the browser. It installs nothing: without Chromium it stops and says
how to install it (``apt-get install -y chromium`` on Debian, or ``make browser``).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSTALL_HINT = (
    "Chromium is needed for the browser check and was not found. On Debian/Ubuntu install it "
    "with `apt-get update && apt-get install -y chromium` (as root), or run `make browser`; "
    "elsewhere set CHROMIUM=/path/to/chromium."
)
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-default-apps",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication",
    "--hide-scrollbars",
    "--mute-audio",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: nothing can leave the machine
    "--remote-debugging-pipe",
]
LAPTOP = {"width": 1280, "height": 900, "deviceScaleFactor": 1, "mobile": False}
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
TIMEOUT = 60.0  # seconds for one page to load and typeset

# Runs in the page once it has loaded: waits for MathJax and every image, then reports.
INSPECT = """
(async () => {
  const images = Array.from(document.images);
  for (const img of images) img.loading = "eager";
  await Promise.all(images.map((img) => img.decode().catch(() => null)));
  const mathjax = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
  if (mathjax) await mathjax;
  return {
    title: document.title,
    images: images.map((img) => ({src: img.currentSrc || img.src, width: img.naturalWidth})),
    formulas: document.querySelectorAll(".math").length,
    typeset: document.querySelectorAll("mjx-container").length,
    texErrors: Array.from(document.querySelectorAll("mjx-merror")).map((e) => e.textContent),
    mathjaxLoaded: Boolean(window.MathJax && window.MathJax.version),
  };
})()
"""


def find_chromium() -> str | None:
    """CHROMIUM if set, else Debian's /usr/bin/chromium or a chromium/chrome on PATH."""
    candidates = [os.environ.get("CHROMIUM"), "/usr/bin/chromium"]
    candidates += [shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


class ChromiumError(RuntimeError):
    """The browser did not answer, or answered a command with an error."""


class Chromium:
    """Headless Chromium spoken to through the DevTools protocol on fds 3 (in) and 4 (out)."""

    def __init__(self, executable: str):
        self.profile = tempfile.mkdtemp(prefix="course-chromium-")
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()

        def wire_pipes() -> None:  # in the child: the protocol's fixed fd numbers
            inp, out = os.dup(to_browser_r), os.dup(from_browser_w)
            os.dup2(inp, 3)
            os.dup2(out, 4)

        self.process = subprocess.Popen(
            [executable, *FLAGS, f"--user-data-dir={self.profile}", "about:blank"],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(3, 4),
            preexec_fn=wire_pipes,  # the check starts Chromium before any thread
        )
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._next_id = 0
        self._replies: dict[int, dict] = {}
        self._events: list[dict] = []
        self._lock = threading.Condition()
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buffer = b""
        while chunk := os.read(self._from_browser, 1 << 16):
            buffer += chunk
            *messages, buffer = buffer.split(b"\0")
            with self._lock:
                for raw in messages:
                    message = json.loads(raw)
                    if "id" in message:
                        self._replies[message["id"]] = message
                    else:
                        self._events.append(message)
                self._lock.notify_all()
        with self._lock:
            self._lock.notify_all()

    def send(self, method: str, session: str | None = None, timeout: float = TIMEOUT, **params):
        """Send one command and wait for its result."""
        with self._lock:
            self._next_id += 1
            ident = self._next_id
        message = {"id": ident, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        with self._lock:
            while ident not in self._replies:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise ChromiumError(f"no answer to {method} within {timeout:.0f} s")
                self._lock.wait(0.2)
            reply = self._replies.pop(ident)
        if "error" in reply:
            raise ChromiumError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def wait_for(self, method: str, session: str, timeout: float = TIMEOUT) -> dict:
        """Wait for the next event ``method`` of ``session`` (events are kept until read)."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                for event in self._events:
                    if event["method"] == method and event.get("sessionId") == session:
                        self._events.remove(event)
                        return event
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise ChromiumError(f"no {method} within {timeout:.0f} s")
                self._lock.wait(0.2)

    def take_events(self, session: str) -> list[dict]:
        with self._lock:
            mine = [e for e in self._events if e.get("sessionId") == session]
            self._events = [e for e in self._events if e.get("sessionId") != session]
        return mine

    def close(self) -> None:
        with contextlib.suppress(ChromiumError, OSError):
            self.send("Browser.close", timeout=5)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._to_browser)
        self._reader.join(timeout=5)
        os.close(self._from_browser)
        shutil.rmtree(self.profile, ignore_errors=True)

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


@dataclass
class PageReport:
    """What one page showed, and what was wrong with it."""

    page: str
    title: str = ""
    images: int = 0
    formulas: int = 0
    results: int | None = None  # search results, for the search page
    problems: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # external requests, refused


def _is_external(url: str) -> bool:
    return url.startswith(("http://", "https://", "ws://", "wss://"))


@contextlib.contextmanager
def offline_tab(browser: Chromium):
    """A new tab with every network request blocked; yields its session id, closes it after."""
    target = browser.send("Target.createTarget", url="about:blank")["targetId"]
    session = browser.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
    try:
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session)
        browser.send("Network.setBlockedURLs", session, urls=["http://*", "https://*", "ws*://*"])
        yield session
    finally:
        browser.send("Target.closeTarget", targetId=target)


def check_page(
    browser: Chromium,
    html: Path,
    page: str,
    viewport: dict = LAPTOP,
    screenshot: Path | None = None,
    scroll_to: str | None = None,
) -> PageReport:
    """Load ``html/page`` with the network blocked and inspect it (see the module doc).

    With ``screenshot``, also photograph the viewport, scrolled to the first element matching
    the CSS selector ``scroll_to`` if given.
    """
    report = PageReport(page)
    with offline_tab(browser) as session:
        browser.send("Emulation.setDeviceMetricsOverride", session, **viewport)
        url = (html / page).resolve().as_uri()
        navigation = browser.send("Page.navigate", session, url=url)
        if navigation.get("errorText"):
            report.problems.append(f"cannot open {url}: {navigation['errorText']}")
            return report
        browser.wait_for("Page.loadEventFired", session)
        result = browser.send(
            "Runtime.evaluate", session, expression=INSPECT, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            report.problems.append(f"inspection failed: {result['exceptionDetails']}")
            return report
        seen = result["result"]["value"]
        report.title, report.images, report.formulas = (
            seen["title"],
            len(seen["images"]),
            seen["formulas"],
        )
        for image in seen["images"]:
            if image["width"] <= 0:
                report.problems.append(f"image not decoded: {image['src']}")
        if seen["formulas"] and not seen["mathjaxLoaded"]:
            report.problems.append(f"{seen['formulas']} formulas but MathJax did not load")
        elif seen["typeset"] < seen["formulas"]:
            report.problems.append(
                f"only {seen['typeset']} of {seen['formulas']} formulas were typeset"
            )
        for error in seen["texErrors"]:
            report.problems.append(f"TeX error in a formula: {error}")
        if screenshot is not None:
            if scroll_to:
                selector = json.dumps(scroll_to)
                browser.send(
                    "Runtime.evaluate",
                    session,
                    expression=f"document.querySelector({selector})?.scrollIntoView()",
                )
                time.sleep(0.5)
            shot = browser.send("Page.captureScreenshot", session, format="png")
            screenshot.parent.mkdir(parents=True, exist_ok=True)
            screenshot.write_bytes(base64.b64decode(shot["data"]))
        time.sleep(0.2)  # let late console messages arrive
        for event in browser.take_events(session):
            _classify(event, report)
    return report


def _classify(event: dict, report: PageReport) -> None:
    """Sort one DevTools event into problems, blocked external requests, or nothing."""
    method, params = event["method"], event.get("params", {})
    if method == "Runtime.exceptionThrown":
        details = params["exceptionDetails"]
        text = details.get("exception", {}).get("description") or details.get("text")
        report.problems.append(f"JavaScript error: {text} ({details.get('url', '')})")
    elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
        args = " ".join(str(a.get("value", a.get("description", ""))) for a in params["args"])
        report.problems.append(f"console.error: {args}")
    elif method == "Network.loadingFailed":
        pass  # reported with its URL by Network.requestWillBeSent + Log.entryAdded below
    elif method == "Network.requestWillBeSent":
        url = params["request"]["url"]
        if _is_external(url):
            report.blocked.append(url)
    elif method == "Log.entryAdded":
        entry = params["entry"]
        if entry.get("level") != "error":
            return
        url = entry.get("url", "")
        if _is_external(url):
            return  # a blocked external request, listed in report.blocked
        report.problems.append(f"{entry.get('source')}: {entry.get('text')} {url}".strip())


def check_search(browser: Chromium, html: Path, query: str = "attention") -> PageReport:
    """Search the site offline: the results list must fill in (Sphinx's search index is local).

    Sphinx then fetches each result page for a text snippet; browsers refuse ``fetch`` on
    ``file://`` (it works on the published http site), so those "Failed to fetch" errors of
    searchtools.js are expected here and not counted as problems.
    """
    report = PageReport(f"search.html?q={query}")
    with offline_tab(browser) as session:
        url = (html / "search.html").resolve().as_uri() + f"?q={query}"
        browser.send("Page.navigate", session, url=url)
        browser.wait_for("Page.loadEventFired", session)
        count = "document.querySelectorAll('#search-results li').length"
        results, deadline = 0, time.monotonic() + 20
        while not results and time.monotonic() < deadline:
            time.sleep(0.25)
            reply = browser.send("Runtime.evaluate", session, expression=count, returnByValue=True)
            results = reply["result"]["value"]
        report.results = results
        if not results:
            report.problems.append(f"searching {query!r} found nothing")
        for event in browser.take_events(session):
            if not _is_snippet_fetch(event):
                _classify(event, report)
    return report


def _is_snippet_fetch(event: dict) -> bool:
    """One of the messages of a refused ``fetch`` of a local page (see ``check_search``)."""
    params = event.get("params", {})
    details = params.get("exceptionDetails", {})
    if event["method"] == "Runtime.exceptionThrown":
        return "Failed to fetch" in details.get("text", "") and details.get("url", "").endswith(
            "/searchtools.js"
        )
    entry = params.get("entry", {})
    if event["method"] == "Log.entryAdded":
        text, url = entry.get("text", ""), entry.get("url", "")
        cors = "blocked by CORS policy" in text and "fetch at 'file://" in text
        return cors or (url.startswith("file://") and "net::ERR_FAILED" in text)
    return False


def pages_to_check(html: Path) -> list[str]:
    """The landing page, the glossary, then every lesson and every solution page, in order."""
    lessons = sorted(p.name for p in (html / "notebooks").glob("[0-9][0-9]_*.html"))
    solutions = sorted(p.name for p in (html / "notebooks" / "solutions").glob("[0-9][0-9]_*.html"))
    return [
        "index.html",
        "glossary.html",
        *(f"notebooks/{name}" for name in lessons),
        *(f"notebooks/solutions/{name}" for name in solutions),
    ]


def screenshot_lesson(reports: list[PageReport]) -> str | None:
    """The lesson to photograph: the one with the most formulas among those with figures."""
    lessons = [
        r for r in reports if r.page.startswith("notebooks/") and "/solutions/" not in r.page
    ]
    candidates = [r for r in lessons if r.images > 1] or lessons
    return max(candidates, key=lambda r: r.formulas).page if candidates else None


def check_site(
    html: Path, screenshots: Path | None = None, executable: str | None = None
) -> list[PageReport]:
    """Check every page of the site in ``html``; write screenshots to ``screenshots``."""
    executable = executable or find_chromium()
    if executable is None:
        raise FileNotFoundError(INSTALL_HINT)
    if not (html / "index.html").exists():
        raise FileNotFoundError(f"no site in {html}: build it first with `make book`")
    with Chromium(executable) as browser:
        landing_shot = screenshots / "landing.png" if screenshots else None
        reports = [
            check_page(browser, html, "index.html", {**LAPTOP, "height": 1400}, landing_shot)
        ]
        reports += [check_page(browser, html, page) for page in pages_to_check(html)[1:]]
        reports.append(check_search(browser, html))
        lesson = screenshot_lesson(reports)
        if screenshots and lesson:
            figure = "div.cell_output img"
            check_page(browser, html, lesson, LAPTOP, screenshots / "lesson.png")
            check_page(browser, html, lesson, LAPTOP, screenshots / "lesson-figure.png", figure)
            check_page(browser, html, lesson, PHONE, screenshots / "lesson-phone.png")
            check_page(browser, html, "glossary.html", LAPTOP, screenshots / "glossary.png")
    return reports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("html", nargs="?", type=Path, default=ROOT / "_build" / "html")
    parser.add_argument("--screenshots", type=Path, default=ROOT / "_build" / "screenshots")
    args = parser.parse_args(argv)
    try:
        reports = check_site(args.html, args.screenshots)
    except FileNotFoundError as error:
        print(error, file=sys.stderr)
        return 2
    failed = 0
    for report in reports:
        status = "ok" if not report.problems else "FAIL"
        failed += bool(report.problems)
        seen = f"{report.images} images, {report.formulas} formulas"
        if report.results is not None:
            seen = f"{report.results} results"
        print(f"{status:4} {report.page}: {seen}")
        for problem in report.problems:
            print(f"     - {problem}")
        for url in sorted(set(report.blocked)):
            print(f"     (blocked external request: {url})")
    print(f"{len(reports) - failed} pages passed, {failed} failed")
    print(f"screenshots: {args.screenshots}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
