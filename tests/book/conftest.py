"""The course website's checks: run with `make book-test` (``pytest tests/book``).

They build the whole site (Sphinx, the ``docs`` extra) into a temporary folder and open it in
headless Chromium. ``make test`` leaves this folder out (``--ignore=tests/book``) because the
learner's install has no Sphinx; CI runs ``make book-test`` right after ``make test``.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from course_scripts import site_build

from course_tools.notebooks import list_notebooks

EDITIONS = ["en", "zh"]  # every site test runs on both editions of the site


@dataclass(frozen=True)
class Site:
    """One edition of the built site: the English one at the top, the 中文 one in ``zh/``."""

    html: Path  # the edition's folder in the built site
    seconds: float  # how long the whole build took (both editions)
    language: str  # "en" or "zh"
    lessons: list[Path]  # the edition's lesson notebooks (list_notebooks), in course order
    solutions: list[Path]
    contents: dict[Path, bytes]  # each notebook as it was when the build started
    text: dict[str, str]  # the site's own sentences in this edition (course_tools.site)
    root: Path  # the whole built site (both editions)

    def notebook(self, path: Path) -> dict:
        return json.loads(self.contents[path])

    @property
    def other(self) -> str:
        return "zh" if self.language == "en" else "en"


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float, dict[Path, bytes]]:
    """The site (both editions), built once per test session into a temporary folder."""
    try:
        import sphinx  # noqa: F401
    except ImportError:
        pytest.fail("the site needs the docs extra: `make book-test` installs it into .venv")
    html = tmp_path_factory.mktemp("site") / "html"
    notebooks = list_notebooks("all", language="all")
    # The expectations use this snapshot, so that a notebook re-executed while the tests run
    # (other work in the same tree) cannot make them disagree with the pages.
    contents = {path: path.read_bytes() for path in notebooks}
    start = time.perf_counter()
    site_build.build(html)
    return html, time.perf_counter() - start, contents


@pytest.fixture(scope="session", params=EDITIONS)
def site(request, built) -> Site:
    html, seconds, contents = built
    language = request.param
    return Site(
        html=html / site_build.EDITIONS[language],
        seconds=seconds,
        language=language,
        lessons=list_notebooks("lessons", language=language),
        solutions=list_notebooks("solutions", language=language),
        contents=contents,
        text=site_build.site_text(language),
        root=html,
    )
