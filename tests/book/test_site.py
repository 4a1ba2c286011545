"""The built website: pages in course order, working links and images, the complete glossary.

Every expectation is computed here from the notebooks themselves (not from docs/build.py), so a
page the build forgets, a term it drops or a link it breaks fails a test.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from bs4 import BeautifulSoup, Tag
from course_scripts import ROOT, site_build

from course_tools.plan import load_plan

PLAN = load_plan()  # where the course lives: the repository and branch Colab opens
EDITION_FOLDER = site_build.EDITIONS  # language -> its folder in the built site
WIDGET = "application/vnd.jupyter.widget-view+json"


@functools.cache
def parse(path: Path) -> BeautifulSoup:
    """A page of the built site as a tree (read once: the pages do not change during the tests)."""
    return BeautifulSoup(path.read_text("utf-8"), "html.parser")


def text(element: Tag) -> str:
    """The text inside an element, with runs of whitespace collapsed to one space."""
    return " ".join(element.get_text().split())


def page_of(notebook: Path) -> str:
    """'notebooks/solutions/00_x.ipynb' -> 'notebooks/solutions/00_x.html' (site-relative)."""
    return notebook.relative_to(ROOT).with_suffix(".html").as_posix()


def markdown_sources(nb: dict) -> list[str]:
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown"]


def title_of(nb: dict) -> str:
    for source in markdown_sources(nb):
        if match := re.search(r"^# (\d\d · .+)$", source, re.MULTILINE):
            return match[1].strip()
    raise AssertionError("a notebook has no '# NN · Topic' title")


KEY_TERMS = {"en": "## Key terms", "zh": "## 关键术语"}


def key_terms_of(nb: dict, language: str = "en") -> list[tuple[str, str]]:
    """The notebook's Key terms rows, read straight from its markdown."""
    text = "\n".join(markdown_sources(nb))
    _, found, after = text.partition(KEY_TERMS[language])
    assert found, f"a lesson has no {KEY_TERMS[language]!r} section"
    rows = [line for line in after.splitlines() if line.strip().startswith("|")]
    cells = [[c.strip() for c in row.strip().strip("|").split("|")] for row in rows]
    return [(row[0], row[1]) for row in cells[2:]]  # skip the header and the |---| line


def plain(markdown: str) -> str:
    return " ".join(re.sub(r"[*_`]", "", markdown).split())


def resolve(html: Path, page: str, url: str) -> tuple[Path, str] | None:
    """The file and fragment a link of ``page`` points to; None for another site."""
    parts = urlsplit(url)
    if parts.scheme or url.startswith("//"):
        return None
    if not parts.path:
        return html / page, parts.fragment
    return (html / page).parent.joinpath(unquote(parts.path)).resolve(), parts.fragment


def all_pages(html: Path) -> list[str]:
    """Every HTML page of one edition (not the theme's fragments in _static/, nor the pages of
    the 中文 edition's folder ``zh/`` when ``html`` is the English site)."""
    pages = (p.relative_to(html).as_posix() for p in html.rglob("*.html"))
    return sorted(p for p in pages if not p.startswith(("_static/", "zh/")))


def content_pages(site) -> list[str]:
    """The pages made from the edition's sources: landing page, glossary, every notebook."""
    notebooks = [page_of(n) for n in site.lessons + site.solutions]
    return ["index.html", "glossary.html", *notebooks]


def test_the_build_is_fast_and_complete(site):
    assert site.seconds < 150, f"the site build took {site.seconds:.0f} s (limit: 2.5 minutes)"
    assert (site.html / "index.html").exists() and (site.html / "glossary.html").exists()
    lang = parse(site.html / "index.html").find("html").get("lang", "")
    assert lang.replace("_", "-").startswith(site.language), f"<html lang={lang!r}>"


def test_every_notebook_has_its_page_with_its_title(site):
    assert site.lessons, "no lesson notebook found"
    for notebook in site.lessons + site.solutions:
        page = site.html / page_of(notebook)
        assert page.exists(), f"no page for {notebook.relative_to(ROOT)}"
        heading = parse(page).find("h1")
        assert heading is not None, page
        assert text(heading).startswith(title_of(site.notebook(notebook))), page


def sidebar(html: Path, page: str) -> list[tuple[str, str]]:
    """The navigation menu of a page: ('caption', text) and ('link', target page) in order."""
    nav = parse(html / page).find("nav", class_="bd-docs-nav")
    assert nav is not None, f"{page} has no navigation menu"
    entries = []
    for element in nav.find_all(["p", "a"]):
        if element.name == "p" and "caption" in element.get("class", []):
            entries.append(("caption", text(element)))
        elif element.name == "a" and (target := resolve(html, page, element["href"])):
            entries.append(("link", target[0].relative_to(html.resolve()).as_posix()))
    return entries


def test_the_menu_lists_lessons_in_course_order_then_solutions(site):
    entries = sidebar(site.html, "index.html")
    captions = [text for kind, text in entries if kind == "caption"]
    assert captions == [site.text["lessons"], site.text["reference"], site.text["solutions"]]
    links = [target for kind, target in entries if kind == "link"]
    lessons, solutions = [page_of(n) for n in site.lessons], [page_of(n) for n in site.solutions]
    assert links == ["index.html", *lessons, "glossary.html", *solutions]


def test_lessons_link_to_the_previous_and_next_lesson(site):
    order = ["index.html", *(page_of(n) for n in site.lessons), "glossary.html"]
    for previous, page, following in zip(order, order[1:], order[2:], strict=False):
        tree = parse(site.html / page)
        left, right = tree.find("a", class_="left-prev"), tree.find("a", class_="right-next")
        assert left is not None and right is not None, f"{page} lacks previous/next links"
        base = site.html.resolve()
        assert resolve(site.html, page, left["href"])[0] == base / previous, page
        assert resolve(site.html, page, right["href"])[0] == base / following, page


def test_solution_pages_are_marked_as_solved(site):
    for notebook in site.solutions:
        tree = parse(site.html / page_of(notebook))
        assert text(tree.find("h1")).rstrip("#").strip().endswith(site.text["solved"])
        assert tree.find("blockquote", class_="solution-banner") is not None, notebook.name


@pytest.mark.parametrize("kind", ["lesson", "solution"])
def test_notebook_pages_have_a_colab_badge_and_a_download_link(site, kind):
    notebooks = site.lessons if kind == "lesson" else site.solutions
    for notebook in notebooks:
        page = page_of(notebook)
        tree = parse(site.html / page)
        toolbar = tree.find("p", class_="course-toolbar")
        assert toolbar is not None, f"{page} has no Colab/download toolbar"
        colab = toolbar.find("a")
        expected = (
            f"https://colab.research.google.com/github/{PLAN.repository}/blob/"
            f"{PLAN.branch}/{notebook.relative_to(ROOT).as_posix()}"
        )
        assert colab["href"] == expected
        badge = colab.find("img")
        assert badge is not None and not badge["src"].startswith("http"), page
        assert resolve(site.html, page, badge["src"])[0].is_file()
        download = toolbar.find("a", class_="download")
        assert download is not None, f"{page} has no download link"
        file, _ = resolve(site.html, page, download["href"])
        assert file.name == notebook.name
        assert file.read_bytes() == site.contents[notebook], "the download is not the notebook"


def test_figures_are_shown_inline(site):
    """Every image output of a notebook is an <img> of its page, and the file is in the site."""
    for notebook in site.lessons + site.solutions:
        cells = site.notebook(notebook)["cells"]
        expected = sum(
            "image/png" in output.get("data", {})
            for cell in cells
            if cell["cell_type"] == "code" and "colab-setup" not in cell["metadata"].get("tags", [])
            for output in cell.get("outputs", [])
        )
        page = page_of(notebook)
        outputs = parse(site.html / page).find_all("div", class_="cell_output")
        shown = [img for output in outputs for img in output.find_all("img")]
        assert len(shown) == expected, f"{page}: {len(shown)} figures shown, {expected} in notebook"


def test_progress_bars_show_the_finished_run(site):
    """tqdm bars are committed as the text of their finished state (course_tools.execute); a
    widget output left without state would show nothing, so the page says what ran there."""
    for notebook in site.lessons + site.solutions:
        cells = site.notebook(notebook)["cells"]
        with_widgets = sum(
            any(WIDGET in output.get("data", {}) for output in cell.get("outputs", []))
            for cell in cells
        )
        html = (site.html / page_of(notebook)).read_text("utf-8")
        assert WIDGET not in html, f"{page_of(notebook)}: a blank widget output is left"
        assert html.count('class="widget-note"') == with_widgets, page_of(notebook)
        for cell in cells:
            for output in cell.get("outputs", []):
                text = "".join(output.get("data", {}).get("text/plain", ""))
                if "100%|" in text:
                    assert text.split("|")[0] in html, f"{page_of(notebook)} lacks {text!r}"


def test_formulas_are_rendered_as_math(site):
    for notebook in site.lessons:
        text = "\n".join(markdown_sources(site.notebook(notebook)))
        formulas = re.findall(r"\$[^$\n]+\$", text)
        page = page_of(notebook)
        math = parse(site.html / page).find_all(class_="math")
        assert len(math) >= len(formulas) > 0 or not formulas, f"{page}: formulas not rendered"
        if formulas:
            html = (site.html / page).read_text("utf-8")
            assert "_static/mathjax/tex-chtml.js" in html, "MathJax must be served by the site"


def test_every_image_points_to_a_file_of_the_site(site):
    for page in all_pages(site.html):
        for img in parse(site.html / page).find_all("img"):
            src = img.get("src", "")
            target = resolve(site.html, page, src)
            assert target is not None, f"{page}: external image {src} (the site must work offline)"
            assert target[0].is_file(), f"{page}: <img src={src!r}> points to no file"


def switch_of(site, page: str) -> Path:
    """The page the edition switch of ``page`` links to."""
    links = parse(site.html / page).find_all("a", class_="edition-switch")
    assert len(links) == 1, f"{page}: {len(links)} edition switches"
    target = resolve(site.html, page, links[0]["href"])
    assert target is not None and target[0].is_file(), f"{page}: switch to {links[0]['href']!r}"
    return target[0]


def test_every_page_switches_to_the_same_page_in_the_other_edition(site):
    other_root = site.root / EDITION_FOLDER[site.other]
    for page in content_pages(site):
        target = switch_of(site, page)
        expected = page
        if page.startswith("notebooks/"):  # notebooks/03_x <-> notebooks/zh/03_x
            rest = page.removeprefix("notebooks/").removeprefix("zh/")
            expected = f"notebooks/{rest}" if site.other == "en" else f"notebooks/zh/{rest}"
        assert target == (other_root / expected).resolve(), f"{page} switches to {target}"
        back_site = site.root if site.other == "en" else site.root / "zh"
        back = parse(target).find("a", class_="edition-switch")
        assert back is not None, f"{target} has no switch back"
        relative = target.relative_to(back_site.resolve()).as_posix()
        assert resolve(back_site, relative, back["href"])[0] == (site.html / page).resolve()


def test_every_internal_link_resolves(site):
    ids: dict[Path, set[str]] = {}

    def ids_of(path: Path) -> set[str]:
        if path not in ids:
            tree = parse(path)
            ids[path] = {e.get("id") or e.get("name") for e in tree.find_all(True)}
        return ids[path]

    checked = 0
    for page in all_pages(site.html):
        for element in parse(site.html / page).find_all(True):
            url = element.get("href" if element.name in ("a", "link") else "src")
            if element.name not in ("a", "link", "script", "img", "source") or not url:
                continue
            if url.startswith(("mailto:", "javascript:", "data:")):
                continue
            target = resolve(site.html, page, url)
            if target is None:
                continue  # another site: Colab, GitHub (not loaded by the page)
            path, fragment = target
            assert path.is_file(), f"{page}: link {url!r} points to no file"
            if fragment and path.suffix == ".html":
                assert fragment in ids_of(path), f"{page}: link {url!r}: no #{fragment}"
            checked += 1
    assert checked > 100


def test_no_page_loads_anything_from_another_site(site):
    for page in all_pages(site.html):
        for element in parse(site.html / page).find_all(["script", "link"]):
            if element.name == "script" and element.has_attr("src"):
                url = element["src"]
            elif element.name == "link" and "stylesheet" in element.get("rel", []):
                url = element["href"]
            else:
                continue
            assert resolve(site.html, page, url) is not None, f"{page} loads {url}"


def test_the_glossary_links_each_term_to_both_editions(site):
    table = parse(site.html / "glossary.html").find("table", class_="course-glossary")
    other_root = (site.root / EDITION_FOLDER[site.other]).resolve()
    rows = table.find("tbody").find_all("tr")
    for row in rows:
        cells = row.find_all("td")
        here = resolve(site.html, "glossary.html", cells[2].find("a")["href"])[0]
        there = resolve(site.html, "glossary.html", cells[4].find("a")["href"])[0]
        assert there.is_file() and there.is_relative_to(other_root), there
        assert there.name == here.name, f"{text(cells[0])}: {here.name} vs {there.name}"
    assert len(rows) > 20


def glossary_rows(html: Path) -> list[tuple[str, str, list[str]]]:
    """(English, 中文, [linked pages]) for each row of the glossary table."""
    table = parse(html / "glossary.html").find("table", class_="course-glossary")
    assert table is not None, "the glossary page has no glossary table"
    rows = []
    for row in table.find("tbody").find_all("tr"):
        cells = row.find_all("td")
        links = [
            resolve(html, "glossary.html", a["href"])[0].relative_to(html.resolve())
            for a in cells[2].find_all("a")
        ]
        rows.append((text(cells[0]), text(cells[1]), [p.as_posix() for p in links]))
    return rows


def test_the_glossary_has_every_term_of_every_lesson(site):
    rows = glossary_rows(site.html)
    by_english = {english.casefold(): (chinese, links) for english, chinese, links in rows}
    assert len(by_english) == len(rows), "a term appears twice in the glossary"
    first_lesson: dict[str, Path] = {}
    for notebook in site.lessons:
        terms = key_terms_of(site.notebook(notebook), site.language)
        assert terms, f"{notebook.name}: empty Key terms table"
        for english, chinese in terms:
            key = plain(english).casefold()
            assert key in by_english, f"glossary lacks {english!r} ({notebook.name})"
            assert plain(chinese) in by_english[key][0], f"glossary: wrong 中文 for {english!r}"
            first_lesson.setdefault(key, notebook)
    for key, notebook in first_lesson.items():
        assert by_english[key][1] == [page_of(notebook)], f"{key!r} must link to {notebook.name}"
    assert set(by_english) == set(first_lesson), "the glossary has terms no lesson lists"


def test_the_landing_page_maps_the_course(site):
    tree = parse(site.html / "index.html")
    course_map = tree.find("div", class_="course-map")
    assert course_map is not None, "the landing page has no course map"
    items = course_map.find("ul").find_all("li")
    linked = [
        (resolve(site.html, "index.html", a["href"])[0], text(a))
        for item in items
        if (a := item.find("a")) is not None
    ]
    base = site.html.resolve()
    lessons = [(base / page_of(n), title_of(site.notebook(n))) for n in site.lessons]
    assert [entry for entry in linked if "/solutions/" not in str(entry[0])] == lessons
    for item in items:
        assert len(text(item)) > 40, f"course map entry without a description: {text(item)!r}"
    landing = text(tree)
    headings = {"en": ("Who this course is for", "Course map"), "zh": ()}[site.language]
    for words in ("Colab", "make lab", *headings):
        assert words in landing, f"the landing page does not mention {words!r}"
    if site.language == "zh":
        chinese = len(re.findall(r"[\u4e00-\u9fff]", landing))
        assert chinese > 300, f"the 中文 landing page has only {chinese} Chinese characters"
        assert "Who this course is for" not in landing, "an untranslated block"


TINY_PLAN = """
[course]
repository = "someone/tiny-course"
branch = "main"

[[lessons]]
number = "00"
slug = "tiny"
short_title = "A tiny lesson"
lecture = "nothing"
claim = "a tiny course builds"
"""


def _tiny_course(tmp_path: Path, markdown: str) -> Path:
    """A repository with docs/, a course.toml and one lesson (and its solution) whose second cell
    is ``markdown``."""
    root = tmp_path / "repo"
    shutil.copytree(ROOT / "docs", root / "docs", ignore=shutil.ignore_patterns("__pycache__"))
    (root / "course.toml").write_text(TINY_PLAN, "utf-8")
    (root / "README.md").write_text("# course\n", "utf-8")
    (root / "notebooks" / "solutions").mkdir(parents=True)
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# 00 · A tiny lesson\n\nText."},
        {"cell_type": "markdown", "metadata": {}, "source": markdown},
        {
            "cell_type": "markdown",
            "metadata": {},
            "source": "## Key terms\n\n| English | 中文 |\n|---|---|\n| weighted sum | 加权求和 |",
        },
    ]
    nb = {
        "cells": cells,
        "metadata": {"language_info": {"name": "python"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    for i, cell in enumerate(cells):
        cell["id"] = f"cell-{i}"
    (root / "notebooks" / "00_tiny.ipynb").write_text(json.dumps(nb), "utf-8")
    (root / "notebooks" / "solutions" / "00_tiny.ipynb").write_text(json.dumps(nb), "utf-8")
    return root


def test_a_tiny_course_builds(tmp_path):
    """The control for the next test: the tiny course itself builds without a warning."""
    root = _tiny_course(tmp_path, "A formula: $x^2$.")
    site_build.build(tmp_path / "html", root=root)
    assert (tmp_path / "html" / "notebooks" / "00_tiny.html").exists()


@pytest.mark.parametrize(
    "markdown",
    [
        "![a figure](missing.png)",  # a missing image
        "See [the next lesson](01_nothing.ipynb).",  # a broken cross-reference
        "```{no-such-directive}\n```",  # an unknown directive
    ],
    ids=["missing-image", "broken-reference", "unknown-directive"],
)
def test_build_warnings_are_errors(tmp_path, markdown):
    root = _tiny_course(tmp_path, markdown)
    with pytest.raises(subprocess.CalledProcessError):
        site_build.build(tmp_path / "html", root=root)
