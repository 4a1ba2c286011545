"""The built website in headless Chromium, offline: images decoded, formulas typeset, no errors.

Needs Debian's ``chromium`` (``make browser`` installs it), driven by Playwright (the ``docs``
extra; see ``browser.py``); the check itself installs nothing and fails with the install command
when the browser is missing. Screenshots of the landing page, the glossary and one lesson (laptop
and phone size) go to ``_build/screenshots/``.
"""

from __future__ import annotations

from pathlib import Path

import browser
import pytest
from course_scripts import ROOT

SCREENSHOTS = ROOT / "_build" / "screenshots"  # the 中文 edition's in screenshots/zh/


def screenshots_of(site) -> Path:
    return SCREENSHOTS if site.language == "en" else SCREENSHOTS / site.language


@pytest.fixture(scope="module")
def reports(site):
    if browser.find_chromium() is None:
        pytest.fail(browser.INSTALL_HINT)
    for old in screenshots_of(site).glob("*.png"):
        old.unlink()
    return browser.check_site(site.html, screenshots_of(site))


def test_the_landing_page_and_every_lesson_are_checked(site, reports):
    checked = [r.page for r in reports]
    lessons = [path.relative_to(ROOT).with_suffix(".html").as_posix() for path in site.lessons]
    assert checked[0] == "index.html"
    assert all(page in checked for page in lessons), "a lesson page was not opened"


def test_pages_show_every_image_and_formula_without_errors(reports):
    problems = [f"{r.page}: {p}" for r in reports for p in r.problems]
    assert not problems, "\n".join(problems)
    assert sum(r.images for r in reports) > len(reports), "no figure was seen at all"
    assert any(r.formulas for r in reports), "no formula was seen at all"


def test_a_lesson_is_checked_at_phone_size(reports):
    """The phone check (the same checks, and no sideways scrolling) ran on a lesson."""
    phone = [r for r in reports if r.page.endswith("(phone)")]
    assert len(phone) == 1 and phone[0].page.startswith("notebooks/"), [r.page for r in reports]
    assert phone[0].images > 1, "the lesson checked at phone size shows no figure"


def test_no_page_needs_another_site(reports):
    """External requests are blocked and so not an error, but the site should make none."""
    blocked = sorted({url for r in reports for url in r.blocked})
    assert not blocked, f"pages tried to load: {blocked}"


def test_screenshots_are_written(site, reports):
    for name in (
        "landing.png",
        "glossary.png",
        "lesson.png",
        "lesson-figure.png",
        "lesson-phone.png",
    ):
        shot: Path = screenshots_of(site) / name
        assert shot.exists(), f"no screenshot {shot}"
        assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
