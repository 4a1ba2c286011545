"""Exercises of notebook 02 (matrix form): ``attention_columns``, the lecture's column convention.

``I`` is the lecture's name for the input matrix (one token per column), kept on purpose.
"""

# ruff: noqa: E741

from __future__ import annotations

import math

import torch

import helpers
from helpers.exercises._registry import Mistake, Tester, exercise


def attention_columns_reference(I, W_q, W_k, W_v):
    """``O = V softmax(K^T Q / sqrt(d_k))`` with tokens as columns, via the row-convention helper.

    ``I`` is ``(d_in, L)``; ``W_q``, ``W_k`` are ``(d_k, d_in)`` and ``W_v`` is ``(d_v, d_in)``
    (the lecture's matrices, which multiply from the left). Transposing everything turns it
    into the code's rows: ``X = I^T``, ``X W_q^T = Q^T``, and ``O = (A' V)^T``.
    """
    X = I.T  # (L, d_in): rows are tokens
    q, k, v = X @ W_q.T, X @ W_k.T, X @ W_v.T  # (L, d_k), (L, d_k), (L, d_v)
    return helpers.scaled_dot_product_attention(q, k, v).T  # (d_v, L)


def _project(I, W_q, W_k, W_v):
    return W_q @ I, W_k @ I, W_v @ I  # (d_k, L), (d_k, L), (d_v, L)


def _columns(I, W_q, W_k, W_v, dim=0, scaled=True):
    Q, K, V = _project(I, W_q, W_k, W_v)
    scale = 1 / math.sqrt(Q.shape[0]) if scaled else 1.0
    return V @ torch.softmax(K.T @ Q * scale, dim=dim)  # (d_v, L)


def _softmax_over_rows(I, W_q, W_k, W_v):
    return _columns(I, W_q, W_k, W_v, dim=-1)


def _no_scale(I, W_q, W_k, W_v):
    return _columns(I, W_q, W_k, W_v, scaled=False)


def _row_convention(I, W_q, W_k, W_v):
    return attention_columns_reference(I, W_q, W_k, W_v).T  # (L, d_v)


def _queries_first_columns_softmax(I, W_q, W_k, W_v):
    Q, K, V = _project(I, W_q, W_k, W_v)
    return V @ torch.softmax(Q.T @ K / math.sqrt(Q.shape[0]), dim=0)


def _row_weights_not_transposed(I, W_q, W_k, W_v):
    Q, K, V = _project(I, W_q, W_k, W_v)
    weights = torch.softmax(Q.T @ K / math.sqrt(Q.shape[0]), dim=-1)  # (L, L): rows = queries
    return V @ weights  # should be V @ weights.T


def _returns_weights(I, W_q, W_k, W_v):
    Q, K, _ = _project(I, W_q, W_k, W_v)
    return torch.softmax(K.T @ Q / math.sqrt(Q.shape[0]), dim=0)  # (L, L)


def _scale_by_d_in(I, W_q, W_k, W_v):
    Q, K, V = _project(I, W_q, W_k, W_v)
    return V @ torch.softmax(K.T @ Q / math.sqrt(I.shape[0]), dim=0)


ATTENTION_COLUMNS_MISTAKES = (
    Mistake(
        "softmax_over_rows",
        "softmax over the wrong axis: in the lecture's A = K^T Q, row i is key i and column j "
        "is query j, so each *column* holds one query's scores and must sum to 1. Use "
        "softmax(..., dim=0), not dim=-1 (dim=-1 is right only in the code's row convention)",
        _softmax_over_rows,
    ),
    Mistake(
        "no_scale",
        "missing the 1/sqrt(d_k) scale: divide A = K^T Q by sqrt(d_k), with d_k = W_q.shape[0] "
        "(the size of a query), before the softmax",
        _no_scale,
    ),
    Mistake(
        "scale_by_d_in",
        "wrong scale: you divided by sqrt(d_in) (I.shape[0], the size of an input); the scale "
        "is 1/sqrt(d_k) with d_k = W_q.shape[0], the size of a query and a key",
        _scale_by_d_in,
    ),
    Mistake(
        "row_convention",
        "your output is the transpose of the expected one, shape (L, d_v): that is the code's "
        "row convention O = A' V. In the lecture's convention every token is a column: return "
        "O = V A' with shape (d_v, L)",
        _row_convention,
    ),
    Mistake(
        "queries_first",
        "A = Q^T K puts the queries on the rows, so softmax over dim=0 normalised over the "
        "queries instead of the keys. The lecture computes A = K^T Q (row i = key i, column j = "
        "query j) and normalises each column (dim=0)",
        _queries_first_columns_softmax,
    ),
    Mistake(
        "row_weights_not_transposed",
        "you built the weights in the row convention (softmax of Q^T K over dim=-1: one row per "
        "query) and then multiplied V @ weights, which mixes the wrong entries. In O = V A', A' "
        "needs one *column* per query: use A = K^T Q with softmax over dim=0 (or transpose your "
        "weights)",
        _row_weights_not_transposed,
    ),
    Mistake(
        "returns_weights",
        "you returned the attention weights A' (L, L) instead of the output: multiply the "
        "values by them, O = V A', shape (d_v, L)",
        _returns_weights,
    ),
)


@exercise(
    "attention_columns",
    solution=attention_columns_reference,
    reference="helpers.scaled_dot_product_attention (transposed to columns)",
    mistakes=ATTENTION_COLUMNS_MISTAKES,
)
def check_attention_columns(t: Tester) -> None:
    """Self-attention in the lecture's column convention: O = V softmax(K^T Q / sqrt(d_k))."""
    # d_in, d_k, d_v and L all differ, so a product with the wrong transpose cannot run and a
    # transposed output has the wrong shape.
    for d_in, d_k, d_v, length, dtype in (
        (5, 3, 4, 6, torch.float32),
        (4, 6, 2, 3, torch.float32),
        (3, 2, 5, 7, torch.float64),
    ):
        I = t.randn(d_in, length, dtype=dtype)  # (d_in, L): column j is the token a^j
        W_q = t.randn(d_k, d_in, dtype=dtype)  # (d_k, d_in)
        W_k = t.randn(d_k, d_in, dtype=dtype)  # (d_k, d_in)
        W_v = t.randn(d_v, d_in, dtype=dtype)  # (d_v, d_in)
        t.expect((I, W_q, W_k, W_v), attention_columns_reference(I, W_q, W_k, W_v))
