"""Shared helpers for the tests that inspect the committed notebooks (the toolkit's one list)."""

from course_tools.notebooks import code_cells, list_notebooks, read, short_name
from course_tools.plan import ROOT

NOTEBOOKS = ROOT / "notebooks"
LESSONS = list_notebooks("lessons")
SOLUTIONS = list_notebooks("solutions")
ALL_NOTEBOOKS = LESSONS + SOLUTIONS
name = short_name

__all__ = [
    "ALL_NOTEBOOKS",
    "LESSONS",
    "NOTEBOOKS",
    "ROOT",
    "SOLUTIONS",
    "code_cells",
    "name",
    "read",
]
