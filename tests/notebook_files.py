"""Shared helpers for the tests that inspect the committed notebooks."""

from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
LESSONS = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((NOTEBOOKS / "solutions").glob("[0-9][0-9]_*.ipynb"))
ALL_NOTEBOOKS = LESSONS + SOLUTIONS


def read(path: Path) -> nbformat.NotebookNode:
    return nbformat.read(path, as_version=4)


def code_cells(nb: nbformat.NotebookNode) -> list[nbformat.NotebookNode]:
    return [c for c in nb.cells if c.cell_type == "code"]


def name(path: Path) -> str:
    """Short id for parametrised tests: '03_multi_head' or 'solutions/03_multi_head'."""
    return path.relative_to(NOTEBOOKS).with_suffix("").as_posix()
