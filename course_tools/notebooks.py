"""The course's notebooks: the one list every tool uses, and reading/writing them.

``list_notebooks()`` is the only place that decides which notebooks make up the course: the
solved notebooks named by the plan (``course.toml``), and the lessons generated from them. Lessons
come first, then solutions, each in course order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import nbformat

from course_tools.plan import ROOT, Lesson, load_plan

Kind = Literal["all", "lessons", "solutions"]


def list_notebooks(kind: Kind = "all", root: Path = ROOT) -> list[Path]:
    """The course's notebooks as absolute paths: lessons, then solutions, in course order."""
    if kind not in ("all", "lessons", "solutions"):
        raise ValueError(f"kind must be 'all', 'lessons' or 'solutions', got {kind!r}")
    lessons = load_plan(root).lessons
    found = []
    if kind in ("all", "lessons"):
        found += [Path(root) / lesson.lesson_path for lesson in lessons]
    if kind in ("all", "solutions"):
        found += [Path(root) / lesson.solution_path for lesson in lessons]
    return found


def lesson_of(path: Path, root: Path = ROOT) -> Lesson:
    """The plan's entry of a lesson or solution notebook."""
    return load_plan(root).lesson(Path(path).name[:2])


def relative(path: Path, root: Path = ROOT) -> str:
    """``notebooks/solutions/03_multi_head.ipynb``: a path inside the repository, POSIX style."""
    return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()


def short_name(path: Path, root: Path = ROOT) -> str:
    """Id for parametrised tests: ``03_multi_head`` or ``solutions/03_multi_head``."""
    return (
        Path(path)
        .resolve()
        .relative_to(Path(root).resolve() / "notebooks")
        .with_suffix("")
        .as_posix()
    )


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    nbformat.write(nb, path)


def tags(cell: nbformat.NotebookNode) -> list[str]:
    return list(cell.get("metadata", {}).get("tags", []))


def code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [cell for cell in nb.cells if cell.cell_type == "code"]
