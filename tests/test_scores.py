"""Dot-product and additive attention scores against hand computation (explicit loops)."""

import torch
from torch.testing import assert_close

from helpers import AdditiveScore, dot_product_score


def loop_dot_scores(q, k):
    """alpha[i, j] = sum_t q[i, t] * k[j, t], one pair at a time."""
    scores = torch.empty(q.shape[0], k.shape[0])
    for i in range(q.shape[0]):
        for j in range(k.shape[0]):
            scores[i, j] = sum(q[i, t] * k[j, t] for t in range(q.shape[1]))
    return scores


def loop_additive_scores(module, q, k):
    """alpha[i, j] = w^T tanh(W_q q_i + W_k k_j), one pair at a time."""
    W_q, W_k, w = module.W_q.weight, module.W_k.weight, module.w.weight[0]
    scores = torch.empty(q.shape[0], k.shape[0])
    for i in range(q.shape[0]):
        for j in range(k.shape[0]):
            scores[i, j] = w @ torch.tanh(W_q @ q[i] + W_k @ k[j])
    return scores


def test_dot_product_matrix_matches_loops():
    torch.manual_seed(0)
    q, k = torch.randn(3, 4), torch.randn(5, 4)  # L=3, S=5, d=4
    scores = dot_product_score(q, k)
    assert scores.shape == (3, 5)
    assert_close(scores, loop_dot_scores(q, k))


def test_dot_product_batched_matches_loops():
    torch.manual_seed(1)
    q, k = torch.randn(2, 3, 4), torch.randn(2, 5, 4)
    scores = dot_product_score(q, k)
    assert scores.shape == (2, 3, 5)
    for b in range(2):
        assert_close(scores[b], loop_dot_scores(q[b], k[b]))


def test_dot_product_broadcasts_batch_dims():
    torch.manual_seed(2)
    q, k = torch.randn(2, 1, 3, 4), torch.randn(1, 6, 5, 4)
    scores = dot_product_score(q, k)
    assert scores.shape == (2, 6, 3, 5)
    assert_close(scores[1, 4], loop_dot_scores(q[1, 0], k[0, 4]))


def test_dot_product_single_query():
    torch.manual_seed(3)
    q, k = torch.randn(4), torch.randn(5, 4)
    scores = dot_product_score(q, k)
    assert scores.shape == (5,)
    assert_close(scores, torch.stack([torch.dot(q, k_j) for k_j in k]))


def test_dot_product_single_query_per_batch_entry():
    torch.manual_seed(4)
    q, k = torch.randn(2, 4), torch.randn(2, 5, 4)
    scores = dot_product_score(q, k)
    assert scores.shape == (2, 5)
    assert_close(scores, torch.stack([dot_product_score(q[b], k[b]) for b in range(2)]))


def test_additive_matches_loops_with_different_query_and_key_sizes():
    torch.manual_seed(5)
    module = AdditiveScore(d_q=4, d_k=6, d_hidden=7)
    q, k = torch.randn(3, 4), torch.randn(5, 6)
    scores = module(q, k)
    assert scores.shape == (3, 5)
    assert_close(scores, loop_additive_scores(module, q, k))


def test_additive_batched_and_single_query():
    torch.manual_seed(6)
    module = AdditiveScore(d_q=4, d_k=6, d_hidden=7)
    q, k = torch.randn(2, 3, 4), torch.randn(2, 5, 6)
    scores = module(q, k)
    assert scores.shape == (2, 3, 5)
    for b in range(2):
        assert_close(scores[b], loop_additive_scores(module, q[b], k[b]))

    single = module(q[0, 1], k[0])
    assert single.shape == (5,)
    assert_close(single, scores[0, 1])
    assert_close(module(q[:, 1], k), scores[:, 1])  # one query per batch entry


def test_additive_parameters_are_w_q_w_k_and_w():
    module = AdditiveScore(d_q=4, d_k=6, d_hidden=7)
    shapes = {name: tuple(p.shape) for name, p in module.named_parameters()}
    assert shapes == {"W_q.weight": (7, 4), "W_k.weight": (7, 6), "w.weight": (1, 7)}


def test_additive_gradients_reach_every_parameter():
    torch.manual_seed(7)
    module = AdditiveScore(d_q=4, d_k=6, d_hidden=7)
    module(torch.randn(3, 4), torch.randn(5, 6)).sum().backward()
    for name, parameter in module.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name
