"""Exercise of notebook 02: ``attention_columns``, self-attention in the lecture's column
convention; the checks every exercise must pass are in ``test_exercises.py``. ``I`` is the
lecture's name for the input matrix, kept on purpose."""

# ruff: noqa: E741

from __future__ import annotations

import math

import exercise_cases
import torch

import helpers
from helpers.exercises.nb02_matrix_form import attention_columns_reference


def attention_columns(I, W_q, W_k, W_v):
    """A learner's answer, written as on the lecture's slide."""
    Q, K, V = W_q @ I, W_k @ I, W_v @ I  # (d_k, L), (d_k, L), (d_v, L)
    A = K.T @ Q / math.sqrt(Q.shape[0])  # (L, L): column j = query j
    return V @ torch.softmax(A, dim=0)  # (d_v, L)


def attention_columns_loops(I, W_q, W_k, W_v):
    """A learner's answer, one query (column) at a time."""
    columns = []
    for j in range(I.shape[1]):
        q = W_q @ I[:, j]  # (d_k,)
        scores = torch.stack([(W_k @ I[:, i]) @ q for i in range(I.shape[1])])  # (L,)
        weights = torch.softmax(scores / math.sqrt(q.shape[0]), dim=0)  # (L,)
        columns.append(sum(weights[i] * (W_v @ I[:, i]) for i in range(I.shape[1])))
    return torch.stack(columns, dim=1)  # (d_v, L)


test_right_answers_pass = exercise_cases.right_answers_pass(
    [("attention_columns", attention_columns), ("attention_columns", attention_columns_loops)]
)
test_case_counts = exercise_cases.case_counts_are({"attention_columns": 3})


def test_reference_is_the_transpose_of_the_row_convention():
    torch.manual_seed(0)
    d_in, d_k, d_v, L = 5, 3, 4, 6  # all different: a wrong transpose cannot pass
    X = torch.randn(L, d_in)  # (L, d_in): rows are tokens
    W_q, W_k, W_v = torch.randn(d_in, d_k), torch.randn(d_in, d_k), torch.randn(d_in, d_v)
    O_rows = helpers.scaled_dot_product_attention(X @ W_q, X @ W_k, X @ W_v)  # (L, d_v)
    O_columns = attention_columns(X.T, W_q.T, W_k.T, W_v.T)  # (d_v, L)
    assert O_columns.shape == (d_v, L)
    torch.testing.assert_close(O_columns, O_rows.T)
    torch.testing.assert_close(attention_columns_reference(X.T, W_q.T, W_k.T, W_v.T), O_rows.T)


def weights_and_values(I, W_q, W_k, W_v, queries_first=False, scale=None):
    Q, K, V = W_q @ I, W_k @ I, W_v @ I
    scale = 1 / math.sqrt(Q.shape[0]) if scale is None else scale
    A = (Q.T @ K if queries_first else K.T @ Q) * scale
    return A, V


def softmax_rows(I, W_q, W_k, W_v):
    A, V = weights_and_values(I, W_q, W_k, W_v)
    return V @ torch.softmax(A, dim=1)


def no_scale(I, W_q, W_k, W_v):
    A, V = weights_and_values(I, W_q, W_k, W_v, scale=1.0)
    return V @ torch.softmax(A, dim=0)


def scale_by_d_in(I, W_q, W_k, W_v):
    A, V = weights_and_values(I, W_q, W_k, W_v, scale=1 / math.sqrt(I.shape[0]))
    return V @ torch.softmax(A, dim=0)


def rows_convention(I, W_q, W_k, W_v):
    X = I.T
    A = (X @ W_q.T) @ (X @ W_k.T).T / math.sqrt(W_q.shape[0])
    return torch.softmax(A, dim=-1) @ (X @ W_v.T)  # (L, d_v)


def queries_first(I, W_q, W_k, W_v):
    A, V = weights_and_values(I, W_q, W_k, W_v, queries_first=True)
    return V @ torch.softmax(A, dim=0)


def row_weights_times_values(I, W_q, W_k, W_v):
    A, V = weights_and_values(I, W_q, W_k, W_v, queries_first=True)
    return V @ torch.softmax(A, dim=-1)


def returns_weights(I, W_q, W_k, W_v):
    A, _ = weights_and_values(I, W_q, W_k, W_v)
    return torch.softmax(A, dim=0)


def row_weight_matrices(I, W_q, W_k, W_v):
    Q = I.T @ W_q  # the code's X @ W_q with the lecture's (d_k, d_in) matrix: shapes clash
    return Q


test_mistakes_are_diagnosed = exercise_cases.mistakes_are_diagnosed(
    ("attention_columns", fn, keyword)
    for fn, keyword in [
        (softmax_rows, "dim=0"),
        (no_scale, "scale"),
        (scale_by_d_in, "sqrt(d_in)"),
        (rows_convention, "transpose"),
        (queries_first, "A = K^T Q"),
        (row_weights_times_values, "transpose your weights"),
        (returns_weights, "weights A' (L, L) instead of the output"),
        (row_weight_matrices, "shapes of a matrix product do not line up"),
        (lambda I, W_q, W_k, W_v: attention_columns(I, W_q, W_k, W_v).double(), "wrong dtype"),
    ]
)
test_diagnoses_are_registered = exercise_cases.diagnoses_are_registered(
    {
        "attention_columns": {
            "wrong axis",
            "scale",
            "transpose",
            "A = K^T Q",
            "instead of the output",
        }
    }
)
