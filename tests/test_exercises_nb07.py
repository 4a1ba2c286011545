"""Exercise checker of notebook 07: ``conv_head_attention``, one head of the conv-as-attention
construction. The right answers pass; each classic mistake fails with its diagnosis; a stub fails
as "not implemented"."""

from __future__ import annotations

import math

import pytest
import torch

import helpers
from helpers.exercises import check, get_exercise, list_exercises

EXERCISE = "conv_head_attention"


def run(fn):
    """``check`` without printing."""
    return check(EXERCISE, fn, quiet=True)


# --------------------------------------------------------------------------- right answers,
# written the way a learner would (not by calling the reference)


def head_attention(center, height, width, padding, alpha):
    rows, cols = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    queries = torch.stack([rows.flatten(), cols.flatten()], dim=1) + padding  # (L, 2)
    key_rows, key_cols = torch.meshgrid(
        torch.arange(height + 2 * padding), torch.arange(width + 2 * padding), indexing="ij"
    )
    keys = torch.stack([key_rows.flatten(), key_cols.flatten()], dim=1)  # (S, 2)
    delta = (keys[None, :, :] - queries[:, None, :]).float()  # (L, S, 2)
    scores = -alpha * ((delta - torch.tensor(center).float()) ** 2).sum(-1)  # (L, S)
    return torch.softmax(scores, dim=-1)


def head_attention_loops(center, height, width, padding, alpha):
    padded_width = width + 2 * padding
    n_keys = (height + 2 * padding) * padded_width
    weights = torch.zeros(height * width, n_keys, dtype=torch.float64)
    for i in range(height):
        for j in range(width):
            scores = [
                -alpha
                * (
                    (k // padded_width - i - padding - center[0]) ** 2
                    + (k % padded_width - j - padding - center[1]) ** 2
                )
                for k in range(n_keys)
            ]
            weights[i * width + j] = torch.softmax(torch.tensor(scores, dtype=torch.float64), 0)
    return weights


def head_attention_with_helpers(center, height, width, padding, alpha):
    r = helpers.quadratic_encoding(helpers.relative_offsets(height, width, padding))  # (L, S, 3)
    v = -alpha * torch.tensor([1.0, -2.0 * center[0], -2.0 * center[1]])  # v_h
    return helpers.softmax(r @ v, dim=-1)


def test_registered_for_notebook_07():
    assert EXERCISE in list_exercises()
    info = get_exercise(EXERCISE)
    assert info.notebook == "07"
    assert info.param_names == ("center", "height", "width", "padding", "alpha")


@pytest.mark.parametrize("fn", [head_attention, head_attention_loops, head_attention_with_helpers])
def test_right_answers_pass(fn):
    result = run(fn)
    assert result.passed, result.message
    assert "4 test cases" in result.message


def test_printed_once(capsys):
    result = check(EXERCISE, head_attention)
    assert capsys.readouterr().out == result.message + "\n"


# --------------------------------------------------------------------------- classic mistakes,
# written the way a learner would, each with the word its diagnosis must contain


def keys_and_queries(height, width, padding):
    rows, cols = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    queries = torch.stack([rows.flatten(), cols.flatten()], dim=1) + padding
    key_rows, key_cols = torch.meshgrid(
        torch.arange(height + 2 * padding), torch.arange(width + 2 * padding), indexing="ij"
    )
    return queries, torch.stack([key_rows.flatten(), key_cols.flatten()], dim=1)


def learner(center, height, width, padding, alpha, **change):
    queries, keys = keys_and_queries(height, width, 0 if change.get("no_pad") else padding)
    delta = (keys[None] - queries[:, None]).float()  # (L, S, 2)
    if change.get("flip"):
        delta = -delta
    c = torch.tensor(center[::-1] if change.get("swap") else center).float()
    squared = ((delta - c) ** 2).sum(-1)
    if change.get("sqrt"):
        squared = squared.sqrt()
    scores = change.get("sign", -1) * change.get("fixed_alpha", alpha) * squared
    return torch.softmax(scores, dim=change.get("dim", -1))


LEARNER_MISTAKES = [
    (lambda c, h, w, p, a: learner(c, h, w, p, a, no_pad=True), "zero-padded"),
    (lambda c, h, w, p, a: learner(c, h, w, p, a).T, "transposed"),
    (lambda c, h, w, p, a: learner(c, h, w, p, a, sign=1), "minus sign"),
    (lambda c, h, w, p, a: learner(c, h, w, p, a, dim=0), "axis"),
    (lambda c, h, w, p, a: learner((0, 0), h, w, p, a), "center"),
    (lambda c, h, w, p, a: learner(c, h, w, p, a, flip=True), "direction"),
    (lambda c, h, w, p, a: learner(c, h, w, p, a, swap=True), "swapped"),
    (lambda c, h, w, p, a: learner(c, h, w, p, a, fixed_alpha=1.0), "alpha is missing"),
    (lambda c, h, w, p, a: learner(c, h, w, p, a, sqrt=True), "squared"),
]


@pytest.mark.parametrize(("fn", "keyword"), LEARNER_MISTAKES)
def test_learner_mistake_is_diagnosed(fn, keyword):
    result = run(fn)
    assert not result.passed
    assert result.message.startswith(f"❌ {EXERCISE}: ")
    assert keyword in result.message


def test_not_implemented_stub():
    result = run(lambda center, height, width, padding, alpha: NotImplemented)
    assert not result.passed
    assert "not implemented yet" in result.message


def test_wrong_values_are_reported_without_a_known_mistake():
    result = run(lambda *args: head_attention(*args) * 0.9)
    assert not result.passed
    assert "wrong values" in result.message


def test_float64_answer_is_accepted():
    result = run(lambda *args: head_attention(*args).double())
    assert result.passed, result.message


def test_checker_cases_include_a_sharp_one_hot_head():
    # the last case uses alpha = 40: the construction's regime, where each head is one-hot
    weights = head_attention((1, -2), 3, 5, 2, 40.0)
    assert math.isclose(float(weights.max(-1).values.min()), 1.0, abs_tol=1e-6)
