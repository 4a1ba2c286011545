"""The 中文 edition: translation catalogues, and the Chinese notebooks generated from them.

    python -m course_tools.translations update   # refresh every catalogue from the English sources
    python -m course_tools.translations check    # exit 1 on a missing or stale translation
    python -m course_tools.translations status   # how much of each catalogue is translated

The English solved notebooks stay the one source of code. A Chinese notebook is its English twin
with every markdown cell replaced by its translation, and nothing else changed except what is
generated per edition: the Colab badge and setup cell, the "your answer" placeholders of the
lesson, and one line of the imports cell, ``set_language("zh")``, which makes ``check``, ``hint``
and ``solution`` speak Chinese. ``make sync`` writes them (``build``), ``make notebooks`` executes
them, and the tests prove the code cells equal the English ones.

Catalogues are gettext ``.po`` files (read and written with ``polib``), in ``translations/zh/``:

``notebooks/NN_slug.po``
    one entry per markdown cell of the solved notebook: ``msgctxt`` is the cell's id, ``msgid`` its
    English source, ``msgstr`` the Chinese text.
``course.po``
    the plan's short titles and claims (``course.toml``), and the website's own sentences.
``messages.po``
    every message of the exercise checkers (``check``, ``hint``, ``solution``); ``make sync``
    compiles it into ``helpers/exercises/messages_zh.json``, which the package ships.

Staleness works as in gettext's ``msgmerge``: ``update`` keeps an entry whose English is unchanged;
when the English of a cell (same ``msgctxt``) changes, the old translation is kept but marked
*fuzzy*, with the old English as ``#| msgid``, so a translator sees what changed; a new cell gets an
empty entry; entries of cells that are gone are dropped. A fuzzy or empty entry is not used (the
English text shows instead) and fails the tests.
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import nbformat
import polib

from course_tools import colab, lessons
from course_tools.notebooks import list_notebooks, read, relative, tags, write
from course_tools.plan import ROOT, load_plan

LANGUAGE = "zh"  # the one translated edition so far
CATALOGUES = Path("translations") / LANGUAGE
NOTEBOOK_CATALOGUES = CATALOGUES / "notebooks"
COURSE_CATALOGUE = CATALOGUES / "course.po"
MESSAGES_CATALOGUE = CATALOGUES / "messages.po"
COMPILED_MESSAGES = Path("helpers") / "exercises" / f"messages_{LANGUAGE}.json"

# The imports cell of a Chinese notebook imports set_language with the other exercise tools and
# ends with this line (the only code that differs from the English notebook, besides the setup).
LANGUAGE_LINE = 'set_language("zh")  # check、hint、solution 的信息从这里起用中文显示'
EXERCISE_IMPORT = re.compile(
    r"^from helpers\.exercises import (?P<names>[\w, ]+?)(?P<comment>[ \t]*#[^\n]*)?$", re.MULTILINE
)


# --------------------------------------------------------------------------- catalogues


@dataclass(frozen=True)
class Source:
    """One English text to translate: where it sits (``context``) and the text (``msgid``)."""

    context: str
    text: str
    comment: str = ""


def new_catalogue(title: str) -> polib.POFile:
    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        "Project-Id-Version": "self-attention-course",
        "Language": "zh_CN",
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
    }
    po.header = f"{title}\nThe 中文 edition of the course: see course_tools/translations.py."
    return po


def load_catalogue(path: Path) -> polib.POFile:
    """The catalogue at ``path`` (an empty one if it does not exist yet)."""
    if not path.exists():
        return new_catalogue(path.stem)
    return polib.pofile(str(path), wrapwidth=0)


def merged(po: polib.POFile, sources: Iterable[Source]) -> polib.POFile:
    """The catalogue for ``sources``, keeping what ``po`` already translated (as ``msgmerge``)."""
    by_context = {(e.msgctxt or ""): e for e in po if not e.obsolete}
    by_text = {e.msgid: e for e in po if not e.obsolete}
    out = new_catalogue("")
    out.header, out.metadata = po.header, dict(po.metadata)
    for source in sources:
        old = by_context.get(source.context) if source.context else by_text.get(source.text)
        entry = polib.POEntry(
            msgctxt=source.context or None, msgid=source.text, comment=source.comment or ""
        )
        if old is not None and old.msgid == source.text:
            entry.msgstr, entry.flags = old.msgstr, list(old.flags)
            entry.previous_msgid = old.previous_msgid
        elif old is not None and old.msgstr:  # the English changed: keep, mark stale
            entry.msgstr, entry.flags = old.msgstr, ["fuzzy"]
            entry.previous_msgid = old.msgid
        out.append(entry)
    return out


# What a translation must keep from the English, in order: fenced code, display and inline math,
# inline code, link targets. Paths to notebooks may gain the edition's folder ("notebooks/zh/").
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.DOTALL)
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)[^$\n]+?\$")
INLINE_CODE = re.compile(r"`[^`\n]+`")
LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?")
HEADING = re.compile(r"^(#{1,6})\s", re.MULTILINE)


def _same_edition(text: str) -> str:
    return text.replace(f"notebooks/{LANGUAGE}/", "notebooks/")


def markup_differences(english: str, chinese: str) -> list[str]:
    """What a translation changed that must stay as in the English (empty when nothing).

    Formulas, code, link targets and heading levels must be identical (a path to a notebook may
    point into the Chinese edition); every number of the English prose must appear in the
    Chinese; a table keeps its number of rows.
    """
    problems = []
    en, zh = english, _same_edition(chinese)
    for name, pattern in (
        ("code block", FENCE),
        ("display formula", DISPLAY_MATH),
        ("formula", INLINE_MATH),
        ("inline code", INLINE_CODE),
        ("link target", LINK_TARGET),
    ):
        found_en, found_zh = pattern.findall(en), pattern.findall(zh)
        if sorted(found_en) != sorted(found_zh):
            missing = [x for x in found_en if x not in found_zh]
            extra = [x for x in found_zh if x not in found_en]
            problems.append(f"{name}s differ: missing {missing[:3]}, added {extra[:3]}")
        for pattern_ in (pattern,):
            en, zh = pattern_.sub(" ", en), pattern_.sub(" ", zh)
    if HEADING.findall(english) != HEADING.findall(chinese):
        problems.append(
            f"headings differ: {HEADING.findall(english)} vs {HEADING.findall(chinese)}"
        )
    numbers_zh = NUMBER.findall(zh)
    missing_numbers = [n for n in NUMBER.findall(en) if n not in numbers_zh]
    if missing_numbers:
        problems.append(f"numbers of the English missing: {missing_numbers[:5]}")
    rows_en = sum(line.lstrip().startswith("|") for line in english.splitlines())
    rows_zh = sum(line.lstrip().startswith("|") for line in chinese.splitlines())
    if rows_en != rows_zh:
        problems.append(f"table rows differ: {rows_en} vs {rows_zh}")
    return problems


def usable(entry: polib.POEntry) -> bool:
    """A translation that is written and not stale."""
    return bool(entry.msgstr) and "fuzzy" not in entry.flags


def translations_of(po: polib.POFile) -> dict[str, str]:
    """``{context or msgid: msgstr}`` of the usable entries."""
    return {(e.msgctxt or e.msgid): e.msgstr for e in po if usable(e) and not e.obsolete}


def _text_of(po: polib.POFile) -> str:
    return po.__unicode__()


def save(po: polib.POFile, path: Path) -> bool:
    """Write ``po`` to ``path`` unless it is unchanged; True when written."""
    text = _text_of(po)
    if path.exists() and path.read_text("utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return True


# --------------------------------------------------------------------------- notebook sources


def is_generated(cell: nbformat.NotebookNode) -> bool:
    return colab.BADGE_TAG in tags(cell) or colab.SETUP_TAG in tags(cell)


def notebook_sources(nb: nbformat.NotebookNode) -> list[Source]:
    """Every markdown cell of a solved notebook except the generated badge, keyed by cell id."""
    found = []
    for cell in nb.cells:
        if cell.cell_type != "markdown" or is_generated(cell):
            continue
        if not cell.get("id"):
            raise ValueError("a markdown cell has no id: run `make notebooks` (nbformat >= 4.5)")
        kind = "worked answer" if lessons.SOLUTION_TAG in tags(cell) else ""
        found.append(Source(cell.id, cell.source, kind))
    return found


def notebook_catalogue_path(solution: Path, root: Path = ROOT) -> Path:
    return Path(root) / NOTEBOOK_CATALOGUES / f"{Path(solution).stem}.po"


def imports_with_language(source: str) -> str:
    """The English imports cell, as the Chinese notebook has it: ``set_language`` imported with
    the other exercise tools (names kept sorted, as ruff's isort wants) and called at the end."""
    match = EXERCISE_IMPORT.search(source)
    if match is None:
        raise ValueError("the imports cell has no `from helpers.exercises import ...` line")
    names = sorted({*(n.strip() for n in match["names"].split(",")), "set_language"})
    line = f"from helpers.exercises import {', '.join(names)}{match['comment'] or ''}"
    return f"{source[: match.start()]}{line}{source[match.end() :]}\n\n{LANGUAGE_LINE}"


def is_imports_cell(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "code" and EXERCISE_IMPORT.search(cell.source) is not None


def chinese_solution(
    solution: nbformat.NotebookNode, po: polib.POFile, path: str
) -> nbformat.NotebookNode:
    """The Chinese solved notebook at ``path``: every markdown cell translated (the English text
    where the catalogue has no usable translation), the imports cell setting the language, the
    edition's badge and setup cell, no outputs (``make notebooks`` executes it)."""
    nb = nbformat.from_dict(solution)  # a deep copy
    translated = translations_of(po)
    imports_seen = False
    for cell in nb.cells:
        if is_generated(cell):
            continue
        if cell.cell_type == "markdown":
            cell.source = translated.get(cell.id, cell.source)
            continue
        if cell.cell_type == "code":
            if not imports_seen and is_imports_cell(cell):
                cell.source = imports_with_language(cell.source)
                imports_seen = True
            cell.outputs = []
            cell.execution_count = None
    if not imports_seen:
        raise ValueError(f"{path}: no imports cell with `from helpers.exercises import ...`")
    nb.metadata["language_info"] = {"name": "python"}
    return colab.synced(nb, path)


def notebook_pairs(root: Path = ROOT) -> list[tuple[Path, Path, Path]]:
    """``(English solution, Chinese solution, Chinese lesson)`` for every lesson of the plan."""
    return list(
        zip(
            list_notebooks("solutions", root),
            list_notebooks("solutions", root, LANGUAGE),
            list_notebooks("lessons", root, LANGUAGE),
            strict=True,
        )
    )


def expected_notebooks(
    root: Path, solution: Path, zh_solution: Path, zh_lesson: Path
) -> tuple[nbformat.NotebookNode, nbformat.NotebookNode]:
    """What ``build`` writes for one lesson: the Chinese solution and the Chinese lesson."""
    po = load_catalogue(notebook_catalogue_path(solution, root))
    solved = chinese_solution(read(solution), po, relative(zh_solution, root))
    lesson = lessons.lesson_from_solution(
        solved, relative(zh_lesson, root), relative(zh_solution, root), language=LANGUAGE
    )
    return solved, lesson


def stale_notebooks(root: Path = ROOT) -> list[Path]:
    """Chinese notebooks that are missing or differ (ignoring outputs) from what ``build`` writes."""
    stale = []
    for solution, zh_solution, zh_lesson in notebook_pairs(root):
        expected = expected_notebooks(root, solution, zh_solution, zh_lesson)
        for path, nb in zip((zh_solution, zh_lesson), expected, strict=True):
            if lessons.is_stale(path, nb):
                stale.append(path)
    return stale


def build(root: Path = ROOT) -> list[Path]:
    """Write every stale Chinese notebook (outputs cleared, to be executed); return them."""
    written = []
    for solution, zh_solution, zh_lesson in notebook_pairs(root):
        expected = expected_notebooks(root, solution, zh_solution, zh_lesson)
        for path, nb in zip((zh_solution, zh_lesson), expected, strict=True):
            if lessons.is_stale(path, nb):
                path.parent.mkdir(parents=True, exist_ok=True)
                write(nb, path)
                written.append(path)
    return written


# --------------------------------------------------------------------------- course sources


def course_sources(root: Path = ROOT) -> list[Source]:
    """The plan's short titles and claims, then the website's sentences (``docs/site_text.py``)."""
    plan = load_plan(root)
    found = []
    for lesson in plan.lessons:
        found.append(Source(f"{lesson.stem}:short_title", lesson.short_title))
        found.append(Source(f"{lesson.stem}:lecture", lesson.lecture))
        found.append(Source(f"{lesson.stem}:claim", lesson.claim))
    return found


def course_text(root: Path = ROOT) -> dict[str, str]:
    """``{context: Chinese}`` of ``course.po`` (only usable entries)."""
    return translations_of(load_catalogue(Path(root) / COURSE_CATALOGUE))


# --------------------------------------------------------------------------- message sources


def _literal(node: ast.AST) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def marked_messages(root: Path = ROOT) -> list[str]:
    """Literal first arguments of every ``tr("...")`` call in ``helpers/exercises/*.py``."""
    found = []
    for path in sorted((Path(root) / "helpers" / "exercises").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "tr":
                if node.args and (text := _literal(node.args[0])) is not None:
                    found.append(text)
    return found


def registered_messages() -> list[str]:
    """Texts the exercises register (mistake messages, hints, error hints, checker summaries)."""
    from helpers.exercises import _registry, guidance

    found = []
    for exercise_id in _registry.list_exercises():
        ex = _registry.get_exercise(exercise_id)
        found += [m.message for m in ex.mistakes]
        found += list(ex.hints)
        found += [hint for _fragments, hint in ex.error_hints]
        if ex.summary:
            found.append(ex.summary)
    for question_id in guidance.list_questions():
        found += list(guidance.hints_of(question_id))
    return found


def message_sources(root: Path = ROOT) -> list[Source]:
    """Every message a learner can see, once each, in a stable order (msgid only)."""
    seen: dict[str, None] = {}
    for text in [*marked_messages(root), *registered_messages()]:
        seen.setdefault(text, None)
    return [Source("", text) for text in seen]


def compiled_messages(root: Path = ROOT) -> str:
    """The text of ``helpers/exercises/messages_zh.json``: ``{English: Chinese}``, sorted."""
    table = translations_of(load_catalogue(Path(root) / MESSAGES_CATALOGUE))
    return json.dumps(dict(sorted(table.items())), ensure_ascii=False, indent=1) + "\n"


# --------------------------------------------------------------------------- all catalogues


def catalogue_sources(root: Path = ROOT) -> dict[Path, list[Source]]:
    """Every catalogue path with the English sources it must hold."""
    found = {
        notebook_catalogue_path(solution, root): notebook_sources(read(solution))
        for solution in list_notebooks("solutions", root)
    }
    found[Path(root) / COURSE_CATALOGUE] = course_sources(root)
    found[Path(root) / MESSAGES_CATALOGUE] = message_sources(root)
    return found


def update(root: Path = ROOT) -> list[Path]:
    """Merge every catalogue with its English sources; return those written."""
    written = []
    for path, sources in catalogue_sources(root).items():
        if save(merged(load_catalogue(path), sources), path):
            written.append(path)
    return written


def write_compiled(root: Path = ROOT) -> list[Path]:
    target = Path(root) / COMPILED_MESSAGES
    text = compiled_messages(root)
    if target.exists() and target.read_text("utf-8") == text:
        return []
    target.write_text(text, "utf-8")
    return [target]


def problems(root: Path = ROOT) -> list[str]:
    """One line per catalogue out of date, entry missing or stale, or compiled file out of date."""
    found = []
    for path, sources in catalogue_sources(root).items():
        name = relative(path, root)
        po = load_catalogue(path)
        if _text_of(merged(po, sources)) != _text_of(po):
            found.append(f"{name}: out of date with its English source (run `make sync`)")
            po = merged(po, sources)
        for entry in po:
            where = entry.msgctxt or entry.msgid[:60].replace("\n", " ")
            if not entry.msgstr:
                found.append(f"{name}: no translation for {where!r}")
            elif "fuzzy" in entry.flags:
                found.append(f"{name}: stale translation (the English changed) of {where!r}")
            elif path.parent.name == "notebooks":
                found += [
                    f"{name}: {where!r}: {problem}"
                    for problem in markup_differences(entry.msgid, entry.msgstr)
                ]
    target = Path(root) / COMPILED_MESSAGES
    if not target.exists() or target.read_text("utf-8") != compiled_messages(root):
        found.append(f"{relative(target, root)}: out of date (run `make sync`)")
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["update", "check", "status"])
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    args = parser.parse_args(argv)
    if args.command == "update":
        for path in [*update(args.root), *write_compiled(args.root), *build(args.root)]:
            print(f"wrote {path}")
        return 0
    if args.command == "status":
        for path, sources in catalogue_sources(args.root).items():
            po = merged(load_catalogue(path), sources)
            done = sum(usable(e) for e in po)
            print(f"{done:4d}/{len(po):4d} translated  {relative(path, args.root)}")
        return 0
    found = problems(args.root)
    for line in found:
        print(line)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
