"""Shared helpers for the tests that inspect the committed notebooks (the toolkit's one list)."""

from course_tools.notebooks import code_cells, list_notebooks, read, short_name
from course_tools.plan import ROOT

NOTEBOOKS = ROOT / "notebooks"
LESSONS = list_notebooks("lessons")
SOLUTIONS = list_notebooks("solutions")
ALL_NOTEBOOKS = LESSONS + SOLUTIONS
# The 中文 edition (notebooks/zh/, generated from the English solutions: tests/test_translations.py)
ZH_LESSONS = list_notebooks("lessons", language="zh")
ZH_SOLUTIONS = list_notebooks("solutions", language="zh")
BOTH_EDITIONS = ALL_NOTEBOOKS + ZH_LESSONS + ZH_SOLUTIONS
name = short_name

__all__ = [
    "ALL_NOTEBOOKS",
    "BOTH_EDITIONS",
    "ZH_LESSONS",
    "ZH_SOLUTIONS",
    "LESSONS",
    "NOTEBOOKS",
    "ROOT",
    "SOLUTIONS",
    "code_cells",
    "name",
    "read",
]
