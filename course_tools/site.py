"""Build the course website from the committed notebooks, without executing them.

    python -m course_tools.site             # -> _build/html  (what `make book` runs)
    python -m course_tools.site --out DIR   # any other folder (the site tests use a temp one)

Steps:

1. **Stage** a Sphinx source folder next to the output (``<out>.source``): ``docs/``'s
   ``conf.py``, ``index.md``, ``course_site.py`` and ``_static/``, plus exact
   copies of ``notebooks/NN_*.ipynb`` and ``notebooks/solutions/NN_*.ipynb`` at the same paths as in
   the repository (so the theme's Colab button and the download links point to the real files).
2. **Generate** the landing page's course map (titles from each notebook's ``# NN · Topic``
   cell, the claim each lesson verifies from the plan, ``course.toml``) and the glossary page
   (every lesson's ``## Key terms`` table, each term linked to the first lesson, in course
   order, that lists it).
3. **Run Sphinx** (myst-nb, ``nb_execution_mode = "off"``: the committed outputs are what nbval
   checked) with ``-W --keep-going -n``: any warning (broken reference, missing image, unknown
   directive) fails the build.

The notebooks are the plan's (``course_tools.notebooks.list_notebooks``), in course order.

**Two editions.** The site is built twice: the English edition into ``<out>`` and the 中文 edition
into ``<out>/zh`` (Sphinx ``language = "zh_CN"``: the theme's own words are Chinese too), from
``notebooks/zh/``, with the landing page, the course map and every sentence of this module
(``SITE_TEXT``) translated through ``translations/zh/course.po``. Every page carries a switch to
the same page in the other edition, and the glossary links each term to both editions.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from course_tools import translations
from course_tools.notebooks import list_notebooks, read, relative
from course_tools.plan import ROOT, Plan, load_plan

# What is copied from docs/ into the staged source folder (the rest of docs/ is tooling).
SITE_FILES = ["conf.py", "course_site.py", "_static"]
GENERATED = "_generated"  # staged folder of generated fragments (included, never pages)
EDITIONS = {"en": "", "zh": "zh"}  # language -> folder of its build inside <out>
SPHINX_LANGUAGE = {"en": "en", "zh": "zh_CN"}
SWITCH_LABEL = {"en": "English", "zh": "中文"}  # the name of an edition, in its own language

TITLE = re.compile(r"^#\s+(\d\d)\s*[·:.\-–—]\s*(.+?)\s*$", re.MULTILINE)
KEY_TERMS_HEADING = re.compile(r"^##\s+(Key terms|关键术语)\s*$", re.MULTILINE | re.IGNORECASE)

# The website's own sentences, in English; the 中文 edition's are in translations/zh/course.po.
SITE_TEXT = {
    "project": "Self-attention, from one query to graphs",
    "short_title": "Self-attention course",
    "footer": (
        "Follows Hung-yi Lee's lecture <em>Self-Attention</em> (自注意力, ML 2021). "
        "Source and issues: {repository_link}."
    ),
    "lessons": "Lessons",
    "reference": "Reference",
    "solutions": "Solutions",
    "you_verify": "You verify: {claim}",
    "solutions_link": "solutions",
    "solutions_after_claim": " ({link})",
    "solved": "(solved)",
    "download": "Download notebook (.ipynb)",
    "worked_solutions": "Worked solutions",
    "back_to_lesson": "Back to the lesson",
    "widget_note": "A progress bar runs here when you execute the notebook.",
    "open_in_colab": "Open in Colab",
    "switch_title": "This page in the other edition (中文)",
    "glossary_title": "Glossary · 术语表",
    "glossary_empty": "No lesson has a *Key terms* table yet.",
    "glossary_intro": (
        "Every key term of the course with its Chinese name, as used in Hung-yi Lee's lecture. "
        "Each lesson ends with a *Key terms* table; this page gathers them all ({terms} terms "
        "from {lessons} lessons, generated when the site is built). A term links to the lesson "
        "that introduces it; *also in* lists the later lessons whose key terms repeat it, and the "
        "last column opens the same lesson in the other edition."
    ),
    "column_english": "English",
    "column_chinese": "中文",
    "column_introduced": "introduced in",
    "column_also": "also in",
    "column_other": "中文版",
}


@dataclass(frozen=True)
class Notebook:
    """One notebook of the course, as the site sees it."""

    path: Path  # the file in the repository
    relpath: str  # path in the repository: "notebooks/solutions/00_sets_of_vectors.ipynb"
    number: str  # "00"
    title: str  # "The input is a set of vectors" (the title cell without "NN · ")
    summary: str = ""  # the first sentence of the notebook's introduction

    @property
    def docname(self) -> str:
        """Sphinx document name: the repository path without ``.ipynb``."""
        return self.relpath.removesuffix(".ipynb")

    @property
    def full_title(self) -> str:
        return f"{self.number} · {self.title}"


@dataclass(frozen=True)
class Term:
    """One row of the glossary."""

    english: str
    chinese: str
    introduced_in: Notebook
    also_in: tuple[Notebook, ...]


def notebook_title(nb: nbformat.NotebookNode, path: Path) -> tuple[str, str]:
    """``(number, title)`` from the first markdown cell holding a ``# NN · Topic`` heading."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and (match := TITLE.search(cell.source)):
            if not path.name.startswith(match[1] + "_"):
                raise ValueError(f"{path}: title number {match[1]} does not match the file name")
            return match[1], match[2]
    raise ValueError(f"{path}: no '# NN · Topic' title cell (see CONTRIBUTING.md, the template)")


def notebook_summary(nb: nbformat.NotebookNode) -> str:
    """The first sentence of the title cell's first plain paragraph, markdown removed."""
    for cell in nb.cells:
        if cell.cell_type == "markdown" and TITLE.search(cell.source):
            for paragraph in cell.source.split("\n\n")[1:]:
                if paragraph.startswith(("*", "#", ">", "-", "|")) or not paragraph.strip():
                    continue  # the italic course line, headings, quotes, lists, tables
                text = " ".join(re.sub(r"[*_`]|\$", "", paragraph).split())
                return re.split(r"(?<=[.!?])\s|(?<=[。！？])", text, maxsplit=1)[0]
    return ""


def course_notebooks(
    root: Path = ROOT, language: str = "en"
) -> tuple[list[Notebook], list[Notebook]]:
    """``(lessons, solutions)`` of the plan in one edition, each in course order."""
    found = []
    for kind in ("lessons", "solutions"):
        notebooks = []
        for path in list_notebooks(kind, root, language):
            nb = read(path)
            number, title = notebook_title(nb, path)
            notebooks.append(
                Notebook(path, relative(path, root), number, title, notebook_summary(nb))
            )
        found.append(notebooks)
    return found[0], found[1]


def _table_cells(line: str) -> list[str]:
    """'| a | b \\| c |' -> ['a', 'b | c']."""
    cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
    return [cell.replace("\\|", "|").strip() for cell in cells]


def key_terms(nb: nbformat.NotebookNode) -> list[tuple[str, str]]:
    """The ``(English, 中文)`` rows of the notebook's ``## Key terms`` table, in order."""
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "markdown" or not (heading := KEY_TERMS_HEADING.search(cell.source)):
            continue
        text = cell.source[heading.end() :]
        if "|" not in text and i + 1 < len(nb.cells):  # the table may sit in the next cell
            text = nb.cells[i + 1].source
        rows = []
        for line in text.splitlines():
            if not line.strip().startswith("|"):
                if rows:  # the table ended
                    break
                continue
            cells = _table_cells(line)
            if len(cells) < 2 or all(re.fullmatch(r":?-+:?", c) for c in cells if c):
                continue  # the |---|---| separator
            rows.append((cells[0], cells[1]))
        return rows[1:]  # rows[0] is the header (English | 中文)
    return []


def term_key(english: str) -> str:
    """Terms are the same when they differ only in case, spacing or markdown emphasis."""
    return " ".join(re.sub(r"[*_`]", "", english).split()).casefold()


def glossary(lessons: list[Notebook]) -> list[Term]:
    """Every key term of every lesson, alphabetically; a term belongs to the first lesson."""
    first: dict[str, tuple[str, list[str], Notebook]] = {}
    later: dict[str, list[Notebook]] = {}
    for lesson in lessons:
        for english, chinese in key_terms(read(lesson.path)):
            key = term_key(english)
            if key not in first:
                first[key] = (english, [chinese], lesson)
                later[key] = []
                continue
            if chinese not in first[key][1]:
                first[key][1].append(chinese)  # a lesson translating it differently: keep both
            if lesson is not first[key][2] and lesson not in later[key]:
                later[key].append(lesson)
    return [
        Term(english, " ; ".join(chinese), lesson, tuple(later[key]))
        for key, (english, chinese, lesson) in sorted(first.items())
    ]


def _doc(text: str, docname: str) -> str:
    text = text.replace("<", r"\<").replace("`", "")
    return f"{{doc}}`{text} </{docname}>`"


def counterpart(docname: str, language: str) -> str:
    """The same page in the other edition: ``notebooks/03_x`` <-> ``notebooks/zh/03_x``."""
    other = "zh" if language == "en" else "en"
    if not docname.startswith("notebooks/"):
        return docname  # index, glossary: the same name in both editions
    rest = docname.removeprefix("notebooks/").removeprefix(f"{language}/")
    return f"notebooks/{rest}" if other == "en" else f"notebooks/{other}/{rest}"


def other_edition_url(docname: str, language: str, target: str | None = None) -> str:
    """Relative URL from page ``docname`` of edition ``language`` to ``target`` (a docname of the
    other edition; default: the page's counterpart). The 中文 build sits in ``<out>/zh``."""
    target = target or counterpart(docname, language)
    up = "../" * docname.count("/")
    if language == "en":
        return f"{up}{EDITIONS['zh']}/{target}.html"
    return f"{up}../{target}.html"


def site_text(language: str, root: Path = ROOT) -> dict[str, str]:
    """``SITE_TEXT`` in ``language`` (English where a translation is missing)."""
    if language == "en":
        return dict(SITE_TEXT)
    translated = translations.course_text(root)
    return {key: translated.get(f"site:{key}", text) for key, text in SITE_TEXT.items()}


def glossary_markdown(
    terms: list[Term], language: str = "en", text: dict[str, str] | None = None
) -> str:
    """The glossary page: one table row per term, linked to the lesson that introduces it and
    to the same lesson in the other edition."""
    text = text or site_text(language)
    if not terms:
        return f"# {text['glossary_title']}\n\n{text['glossary_empty']}\n"
    lessons = {n.number for t in terms for n in (t.introduced_in, *t.also_in)}
    rows = []
    for t in terms:
        also = ", ".join(_doc(n.number, n.docname) for n in t.also_in) or "—"
        other = other_edition_url(
            "glossary", language, counterpart(t.introduced_in.docname, language)
        )
        label = SWITCH_LABEL["zh" if language == "en" else "en"]
        rows += [
            f"* - {t.english}",
            f"  - {t.chinese}",
            f"  - {_doc(t.introduced_in.full_title, t.introduced_in.docname)}",
            f"  - {also}",
            f'  - <a class="other-edition" href="{other}">{label} {t.introduced_in.number}</a>',
        ]
    intro = text["glossary_intro"].format(terms=len(terms), lessons=len(lessons))
    header = [
        f"# {text['glossary_title']}",
        "",
        intro,
        "",
        "```{list-table}",
        ":header-rows: 1",
        ":class: course-glossary",
        "",
        f"* - {text['column_english']}",
        f"  - {text['column_chinese']}",
        f"  - {text['column_introduced']}",
        f"  - {text['column_also']}",
        f"  - {text['column_other']}",
    ]
    return "\n".join([*header, *rows, "```", ""])


def course_map_markdown(
    lessons: list[Notebook],
    solutions: list[Notebook],
    plan: Plan,
    language: str = "en",
    root: Path = ROOT,
) -> str:
    """The landing page's course map: one item per lesson of the plan, in course order.

    The line under each title is the claim the plan says the lesson verifies.
    """
    text = site_text(language, root)
    claims = translations.course_text(root) if language != "en" else {}
    solved = {n.number: n for n in solutions}
    lines = ["```{container} course-map", ""]
    for lesson in lessons:
        entry = plan.lesson(lesson.number)
        claim = claims.get(f"{entry.stem}:claim", entry.claim)
        item = text["you_verify"].format(claim=claim)
        if lesson.number in solved:
            link = _doc(text["solutions_link"], solved[lesson.number].docname)
            item += text["solutions_after_claim"].format(link=link)
        lines += [f"- {_doc(lesson.full_title, lesson.docname)}", "", f"  {item}", ""]
    return "\n".join([*lines, "```", ""])


def toctree_markdown(
    lessons: list[Notebook], solutions: list[Notebook], text: dict[str, str] | None = None
) -> str:
    """The menu: lessons in course order, the glossary, then the solutions (hidden toctrees)."""
    text = text or SITE_TEXT
    parts = []
    for caption, docnames in (
        (text["lessons"], [n.docname for n in lessons]),
        (text["reference"], ["glossary"]),
        (text["solutions"], [n.docname for n in solutions]),
    ):
        if docnames:
            parts += ["```{toctree}", ":hidden:", f":caption: {caption}", "", *docnames, "```", ""]
    return "\n".join(parts)


def _clear(folder: Path, *markers: str) -> None:
    """Delete ``folder`` if it is one this script made (it holds a marker), or is empty."""
    if not folder.exists():
        return
    if not any((folder / m).exists() for m in markers) and any(folder.iterdir()):
        raise ValueError(f"{folder} exists and is not a site build: refusing to delete it")
    shutil.rmtree(folder)


def landing_page(root: Path = ROOT, language: str = "en") -> str:
    """``docs/index.md``, or its translation block by block (``translations/zh/course.po``)."""
    text = (Path(root) / "docs" / "index.md").read_text("utf-8")
    if language == "en":
        return text
    return translations.translated_page(text, translations.course_text(root))


def stage(
    source: Path, root: Path = ROOT, language: str = "en"
) -> tuple[list[Notebook], list[Notebook]]:
    """Fill ``source`` (emptied first) with everything Sphinx reads for one edition; return its
    notebooks."""
    _clear(source, f"{GENERATED}/site.json")
    source.mkdir(parents=True)
    for name in SITE_FILES:
        item = root / "docs" / name
        if item.is_dir():
            shutil.copytree(item, source / name, ignore=shutil.ignore_patterns("__pycache__"))
        elif item.exists():
            shutil.copy2(item, source / name)
    (source / "index.md").write_text(landing_page(root, language), "utf-8")
    lessons, solutions = course_notebooks(root, language)
    for notebook in lessons + solutions:
        target = source / notebook.relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(notebook.path, target)  # byte for byte: this is also the download
    plan = load_plan(root)
    text = site_text(language, root)
    generated = source / GENERATED
    generated.mkdir()
    course_map = course_map_markdown(lessons, solutions, plan, language, root)
    (generated / "course_map.md").write_text(course_map, "utf-8")
    (generated / "toctree.md").write_text(toctree_markdown(lessons, solutions, text), "utf-8")
    terms = glossary(lessons)
    (source / "glossary.md").write_text(glossary_markdown(terms, language, text), "utf-8")
    other = "zh" if language == "en" else "en"
    site = {
        "repository": plan.repository,
        "branch": plan.branch,
        "language": language,
        "sphinx_language": SPHINX_LANGUAGE[language],
        "notebooks": "notebooks" if language == "en" else f"notebooks/{language}",
        "switch_label": SWITCH_LABEL[other],
        "text": text,
        "lessons": [n.docname for n in lessons],
        "solutions": [n.docname for n in solutions],
        "other_edition": {
            name: other_edition_url(name, language)
            for name in ["index", "glossary", *(n.docname for n in lessons + solutions)]
        },
    }
    (generated / "site.json").write_text(json.dumps(site, indent=2, ensure_ascii=False), "utf-8")
    return lessons, solutions


def editions(root: Path = ROOT) -> list[str]:
    """The editions to build: English, and 中文 once its notebooks exist."""
    zh = list_notebooks("all", root, "zh")
    return ["en", "zh"] if zh and all(p.exists() for p in zh) else ["en"]


def build(out: Path, root: Path = ROOT, quiet: bool = True) -> float:
    """Build the HTML site into ``out`` (the 中文 edition into ``out/zh``); return the seconds.

    Next to ``out`` it writes ``<out>.source`` / ``<out>.zh.source`` (the staged Sphinx sources)
    and the doctrees. Every build starts from nothing (no stale pages). Raises
    ``subprocess.CalledProcessError`` on any Sphinx warning or error.
    """
    start = time.perf_counter()
    out = out.resolve()
    work = out.parent
    _clear(out, ".buildinfo", "index.html", "_static")
    for language in editions(root):
        suffix = "" if language == "en" else f".{language}"
        source = work / f"{out.name}{suffix}.source"
        doctrees = work / f"{out.name}{suffix}.doctrees"
        html = out / EDITIONS[language]
        _clear(doctrees, "environment.pickle")
        stage(source, root, language)
        command = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-n"]
        command += ["-d", str(doctrees), str(source), str(html)]
        if quiet:
            command.append("-q")
        subprocess.run(command, check=True, cwd=work)
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "_build" / "html", help="HTML folder")
    parser.add_argument("--verbose", action="store_true", help="show Sphinx's progress")
    args = parser.parse_args(argv)
    try:
        seconds = build(args.out, quiet=not args.verbose)
    except subprocess.CalledProcessError:
        print("the site build failed: see the warnings above (warnings are errors)")
        return 1
    except ValueError as error:
        print(f"the site build failed: {error}")
        return 1
    print(f"built the site in {seconds:.0f} s: open {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
