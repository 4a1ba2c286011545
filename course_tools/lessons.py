"""Generate the learner notebooks from the solved ones.

    python -m course_tools.lessons          # write notebooks/NN_*.ipynb from the solutions
    python -m course_tools.lessons --check  # exit 1 when a lesson is out of date

The solutions are the source. A lesson is its solution with:

- every code cell tagged ``solution`` blanked: each function keeps its signature and docstring and
  gets a ``# YOUR CODE HERE`` body returning the ``NotImplemented`` sentinel (which the checkers
  recognise as "not done yet"). Such a cell may hold only function definitions;
- every markdown cell tagged ``solution`` (a worked answer to an explain/predict question) replaced
  by an invitation to write one's own answer;
- every cell tagged ``solution-only`` left out (e.g. a banner saying "this is the solved version");
- its outputs cleared (``make notebooks`` executes it afterwards) and its Colab badge pointing to
  the lesson, not to the solution;
- every code cell tagged ``verify`` (the cell that answers a predict question) also tagged
  ``nbval-ignore-output``: after execution its output is removed from the lesson
  (``clear_verify_outputs``), so the answer is not on screen before the learner predicts.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

import nbformat

from course_tools import colab
from course_tools.notebooks import list_notebooks, read, relative, tags, write
from course_tools.plan import ROOT

SOLUTION_TAG = "solution"
SOLUTION_ONLY_TAG = "solution-only"
VERIFY_TAG = "verify"  # the cell that verifies a predict question: run by the learner
NBVAL_IGNORE = "nbval-ignore-output"
PLACEHOLDER = "# YOUR CODE HERE"


def blank_functions(source: str, where: str = "a solution cell") -> str:
    """Keep each function's signature and docstring; replace its body with a stub.

    Raises ``ValueError`` when the cell holds anything else, since the lesson would silently
    keep (or lose) it.
    """
    tree = ast.parse(source)
    lines = source.splitlines()
    blocks: list[str] = []
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            raise ValueError(
                f"{where}: a cell tagged {SOLUTION_TAG!r} may hold only function definitions "
                f"(imports belong in the imports cell), found {type(node).__name__} at line "
                f"{node.lineno}"
            )
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        body = node.body
        has_docstring = (
            isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
            and isinstance(body[0].value.value, str)
        )
        keep_until = body[0].end_lineno if has_docstring else body[0].lineno - 1
        indent = " " * body[0].col_offset
        kept = lines[first - 1 : keep_until]
        stub = [f"{indent}{PLACEHOLDER}", f"{indent}return NotImplemented"]
        blocks.append("\n".join([*kept, *stub]))
    return "\n\n\n".join(blocks)


ANSWER_PLACEHOLDER = {
    "en": "**Your answer:** _write it here, then compare with the worked answer in `{path}`._",
    "zh": "**你的答案：** _写在这里，然后对照 `{path}` 中的参考答案。_",
}


def answer_placeholder(solution_path: str, language: str = "en") -> str:
    return ANSWER_PLACEHOLDER[language].format(path=solution_path)


def lesson_from_solution(
    solution: nbformat.NotebookNode, lesson_path: str, solution_path: str, language: str = "en"
) -> nbformat.NotebookNode:
    """The learner version of a solved notebook (paths are relative to the repository root)."""
    lesson = nbformat.from_dict(solution)  # a deep copy
    cells = []
    for index, cell in enumerate(lesson.cells):
        cell_tags = tags(cell)
        if SOLUTION_ONLY_TAG in cell_tags:
            continue
        if SOLUTION_TAG in cell_tags:
            if cell.cell_type == "code":
                where = f"{solution_path}, cell {index}"
                cell.source = blank_functions(cell.source, where)
            else:
                cell.source = answer_placeholder(solution_path, language)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            if VERIFY_TAG in cell_tags and NBVAL_IGNORE not in cell_tags:
                cell.metadata["tags"] = [*cell_tags, NBVAL_IGNORE]
        cells.append(cell)
    lesson.cells = cells
    return colab.synced(lesson, lesson_path)


def clear_verify_outputs(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Empty the outputs of a lesson's ``verify`` cells: a predict question's answer is not on
    screen until the learner runs that cell (the solution keeps them; nbval checks them there)."""
    for cell in nb.cells:
        if cell.cell_type == "code" and VERIFY_TAG in tags(cell):
            cell.outputs = []  # the execution count stays: the run was one clean run
    return nb


def _source_view(nb: nbformat.NotebookNode) -> list[tuple]:
    """What a lesson is compared on: cell types, ids, sources and tags (not outputs)."""
    return [(c.cell_type, c.get("id"), c.source, tuple(tags(c))) for c in nb.cells]


def lesson_pairs(root: Path = ROOT, only: list[Path] | None = None) -> list[tuple[Path, Path]]:
    """(solution, lesson) paths of every lesson of the plan, or of those named in ``only``."""
    pairs = list(
        zip(list_notebooks("solutions", root), list_notebooks("lessons", root), strict=True)
    )
    if only:
        wanted = {Path(p).name for p in only}
        pairs = [(s, lesson) for s, lesson in pairs if s.name in wanted]
    return pairs


def _generate(root: Path, solution: Path, lesson: Path) -> nbformat.NotebookNode:
    nb = read(solution)
    return lesson_from_solution(nb, relative(lesson, root), relative(solution, root))


def is_stale(notebook: Path, expected: nbformat.NotebookNode) -> bool:
    """The generated ``notebook`` is missing or differs from ``expected`` (ignoring outputs)."""
    if not notebook.exists():
        return True
    return _source_view(read(notebook)) != _source_view(expected)


def stale_lessons(root: Path = ROOT) -> list[Path]:
    """Lessons that are missing or differ (ignoring outputs) from what ``build`` would write."""
    return [
        lesson
        for solution, lesson in lesson_pairs(root)
        if is_stale(lesson, _generate(root, solution, lesson))
    ]


def with_outputs_of(nb: nbformat.NotebookNode, previous: Path) -> nbformat.NotebookNode:
    """``nb`` with the outputs of the notebook at ``previous`` when both have exactly the same
    code cells (ids and sources, in order): a change of prose needs no new run. nbval, which
    re-executes every notebook in ``make test``, proves the kept outputs are still right."""
    if not previous.exists():
        return nb
    old = read(previous)
    code = [(c.get("id"), c.source) for c in nb.cells if c.cell_type == "code"]
    old_code = [c for c in old.cells if c.cell_type == "code"]
    if code != [(c.get("id"), c.source) for c in old_code]:
        return nb
    new_code = [c for c in nb.cells if c.cell_type == "code"]
    for cell, old_cell in zip(new_code, old_code, strict=True):
        cell.outputs = old_cell.get("outputs", [])
        cell.execution_count = old_cell.get("execution_count")
    return nb


def build(root: Path = ROOT, only: list[Path] | None = None) -> list[Path]:
    """Write every stale lesson (outputs cleared, to be executed); return the ones written.

    Lessons that are already up to date keep their executed outputs, and so do lessons whose
    code did not change (``with_outputs_of``). ``only`` restricts the build to some notebooks
    (given by solution or lesson path; the file name is what counts).
    """
    written = []
    for solution, lesson in lesson_pairs(root, only):
        expected = _generate(root, solution, lesson)
        if is_stale(lesson, expected):
            write(with_outputs_of(expected, lesson), lesson)
            written.append(lesson)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Generate lesson notebooks from the solutions.")
    parser.add_argument("notebooks", nargs="*", type=Path, help="only these (default: all)")
    parser.add_argument("--check", action="store_true", help="only report stale lessons")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_lessons(args.root)
        for path in stale:
            print(f"stale: {path} (run `make sync`)")
        return 1 if stale else 0
    for path in build(args.root, args.notebooks):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
