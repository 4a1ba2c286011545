"""Sphinx extension of the course website: what a notebook page shows besides the notebook.

On every lesson and solution page (documents ``notebooks/NN_*`` and ``notebooks/solutions/NN_*``)
this transform, run while the page is read:

* swaps the external "Open in Colab" badge image for the local ``_static/colab-badge.svg`` (the
  site works offline) and keeps the badge's link to Colab;
* adds, next to the badge, a link to download the ``.ipynb`` and a link to the twin page (the
  worked solutions of a lesson, or the lesson of a solution page);
* removes the Colab setup cell (it only installs the course on Colab; the page shows its badge);
* replaces any widget output left without state (it would show nothing) by a note (tqdm bars
  are committed as the text of their finished state, so they show as text);
* on solution pages, appends "(solved)" to the title, so the sidebar, the previous/next links and
  the browser tab tell the two versions apart, and marks the notebook's "Solutions." note (its
  first block quote) as a banner (``.solution-banner`` in ``_static/course.css``).

On every page (notebooks, the landing page, the glossary) it puts, first, the **language switch**:
a link to the same page in the other edition (the 中文 edition is built into ``zh/`` of the
English site). The words it adds come from ``site.json`` (``course_site`` in ``conf.py``), in the
edition's language.

A notebook without kernel metadata (one still being written) is read as Python.

The notebooks themselves are never modified: the staged copies are byte-identical to the
repository's, so the downloaded notebook is the real one.
"""

from __future__ import annotations

import json
import posixpath
import re

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx
from sphinx.search.zh import SearchChinese
from sphinx.transforms import SphinxTransform

COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
LOCAL_BADGE = "/_static/colab-badge.svg"  # relative to the source folder
SETUP_CELL_CLASS = "tag_colab-setup"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _patterns(notebooks: str) -> tuple[re.Pattern, re.Pattern]:
    """Docname patterns of lessons and solutions under ``notebooks`` (``notebooks/zh``)."""
    folder = re.escape(notebooks)
    return re.compile(rf"^{folder}/(\d\d_[^/]+)$"), re.compile(
        rf"^{folder}/solutions/(\d\d_[^/]+)$"
    )


def _link_to_doc(docname: str, target: str, text: str, classes: list[str]) -> nodes.Node:
    """A checked cross-reference to another page (a broken one is a build warning)."""
    ref = addnodes.pending_xref(
        "",
        nodes.inline("", text),
        refdomain="std",
        reftype="doc",
        reftarget="/" + target,
        refdoc=docname,
        refexplicit=True,
        refwarn=True,
    )
    ref["classes"] += classes
    return ref


class NotebookPage(SphinxTransform):
    """Badge, download link, twin link, no setup cell, "(solved)" titles: see the module doc."""

    default_priority = 500

    def apply(self, **kwargs) -> None:
        docname = self.env.docname
        site = self.config.course_site
        text = site["text"]
        self.add_language_switch(site)
        lesson_pattern, solution_pattern = _patterns(site["notebooks"])
        lesson, solution = lesson_pattern.match(docname), solution_pattern.match(docname)
        if not (lesson or solution):
            return
        stem = (lesson or solution)[1]
        folder = site["notebooks"]
        twin = f"{folder}/solutions/{stem}" if lesson else f"{folder}/{stem}"

        for cell in list(self.document.findall(nodes.container)):
            if SETUP_CELL_CLASS in cell.get("classes", []):
                cell.parent.remove(cell)
        self.replace_progress_bars(text["widget_note"])

        if solution:
            title = next(self.document.findall(nodes.title), None)
            if title is not None:
                space = "" if text["solved"].startswith("（") else " "  # full-width: no space
                title += nodes.Text(space + text["solved"])
            for quote in self.document.findall(nodes.block_quote):
                quote["classes"] += ["solution-banner"]  # the notebook's "solved version" note
                break

        badge = next(
            (img for img in self.document.findall(nodes.image) if img["uri"] == COLAB_BADGE),
            None,
        )
        if badge is None:
            return
        badge["uri"] = LOCAL_BADGE
        badge["alt"] = text["open_in_colab"]
        badge["classes"] += ["colab-badge"]
        toolbar = badge.parent
        while not isinstance(toolbar, nodes.paragraph):
            toolbar = toolbar.parent
        toolbar["classes"] += ["course-toolbar"]

        download = addnodes.download_reference(
            "",
            "",
            nodes.inline("", text["download"]),
            reftarget=posixpath.basename(docname) + ".ipynb",
            refdoc=docname,
            refexplicit=True,
        )
        download["classes"] += ["course-button", "course-download"]
        toolbar += [nodes.Text(" "), download]
        if twin in self.env.found_docs:
            label = text["worked_solutions"] if lesson else text["back_to_lesson"]
            toolbar += [nodes.Text(" "), _link_to_doc(docname, twin, label, ["course-button"])]

    def add_language_switch(self, site: dict) -> None:
        """First on the page: a link to the same page in the other edition."""
        url = site["other_edition"].get(self.env.docname)
        if url is None:
            return
        link = nodes.reference("", site["switch_label"], refuri=url, classes=["edition-switch"])
        link["reftitle"] = site["text"]["switch_title"]
        self.document.insert(0, nodes.paragraph("", "", link, classes=["edition-switch-bar"]))

    def replace_progress_bars(self, note: str) -> None:
        """A widget output (a tqdm bar) has no saved state to show: say what it is instead."""
        noted = set()
        for raw in list(self.document.findall(nodes.raw)):
            if WIDGET_VIEW not in raw.astext():
                continue
            cell_output = raw.parent  # one note per cell, however many bars it drew
            while "cell_output" not in cell_output.get("classes", []) and cell_output.parent:
                cell_output = cell_output.parent
            if id(cell_output) in noted:
                raw.parent.remove(raw)
            else:
                noted.add(id(cell_output))
                raw.replace_self(nodes.paragraph("", note, classes=["widget-note"]))


def default_language(app: Sphinx, docname: str, source: list[str]) -> None:
    """Render a notebook without kernel metadata as Python (the course has no other language).

    Notebooks committed by ``course_tools.execute`` carry it; one still being written may not, and
    myst-nb would then warn (an error here) that it has no lexer for the code cells. Only the
    text Sphinx reads is changed, never the file.
    """
    if not docname.startswith(app.config.course_site["notebooks"] + "/"):
        return
    nb = json.loads(source[0])
    metadata = nb.setdefault("metadata", {})
    if not (metadata.get("language_info") or {}).get("name"):
        metadata["language_info"] = {"name": "python"}
        source[0] = json.dumps(nb)


class ChineseSearch(SearchChinese):
    """Sphinx's Chinese search, with the name of the JavaScript stemmer it really ships.

    Chinese search stems Latin words with the English stemmer, but Sphinx 9.0 ends
    ``language_data.js`` with ``window.Stemmer = ChineseStemmer``, a class that does not exist:
    the search page of the 中文 edition then fails with a ReferenceError (sphinx-doc/sphinx#14229,
    fixed by #14416 after 9.0.4). Naming the English stemmer is right in every version.
    """

    language_name = "English"


def setup(app: Sphinx) -> dict:
    app.add_config_value("course_site", {}, "env")  # site.json, set by conf.py
    app.add_search_language(ChineseSearch)
    app.add_transform(NotebookPage)
    app.connect("source-read", default_language)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
