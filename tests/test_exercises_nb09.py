"""Exercise checkers of notebook 09 (graph attention): right answers pass, stubs and classic
mistakes fail with a diagnosis naming what is wrong."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import helpers
from helpers.exercises import check, get_exercise, list_exercises

IDS = ("edge_softmax", "gat_scores")


def run(exercise_id, fn):
    return check(exercise_id, fn, quiet=True)


# --------------------------------------------------------------------------- right answers,
# written the way a learner would


def edge_softmax(scores, adjacency):
    return torch.softmax(scores.masked_fill(~adjacency, -math.inf), dim=-1)


def gat_scores_broadcast(z, a_self, a_neighbor):
    s_self = z @ a_self  # (N,)
    s_neighbor = z @ a_neighbor  # (N,)
    return F.leaky_relu(s_self[:, None] + s_neighbor[None, :], negative_slope=0.2)


def gat_scores_concat_loops(z, a_self, a_neighbor):
    """The paper's form a^T [z_i || z_j], one pair at a time."""
    a = torch.cat([a_self, a_neighbor])  # (2F,)
    n = z.shape[0]
    e = torch.zeros(n, n, dtype=z.dtype)
    for i in range(n):
        for j in range(n):
            e[i, j] = F.leaky_relu(a @ torch.cat([z[i], z[j]]), 0.2)
    return e


def gat_scores_where(z, a_self, a_neighbor):
    s = (z @ a_self).unsqueeze(-1) + (z @ a_neighbor).unsqueeze(-2)
    return torch.where(s > 0, s, 0.2 * s)


@pytest.mark.parametrize(
    ("exercise_id", "fn"),
    [
        ("edge_softmax", edge_softmax),
        ("gat_scores", gat_scores_broadcast),
        ("gat_scores", gat_scores_concat_loops),
        ("gat_scores", gat_scores_where),
        ("gat_scores", helpers.gat_scores),
        ("gat_scores", lambda z, a, b: torch.nn.LeakyReLU(0.2)((z @ a)[:, None] + z @ b)),
    ],
)
def test_right_answers_pass(exercise_id, fn):
    result = run(exercise_id, fn)
    assert result.passed, result.message
    assert result.message.startswith(f"✅ {exercise_id}: passed")


def test_exercises_are_registered_for_notebook_09():
    assert set(IDS) <= set(list_exercises())
    for exercise_id in IDS:
        assert get_exercise(exercise_id).notebook == "09"


@pytest.mark.parametrize("exercise_id", IDS)
def test_not_implemented_stub_fails(exercise_id):
    result = run(exercise_id, lambda *args: NotImplemented)
    assert not result.passed
    assert "not implemented yet" in result.message


# --------------------------------------------------------------------------- classic mistakes,
# written the way a learner would, each with the word its diagnosis must contain


def gat_no_activation(z, a_self, a_neighbor):
    return (z @ a_self)[:, None] + (z @ a_neighbor)[None, :]


LEARNER_MISTAKES = [
    (
        "gat_scores",
        lambda z, a, b: F.leaky_relu((z @ b)[:, None] + (z @ a)[None, :], 0.2),
        "transpose",
    ),
    ("gat_scores", lambda z, a, b: gat_scores_broadcast(z, a, b).T, "transpose"),
    ("gat_scores", gat_no_activation, "LeakyReLU is missing"),
    ("gat_scores", lambda z, a, b: F.leaky_relu(gat_no_activation(z, a, b)), "default is 0.01"),
    ("gat_scores", lambda z, a, b: torch.relu(gat_no_activation(z, a, b)), "ReLU"),
    (
        "gat_scores",
        lambda z, a, b: F.leaky_relu(z @ a, 0.2)[:, None] + F.leaky_relu(z @ b, 0.2)[None, :],
        "each term separately",
    ),
    ("gat_scores", lambda z, a, b: gat_scores_broadcast(z, a, a), "same vector"),
    ("gat_scores", lambda z, a, b: z @ z.T, "dot-product"),
    ("gat_scores", lambda z, a, b: gat_scores_broadcast(z, a, b).float(), "dtype"),
    ("gat_scores", lambda z, a, b: (z @ a)[:, None] + (z @ b), "LeakyReLU"),
    ("edge_softmax", lambda s, a: torch.softmax(s, dim=-1), "not masked"),
    ("edge_softmax", lambda s, a: torch.softmax(s.masked_fill(a, -math.inf), -1), "inverted"),
]


@pytest.mark.parametrize(("exercise_id", "fn", "keyword"), LEARNER_MISTAKES)
def test_learner_mistake_is_diagnosed(exercise_id, fn, keyword):
    result = run(exercise_id, fn)
    assert not result.passed
    assert result.message.startswith(f"❌ {exercise_id}: ")
    assert keyword in result.message, result.message


REGISTERED = [(i, m) for i in IDS for m in get_exercise(i).mistakes]


@pytest.mark.parametrize(
    ("exercise_id", "mistake"), REGISTERED, ids=[f"{i}-{m.name}" for i, m in REGISTERED]
)
def test_every_registered_mistake_fails_with_its_own_message(exercise_id, mistake):
    result = run(exercise_id, mistake.fn)
    assert not result.passed
    assert mistake.message in result.message


def test_gat_scores_checker_covers_negative_sums_and_non_square_inputs():
    # The slope mistakes can only be told apart when some pair sums are negative.
    generator = torch.Generator().manual_seed(0)
    z = torch.randn(5, 3, generator=generator)
    a_self, a_neighbor = torch.randn(3, generator=generator), torch.randn(3, generator=generator)
    assert (gat_no_activation(z, a_self, a_neighbor) < 0).any()
    messages = {run("gat_scores", m.fn).message for m in get_exercise("gat_scores").mistakes}
    assert len(messages) == len(get_exercise("gat_scores").mistakes)  # all distinct diagnoses
