"""The course plan, read from ``course.toml`` at the repository root: the one source of truth.

``course.toml`` says where the course lives (the GitHub repository and branch that Colab badges
open and the setup cell installs from) and lists the lessons in order, each with the lecture
section it follows and the claim the learner verifies. Everything that needs the lesson sequence
(notebook lists, README's course table, the website's course map) asks this module.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10: the same parser, as a package (the dev extra installs it)
    import tomli as tomllib

ROOT = Path(__file__).resolve().parents[1]  # the repository: course_tools/ sits at its top
PLAN_FILE = "course.toml"
# The course's editions: English is the source; the 中文 edition is generated from it and its
# translation catalogues (``course_tools.translations``) into notebooks/zh/.
LANGUAGES = {"en": "English", "zh": "中文"}


@dataclass(frozen=True)
class Lesson:
    """One lesson of the plan."""

    number: str  # "03"
    slug: str  # "multi_head"
    short_title: str  # "Multi-head"
    lecture: str  # the lecture section it follows
    claim: str  # what the learner verifies, one line

    @property
    def stem(self) -> str:
        """File name without suffix: ``03_multi_head``."""
        return f"{self.number}_{self.slug}"

    @property
    def lesson_path(self) -> str:
        """The learner notebook, relative to the repository root."""
        return self.path("lessons")

    @property
    def solution_path(self) -> str:
        """The solved notebook (the source of the lesson), relative to the repository root."""
        return self.path("solutions")

    def path(self, kind: str, language: str = "en") -> str:
        """``notebooks/[zh/][solutions/]NN_slug.ipynb``: a lesson or solution of an edition."""
        if kind not in ("lessons", "solutions"):
            raise ValueError(f"kind must be 'lessons' or 'solutions', got {kind!r}")
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {sorted(LANGUAGES)}, got {language!r}")
        folder = "notebooks" if language == "en" else f"notebooks/{language}"
        if kind == "solutions":
            folder += "/solutions"
        return f"{folder}/{self.stem}.ipynb"


@dataclass(frozen=True)
class Plan:
    """The whole ``course.toml``."""

    repository: str  # GitHub "owner/name"
    branch: str
    lessons: tuple[Lesson, ...]

    def package_spec(self) -> str:
        """The pip requirement that installs the course straight from GitHub (the Colab cell)."""
        return f"git+https://github.com/{self.repository}@{self.branch}"

    def colab_url(self, notebook_path: str) -> str:
        """Colab address of a notebook, given its path in the repository (POSIX style)."""
        return (
            f"https://colab.research.google.com/github/{self.repository}/blob/{self.branch}/"
            f"{notebook_path}"
        )

    def lesson(self, number: str) -> Lesson:
        for lesson in self.lessons:
            if lesson.number == number:
                return lesson
        raise KeyError(f"no lesson {number!r} in {PLAN_FILE}")


def parse_plan(text: str) -> Plan:
    """A :class:`Plan` from the text of a ``course.toml``; ``ValueError`` says what is wrong."""
    data = tomllib.loads(text)
    try:
        course = data["course"]
        repository, branch = course["repository"], course["branch"]
        lessons = tuple(
            Lesson(
                number=entry["number"],
                slug=entry["slug"],
                short_title=entry["short_title"],
                lecture=entry["lecture"],
                claim=entry["claim"],
            )
            for entry in data.get("lessons", [])
        )
    except KeyError as missing:
        raise ValueError(f"{PLAN_FILE}: missing the field {missing}") from None
    if repository.count("/") != 1:
        raise ValueError(f"{PLAN_FILE}: repository must be 'owner/name', got {repository!r}")
    numbers = [lesson.number for lesson in lessons]
    if numbers != [f"{i:02d}" for i in range(len(numbers))]:
        raise ValueError(f"{PLAN_FILE}: lessons must be numbered 00, 01, ... in order: {numbers}")
    return Plan(repository, branch, lessons)


@cache
def _load(path: Path, mtime_ns: int) -> Plan:
    return parse_plan(path.read_text("utf-8"))


def load_plan(root: Path = ROOT) -> Plan:
    """The plan of the repository at ``root`` (re-read whenever ``course.toml`` changes)."""
    path = Path(root) / PLAN_FILE
    return _load(path, path.stat().st_mtime_ns)
