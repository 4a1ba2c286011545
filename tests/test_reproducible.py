"""Running a notebook twice gives the same outputs, even alone in an empty folder.

Each notebook is copied alone into a fresh temporary folder (as on Colab: no repository
around it) and executed twice in fresh kernels. After nbval's sanitizers, every text output and
every figure must be identical between the two runs, and the notebook must leave no file behind.
"""

import re
import shutil

import nbformat
import pytest
from nbval.plugin import get_sanitize_patterns
from notebook_files import NOTEBOOKS, ROOT

from course_tools.execute import execute_notebook

# Two of the course's notebooks: one trains with progress bars, one computes many numbers.
NOTEBOOKS_RUN_TWICE = ["00_sets_of_vectors.ipynb", "04_positional_encoding.ipynb"]


def sanitizers() -> list[tuple[re.Pattern, str]]:
    """The patterns of tests/nbval_sanitize.cfg, parsed by nbval itself."""
    text = (ROOT / "tests" / "nbval_sanitize.cfg").read_text("utf-8")
    return [(re.compile(regex), replace) for regex, replace in get_sanitize_patterns(text)]


def outputs(nb: nbformat.NotebookNode) -> list[tuple]:
    """Every cell's outputs, sanitized; widget views (random model ids) left out."""
    rules = sanitizers()

    def clean(text: str) -> str:
        for pattern, replacement in rules:
            text = pattern.sub(replacement, text)
        return text

    found = []
    for index, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                found.append((index, output.name, clean(output.text)))
            for mime, data in output.get("data", {}).items():
                if mime != "application/vnd.jupyter.widget-view+json":
                    found.append((index, mime, clean(data) if mime.startswith("text") else data))
    return found


@pytest.mark.parametrize("notebook", NOTEBOOKS_RUN_TWICE)
def test_two_runs_alone_give_identical_outputs(notebook, tmp_path):
    runs = []
    for run in ("first", "second"):
        folder = tmp_path / run
        folder.mkdir()
        shutil.copy(NOTEBOOKS / "solutions" / notebook, folder / notebook)
        runs.append(outputs(execute_notebook(folder / notebook)))
        left_behind = {p.name for p in folder.iterdir()} - {notebook}
        assert left_behind == set(), f"the notebook wrote files: {sorted(left_behind)}"
    assert len(runs[0]) > 5, "the notebook produced outputs"
    first, second = runs
    assert [o[:2] for o in first] == [o[:2] for o in second]
    for a, b in zip(first, second, strict=True):
        assert a == b, f"cell {a[0]} ({a[1]}) differs between two runs"
