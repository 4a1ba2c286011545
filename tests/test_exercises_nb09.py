"""Exercises of notebook 09 (graph attention): ``edge_softmax`` and ``gat_edge_scores``; the
checks every exercise must pass are in ``test_exercises.py``."""

from __future__ import annotations

import math

import exercise_cases
import torch
import torch.nn.functional as F

import helpers
from helpers.exercises import get_exercise

# --------------------------------------------------------------------------- right answers,
# written the way a learner would


def edge_softmax_where(scores, adjacency):
    weights = torch.softmax(scores.masked_fill(~adjacency, -math.inf), dim=-1)
    return torch.where(adjacency, weights, torch.zeros_like(weights))


def edge_softmax_nan_to_num(scores, adjacency):
    return torch.softmax(scores.masked_fill(~adjacency, float("-inf")), dim=-1).nan_to_num(0.0)


def edge_softmax_by_hand(scores, adjacency):
    masked = scores.masked_fill(~adjacency, -math.inf)
    row_max = masked.amax(dim=-1, keepdim=True)
    row_max = torch.where(torch.isinf(row_max), torch.zeros_like(row_max), row_max)
    e = torch.exp(masked - row_max)  # 0 on non-edges
    return e / e.sum(dim=-1, keepdim=True).clamp(min=torch.finfo(e.dtype).tiny)


def edge_softmax_logsumexp(scores, adjacency):
    masked = scores.masked_fill(~adjacency, -math.inf)
    log_total = torch.logsumexp(masked, dim=-1, keepdim=True)  # -inf for an empty row
    return torch.exp(masked - log_total).nan_to_num(0.0)


def edge_softmax_loop(scores, adjacency):
    out = torch.zeros_like(scores)
    flat_scores, flat_adj = (
        scores.reshape(-1, scores.shape[-1]),
        adjacency.reshape(-1, scores.shape[-1]),
    )
    flat_out = out.view(-1, scores.shape[-1])
    for row in range(flat_scores.shape[0]):
        keep = flat_adj[row]
        if keep.any():
            flat_out[row, keep] = torch.softmax(flat_scores[row, keep], dim=0)
    return out


def gat_edge_scores_gather(z, a_self, a_neighbor, edges):
    i, j = edges[:, 0], edges[:, 1]
    return F.leaky_relu(z[i] @ a_self + z[j] @ a_neighbor, negative_slope=0.2)


def gat_edge_scores_per_node_first(z, a_self, a_neighbor, edges):
    s_self, s_neighbor = z @ a_self, z @ a_neighbor  # (N,) each: two dot products per node
    pair = s_self[edges[:, 0]] + s_neighbor[edges[:, 1]]
    return torch.where(pair > 0, pair, 0.2 * pair)


def gat_edge_scores_concat(z, a_self, a_neighbor, edges):
    """The paper's form a^T [z_i || z_j]."""
    pairs = torch.cat([z[edges[:, 0]], z[edges[:, 1]]], dim=-1)  # (E, 2F)
    return F.leaky_relu(pairs @ torch.cat([a_self, a_neighbor]), 0.2)


def gat_edge_scores_loop(z, a_self, a_neighbor, edges):
    scores = []
    for i, j in edges.tolist():
        scores.append(F.leaky_relu(a_self @ z[i] + a_neighbor @ z[j], 0.2))
    return torch.stack(scores)


test_right_answers_pass = exercise_cases.right_answers_pass(
    [
        ("edge_softmax", edge_softmax_where),
        ("edge_softmax", edge_softmax_nan_to_num),
        ("edge_softmax", edge_softmax_by_hand),
        ("edge_softmax", edge_softmax_logsumexp),
        ("edge_softmax", edge_softmax_loop),
        ("edge_softmax", lambda scores, adjacency: helpers.softmax(scores, mask=adjacency)),
        ("gat_edge_scores", gat_edge_scores_gather),
        ("gat_edge_scores", gat_edge_scores_per_node_first),
        ("gat_edge_scores", gat_edge_scores_concat),
        ("gat_edge_scores", gat_edge_scores_loop),
        ("gat_edge_scores", lambda z, a, b, e: helpers.gat_scores(z, a, b)[e[:, 0], e[:, 1]]),
        (
            "gat_edge_scores",
            lambda z, a, b, e: torch.maximum(g := (z @ a)[e[:, 0]] + (z @ b)[e[:, 1]], 0.2 * g),
        ),
    ]
)
test_case_counts = exercise_cases.case_counts_are({"edge_softmax": 4, "gat_edge_scores": 3})


# --------------------------------------------------------------------------- registered
# mistakes, written the way a learner would, each with the word its diagnosis must contain


def lesson_two_lines(scores, adjacency):
    e_masked = scores.masked_fill(~adjacency, float("-inf"))
    return torch.softmax(e_masked, dim=-1)


def exp_by_hand(scores, adjacency):
    e = torch.exp(scores.masked_fill(~adjacency, -math.inf))
    total = e.sum(dim=-1, keepdim=True)
    return e / torch.where(total > 0, total, torch.ones_like(total))


test_mistakes_are_diagnosed = exercise_cases.mistakes_are_diagnosed(
    [
        ("edge_softmax", lesson_two_lines, "no edge at all"),
        ("edge_softmax", exp_by_hand, "unstable"),
        ("edge_softmax", lambda s, a: torch.softmax(s, dim=-1), "not masked"),
        ("edge_softmax", lambda s, a: edge_softmax_where(s, ~a), "inverted"),
        ("edge_softmax", lambda s, a: edge_softmax_where(s.mT, a.mT).mT, "axis"),
        ("edge_softmax", lambda s, a: edge_softmax_where(s, a.mT), "transposed"),
        ("edge_softmax", lambda s, a: torch.softmax(s, -1) * a, "renormalising"),
        ("gat_edge_scores", lambda z, a, b, e: gat_edge_scores_gather(z, b, a, e), "swapped"),
        ("gat_edge_scores", lambda z, a, b, e: z[e[:, 0]] @ a + z[e[:, 1]] @ b, "LeakyReLU"),
        (
            "gat_edge_scores",
            lambda z, a, b, e: F.leaky_relu(z[e[:, 0]] @ a + z[e[:, 1]] @ b),
            "default is 0.01",
        ),
        ("gat_edge_scores", lambda z, a, b, e: gat_edge_scores_gather(z, a, a, e), "same vector"),
    ]
)
test_diagnoses_are_registered = exercise_cases.diagnoses_are_registered(
    {
        "edge_softmax": {"no edge at all", "unstable", "not masked", "axis", "own max"},
        "gat_edge_scores": {"swapped", "LeakyReLU", "0.2"},
    }
)


# --------------------------------------------------------------------------- wrong answers
# nobody registered: plausible, as a learner writes them; each must fail


@exercise_cases.wrong_answer("edge_softmax", "fully masked")
def masked_with_large_negative(scores, adjacency):
    return torch.softmax(scores.masked_fill(~adjacency, -1e9), dim=-1)  # empty row: uniform


@exercise_cases.wrong_answer("edge_softmax", "non-edges included")
def renormalised_full_softmax(scores, adjacency):
    weights = torch.softmax(scores, dim=-1) * adjacency  # extreme scores: edges underflow to 0
    return weights / weights.sum(dim=-1, keepdim=True).clamp(min=1e-12)


@exercise_cases.wrong_answer("edge_softmax", "sum to")
def log_weights(scores, adjacency):
    return torch.log_softmax(scores.masked_fill(~adjacency, -1e9), dim=-1)


@exercise_cases.wrong_answer("edge_softmax", "sum to 1")
def loop_over_rows_2d_only(scores, adjacency):
    out = torch.zeros_like(scores)
    for i in range(scores.shape[0]):  # a batch of graphs: scores[i] is a whole graph
        keep = adjacency[i]
        if keep.any():
            out[i][keep] = torch.softmax(scores[i][keep], dim=0)
    return out


@exercise_cases.wrong_answer("edge_softmax", "dtype")
def float32_buffer(scores, adjacency):
    out = torch.zeros(scores.shape)  # float32, whatever the scores' dtype
    out[...] = edge_softmax_where(scores, adjacency)
    return out


@exercise_cases.wrong_answer("gat_edge_scores", "per listed edge")
def gat_dense(z, a_self, a_neighbor, edges):
    return helpers.gat_scores(z, a_self, a_neighbor)  # every pair, not the listed edges


@exercise_cases.wrong_answer("gat_edge_scores", "edges[:, 0]")
def gat_first_edge(z, a_self, a_neighbor, edges):
    return F.leaky_relu(z[edges[0]] @ a_self + z[edges[1]] @ a_neighbor, 0.2)


@exercise_cases.wrong_answer("gat_edge_scores", "wrong places")
def gat_column_vectors(z, a_self, a_neighbor, edges):
    i, j = edges[:, 0], edges[:, 1]
    return F.leaky_relu(z[i] @ a_self[:, None] + z[j] @ a_neighbor[:, None], 0.2)  # (E, 1)


@exercise_cases.wrong_answer("gat_edge_scores", "per listed edge")
def gat_loop_over_nodes(z, a_self, a_neighbor, edges):
    scores = torch.zeros(z.shape[0], dtype=z.dtype)
    for e in range(z.shape[0]):  # N, not the number of edges
        i, j = edges[e].tolist()
        scores[e] = F.leaky_relu(z[i] @ a_self + z[j] @ a_neighbor, 0.2)
    return scores


@exercise_cases.wrong_answer("gat_edge_scores", "dtype")
def gat_float32_buffer(z, a_self, a_neighbor, edges):
    scores = torch.zeros(edges.shape[0])
    for e, (i, j) in enumerate(edges.tolist()):
        scores[e] = F.leaky_relu(z[i] @ a_self + z[j] @ a_neighbor, 0.2)
    return scores


@exercise_cases.wrong_answer("gat_edge_scores", "edges[:, 0]")
def gat_unpack_edges(z, a_self, a_neighbor, edges):
    i, j = edges  # (E, 2) unpacks into E rows, not two columns
    return F.leaky_relu(z[i] @ a_self + z[j] @ a_neighbor, 0.2)


WRONG_ANSWERS = exercise_cases.wrong_answers_in(globals())
test_wrong_answers_fail = exercise_cases.wrong_answers_fail(WRONG_ANSWERS)


def test_edge_softmax_checker_has_extreme_rows_and_nodes_without_edges():
    # An unstable softmax can only fail on scores large enough to overflow exp.
    messages = {
        exercise_cases.run("edge_softmax", m.fn).message
        for m in get_exercise("edge_softmax").mistakes
    }
    assert len(messages) == len(get_exercise("edge_softmax").mistakes)  # all distinct
