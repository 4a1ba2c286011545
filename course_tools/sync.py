"""Everything generated from the solved notebooks and the plan, in one command (``make sync``).

    python -m course_tools.sync          # badges, setup cells, lessons, tables, figures, solutions
    python -m course_tools.sync --check  # exit 1 when any of them is out of date (pre-commit, CI)

Order matters: badges first (the lessons copy them), then the lessons, then the 中文 edition
(its catalogues merged with the English, the compiled checker messages, the Chinese notebooks),
then the README and COURSE_PLAN tables, then the figures from the committed outputs, then the
worked solutions that ``solution(id)`` shows (``helpers/exercises/solutions*.json``). Notebooks
written here have no outputs yet: ``make notebooks`` executes them.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from course_tools import colab, figures, lessons, solutions, tables, translations
from course_tools.notebooks import relative
from course_tools.plan import ROOT


def out_of_date(root: Path = ROOT) -> list[str]:
    """One line per generated thing that differs from what ``sync`` would write."""
    found = [f"badge or setup cell: {p.name}" for p in colab.out_of_sync(root)]
    found += [f"lesson: {p.name}" for p in lessons.stale_lessons(root)]
    found += [f"中文 notebook: {relative(p, root)}" for p in translations.stale_notebooks(root)]
    found += [f"translation catalogue: {line}" for line in translations.out_of_date(root)]
    found += [f"course table: {p.name}" for p in tables.stale_documents(root)]
    try:
        found += [f"figure: {problem}" for problem in figures.problems(root)]
    except ValueError as problem:  # e.g. a new solution not executed yet
        found.append(f"figure: {problem}")
    found += [f"worked solutions: {relative(p, root)}" for p in solutions.stale_targets(root)]
    return found


def sync(root: Path = ROOT) -> list[Path]:
    written = colab.sync(root)
    written += lessons.build(root)
    written += translations.update(root)
    written += translations.write_compiled(root)
    written += translations.build(root)
    written += colab.sync(root)  # the Chinese notebooks' badges (a no-op when just built)
    written += tables.write_tables(root)
    try:
        written += figures.write_figures(root)
    except ValueError as problem:  # e.g. a new solution not executed yet
        print(f"figures not written: {problem}; `make notebooks` executes it", file=sys.stderr)
    written += solutions.write_solutions(root)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report what is out of date")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    args = parser.parse_args(argv)
    if args.check:
        found = out_of_date(args.root)
        for line in found:
            print(f"out of date: {line} (run `make sync`)")
        return 1 if found else 0
    for path in sync(args.root):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
