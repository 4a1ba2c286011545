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


def softmax_logsumexp(x, dim):
    """The log-sum-exp formulation: exp(x - log sum exp x)."""
    return torch.exp(x - torch.logsumexp(x, dim=dim, keepdim=True))


def softmax_moved_axis(x, dim):
    """Move `dim` last, normalise the last axis, move it back."""
    moved = x.movedim(dim, -1)
    e = torch.exp(moved - moved.max(dim=-1, keepdim=True).values)
    return (e / e.sum(dim=-1, keepdim=True)).movedim(-1, dim)


def attention(q, k, v):
    scores = q @ k.T / math.sqrt(q.shape[-1])  # (L, S)
    return torch.softmax(scores, dim=-1) @ v  # (L, d_v)


def attention_einsum(q, k, v):
    scores = torch.einsum("ld,sd->ls", q, k) * q.shape[-1] ** -0.5  # (L, S)
    return torch.einsum("ls,sv->lv", scores.softmax(dim=1), v)


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
        ("softmax", softmax_logsumexp),
        ("softmax", lambda x, dim: torch.log_softmax(x, dim=dim).exp()),
        ("softmax", softmax_moved_axis),
        ("attention", attention),
        ("attention", helpers.scaled_dot_product_attention),
        ("attention", attention_einsum),
        ("attention", lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(q, k, v)),
        ("additive_score", additive_score),
        ("additive_score", additive_score_loops),
    ]
)
test_case_counts = exercise_cases.case_counts_are(
    {"softmax": 7, "attention": 3, "additive_score": 3}
)


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
            "broadcast (L, 1, h) + (1, S, h)",
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
            "precedence",
            "after the softmax",
            "axis",
            "attention weights (L, S) instead of the output",
            "transpose",
        },
        "additive_score": {"tanh", "separately", "learned vector w", "adds them", "transposed"},
    }
)


# --------------------------------------------------------------------------- plausible wrong
# answers, written as a learner would, none of them a registered mistake


@exercise_cases.wrong_answer("softmax", "overflow")
def softmax_min_shift(x, dim):
    """Shifts by the minimum: every exponent >= 0, the largest about exp(2000)."""
    e = torch.exp(x - x.amin(dim=dim, keepdim=True))
    return e / e.sum(dim=dim, keepdim=True)


@exercise_cases.wrong_answer("softmax", "unstable")
def softmax_mean_shift(x, dim):
    """Shifts by the mean: centred, but exp(1000) still overflows."""
    e = torch.exp(x - x.mean(dim=dim, keepdim=True))
    return e / e.sum(dim=dim, keepdim=True)


@exercise_cases.wrong_answer("softmax", "overflow")
def softmax_first_entry_shift(x, dim):
    """Shifts by the first score along `dim`."""
    e = torch.exp(x - x.narrow(dim, 0, 1))
    return e / e.sum(dim=dim, keepdim=True)


@exercise_cases.wrong_answer("softmax", "overflow")
def softmax_global_min_shift(x, dim):
    """Shifts by the minimum of the whole tensor."""
    e = torch.exp(x - x.min())
    return e / e.sum(dim=dim, keepdim=True)


@exercise_cases.wrong_answer("softmax", "clamp")
def softmax_clamped(x, dim):
    """Clamps the scores to avoid the overflow: ties every score above 80."""
    e = torch.exp(x.clamp(-80, 80))
    return e / e.sum(dim=dim, keepdim=True)


@exercise_cases.wrong_answer("softmax", "keepdim")
def softmax_max_without_keepdim(x, dim):
    e = torch.exp(x - x.max(dim=dim).values)
    return e / e.sum(dim=dim, keepdim=True)


@exercise_cases.wrong_answer("softmax", "sum to 1")
def softmax_shift_only_numerator(x, dim):
    """Shifted numerator, unshifted denominator."""
    return torch.exp(x - x.amax(dim=dim, keepdim=True)) / torch.exp(x).sum(dim=dim, keepdim=True)


@exercise_cases.wrong_answer("softmax", "sum to 1")
def softmax_divides_by_the_max(x, dim):
    e = torch.exp(x - x.amax(dim=dim, keepdim=True))
    return e / e.amax(dim=dim, keepdim=True)


@exercise_cases.wrong_answer("attention", "d/2")
def attention_times_d_half(q, k, v):
    """Meant `* d**-1/2`, wrote `* d**1/2`."""
    d = q.shape[-1]
    return torch.softmax(q @ k.T * d**1 / 2, dim=-1) @ v


@exercise_cases.wrong_answer("attention", "after the softmax")
def attention_scaled_values(q, k, v):
    """Scales the values instead of the scores."""
    return torch.softmax(q @ k.T, dim=-1) @ (v / math.sqrt(q.shape[-1]))


@exercise_cases.wrong_answer("attention", None)
def attention_scale_by_n_keys(q, k, v):
    """sqrt of the number of keys instead of the key size."""
    return torch.softmax(q @ k.T / math.sqrt(len(k)), dim=-1) @ v


@exercise_cases.wrong_answer("attention", None)
def attention_not_normalised(q, k, v):
    """exp of the scores, without dividing by their sum."""
    return torch.exp(q @ k.T / math.sqrt(q.shape[-1])) @ v


@exercise_cases.wrong_answer("attention", "transpose")
def attention_no_transpose(q, k, v):
    return torch.softmax(q @ k / math.sqrt(q.shape[-1]), dim=-1) @ v


@exercise_cases.wrong_answer("attention", "dtype")
def attention_in_float64(q, k, v):
    """Computes in float64 "for accuracy" and returns float64."""
    q, k, v = q.double(), k.double(), v.double()
    return torch.softmax(q @ k.T / math.sqrt(q.shape[-1]), dim=-1) @ v


@exercise_cases.wrong_answer("attention", "divided the scores by d")
def attention_sdpa_scale_one_over_d(q, k, v):
    """PyTorch's function, told the scale 1/d."""
    return torch.nn.functional.scaled_dot_product_attention(q, k, v, scale=1 / q.shape[-1])


@exercise_cases.wrong_answer("additive_score", "(L, 1, h) + (1, S, h)")
def additive_no_broadcast(q, k, W_q, W_k, w):
    return torch.tanh(q @ W_q + k @ W_k) @ w


@exercise_cases.wrong_answer("additive_score", "W_q")
def additive_swapped_matrices(q, k, W_q, W_k, w):
    return torch.tanh((q @ W_k)[:, None] + (k @ W_q)[None]) @ w


@exercise_cases.wrong_answer("additive_score", "transposed")
def additive_unsqueezed_the_other_way(q, k, W_q, W_k, w):
    return torch.tanh((q @ W_q).unsqueeze(0) + (k @ W_k).unsqueeze(1)) @ w


@exercise_cases.wrong_answer("additive_score", None)
def additive_w_inside_the_tanh(q, k, W_q, W_k, w):
    return torch.tanh(((q @ W_q)[:, None] + (k @ W_k)[None]) @ w)


@exercise_cases.wrong_answer("additive_score", None)
def additive_relu(q, k, W_q, W_k, w):
    return torch.relu((q @ W_q)[:, None] + (k @ W_k)[None]) @ w


@exercise_cases.wrong_answer("additive_score", "line up")
def additive_concatenated(q, k, W_q, W_k, w):
    """Concatenates the query and key parts instead of adding them."""
    query_part = (q @ W_q)[:, None].expand(-1, len(k), -1)
    key_part = (k @ W_k)[None].expand(len(q), -1, -1)
    return torch.tanh(torch.cat([query_part, key_part], dim=-1)) @ w


@exercise_cases.wrong_answer("additive_score", "dtype")
def additive_loops_float32(q, k, W_q, W_k, w):
    """Loops into a float32 buffer, whatever the input dtype."""
    out = torch.zeros(len(q), len(k))
    for i in range(len(q)):
        for j in range(len(k)):
            out[i, j] = torch.tanh(q[i] @ W_q + k[j] @ W_k) @ w
    return out


WRONG_ANSWERS = exercise_cases.wrong_answers_in(globals())
test_wrong_answers_fail = exercise_cases.wrong_answers_fail(WRONG_ANSWERS)
