"""FeedForward and TransformerEncoderBlock, against nn.TransformerEncoderLayer and by hand.

Pitfalls tested here: torch's ``src_key_padding_mask`` is True at the *padding* (the opposite of
the course's True = may attend), and the outputs at padded positions are not comparable (torch's
fast path may return anything there), so only real tokens are compared with the fast path.
"""

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.testing import assert_close

from helpers import (
    FeedForward,
    MultiHeadSelfAttention,
    TransformerEncoderBlock,
    causal_mask,
    padding_mask,
)

BATCH, SEQ, D_MODEL, HEADS, D_FF = 3, 7, 12, 3, 20  # all sizes differ
LENGTHS = [7, 4, 2]


def torch_layer(norm_first, activation="relu", dropout=0.0, seed=0):
    """A torch encoder layer whose every parameter is random (LayerNorms and biases included)."""
    torch.manual_seed(seed)
    layer = nn.TransformerEncoderLayer(
        D_MODEL,
        HEADS,
        D_FF,
        dropout=dropout,
        activation=activation,
        batch_first=True,
        norm_first=norm_first,
    )
    with torch.no_grad():
        for name, parameter in layer.named_parameters():
            if "bias" in name or "norm" in name:
                parameter.normal_(mean=1.0 if name.endswith("norm1.weight") else 0.0, std=0.5)
    return layer.eval()


def tokens(seed=1):
    return torch.randn(BATCH, SEQ, D_MODEL, generator=torch.Generator().manual_seed(seed))


# --------------------------------------------------------------------------- FeedForward


def test_feed_forward_matches_the_formula():
    torch.manual_seed(0)
    ff = FeedForward(D_MODEL, D_FF)
    x = tokens()
    W1, b1 = ff.linear1.weight.T, ff.linear1.bias  # (d_model, d_ff), (d_ff,)
    W2, b2 = ff.linear2.weight.T, ff.linear2.bias  # (d_ff, d_model), (d_model,)
    assert_close(ff(x), torch.relu(x @ W1 + b1) @ W2 + b2)
    gelu = FeedForward(D_MODEL, D_FF, activation="gelu")
    gelu.load_state_dict(ff.state_dict())
    assert_close(gelu(x), F.gelu(x @ W1 + b1) @ W2 + b2)


def test_feed_forward_is_position_wise():
    # Changing one token changes only that token's output: the layer never mixes tokens.
    torch.manual_seed(0)
    ff = FeedForward(D_MODEL, D_FF)
    x = tokens()
    changed = x.clone()
    changed[:, 3] += 1.0
    with torch.no_grad():
        difference = (ff(changed) - ff(x)).abs().amax(dim=-1)  # (batch, seq)
    assert bool((difference[:, 3] > 1e-3).all())
    assert float(difference[:, [0, 1, 2, 4, 5, 6]].max()) == 0.0


# --------------------------------------------------------------------------- the block by hand


@pytest.mark.parametrize("norm_first", [False, True])
def test_block_matches_the_formula(norm_first):
    torch.manual_seed(0)
    block = TransformerEncoderBlock(D_MODEL, HEADS, D_FF, norm_first=norm_first)
    x = tokens()

    def attend(h):
        return block.attention(h, return_weights=True)[0]

    if norm_first:
        h = x + attend(block.norm1(x))
        expected = h + block.feed_forward(block.norm2(h))
    else:
        h = block.norm1(x + attend(x))
        expected = block.norm2(h + block.feed_forward(h))
    output = block(x)
    assert isinstance(output, torch.Tensor)  # no weights unless asked for
    assert_close(output, expected)


def test_post_norm_and_pre_norm_differ():
    # The same weights in the other order give another function (so the tests above can fail).
    torch.manual_seed(0)
    post = TransformerEncoderBlock(D_MODEL, HEADS, D_FF, norm_first=False)
    pre = TransformerEncoderBlock(D_MODEL, HEADS, D_FF, norm_first=True)
    pre.load_state_dict(post.state_dict())
    x = tokens()
    assert float((post(x) - pre(x)).detach().abs().max()) > 0.1


def test_post_norm_output_is_normalised_per_token():
    torch.manual_seed(0)
    block = TransformerEncoderBlock(D_MODEL, HEADS, D_FF)  # LayerNorm weight 1, bias 0 at init
    output = block(tokens() * 5 + 3)
    assert_close(output.mean(dim=-1), torch.zeros(BATCH, SEQ), atol=1e-5, rtol=0)
    assert_close(output.var(dim=-1, unbiased=False), torch.ones(BATCH, SEQ), atol=1e-3, rtol=0)


def test_return_weights_returns_the_attention_weights():
    torch.manual_seed(0)
    block = TransformerEncoderBlock(D_MODEL, HEADS, D_FF)
    mask = padding_mask(LENGTHS, SEQ)
    fast = block(tokens(), mask)
    explicit, weights = block(tokens(), mask, return_weights=True)
    assert isinstance(fast, torch.Tensor)
    assert weights.shape == (BATCH, HEADS, SEQ, SEQ)
    assert_close(weights.sum(dim=-1), torch.ones(BATCH, HEADS, SEQ))
    assert float(weights[1, :, :, 4:].detach().abs().max()) == 0.0  # padding keys get no weight
    assert_close(fast, explicit)


def test_dropout_is_active_in_training_only():
    torch.manual_seed(0)
    block = TransformerEncoderBlock(D_MODEL, HEADS, D_FF, dropout=0.5)
    x = tokens()
    first, second = block(x), block(x)
    assert not torch.allclose(first, second)
    block.eval()
    assert torch.equal(block(x), block(x))


# --------------------------------------------------------------------------- against torch


def compare_with_torch(norm_first, activation="relu"):
    layer = torch_layer(norm_first, activation)
    block = TransformerEncoderBlock.from_torch(layer)
    mask = padding_mask(LENGTHS, SEQ)  # (batch, 1, seq), True = real token
    is_padding = ~mask.squeeze(1)  # (batch, seq), torch's convention: True = ignore
    x = tokens()
    return layer, block, mask, is_padding, x


@pytest.mark.parametrize("return_weights", [False, True])
@pytest.mark.parametrize("norm_first", [False, True])
def test_from_torch_matches_with_a_padding_mask(norm_first, return_weights):
    layer, block, mask, is_padding, x = compare_with_torch(norm_first)
    ours = block(x, mask, return_weights=return_weights)
    ours = ours[0] if return_weights else ours
    # With gradients enabled torch takes its ordinary ("slow") path: every position compares.
    theirs = layer(x, src_key_padding_mask=is_padding)
    assert_close(ours, theirs, atol=1e-5, rtol=1e-5)
    # In eval mode without gradients torch may take its fused fast path: compare real tokens.
    with torch.no_grad():
        fast = layer(x, src_key_padding_mask=is_padding)
    real = mask.squeeze(1)  # (batch, seq)
    assert_close(ours[real], fast[real], atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize("norm_first", [False, True])
def test_from_torch_matches_without_mask_and_with_a_causal_mask(norm_first):
    layer, block, _, _, x = compare_with_torch(norm_first)
    assert_close(block(x), layer(x), atol=1e-5, rtol=1e-5)
    causal = causal_mask(SEQ)
    ours = block(x, causal)
    assert_close(ours, layer(x, src_mask=~causal), atol=1e-5, rtol=1e-5)  # torch: True = NOT
    assert_close(ours, layer(x, src_mask=~causal, is_causal=True), atol=1e-5, rtol=1e-5)


def test_forgetting_to_invert_the_mask_gives_other_outputs():
    layer, block, mask, _, x = compare_with_torch(norm_first=False)
    ours = block(x, mask)
    wrong = layer(x, src_key_padding_mask=mask.squeeze(1))  # attends to the padding only
    real = mask.squeeze(1).clone()
    real[0] = False  # sequence 0 has no padding: with the wrong mask it attends nothing (NaN)
    assert float((ours[real] - wrong[real]).detach().abs().max()) > 0.1


def test_from_torch_gelu_and_gradients():
    layer, block, mask, is_padding, x = compare_with_torch(norm_first=True, activation="gelu")
    assert block.feed_forward.activation == "gelu"
    assert (
        TransformerEncoderBlock.from_torch(torch_layer(True, nn.GELU())).feed_forward.activation
        == "gelu"
    )
    x_ours, x_theirs = x.clone().requires_grad_(), x.clone().requires_grad_()
    weight = torch.randn(BATCH, SEQ, D_MODEL)  # a loss that weights every output differently
    real = mask.squeeze(1).unsqueeze(-1)
    ((block(x_ours, mask) * weight * real).sum()).backward()
    ((layer(x_theirs, src_key_padding_mask=is_padding) * weight * real).sum()).backward()
    assert_close(x_ours.grad, x_theirs.grad, atol=1e-5, rtol=1e-5)
    assert_close(block.feed_forward.linear1.weight.grad, layer.linear1.weight.grad)
    assert_close(block.norm1.weight.grad, layer.norm1.weight.grad, atol=1e-5, rtol=1e-5)


def test_from_torch_copies_everything_and_shares_nothing():
    layer = torch_layer(norm_first=True, dropout=0.25)
    layer.train()
    block = TransformerEncoderBlock.from_torch(layer)
    assert block.training
    assert block.norm_first
    assert block.feed_forward.dropout.p == 0.25
    assert isinstance(block.attention, MultiHeadSelfAttention)
    assert block.norm1.eps == layer.norm1.eps
    n_ours = sum(p.numel() for p in block.parameters())
    assert n_ours == sum(p.numel() for p in layer.parameters())
    with torch.no_grad():
        layer.linear1.weight.zero_()
    assert float(block.feed_forward.linear1.weight.detach().abs().max()) > 0  # a copy


def test_from_torch_float64():
    layer = torch_layer(norm_first=False).double()
    block = TransformerEncoderBlock.from_torch(layer)
    x = tokens().double()
    assert block.norm1.weight.dtype == torch.float64
    assert_close(block(x), layer(x), atol=1e-12, rtol=1e-12)


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"d_model": 10, "num_heads": 3}, "d_model=10 is not divisible by num_heads=3"),
        ({"dropout": 1.0}, "dropout must be a probability in [0, 1), got 1.0"),
        ({"dropout": -0.1}, "got -0.1"),
        ({"norm_first": "yes"}, "norm_first must be True or False, got 'yes'"),
        ({"activation": "tanh"}, "activation must be one of ['gelu', 'relu'], got 'tanh'"),
        ({"d_ff": 0}, "d_ff must be >= 1, got 0"),
    ],
)
def test_bad_construction(kwargs, words):
    arguments = {"d_model": D_MODEL, "num_heads": HEADS, "d_ff": D_FF, **kwargs}
    with pytest.raises(ValueError) as error:
        TransformerEncoderBlock(**arguments)
    assert words in str(error.value)


@pytest.mark.parametrize(
    ("x", "mask", "words"),
    [
        (torch.randn(SEQ, D_MODEL), None, "x must have shape (batch, seq, d_model)"),
        (torch.randn(BATCH, SEQ, 8), None, "x.shape[-1] must be d_model = 12, got 8"),
        (torch.ones(BATCH, SEQ, D_MODEL, dtype=torch.long), None, "floating-point"),
        (torch.randn(BATCH, SEQ, D_MODEL), torch.ones(SEQ, SEQ), "bool"),
        (
            torch.randn(BATCH, SEQ, D_MODEL),
            torch.ones(SEQ, SEQ + 1, dtype=torch.bool),
            "mask with shape (7, 8) is not broadcastable to (batch, seq, seq) = (3, 7, 7)",
        ),
    ],
)
def test_bad_forward_inputs(x, mask, words):
    block = TransformerEncoderBlock(D_MODEL, HEADS, D_FF)
    with pytest.raises(ValueError) as error:
        block(x, mask)
    assert words in str(error.value)


def test_feed_forward_bad_input():
    with pytest.raises(ValueError, match=r"x.shape\[-1\] must be d_model = 12, got 5"):
        FeedForward(D_MODEL, D_FF)(torch.randn(2, 5))


@pytest.mark.parametrize(
    ("layer", "words"),
    [
        (nn.MultiheadAttention(D_MODEL, HEADS), "must be an nn.TransformerEncoderLayer"),
        (nn.TransformerEncoderLayer(D_MODEL, HEADS, D_FF), "batch_first=True"),
        (
            nn.TransformerEncoderLayer(
                D_MODEL, HEADS, D_FF, activation=torch.tanh, batch_first=True
            ),
            "relu or gelu",
        ),
        (
            nn.TransformerEncoderLayer(
                D_MODEL, HEADS, D_FF, activation=nn.GELU(approximate="tanh"), batch_first=True
            ),
            "relu or gelu",
        ),
        (
            nn.TransformerEncoderLayer(D_MODEL, HEADS, D_FF, batch_first=True, bias=False),
            "bias=False",
        ),
    ],
)
def test_from_torch_rejects(layer, words):
    with pytest.raises(ValueError) as error:
        TransformerEncoderBlock.from_torch(layer)
    assert words in str(error.value)
