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
import difflib
import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
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
    """The catalogue for ``sources``, keeping what ``po`` already translated (as ``msgmerge``).

    An entry is found again by its context (a notebook cell's id) or, for sources without one,
    by its English text; an English text without an exact match inherits, as fuzzy, the
    translation of the most similar old text that no source matches any more.
    """
    sources = list(sources)
    live = [e for e in po if not e.obsolete]
    by_context = {(e.msgctxt or ""): e for e in live}
    by_text = {e.msgid: e for e in live if not e.msgctxt}
    wanted = {s.text for s in sources if not s.context}
    orphans = {e.msgid: e for e in live if not e.msgctxt and e.msgid not in wanted and e.msgstr}
    out = new_catalogue("")
    out.header, out.metadata = po.header, dict(po.metadata)
    for source in sources:
        if source.context:
            old = by_context.get(source.context)
        else:
            old = by_text.get(source.text)
            if old is None and orphans:
                close = difflib.get_close_matches(source.text, list(orphans), n=1, cutoff=0.6)
                old = orphans.pop(close[0]) if close else None
        entry = polib.POEntry(
            msgctxt=source.context or None, msgid=source.text, comment=source.comment or ""
        )
        if old is not None and old.msgid == source.text:
            entry.msgstr, entry.flags = old.msgstr, list(old.flags)
            entry.previous_msgid = old.previous_msgid
        elif old is not None and old.msgstr:  # the English changed: keep, mark stale
            entry.msgstr, entry.flags = old.msgstr, ["fuzzy"]
            # the English the translation was made from (not an intermediate stale version)
            stale_before = "fuzzy" in old.flags and old.previous_msgid
            entry.previous_msgid = old.previous_msgid if stale_before else old.msgid
        out.append(entry)
    return out


# What a translation must keep from the English, in order: fenced code, display and inline math,
# inline code, link targets. Paths to notebooks may gain the edition's folder ("notebooks/zh/").
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
DISPLAY_MATH = re.compile(r"\$\$.+?\$\$", re.DOTALL)
# Inline math and code may run over a line break (not over a blank line); a span is compared
# with its whitespace collapsed, since a translation wraps its lines elsewhere.
INLINE_MATH = re.compile(r"(?<![\\$])\$(?!\$)(?:[^$\n]|\n(?!\s*\n))+?\$")
INLINE_CODE = re.compile(r"``(?:[^`]|`(?!`))+?``|`(?:[^`\n]|\n(?!\s*\n))+`")
LINK_TARGET = re.compile(r"\]\(([^)\s]+)\)")
NUMBER = re.compile(r"(?<![A-Za-z0-9_.])\d+(?:\.\d+)?")
HEADING = re.compile(r"^(#{1,6})\s", re.MULTILINE)
KEY_TERMS = re.compile(r"^##\s+Key terms\s*$", re.MULTILINE | re.IGNORECASE)


LIST_ITEM = re.compile(r"^[ \t]*(?:\d+[.)]|[-*+])[ \t]", re.MULTILINE)


def paragraphs(markdown: str) -> int:
    """How many blocks separated by blank lines ``markdown`` has (a heading is one)."""
    return len([block for block in re.split(r"\n[ \t]*\n", markdown.strip()) if block.strip()])


def list_items(markdown: str) -> int:
    return len(LIST_ITEM.findall(markdown))


@cache
def _commonmark():
    from markdown_it import MarkdownIt  # only the checks need it (the dev extra)

    return MarkdownIt("commonmark").enable("table")


def emphasis(markdown: str) -> tuple[int, int]:
    """How many bold and italic spans ``markdown`` renders to (CommonMark, with tables)."""
    tokens = _commonmark().parse(markdown)
    inline = [child for t in tokens for child in (t.children or [])]
    return (
        sum(t.type == "strong_open" for t in inline),
        sum(t.type == "em_open" for t in inline),
    )


def _same_edition(text: str) -> str:
    return text.replace(f"notebooks/{LANGUAGE}/", "notebooks/")


def markup_differences(english: str, chinese: str) -> list[str]:
    """What a translation changed that must stay as in the English (empty when nothing).

    Formulas, code, link targets and heading levels must be identical (a path to a notebook may
    point into the Chinese edition); every number of the English prose must appear in the
    Chinese; paragraphs, list items and table rows keep their number.
    """
    problems = []
    en, zh = _same_edition(english), _same_edition(chinese)
    for name, pattern in (
        ("code block", FENCE),
        ("display formula", DISPLAY_MATH),
        ("inline code", INLINE_CODE),
        ("formula", INLINE_MATH),
        ("link target", LINK_TARGET),
    ):
        joiner = "" if "formula" in name else " "  # spaces do not matter in TeX
        found_en = [joiner.join(x.split()) for x in pattern.findall(en)]
        found_zh = [joiner.join(x.split()) for x in pattern.findall(zh)]
        if sorted(found_en) != sorted(found_zh):
            missing = [x for x in found_en if x not in found_zh]
            extra = [x for x in found_zh if x not in found_en]
            problems.append(f"{name}s differ: missing {missing[:3]}, added {extra[:3]}")
        en, zh = pattern.sub(" ", en), pattern.sub(" ", zh)
    if HEADING.findall(english) != HEADING.findall(chinese):
        problems.append(
            f"headings differ: {HEADING.findall(english)} vs {HEADING.findall(chinese)}"
        )
    numbers_zh = NUMBER.findall(zh)
    missing_numbers = [n for n in NUMBER.findall(en) if n not in numbers_zh]
    if missing_numbers:
        problems.append(f"numbers of the English missing: {missing_numbers[:5]}")
    for what, count in (("paragraphs", paragraphs), ("list items", list_items)):
        if count(english) != count(chinese):
            problems.append(f"{what} differ: {count(english)} in the English, {count(chinese)}")
    emphasis_en, emphasis_zh = emphasis(english), emphasis(chinese)
    if emphasis_en != emphasis_zh:
        problems.append(
            f"bold/italic spans: {emphasis_en} in the English, {emphasis_zh} rendered in the "
            "Chinese (CommonMark does not close ** after punctuation before a letter: add a space)"
        )
    rows_en = [line.strip() for line in english.splitlines() if line.lstrip().startswith("|")]
    rows_zh = [line.strip() for line in chinese.splitlines() if line.lstrip().startswith("|")]
    if len(rows_en) != len(rows_zh):
        problems.append(f"table rows differ: {len(rows_en)} vs {len(rows_zh)}")
    elif KEY_TERMS.search(english) and rows_en != rows_zh:  # one glossary for both editions
        changed = [zh for en, zh in zip(rows_en, rows_zh, strict=True) if en != zh]
        problems.append(f"the key-terms table must be the English one, verbatim: {changed[:2]}")
    return problems


def usable(entry: polib.POEntry) -> bool:
    """A translation that is written and not stale."""
    return bool(entry.msgstr) and "fuzzy" not in entry.flags


def translations_of(po: polib.POFile) -> dict[str, str]:
    """``{context or msgid: msgstr}`` of the usable entries."""
    return {(e.msgctxt or e.msgid): e.msgstr for e in po if usable(e) and not e.obsolete}


def _text_of(po: polib.POFile) -> str:
    return po.__unicode__()


def write_if_changed(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` unless the file already holds it; True when written."""
    if path.exists() and path.read_text("utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return True


def save(po: polib.POFile, path: Path) -> bool:
    """Write ``po`` to ``path`` unless it is unchanged; True when written."""
    return write_if_changed(path, _text_of(po))


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
    body = ast.parse(source).body
    blank = "\n\n\n" if body and isinstance(body[-1], ast.FunctionDef | ast.ClassDef) else "\n\n"
    return f"{source[: match.start()]}{line}{source[match.end() :]}{blank}{LANGUAGE_LINE}"


# A line break next to Chinese text shows as a stray space in Jupyter and most browsers: the
# notebooks get each Chinese paragraph's lines joined wherever the break touches a Chinese
# character or punctuation mark (a break between Chinese and Latin text may stay: a space there
# is normal Chinese typography, except before or after full-width punctuation).
CJK_PUNCTUATION = "\u3000-\u303f\uff00-\uffef\u201c\u201d\u2014\u2026"
CJK = f"\u3400-\u4dbf\u4e00-\u9fff{CJK_PUNCTUATION}"
SOFT_BREAK = re.compile(r"(?<=\S)\n[ \t]*(?=\S)")
STARTS_A_BLOCK = re.compile(r"[-*+] |\d+[.)] |#|>|\||```|:::|\$\$")


CHINESE_CHARACTER = re.compile(f"[{CJK}]")
CHINESE_PUNCTUATION = re.compile(f"[{CJK_PUNCTUATION}]")


def _joins(before: str, after: str) -> bool:
    """Whether the line break between the characters ``before`` and ``after`` goes."""
    if CHINESE_PUNCTUATION.match(before) or CHINESE_PUNCTUATION.match(after):
        return True
    if CHINESE_CHARACTER.match(before) and (CHINESE_CHARACTER.match(after) or after in "*_"):
        return True  # Chinese, or Chinese in bold or italics
    return before in "*_" and bool(CHINESE_CHARACTER.match(after))


def joined_chinese_lines(markdown: str) -> str:
    """``markdown`` without the soft line breaks that touch Chinese text (see ``_joins``), outside
    code fences and never where the next line starts a block (a list item, heading, quote, table
    row, formula) or the line is a heading or table row."""

    def join(match: re.Match) -> str:
        text, start, end = match.string, match.start(), match.end()
        line = text[text.rfind("\n", 0, start) + 1 : start]
        if STARTS_A_BLOCK.match(text, end) or line.lstrip().startswith(("#", "|")):
            return match.group()
        return "" if _joins(text[start - 1], text[end]) else match.group()

    parts = re.split(r"(^```.*?^```)", markdown, flags=re.MULTILINE | re.DOTALL)
    return "".join(p if p.startswith("```") else SOFT_BREAK.sub(join, p) for p in parts)


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
            if cell.id in translated:
                cell.source = joined_chinese_lines(translated[cell.id])
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
    """Chinese notebooks missing or differing (ignoring outputs) from what ``build`` writes."""
    stale = []
    for solution, zh_solution, zh_lesson in notebook_pairs(root):
        expected = expected_notebooks(root, solution, zh_solution, zh_lesson)
        for path, nb in zip((zh_solution, zh_lesson), expected, strict=True):
            if lessons.is_stale(path, nb):
                stale.append(path)
    return stale


def build(root: Path = ROOT) -> list[Path]:
    """Write every stale Chinese notebook; return them. Outputs are kept when its code did not
    change (only prose did: ``lessons.with_outputs_of``), else cleared, to be executed."""
    written = []
    for solution, zh_solution, zh_lesson in notebook_pairs(root):
        expected = expected_notebooks(root, solution, zh_solution, zh_lesson)
        for path, nb in zip((zh_solution, zh_lesson), expected, strict=True):
            if lessons.is_stale(path, nb):
                path.parent.mkdir(parents=True, exist_ok=True)
                write(lessons.with_outputs_of(nb, path), path)
                written.append(path)
    return written


# --------------------------------------------------------------------------- course sources


def course_sources(root: Path = ROOT) -> list[Source]:
    """The plan's short titles, lecture sections and claims, the website's own sentences
    (``course_tools.site.SITE_TEXT``) and the blocks of its landing page (``docs/index.md``)."""
    from course_tools.site import SITE_TEXT  # the site imports this module too

    plan = load_plan(root)
    found = []
    for lesson in plan.lessons:
        found.append(Source(f"{lesson.stem}:short_title", lesson.short_title))
        found.append(Source(f"{lesson.stem}:lecture", lesson.lecture))
        found.append(Source(f"{lesson.stem}:claim", lesson.claim))
    found += [Source(f"site:{key}", text) for key, text in SITE_TEXT.items()]
    index = (Path(root) / "docs" / "index.md").read_text("utf-8")
    found += [Source("", block, "docs/index.md") for block in translatable_blocks(index)]
    return found


def markdown_blocks(text: str) -> list[str]:
    """A Markdown page cut at blank lines, except inside ``` fences (a block each)."""
    blocks, current, fenced = [], [], False
    for line in text.split("\n"):
        if line.startswith("```"):
            fenced = not fenced
        if not line.strip() and not fenced:
            if current:
                blocks.append("\n".join(current))
            current = []
            continue
        current.append(line)
    if current:
        blocks.append("\n".join(current))
    return blocks


def is_translatable(block: str) -> bool:
    """Prose, not a fence/directive line (```` ``` ````, ``:::``) or a code block."""
    return not block.startswith("```") and re.search(r"[A-Za-z]{2}", block.replace(":::", ""))


def translatable_blocks(text: str) -> list[str]:
    return [block for block in markdown_blocks(text) if is_translatable(block)]


def translated_page(text: str, translations: dict[str, str]) -> str:
    """A Markdown page with each translatable block replaced by its translation (if any)."""
    return (
        "\n\n".join(
            translations.get(block, block) if is_translatable(block) else block
            for block in markdown_blocks(text)
        )
        + "\n"
    )


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
            is_tr = isinstance(node, ast.Call) and getattr(node.func, "id", None) == "tr"
            if is_tr and node.args and (text := _literal(node.args[0])) is not None:
                found.append(text)
    return found


def registered_messages() -> list[str]:
    """Texts the exercises register (mistake messages, hints, error hints, checker summaries,
    the references named in "passed" messages): stored in English, translated where shown."""
    from helpers.exercises import _registry, guidance

    found = []
    for exercise_id in _registry.list_exercises():
        ex = _registry.get_exercise(exercise_id)
        found += [m.message for m in ex.mistakes]
        found += list(ex.hints)
        found += [hint for _fragments, hint in ex.error_hints]
        found += [text for text in (ex.summary, ex.reference) if text]
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
    return [target] if write_if_changed(target, compiled_messages(root)) else []


def out_of_date(root: Path = ROOT) -> list[str]:
    """Catalogues that ``update`` would change (their English moved on), and a stale compiled
    message file: what ``make sync`` fixes."""
    found = []
    for path, sources in catalogue_sources(root).items():
        po = load_catalogue(path)
        if _text_of(merged(po, sources)) != _text_of(po):
            found.append(f"{relative(path, root)}: out of date with its English source")
    target = Path(root) / COMPILED_MESSAGES
    if not target.exists() or target.read_text("utf-8") != compiled_messages(root):
        found.append(f"{relative(target, root)}: out of date")
    return found


def untranslated(root: Path = ROOT) -> list[str]:
    """One line per entry without a usable translation (missing or stale), and per translation
    that changed a formula, code, link, number, heading or table of its English."""
    found = []
    for path, sources in catalogue_sources(root).items():
        name = relative(path, root)
        for entry in merged(load_catalogue(path), sources):
            where = entry.msgctxt or entry.msgid[:60].replace("\n", " ")
            if not entry.msgstr:
                found.append(f"{name}: no translation for {where!r}")
            elif "fuzzy" in entry.flags:
                found.append(f"{name}: stale translation (the English changed) of {where!r}")
            else:
                found += [
                    f"{name}: {where!r}: {problem}"
                    for problem in translation_problems(entry.msgid, entry.msgstr, path)
                ]
    return found


def translation_problems(english: str, chinese: str, catalogue: Path) -> list[str]:
    """What is wrong with one written translation: markup for prose, placeholders for messages."""
    if Path(catalogue).name == MESSAGES_CATALOGUE.name:
        return placeholder_differences(english, chinese)
    return markup_differences(english, chinese)


def placeholders(template: str) -> list[str]:
    """The ``{name}`` fields of a ``str.format`` template, sorted (``{{`` is a literal brace)."""
    import string

    try:
        return sorted(f"{n}:{spec}" for _, n, spec, _ in string.Formatter().parse(template) if n)
    except ValueError as error:
        return [f"<not a template: {error}>"]


def placeholder_differences(english: str, chinese: str) -> list[str]:
    """A message's translation keeps exactly its placeholders and its inline code."""
    problems = []
    if placeholders(english) != placeholders(chinese):
        problems.append(f"placeholders differ: {placeholders(english)} vs {placeholders(chinese)}")
    code_en, code_zh = INLINE_CODE.findall(english), INLINE_CODE.findall(chinese)
    if sorted(code_en) != sorted(code_zh):
        problems.append(f"inline code differs: {code_en[:3]} vs {code_zh[:3]}")
    if english.count("\n") != chinese.count("\n"):  # outputs are compared line by line
        problems.append(
            f"{english.count(chr(10))} line breaks in the English, {chinese.count(chr(10))}"
        )
    numbers_en = sorted(NUMBER.findall(re.sub(r"\{[^{}]*\}", " ", english)))
    numbers_zh = sorted(NUMBER.findall(re.sub(r"\{[^{}]*\}", " ", chinese)))
    if numbers_en != numbers_zh:  # the same numbers, none added (outputs are compared on them)
        problems.append(f"numbers differ: {numbers_en} vs {numbers_zh}")
    return problems


def problems(root: Path = ROOT) -> list[str]:
    return [*(f"{line} (run `make sync`)" for line in out_of_date(root)), *untranslated(root)]


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
