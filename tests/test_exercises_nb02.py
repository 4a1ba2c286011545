"""Exercise of notebook 02: ``attention_columns``, self-attention in the lecture's column
convention for a batch of sequences; the checks every exercise must pass are in
``test_exercises.py``. ``I`` is the lecture's name for the input matrix, kept on purpose."""

# ruff: noqa: E741

from __future__ import annotations

import math

import exercise_cases
import torch

import helpers
from helpers.exercises.nb02_matrix_form import attention_columns_reference

# --------------------------------------------------------------------------- right answers,
# written the way a learner would


def attention_columns(I, W_q, W_k, W_v):
    """A learner's answer, written as on the lecture's slide."""
    Q, K, V = W_q @ I, W_k @ I, W_v @ I  # (batch, d_k, L), (batch, d_k, L), (batch, d_v, L)
    A = K.mT @ Q / math.sqrt(W_q.shape[0])  # (batch, L, L): column j = query j
    return V @ torch.softmax(A, dim=-2)  # (batch, d_v, L)


def attention_columns_loops(I, W_q, W_k, W_v):
    """A learner's answer, one sequence and one query (column) at a time."""
    outputs = []
    for sequence in I:  # (d_in, L)
        columns = []
        for j in range(sequence.shape[1]):
            q = W_q @ sequence[:, j]  # (d_k,)
            keys = [W_k @ sequence[:, i] for i in range(sequence.shape[1])]
            scores = torch.stack([k @ q for k in keys])  # (L,)
            weights = torch.softmax(scores / math.sqrt(q.shape[0]), dim=0)  # (L,)
            columns.append(sum(w * (W_v @ sequence[:, i]) for i, w in enumerate(weights)))
        outputs.append(torch.stack(columns, dim=1))  # (d_v, L)
    return torch.stack(outputs)  # (batch, d_v, L)


def attention_columns_einsum(I, W_q, W_k, W_v):
    Q, K, V = (torch.einsum("kd,bdl->bkl", W, I) for W in (W_q, W_k, W_v))
    A = torch.einsum("bki,bkj->bij", K, Q) / W_q.shape[0] ** 0.5  # A[b, i, j] = k^i . q^j
    return torch.einsum("bvi,bij->bvj", V, torch.softmax(A, dim=1))


def attention_columns_transpose(I, W_q, W_k, W_v):
    Q, K, V = W_q @ I, W_k @ I, W_v @ I
    A = K.transpose(1, 2) @ Q / math.sqrt(Q.shape[1])
    return V @ torch.softmax(A, dim=1)


test_right_answers_pass = exercise_cases.right_answers_pass(
    [
        ("attention_columns", attention_columns),
        ("attention_columns", attention_columns_loops),
        ("attention_columns", attention_columns_einsum),
        ("attention_columns", attention_columns_transpose),
    ]
)
test_case_counts = exercise_cases.case_counts_are({"attention_columns": 3})


def test_reference_is_the_transpose_of_the_row_convention():
    torch.manual_seed(0)
    batch, d_in, d_k, d_v, L = 2, 5, 3, 4, 6  # all different: a wrong transpose cannot pass
    X = torch.randn(batch, L, d_in)  # (batch, L, d_in): rows are tokens
    W_q, W_k, W_v = torch.randn(d_in, d_k), torch.randn(d_in, d_k), torch.randn(d_in, d_v)
    O_rows = helpers.scaled_dot_product_attention(X @ W_q, X @ W_k, X @ W_v)  # (batch, L, d_v)
    O_columns = attention_columns(X.mT, W_q.T, W_k.T, W_v.T)  # (batch, d_v, L)
    assert O_columns.shape == (batch, d_v, L)
    torch.testing.assert_close(O_columns, O_rows.mT)
    torch.testing.assert_close(attention_columns_reference(X.mT, W_q.T, W_k.T, W_v.T), O_rows.mT)


# --------------------------------------------------------------------------- learner mistakes
# (each registered mistake is also fed to the checker by test_exercises.py)


def weights_and_values(I, W_q, W_k, W_v, queries_first=False, scale=None):
    Q, K, V = W_q @ I, W_k @ I, W_v @ I
    scale = 1 / math.sqrt(Q.shape[-2]) if scale is None else scale
    A = (Q.mT @ K if queries_first else K.mT @ Q) * scale
    return A, V


def softmax_dim_0_as_in_section_2(I, W_q, W_k, W_v):
    A, V = weights_and_values(I, W_q, W_k, W_v)
    return V @ torch.softmax(A, dim=0)


def softmax_rows(I, W_q, W_k, W_v):
    A, V = weights_and_values(I, W_q, W_k, W_v)
    return V @ torch.softmax(A, dim=-1)


def no_scale(I, W_q, W_k, W_v):
    A, V = weights_and_values(I, W_q, W_k, W_v, scale=1.0)
    return V @ torch.softmax(A, dim=-2)


def rows_convention(I, W_q, W_k, W_v):
    X = I.mT
    A = (X @ W_q.T) @ (X @ W_k.T).mT / math.sqrt(W_q.shape[0])
    return torch.softmax(A, dim=-1) @ (X @ W_v.T)  # (batch, L, d_v)


def returns_weights(I, W_q, W_k, W_v):
    A, _ = weights_and_values(I, W_q, W_k, W_v)
    return torch.softmax(A, dim=-2)


def dot_T_on_a_batch(I, W_q, W_k, W_v):
    Q, K, V = W_q @ I, W_k @ I, W_v @ I
    A = K.T @ Q / math.sqrt(W_q.shape[0])  # .T reverses all three axes
    return V @ torch.softmax(A, dim=-2)


test_mistakes_are_diagnosed = exercise_cases.mistakes_are_diagnosed(
    ("attention_columns", fn, keyword)
    for fn, keyword in [
        (softmax_dim_0_as_in_section_2, "batch axis"),
        (softmax_rows, "dim=-2"),
        (no_scale, "scale"),
        (rows_convention, "transpose"),
        (returns_weights, "weights A' (batch, L, L) instead of the output"),
        (dot_T_on_a_batch, ".T reverses all three"),
    ]
)
test_diagnoses_are_registered = exercise_cases.diagnoses_are_registered(
    {
        "attention_columns": {
            "wrong axis",
            "batch axis",
            "scale",
            "transpose",
            "A = K^T Q",
            "instead of the output",
            "after the softmax",
        }
    }
)


# --------------------------------------------------------------------------- wrong answers
# plausible learner code, none of them a registered mistake


@exercise_cases.wrong_answer("attention_columns", "d**1/2")
def scale_operator_precedence(I, W_q, W_k, W_v):
    Q, K, V = W_q @ I, W_k @ I, W_v @ I
    A = K.mT @ Q / W_q.shape[0] ** 1 / 2  # meant d_k ** (1/2)
    return V @ torch.softmax(A, dim=-2)


@exercise_cases.wrong_answer("attention_columns", "square root")
def scale_one_over_d_k(I, W_q, W_k, W_v):
    Q, K, V = W_q @ I, W_k @ I, W_v @ I
    return V @ torch.softmax(K.mT @ Q / W_q.shape[0], dim=-2)


@exercise_cases.wrong_answer("attention_columns", "hard-coded")
def scale_hard_coded(I, W_q, W_k, W_v):
    Q, K, V = W_q @ I, W_k @ I, W_v @ I
    return V @ torch.softmax(K.mT @ Q / math.sqrt(3), dim=-2)  # d_k of the first example


@exercise_cases.wrong_answer("attention_columns", "after the softmax")
def values_scaled_instead(I, W_q, W_k, W_v):
    Q, K, V = W_q @ I, W_k @ I, W_v @ I
    return (V / math.sqrt(W_q.shape[0])) @ torch.softmax(K.mT @ Q, dim=-2)


@exercise_cases.wrong_answer("attention_columns", "wrong axis")
def manual_softmax_wrong_axis(I, W_q, W_k, W_v):
    Q, K, V = W_q @ I, W_k @ I, W_v @ I
    E = torch.exp(K.mT @ Q / math.sqrt(W_q.shape[0]))
    return V @ (E / E.sum(dim=-1, keepdim=True))  # normalised along each row


@exercise_cases.wrong_answer("attention_columns", "transpose your weights")
def weights_on_the_left(I, W_q, W_k, W_v):
    Q, K, V = W_q @ I, W_k @ I, W_v @ I
    A_prime = torch.softmax(K.mT @ Q / math.sqrt(W_q.shape[0]), dim=-2)
    return (A_prime @ V.mT).mT  # (V A'^T): the weights used transposed


@exercise_cases.wrong_answer("attention_columns", "multiplied by sqrt(d)")
def scale_multiplied(I, W_q, W_k, W_v):
    Q, K, V = W_q @ I, W_k @ I, W_v @ I
    return V @ torch.softmax(K.mT @ Q * math.sqrt(W_q.shape[0]), dim=-2)  # not divided


@exercise_cases.wrong_answer("attention_columns", "wrong axis")
def softmax_dim_1_of_the_scores_per_key(I, W_q, W_k, W_v):
    Q, K, V = W_q @ I, W_k @ I, W_v @ I
    A = Q.mT @ K / math.sqrt(W_q.shape[0])  # rows = queries
    return (torch.softmax(A, dim=1) @ V.mT).mT  # softmax down the queries


WRONG_ANSWERS = exercise_cases.wrong_answers_in(globals())
test_wrong_answers_fail = exercise_cases.wrong_answers_fail(WRONG_ANSWERS)
