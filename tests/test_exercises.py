"""Tests of helpers.exercises: right answers pass, classic mistakes fail with the right diagnosis,
and ``check`` never raises, whatever the learner's function does."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
import torch

import helpers
from helpers.exercises import _registry, check, get_exercise, list_exercises
from helpers.exercises._registry import Exercise, Mistake, exercise

IDS = ("attention", "edge_softmax", "local_mask", "sinusoidal_encoding", "softmax", "split_heads")


def run(exercise_id, fn, **kwargs):
    """``check`` without printing."""
    return check(exercise_id, fn, quiet=True, **kwargs)


# --------------------------------------------------------------------------- right answers,
# written the way a learner would (not by calling the reference)


def softmax(x, dim):
    shifted = x - x.max(dim=dim, keepdim=True).values
    e = shifted.exp()
    return e / e.sum(dim=dim, keepdim=True)


def attention(q, k, v):
    scores = q @ k.T / math.sqrt(q.shape[-1])  # (L, S)
    return torch.softmax(scores, dim=-1) @ v  # (L, d_v)


def split_heads(x, num_heads):
    batch, seq, d_model = x.shape
    return x.view(batch, seq, num_heads, d_model // num_heads).transpose(1, 2)


def sinusoidal_encoding(n_positions, d_model):
    pe = torch.zeros(n_positions, d_model)
    position = torch.arange(n_positions).unsqueeze(1)  # (n, 1)
    div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
    pe[:, 0::2] = torch.sin(position * div_term)
    pe[:, 1::2] = torch.cos(position * div_term)
    return pe


def sinusoidal_encoding_float64_loops(n_positions, d_model):
    pe = torch.zeros(n_positions, d_model, dtype=torch.float64)
    for p in range(n_positions):
        for i in range(d_model // 2):
            angle = p / 10000 ** (2 * i / d_model)
            pe[p, 2 * i], pe[p, 2 * i + 1] = math.sin(angle), math.cos(angle)
    return pe


def local_mask(L, left, right):
    mask = torch.zeros(L, L, dtype=torch.bool)
    for i in range(L):
        mask[i, max(0, i - left) : i + right + 1] = True
    return mask


def edge_softmax(scores, adjacency):
    scores = scores.masked_fill(~adjacency, float("-inf"))
    return torch.softmax(scores, dim=-1)


CORRECT = {
    "softmax": softmax,
    "attention": attention,
    "split_heads": split_heads,
    "sinusoidal_encoding": sinusoidal_encoding,
    "local_mask": local_mask,
    "edge_softmax": edge_softmax,
}


def test_list_exercises_has_the_six_ids_sorted():
    ids = list_exercises()
    assert set(IDS) <= set(ids)
    assert ids == sorted(ids)


@pytest.mark.parametrize("exercise_id", IDS)
def test_right_answer_passes(exercise_id, capsys):
    result = check(exercise_id, CORRECT[exercise_id])
    assert result.passed, result.message
    assert result.message.startswith(f"✅ {exercise_id}: passed")
    assert capsys.readouterr().out == result.message + "\n"  # printed once, as returned


@pytest.mark.parametrize(
    ("exercise_id", "fn"),
    [
        ("softmax", lambda x, dim: torch.softmax(x, dim=dim)),
        ("softmax", lambda x, dim: helpers.softmax(x, dim=dim)),
        ("attention", helpers.scaled_dot_product_attention),
        ("attention", lambda q, k, v: torch.nn.functional.scaled_dot_product_attention(q, k, v)),
        ("split_heads", helpers.split_heads),
        ("split_heads", lambda x, h: x.reshape(*x.shape[:2], h, -1).permute(0, 2, 1, 3)),
        ("sinusoidal_encoding", helpers.sinusoidal_encoding),
        ("sinusoidal_encoding", sinusoidal_encoding_float64_loops),
        ("local_mask", helpers.local_mask),
        ("edge_softmax", lambda scores, adjacency: helpers.softmax(scores, mask=adjacency)),
    ],
)
def test_other_right_answers_pass(exercise_id, fn):
    result = run(exercise_id, fn)
    assert result.passed, result.message


# --------------------------------------------------------------------------- classic mistakes,
# written the way a learner would, each with the word its diagnosis must contain


def softmax_no_max(x, dim):
    return x.exp() / x.exp().sum(dim=dim, keepdim=True)


def softmax_last_axis(x, dim):
    return torch.softmax(x, dim=-1)


def softmax_exp_only(x, dim):
    return torch.exp(x - x.max())


def attention_with_scores(q, k, v, scale, dim=-1, return_weights=False):
    weights = torch.softmax(q @ k.T * scale, dim=dim)  # (L, S)
    return weights if return_weights else weights @ v


def attention_keys_first(q, k, v):
    scores = k @ q.T / math.sqrt(q.shape[-1])  # (S, L): the transposed product
    return torch.softmax(scores, dim=-1) @ v


def attention_column_convention(q, k, v):
    a = k @ q.T / math.sqrt(q.shape[-1])  # (S, L): A = K^T Q with tokens as columns
    return v.T @ torch.softmax(a, dim=0)  # (d_v, L): O = V A'


def split_heads_no_transpose(x, num_heads):
    batch, seq, d_model = x.shape
    return x.view(batch, num_heads, seq, d_model // num_heads)


def sinusoidal(n_positions, d_model, base=10000.0, two=2, swap=False):
    p = torch.arange(n_positions, dtype=torch.float32)[:, None]  # (n, 1)
    i = torch.arange(d_model // 2, dtype=torch.float32)[None, :]  # (1, d / 2)
    angle = p / base ** (two * i / d_model)  # (n, d / 2)
    first, second = (
        (torch.cos(angle), torch.sin(angle)) if swap else (torch.sin(angle), torch.cos(angle))
    )
    return torch.stack([first, second], dim=-1).reshape(n_positions, d_model)


def local_mask_range(L, left, right, stop_offset=1, start_offset=0):
    mask = torch.zeros(L, L, dtype=torch.bool)
    for i in range(L):
        for j in range(i - left + start_offset, i + right + stop_offset):
            if 0 <= j < L:
                mask[i, j] = True
    return mask


def edge_softmax_zero_masked(scores, adjacency):
    return torch.softmax(scores * adjacency, dim=-1)


LEARNER_MISTAKES = [
    ("softmax", softmax_no_max, "numerically unstable, subtract the max"),
    ("softmax", softmax_last_axis, "axis"),
    ("softmax", lambda x, dim: torch.softmax(x, dim=0), "axis"),
    ("softmax", lambda x, dim: x.exp(), "not normalised"),
    ("softmax", softmax_exp_only, "not normalised"),
    ("softmax", lambda x, dim: torch.softmax(x, dim=dim).T, "transpose"),
    ("attention", lambda q, k, v: attention_with_scores(q, k, v, 1.0), "scale"),
    ("attention", lambda q, k, v: attention_with_scores(q, k, v, 1 / q.shape[-1]), "scale"),
    ("attention", lambda q, k, v: attention_with_scores(q, k, v, q.shape[-1] ** -0.5, 0), "axis"),
    (
        "attention",
        lambda q, k, v: attention_with_scores(q, k, v, q.shape[-1] ** -0.5, return_weights=True),
        "attention weights (L, S) instead of the output",
    ),
    ("attention", attention_keys_first, "transpose"),
    ("attention", attention_column_convention, "transpose"),
    ("split_heads", split_heads_no_transpose, "transpose"),
    ("split_heads", lambda x, h: x.view(*x.shape[:2], -1, h).transpose(1, 2), "swapped"),
    ("sinusoidal_encoding", lambda n, d: sinusoidal(n, d, swap=True), "swapped"),
    ("sinusoidal_encoding", lambda n, d: sinusoidal(n, d, two=1), "i/d_model"),
    ("sinusoidal_encoding", lambda n, d: sinusoidal(n, d, base=1000.0), "wrong base"),
    ("sinusoidal_encoding", lambda n, d: sinusoidal(n, d, base=1e5), "base=100000"),
    ("sinusoidal_encoding", lambda n, d: sinusoidal(n + 1, d)[1:], "positions start at 0"),
    ("local_mask", lambda L, le, r: local_mask_range(L, le, r, stop_offset=0), "too narrow"),
    ("local_mask", lambda L, le, r: local_mask_range(L, le, r, start_offset=1), "too narrow"),
    ("local_mask", lambda L, le, r: local_mask_range(L, le + 1, r + 1), "too wide"),
    ("local_mask", lambda L, le, r: local_mask_range(L, r, le), "swapped"),
    ("local_mask", lambda L, le, r: local_mask_range(L, le, r).T, "transposed"),
    ("local_mask", lambda L, le, r: local_mask_range(L, le, r).float(), "bool"),
    ("local_mask", lambda L, le, r: local_mask_range(L, le, r).int(), "bool"),
    ("local_mask", lambda L, le, r: ~local_mask_range(L, le, r), "inverted"),
    ("edge_softmax", lambda scores, adjacency: torch.softmax(scores, -1), "not masked"),
    ("edge_softmax", edge_softmax_zero_masked, "exp(0)"),
    ("edge_softmax", lambda s, a: torch.softmax(s.masked_fill(~a, -math.inf), 0), "axis"),
    ("edge_softmax", lambda s, a: torch.softmax(s, -1) * a, "renormalising"),
    ("edge_softmax", lambda s, a: torch.softmax(s.masked_fill(~a.T, -math.inf), -1), "transpose"),
]


@pytest.mark.parametrize(("exercise_id", "fn", "keyword"), LEARNER_MISTAKES)
def test_learner_mistake_is_diagnosed(exercise_id, fn, keyword):
    result = run(exercise_id, fn)
    assert not result.passed
    assert result.message.startswith(f"❌ {exercise_id}: ")
    assert keyword in result.message


# Every exercise of every notebook, including those added after the first six.
REGISTERED_MISTAKES = [
    (exercise_id, mistake)
    for exercise_id in list_exercises()
    for mistake in get_exercise(exercise_id).mistakes
]


@pytest.mark.parametrize(
    ("exercise_id", "mistake"),
    REGISTERED_MISTAKES,
    ids=[f"{exercise_id}-{mistake.name}" for exercise_id, mistake in REGISTERED_MISTAKES],
)
def test_every_registered_mistake_is_told_apart(exercise_id, mistake):
    # The checker's inputs must separate each mistake from the right answer and from the
    # mistakes registered before it, or the learner would get another diagnosis.
    result = run(exercise_id, mistake.fn)
    assert not result.passed
    assert mistake.message in result.message


def test_required_diagnoses_are_registered():
    required = {
        "softmax": {"subtract the max", "axis", "not normalised"},
        "attention": {
            "scale",
            "axis",
            "attention weights (L, S) instead of the output",
            "transpose",
        },
        "split_heads": {"transpose"},
        "sinusoidal_encoding": {"swapped", "2i/d_model", "base"},
        "local_mask": {"too narrow", "too wide", "transposed", "bool"},
        "edge_softmax": {"not masked", "axis"},
    }
    for exercise_id, keywords in required.items():
        messages = " ".join(m.message for m in get_exercise(exercise_id).mistakes)
        assert all(word in messages for word in keywords), exercise_id


# --------------------------------------------------------------------------- anything else
# the learner's function may do


def test_not_implemented_stub():
    result = run("softmax", lambda x, dim: NotImplemented)
    assert not result.passed
    assert "not implemented yet: replace the `# YOUR CODE HERE` line" in result.message


def test_not_implemented_error():
    def stub(q, k, v):
        raise NotImplementedError

    assert "not implemented yet" in run("attention", stub).message


def test_function_that_raises():
    def broken(x, num_heads):
        raise ValueError("boom")

    result = run("split_heads", broken)
    assert not result.passed
    assert "raised ValueError: boom" in result.message
    assert "num_heads = 3" in result.message  # the test case is described


def test_wrong_number_of_parameters_names_the_signature():
    result = run("attention", lambda q, k: q)
    assert "raised TypeError" in result.message
    assert "it is called as fn(q, k, v) -> Tensor" in result.message


def test_function_that_hangs_is_abandoned():
    start = time.perf_counter()
    result = run("softmax", lambda x, dim: time.sleep(2.0), time_limit=0.2)
    assert time.perf_counter() - start < 1.5
    assert not result.passed
    assert "did not return within 0.2 s" in result.message


def test_time_limit_is_per_call_and_slow_enough_answers_pass():
    def slowish(x, dim):
        time.sleep(0.01)
        return softmax(x, dim)

    assert run("softmax", slowish, time_limit=1.0).passed


def test_returns_none():
    result = run("local_mask", lambda L, left, right: None)
    assert not result.passed
    assert "returned None" in result.message


@pytest.mark.parametrize(
    ("garbage", "words"),
    [
        ("hello", "returned a str; it must return a torch.Tensor"),
        ([[0.5, 0.5]], "returned a list"),
        (np.zeros((3, 5)), "returned a numpy.ndarray"),
        ((torch.zeros(3, 6), torch.zeros(3, 5)), "tuple of 2 items"),
        (torch.zeros(6, 3), "wrong shape: expected (3, 6), got (6, 3)"),
        (torch.zeros(3, 6, dtype=torch.float64), "wrong dtype: expected torch.float32"),
        (torch.zeros(3, 6, dtype=torch.long), "floating-point"),
        (torch.full((3, 6), math.nan), "NaN"),
        (torch.full((3, 6), math.inf), "inf"),
        (torch.zeros(3, 6), "wrong values"),
    ],
)
def test_returns_garbage(garbage, words):
    result = run("attention", lambda q, k, v: garbage)
    assert not result.passed
    assert words in result.message


def test_mutating_the_inputs_fails_even_with_the_right_output():
    def softmax_in_place(x, dim):
        x -= x.max(dim=dim, keepdim=True).values
        x.exp_()
        return x / x.sum(dim=dim, keepdim=True)

    def edge_softmax_in_place(scores, adjacency):
        scores[~adjacency] = -math.inf
        return torch.softmax(scores, dim=-1)

    result = run("softmax", softmax_in_place)
    assert not result.passed
    assert "modified its input `x` in place" in result.message
    assert (
        "modified its input `scores` in place" in run("edge_softmax", edge_softmax_in_place).message
    )


def test_wrong_values_message_names_the_largest_error():
    result = run("softmax", lambda x, dim: torch.softmax(x, dim=dim) + 0.25)
    assert "wrong values: the largest difference from the reference is 2.50e-01" in result.message


# --------------------------------------------------------------------------- check() itself


def test_unknown_id_fails_without_raising(capsys):
    result = check("no_such_exercise", softmax)
    assert not result.passed
    assert result.message.startswith("❌ no_such_exercise: unknown exercise id")
    assert all(repr(i) in result.message for i in IDS)
    assert "unknown exercise id" in capsys.readouterr().out


def test_not_a_function():
    result = run("softmax", softmax(torch.zeros(2, 3), -1))
    assert not result.passed
    assert "expected a function" in result.message


def test_messages_are_reproducible():
    first = run("attention", lambda q, k, v: attention(q, k, v) * 1.1)
    second = run("attention", lambda q, k, v: attention(q, k, v) * 1.1)
    assert first.message == second.message
    assert "0x" not in first.message


def test_repr_is_short():
    assert repr(run("softmax", softmax)) == "CheckResult(exercise_id='softmax', passed=True)"


def test_a_broken_checker_is_reported_as_a_course_bug(monkeypatch):
    def checker(t):
        raise AttributeError("the reference is missing")

    broken = Exercise("broken", checker, "fn(x) -> Tensor", "99", None, (), ("x",))
    monkeypatch.setitem(_registry._REGISTRY, "broken", broken)
    result = run("broken", lambda x: x)
    assert not result.passed
    assert "bug in the course" in result.message


def test_exercise_decorator_validates_its_arguments():
    with pytest.raises(ValueError, match="signature"):
        exercise("x", signature="takes q and k", notebook="99")
    twice = [Mistake("same", "a", softmax), Mistake("same", "b", softmax)]
    with pytest.raises(ValueError, match="unique"):
        exercise("x", signature="fn(x, dim)", notebook="99", mistakes=twice)
    with pytest.raises(ValueError, match="already registered"):
        exercise("softmax", signature="fn(x, dim)", notebook="99")(lambda t: None)


def test_exercise_metadata():
    info = get_exercise("attention")
    assert info.signature == "fn(q, k, v) -> Tensor"
    assert info.param_names == ("q", "k", "v")
    assert info.notebook == "01"
    assert info.summary
