"""Exercises of notebook 09 (graph attention): ``edge_softmax`` and ``gat_scores``; the checks
every exercise must pass are in ``test_exercises.py``."""

from __future__ import annotations

import math

import exercise_cases
import torch
import torch.nn.functional as F

import helpers
from helpers.exercises import get_exercise

# --------------------------------------------------------------------------- right answers,
# written the way a learner would


def edge_softmax(scores, adjacency):
    return torch.softmax(scores.masked_fill(~adjacency, -math.inf), dim=-1)


def edge_softmax_masked_fill_float(scores, adjacency):
    scores = scores.masked_fill(~adjacency, float("-inf"))
    return torch.softmax(scores, dim=-1)


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


test_right_answers_pass = exercise_cases.right_answers_pass(
    [
        ("edge_softmax", edge_softmax),
        ("edge_softmax", edge_softmax_masked_fill_float),
        ("edge_softmax", lambda scores, adjacency: helpers.softmax(scores, mask=adjacency)),
        ("gat_scores", gat_scores_broadcast),
        ("gat_scores", gat_scores_concat_loops),
        ("gat_scores", gat_scores_where),
        ("gat_scores", helpers.gat_scores),
        ("gat_scores", lambda z, a, b: torch.nn.LeakyReLU(0.2)((z @ a)[:, None] + z @ b)),
    ]
)


# --------------------------------------------------------------------------- classic mistakes,
# written the way a learner would, each with the word its diagnosis must contain


def gat_no_activation(z, a_self, a_neighbor):
    return (z @ a_self)[:, None] + (z @ a_neighbor)[None, :]


def edge_softmax_zero_masked(scores, adjacency):
    return torch.softmax(scores * adjacency, dim=-1)


test_mistakes_are_diagnosed = exercise_cases.mistakes_are_diagnosed(
    [
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
        ("edge_softmax", edge_softmax_zero_masked, "exp(0)"),
        ("edge_softmax", lambda s, a: torch.softmax(s.masked_fill(~a, -math.inf), 0), "axis"),
        ("edge_softmax", lambda s, a: torch.softmax(s, -1) * a, "renormalising"),
        (
            "edge_softmax",
            lambda s, a: torch.softmax(s.masked_fill(~a.T, -math.inf), -1),
            "transpose",
        ),
    ]
)
test_diagnoses_are_registered = exercise_cases.diagnoses_are_registered(
    {"edge_softmax": {"not masked", "axis"}}
)


def test_gat_scores_checker_covers_negative_sums_and_non_square_inputs():
    # The slope mistakes can only be told apart when some pair sums are negative.
    generator = torch.Generator().manual_seed(0)
    z = torch.randn(5, 3, generator=generator)
    a_self, a_neighbor = torch.randn(3, generator=generator), torch.randn(3, generator=generator)
    assert (gat_no_activation(z, a_self, a_neighbor) < 0).any()
    messages = {
        exercise_cases.run("gat_scores", m.fn).message for m in get_exercise("gat_scores").mistakes
    }
    assert len(messages) == len(get_exercise("gat_scores").mistakes)  # all distinct diagnoses
