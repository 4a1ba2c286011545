"""The worked solutions of every exercise, copied from the solved notebooks into the package.

``solution("softmax")`` in a lesson shows the solved notebook's own cell: this module copies
those cells into ``helpers/exercises/solutions.json`` (package data), so that there is one
source and a learner on Colab, with only the lesson open, still has every worked solution.

How an exercise is found in a solved notebook (CONTRIBUTING.md, the template):

- a **code exercise** is a code cell tagged ``solution``; the first ``check("<id>", ...)`` call
  after it names the exercise;
- an **explain/predict question** is a markdown cell tagged ``solution`` (the worked answer);
  the nearest markdown cell before it that mentions ``hint("<id>")`` names it.

    python -m course_tools.solutions          # rewrite helpers/exercises/solutions*.json
    python -m course_tools.solutions --check  # exit 1 when it differs from the notebooks

Each edition has its copy: ``solutions.json`` from ``notebooks/solutions/``, ``solutions_zh.json``
from the 中文 edition's ``notebooks/zh/solutions/`` (the same code, the worked answers in Chinese);
``solution(id)`` shows the one of the current language (``set_language``).
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from course_tools.notebooks import list_notebooks, read, tags
from course_tools.plan import LANGUAGES, ROOT

TARGETS = {  # solutions.json, solutions_zh.json
    language: Path("helpers")
    / "exercises"
    / ("solutions.json" if language == "en" else f"solutions_{language}.json")
    for language in LANGUAGES
}
TARGET = TARGETS["en"]
CHECK_CALL = re.compile(r"""\bcheck\(\s*["']([\w-]+)["']""")
HINT_CALL = re.compile(r"""\bhint\(\s*["']([\w-]+)["']""")


def notebook_solutions(path: Path) -> dict[str, dict[str, str]]:
    """``{id: {"kind", "notebook", "source"}}`` of one solved notebook."""
    nb = read(path)
    number = path.name[:2]
    found: dict[str, dict[str, str]] = {}
    pending_code: list[str] = []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and "solution" in tags(cell):
            pending_code.append(cell.source)
            continue
        if cell.cell_type == "code" and pending_code:
            ids = CHECK_CALL.findall(cell.source)
            if ids:
                found[ids[0]] = {"kind": "code", "notebook": number, "source": pending_code[-1]}
                pending_code = []
        if cell.cell_type == "markdown" and "solution" in tags(cell):
            question_id = _question_id(nb.cells, index)
            if question_id is None:
                raise ValueError(
                    f"{path.name}, cell {index}: a worked answer whose question names no "
                    f'`hint("<id>")` (the question cell must tell the learner its id)'
                )
            found[question_id] = {"kind": "answer", "notebook": number, "source": cell.source}
    if pending_code:
        raise ValueError(f"{path.name}: a solution cell with no check(...) call after it")
    return found


def _question_id(cells: list, index: int) -> str | None:
    for cell in reversed(cells[:index]):
        if cell.cell_type == "markdown" and (ids := HINT_CALL.findall(cell.source)):
            return ids[-1]
    return None


def all_solutions(root: Path = ROOT, language: str = "en") -> dict[str, dict[str, str]]:
    found: dict[str, dict[str, str]] = {}
    for path in list_notebooks("solutions", root, language):
        if not path.exists():  # an edition's notebook not generated yet (`make sync` writes it)
            continue
        for exercise_id, entry in notebook_solutions(path).items():
            if exercise_id in found:
                raise ValueError(f"exercise id {exercise_id!r} is solved in two places")
            found[exercise_id] = entry
    return dict(sorted(found.items()))


def rendered(root: Path = ROOT, language: str = "en") -> str:
    return json.dumps(all_solutions(root, language), indent=1, ensure_ascii=False) + "\n"


def stale_targets(root: Path = ROOT) -> list[Path]:
    """The solution copies that differ from their edition's notebooks."""
    stale = []
    for language, target in TARGETS.items():
        path = Path(root) / target
        if not path.exists() or path.read_text("utf-8") != rendered(root, language):
            stale.append(path)
    return stale


def is_stale(root: Path = ROOT) -> bool:
    return bool(stale_targets(root))


def write_solutions(root: Path = ROOT) -> list[Path]:
    written = []
    for language, target in TARGETS.items():
        path = Path(root) / target
        text = rendered(root, language)
        if path.exists() and path.read_text("utf-8") == text:
            continue
        path.write_text(text, "utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report a stale copy")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_targets(args.root)
        for path in stale:
            print(f"stale: {path} (run `make sync`)")
        return 1 if stale else 0
    for path in write_solutions(args.root):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
