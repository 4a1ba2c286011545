"""What a learner sees in a committed notebook is what they get when they run it, anywhere.

These tests read the committed notebooks (nbval re-executes them separately): clean metadata,
executed outputs, the course template, no file reads or installs, and figures in sync.
"""

import re

import pytest
from notebook_files import (
    ALL_NOTEBOOKS,
    BOTH_EDITIONS,
    LESSONS,
    ROOT,
    SOLUTIONS,
    ZH_LESSONS,
    code_cells,
    name,
    read,
)

from course_tools import figures
from course_tools.execute import KERNELSPEC, LANGUAGE_INFO

SAVES = re.compile(r"\.savefig\(|save_figure\(|\.write_(text|bytes)\(|torch\.save\(")
FILE_READS = re.compile(
    r"\bopen\(|read_text\(|read_bytes\(|np\.load\(|torch\.load\(|pd\.read_|imread\(|"
    r"Image\.open\(|\.\./|figures/"
)
INSTALLS = re.compile(r"^\s*[!%]\s*(pip|conda|apt)", re.MULTILINE)


@pytest.mark.parametrize("path", BOTH_EDITIONS, ids=name)
def test_metadata_is_portable(path):
    nb = read(path)
    assert set(nb.metadata) <= {"kernelspec", "language_info"}, sorted(nb.metadata)
    assert nb.metadata.get("kernelspec") == KERNELSPEC
    assert nb.metadata.get("language_info") == LANGUAGE_INFO, "no machine's Python version"
    for cell in nb.cells:
        assert not {"execution", "collapsed", "scrolled"} & set(cell.metadata), cell.metadata


@pytest.mark.parametrize("path", BOTH_EDITIONS, ids=name)
def test_committed_with_outputs_of_one_clean_run(path):
    cells = [c for c in code_cells(read(path)) if c.source.strip()]
    counts = [c.execution_count for c in cells]
    assert counts == list(range(1, len(cells) + 1)), "execute with `python -m course_tools.execute`"
    errors = [o for c in cells for o in c.outputs if o.output_type == "error"]
    assert not errors, [e.ename for e in errors]


def section_headings(nb) -> list[str]:
    """Every ``## `` heading of the notebook's markdown, in order."""
    return [
        line.strip()
        for c in nb.cells
        if c.cell_type == "markdown"
        for line in c.source.splitlines()
        if line.startswith("## ")
    ]


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=name)
def test_follows_the_course_template(path):
    nb = read(path)
    number = path.name[:2]
    title = nb.cells[2]
    assert title.cell_type == "markdown" and title.source.startswith(f"# {number} · "), (
        "cell 3 is the title: '# NN · Topic'"
    )
    assert "learning goals" in title.source.lower()
    headings = section_headings(nb)
    for required in ("## Exercises", "## Summary", "## Key terms"):
        assert required in headings, f"missing section {required!r}"
    assert headings[-2:] == ["## Summary", "## Key terms"], "summary and key terms come last"
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    exercises = re.findall(r"^\*\*Exercise \d+", markdown, re.MULTILINE)
    assert 2 <= len(exercises) <= 4, f"{len(exercises)} exercises, expected 2-4"


@pytest.mark.parametrize("path", ZH_LESSONS, ids=name)
def test_the_chinese_edition_follows_the_template_in_chinese(path):
    nb = read(path)
    assert nb.cells[2].source.startswith(f"# {path.name[:2]} · ")
    assert "学习目标" in nb.cells[2].source
    headings = section_headings(nb)
    assert "## 练习" in headings, headings
    assert headings[-2:] == ["## 小结", "## 关键术语"], headings


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=name)
def test_key_terms_table_is_english_and_chinese(path):
    table = read(path).cells[-1].source
    rows = [r for r in table.splitlines() if r.startswith("|") and not set(r) <= set("|-: ")]
    assert rows[0].replace(" ", "") == "|English|中文|"
    terms = rows[1:]
    assert len(terms) >= 3
    for row in terms:
        english, chinese = (cell.strip() for cell in row.strip("|").split("|"))
        assert english and re.search(r"[\u4e00-\u9fff]", chinese), row


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=name)
def test_runs_alone_reads_no_file_and_installs_nothing(path):
    """Any notebook can be opened first (on Colab only the notebook itself is there)."""
    for cell in code_cells(read(path))[2:]:  # after the generated setup cell
        assert not FILE_READS.search(cell.source), f"reads a file: {cell.source[:200]}"
        assert not INSTALLS.search(cell.source), f"installs something: {cell.source[:200]}"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=name)
def test_no_trailing_semicolons(path):
    """nbval does not honour IPython's `;` output suppression, so it would see extra output."""
    for cell in code_cells(read(path)):
        last = cell.source.rstrip().splitlines()[-1] if cell.source.strip() else ""
        assert not last.rstrip().endswith(";"), f"use an assignment instead: {last!r}"


@pytest.mark.parametrize("path", ALL_NOTEBOOKS, ids=name)
def test_machine_dependent_cells_still_assert_their_claim(path):
    for cell in code_cells(read(path)):
        if "nbval-ignore-output" in cell.metadata.get("tags", []):
            assert re.search(r"^\s*assert\b", cell.source, re.MULTILINE), (
                f"an output nbval ignores must be checked by an assert: {cell.source[:200]}"
            )


@pytest.mark.parametrize("path", SOLUTIONS, ids=name)
def test_solutions_have_code_exercises_with_checkers(path):
    nb = read(path)
    solved = [c for c in code_cells(nb) if "solution" in c.metadata.get("tags", [])]
    assert solved, "at least one code exercise"
    assert any("check(" in c.source for c in code_cells(nb)), "exercises are checked"


def test_no_notebook_saves_files():
    """Figures are shown inline; the toolkit extracts the course-map ones from the outputs."""
    for path in ALL_NOTEBOOKS:
        for cell in code_cells(read(path)):
            assert not SAVES.search(cell.source), f"{path.name} saves a file:\n{cell.source}"


def test_figures_are_the_committed_course_map_outputs():
    assert figures.problems(ROOT) == [], "run `make sync`"


def test_figures_referenced_in_docs_exist():
    for doc in [ROOT / "README.md", *ROOT.glob("benchmarks/*.md")]:
        if doc.exists():
            for figure in re.findall(r"figures/([\w.-]+\.png)", doc.read_text("utf-8")):
                assert (ROOT / "figures" / figure).exists(), f"{doc.name} links {figure}"


def test_lessons_and_solutions_pair_up():
    assert [p.name for p in LESSONS] == [p.name for p in SOLUTIONS]


def test_every_notebook_on_disk_is_in_the_plan():
    on_disk = sorted((ROOT / "notebooks").rglob("*.ipynb"))
    on_disk = [p for p in on_disk if ".ipynb_checkpoints" not in p.parts]
    assert on_disk == sorted(BOTH_EDITIONS), "add the lesson to course.toml (COURSE_PLAN.md)"


@pytest.mark.parametrize("path", LESSONS + ZH_LESSONS, ids=name)
def test_predict_answers_are_not_on_screen_in_the_lesson(path):
    """A predict question's verify cell is run by the learner: no committed output in the lesson."""
    for cell in code_cells(read(path)):
        if "verify" in cell.metadata.get("tags", []):
            assert cell.outputs == [], (
                f"{path.name}: a verify cell carries its answer:\n{cell.source}"
            )
            assert "nbval-ignore-output" in cell.metadata["tags"]
