"""The course toolkit: the plan, the one notebook list, tables, figures, notebook cleaning."""

import base64

import matplotlib

matplotlib.use("Agg")

import io

import matplotlib.pyplot as plt
import nbformat
import pytest
from notebook_files import ROOT

from course_tools import figures, tables
from course_tools.execute import (
    KERNELSPEC,
    WIDGET_STATE,
    WIDGET_VIEW,
    clean_metadata,
    finish_progress_bars,
)
from course_tools.notebooks import list_notebooks
from course_tools.plan import load_plan, parse_plan

PLAN_TEXT = (ROOT / "course.toml").read_text("utf-8")


def test_the_plan_names_every_notebook_in_course_order():
    plan = load_plan()
    lessons, solutions = list_notebooks("lessons"), list_notebooks("solutions")
    assert [p.name for p in lessons] == [f"{lesson.stem}.ipynb" for lesson in plan.lessons]
    assert [p.name for p in solutions] == [p.name for p in lessons]
    assert list_notebooks() == lessons + solutions
    assert all(p.parent.name == "solutions" for p in solutions)


def test_list_notebooks_rejects_an_unknown_kind():
    with pytest.raises(ValueError, match="kind"):
        list_notebooks("drafts")


@pytest.mark.parametrize(
    "change, message",
    [
        (('number = "01"', 'number = "02"'), "numbered"),
        (('repository = "self-attention-course/', 'repository = "'), "owner/name"),
        (('slug = "matrix_form"\n', ""), "slug"),
    ],
)
def test_a_broken_plan_says_what_is_wrong(change, message):
    old, new = change
    broken = PLAN_TEXT.replace(old, new, 1)
    assert broken != PLAN_TEXT
    with pytest.raises(ValueError, match=message):
        parse_plan(broken)


def test_tables_are_generated_between_their_markers():
    text = f"intro\n{tables.START}\nold rows\n{tables.END}\noutro\n"
    new = tables.with_table(text, "| new |", "doc")
    assert new == f"intro\n{tables.START}\n| new |\n{tables.END}\noutro\n"
    with pytest.raises(ValueError, match="exactly one"):
        tables.with_table("no markers", "| new |", "doc")


def test_committed_course_tables_follow_the_plan():
    assert tables.stale_documents() == [], "run `make sync`"
    readme = (ROOT / "README.md").read_text("utf-8")
    for lesson in load_plan().lessons:
        assert f"]({lesson.lesson_path})" in readme
        assert f"figures/{lesson.stem}.png" in readme


def _png(color: str) -> str:
    fig, ax = plt.subplots(figsize=(1, 1))
    ax.set_facecolor(color)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _repository_with_one_lesson(tmp_path, tagged: int = 1):
    """A scratch repository: course.toml with lesson 00, its solution showing two figures."""
    (tmp_path / "figures").mkdir()
    (tmp_path / "notebooks" / "solutions").mkdir(parents=True)
    first = PLAN_TEXT.index("[[lessons]]")
    second = PLAN_TEXT.index("[[lessons]]", first + 1)
    (tmp_path / "course.toml").write_text(PLAN_TEXT[:second], "utf-8")
    nb = nbformat.v4.new_notebook()
    for index, color in enumerate(["red", "blue"]):
        cell = nbformat.v4.new_code_cell("plt.show()")
        cell.outputs = [nbformat.v4.new_output("display_data", {"image/png": _png(color)})]
        cell.metadata = {"tags": [figures.FIGURE_TAG]} if index < tagged else {}
        nb.cells.append(cell)
    stem = load_plan(tmp_path).lessons[0].stem
    nbformat.write(nb, tmp_path / "notebooks" / "solutions" / f"{stem}.ipynb")
    return tmp_path, stem, nb


def test_figures_are_extracted_from_the_tagged_cell(tmp_path):
    root, stem, nb = _repository_with_one_lesson(tmp_path)
    (root / "figures" / "00_old_name.png").write_bytes(b"orphan")
    (root / "figures" / "bench_x.png").write_bytes(b"kept")
    assert set(figures.problems(root)) == {
        f"missing: {stem}.png",
        "orphan: 00_old_name.png (no lesson shows it)",
    }
    figures.write_figures(root)
    expected = base64.b64decode(nb.cells[0].outputs[0]["data"]["image/png"])
    assert (root / "figures" / f"{stem}.png").read_bytes() == expected
    assert sorted(p.name for p in (root / "figures").iterdir()) == sorted(
        ["bench_x.png", f"{stem}.png"]
    )
    assert figures.problems(root) == []
    (root / "figures" / f"{stem}.png").write_bytes(b"stale")
    assert figures.problems(root) == [f"stale: {stem}.png"]


@pytest.mark.parametrize("tagged", [0, 2])
def test_exactly_one_course_map_figure_per_lesson(tmp_path, tagged):
    root, _, _ = _repository_with_one_lesson(tmp_path, tagged=tagged)
    with pytest.raises(ValueError, match="exactly one"):
        figures.problems(root)


def test_clean_metadata_drops_machine_specific_fields():
    nb = nbformat.v4.new_notebook()
    nb.metadata = {
        "kernelspec": {"name": "venv-xyz", "display_name": "My venv", "language": "python"},
        "language_info": {"name": "python", "version": "3.11.7"},
        "widgets": {"application/vnd.jupyter.widget-state+json": {}},
    }
    cell = nbformat.v4.new_code_cell("1")
    cell.metadata = {"execution": {"iopub.execute_input": "2026"}, "tags": ["keep"]}
    nb.cells = [cell]
    clean_metadata(nb)
    assert nb.metadata == {"kernelspec": KERNELSPEC, "language_info": {"name": "python"}}
    assert nb.cells[0].metadata == {"tags": ["keep"]}


def test_clean_only_strips_metadata_and_keeps_outputs(tmp_path):
    from course_tools.execute import main

    nb = nbformat.v4.new_notebook()
    nb.metadata = {"kernelspec": {"name": "venv-xyz", "display_name": "x", "language": "python"}}
    cell = nbformat.v4.new_code_cell("1 + 1", execution_count=1)
    cell.outputs = [
        nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)
    ]
    cell.metadata = {"execution": {"shell.execute_reply": "2026-11-25"}}
    nb.cells = [cell]
    path = tmp_path / "nb.ipynb"
    nbformat.write(nb, path)
    assert main(["--clean-only", str(path)]) == 0
    cleaned = nbformat.read(path, as_version=4)
    assert cleaned.metadata["kernelspec"] == KERNELSPEC
    assert cleaned.cells[0].metadata == {}
    assert cleaned.cells[0].execution_count == 1
    assert cleaned.cells[0].outputs[0]["data"]["text/plain"] == "2"


def test_a_finished_progress_bar_is_committed_as_its_final_text():
    """The widget state of a finished tqdm bar becomes plain text; other widgets stay."""
    state = {
        "box": {
            "model_name": "HBoxModel",
            "state": {"children": ["IPY_MODEL_a", "IPY_MODEL_b", "IPY_MODEL_c"]},
        },
        "a": {"model_name": "HTMLModel", "state": {"value": "training:\u2007100%"}},
        "b": {"model_name": "FloatProgressModel", "state": {"value": 400.0, "max": 400.0}},
        "c": {"model_name": "HTMLModel", "state": {"value": "\u2007400/400\u2007[00:01&lt;00:00]"}},
        "slider": {"model_name": "IntSliderModel", "state": {}},
    }
    nb = nbformat.v4.new_notebook()
    nb.metadata["widgets"] = {WIDGET_STATE: {"state": state}}
    cell = nbformat.v4.new_code_cell("train()")
    for model in ("box", "slider"):
        data = {"text/plain": "training:   0%|          | 0/400", WIDGET_VIEW: {"model_id": model}}
        cell.outputs.append(nbformat.v4.new_output("display_data", data))
    nb.cells = [cell]
    finish_progress_bars(nb)
    assert cell.outputs[0]["data"] == {"text/plain": "training: 100%|██████████| 400/400"}
    assert WIDGET_VIEW in cell.outputs[1]["data"], "not a progress bar: left alone"
