"""Exercises of notebook 01 (attention for one query).

``softmax``, ``attention`` and ``additive_score``, and the hints of the predict question
``sharpness_predict``.
"""

from __future__ import annotations

import math

import torch

import helpers
from helpers.exercises._registry import Diagnosis, Mistake, Tester, exercise
from helpers.exercises.guidance import question
from helpers.exercises.language import tr


def _expect(t: Tester, args: tuple, expected: torch.Tensor, note: str | None = None) -> None:
    """``t.expect``, after a dtype check of its own: an output of another float dtype has the
    right numbers, and must be told about its dtype, not diagnosed as a value mistake."""
    got = t.call(*args, note=note)
    if got.is_floating_point() and got.dtype != expected.dtype:
        t.fail(
            tr(
                "wrong dtype: expected {expected} (the dtype of the inputs), got {got}; avoid "
                "creating tensors with a fixed dtype (`torch.zeros(n)` is float32: pass "
                "`dtype=q.dtype`) and converting with .float() / .double()",
                expected=expected.dtype,
                got=got.dtype,
            ),
            args,
            note,
        )
    t.expect(args, expected, note=note)


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


def _overflow() -> str:
    return tr(
        "numerically unstable: your output has NaN or inf for scores that spread from about "
        "-1000 to +1000 in the same row, where the softmax is finite. exp() overflows to inf "
        "above ~88 (float32) and inf / inf = NaN. Only the maximum along `dim` keeps every "
        "exponent <= 0: compute exp(x - x.amax(dim=dim, keepdim=True)). Subtracting the minimum "
        "or the mean is not enough: the largest exponent is then still about 2000 or 1000"
    )


def _large_values() -> str:
    return tr(
        "right on ordinary scores, wrong on scores around ±1000: softmax must be exact for any "
        "scores, so do not clamp, round or rescale them. The only safe shift is the maximum "
        "along `dim`, x - x.amax(dim=dim, keepdim=True), which changes nothing mathematically"
    )


def _same_values(got: torch.Tensor, other: torch.Tensor) -> bool:
    return got.shape == other.shape and torch.allclose(
        got.double(), other.double(), rtol=1e-4, atol=1e-5, equal_nan=True
    )


def _expect_stable(t: Tester, x: torch.Tensor, dim: int, note: str) -> None:
    """``t.expect`` for large scores: a wrong answer nobody registered is told why large scores
    break it (NaN/inf: an overflow; finite: clamped or rescaled scores)."""
    got = t.call(x, dim, note=note)
    expected = helpers.softmax(x, dim=dim)
    if got.dtype == expected.dtype and not _same_values(got, expected):
        for mistake in SOFTMAX_MISTAKES:
            if _same_values(got, mistake.fn(x.clone(), dim)):
                t.fail(tr(mistake.message), (x, dim), note)
        if got.shape == expected.shape:
            problem = _large_values() if torch.isfinite(got).all() else _overflow()
            t.fail(problem, (x, dim), note)
    _expect(t, (x, dim), expected, note=note)


@exercise(
    "softmax",
    solution=lambda x, dim: helpers.softmax(x, dim=dim),
    reference="helpers.softmax",
    mistakes=SOFTMAX_MISTAKES,
    hints=(
        "Three steps, each along `dim` only: shift the scores, exponentiate, divide by the sum. "
        "Every reduction needs `dim=dim, keepdim=True`, so that its result broadcasts back "
        "against `x`.",
        "The shift that makes exp() safe is the maximum along `dim`: after it every exponent is "
        "<= 0 and the largest is exp(0) = 1, so nothing overflows and the sum is at least 1. "
        "Any other shift (the minimum, the mean, the global max) fails on a row such as "
        "[1000, 0, -1000].",
        "`e = torch.exp(x - x.amax(dim=dim, keepdim=True))`, then "
        "`e / e.sum(dim=dim, keepdim=True)`.",
    ),
    diagnosis=Diagnosis(weights=True),
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
        _expect(t, (x, dim), helpers.softmax(x, dim=dim))

    # Whole rows far from 0: row 0 overflows a plain exp(), row 1 underflows it.
    offsets = torch.tensor([[1000.0], [-1000.0], [0.0]])  # (3, 1)
    x = 3 * t.randn(3, 4) + offsets  # (3, 4)
    _expect_stable(t, x, -1, tr("large values, rows around +1000, -1000 and 0"))

    # A wide spread inside each row ([1000, 0, -1000, ...]): only the row max is a safe shift.
    spread = torch.tensor([1000.0, 0.0, -1000.0, 500.0, -500.0])  # (5,)
    rows = torch.stack([spread.roll(i) for i in range(4)])  # (4, 5): the 1000 moves
    x = rows + t.randn(4, 5)
    _expect_stable(t, x, -1, tr("a wide spread inside each row, from -1000 to +1000"))
    x = (rows + t.randn(4, 5)).T.contiguous().double()  # (5, 4), along dim 0, float64
    _expect_stable(t, x, 0, tr("a wide spread along dim 0, from -1000 to +1000, float64"))


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


def _attention_precedence(q, k, v):
    d = q.shape[-1]
    return torch.softmax(q @ k.T / d**1 / 2, dim=-1) @ v  # what `/ d**1/2` computes


def _attention_scaled_after_softmax(q, k, v):
    return _weights(q, k, 1.0) @ v / math.sqrt(q.shape[-1])


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
        "precedence",
        "operator precedence: `d**1/2` is `(d**1) / 2`, so you divided the scores by 2d; the "
        "square root is `d**0.5` or `math.sqrt(d)` (** binds tighter than /)",
        _attention_precedence,
    ),
    Mistake(
        "scaled_after_softmax",
        "the scale is applied after the softmax: dividing the weights (or the output) by "
        "sqrt(d) only shrinks the result, and the weights no longer sum to 1. Divide the scores "
        "q @ k.T by sqrt(d) *before* the softmax: that is what keeps the softmax from saturating",
        _attention_scaled_after_softmax,
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


def _attention_with_scale(args, scale):
    q, k, v = args
    return helpers.scaled_dot_product_attention(q, k, v, scale=scale)


@exercise(
    "attention",
    solution=lambda q, k, v: helpers.scaled_dot_product_attention(q, k, v),
    reference="helpers.scaled_dot_product_attention",
    mistakes=ATTENTION_MISTAKES,
    hints=(
        "Three lines, as in the lesson but for L queries at once: the (L, S) score matrix, "
        "the softmax of each row, and the weighted sum of the value rows.",
        "Scores: `q @ k.T`, divided by sqrt(d) with d = q.shape[-1] (the query/key size, not "
        "d_v), before the softmax. Each query's weights run over the keys: softmax along the "
        "last dimension.",
        "`torch.softmax(q @ k.T / math.sqrt(q.shape[-1]), dim=-1) @ v`.",
    ),
    diagnosis=Diagnosis(scaled_reference=_attention_with_scale, scale_dim=lambda a: a[0].shape[-1]),
)
def check_attention(t: Tester) -> None:
    """Attention softmax(q k^T / sqrt(d)) v for q (L, d), k (S, d) and v (S, d_v)."""
    # L, S, d and d_v all differ, so a product with a wrong transpose cannot even run.
    for length, n_keys, d, d_v, dtype in (
        # d is never 2 or 4, where the scales 1, 1/d, d/2 and sqrt(d) would coincide.
        (3, 5, 6, 4, torch.float32),
        (6, 4, 8, 2, torch.float32),
        (2, 7, 3, 5, torch.float64),
    ):
        q = t.randn(length, d, dtype=dtype)  # (L, d)
        k = t.randn(n_keys, d, dtype=dtype)  # (S, d)
        v = t.randn(n_keys, d_v, dtype=dtype)  # (S, d_v)
        _expect(t, (q, k, v), helpers.scaled_dot_product_attention(q, k, v))


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
    hints=(
        "Project first: q @ W_q is (L, h), k @ W_k is (S, h). You need the sum of *every* "
        "query row with *every* key row: an (L, S, h) tensor.",
        "Broadcasting forms all pairs: give the projected queries shape (L, 1, h) "
        "(`.unsqueeze(1)` or `[:, None, :]`) and the projected keys (1, S, h) (`.unsqueeze(0)`); "
        "their sum is (L, S, h). Then tanh, then collapse h with w.",
        "`torch.tanh((q @ W_q)[:, None, :] + (k @ W_k)[None, :, :]) @ w`.",
    ),
    error_hints=(
        (
            ("must match the size of tensor",),
            "(L, h) + (S, h) cannot be added: to add every query to every key, broadcast "
            "(L, 1, h) + (1, S, h) — `(q @ W_q).unsqueeze(1) + (k @ W_k).unsqueeze(0)` — which "
            "gives the (L, S, h) sum of every pair",
        ),
        (
            ("cannot be multiplied",),
            "a product does not line up: the queries go with W_q (d_q, h) and the keys with "
            "W_k (d_k, h), as `q @ W_q` and `k @ W_k`; w (h,) collapses the last dimension of "
            "the (L, S, h) tanh, as `... @ w`",
        ),
    ),
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
        _expect(t, (q, k, W_q, W_k, w), expected)


# --------------------------------------------------------------------------- questions

question(
    "sharpness_predict",
    module=__name__,
    hints=(
        "(a) Write the scores down: the query of 'it' dotted with the key of 'cat' is the sum "
        "of the two query entries (noun and animate), with 'mat' only one entry, with every other "
        "word 0. (b) What does softmax do to scores that are all equal?",
        "(a) With entries 6 the scores are 12 for 'cat', 6 for 'mat' and 0 for the 8 other "
        "words: compute e^12 / (e^12 + e^6 + 8). With 0.5 they are 1, 0.5 and 0. (b) Equal keys "
        "give every key the same score, whatever the query.",
    ),
)
