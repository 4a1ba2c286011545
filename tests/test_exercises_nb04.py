"""Exercises of notebook 04: ``sinusoidal_encoding`` and ``relative_rotation``; the checks every
exercise must pass are in ``test_exercises.py``."""

from __future__ import annotations

import math

import exercise_cases
import pytest
import torch

import helpers
from helpers.exercises.nb04_positional import relative_rotation_reference

# --------------------------------------------------------------------------- right answers,
# written the way a learner would


def sinusoidal_encoding(n_positions, d_model):
    pe = torch.zeros(n_positions, d_model)
    position = torch.arange(n_positions).unsqueeze(1)  # (n, 1)
    div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe


def sinusoidal_encoding_float64_loops(n_positions, d_model):
    pe = torch.zeros(n_positions, d_model, dtype=torch.float64)
    for p in range(n_positions):
        for i in range(d_model // 2):
            angle = p / 10000 ** (2 * i / d_model)
            pe[p, 2 * i], pe[p, 2 * i + 1] = math.sin(angle), math.cos(angle)
    return pe


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


test_right_answers_pass = exercise_cases.right_answers_pass(
    [
        ("sinusoidal_encoding", sinusoidal_encoding),
        ("sinusoidal_encoding", sinusoidal_encoding_float64_loops),
        ("sinusoidal_encoding", helpers.sinusoidal_encoding),
        ("relative_rotation", relative_rotation),
        ("relative_rotation", relative_rotation_matrix_exp),
        ("relative_rotation", relative_rotation_by_steps),
    ]
)
test_case_counts = exercise_cases.case_counts_are({"relative_rotation": 5})


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


# --------------------------------------------------------------------------- learner mistakes


def sinusoidal(n_positions, d_model, base=10000.0, two=2, swap=False):
    p = torch.arange(n_positions, dtype=torch.float32)[:, None]  # (n, 1)
    i = torch.arange(d_model // 2, dtype=torch.float32)[None, :]  # (1, d / 2)
    angle = p / base ** (two * i / d_model)  # (n, d / 2)
    first, second = (
        (torch.cos(angle), torch.sin(angle)) if swap else (torch.sin(angle), torch.cos(angle))
    )
    return torch.stack([first, second], dim=-1).reshape(n_positions, d_model)


def rotation(cos, sin):
    return torch.tensor([[cos, -sin], [sin, cos]])


SINUSOIDAL_MISTAKES = [
    (lambda n, d: sinusoidal(n, d, swap=True), "swapped"),
    (lambda n, d: sinusoidal(n, d, two=1), "i/d_model"),
    (lambda n, d: sinusoidal(n, d, base=1000.0), "wrong base"),
    (lambda n, d: sinusoidal(n, d, base=1e5), "base=100000"),
    (lambda n, d: sinusoidal(n + 1, d)[1:], "positions start at 0"),
]
ROTATION_MISTAKES = [
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
]
test_mistakes_are_diagnosed = exercise_cases.mistakes_are_diagnosed(
    [("sinusoidal_encoding", fn, keyword) for fn, keyword in SINUSOIDAL_MISTAKES]
    + [("relative_rotation", fn, keyword) for fn, keyword in ROTATION_MISTAKES]
)
test_diagnoses_are_registered = exercise_cases.diagnoses_are_registered(
    {
        "sinusoidal_encoding": {"swapped", "2i/d_model", "base"},
        "relative_rotation": {"wrong way", "sign", "offset * frequency", "diagonal"},
    }
)


# --------------------------------------------------------------------------- wrong answers,
# written the way a learner would (not the registered mistakes), with the word the diagnosis
# must contain (None: only a generic message is expected)


@exercise_cases.wrong_answer("sinusoidal_encoding", "integer division")
def sinusoidal_integer_division(n_positions, d_model):
    pe = torch.zeros(n_positions, d_model)
    for p in range(n_positions):
        for i in range(d_model // 2):
            angle = p / 10000 ** (2 * i // d_model)  # `//`: 0 for every pair
            pe[p, 2 * i], pe[p, 2 * i + 1] = math.sin(angle), math.cos(angle)
    return pe


@exercise_cases.wrong_answer("sinusoidal_encoding", "already holds 2i")
def sinusoidal_two_times_two_i(n_positions, d_model):
    positions = torch.arange(n_positions).float()[:, None]
    two_i = torch.arange(0, d_model, 2).float()
    angles = positions / 10000 ** (2 * two_i / d_model)  # arange(0, d, 2) already is 2i
    pe = torch.zeros(n_positions, d_model)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(angles), torch.cos(angles)
    return pe


@exercise_cases.wrong_answer("sinusoidal_encoding", "cos is missing")
def sinusoidal_only_sin(n_positions, d_model):
    positions = torch.arange(n_positions).float()[:, None]
    pair = torch.arange(d_model) // 2  # the pair index of every column
    return torch.sin(positions / 10000 ** (2 * pair / d_model))


@exercise_cases.wrong_answer("sinusoidal_encoding", "first half")
def sinusoidal_stacked_on_the_wrong_dim(n_positions, d_model):
    positions = torch.arange(n_positions).float()[:, None]
    angles = positions / 10000 ** (torch.arange(0, d_model, 2) / d_model)  # (n, d / 2)
    pairs = torch.stack([torch.sin(angles), torch.cos(angles)], dim=1)  # (n, 2, d / 2)
    return pairs.reshape(n_positions, d_model)


@exercise_cases.wrong_answer("sinusoidal_encoding", "first half")
def sinusoidal_cat_halves(n_positions, d_model):
    positions = torch.arange(n_positions).float()[:, None]
    angles = positions / 10000 ** (torch.arange(0, d_model, 2) / d_model)
    return torch.cat([torch.sin(angles), torch.cos(angles)], dim=-1)


@exercise_cases.wrong_answer("sinusoidal_encoding", "multiplied")
def sinusoidal_exp_sign(n_positions, d_model):
    div_term = torch.exp(torch.arange(0, d_model, 2) * (math.log(10000.0) / d_model))  # no minus
    pe = torch.zeros(n_positions, d_model)
    position = torch.arange(n_positions).unsqueeze(1)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(position * div_term), torch.cos(position * div_term)
    return pe


@exercise_cases.wrong_answer("sinusoidal_encoding", "transpose")
def sinusoidal_transposed(n_positions, d_model):
    return sinusoidal_encoding(n_positions, d_model).T  # (d_model, n_positions)


@exercise_cases.wrong_answer("sinusoidal_encoding", "hard-coded")
def sinusoidal_hard_coded(n_positions, d_model):
    return sinusoidal_encoding(n_positions, 4)  # d_model of the first test case, written in


@exercise_cases.wrong_answer("sinusoidal_encoding", "column index")
def sinusoidal_column_exponent(n_positions, d_model):
    positions = torch.arange(n_positions).float()[:, None]
    angles = positions / 10000 ** (torch.arange(d_model) / d_model)  # (n, d): one per column
    pe = torch.zeros(n_positions, d_model)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(angles[:, 0::2]), torch.cos(angles[:, 1::2])
    return pe


@exercise_cases.wrong_answer("relative_rotation", "wrong way")
def rotation_for_columns(offset, frequency):  # the textbook matrix, for M @ v
    angle = offset * frequency
    return torch.tensor([[math.cos(angle), math.sin(angle)], [-math.sin(angle), math.cos(angle)]])


@exercise_cases.wrong_answer("relative_rotation", "not a rotation")
def rotation_both_negative(offset, frequency):
    c, s = math.cos(offset * frequency), math.sin(offset * frequency)
    return torch.tensor([[c, -s], [-s, c]])


@exercise_cases.wrong_answer("relative_rotation", "2π")
def rotation_in_cycles(offset, frequency):
    angle = 2 * math.pi * frequency * offset  # frequency read as cycles per position
    return torch.tensor([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])


@exercise_cases.wrong_answer("relative_rotation", None)
def rotation_angle_added(offset, frequency):
    angle = offset + frequency
    return torch.tensor([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])


@exercise_cases.wrong_answer("relative_rotation", "must return a torch.Tensor")
def rotation_numpy(offset, frequency):
    import numpy as np

    angle = offset * frequency
    return np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])


@exercise_cases.wrong_answer("relative_rotation", "wrong places")
def rotation_flat(offset, frequency):
    angle = offset * frequency
    return torch.tensor([math.cos(angle), -math.sin(angle), math.sin(angle), math.cos(angle)])


@exercise_cases.wrong_answer("relative_rotation", "offset * frequency")
def rotation_unit_step(offset, frequency):
    w = frequency  # forgot the offset
    return torch.tensor([[math.cos(w), -math.sin(w)], [math.sin(w), math.cos(w)]])


WRONG_ANSWERS = exercise_cases.wrong_answers_in(globals())
test_wrong_answers_fail = exercise_cases.wrong_answers_fail(WRONG_ANSWERS)
