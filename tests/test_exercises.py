"""Tests of helpers.exercises: what every registered exercise must do, run once over
``list_exercises()``, and ``check`` itself, which never raises whatever the learner's function does.

Each lesson's own data (right answers written as a learner would, learner-style mistakes with
the word their diagnosis must contain) is in ``test_exercises_nbNN.py``."""

from __future__ import annotations

import ast
import math
import time

import numpy as np
import pytest
import torch
from exercise_cases import NOT_IMPLEMENTED, lesson_stubs, parameters_of, run
from notebook_files import code_cells, read

from helpers.exercises import (
    _registry,
    check,
    get_exercise,
    guidance,
    hint,
    list_exercises,
    list_questions,
    solution,
)
from helpers.exercises._registry import Exercise, Mistake, exercise
from helpers.exercises.guidance import hints_of, solution_source

IDS = list_exercises()
REGISTERED_MISTAKES = [(i, mistake) for i in IDS for mistake in get_exercise(i).mistakes]
SOFTMAX = get_exercise("softmax").solution  # a right answer for the tests of check() itself


# --------------------------------------------------------------------------- every exercise


def test_the_lessons_check_exactly_the_registered_exercises():
    ids = list_exercises()
    assert ids == sorted(ids)
    assert sorted(lesson_stubs()) == ids


@pytest.mark.parametrize("exercise_id", IDS)
def test_registered_for_the_lesson_that_checks_it(exercise_id):
    info = get_exercise(exercise_id)
    lesson, stub = lesson_stubs()[exercise_id]
    assert lesson.name.startswith(f"{info.notebook}_"), "the checker's module names the lesson"
    assert parameters_of(stub) == info.param_names, "messages name the lesson's parameters"
    assert info.summary


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_untouched_stub_is_not_attempted(exercise_id):
    result = run(exercise_id, lesson_stubs()[exercise_id][1])
    assert not result.passed
    assert NOT_IMPLEMENTED in result.message


@pytest.mark.parametrize("exercise_id", IDS)
def test_checking_leaves_the_global_random_state_alone(exercise_id):
    info = get_exercise(exercise_id)
    before = torch.random.get_rng_state()
    for fn in (info.solution, lesson_stubs()[exercise_id][1], *(m.fn for m in info.mistakes)):
        run(exercise_id, fn)
    assert torch.equal(torch.random.get_rng_state(), before)


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_solution_passes(exercise_id, capsys):
    result = check(exercise_id, get_exercise(exercise_id).solution)
    assert result.passed, result.message
    assert result.message.startswith(f"✅ {exercise_id}: passed. Your function matches ")
    assert capsys.readouterr().out == result.message + "\n"  # printed once, as returned


@pytest.mark.parametrize(
    ("exercise_id", "mistake"),
    REGISTERED_MISTAKES,
    ids=[f"{exercise_id}-{mistake.name}" for exercise_id, mistake in REGISTERED_MISTAKES],
)
def test_every_registered_mistake_is_told_apart(exercise_id, mistake):
    # The checker's inputs must separate each mistake from the right answer and from the
    # mistakes registered before it, or the learner would get another diagnosis.
    result = run(exercise_id, mistake.fn)
    assert not result.passed
    assert mistake.message in result.message


@pytest.mark.parametrize("exercise_id", IDS)
def test_a_wrong_number_of_parameters_is_told_the_signature(exercise_id):
    info = get_exercise(exercise_id)
    result = run(exercise_id, lambda *args: info.solution(*args, None))  # one too many
    assert not result.passed
    assert "raised TypeError: " in result.message
    assert f" — it is called as {info.signature}. Test case: {info.param_names[0]} = " in (
        result.message
    )


# --------------------------------------------------------------------------- anything else
# the learner's function may do


def test_not_implemented_error():
    def stub(q, k, v):
        raise NotImplementedError

    assert "not attempted yet" in run("attention", stub).message


def test_function_that_raises():
    def broken(x, num_heads):
        raise ValueError("boom")

    result = run("split_heads", broken)
    assert not result.passed
    assert "raised ValueError: boom" in result.message
    assert "num_heads = 3" in result.message  # the test case is described


def test_wrong_number_of_parameters_names_the_signature():
    result = run("attention", lambda q, k: q)
    assert "raised TypeError" in result.message
    assert "it is called as fn(q, k, v) -> Tensor" in result.message


def test_function_that_hangs_is_abandoned():
    start = time.perf_counter()
    result = run("softmax", lambda x, dim: time.sleep(2.0), time_limit=0.2)
    assert time.perf_counter() - start < 1.5
    assert not result.passed
    assert "did not return within 0.2 s" in result.message


def test_time_limit_is_per_call_and_slow_enough_answers_pass():
    def slowish(x, dim):
        time.sleep(0.01)
        return SOFTMAX(x, dim)

    assert run("softmax", slowish, time_limit=1.0).passed


def test_returns_none():
    result = run("local_mask", lambda L, left, right: None)
    assert not result.passed
    assert "returned None" in result.message


@pytest.mark.parametrize(
    ("garbage", "words"),
    [
        ("hello", "returned a str; it must return a torch.Tensor"),
        ([[0.5, 0.5]], "returned a list"),
        (np.zeros((3, 5)), "returned a numpy.ndarray"),
        ((torch.zeros(3, 4), torch.zeros(3, 5)), "tuple of 2 items"),
        (torch.zeros(4, 3), "wrong shape: expected (3, 4), got (4, 3)"),
        (torch.zeros(3, 4, dtype=torch.float64), "wrong dtype: expected torch.float32"),
        (torch.zeros(3, 4, dtype=torch.long), "floating-point"),
        (torch.full((3, 4), math.nan), "NaN"),
        (torch.full((3, 4), math.inf), "inf"),
        (torch.zeros(3, 4), "wrong values"),
    ],
)
def test_returns_garbage(garbage, words):
    result = run("attention", lambda q, k, v: garbage)
    assert not result.passed
    assert words in result.message


def test_mutating_the_inputs_fails_even_with_the_right_output():
    def softmax_in_place(x, dim):
        x -= x.max(dim=dim, keepdim=True).values
        x.exp_()
        return x / x.sum(dim=dim, keepdim=True)

    def edge_softmax_in_place(scores, adjacency):
        scores[~adjacency] = -math.inf
        return torch.softmax(scores, dim=-1)

    result = run("softmax", softmax_in_place)
    assert not result.passed
    assert "modified its input `x` in place" in result.message
    assert (
        "modified its input `scores` in place" in run("edge_softmax", edge_softmax_in_place).message
    )


def test_wrong_values_message_names_the_largest_error():
    def off_by_a_quarter(x, dim):
        weights = torch.softmax(x, dim=dim)
        shift = torch.zeros_like(weights)
        shift[..., 0, 0], shift[..., 0, 1] = 0.25, -0.25  # rows still sum to 1
        return weights + shift

    result = run("softmax", off_by_a_quarter)
    assert "wrong values: the largest difference from the reference is 2.50e-01" in result.message


# --------------------------------------------------------------------------- check() itself


def test_unknown_id_fails_without_raising(capsys):
    result = check("no_such_exercise", SOFTMAX)
    assert not result.passed
    assert result.message.startswith("❌ no_such_exercise: unknown exercise id")
    assert all(repr(i) in result.message for i in IDS)
    assert "unknown exercise id" in capsys.readouterr().out


def test_not_a_function():
    result = run("softmax", SOFTMAX(torch.zeros(2, 3), -1))
    assert not result.passed
    assert "expected a function" in result.message


def test_messages_are_reproducible():
    attention = get_exercise("attention").solution
    first = run("attention", lambda q, k, v: attention(q, k, v) * 1.1)
    second = run("attention", lambda q, k, v: attention(q, k, v) * 1.1)
    assert first.message == second.message
    assert "0x" not in first.message


def test_repr_is_short():
    assert repr(run("softmax", SOFTMAX)) == "CheckResult(exercise_id='softmax', passed=True)"


def test_a_broken_checker_is_reported_as_a_course_bug(monkeypatch):
    def checker(t):
        raise AttributeError("the reference is missing")

    broken = Exercise("broken", checker, solution=lambda x: x, reference=None, mistakes=())
    monkeypatch.setitem(_registry._REGISTRY, "broken", broken)
    result = run("broken", lambda x: x)
    assert not result.passed
    assert "bug in the course" in result.message


def test_exercise_decorator_validates_its_arguments():
    for right_answer in (lambda x, dim=-1: x, lambda *args: None, lambda x, *, dim: x):
        with pytest.raises(ValueError, match="exactly the learner's parameters, without defaults"):
            exercise("x", solution=right_answer)
    twice = [Mistake("same", "a", SOFTMAX), Mistake("same", "b", SOFTMAX)]
    with pytest.raises(ValueError, match="unique"):
        exercise("x", solution=SOFTMAX, mistakes=twice)
    with pytest.raises(ValueError, match="already registered"):
        exercise("softmax", solution=SOFTMAX)(lambda t: None)
    with pytest.raises(ValueError, match=r"live in helpers/exercises/nbNN_<topic>\.py"):
        exercise("outside_a_lesson_module", solution=SOFTMAX)(lambda t: None)
    assert "outside_a_lesson_module" not in list_exercises()


def test_lesson_and_signature_are_derived(monkeypatch):
    monkeypatch.setattr(_registry, "_REGISTRY", dict(_registry._REGISTRY))

    def checker(t):
        """Says what the learner computes."""

    checker.__module__ = "helpers.exercises.nb42_topic"
    exercise("derived", solution=lambda a, b_c: a, returns="bool Tensor (a, b)")(checker)
    info = get_exercise("derived")
    assert info.notebook == "42"
    assert info.param_names == ("a", "b_c")
    assert info.signature == "fn(a, b_c) -> bool Tensor (a, b)"
    assert info.summary == "Says what the learner computes."


def test_exercise_metadata():
    info = get_exercise("attention")
    assert info.signature == "fn(q, k, v) -> Tensor"
    assert info.param_names == ("q", "k", "v")
    assert info.notebook == "01"
    assert info.summary
    assert get_exercise("local_mask").signature == "fn(L, left, right) -> bool Tensor (L, L)"
    assert get_exercise("window_features").notebook == "00"


# --------------------------------------------------------------------------- hints, solutions


EXERCISES_AND_QUESTIONS = sorted({*list_exercises(), *list_questions()})


@pytest.mark.parametrize("exercise_id", EXERCISES_AND_QUESTIONS)
def test_every_exercise_has_tiered_hints(exercise_id):
    hints = hints_of(exercise_id)
    assert len(hints) >= 2, "at least two hints: a nudge, then nearly the answer"
    assert len(set(hints)) == len(hints)
    assert hint(exercise_id, 1, quiet=True).startswith(f"💡 Hint 1/{len(hints)}")
    assert "solution(" in hint(exercise_id, len(hints), quiet=True)
    assert "has hints 1 to" in hint(exercise_id, len(hints) + 1, quiet=True)


@pytest.mark.parametrize("exercise_id", EXERCISES_AND_QUESTIONS)
def test_every_exercise_has_a_worked_solution(exercise_id):
    kind = "answer" if exercise_id in list_questions() else "code"
    assert solution_source(exercise_id).strip(), "solution() shows the solved notebook's cell"
    assert guidance._solutions()[exercise_id]["kind"] == kind


def _imports_namespace(lesson: str) -> dict:
    """What the solved notebook's imports cell defines (the setup cell skipped)."""
    from notebook_files import SOLUTIONS

    path = next(p for p in SOLUTIONS if p.name.startswith(lesson))
    namespace: dict = {}
    for cell in code_cells(read(path)):
        if "from helpers.exercises import" in cell.source:
            exec(compile(cell.source, f"{path.name} (imports)", "exec"), namespace)
            return namespace
    raise AssertionError(f"{path.name}: no imports cell")


@pytest.mark.parametrize("exercise_id", list_exercises())
def test_the_shown_solution_passes_its_own_check(exercise_id):
    namespace = _imports_namespace(get_exercise(exercise_id).notebook)
    source = solution_source(exercise_id)
    exec(compile(source, f"solution({exercise_id!r})", "exec"), namespace)
    functions = [n.name for n in ast.parse(source).body if isinstance(n, ast.FunctionDef)]
    result = run(exercise_id, namespace[functions[-1]])
    assert result.passed, result.message


def test_solutions_file_is_what_the_solved_notebooks_hold():
    from course_tools import solutions

    assert not solutions.is_stale(), "run `make sync`"


def test_hint_and_solution_of_an_unknown_id_do_not_raise(capsys):
    assert "unknown exercise id" in hint("no_such_exercise")
    assert "no worked solution" in solution("no_such_exercise")
    assert "no_such_exercise" in capsys.readouterr().out


def test_the_stub_message_points_to_the_hints():
    stub = lesson_stubs()["softmax"][1]
    assert "hint('softmax')" in run("softmax", stub).message
