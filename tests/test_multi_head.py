"""split/merge heads, and MultiHeadSelfAttention against nn.MultiheadAttention.

Pitfall tested here: nn.MultiheadAttention's bool masks use True = may NOT attend, the opposite
of helpers (and of F.scaled_dot_product_attention), so every mask is inverted for torch.
"""

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn
from torch.testing import assert_close

from helpers import MultiHeadSelfAttention, merge_heads, split_heads

BATCH, SEQ, D_MODEL, HEADS = 2, 5, 12, 3  # d_head = 4: all sizes differ


def test_split_heads_slices_features_per_head():
    torch.manual_seed(0)
    x = torch.randn(BATCH, SEQ, D_MODEL)
    heads = split_heads(x, HEADS)
    assert heads.shape == (BATCH, HEADS, SEQ, 4)
    for h in range(HEADS):
        assert_close(heads[:, h], x[..., 4 * h : 4 * (h + 1)])


def test_merge_heads_inverts_split_heads():
    torch.manual_seed(1)
    x = torch.randn(BATCH, SEQ, D_MODEL)
    assert_close(merge_heads(split_heads(x, HEADS)), x)
    y = torch.randn(BATCH, HEADS, SEQ, 4)
    assert merge_heads(y).shape == (BATCH, SEQ, D_MODEL)
    assert_close(split_heads(merge_heads(y), HEADS), y)


def test_split_heads_without_batch():
    x = torch.randn(SEQ, D_MODEL)
    assert split_heads(x, HEADS).shape == (HEADS, SEQ, 4)
    assert_close(merge_heads(split_heads(x, HEADS)), x)


def torch_reference(bias, seed=0):
    torch.manual_seed(seed)
    reference = nn.MultiheadAttention(D_MODEL, HEADS, bias=bias, batch_first=True)
    if bias:  # torch initialises biases to zero: make them matter
        with torch.no_grad():
            reference.in_proj_bias.normal_()
            reference.out_proj.bias.normal_()
    return reference


def random_mask(*shape, seed):
    mask = torch.rand(*shape, generator=torch.Generator().manual_seed(seed)) > 0.5
    mask |= torch.eye(SEQ, dtype=torch.bool)  # every query may attend at least itself
    return mask


def mask_cases():
    """(name, our mask, kwargs for nn.MultiheadAttention with True = NOT allowed)."""
    causal = torch.ones(SEQ, SEQ, dtype=torch.bool).tril()
    per_batch = random_mask(BATCH, SEQ, SEQ, seed=1)
    per_head = random_mask(BATCH, HEADS, SEQ, SEQ, seed=2)
    is_real = torch.arange(SEQ) < torch.tensor([SEQ, 3]).unsqueeze(1)  # (BATCH, SEQ)
    return [
        ("none", None, {}),
        ("seq_seq", causal, {"attn_mask": ~causal}),
        ("batch_seq_seq", per_batch, {"attn_mask": ~per_batch.repeat_interleave(HEADS, 0)}),
        ("batch_heads", per_head, {"attn_mask": ~per_head.reshape(BATCH * HEADS, SEQ, SEQ)}),
        ("padding", is_real.unsqueeze(1), {"key_padding_mask": ~is_real}),
    ]


MASK_CASES = mask_cases()
MASK_IDS = [name for name, _, _ in MASK_CASES]


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize(("name", "mask", "torch_kwargs"), MASK_CASES, ids=MASK_IDS)
def test_from_torch_matches_multihead_attention(bias, name, mask, torch_kwargs):
    reference = torch_reference(bias)
    ours = MultiHeadSelfAttention.from_torch(reference)
    x = torch.randn(BATCH, SEQ, D_MODEL, generator=torch.Generator().manual_seed(3))

    expected, expected_weights = reference(
        x, x, x, need_weights=True, average_attn_weights=False, **torch_kwargs
    )
    output, weights = ours(x, mask=mask, return_weights=True)
    assert output.shape == (BATCH, SEQ, D_MODEL) and weights.shape == (BATCH, HEADS, SEQ, SEQ)
    assert_close(output, expected, atol=1e-5, rtol=1e-5)
    assert_close(weights, expected_weights, atol=1e-5, rtol=1e-5)

    _, averaged = reference(x, x, x, need_weights=True, **torch_kwargs)
    assert_close(weights.mean(dim=1), averaged, atol=1e-5, rtol=1e-5)

    fast = ours(x, mask=mask)
    expected_fast, _ = reference(x, x, x, need_weights=False, **torch_kwargs)
    assert isinstance(fast, torch.Tensor)  # no weights unless asked for
    assert_close(fast, expected_fast, atol=1e-5, rtol=1e-5)


def test_from_torch_copies_parameters_not_shares_them():
    reference = torch_reference(bias=True)
    ours = MultiHeadSelfAttention.from_torch(reference)
    assert sum(p.numel() for p in ours.parameters()) == sum(
        p.numel() for p in reference.parameters()
    )
    with torch.no_grad():
        ours.W_o.bias.add_(1.0)
    assert not torch.equal(ours.W_o.bias, reference.out_proj.bias)


def test_from_torch_keeps_dtype():
    reference = nn.MultiheadAttention(D_MODEL, HEADS, batch_first=True).double()
    ours = MultiHeadSelfAttention.from_torch(reference)
    x = torch.randn(BATCH, SEQ, D_MODEL, dtype=torch.float64)
    assert_close(ours(x), reference(x, x, x)[0])


@pytest.mark.parametrize(("name", "mask", "torch_kwargs"), MASK_CASES, ids=MASK_IDS)
def test_fast_path_equals_teaching_path(name, mask, torch_kwargs):
    torch.manual_seed(4)
    module = MultiHeadSelfAttention(D_MODEL, HEADS)
    x = torch.randn(BATCH, SEQ, D_MODEL)
    assert_close(module(x, mask), module(x, mask, return_weights=True)[0])


@pytest.mark.parametrize("return_weights", [True, False])
def test_fully_masked_query_gives_output_bias_and_finite_gradients(return_weights):
    torch.manual_seed(5)
    module = MultiHeadSelfAttention(D_MODEL, HEADS)
    with torch.no_grad():
        module.W_o.bias.normal_()
    x = torch.randn(BATCH, SEQ, D_MODEL, requires_grad=True)
    mask = torch.ones(BATCH, SEQ, SEQ, dtype=torch.bool)
    mask[0, 2] = False  # query 2 of the first sequence may attend nothing

    output = module(x, mask=mask, return_weights=return_weights)
    output = output[0] if return_weights else output
    assert torch.isfinite(output).all()
    assert_close(output[0, 2], module.W_o.bias.detach())  # attention gave zeros
    output.sum().backward()
    assert torch.isfinite(x.grad).all()
    assert all(torch.isfinite(p.grad).all() for p in module.parameters())


def test_gradients_flow_and_agree_between_paths():
    torch.manual_seed(6)
    module = MultiHeadSelfAttention(D_MODEL, HEADS)
    x = torch.randn(BATCH, SEQ, D_MODEL)
    mask = torch.ones(SEQ, SEQ, dtype=torch.bool).tril()
    upstream = torch.randn(BATCH, SEQ, D_MODEL)

    gradients = {}
    for return_weights in (True, False):
        module.zero_grad(set_to_none=True)
        x_input = x.clone().requires_grad_()
        output = module(x_input, mask, return_weights=return_weights)
        output = output[0] if return_weights else output
        (output * upstream).sum().backward()
        gradients[return_weights] = [x_input.grad] + [p.grad for p in module.parameters()]

    for teaching, fast in zip(gradients[True], gradients[False], strict=True):
        assert teaching.abs().sum() > 0
        assert_close(fast, teaching, atol=1e-5, rtol=1e-5)


def test_heads_see_only_their_own_slice():
    """Changing head 0's slice of the keys leaves the weights of the other heads unchanged."""
    torch.manual_seed(7)
    module = MultiHeadSelfAttention(D_MODEL, HEADS, bias=False)
    x = torch.randn(1, SEQ, D_MODEL)
    _, before = module(x, return_weights=True)
    with torch.no_grad():
        module.W_qkv.weight[D_MODEL : D_MODEL + 4].mul_(3.0)  # rows of W_k for head 0
    _, after = module(x, return_weights=True)
    assert not torch.allclose(before[:, 0], after[:, 0])
    assert_close(before[:, 1:], after[:, 1:])


@settings(max_examples=30, deadline=None)
@given(seq=st.integers(2, 7), seed=st.integers(0, 2**16), data=st.data())
def test_property_multi_head_is_permutation_equivariant(seq, seed, data):
    permutation = torch.tensor(data.draw(st.permutations(range(seq))))
    torch.manual_seed(seed)
    module = MultiHeadSelfAttention(D_MODEL, HEADS)
    x = torch.randn(2, seq, D_MODEL)
    output, weights = module(x, return_weights=True)
    output_shuffled, weights_shuffled = module(x[:, permutation], return_weights=True)
    assert_close(output_shuffled, output[:, permutation])
    assert_close(weights_shuffled, weights[:, :, permutation][..., permutation])


def test_fast_path_gives_zeros_even_where_torch_gives_nan(monkeypatch):
    """torch < 2.5 returns NaN (and NaN gradients) for a query that may attend no key."""
    fused_attention = F.scaled_dot_product_attention

    def attention_like_old_torch(q, k, v, attn_mask=None, **kwargs):
        output = fused_attention(q, k, v, attn_mask=attn_mask, **kwargs)
        if attn_mask is None or attn_mask.any(-1).all():
            return output
        nan_rows = q.sum(-1, keepdim=True) * float("nan")  # NaN forward and backward
        return torch.where(attn_mask.any(-1, keepdim=True), output, nan_rows)

    monkeypatch.setattr(F, "scaled_dot_product_attention", attention_like_old_torch)
    torch.manual_seed(8)
    module = MultiHeadSelfAttention(D_MODEL, HEADS)
    x = torch.randn(BATCH, SEQ, D_MODEL, requires_grad=True)
    mask = torch.ones(BATCH, SEQ, SEQ, dtype=torch.bool)
    mask[1, 0] = False
    output = module(x, mask=mask)
    assert_close(output, module(x, mask=mask, return_weights=True)[0])
    output.sum().backward()
    assert torch.isfinite(x.grad).all()
