"""Every public function rejects bad input with a ValueError that names what was wrong."""

import pytest
import torch
from torch import nn

from helpers import (
    AdditiveScore,
    MultiHeadSelfAttention,
    SelfAttention,
    causal_mask,
    dot_product_score,
    graph_mask,
    local_mask,
    merge_heads,
    padding_mask,
    relative_position_matrix,
    scaled_dot_product_attention,
    sinusoidal_encoding,
    softmax,
    split_heads,
)


def randn(*shape):
    return torch.randn(*shape)


def ones_mask(*shape):
    return torch.ones(*shape, dtype=torch.bool)


# (id, call, substrings the message must contain)
CASES = [
    # softmax
    ("softmax_int_input", lambda: softmax(torch.arange(6).reshape(2, 3)), ["torch.int64"]),
    ("softmax_scalar", lambda: softmax(torch.tensor(1.0)), ["0-dimensional"]),
    ("softmax_dim", lambda: softmax(randn(2, 3), dim=2), ["dim=2", "(2, 3)"]),
    (
        "softmax_float_mask",
        lambda: softmax(randn(2, 3), mask=torch.ones(2, 3)),
        ["bool", "torch.float32"],
    ),
    (
        "softmax_mask_shape",
        lambda: softmax(randn(2, 3), mask=ones_mask(3, 2)),
        ["(3, 2)", "(2, 3)"],
    ),
    # dot_product_score
    ("dot_d_mismatch", lambda: dot_product_score(randn(3, 4), randn(5, 6)), ["(3, 4)", "(5, 6)"]),
    ("dot_k_rank", lambda: dot_product_score(randn(4), randn(4)), ["k", "(4,)"]),
    ("dot_q_rank", lambda: dot_product_score(randn(2, 3, 4), randn(5, 4)), ["(2, 3, 4)", "(5, 4)"]),
    (
        "dot_batch",
        lambda: dot_product_score(randn(2, 3, 4), randn(3, 5, 4)),
        ["(2,)", "(3,)"],
    ),
    ("dot_not_tensor", lambda: dot_product_score([1.0, 2.0], randn(3, 2)), ["q", "list"]),
    # AdditiveScore
    ("additive_d_q", lambda: AdditiveScore(0, 4, 5), ["d_q", "0"]),
    ("additive_d_hidden", lambda: AdditiveScore(3, 4, 2.5), ["d_hidden", "2.5"]),
    ("additive_q_size", lambda: AdditiveScore(3, 4, 5)(randn(2, 6), randn(7, 4)), ["d_q = 3", "6"]),
    (
        "additive_k_size",
        lambda: AdditiveScore(3, 4, 5)(randn(2, 3), randn(7, 3)),
        ["d_k = 4", "(7, 3)"],
    ),
    # scaled_dot_product_attention
    (
        "sdpa_d_mismatch",
        lambda: scaled_dot_product_attention(randn(3, 4), randn(5, 6), randn(5, 2)),
        ["(3, 4)", "(5, 6)"],
    ),
    (
        "sdpa_s_mismatch",
        lambda: scaled_dot_product_attention(randn(3, 4), randn(5, 4), randn(6, 2)),
        ["(5, 4)", "(6, 2)"],
    ),
    (
        "sdpa_rank",
        lambda: scaled_dot_product_attention(randn(4), randn(5, 4), randn(5, 2)),
        ["(4,)"],
    ),
    (
        "sdpa_batch",
        lambda: scaled_dot_product_attention(randn(2, 3, 4), randn(3, 5, 4), randn(3, 5, 2)),
        ["(2,)", "(3,)"],
    ),
    (
        "sdpa_transposed_mask",
        lambda: scaled_dot_product_attention(
            randn(3, 4), randn(5, 4), randn(5, 2), mask=ones_mask(5, 3)
        ),
        ["(5, 3)", "(3, 5)"],
    ),
    (
        "sdpa_int_mask",
        lambda: scaled_dot_product_attention(
            randn(3, 4), randn(5, 4), randn(5, 2), mask=torch.ones(3, 5, dtype=torch.int64)
        ),
        ["bool", "torch.int64"],
    ),
    # SelfAttention
    ("self_attention_d_out", lambda: SelfAttention(4, -1), ["d_out", "-1"]),
    (
        "self_attention_x_size",
        lambda: SelfAttention(4, 3)(randn(2, 5, 6)),
        ["d_in = 4", "(2, 5, 6)"],
    ),
    ("self_attention_x_rank", lambda: SelfAttention(4, 3)(randn(4)), ["(4,)"]),
    (
        "self_attention_mask",
        lambda: SelfAttention(4, 3)(randn(2, 5, 4), mask=ones_mask(5, 6)),
        ["(5, 6)", "(2, 5, 5)"],
    ),
    # split_heads / merge_heads
    ("split_divisible", lambda: split_heads(randn(2, 5, 10), 3), ["d_model=10", "num_heads=3"]),
    ("split_rank", lambda: split_heads(randn(10), 2), ["(10,)"]),
    ("split_heads_zero", lambda: split_heads(randn(2, 5, 10), 0), ["num_heads", "0"]),
    ("merge_rank", lambda: merge_heads(randn(5, 4)), ["(5, 4)"]),
    # MultiHeadSelfAttention
    ("mhsa_divisible", lambda: MultiHeadSelfAttention(10, 3), ["d_model=10", "num_heads=3"]),
    ("mhsa_x_rank", lambda: MultiHeadSelfAttention(8, 2)(randn(5, 8)), ["(5, 8)"]),
    ("mhsa_x_size", lambda: MultiHeadSelfAttention(8, 2)(randn(2, 5, 6)), ["d_model = 8", "6"]),
    (
        "mhsa_mask_seq",
        lambda: MultiHeadSelfAttention(8, 2)(randn(2, 5, 8), mask=ones_mask(2, 4, 4)),
        ["(2, 4, 4)", "(2, 5, 5)"],
    ),
    (
        "mhsa_mask_heads",
        lambda: MultiHeadSelfAttention(8, 2)(randn(2, 5, 8), mask=ones_mask(2, 3, 5, 5)),
        ["(2, 3, 5, 5)", "(2, 2, 5, 5)"],
    ),
    (
        "mhsa_mask_rank",
        lambda: MultiHeadSelfAttention(8, 2)(randn(2, 5, 8), mask=ones_mask(1, 2, 2, 5, 5)),
        ["(1, 2, 2, 5, 5)"],
    ),
    (
        "mhsa_mask_dtype_fast_path",
        lambda: MultiHeadSelfAttention(8, 2)(randn(2, 5, 8), mask=torch.zeros(5, 5)),
        ["bool", "torch.float32"],
    ),
    (
        "from_torch_batch_first",
        lambda: MultiHeadSelfAttention.from_torch(nn.MultiheadAttention(8, 2)),
        ["batch_first"],
    ),
    (
        "from_torch_kdim",
        lambda: MultiHeadSelfAttention.from_torch(
            nn.MultiheadAttention(8, 2, kdim=6, vdim=6, batch_first=True)
        ),
        ["kdim=6", "vdim=6"],
    ),
    (
        "from_torch_bias_kv",
        lambda: MultiHeadSelfAttention.from_torch(
            nn.MultiheadAttention(8, 2, add_bias_kv=True, batch_first=True)
        ),
        ["add_bias_kv"],
    ),
    (
        "from_torch_not_mha",
        lambda: MultiHeadSelfAttention.from_torch(nn.Linear(8, 8)),
        ["Linear"],
    ),
    # positional encoding
    ("pe_n_positions", lambda: sinusoidal_encoding(0, 8), ["n_positions", "0"]),
    ("pe_d_model", lambda: sinusoidal_encoding(5, 8.0), ["d_model", "8.0"]),
    ("pe_base", lambda: sinusoidal_encoding(5, 8, base=-1.0), ["base", "-1.0"]),
    ("relative_odd", lambda: relative_position_matrix(1, 7), ["d_model=7", "odd"]),
    ("relative_offset", lambda: relative_position_matrix(1.5, 8), ["offset", "1.5"]),
    # masks
    ("causal_zero", lambda: causal_mask(0), ["seq_len", "0"]),
    ("causal_float", lambda: causal_mask(2.5), ["seq_len", "2.5"]),
    ("local_negative_left", lambda: local_mask(5, -1, 2), ["left", "-1"]),
    ("local_negative_right", lambda: local_mask(5, 1, -3), ["right", "-3"]),
    ("padding_too_long", lambda: padding_mask([2, 7], 5), ["seq_len=5", "[2, 7]"]),
    ("padding_negative", lambda: padding_mask(torch.tensor([-1, 2]), 5), ["[-1, 2]"]),
    ("padding_float", lambda: padding_mask(torch.tensor([1.0, 2.0]), 5), ["torch.float32"]),
    ("padding_rank", lambda: padding_mask(torch.tensor([[1, 2]]), 5), ["(1, 2)"]),
    ("graph_not_square", lambda: graph_mask(torch.ones(3, 4)), ["square", "(3, 4)"]),
    ("graph_rank", lambda: graph_mask(torch.ones(3)), ["(3,)"]),
    ("graph_weighted", lambda: graph_mask(torch.tensor([[0.0, 2.0], [1.0, 0.0]])), ["2.0"]),
]


@pytest.mark.parametrize(
    ("call", "expected_parts"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_input_raises_value_error_naming_the_problem(call, expected_parts):
    with pytest.raises(ValueError) as raised:
        call()
    message = str(raised.value)
    for part in expected_parts:
        assert part in message, f"{part!r} not in {message!r}"
