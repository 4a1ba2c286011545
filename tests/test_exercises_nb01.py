"""Exercise checkers of notebook 01 added after ``softmax`` and ``attention`` (those two are
tested in ``test_exercises.py``): ``additive_score``. The right answer passes; each classic
mistake fails with its diagnosis; a stub fails as "not implemented"."""

from __future__ import annotations

import pytest
import torch

import helpers
from helpers.exercises import check, get_exercise, list_exercises


def run(exercise_id, fn):
    """``check`` without printing."""
    return check(exercise_id, fn, quiet=True)


def additive_score(q, k, W_q, W_k, w):
    """A learner's answer: broadcast (L, 1, h) + (1, S, h)."""
    return torch.tanh((q @ W_q)[:, None, :] + (k @ W_k)[None, :, :]) @ w


def additive_score_loops(q, k, W_q, W_k, w):
    """A learner's answer with explicit loops, one pair at a time."""
    out = torch.empty(q.shape[0], k.shape[0], dtype=q.dtype)
    for i in range(q.shape[0]):
        for j in range(k.shape[0]):
            out[i, j] = w @ torch.tanh(q[i] @ W_q + k[j] @ W_k)
    return out


def test_notebook_01_exercises_are_registered():
    assert {"softmax", "attention", "additive_score"} <= set(list_exercises())
    for exercise_id in ("softmax", "attention", "additive_score"):
        assert get_exercise(exercise_id).notebook == "01"


@pytest.mark.parametrize("fn", [additive_score, additive_score_loops])
def test_right_answers_pass(fn):
    result = run("additive_score", fn)
    assert result.passed, result.message
    assert "on all 3 test cases" in result.message


def test_reference_matches_helpers_additive_score_module():
    torch.manual_seed(0)
    module = helpers.AdditiveScore(d_q=4, d_k=6, d_hidden=7)
    q, k = torch.randn(3, 4), torch.randn(5, 6)  # L=3, S=5: non-square
    W_q, W_k = module.W_q.weight.T, module.W_k.weight.T  # (4, 7), (6, 7)
    w = module.w.weight[0]  # (7,)
    with torch.no_grad():
        torch.testing.assert_close(additive_score(q, k, W_q, W_k, w), module(q, k))


def test_checker_leaves_the_global_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    run("additive_score", additive_score)
    torch.testing.assert_close(torch.rand(3), expected)


def parts(q, k, W_q, W_k):
    return (q @ W_q).unsqueeze(1), (k @ W_k).unsqueeze(0)  # (L, 1, h), (1, S, h)


LEARNER_MISTAKES = [
    (lambda q, k, Wq, Wk, w: sum(parts(q, k, Wq, Wk)) @ w, "missing the tanh"),
    (
        lambda q, k, Wq, Wk, w: (torch.tanh(q @ Wq)[:, None] + torch.tanh(k @ Wk)[None]) @ w,
        "separately",
    ),
    (
        lambda q, k, Wq, Wk, w: torch.tanh(sum(parts(q, k, Wq, Wk))).sum(-1),
        "with the learned vector w",
    ),
    (
        lambda q, k, Wq, Wk, w: torch.tanh(parts(q, k, Wq, Wk)[0] * parts(q, k, Wq, Wk)[1]) @ w,
        "adds them",
    ),
    (lambda q, k, Wq, Wk, w: additive_score(q, k, Wq, Wk, w).T, "transposed, shape (S, L)"),
    (lambda q, k, Wq, Wk, w: torch.tanh(q @ Wq + k @ Wk) @ w, "incompatible shapes"),
    (lambda q, k, Wq, Wk, w: additive_score(q, k, Wq, Wk, w).float(), "wrong dtype"),
    (lambda q, k, Wq, Wk, w: NotImplemented, "not implemented yet"),
]


@pytest.mark.parametrize(("fn", "keyword"), LEARNER_MISTAKES)
def test_learner_mistake_is_diagnosed(fn, keyword):
    result = run("additive_score", fn)
    assert not result.passed
    assert result.message.startswith("❌ additive_score: ")
    assert keyword in result.message


MISTAKES = get_exercise("additive_score").mistakes


def test_required_diagnoses_are_registered():
    messages = " ".join(m.message for m in MISTAKES)
    for keyword in ("tanh", "separately", "learned vector w", "adds them", "transposed"):
        assert keyword in messages
