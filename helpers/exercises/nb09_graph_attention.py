"""Exercises of notebook 09 (graph attention): ``edge_softmax`` (a batch of directed graphs,
nodes without any edge, extreme scores), ``gat_edge_scores`` (GAT scores from an edge list) and
the predict question ``lonely_node``."""

from __future__ import annotations

import torch
import torch.nn.functional as F

import helpers
from helpers.exercises._registry import Diagnosis, Mistake, Tester, exercise
from helpers.exercises.guidance import question
from helpers.exercises.language import tr

# --------------------------------------------------------------------------- edge_softmax

FULLY_MASKED = (
    "a node with no edge at all (a row of adjacency that is all False) gets NaN: softmax of a "
    "row of -inf is 0 / 0. Such a row must be all zeros (the course's convention, as "
    "helpers.softmax): e.g. zero the weights where adjacency is False after the softmax "
    "(torch.where(adjacency, weights, 0)), or divide by a sum clamped away from 0"
)
UNSTABLE = (
    "numerically unstable: with large scores (here up to about ±2000) exp overflows to inf (or "
    "every exp underflows to 0) and the row becomes inf / inf or 0 / 0 = NaN. Subtract each "
    "row's largest score *over its edges* before exp (softmax(s) = softmax(s - max)), or use "
    "torch.softmax on the -inf-masked scores, which does it for you"
)


def _masked_fill_softmax(scores, adjacency):
    """The lesson's two lines: right, except that a row without edges is NaN."""
    return torch.softmax(scores.masked_fill(~adjacency, float("-inf")), dim=-1)


def _no_max(scores, adjacency):
    exponentials = torch.exp(scores) * adjacency
    return exponentials / exponentials.sum(dim=-1, keepdim=True).clamp(min=1e-30)


def _global_max(scores, adjacency):
    exponentials = torch.exp(scores - scores.max()) * adjacency  # one max for the whole batch
    return exponentials / exponentials.sum(dim=-1, keepdim=True).clamp(min=1e-30)


def _max_over_all_pairs(scores, adjacency):
    shifted = scores - scores.amax(dim=-1, keepdim=True)  # the max over non-edges too
    exponentials = torch.exp(shifted) * adjacency
    return exponentials / exponentials.sum(dim=-1, keepdim=True).clamp(min=1e-30)


def _helpers_softmax(dim, transpose=False, invert=False):
    def fn(scores, adjacency):
        mask = adjacency.mT if transpose else adjacency
        return helpers.softmax(scores, dim=dim, mask=~mask if invert else mask)

    return fn


EDGE_SOFTMAX_MISTAKES = (
    Mistake("fully_masked_nan", FULLY_MASKED, _masked_fill_softmax),
    Mistake("no_max", UNSTABLE, _no_max),
    Mistake(
        "global_max",
        "you subtracted one maximum for the whole tensor: rows whose scores are all far below "
        "it underflow to exp(...) = 0 and give 0 / 0. Subtract each row's own max "
        "(amax(dim=-1, keepdim=True)) over its edges",
        _global_max,
    ),
    Mistake(
        "max_over_all_pairs",
        "you subtracted the row's max over *all* entries, non-edges included: when a non-edge "
        "has the largest score, every edge's exp underflows to 0 and the row is 0 / 0. Mask "
        "first (-inf on non-edges), then take the max over what is left",
        _max_over_all_pairs,
    ),
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
        lambda scores, adjacency: helpers.softmax(scores.masked_fill(~adjacency, 0.0), dim=-1),
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
        "sum to 1, so take the softmax along dim=-1, not down the columns (dim=-2)",
        _helpers_softmax(dim=-2),
    ),
    Mistake(
        "adjacency_transposed",
        "you used the adjacency transposed: node i attends node j where adjacency[..., i, j] is "
        "True (row i), which differs from adjacency[..., j, i] on a directed graph",
        _helpers_softmax(dim=-1, transpose=True),
    ),
    Mistake(
        "inverted",
        "your mask is inverted: keep the edges (adjacency True) and mask the non-edges",
        _helpers_softmax(dim=-1, invert=True),
    ),
)


def _random_graphs(t: Tester, shape: tuple[int, ...], self_loops: bool) -> torch.Tensor:
    """Directed bool adjacency (..., N, N); node 1 of every graph has no outgoing edge unless
    self_loops (then every node keeps at least itself)."""
    adjacency = torch.rand(*shape, generator=t.generator) < 0.45  # directed: not symmetric
    if self_loops:
        return adjacency | torch.eye(shape[-1], dtype=torch.bool)
    adjacency[..., 1, :] = False  # a node that attends nothing (no edge, no self-loop)
    adjacency[..., 0, 2] = True  # and every other row keeps at least one edge
    adjacency[..., 2:, 0] = True
    return adjacency


def _check_dtype(t: Tester, args, got: torch.Tensor, dtype: torch.dtype, note=None) -> None:
    """A float output of another dtype than the inputs': say so before any value diagnosis
    (a float32 buffer holds the right numbers, rounded, which would match other diagnoses)."""
    if got.is_floating_point() and got.dtype != dtype:
        t.fail(
            tr(
                "wrong dtype: expected {expected} (the dtype of the inputs), got {got}; avoid "
                "creating tensors with a fixed dtype (torch.zeros(n) is float32): use "
                "torch.zeros_like(...) or dtype=... of the inputs",
                expected=dtype,
                got=got.dtype,
            ),
            args,
            note,
        )


def _check_finite_rows(t: Tester, args, note: str | None, extreme: bool) -> None:
    """NaN or inf: at the rows without edges (fully masked), or, for extreme scores, elsewhere
    (overflow); other non-finite outputs are left to ``t.expect``."""
    scores, adjacency = args
    got = t.call(*args, note=note)
    _check_dtype(t, args, got, scores.dtype, note)
    if got.shape != scores.shape or torch.isfinite(got).all():
        return  # the values are compared by t.expect
    bad_rows = ~torch.isfinite(got).all(dim=-1)  # (..., N)
    empty_rows = ~adjacency.any(dim=-1)  # (..., N)
    if bool((bad_rows <= empty_rows).all()):
        t.fail(tr(FULLY_MASKED), args, note)  # registered mistake messages: in the catalogue
    if extreme:
        t.fail(tr(UNSTABLE), args, note)


@exercise(
    "edge_softmax",
    solution=lambda scores, adjacency: helpers.softmax(scores, dim=-1, mask=adjacency),
    reference="helpers.softmax(scores, dim=-1, mask=adjacency)",
    mistakes=EDGE_SOFTMAX_MISTAKES,
    hints=(
        "Start from the lesson's two lines (mask the non-edges with -inf, softmax over dim=-1): "
        "they already work for a batch. Then run them on a row with no edge at all and on "
        "scores of ±1000, and look at what comes out.",
        "A row that is all -inf gives 0 / 0 = NaN in torch.softmax: replace the weights of "
        "non-edges by 0 afterwards, e.g. torch.where(adjacency, weights, 0.0). If you write "
        "exp yourself, subtract each row's max over its edges first (masked rows: use 0).",
        "weights = torch.softmax(scores.masked_fill(~adjacency, float('-inf')), dim=-1); "
        "return torch.where(adjacency, weights, torch.zeros_like(weights)) — every NaN sits at "
        "a non-edge, so the where removes them all. Use .mT, never .T, on batched tensors.",
    ),
    diagnosis=Diagnosis(seq_dim=-2, weights=True),
)
def check_edge_softmax(t: Tester) -> None:
    """Softmax of scores (..., N, N) over the True entries of a directed adjacency; empty rows 0."""
    for shape, self_loops, scale, dtype, note in (
        ((5, 5), True, 2.0, torch.float32, None),
        (
            (2, 6, 6),
            False,
            2.0,
            torch.float32,
            tr("a batch of 2 graphs; node 1 has no edge at all"),
        ),
        ((7, 7), True, 1000.0, torch.float64, tr("extreme scores (±1000 and more)")),
        (
            (3, 4, 4),
            False,
            1000.0,
            torch.float32,
            tr("a batch, extreme scores, a node without edges"),
        ),
    ):
        adjacency = _random_graphs(t, shape, self_loops)
        scores = scale * t.randn(*shape, dtype=dtype)  # (..., N, N), not symmetric
        if scale > 100:  # rows on very different levels: a global max underflows the low ones
            scores = scores + scale * t.randn(*shape[:-1], 1, dtype=dtype)
        args = (scores, adjacency)
        _check_finite_rows(t, args, note, extreme=scale > 100)
        t.expect(args, helpers.softmax(scores, dim=-1, mask=adjacency), note=note)


# --------------------------------------------------------------------------- gat_edge_scores


def _edge_scores_with(z, a_self, a_neighbor, edges, slope):
    """LeakyReLU(a_self . z_i + a_neighbor . z_j) for every listed edge (i, j): (E,)."""
    i, j = edges[:, 0], edges[:, 1]
    return F.leaky_relu(z[i] @ a_self + z[j] @ a_neighbor, negative_slope=slope)


def _per_term(z, a_self, a_neighbor, edges):
    i, j = edges[:, 0], edges[:, 1]
    return F.leaky_relu(z[i] @ a_self, 0.2) + F.leaky_relu(z[j] @ a_neighbor, 0.2)


GAT_EDGE_MISTAKES = (
    Mistake(
        "swapped",
        "the two nodes' roles are swapped: an edge (i, j) means node i attends node j, so "
        "a_self multiplies z[i] (edges[:, 0]) and a_neighbor multiplies z[j] (edges[:, 1])",
        lambda z, a_self, a_neighbor, edges: _edge_scores_with(z, a_neighbor, a_self, edges, 0.2),
    ),
    Mistake(
        "no_leaky_relu",
        "the LeakyReLU is missing: apply it to the sum, "
        "F.leaky_relu(a_self·z_i + a_neighbor·z_j, negative_slope=0.2)",
        lambda z, a_self, a_neighbor, edges: _edge_scores_with(z, a_self, a_neighbor, edges, 1.0),
    ),
    Mistake(
        "default_slope",
        "wrong negative_slope: F.leaky_relu's default is 0.01, but GAT uses 0.2; pass "
        "negative_slope=0.2",
        lambda z, a_self, a_neighbor, edges: _edge_scores_with(z, a_self, a_neighbor, edges, 0.01),
    ),
    Mistake(
        "relu",
        "you used ReLU, which sets every negative sum to 0; GAT uses LeakyReLU with "
        "negative_slope=0.2, so negative sums are multiplied by 0.2 instead",
        lambda z, a_self, a_neighbor, edges: _edge_scores_with(z, a_self, a_neighbor, edges, 0.0),
    ),
    Mistake(
        "activation_per_term",
        "the LeakyReLU is applied to each term separately; add the two terms first, then apply "
        "LeakyReLU once to the sum a_self·z_i + a_neighbor·z_j",
        _per_term,
    ),
    Mistake(
        "one_vector",
        "you used the same vector for both nodes: a_self is for the attending node i, "
        "a_neighbor for the attended neighbour j",
        lambda z, a_self, a_neighbor, edges: _edge_scores_with(z, a_self, a_self, edges, 0.2),
    ),
    Mistake(
        "dot_product",
        "that is the dot-product score z_i·z_j; GAT scores a pair additively, "
        "e_ij = LeakyReLU(a_self·z_i + a_neighbor·z_j)",
        lambda z, a_self, a_neighbor, edges: (z[edges[:, 0]] * z[edges[:, 1]]).sum(-1),
    ),
)


@exercise(
    "gat_edge_scores",
    solution=lambda z, a_self, a_neighbor, edges: _edge_scores_with(
        z, a_self, a_neighbor, edges, 0.2
    ),
    reference="helpers.gat_scores(z, a_self, a_neighbor)[edges[:, 0], edges[:, 1]]",
    mistakes=GAT_EDGE_MISTAKES,
    returns="Tensor (E,)",
    hints=(
        "One score per row of `edges`: for the edge (i, j) = edges[e], e_ij = LeakyReLU("
        "a_self·z_i + a_neighbor·z_j). Integer tensors index rows: z[edges[:, 0]] is (E, F).",
        "i, j = edges[:, 0], edges[:, 1]; the two terms are z[i] @ a_self and z[j] @ a_neighbor, "
        "both (E,); add them, then apply the LeakyReLU once.",
        "return F.leaky_relu(z[edges[:, 0]] @ a_self + z[edges[:, 1]] @ a_neighbor, "
        "negative_slope=0.2)  — F.leaky_relu's default slope is 0.01, not GAT's 0.2.",
    ),
    diagnosis=Diagnosis(seq_dim=-1),
    error_hints=(
        (
            ("index", "out of bounds", "tensors used as indices", "values to unpack"),
            "edges is a long tensor (E, 2) of node ids: z[edges[:, 0]] gathers the attending "
            "nodes' rows, z[edges[:, 1]] the attended ones",
        ),
    ),
)
def check_gat_edge_scores(t: Tester) -> None:
    """GAT scores of the listed edges only: (N, F), (F,), (F,), edges (E, 2) -> (E,)."""
    for n_nodes, n_features, n_edges, dtype in (
        (5, 3, 8, torch.float32),
        (7, 4, 12, torch.float64),
        (4, 6, 9, torch.float32),
    ):
        z = t.randn(n_nodes, n_features, dtype=dtype)  # (N, F)
        a_self, a_neighbor = t.randn(n_features, dtype=dtype), t.randn(n_features, dtype=dtype)
        pairs = torch.randperm(n_nodes * n_nodes, generator=t.generator)[:n_edges]  # no repeats
        edges = torch.stack([pairs // n_nodes, pairs % n_nodes], dim=1)  # (E, 2), unsorted
        args = (z, a_self, a_neighbor, edges)
        got = t.call(*args)
        _check_dtype(t, args, got, dtype)
        per_edge = tr(
            "return one score per listed edge, shape (E,) = ({n_edges},), in the order of "
            "`edges` (gather z[edges[:, 0]] and z[edges[:, 1]])",
            n_edges=n_edges,
        )
        if got.shape == (n_nodes, n_nodes):
            t.fail(
                tr(
                    "you returned the dense (N, N) matrix of every pair; {per_edge}",
                    per_edge=per_edge,
                ),
                args,
            )
        if got.shape == (n_nodes,):
            t.fail(
                tr("you returned one score per node, shape (N,); {per_edge}", per_edge=per_edge),
                args,
            )
        if got.shape[:1] == (2,):
            t.fail(
                tr(
                    "your output has {rows} rows, as many as an edge has ends: edges[0] is the "
                    "first edge (i, j), edges[:, 0] the attending node of every edge; {per_edge}",
                    rows=got.shape[0],
                    per_edge=per_edge,
                ),
                args,
            )
        expected = helpers.gat_scores(z, a_self, a_neighbor)[edges[:, 0], edges[:, 1]]
        t.expect(args, expected)


# --------------------------------------------------------------------------- the question

question(
    "lonely_node",
    module=__name__,
    hints=(
        "Write out row 5 before the softmax: every entry is -inf. What is exp(-inf), and what "
        "is their sum? For the next layer: which rows of `alpha @ z` read z_5, and with what "
        "weight?",
        "torch.softmax gives 0 / 0 = NaN for the whole row, so out_5 is NaN. In the next layer "
        "z'_5 is NaN; no node attends node 5 (weight exactly 0), but the dense product "
        "alpha' @ z' still adds 0 · NaN, and 0 · NaN is NaN.",
    ),
)
