"""scaled_dot_product_attention against torch's, and SelfAttention against a manual computation."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from torch.testing import assert_close

from helpers import SelfAttention, scaled_dot_product_attention

# (batch dims, L, S, d, d_v): L != S and d != d_v, so a transposed operand cannot pass.
SHAPES = [
    ((), 3, 5, 4, 6),
    ((2,), 3, 5, 4, 6),
    ((2, 3), 4, 7, 8, 5),
    ((2, 3), 1, 6, 4, 2),
]


def random_qkv(batch, L, S, d, d_v, seed=0):
    generator = torch.Generator().manual_seed(seed)
    q = torch.randn(*batch, L, d, generator=generator)
    k = torch.randn(*batch, S, d, generator=generator)
    v = torch.randn(*batch, S, d_v, generator=generator)
    return q, k, v


@pytest.mark.parametrize(("batch", "L", "S", "d", "d_v"), SHAPES)
def test_matches_torch_without_mask(batch, L, S, d, d_v):
    q, k, v = random_qkv(batch, L, S, d, d_v)
    output = scaled_dot_product_attention(q, k, v)
    assert output.shape == (*batch, L, d_v)
    assert_close(output, F.scaled_dot_product_attention(q, k, v))


@pytest.mark.parametrize(("batch", "L", "S", "d", "d_v"), SHAPES)
def test_matches_torch_with_custom_scale(batch, L, S, d, d_v):
    q, k, v = random_qkv(batch, L, S, d, d_v, seed=1)
    output = scaled_dot_product_attention(q, k, v, scale=0.37)
    assert_close(output, F.scaled_dot_product_attention(q, k, v, scale=0.37))


def test_default_scale_is_one_over_sqrt_d():
    q, k, v = random_qkv((2,), 3, 5, 9, 6, seed=2)
    assert_close(
        scaled_dot_product_attention(q, k, v),
        scaled_dot_product_attention(q, k, v, scale=1 / math.sqrt(9)),
    )
    assert not torch.allclose(
        scaled_dot_product_attention(q, k, v), scaled_dot_product_attention(q, k, v, scale=1.0)
    )


@pytest.mark.parametrize("mask_batch", [(), (1,), (3,), (2, 1), (2, 3)])
def test_matches_torch_with_mask_on_rows_that_may_attend(mask_batch):
    batch, L, S = (2, 3), 4, 6
    q, k, v = random_qkv(batch, L, S, 5, 7, seed=3)
    mask = torch.rand(*mask_batch, L, S, generator=torch.Generator().manual_seed(4)) > 0.5
    mask[..., 0, :] = False  # a query that may attend no key
    has_key = mask.any(-1).expand(*batch, L)  # (2, 3, L)
    assert has_key.any() and not has_key.all()

    output = scaled_dot_product_attention(q, k, v, mask=mask)
    reference = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert_close(output[has_key], reference[has_key])  # torch may give NaN elsewhere
    assert (output[~has_key] == 0).all()


def test_weights_match_explicit_formula():
    q, k, v = random_qkv((2,), 3, 5, 4, 6, seed=5)
    mask = torch.tensor([[1, 1, 0, 1, 0], [0, 0, 0, 0, 1], [1, 1, 1, 1, 1]], dtype=torch.bool)
    output, weights = scaled_dot_product_attention(q, k, v, mask=mask, return_weights=True)

    scores = torch.einsum("bld,bsd->bls", q, k) / 2.0  # sqrt(d) = 2
    expected = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    assert weights.shape == (2, 3, 5)
    assert_close(weights, expected)
    assert_close(output, torch.einsum("bls,bsv->blv", expected, v))


def test_gradients_match_torch():
    q, k, v = random_qkv((2,), 3, 5, 4, 6, seed=6)
    mask = torch.rand(3, 5, generator=torch.Generator().manual_seed(7)) > 0.5
    mask[:, 2] = True
    upstream = torch.randn(2, 3, 6)

    ours = [t.clone().requires_grad_() for t in (q, k, v)]
    theirs = [t.clone().requires_grad_() for t in (q, k, v)]
    (scaled_dot_product_attention(*ours, mask=mask) * upstream).sum().backward()
    (F.scaled_dot_product_attention(*theirs, attn_mask=mask) * upstream).sum().backward()
    for mine, reference in zip(ours, theirs, strict=True):
        assert_close(mine.grad, reference.grad)


def test_fully_masked_query_gives_zeros_and_finite_gradients():
    q, k, v = [t.requires_grad_() for t in random_qkv((), 3, 5, 4, 6, seed=8)]
    mask = torch.ones(3, 5, dtype=torch.bool)
    mask[1] = False
    output, weights = scaled_dot_product_attention(q, k, v, mask=mask, return_weights=True)
    assert (output[1] == 0).all() and (weights[1] == 0).all()
    output.sum().backward()
    for tensor in (q, k, v):
        assert torch.isfinite(tensor.grad).all()
    assert (q.grad[1] == 0).all()


def manual_self_attention(module, x, mask=None):
    """Q = x W_q etc. with the matrices read off the nn.Linear layers (weight is W^T)."""
    Q = x @ module.W_q.weight.T
    K = x @ module.W_k.weight.T
    V = x @ module.W_v.weight.T
    if module.W_q.bias is not None:
        Q, K, V = Q + module.W_q.bias, K + module.W_k.bias, V + module.W_v.bias
    scores = Q @ K.transpose(-2, -1) / math.sqrt(module.d_out)
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    return weights @ V, weights


@pytest.mark.parametrize("bias", [False, True])
def test_self_attention_matches_manual(bias):
    torch.manual_seed(9)
    module = SelfAttention(d_in=6, d_out=4, bias=bias)
    x = torch.randn(2, 5, 6)
    output, weights = module(x, return_weights=True)
    assert output.shape == (2, 5, 4) and weights.shape == (2, 5, 5)
    expected_output, expected_weights = manual_self_attention(module, x)
    assert_close(output, expected_output)
    assert_close(weights, expected_weights)


def test_self_attention_with_causal_mask_and_no_batch():
    torch.manual_seed(10)
    module = SelfAttention(d_in=6, d_out=4)
    x = torch.randn(5, 6)
    mask = torch.ones(5, 5, dtype=torch.bool).tril()
    output, weights = module(x, mask=mask, return_weights=True)
    expected_output, expected_weights = manual_self_attention(module, x, mask)
    assert_close(output, expected_output)
    assert_close(weights, expected_weights)
    assert (weights.triu(1) == 0).all()


def test_self_attention_learns_only_w_q_w_k_w_v():
    names = {name for name, _ in SelfAttention(6, 4).named_parameters()}
    assert names == {"W_q.weight", "W_k.weight", "W_v.weight"}
    module = SelfAttention(6, 4)
    module(torch.randn(3, 6)).sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in module.parameters())


@settings(max_examples=50, deadline=None)
@given(
    L=st.integers(1, 5),
    S=st.integers(1, 6),
    seed=st.integers(0, 2**16),
    data=st.data(),
)
def test_property_weights_are_distributions_over_allowed_keys(L, S, seed, data):
    mask = torch.from_numpy(data.draw(arrays(np.bool_, (L, S))))
    q, k, v = random_qkv((2,), L, S, 3, 2, seed=seed)
    _, weights = scaled_dot_product_attention(q * 10, k, v, mask=mask, return_weights=True)

    assert (weights >= 0).all()
    assert (weights[:, ~mask] == 0).all()
    expected_sums = mask.any(-1).float().expand(2, L)  # 1 if the query may attend something
    assert_close(weights.sum(-1), expected_sums)


@settings(max_examples=50, deadline=None)
@given(seq=st.integers(2, 7), seed=st.integers(0, 2**16), data=st.data())
def test_property_self_attention_is_permutation_equivariant(seq, seed, data):
    """Without position information, shuffling the tokens only shuffles the outputs."""
    permutation = torch.tensor(data.draw(st.permutations(range(seq))))
    torch.manual_seed(seed)
    module = SelfAttention(d_in=5, d_out=3)
    x = torch.randn(2, seq, 5)

    output, weights = module(x, return_weights=True)
    output_shuffled, weights_shuffled = module(x[:, permutation], return_weights=True)
    assert_close(output_shuffled, output[:, permutation])
    assert_close(weights_shuffled, weights[:, permutation][:, :, permutation])
