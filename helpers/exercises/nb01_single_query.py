"""Exercises of notebook 01 (attention for one query).

``softmax``, ``attention`` and ``additive_score``.
"""

from __future__ import annotations

import math

import torch

import helpers
from helpers.exercises._registry import Mistake, Tester, exercise

# --------------------------------------------------------------------------- softmax


def _softmax_unstable(x, dim):
    e = torch.exp(x)  # overflows to inf for x > ~88 (float32)
    return e / e.sum(dim=dim, keepdim=True)


def _softmax_global_max(x, dim):
    e = torch.exp(x - x.max())  # rows far below the global max underflow to 0
    return e / e.sum(dim=dim, keepdim=True)


def _softmax_exp_only(x, dim):
    return torch.exp(x)


def _softmax_shifted_exp_only(x, dim):
    return torch.exp(x - x.amax(dim=dim, keepdim=True))


def _softmax_global_shift_exp_only(x, dim):
    return torch.exp(x - x.max())


def _softmax_sum_all(x, dim):
    e = torch.exp(x - x.amax(dim=dim, keepdim=True))
    return e / e.sum()


def _softmax_last_axis(x, dim):
    return helpers.softmax(x, dim=-1)


def _softmax_first_axis(x, dim):
    return helpers.softmax(x, dim=0)


def _softmax_second_axis(x, dim):
    return helpers.softmax(x, dim=1)


_WRONG_AXIS = (
    "normalised over the wrong axis: the weights must sum to 1 along `dim` (the argument), "
    "yours sum to 1 along another dimension. Pass dim=dim (and keepdim=True) to every max and "
    "sum instead of a fixed axis"
)
_NOT_NORMALISED = (
    "not normalised: you return the exponentials without dividing by their sum along `dim`, "
    "so the weights do not sum to 1"
)

SOFTMAX_MISTAKES = (
    Mistake(
        "unstable",
        "numerically unstable, subtract the max: exp() of large inputs overflows to inf (and "
        "inf / inf = NaN). Softmax does not change when the same number is subtracted from "
        "every entry, so compute exp(x - x.amax(dim=dim, keepdim=True))",
        _softmax_unstable,
    ),
    Mistake(
        "global_max",
        "numerically unstable: subtract the max along `dim` (x.amax(dim=dim, keepdim=True)), "
        "not the max of the whole tensor, or rows far below the global max underflow to 0 / 0 "
        "= NaN",
        _softmax_global_max,
    ),
    Mistake("exp_only", _NOT_NORMALISED, _softmax_exp_only),
    Mistake("shifted_exp_only", _NOT_NORMALISED, _softmax_shifted_exp_only),
    Mistake("global_shift_exp_only", _NOT_NORMALISED, _softmax_global_shift_exp_only),
    Mistake(
        "sum_all",
        "normalised over the whole tensor: divide by the sum along `dim` only (keepdim=True), "
        "not by the sum of all entries",
        _softmax_sum_all,
    ),
    Mistake("last_axis", _WRONG_AXIS, _softmax_last_axis),
    Mistake("first_axis", _WRONG_AXIS, _softmax_first_axis),
    Mistake("second_axis", _WRONG_AXIS, _softmax_second_axis),
)


@exercise(
    "softmax",
    solution=lambda x, dim: helpers.softmax(x, dim=dim),
    reference="helpers.softmax",
    mistakes=SOFTMAX_MISTAKES,
)
def check_softmax(t: Tester) -> None:
    """Numerically stable softmax of ``x`` along ``dim``."""
    for shape, dim, dtype in (
        ((3, 5), -1, torch.float32),
        ((4, 6), 0, torch.float32),
        ((2, 3, 4), 1, torch.float32),
        ((5, 3), 1, torch.float64),
    ):
        x = 2 * t.randn(*shape, dtype=dtype)
        t.expect((x, dim), helpers.softmax(x, dim=dim))

    # Row 0 overflows exp(), row 1 underflows it; row 2 is ordinary.
    offsets = torch.tensor([[1000.0], [-1000.0], [0.0]])  # (3, 1)
    x = 3 * t.randn(3, 4) + offsets  # (3, 4)
    t.expect((x, -1), helpers.softmax(x, dim=-1), note="large values, around ±1000")


# --------------------------------------------------------------------------- attention


def _weights(q, k, scale, dim=-1):
    return torch.softmax(q @ k.T * scale, dim=dim)  # (L, S)


def _attention_no_scale(q, k, v):
    return _weights(q, k, 1.0) @ v


def _attention_scale_by_d(q, k, v):
    return _weights(q, k, 1 / q.shape[-1]) @ v


def _attention_scale_times_sqrt_d(q, k, v):
    return _weights(q, k, math.sqrt(q.shape[-1])) @ v


def _attention_scale_by_d_v(q, k, v):
    return _weights(q, k, 1 / math.sqrt(v.shape[-1])) @ v


def _attention_wrong_axis(q, k, v):
    return _weights(q, k, 1 / math.sqrt(q.shape[-1]), dim=0) @ v


def _attention_returns_weights(q, k, v):
    return _weights(q, k, 1 / math.sqrt(q.shape[-1]))


def _attention_transposed_output(q, k, v):
    return v.T @ _weights(q, k, 1 / math.sqrt(q.shape[-1])).T  # (d_v, L): the column convention


ATTENTION_MISTAKES = (
    Mistake(
        "no_scale",
        "missing the 1/sqrt(d) scale: divide the scores q @ k.T by sqrt(d), with d = "
        "q.shape[-1], before the softmax",
        _attention_no_scale,
    ),
    Mistake(
        "scale_by_d",
        "wrong scale: you divided the scores by d; divide by sqrt(d) (d = q.shape[-1])",
        _attention_scale_by_d,
    ),
    Mistake(
        "scale_times_sqrt_d",
        "wrong scale: you multiplied the scores by sqrt(d); divide by sqrt(d) instead",
        _attention_scale_times_sqrt_d,
    ),
    Mistake(
        "scale_by_d_v",
        "wrong scale: you used the value dimension d_v = v.shape[-1]; the scale is 1/sqrt(d) "
        "with d the query/key dimension q.shape[-1]",
        _attention_scale_by_d_v,
    ),
    Mistake(
        "wrong_axis",
        "softmax over the wrong axis: each query's weights over the keys must sum to 1, so "
        "apply softmax along the last dim (dim=-1) of the (L, S) score matrix, not dim=0",
        _attention_wrong_axis,
    ),
    Mistake(
        "returns_weights",
        "you returned the attention weights (L, S) instead of the output: multiply the weights "
        "by the values, weights @ v, shape (L, d_v)",
        _attention_returns_weights,
    ),
    Mistake(
        "transposed_output",
        "your output is transposed, shape (d_v, L): that is the lecture's column convention "
        "O = V A'. Here rows are tokens: return weights @ v, shape (L, d_v)",
        _attention_transposed_output,
    ),
)


@exercise(
    "attention",
    solution=lambda q, k, v: helpers.scaled_dot_product_attention(q, k, v),
    reference="helpers.scaled_dot_product_attention",
    mistakes=ATTENTION_MISTAKES,
)
def check_attention(t: Tester) -> None:
    """Attention softmax(q k^T / sqrt(d)) v for q (L, d), k (S, d) and v (S, d_v)."""
    # L, S, d and d_v all differ, so a product with a wrong transpose cannot even run.
    for length, n_keys, d, d_v, dtype in (
        (3, 5, 4, 6, torch.float32),
        (6, 4, 8, 2, torch.float32),
        (2, 7, 3, 5, torch.float64),
    ):
        q = t.randn(length, d, dtype=dtype)  # (L, d)
        k = t.randn(n_keys, d, dtype=dtype)  # (S, d)
        v = t.randn(n_keys, d_v, dtype=dtype)  # (S, d_v)
        t.expect((q, k, v), helpers.scaled_dot_product_attention(q, k, v))


# --------------------------------------------------------------------------- additive_score


def additive_score_reference(q, k, W_q, W_k, w):
    """``w^T tanh(q_i W_q + k_j W_k)`` for every pair, through ``helpers.AdditiveScore``.

    The module's ``nn.Linear`` layers store their matrices transposed, so the learner's
    ``W_q`` (d_q, h) becomes ``weight = W_q.T`` (h, d_q).
    """
    d_q, h = W_q.shape
    with torch.random.fork_rng(devices=[]):  # the module's random init must not move the seed
        module = helpers.AdditiveScore(d_q=d_q, d_k=W_k.shape[0], d_hidden=h).to(q.dtype)
    with torch.no_grad():
        module.W_q.weight.copy_(W_q.T)
        module.W_k.weight.copy_(W_k.T)
        module.w.weight.copy_(w.unsqueeze(0))
        return module(q, k)  # (L, S)


def _additive_parts(q, k, W_q, W_k):
    return (q @ W_q).unsqueeze(1), (k @ W_k).unsqueeze(0)  # (L, 1, h), (1, S, h)


def _additive_no_tanh(q, k, W_q, W_k, w):
    query_part, key_part = _additive_parts(q, k, W_q, W_k)
    return (query_part + key_part) @ w


def _additive_tanh_separately(q, k, W_q, W_k, w):
    query_part, key_part = _additive_parts(q, k, W_q, W_k)
    return (torch.tanh(query_part) + torch.tanh(key_part)) @ w


def _additive_sum_instead_of_w(q, k, W_q, W_k, w):
    query_part, key_part = _additive_parts(q, k, W_q, W_k)
    return torch.tanh(query_part + key_part).sum(dim=-1)


def _additive_multiplied(q, k, W_q, W_k, w):
    query_part, key_part = _additive_parts(q, k, W_q, W_k)
    return torch.tanh(query_part * key_part) @ w


def _additive_keys_as_rows(q, k, W_q, W_k, w):
    query_part, key_part = _additive_parts(q, k, W_q, W_k)
    return (torch.tanh(query_part + key_part) @ w).T  # (S, L)


ADDITIVE_MISTAKES = (
    Mistake(
        "no_tanh",
        "missing the tanh: squash the sum q_i W_q + k_j W_k with torch.tanh before "
        "multiplying by w. Without it the score is linear and the query and key parts "
        "separate: w.(q W_q) + w.(k W_k)",
        _additive_no_tanh,
    ),
    Mistake(
        "tanh_separately",
        "tanh applied to the query part and the key part separately: add q_i W_q and k_j W_k "
        "first, then apply tanh to the sum, tanh(q_i W_q + k_j W_k)",
        _additive_tanh_separately,
    ),
    Mistake(
        "sum_instead_of_w",
        "you summed the h hidden numbers; collapse them with the learned vector w instead: "
        "tanh(...) @ w",
        _additive_sum_instead_of_w,
    ),
    Mistake(
        "multiplied",
        "you multiplied the query part and the key part; the additive score adds them: "
        "tanh(q_i W_q + k_j W_k) @ w",
        _additive_multiplied,
    ),
    Mistake(
        "keys_as_rows",
        "your output is transposed, shape (S, L): rows are queries, so entry [i, j] is query i "
        "and key j. Give the projected queries shape (L, 1, h) and the keys (1, S, h)",
        _additive_keys_as_rows,
    ),
)


@exercise(
    "additive_score",
    solution=additive_score_reference,
    reference="helpers.AdditiveScore",
    mistakes=ADDITIVE_MISTAKES,
)
def check_additive_score(t: Tester) -> None:
    """Additive scores w^T tanh(q_i W_q + k_j W_k) for every query i and key j, shape (L, S)."""
    # L, S, d_q, d_k and h all differ, so a swapped matrix or a missing transpose cannot run.
    for length, n_keys, d_q, d_k, h, dtype in (
        (3, 5, 4, 6, 7, torch.float32),
        (1, 4, 3, 2, 5, torch.float32),
        (4, 2, 5, 3, 6, torch.float64),
    ):
        q = t.randn(length, d_q, dtype=dtype)  # (L, d_q)
        k = t.randn(n_keys, d_k, dtype=dtype)  # (S, d_k)
        W_q = t.randn(d_q, h, dtype=dtype)  # (d_q, h)
        W_k = t.randn(d_k, h, dtype=dtype)  # (d_k, h)
        w = t.randn(h, dtype=dtype)  # (h,)
        expected = additive_score_reference(q, k, W_q, W_k, w)
        t.expect((q, k, W_q, W_k, w), expected)
