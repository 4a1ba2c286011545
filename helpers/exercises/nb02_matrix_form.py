"""Exercises of notebook 02 (matrix form): ``attention_columns``, the lecture's column convention.

``I`` is the lecture's name for the input matrix (one token per column), kept on purpose. The
explain/predict questions ``causal_first_last`` and ``meeting_memory`` are registered here with
their hints.
"""

# ruff: noqa: E741

from __future__ import annotations

import math

import torch

import helpers
from helpers.exercises._registry import Diagnosis, Mistake, Tester, exercise
from helpers.exercises.guidance import question


def attention_columns_reference(I, W_q, W_k, W_v):
    """``O = V softmax(K^T Q / sqrt(d_k))`` with tokens as columns, for a batch of sequences.

    ``I`` is ``(batch, d_in, L)``: each ``I[b]`` is one sequence as on the lecture's slide, one
    token per column. ``W_q``, ``W_k`` are ``(d_k, d_in)`` and ``W_v`` is ``(d_v, d_in)`` (the
    lecture's matrices, which multiply from the left, shared by the batch). Transposing turns it
    into the code's rows: ``X = I^T``, ``X W_q^T = Q^T``, and ``O = (A' V)^T``; the result is
    ``(batch, d_v, L)``.
    """
    X = I.mT  # (batch, L, d_in): rows are tokens
    q, k, v = X @ W_q.T, X @ W_k.T, X @ W_v.T  # (batch, L, d_k), (batch, L, d_k), (batch, L, d_v)
    return helpers.scaled_dot_product_attention(q, k, v).mT  # (batch, d_v, L)


def _project(I, W_q, W_k, W_v):
    return W_q @ I, W_k @ I, W_v @ I  # (batch, d_k, L), (batch, d_k, L), (batch, d_v, L)


def _columns(I, W_q, W_k, W_v, dim=-2, scaled=True):
    Q, K, V = _project(I, W_q, W_k, W_v)
    scale = 1 / math.sqrt(Q.shape[-2]) if scaled else 1.0
    return V @ torch.softmax(K.mT @ Q * scale, dim=dim)  # (batch, d_v, L)


def _softmax_over_rows(I, W_q, W_k, W_v):
    return _columns(I, W_q, W_k, W_v, dim=-1)


def _softmax_over_batch(I, W_q, W_k, W_v):
    return _columns(I, W_q, W_k, W_v, dim=0)


def _no_scale(I, W_q, W_k, W_v):
    return _columns(I, W_q, W_k, W_v, scaled=False)


def _row_convention(I, W_q, W_k, W_v):
    return attention_columns_reference(I, W_q, W_k, W_v).mT  # (batch, L, d_v)


def _queries_first_columns_softmax(I, W_q, W_k, W_v):
    Q, K, V = _project(I, W_q, W_k, W_v)
    return V @ torch.softmax(Q.mT @ K / math.sqrt(Q.shape[-2]), dim=-2)


def _row_weights_not_transposed(I, W_q, W_k, W_v):
    Q, K, V = _project(I, W_q, W_k, W_v)
    weights = torch.softmax(Q.mT @ K / math.sqrt(Q.shape[-2]), dim=-1)  # rows = queries
    return V @ weights  # should be V @ weights.mT


def _returns_weights(I, W_q, W_k, W_v):
    Q, K, _ = _project(I, W_q, W_k, W_v)
    return torch.softmax(K.mT @ Q / math.sqrt(Q.shape[-2]), dim=-2)  # (batch, L, L)


def _scale_after_softmax(I, W_q, W_k, W_v):
    Q, K, V = _project(I, W_q, W_k, W_v)
    return V @ (torch.softmax(K.mT @ Q, dim=-2) / math.sqrt(Q.shape[-2]))


def _columns_scaled(args, scale):
    """The reference computed with another scale (for the generic "which scale" diagnosis)."""
    I, W_q, W_k, W_v = args
    X = I.mT
    q, k, v = X @ W_q.T, X @ W_k.T, X @ W_v.T
    return helpers.scaled_dot_product_attention(q, k, v, scale=scale).mT


def _scale_by_d_in(I, W_q, W_k, W_v):
    Q, K, V = _project(I, W_q, W_k, W_v)
    return V @ torch.softmax(K.mT @ Q / math.sqrt(I.shape[-2]), dim=-2)


ATTENTION_COLUMNS_MISTAKES = (
    Mistake(
        "softmax_over_batch",
        "softmax over the wrong axis: with a batch, dim=0 is the batch axis, so your weights "
        "sum to 1 across the sequences of the batch. In each (L, L) matrix A = K^T Q the keys "
        "run down the columns, now dim=-2 (or dim=1): softmax(..., dim=-2)",
        _softmax_over_batch,
    ),
    Mistake(
        "softmax_over_rows",
        "softmax over the wrong axis: in the lecture's A = K^T Q, row i is key i and column j "
        "is query j, so each *column* holds one query's scores and must sum to 1. Use "
        "softmax(..., dim=-2), not dim=-1 (dim=-1 is right only in the code's row convention)",
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
        "wrong scale: you divided by sqrt(d_in) (the size of an input); the scale is "
        "1/sqrt(d_k) with d_k = W_q.shape[0], the size of a query and a key",
        _scale_by_d_in,
    ),
    Mistake(
        "scale_after_softmax",
        "you divided by sqrt(d_k) after the softmax: the weights of each query then sum to "
        "1/sqrt(d_k), not 1. The scale belongs to the scores, inside: softmax(K^T Q / sqrt(d_k))",
        _scale_after_softmax,
    ),
    Mistake(
        "row_convention",
        "your output is the transpose of the expected one, shape (batch, L, d_v): that is the "
        "code's row convention O = A' V. In the lecture's convention every token is a column: "
        "return O = V A' with shape (batch, d_v, L)",
        _row_convention,
    ),
    Mistake(
        "queries_first",
        "A = Q^T K puts the queries on the rows, so a softmax down the columns normalised over "
        "the queries instead of the keys. The lecture computes A = K^T Q (row i = key i, "
        "column j = query j) and normalises each column (dim=-2)",
        _queries_first_columns_softmax,
    ),
    Mistake(
        "row_weights_not_transposed",
        "you built the weights in the row convention (softmax of Q^T K over dim=-1: one row per "
        "query) and then multiplied V @ weights, which mixes the wrong entries. In O = V A', A' "
        "needs one *column* per query: use A = K^T Q with softmax over dim=-2 (or transpose "
        "your weights)",
        _row_weights_not_transposed,
    ),
    Mistake(
        "returns_weights",
        "you returned the attention weights A' (batch, L, L) instead of the output: multiply "
        "the values by them, O = V A', shape (batch, d_v, L)",
        _returns_weights,
    ),
)


@exercise(
    "attention_columns",
    solution=attention_columns_reference,
    reference="helpers.scaled_dot_product_attention (transposed to columns)",
    mistakes=ATTENTION_COLUMNS_MISTAKES,
    hints=(
        "Follow the slide for each sequence I[b]: Q = W^q I, K = W^k I, V = W^v I, then "
        "A = K^T Q. With a batch in front, which axis is a column now, and what does .T do to "
        "a 3-D tensor?",
        "W_q @ I broadcasts over the batch. Transpose only the last two axes (K.mT or "
        "K.transpose(-2, -1)); column j of each A holds query j's scores, so softmax over "
        "dim=-2 (dim=0 is now the batch) after scaling by 1/sqrt(d_k), d_k = W_q.shape[0]; "
        "then O = V @ A'.",
        "Q, K, V = W_q @ I, W_k @ I, W_v @ I; A = K.mT @ Q / math.sqrt(W_q.shape[0]); return "
        "V @ torch.softmax(A, dim=-2)",
    ),
    diagnosis=Diagnosis(
        seq_dim=-1,  # tokens are the columns of O
        scaled_reference=_columns_scaled,
        scale_dim=lambda args: args[1].shape[0],  # d_k
    ),
    error_hints=(
        (
            ("cannot be multiplied", "size mismatch", "must match the size", "batch1"),
            "in the lecture's convention every matrix multiplies from the left: W_q (d_k, "
            "d_in) @ I (batch, d_in, L) gives Q (batch, d_k, L); A = K^T Q is (batch, L, L) "
            "and O = V @ A' is (batch, d_v, L). Transpose only the last two axes (.mT or "
            ".transpose(-2, -1)): on a 3-D tensor .T reverses all three",
        ),
    ),
)
def check_attention_columns(t: Tester) -> None:
    """Self-attention in the lecture's column convention, for a batch: O = V softmax(K^T Q/√d_k)."""
    # batch, d_in, d_k, d_v and L all differ, so a product with the wrong transpose cannot run
    # and a transposed output has the wrong shape.
    for batch, d_in, d_k, d_v, length, dtype in (
        (2, 5, 3, 4, 6, torch.float32),
        (3, 4, 6, 2, 5, torch.float32),
        (4, 3, 2, 5, 7, torch.float64),
    ):
        I = t.randn(batch, d_in, length, dtype=dtype)  # (batch, d_in, L): column j is a^j
        W_q = t.randn(d_k, d_in, dtype=dtype)  # (d_k, d_in)
        W_k = t.randn(d_k, d_in, dtype=dtype)  # (d_k, d_in)
        W_v = t.randn(d_v, d_in, dtype=dtype)  # (d_v, d_in)
        t.expect((I, W_q, W_k, W_v), attention_columns_reference(I, W_q, W_k, W_v))


# --------------------------------------------------------------------------- questions

question(
    "causal_first_last",
    module=__name__,
    hints=(
        "Look at the first and the last row of the causal mask: how many keys may each of "
        "these two queries attend to?",
        "The first query may attend to one key only (itself), so its one weight is e^s / e^s; "
        "the last query may attend to every key, so the mask removes nothing from its row.",
    ),
)
question(
    "meeting_memory",
    module=__name__,
    hints=(
        "Count the frames first: L = seconds × 100. Then the full matrix holds L² float32 "
        "numbers of 4 bytes each.",
        "L = 360,000, so 4 L² ≈ 5.2 × 10¹¹ bytes; a ±50 window keeps at most 101 entries per "
        "row, 4 × 101 × L bytes. Compare the two, and how each grows with L.",
    ),
)
