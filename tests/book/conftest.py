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


@dataclass(frozen=True)
class Site:
    html: Path  # the built site
    seconds: float  # how long the build took
    lessons: list[Path]  # the course's lesson notebooks (list_notebooks), in course order
    solutions: list[Path]
    contents: dict[Path, bytes]  # each notebook as it was when the build started

    def notebook(self, path: Path) -> dict:
        return json.loads(self.contents[path])


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Site:
    """The site, built once per test session into a temporary folder."""
    try:
        import sphinx  # noqa: F401
    except ImportError:
        pytest.fail("the site needs the docs extra: `make book-test` installs it into .venv")
    html = tmp_path_factory.mktemp("site") / "html"
    lessons, solutions = list_notebooks("lessons"), list_notebooks("solutions")
    # The expectations use this snapshot, so that a notebook re-executed while the tests run
    # (other work in the same tree) cannot make them disagree with the pages.
    contents = {path: path.read_bytes() for path in lessons + solutions}
    start = time.perf_counter()
    site_build.build(html)
    return Site(html, time.perf_counter() - start, lessons, solutions, contents)
