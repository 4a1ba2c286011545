"""Exercises of notebook 01: ``softmax``, ``attention`` and ``additive_score``; the checks every
exercise must pass are in ``test_exercises.py``."""

from __future__ import annotations

import math

import exercise_cases
import torch

import helpers

# --------------------------------------------------------------------------- right answers,
# written the way a learner would (not by calling the reference)


def softmax(x, dim):
    shifted = x - x.max(dim=dim, keepdim=True).values
    e = shifted.exp()
    return e / e.sum(dim=dim, keepdim=True)


def attention(q, k, v):
    scores = q @ k.T / math.sqrt(q.shape[-1])  # (L, S)
    return torch.softmax(scores, dim=-1) @ v  # (L, d_v)


def additive_score(q, k, W_q, W_k, w):
    """Broadcast (L, 1, h) + (1, S, h)."""
    return torch.tanh((q @ W_q)[:, None, :] + (k @ W_k)[None, :, :]) @ w


def additive_score_loops(q, k, W_q, W_k, w):
    """Explicit loops, one pair at a time."""
    out = torch.empty(q.shape[0], k.shape[0], dtype=q.dtype)
    for i in range(q.shape[0]):
        for j in range(k.shape[0]):
            out[i, j] = w @ torch.tanh(q[i] @ W_q + k[j] @ W_k)
    return out


test_right_answers_pass = exercise_cases.right_answers_pass(
    [
        ("softmax", softmax),
        ("softmax", lambda x, dim: torch.softmax(x, dim=dim)),
        ("softmax", lambda x, dim: helpers.softmax(x, dim=dim)),
        ("attention", attention),
        ("attention", helpers.scaled_dot_product_attention),
        ("attention", lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(q, k, v)),
        ("additive_score", additive_score),
        ("additive_score", additive_score_loops),
    ]
)
test_case_counts = exercise_cases.case_counts_are({"additive_score": 3})


def test_reference_matches_helpers_additive_score_module():
    torch.manual_seed(0)
    module = helpers.AdditiveScore(d_q=4, d_k=6, d_hidden=7)
    q, k = torch.randn(3, 4), torch.randn(5, 6)  # L=3, S=5: non-square
    W_q, W_k = module.W_q.weight.T, module.W_k.weight.T  # (4, 7), (6, 7)
    w = module.w.weight[0]  # (7,)
    with torch.no_grad():
        torch.testing.assert_close(additive_score(q, k, W_q, W_k, w), module(q, k))


# --------------------------------------------------------------------------- classic mistakes,
# written the way a learner would, each with the word its diagnosis must contain


def softmax_no_max(x, dim):
    return x.exp() / x.exp().sum(dim=dim, keepdim=True)


def softmax_last_axis(x, dim):
    return torch.softmax(x, dim=-1)


def softmax_exp_only(x, dim):
    return torch.exp(x - x.max())


def attention_with_scores(q, k, v, scale, dim=-1, weights_only=False):
    weights = torch.softmax(q @ k.T * scale, dim=dim)  # (L, S)
    return weights if weights_only else weights @ v


def attention_keys_first(q, k, v):
    scores = k @ q.T / math.sqrt(q.shape[-1])  # (S, L): the transposed product
    return torch.softmax(scores, dim=-1) @ v


def attention_column_convention(q, k, v):
    a = k @ q.T / math.sqrt(q.shape[-1])  # (S, L): A = K^T Q with tokens as columns
    return v.T @ torch.softmax(a, dim=0)  # (d_v, L): O = V A'


def parts(q, k, W_q, W_k):
    return (q @ W_q).unsqueeze(1), (k @ W_k).unsqueeze(0)  # (L, 1, h), (1, S, h)


test_mistakes_are_diagnosed = exercise_cases.mistakes_are_diagnosed(
    [
        ("softmax", softmax_no_max, "numerically unstable, subtract the max"),
        ("softmax", softmax_last_axis, "axis"),
        ("softmax", lambda x, dim: torch.softmax(x, dim=0), "axis"),
        ("softmax", lambda x, dim: x.exp(), "not normalised"),
        ("softmax", softmax_exp_only, "not normalised"),
        ("softmax", lambda x, dim: torch.softmax(x, dim=dim).T, "transpose"),
        ("attention", lambda q, k, v: attention_with_scores(q, k, v, 1.0), "scale"),
        ("attention", lambda q, k, v: attention_with_scores(q, k, v, 1 / q.shape[-1]), "scale"),
        (
            "attention",
            lambda q, k, v: attention_with_scores(q, k, v, q.shape[-1] ** -0.5, 0),
            "axis",
        ),
        (
            "attention",
            lambda q, k, v: attention_with_scores(q, k, v, q.shape[-1] ** -0.5, weights_only=True),
            "attention weights (L, S) instead of the output",
        ),
        ("attention", attention_keys_first, "transpose"),
        ("attention", attention_column_convention, "transpose"),
        (
            "additive_score",
            lambda q, k, Wq, Wk, w: sum(parts(q, k, Wq, Wk)) @ w,
            "missing the tanh",
        ),
        (
            "additive_score",
            lambda q, k, Wq, Wk, w: (torch.tanh(q @ Wq)[:, None] + torch.tanh(k @ Wk)[None]) @ w,
            "separately",
        ),
        (
            "additive_score",
            lambda q, k, Wq, Wk, w: torch.tanh(sum(parts(q, k, Wq, Wk))).sum(-1),
            "with the learned vector w",
        ),
        (
            "additive_score",
            lambda q, k, Wq, Wk, w: torch.tanh(parts(q, k, Wq, Wk)[0] * parts(q, k, Wq, Wk)[1]) @ w,
            "adds them",
        ),
        (
            "additive_score",
            lambda q, k, Wq, Wk, w: additive_score(q, k, Wq, Wk, w).T,
            "transposed, shape (S, L)",
        ),
        (
            "additive_score",
            lambda q, k, Wq, Wk, w: torch.tanh(q @ Wq + k @ Wk) @ w,
            "incompatible shapes",
        ),
        (
            "additive_score",
            lambda q, k, Wq, Wk, w: additive_score(q, k, Wq, Wk, w).float(),
            "wrong dtype",
        ),
    ]
)
test_diagnoses_are_registered = exercise_cases.diagnoses_are_registered(
    {
        "softmax": {"subtract the max", "axis", "not normalised"},
        "attention": {
            "scale",
            "axis",
            "attention weights (L, S) instead of the output",
            "transpose",
        },
        "additive_score": {"tanh", "separately", "learned vector w", "adds them", "transposed"},
    }
)
