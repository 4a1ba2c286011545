"""The shared asserts of the exercise tests, fed with each lesson's tables.

``tests/test_exercises.py`` checks what every registered exercise must do. A lesson's file,
``tests/test_exercises_nbNN.py``, holds only that lesson's data, as tables turned into tests here::

    import exercise_cases

    test_right_answers_pass = exercise_cases.right_answers_pass([("softmax", my_softmax), ...])
    test_mistakes_are_diagnosed = exercise_cases.mistakes_are_diagnosed(
        [("softmax", softmax_last_axis, "axis"), ...]  # (id, learner's wrong answer, keyword)
    )
    test_diagnoses_are_registered = exercise_cases.diagnoses_are_registered({"softmax": {"axis"}})
    test_case_counts = exercise_cases.case_counts_are({"softmax": 5})  # test cases per check
"""

from __future__ import annotations

import ast
import functools
import inspect
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest
import torch
from notebook_files import LESSONS, code_cells, read

from helpers.exercises import CheckResult, check, get_exercise

NOT_IMPLEMENTED = "not attempted yet: replace the `# YOUR CODE HERE` line"


def run(exercise_id: str, fn: Any, **kwargs: Any) -> CheckResult:
    """``check`` without printing."""
    return check(exercise_id, fn, quiet=True, **kwargs)


@functools.cache
def solution_message(exercise_id: str) -> str:
    """The message of the registered solution: what every right answer must get."""
    return run(exercise_id, get_exercise(exercise_id).solution).message


def assert_passes(exercise_id: str, fn: Callable[..., Any]) -> None:
    """``fn`` passes, on the same test cases as the solution (the same message)."""
    result = run(exercise_id, fn)
    assert result.passed, result.message
    assert result.message == solution_message(exercise_id)


def assert_diagnosed(exercise_id: str, fn: Any, keyword: str) -> None:
    """``fn`` fails, and the diagnosis contains ``keyword``."""
    result = run(exercise_id, fn)
    assert not result.passed, f"{fn} passed"
    assert result.message.startswith(f"❌ {exercise_id}: "), result.message
    assert keyword in result.message, result.message


def _case_id(value: Any) -> str | None:
    name = getattr(value, "__name__", None)
    return None if name is None or name == "<lambda>" else name


def right_answers_pass(cases: Iterable[tuple[str, Callable[..., Any]]]) -> Callable[..., None]:
    """A test: each ``(exercise_id, fn)``, a right answer written as a learner would, passes."""

    @pytest.mark.parametrize(("exercise_id", "fn"), list(cases), ids=_case_id)
    def test(exercise_id: str, fn: Callable[..., Any]) -> None:
        assert_passes(exercise_id, fn)

    return test


def mistakes_are_diagnosed(cases: Iterable[tuple[str, Any, str]]) -> Callable[..., None]:
    """A test: each ``(exercise_id, fn, keyword)``, a learner's wrong answer, fails with a
    diagnosis containing ``keyword``."""

    @pytest.mark.parametrize(("exercise_id", "fn", "keyword"), list(cases), ids=_case_id)
    def test(exercise_id: str, fn: Any, keyword: str) -> None:
        assert_diagnosed(exercise_id, fn, keyword)

    return test


def wrong_answer(exercise_id: str, keyword: str | None) -> Callable[[Callable], Callable]:
    """Mark a learner-style wrong answer of ``exercise_id``, defined right below, with the word
    its diagnosis must contain (``None``: only a generic message is expected)."""

    def mark(fn: Callable) -> Callable:
        fn.wrong_answer_of = (*getattr(fn, "wrong_answer_of", ()), (exercise_id, keyword))
        return fn

    return mark


def wrong_answers_in(namespace: Mapping[str, Any]) -> list[tuple[str, Any, str | None]]:
    """``[(exercise_id, fn, keyword)]`` of every function marked with ``@wrong_answer``."""
    return [
        (exercise_id, fn, keyword)
        for fn in namespace.values()
        if callable(fn)
        for exercise_id, keyword in getattr(fn, "wrong_answer_of", ())
    ]


def wrong_answers_fail(cases: Iterable[tuple[str, Any, str | None]]) -> Callable[..., None]:
    """A test: each ``(exercise_id, fn, keyword)`` — a plausible wrong answer, written as a
    learner would and *not* one of the registered mistakes — fails; when ``keyword`` is given,
    the diagnosis names the mistake with it (``None``: only the generic message is expected).

    The same tables feed ``python -m course_tools.exercise_audit``, which counts how many wrong
    answers get a specific diagnosis.
    """

    @pytest.mark.parametrize(("exercise_id", "fn", "keyword"), list(cases), ids=_case_id)
    def test(exercise_id: str, fn: Any, keyword: str | None) -> None:
        result = run(exercise_id, fn)
        assert not result.passed, f"a wrong answer passed: {result.message}"
        if keyword is not None:
            assert keyword in result.message, result.message

    return test


def diagnoses_are_registered(required: Mapping[str, Iterable[str]]) -> Callable[..., None]:
    """A test: the registered mistakes of each exercise mention every required keyword."""

    @pytest.mark.parametrize(("exercise_id", "keywords"), list(required.items()))
    def test(exercise_id: str, keywords: Iterable[str]) -> None:
        messages = " ".join(m.message for m in get_exercise(exercise_id).mistakes)
        assert [k for k in keywords if k not in messages] == []

    return test


def case_counts_are(counts: Mapping[str, int]) -> Callable[..., None]:
    """A test: each exercise's checker runs the given number of test cases."""

    @pytest.mark.parametrize(("exercise_id", "n_cases"), list(counts.items()))
    def test(exercise_id: str, n_cases: int) -> None:
        assert f" on all {n_cases} test cases." in solution_message(exercise_id)

    return test


# --------------------------------------------------------------------------- the lessons


@functools.cache
def lesson_stubs() -> dict[str, tuple[Path, Callable[..., Any]]]:
    """``{exercise_id: (lesson, stub)}`` for every ``check("id", fn)`` call of the lessons:
    ``fn`` as the learner gets it, defined by running its untouched exercise cell."""
    stubs = {}
    for path in LESSONS:
        namespace: dict[str, Any] = {"torch": torch}
        calls = []
        for cell in code_cells(read(path)):
            if "solution" in cell.metadata.get("tags", []):
                exec(compile(cell.source, f"{path.name} (exercise cell)", "exec"), namespace)
            if "check(" in cell.source:
                calls += [node for node in ast.walk(ast.parse(cell.source)) if _is_check(node)]
        for call in calls:
            exercise_id, fn = call.args[0].value, call.args[1].id
            assert exercise_id not in stubs, f"{exercise_id!r} is checked twice"
            stubs[exercise_id] = (path, namespace[fn])
    return stubs


def _is_check(node: ast.AST) -> bool:
    """``check("id", name)``."""
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id == "check"
        and len(node.args) == 2
        and isinstance(node.args[0], ast.Constant)
        and isinstance(node.args[1], ast.Name)
    )


def parameters_of(fn: Callable[..., Any]) -> tuple[str, ...]:
    return tuple(inspect.signature(fn).parameters)
