"""The generic diagnoses: each recognises its kind of wrong answer and stays quiet otherwise."""

import math

import pytest
import torch

from helpers.exercises import diagnose

RTOL, ATOL = 1e-4, 1e-5
generator = torch.Generator().manual_seed(0)
EXPECTED = torch.randn(6, 4, generator=generator)  # (L, d): all entries distinct


def weights(scores: torch.Tensor) -> torch.Tensor:
    return torch.softmax(scores, dim=-1)


def test_transposed():
    assert "transpose" in diagnose.transposed(EXPECTED.T, EXPECTED, RTOL, ATOL)
    assert diagnose.transposed(EXPECTED, EXPECTED, RTOL, ATOL) is None


@pytest.mark.parametrize(("factor", "shown"), [(0.5, "1/2"), (1 / math.sqrt(8), "1/sqrt(8)")])
def test_constant_factor_is_named(factor, shown):
    message = diagnose.constant_factor(factor * EXPECTED, EXPECTED, RTOL, ATOL)
    assert "multiplied by" in message and shown in message


def test_constant_factor_needs_one_factor_for_all_entries():
    scaled = EXPECTED.clone()
    scaled[0] *= 2
    assert diagnose.constant_factor(scaled, EXPECTED, RTOL, ATOL) is None
    assert diagnose.constant_factor(EXPECTED, EXPECTED, RTOL, ATOL) is None


def test_rearranged_values():
    wrong_order = EXPECTED.reshape(4, 6)  # reshape instead of transpose
    assert "wrong places" in diagnose.rearranged(wrong_order, EXPECTED, RTOL, ATOL)
    assert "wrong places" in diagnose.rearranged(EXPECTED.flip(0), EXPECTED, RTOL, ATOL)
    assert diagnose.rearranged(EXPECTED + 1, EXPECTED, RTOL, ATOL) is None


def test_wrong_only_at_the_ends():
    long = torch.randn(12, 3, generator=generator)  # (L, d)
    wrong = long.clone()
    wrong[0] += 1
    wrong[-1] -= 1
    message = diagnose.wrong_only_at_the_ends(wrong, long, RTOL, ATOL)
    assert "first and last" in message and "padding" in message
    middle = long.clone()
    middle[6] += 1
    assert diagnose.wrong_only_at_the_ends(middle, long, RTOL, ATOL) is None


def test_wrong_only_where_a_row_is_fully_masked():
    mask = torch.ones(6, 6, dtype=torch.bool)
    mask[2] = False  # query 2 may attend to nothing
    wrong = EXPECTED.clone()
    wrong[2] = float("nan")
    message = diagnose.wrong_only_where_masked(wrong, EXPECTED, RTOL, ATOL, (EXPECTED, mask))
    assert "fully masked" in message
    assert diagnose.wrong_only_where_masked(wrong, EXPECTED, RTOL, ATOL, (EXPECTED,)) is None


def test_weights_that_do_not_sum_to_one():
    scores = torch.randn(5, 7, generator=generator)
    expected = weights(scores)
    message = diagnose.rows_do_not_sum_to_one(torch.softmax(scores, dim=0), expected)
    assert "sum to 1" in message
    assert diagnose.rows_do_not_sum_to_one(scores.exp(), expected) is not None
    assert diagnose.rows_do_not_sum_to_one(expected, expected) is None


def _attention(args, scale):
    q, k, v = args
    return torch.softmax(q @ k.T * scale, dim=-1) @ v


@pytest.mark.parametrize(
    ("scale", "words"),
    [(1.0, "no scale"), (1 / 8, "1/d"), (1 / 16, "d**1/2"), (math.sqrt(8), "multiplied by sqrt")],
)
def test_another_attention_scale_is_named(scale, words):
    args = tuple(torch.randn(n, 8, generator=generator) for n in (3, 5, 5))
    got = _attention(args, scale)
    message = diagnose.other_scale(got, args, _attention, 8, RTOL, ATOL)
    assert words in message
    right = _attention(args, 1 / math.sqrt(8))
    assert diagnose.other_scale(right, args, _attention, 8, RTOL, ATOL) is None


def test_generic_diagnosis_stays_quiet_on_unrelated_errors():
    noise = EXPECTED + 0.1 * torch.randn(EXPECTED.shape, generator=generator)
    assert diagnose.generic_diagnosis(noise, EXPECTED, (EXPECTED,), RTOL, ATOL) is None
