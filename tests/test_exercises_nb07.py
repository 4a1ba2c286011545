"""Exercise of notebook 07: ``conv_head_attention``, one head of the conv-as-attention
construction; the checks every exercise must pass are in ``test_exercises.py``."""

from __future__ import annotations

import math

import exercise_cases
import torch

import helpers
import helpers.exercises

EXERCISE = "conv_head_attention"


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


test_right_answers_pass = exercise_cases.right_answers_pass(
    (EXERCISE, fn)
    for fn in (
        head_attention,
        head_attention_loops,
        head_attention_with_helpers,
        lambda *args: head_attention(*args).double(),  # float64 is accepted
    )
)
test_case_counts = exercise_cases.case_counts_are({EXERCISE: 4})


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


test_mistakes_are_diagnosed = exercise_cases.mistakes_are_diagnosed(
    (EXERCISE, fn, keyword)
    for fn, keyword in [
        (lambda c, h, w, p, a: learner(c, h, w, p, a, no_pad=True), "zero-padded"),
        (lambda c, h, w, p, a: learner(c, h, w, p, a).T, "transposed"),
        (lambda c, h, w, p, a: learner(c, h, w, p, a, sign=1), "minus sign"),
        (lambda c, h, w, p, a: learner(c, h, w, p, a, dim=0), "axis"),
        (lambda c, h, w, p, a: learner((0, 0), h, w, p, a), "center"),
        (lambda c, h, w, p, a: learner(c, h, w, p, a, flip=True), "direction"),
        (lambda c, h, w, p, a: learner(c, h, w, p, a, swap=True), "swapped"),
        (lambda c, h, w, p, a: learner(c, h, w, p, a, fixed_alpha=1.0), "alpha is missing"),
        (lambda c, h, w, p, a: learner(c, h, w, p, a, sqrt=True), "squared"),
        (lambda *args: head_attention(*args) * 0.9, "not normalised"),  # not a known mistake
        (
            lambda center, height, width, padding: center,  # forgot alpha: TypeError
            "it is called as fn(center, height, width, padding, alpha) -> Tensor. Test case: "
            "center = (0, 0), height = 3, width = 4, padding = 1, alpha = 2.0",
        ),
    ]
)


def test_checker_cases_include_a_sharp_one_hot_head():
    # the last case uses alpha = 40: the construction's regime, where each head is one-hot
    weights = head_attention((1, -2), 3, 5, 2, 40.0)
    assert math.isclose(float(weights.max(-1).values.min()), 1.0, abs_tol=1e-6)


def test_the_exercise_has_hints():
    assert len(helpers.exercises.get_exercise(EXERCISE).hints) >= 2


# --------------------------------------------------------------------------- wrong answers a
# learner writes, not copies of the registered mistakes (fed to course_tools.exercise_audit)


@exercise_cases.wrong_answer(EXERCISE, "wrong places")
def column_major_grids(center, height, width, padding, alpha):
    """indexing="xy": pixels numbered column by column, for queries and keys alike."""
    rows, cols = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="xy")
    queries = torch.stack([rows.flatten(), cols.flatten()], dim=1) + padding
    key_rows, key_cols = torch.meshgrid(
        torch.arange(height + 2 * padding), torch.arange(width + 2 * padding), indexing="xy"
    )
    keys = torch.stack([key_rows.flatten(), key_cols.flatten()], dim=1)
    delta = (keys[None] - queries[:, None]).float()
    return torch.softmax(-alpha * ((delta - torch.tensor(center).float()) ** 2).sum(-1), dim=-1)


@exercise_cases.wrong_answer(EXERCISE, "not normalised")
def exp_without_normalising(center, height, width, padding, alpha):
    queries, keys = keys_and_queries(height, width, padding)
    delta = (keys[None] - queries[:, None]).float()
    return torch.exp(-alpha * ((delta - torch.tensor(center).float()) ** 2).sum(-1))


@exercise_cases.wrong_answer(EXERCISE, "not normalised")
def softmax_over_everything(center, height, width, padding, alpha):
    queries, keys = keys_and_queries(height, width, padding)
    delta = (keys[None] - queries[:, None]).float()
    scores = -alpha * ((delta - torch.tensor(center).float()) ** 2).sum(-1)  # (L, S)
    return torch.softmax(scores.flatten(), dim=0).reshape(scores.shape)


@exercise_cases.wrong_answer(EXERCISE, "not normalised")
def log_weights(center, height, width, padding, alpha):
    queries, keys = keys_and_queries(height, width, padding)
    delta = (keys[None] - queries[:, None]).float()
    return torch.log_softmax(-alpha * ((delta - torch.tensor(center).float()) ** 2).sum(-1), -1)


@exercise_cases.wrong_answer(EXERCISE, "hard-coded")
def query_shift_hard_coded(center, height, width, padding, alpha):
    queries, keys = keys_and_queries(height, width, padding)
    queries = queries - padding + 1  # "the padding is 1"
    delta = (keys[None] - queries[:, None]).float()
    return torch.softmax(-alpha * ((delta - torch.tensor(center).float()) ** 2).sum(-1), dim=-1)


@exercise_cases.wrong_answer(EXERCISE, None)
def divides_by_alpha(center, height, width, padding, alpha):
    queries, keys = keys_and_queries(height, width, padding)
    delta = (keys[None] - queries[:, None]).float()
    return torch.softmax(-((delta - torch.tensor(center).float()) ** 2).sum(-1) / alpha, dim=-1)


@exercise_cases.wrong_answer(EXERCISE, None)
def manhattan_distance(center, height, width, padding, alpha):
    queries, keys = keys_and_queries(height, width, padding)
    delta = (keys[None] - queries[:, None]).float()
    return torch.softmax(-alpha * (delta - torch.tensor(center).float()).abs().sum(-1), dim=-1)


@exercise_cases.wrong_answer(EXERCISE, "keys[None, :, :] - queries[:, None, :]")
def keys_not_expanded(center, height, width, padding, alpha):
    queries, keys = keys_and_queries(height, width, padding)
    delta = (keys - queries).float()  # no None: (L, 2) - (S, 2)
    return torch.softmax(-alpha * ((delta - torch.tensor(center).float()) ** 2).sum(-1), dim=-1)


@exercise_cases.wrong_answer(EXERCISE, "torch.tensor(center")
def center_as_tuple(center, height, width, padding, alpha):
    queries, keys = keys_and_queries(height, width, padding)
    delta = (keys[None] - queries[:, None]).float()
    return torch.softmax(-alpha * ((delta - center) ** 2).sum(-1), dim=-1)


WRONG_ANSWERS = exercise_cases.wrong_answers_in(globals())
test_wrong_answers_fail = exercise_cases.wrong_answers_fail(WRONG_ANSWERS)
