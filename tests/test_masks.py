"""Masks (True = may attend) against explicit loops, and used inside attention."""

import numpy as np
import pytest
import torch

from helpers import (
    causal_mask,
    graph_mask,
    local_mask,
    padding_mask,
    scaled_dot_product_attention,
)


def loop_mask(seq_len, allowed):
    return torch.tensor(
        [[allowed(i, j) for j in range(seq_len)] for i in range(seq_len)], dtype=torch.bool
    )


@pytest.mark.parametrize("seq_len", [1, 2, 6])
def test_causal_mask_matches_loop(seq_len):
    mask = causal_mask(seq_len)
    assert mask.dtype == torch.bool
    assert torch.equal(mask, loop_mask(seq_len, lambda i, j: j <= i))


@pytest.mark.parametrize(
    ("seq_len", "left", "right"), [(7, 2, 1), (7, 0, 3), (7, 0, 0), (5, 9, 0), (6, 10, 10)]
)
def test_local_mask_matches_loop(seq_len, left, right):
    mask = local_mask(seq_len, left, right)
    assert mask.dtype == torch.bool
    assert torch.equal(mask, loop_mask(seq_len, lambda i, j: i - left <= j <= i + right))


def test_local_mask_special_cases():
    assert torch.equal(local_mask(6, 6, 0), causal_mask(6))
    assert local_mask(6, 6, 6).all()
    assert torch.equal(local_mask(6, 0, 0), torch.eye(6, dtype=torch.bool))


def test_padding_mask_matches_loop_and_broadcasts_over_queries():
    lengths = [4, 1, 0, 6]
    mask = padding_mask(lengths, 6)
    assert mask.shape == (4, 1, 6) and mask.dtype == torch.bool
    expected = torch.tensor([[j < n for j in range(6)] for n in lengths]).unsqueeze(1)
    assert torch.equal(mask, expected)
    assert torch.equal(padding_mask(torch.tensor(lengths), 6), mask)


def test_padding_keys_get_no_attention_weight():
    torch.manual_seed(0)
    q, k, v = torch.randn(2, 5, 4), torch.randn(2, 5, 4), torch.randn(2, 5, 3)
    _, weights = scaled_dot_product_attention(
        q, k, v, mask=padding_mask([3, 5], 5), return_weights=True
    )
    assert (weights[0, :, 3:] == 0).all()
    assert (weights[0, :, :3] > 0).all() and (weights[1] > 0).all()


def test_masks_combine_with_and():
    combined = padding_mask([3], 4) & causal_mask(4)  # (1, 4, 4)
    expected = loop_mask(4, lambda i, j: j <= i and j < 3).unsqueeze(0)
    assert torch.equal(combined, expected)


def test_graph_mask_from_directed_adjacency():
    adjacency = torch.tensor([[0, 1, 0, 0], [0, 0, 1, 1], [1, 0, 0, 0], [0, 0, 0, 0]])
    with_loops = graph_mask(adjacency)
    without_loops = graph_mask(adjacency, self_loops=False)
    assert with_loops.dtype == torch.bool
    assert torch.equal(
        without_loops, loop_mask(4, lambda i, j: bool(adjacency[i, j]))
    )  # mask[i, j] = adjacency[i, j], not transposed
    assert torch.equal(with_loops, loop_mask(4, lambda i, j: bool(adjacency[i, j]) or i == j))


def test_graph_mask_accepts_bool_float_and_numpy():
    adjacency = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    expected = torch.tensor([[1, 1, 1], [1, 1, 0], [1, 0, 1]], dtype=torch.bool)
    assert torch.equal(graph_mask(adjacency), expected)
    assert torch.equal(graph_mask(torch.from_numpy(adjacency)), expected)
    assert torch.equal(graph_mask(torch.from_numpy(adjacency != 0)), expected)
