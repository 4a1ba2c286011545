"""Course tooling: figure paths and notebook cleaning."""

import matplotlib.pyplot as plt
import nbformat
import pytest
from notebook_files import ROOT

from helpers import save_figure
from helpers.execute import KERNELSPEC, clean_metadata
from helpers.figures import figures_dir


def test_figures_go_to_the_repository_inside_a_clone():
    assert figures_dir(ROOT / "notebooks" / "solutions") == ROOT / "figures"
    assert figures_dir(ROOT / "notebooks") == ROOT / "figures"


def test_figures_go_to_the_working_folder_elsewhere(tmp_path):
    """On Colab the notebook runs in /content, with no repository around it."""
    assert figures_dir(tmp_path) == tmp_path
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    path = save_figure(fig, "99_test", start=tmp_path)
    plt.close(fig)
    assert path == tmp_path / "99_test.png"
    assert path.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize("bad", ["", "figures/00_x", "00_x.png"])
def test_save_figure_rejects_paths(bad, tmp_path):
    fig = plt.figure()
    with pytest.raises(ValueError, match="bare name"):
        save_figure(fig, bad, start=tmp_path)
    plt.close(fig)


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
    from helpers.execute import main

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
