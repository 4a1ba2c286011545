"""Exercise checkers of notebook 04 added after ``sinusoidal_encoding`` (tested in
``test_exercises.py``): ``relative_rotation``. The right answers pass; each classic mistake fails
with its diagnosis; a stub fails as "not implemented"."""

from __future__ import annotations

import math

import pytest
import torch

import helpers
from helpers.exercises import check, get_exercise, list_exercises
from helpers.exercises.nb04_positional import relative_rotation_reference


def run(fn):
    """``check("relative_rotation", fn)`` without printing."""
    return check("relative_rotation", fn, quiet=True)


# --------------------------------------------------------------------------- right answers,
# written the way a learner would


def relative_rotation(offset, frequency):
    angle = offset * frequency
    return torch.tensor([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])


def relative_rotation_matrix_exp(offset, frequency):
    """An independent formulation (float64): exp(k w J), J the generator of row rotations."""
    generator = torch.tensor([[0.0, -1.0], [1.0, 0.0]], dtype=torch.float64)
    return torch.linalg.matrix_exp(offset * frequency * generator)


def relative_rotation_by_steps(offset, frequency):
    """Rotate by one step |offset| times (moving k positions = k moves of one)."""
    one = relative_rotation(1, frequency if offset >= 0 else -frequency).double()
    return torch.linalg.matrix_power(one, abs(offset))


def test_notebook_04_exercises_are_registered():
    assert {"sinusoidal_encoding", "relative_rotation"} <= set(list_exercises())
    for exercise_id in ("sinusoidal_encoding", "relative_rotation"):
        assert get_exercise(exercise_id).notebook == "04"


@pytest.mark.parametrize(
    "fn", [relative_rotation, relative_rotation_matrix_exp, relative_rotation_by_steps]
)
def test_right_answers_pass(fn):
    result = run(fn)
    assert result.passed, result.message
    assert "on all 5 test cases" in result.message


@pytest.mark.parametrize("offset", [-7, -1, 0, 1, 3, 40])
def test_reference_is_a_block_of_relative_position_matrix(offset):
    d_model = 10
    matrix = helpers.relative_position_matrix(offset, d_model)  # (d_model, d_model)
    for i in range(d_model // 2):
        frequency = 10000.0 ** (-2 * i / d_model)
        block = matrix[2 * i : 2 * i + 2, 2 * i : 2 * i + 2]
        torch.testing.assert_close(relative_rotation_reference(offset, frequency).float(), block)


@pytest.mark.parametrize(("offset", "frequency"), [(3, 0.4), (-2, 0.3), (5, 0.01)])
def test_reference_moves_a_sin_cos_row_by_offset(offset, frequency):
    """Independent of helpers: [sin(pw), cos(pw)] @ R = [sin((p+k)w), cos((p+k)w)] for all p."""
    p = torch.arange(50, dtype=torch.float64)[:, None]  # (50, 1)
    rows = torch.cat([torch.sin(p * frequency), torch.cos(p * frequency)], dim=1)  # (50, 2)
    moved = (p + offset) * frequency
    expected = torch.cat([torch.sin(moved), torch.cos(moved)], dim=1)
    torch.testing.assert_close(rows @ relative_rotation_reference(offset, frequency), expected)


def test_checker_leaves_the_global_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    run(relative_rotation)
    torch.testing.assert_close(torch.rand(3), expected)


# --------------------------------------------------------------------------- learner mistakes


def rotation(cos, sin):
    return torch.tensor([[cos, -sin], [sin, cos]])


LEARNER_MISTAKES = [
    (lambda k, w: relative_rotation(k, w).T, "rotates the wrong way"),
    (lambda k, w: relative_rotation(-k, w), "rotates the wrong way"),
    (  # the matrix for pairs ordered (cos, sin)
        lambda k, w: torch.tensor(
            [[math.cos(k * w), math.sin(k * w)], [-math.sin(k * w), math.cos(k * w)]]
        ),
        "ordered (cos, sin)",
    ),
    (lambda k, w: relative_rotation(k, w).abs(), "a sign is missing"),
    (lambda k, w: relative_rotation(1, w), "offset * frequency"),
    (lambda k, w: rotation(math.cos(k / w), math.sin(k / w)), "divided offset by frequency"),
    (lambda k, w: rotation(math.sin(k * w), math.cos(k * w)), "cos(kw) goes on the diagonal"),
    (lambda k, w: relative_rotation(k, w).tolist(), "must return a torch.Tensor"),
    (lambda k, w: torch.tensor([math.cos(k * w), math.sin(k * w)]), "wrong shape"),
    (lambda k, w: torch.block_diag(relative_rotation(k, w), torch.eye(2)), "wrong shape"),
    (lambda k, w: NotImplemented, "not implemented yet"),
]


@pytest.mark.parametrize(("fn", "keyword"), LEARNER_MISTAKES)
def test_learner_mistake_is_diagnosed(fn, keyword):
    result = run(fn)
    assert not result.passed
    assert result.message.startswith("❌ relative_rotation: ")
    assert keyword in result.message


MISTAKES = get_exercise("relative_rotation").mistakes


def test_required_diagnoses_are_registered():
    messages = " ".join(m.message for m in MISTAKES)
    for keyword in ("wrong way", "sign", "offset * frequency", "diagonal"):
        assert keyword in messages
