"""Open the built course website in headless Chromium, offline, and check what a reader sees.

    python tests/book/browser.py                        # checks _build/html (run `make book`)
    python tests/book/browser.py DIR --screenshots OUT  # another build / screenshot folder

``make book-test`` runs it on a fresh build (``tests/book/test_site_browser.py``). Every page
checked (the landing page, the glossary, every lesson and every solution page) is loaded from the
built files with every request to another site refused, and must

* show every ``<img>`` decoded (``naturalWidth > 0`` after ``img.decode()``): figures, the Colab
  badge, the logo;
* render every formula with MathJax (served from the site itself): each ``.math`` element holds
  MathJax output, no TeX error, and no raw ``$$``, ``\\(`` or ``\\[`` is left in the text;
* raise no JavaScript error (uncaught exceptions and ``console.error``), and load every local file
  it asks for; requests to other hosts are refused and listed (the site must not need them).

It also searches the site for "attention" and expects results (the search index is local), and
opens one lesson at phone size, where the page must not scroll sideways.

It writes screenshots to ``_build/screenshots/``: the landing page, one lesson at laptop size
(its top, and scrolled to its first figure), the same lesson at phone size, and the glossary.
Look at them.

The browser is Debian's Chromium (``/usr/bin/chromium``), driven by Playwright (the ``docs``
extra) through its executable path: Playwright's own browser download is never used. Without
Chromium the check stops and says how to install it (``make browser``).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Error,
    Page,
    Request,
    Route,
    WebSocketRoute,
    sync_playwright,
)

ROOT = Path(__file__).resolve().parents[2]
INSTALL_HINT = (
    "Chromium is needed for the browser check and was not found. On Debian/Ubuntu install it "
    "with `apt-get update && apt-get install -y chromium` (as root), or run `make browser`; "
    "elsewhere set CHROMIUM=/path/to/chromium."
)
FLAGS = [
    "--headless",
    "--no-sandbox",  # needed as root
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--host-resolver-rules=MAP * ~NOTFOUND",  # no name resolves: nothing can leave the machine
]
LAPTOP = {"viewport": {"width": 1280, "height": 900}, "device_scale_factor": 1}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
TIMEOUT_MS = 60_000  # for one page to load and typeset
LOCAL_SCHEMES = ("file:", "data:", "blob:", "about:")

# Runs in the page once it has loaded: waits for every image and for MathJax, then reports.
INSPECT = r"""
async () => {
  const images = Array.from(document.images);
  for (const img of images) img.loading = "eager";
  await Promise.all(images.map((img) => img.decode().catch(() => null)));
  const mathjax = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
  if (mathjax) await mathjax;
  const formulas = Array.from(document.querySelectorAll(".math"));
  const raw = [];  // text a reader sees that still holds TeX delimiters
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node.parentElement.closest("pre, code, script, style, textarea, mjx-container")) continue;
    if (/\$\$|\\\(|\\\[/.test(node.textContent)) raw.push(node.textContent.trim().slice(0, 80));
  }
  return {
    title: document.title,
    images: images.map((img) => ({src: img.currentSrc || img.src, width: img.naturalWidth})),
    formulas: formulas.length,
    untypeset: formulas.filter((e) => !e.querySelector("mjx-container"))
      .map((e) => e.textContent.trim().slice(0, 80)),
    texErrors: Array.from(document.querySelectorAll("mjx-merror")).map((e) => e.textContent),
    raw: raw,
    mathjaxLoaded: Boolean(window.MathJax && window.MathJax.version),
    overflow: document.documentElement.scrollWidth - window.innerWidth,
  };
}
"""


def find_chromium() -> str | None:
    """CHROMIUM if set, else Debian's /usr/bin/chromium or a chromium/chrome on PATH."""
    candidates = [os.environ.get("CHROMIUM"), "/usr/bin/chromium"]
    candidates += [shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome")]
    return next((c for c in candidates if c and os.access(c, os.X_OK)), None)


@dataclass
class PageReport:
    """What one page showed, and what was wrong with it."""

    page: str
    title: str = ""
    images: int = 0
    formulas: int = 0
    results: int | None = None  # search results, for the search page
    problems: list[str] = field(default_factory=list)
    blocked: list[str] = field(default_factory=list)  # requests to other sites, refused


def _is_local(url: str) -> bool:
    return url.startswith(LOCAL_SCHEMES)


# A message the page produced: (kind, text, url), where kind is "exception", "console" or
# "request". ``check_search`` uses this to leave out the errors it expects.
Message = tuple[str, str, str]


def new_context(browser: Browser, device: dict) -> BrowserContext:
    """A browser context (a profile: viewport, cache) for the pages of one device size."""
    context = browser.new_context(**device, service_workers="block")  # no request escapes routing
    context.set_default_timeout(TIMEOUT_MS)
    return context


@contextmanager
def offline_page(
    context: BrowserContext, report: PageReport, expected: Callable[[Message], bool] | None = None
) -> Iterator[Page]:
    """A new page that refuses every request to another site and reports what goes wrong.

    Refused requests are listed in ``report.blocked``; JavaScript errors, ``console.error`` and
    local files that fail to load are collected and added to ``report.problems`` when the block
    ends, except the messages ``expected`` returns True for.
    """
    messages: list[Message] = []

    def route(route: Route) -> None:
        if _is_local(route.request.url):
            route.continue_()
        else:
            report.blocked.append(route.request.url)
            route.abort("blockedbyclient")

    def web_socket(ws: WebSocketRoute) -> None:  # never connected to a server
        report.blocked.append(ws.url)
        ws.close()

    def console(message: ConsoleMessage) -> None:
        url = message.location.get("url", "")
        # A refused request to another site is logged as an error; it is listed as blocked.
        if message.type == "error" and (_is_local(url) or not url):
            messages.append(("console", message.text, url))

    def exception(error: Error) -> None:
        messages.append(("exception", f"{error.name}: {error.message}", error.stack or ""))

    def failed(request: Request) -> None:
        if _is_local(request.url):
            text = f"{request.failure} ({request.resource_type})"
            messages.append(("request", text, request.url))

    page = context.new_page()
    page.route("**/*", route)
    page.route_web_socket(re.compile(".*"), web_socket)
    page.on("console", console)
    page.on("pageerror", exception)
    page.on("requestfailed", failed)
    try:
        yield page
        page.wait_for_timeout(200)  # let late console messages arrive
    finally:
        page.close()
    failed_urls = {url for kind, _, url in messages if kind == "request"}
    for kind, text, url in messages:
        if expected is not None and expected((kind, text, url)):
            continue
        if kind == "console" and text.startswith("Failed to load resource") and url in failed_urls:
            continue  # the same failure as the request's, reported once
        if kind == "exception":
            report.problems.append(f"JavaScript error: {text}")
        elif kind == "console":
            report.problems.append(f"console error: {text} ({url})")
        else:
            report.problems.append(f"cannot load {url}: {text}")


def check_page(
    context: BrowserContext,
    html: Path,
    page: str,
    screenshots: list[tuple[Path, str | None]] = (),
    label: str = "",
) -> PageReport:
    """Load ``html/page`` offline and inspect it (see the module doc).

    ``screenshots`` are (file, CSS selector or None) pairs: each photographs the viewport,
    scrolled to the first element matching the selector if one is given. At phone size
    (``PHONE``) the page must also not scroll sideways.
    """
    report = PageReport(f"{page}{label}")
    with offline_page(context, report) as tab:
        url = (html / page).resolve().as_uri()
        try:
            tab.goto(url, wait_until="load")
            seen = tab.evaluate(INSPECT)
        except Error as error:  # the page did not load or typeset in time
            report.problems.append(f"cannot open {url}: {error.message.splitlines()[0]}")
            return report
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
        else:
            for formula in seen["untypeset"]:
                report.problems.append(f"formula not typeset: {formula}")
        for error in seen["texErrors"]:
            report.problems.append(f"TeX error in a formula: {error}")
        for text in seen["raw"]:
            report.problems.append(f"raw TeX left in the text: {text!r}")
        if tab.viewport_size == PHONE["viewport"] and seen["overflow"] > 1:
            report.problems.append(f"the page scrolls sideways by {seen['overflow']} px")
        for path, selector in screenshots:
            if selector:
                tab.locator(selector).first.scroll_into_view_if_needed()
                tab.wait_for_timeout(500)
            path.parent.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=path)
    return report


def _is_snippet_fetch(message: Message) -> bool:
    """One of the messages of a refused ``fetch`` of a local page (see ``check_search``)."""
    kind, text, url = message
    if kind == "exception":
        return "Failed to fetch" in text and "searchtools.js" in url
    if kind == "console":
        return ("blocked by CORS policy" in text and "fetch at 'file://" in text) or (
            url.startswith("file://") and "net::ERR_FAILED" in text
        )
    return kind == "request" and text.endswith("(fetch)")


def check_search(context: BrowserContext, html: Path, query: str = "attention") -> PageReport:
    """Search the site offline: the results list must fill in (Sphinx's search index is local).

    Sphinx then fetches each result page for a text snippet; browsers refuse ``fetch`` on
    ``file://`` (it works on the published http site), so those "Failed to fetch" errors of
    searchtools.js are expected here and not counted as problems.
    """
    report = PageReport(f"search.html?q={query}")
    with offline_page(context, report, expected=_is_snippet_fetch) as tab:
        tab.goto((html / "search.html").resolve().as_uri() + f"?q={query}", wait_until="load")
        results = "document.querySelectorAll('#search-results li').length"
        with suppress(Error):  # no results in 20 s: reported below
            tab.wait_for_function(f"{results} > 0", timeout=20_000)
        report.results = tab.evaluate(results)
        if not report.results:
            report.problems.append(f"searching {query!r} found nothing")
    return report


def pages_to_check(html: Path) -> list[str]:
    """The landing page, the glossary, then every lesson and every solution page, in order.

    ``html`` is one edition: the English site, or its ``zh/`` folder, whose notebooks sit in
    ``notebooks/zh/`` (the other edition's pages are left out).
    """
    folder = html / "notebooks"
    if (folder / "zh").is_dir() and not any(folder.glob("[0-9][0-9]_*.html")):
        folder = folder / "zh"
    lessons = sorted(p.name for p in folder.glob("[0-9][0-9]_*.html"))
    solutions = sorted(p.name for p in (folder / "solutions").glob("[0-9][0-9]_*.html"))
    prefix = folder.relative_to(html).as_posix()
    return [
        "index.html",
        "glossary.html",
        *(f"{prefix}/{name}" for name in lessons),
        *(f"{prefix}/solutions/{name}" for name in solutions),
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
    """Check every page of the site in ``html``; write screenshots to ``screenshots``.

    The reports come in this order: every page of :func:`pages_to_check` (the landing page
    first), the search, then the photographed lesson again at laptop and at phone size.
    """
    executable = executable or find_chromium()
    if executable is None:
        raise FileNotFoundError(INSTALL_HINT)
    if not (html / "index.html").exists():
        raise FileNotFoundError(f"no site in {html}: build it first with `make book`")

    def shots(*names: tuple[str, str | None]) -> list[tuple[Path, str | None]]:
        return [(screenshots / name, selector) for name, selector in names] if screenshots else []

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=FLAGS)
        try:
            tall = new_context(browser, {**LAPTOP, "viewport": {"width": 1280, "height": 1400}})
            reports = [check_page(tall, html, "index.html", shots(("landing.png", None)))]
            laptop = new_context(browser, LAPTOP)
            reports.append(check_page(laptop, html, "glossary.html", shots(("glossary.png", None))))
            reports += [check_page(laptop, html, page) for page in pages_to_check(html)[2:]]
            reports.append(check_search(laptop, html))
            lesson = screenshot_lesson(reports)
            if lesson:
                top = shots(("lesson.png", None), ("lesson-figure.png", "div.cell_output img"))
                reports.append(check_page(laptop, html, lesson, top, " (laptop)"))
                phone = new_context(browser, PHONE)
                reports.append(
                    check_page(phone, html, lesson, shots(("lesson-phone.png", None)), " (phone)")
                )
        finally:
            browser.close()
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
        status = "ok" if not report.problems and not report.blocked else "FAIL"
        failed += status != "ok"
        seen = f"{report.images} images, {report.formulas} formulas"
        if report.results is not None:
            seen = f"{report.results} results"
        print(f"{status:4} {report.page}: {seen}")
        for problem in report.problems:
            print(f"     - {problem}")
        for url in sorted(set(report.blocked)):
            print(f"     - tried to load another site: {url}")
    print(f"{len(reports) - failed} pages passed, {failed} failed")
    print(f"screenshots: {args.screenshots}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
