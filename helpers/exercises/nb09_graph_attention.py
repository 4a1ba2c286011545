"""Exercises of notebook 09 (graph attention): ``edge_softmax`` and ``gat_scores``."""

from __future__ import annotations

import torch

import helpers
from helpers.exercises._registry import Mistake, Tester, exercise

EDGE_SOFTMAX_MISTAKES = (
    Mistake(
        "not_masked",
        "non-edges are not masked: set the scores of non-edges to -inf before the softmax "
        "(scores.masked_fill(~adjacency, float('-inf'))), so only a node's neighbours get weight",
        lambda scores, adjacency: torch.softmax(scores, dim=-1),
    ),
    Mistake(
        "masked_with_zero",
        "non-edges are not masked properly: you set their scores to 0, but exp(0) = 1 still "
        "gives them weight; set them to -inf (scores.masked_fill(~adjacency, float('-inf')))",
        lambda scores, adjacency: torch.softmax(scores.masked_fill(~adjacency, 0.0), dim=-1),
    ),
    Mistake(
        "not_renormalised",
        "you zeroed the non-edge weights after the softmax without renormalising, so the rows "
        "no longer sum to 1: mask the scores with -inf before the softmax instead",
        lambda scores, adjacency: torch.softmax(scores, dim=-1) * adjacency,
    ),
    Mistake(
        "wrong_axis",
        "normalised over the wrong axis: row i (node i's weights over its neighbours j) must "
        "sum to 1, so take the softmax along dim=-1, not down the columns (dim=0)",
        lambda scores, adjacency: helpers.softmax(scores, dim=0, mask=adjacency),
    ),
    Mistake(
        "adjacency_transposed",
        "you used the adjacency transposed: node i attends node j where adjacency[i, j] is "
        "True (row i), which differs from adjacency[j, i] on a directed graph",
        lambda scores, adjacency: helpers.softmax(scores, dim=-1, mask=adjacency.T),
    ),
    Mistake(
        "inverted",
        "your mask is inverted: keep the edges (adjacency True) and mask the non-edges",
        lambda scores, adjacency: helpers.softmax(scores, dim=-1, mask=~adjacency),
    ),
)


@exercise(
    "edge_softmax",
    solution=lambda scores, adjacency: helpers.softmax(scores, dim=-1, mask=adjacency),
    reference="helpers.softmax(scores, dim=-1, mask=adjacency)",
    mistakes=EDGE_SOFTMAX_MISTAKES,
)
def check_edge_softmax(t: Tester) -> None:
    """Softmax of each row of scores (N, N) over the edges of a bool adjacency (N, N) only."""
    for n_nodes, directed, dtype in (
        (5, False, torch.float32),
        (7, True, torch.float32),
        (6, True, torch.float64),
    ):
        adjacency = torch.rand(n_nodes, n_nodes, generator=t.generator) < 0.4  # (N, N) bool
        if not directed:
            adjacency = adjacency | adjacency.T
        adjacency = adjacency | torch.eye(n_nodes, dtype=torch.bool)  # self-loops
        scores = 2 * t.randn(n_nodes, n_nodes, dtype=dtype)  # (N, N), not symmetric
        t.expect((scores, adjacency), helpers.softmax(scores, dim=-1, mask=adjacency))


# --------------------------------------------------------------------------- gat_scores


def _gat_scores_with(z, a_self, a_neighbor, slope):
    """LeakyReLU(a_self . z_i + a_neighbor . z_j) with the given slope: (N, F) -> (N, N)."""
    pair_sums = (z @ a_self).unsqueeze(1) + (z @ a_neighbor).unsqueeze(0)  # (N, N)
    return torch.nn.functional.leaky_relu(pair_sums, negative_slope=slope)


GAT_SCORES_MISTAKES = (
    Mistake(
        "swapped",
        "your matrix is the transpose of the expected one: row i is the attending node, so "
        "a_self multiplies z_i (the row's node) and a_neighbor multiplies z_j (the column's "
        "node): e[i, j] = LeakyReLU(a_self·z_i + a_neighbor·z_j)",
        lambda z, a_self, a_neighbor: _gat_scores_with(z, a_neighbor, a_self, 0.2),
    ),
    Mistake(
        "no_leaky_relu",
        "the LeakyReLU is missing: apply it to the sum, "
        "F.leaky_relu(a_self·z_i + a_neighbor·z_j, negative_slope=0.2)",
        lambda z, a_self, a_neighbor: _gat_scores_with(z, a_self, a_neighbor, 1.0),
    ),
    Mistake(
        "default_slope",
        "wrong negative_slope: F.leaky_relu's default is 0.01, but GAT uses 0.2; pass "
        "negative_slope=0.2",
        lambda z, a_self, a_neighbor: _gat_scores_with(z, a_self, a_neighbor, 0.01),
    ),
    Mistake(
        "relu",
        "you used ReLU, which sets every negative sum to 0; GAT uses LeakyReLU with "
        "negative_slope=0.2, so negative sums are multiplied by 0.2 instead",
        lambda z, a_self, a_neighbor: _gat_scores_with(z, a_self, a_neighbor, 0.0),
    ),
    Mistake(
        "activation_per_term",
        "the LeakyReLU is applied to each term separately; add the two terms first, then apply "
        "LeakyReLU once to the sum a_self·z_i + a_neighbor·z_j",
        lambda z, a_self, a_neighbor: (
            torch.nn.functional.leaky_relu(z @ a_self, 0.2).unsqueeze(1)
            + torch.nn.functional.leaky_relu(z @ a_neighbor, 0.2).unsqueeze(0)
        ),
    ),
    Mistake(
        "one_vector",
        "you used the same vector for both nodes: a_self is for the attending node i, "
        "a_neighbor for the attended neighbour j",
        lambda z, a_self, a_neighbor: _gat_scores_with(z, a_self, a_self, 0.2),
    ),
    Mistake(
        "dot_product",
        "that is the dot-product score z_i·z_j; GAT scores a pair additively, "
        "e[i, j] = LeakyReLU(a_self·z_i + a_neighbor·z_j)",
        lambda z, a_self, a_neighbor: z @ z.T,
    ),
)


@exercise(
    "gat_scores",
    solution=lambda z, a_self, a_neighbor: helpers.gat_scores(z, a_self, a_neighbor),
    reference="helpers.gat_scores",
    mistakes=GAT_SCORES_MISTAKES,
)
def check_gat_scores(t: Tester) -> None:
    """GAT scores (N, N): e[i, j] = LeakyReLU(a_self·z_i + a_neighbor·z_j), negative_slope 0.2."""
    for n_nodes, n_features, dtype in (
        (5, 3, torch.float32),
        (4, 6, torch.float32),
        (7, 2, torch.float64),
    ):
        z = t.randn(n_nodes, n_features, dtype=dtype)  # (N, F)
        a_self, a_neighbor = t.randn(n_features, dtype=dtype), t.randn(n_features, dtype=dtype)
        t.expect((z, a_self, a_neighbor), helpers.gat_scores(z, a_self, a_neighbor))
