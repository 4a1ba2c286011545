"""Lessons are generated from the solutions: blanks keep signatures, answers are removed."""

import nbformat
import pytest
from notebook_files import LESSONS, ROOT, SOLUTIONS

from course_tools import lessons as build
from helpers.exercises import check

SOLVED_CELL = '''def scaled_scores(q, k, scale=None):
    """Scores q @ k^T, scaled by 1/sqrt(d) unless `scale` is given."""
    d = q.shape[-1]
    return q @ k.T * (scale or d**-0.5)


@staticmethod
def two_lines(
    a,
    b,
):
    return a + b'''


def test_blank_functions_keeps_signatures_and_docstrings_only():
    blank = build.blank_functions(SOLVED_CELL)
    assert blank == (
        "def scaled_scores(q, k, scale=None):\n"
        '    """Scores q @ k^T, scaled by 1/sqrt(d) unless `scale` is given."""\n'
        "    # YOUR CODE HERE\n"
        "    return NotImplemented\n"
        "\n\n"
        "@staticmethod\n"
        "def two_lines(\n"
        "    a,\n"
        "    b,\n"
        "):\n"
        "    # YOUR CODE HERE\n"
        "    return NotImplemented"
    )
    namespace = {}
    exec(blank, namespace)  # the blank is valid Python that returns the sentinel
    assert namespace["scaled_scores"](1, 2) is NotImplemented


@pytest.mark.parametrize("source", ["import torch\n\ndef f(x):\n    return x", "x = 1", "f(2)"])
def test_blank_functions_rejects_anything_but_function_definitions(source):
    with pytest.raises(ValueError, match="only function definitions"):
        build.blank_functions(source, where="nb.ipynb, cell 3")


def test_lesson_from_solution_blanks_answers_and_drops_solution_only_cells():
    solution = nbformat.v4.new_notebook()
    solution.cells = [
        nbformat.v4.new_markdown_cell("# Title"),
        nbformat.v4.new_markdown_cell("Solved version", metadata={"tags": ["solution-only"]}),
        nbformat.v4.new_code_cell(SOLVED_CELL, metadata={"tags": ["solution"]}),
        nbformat.v4.new_code_cell("result = 1", execution_count=3, outputs=[]),
        nbformat.v4.new_markdown_cell("**Worked answer.** 42", metadata={"tags": ["solution"]}),
    ]
    lesson = build.lesson_from_solution(
        solution, "notebooks/01_x.ipynb", "notebooks/solutions/01_x.ipynb"
    )
    sources = [c.source for c in lesson.cells]
    assert "Solved version" not in sources
    assert "# YOUR CODE HERE" in sources[3] and "q @ k.T" not in sources[3]
    assert "42" not in sources[5] and "notebooks/solutions/01_x.ipynb" in sources[5]
    assert "notebooks/01_x.ipynb" in sources[0], "the lesson's badge opens the lesson"
    assert all(c.get("execution_count") is None for c in lesson.cells if c.cell_type == "code")
    assert solution.cells[2].source == SOLVED_CELL, "the solution is not modified"


def test_every_solution_has_a_lesson_and_every_lesson_a_solution():
    assert [p.name for p in LESSONS] == [p.name for p in SOLUTIONS]


def test_committed_lessons_are_what_the_build_generates():
    stale = build.stale_lessons(ROOT)
    assert stale == [], f"run `make sync`: {stale}"


def test_a_blank_exercise_is_reported_as_not_implemented():
    namespace = {}
    exec(build.blank_functions("def my_softmax(x, dim):\n    return x.softmax(dim)"), namespace)
    result = check("softmax", namespace["my_softmax"], quiet=True)
    assert not result.passed
    assert "not attempted yet" in result.message.lower()
