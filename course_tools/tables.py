"""The course tables of README.md, README.zh-CN.md and COURSE_PLAN.md, generated from the plan
(``course.toml``; the 中文 README's titles and claims from ``translations/zh/course.po``).

Each document marks its table with two HTML comments that Markdown does not show::

    <!-- course-table: start -->
    ...generated...
    <!-- course-table: end -->

    python -m course_tools.tables          # rewrite the tables
    python -m course_tools.tables --check  # exit 1 when a table differs from the plan
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from course_tools.plan import ROOT, Plan, load_plan

START, END = "<!-- course-table: start -->", "<!-- course-table: end -->"


def readme_table(plan: Plan, root: Path = ROOT) -> str:
    """README's course map: number, a thumbnail of the lesson's figure, link, the claim."""
    rows = [
        "| # | | notebook | the lecture's claim you verify |",
        "|---|---|---|---|",
    ]
    for lesson in plan.lessons:
        thumbnail = f'<img src="figures/{lesson.stem}.png" width="120" alt="">'
        link = f"[{lesson.short_title}]({lesson.lesson_path})"
        rows.append(f"| {lesson.number} | {thumbnail} | {link} | {lesson.claim} |")
    return "\n".join(rows)


def chinese_readme_table(plan: Plan, root: Path = ROOT) -> str:
    """The 中文 README's course map: the Chinese lessons, each with its Colab badge."""
    from course_tools import colab, translations  # the 中文 edition's catalogue

    text = translations.course_text(root)
    rows = [
        "| # | | 笔记本 | 你要验证的讲座论断 | Colab |",
        "|---|---|---|---|---|",
    ]
    for lesson in plan.lessons:
        thumbnail = f'<img src="figures/{lesson.stem}.png" width="120" alt="">'
        title = text.get(f"{lesson.stem}:short_title", lesson.short_title)
        claim = text.get(f"{lesson.stem}:claim", lesson.claim)
        path = lesson.path("lessons", "zh")
        badge = colab.badge_source(path, plan)
        rows.append(f"| {lesson.number} | {thumbnail} | [{title}]({path}) | {claim} | {badge} |")
    return "\n".join(rows)


def plan_table(plan: Plan, root: Path = ROOT) -> str:
    """COURSE_PLAN.md's sequence: notebook, the lecture section it follows, the claim."""
    rows = [
        "| # | notebook | lecture section | the claim the learner verifies |",
        "|---|---|---|---|",
    ]
    for lesson in plan.lessons:
        rows.append(f"| {lesson.number} | `{lesson.stem}` | {lesson.lecture} | {lesson.claim} |")
    return "\n".join(rows)


DOCUMENTS: dict[str, Callable[[Plan, Path], str]] = {
    "README.md": readme_table,
    "README.zh-CN.md": chinese_readme_table,
    "COURSE_PLAN.md": plan_table,
}


def with_table(text: str, table: str, where: str) -> str:
    """``text`` with the part between the markers replaced by ``table``."""
    if text.count(START) != 1 or text.count(END) != 1:
        raise ValueError(f"{where}: needs exactly one {START} and one {END} line")
    head, rest = text.split(START)
    _, tail = rest.split(END)
    return f"{head}{START}\n{table}\n{END}{tail}"


def _documents(root: Path):
    """``(path, text, text with the plan's table)`` for each document of ``DOCUMENTS``."""
    plan = load_plan(root)
    for name, make_table in DOCUMENTS.items():
        path = Path(root) / name
        text = path.read_text("utf-8")
        yield path, text, with_table(text, make_table(plan, root), name)


def stale_documents(root: Path = ROOT) -> list[Path]:
    return [path for path, text, new in _documents(root) if new != text]


def write_tables(root: Path = ROOT) -> list[Path]:
    written = []
    for path, text, new in _documents(root):
        if new != text:
            path.write_text(new, "utf-8")
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report stale tables")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_documents(args.root)
        for path in stale:
            print(f"stale course table: {path} (run `make sync`)")
        return 1 if stale else 0
    for path in write_tables(args.root):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
