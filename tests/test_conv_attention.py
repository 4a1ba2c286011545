"""ConvAsSelfAttention: a K^2-head self-attention layer equal to nn.Conv2d (Cordonnier et al.).

The references are independent: nn.Conv2d itself for the outputs, and explicit loops over
queries, keys and heads for the offsets and the attention weights.
"""

import math

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from helpers import ConvAsSelfAttention, kernel_offsets, quadratic_encoding, relative_offsets

TOLERANCE = {torch.float64: 1e-12, torch.float32: 1e-5}  # the spec's agreement with nn.Conv2d


def random_conv(c_in, c_out, kernel_size, bias, dtype, seed=0, **kwargs):
    torch.manual_seed(seed)
    conv = nn.Conv2d(c_in, c_out, kernel_size, padding=kernel_size // 2, bias=bias, **kwargs)
    conv = conv.to(dtype)
    if bias:  # make the bias large enough to matter
        with torch.no_grad():
            conv.bias.normal_()
    return conv


# --------------------------------------------------------------------------- the construction


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("kernel_size", [1, 3, 5])
@pytest.mark.parametrize(("c_in", "c_out"), [(1, 1), (3, 2), (2, 5)])
def test_equals_conv2d(c_in, c_out, kernel_size, bias, dtype):
    conv = random_conv(c_in, c_out, kernel_size, bias, dtype)
    layer = ConvAsSelfAttention.from_conv(conv)
    x = torch.randn(2, c_in, 5, 7, dtype=dtype, generator=torch.Generator().manual_seed(1))
    out = layer(x)
    assert out.dtype == dtype
    assert out.shape == (2, c_out, 5, 7)
    assert_close(out, conv(x), rtol=0, atol=TOLERANCE[dtype])


@pytest.mark.parametrize(("height", "width"), [(1, 1), (1, 6), (6, 1), (4, 9), (16, 16)])
def test_equals_conv2d_on_odd_image_shapes(height, width):
    # images smaller than the kernel: border queries see mostly padding
    conv = random_conv(2, 3, 5, True, torch.float64, seed=2)
    x = torch.randn(3, 2, height, width, dtype=torch.float64)
    assert_close(ConvAsSelfAttention.from_conv(conv)(x), conv(x), rtol=0, atol=1e-12)


def test_padding_same_is_accepted():
    torch.manual_seed(3)
    conv = nn.Conv2d(2, 3, 3, padding="same").double()
    x = torch.randn(1, 2, 4, 6, dtype=torch.float64)
    assert_close(ConvAsSelfAttention.from_conv(conv)(x), conv(x), rtol=0, atol=1e-12)


def test_weights_are_copied_per_head():
    conv = random_conv(3, 4, 3, True, torch.float64)
    layer = ConvAsSelfAttention.from_conv(conv)
    assert layer.num_heads == 9
    assert layer.value_weight.shape == (9, 3, 4)  # (heads, C_in, C_out): x @ W_v^h
    for h, (ky, kx) in enumerate([(ky, kx) for ky in range(3) for kx in range(3)]):
        assert_close(layer.value_weight[h], conv.weight[:, :, ky, kx].T)
    assert_close(layer.bias, conv.bias)
    assert layer.value_weight.data_ptr() != conv.weight.data_ptr()  # a copy, not shared


def test_gradients_match_conv2d():
    conv = random_conv(2, 3, 3, True, torch.float64, seed=4)
    layer = ConvAsSelfAttention.from_conv(conv)
    x = torch.randn(2, 2, 4, 5, dtype=torch.float64)
    target = torch.randn(2, 3, 4, 5, dtype=torch.float64)
    ((conv(x) - target) ** 2).sum().backward()
    ((layer(x) - target) ** 2).sum().backward()
    grad = conv.weight.grad.permute(2, 3, 1, 0).reshape(9, 2, 3)
    assert_close(layer.value_weight.grad, grad, rtol=0, atol=1e-10)
    assert_close(layer.bias.grad, conv.bias.grad, rtol=0, atol=1e-10)


# --------------------------------------------------------------------------- the attention


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("kernel_size", [1, 3, 5])
def test_each_head_attends_one_hot_to_its_offset(kernel_size, dtype):
    conv = random_conv(2, 3, kernel_size, True, dtype)
    layer = ConvAsSelfAttention.from_conv(conv)
    batch, height, width, p = 2, 4, 6, kernel_size // 2
    x = torch.randn(batch, 2, height, width, dtype=dtype)
    out, weights = layer(x, return_weights=True)
    n_keys = (height + 2 * p) * (width + 2 * p)
    assert weights.shape == (batch, kernel_size**2, height * width, n_keys)
    assert weights.dtype == dtype
    assert_close(out, layer(x))
    assert_close(weights.sum(-1), torch.ones(batch, kernel_size**2, height * width, dtype=dtype))
    assert (weights >= 0).all()
    # independent: head (ky, kx) of query (i, j) must pick padded pixel (i + ky, j + kx)
    expected = torch.empty(kernel_size**2, height * width, dtype=torch.long)
    for ky in range(kernel_size):
        for kx in range(kernel_size):
            for i in range(height):
                for j in range(width):
                    key = (i + ky) * (width + 2 * p) + (j + kx)
                    expected[ky * kernel_size + kx, i * width + j] = key
    for b in range(batch):
        assert torch.equal(weights[b].argmax(-1), expected)
    one_hot = torch.zeros_like(weights[0]).scatter_(-1, expected.unsqueeze(-1), 1.0)
    assert_close(weights[0], one_hot, rtol=0, atol=TOLERANCE[dtype] * 1e-2)


def test_weights_are_a_real_softmax_of_quadratic_scores():
    # with a small alpha the weights are soft: they must equal softmax(-alpha |delta - Delta|^2)
    alpha, kernel_size, height, width = 0.7, 3, 3, 4
    layer = ConvAsSelfAttention(1, 1, kernel_size, alpha=alpha).double()
    weights = layer.position_weights(height, width)  # (9, 12, 30)
    p, padded_width = 1, width + 2
    for h in range(kernel_size**2):
        dr, dc = h // kernel_size - p, h % kernel_size - p
        for q in range(height * width):
            qi, qj = q // width + p, q % width + p
            scores = torch.tensor(
                [
                    -alpha
                    * ((k // padded_width - qi - dr) ** 2 + (k % padded_width - qj - dc) ** 2)
                    for k in range(weights.shape[-1])
                ],
                dtype=torch.float64,
            )
            assert_close(weights[h, q], torch.softmax(scores, dim=0))
    assert weights.max() < 0.8  # soft, not one-hot
    x = torch.randn(1, 1, height, width, dtype=torch.float64)
    conv = nn.Conv2d(1, 1, 3, padding=1).double()
    soft = ConvAsSelfAttention.from_conv(conv, alpha=alpha)
    assert (soft(x) - conv(x)).abs().max() > 1e-3  # a small alpha blurs: no longer the conv


def test_scores_are_v_dot_r():
    layer = ConvAsSelfAttention(1, 1, 3, alpha=2.0).double()
    v = layer.positional_vectors()
    assert_close(v[0], torch.tensor([-2.0, -4.0, -4.0], dtype=torch.float64))  # Delta = (-1, -1)
    assert_close(v[5], torch.tensor([-2.0, 0.0, 4.0], dtype=torch.float64))  # Delta = (0, 1)
    r = quadratic_encoding(relative_offsets(2, 3, 1)).double()  # (6, 20, 3)
    assert_close(layer.attention_scores(2, 3), torch.einsum("lsr,hr->hls", r, v))


def test_alpha_controls_the_error():
    conv = random_conv(2, 2, 3, True, torch.float64, seed=5)
    x = torch.randn(1, 2, 6, 6, dtype=torch.float64)
    errors = [
        (ConvAsSelfAttention.from_conv(conv, alpha=a)(x) - conv(x)).abs().max().item()
        for a in (1.0, 3.0, 6.0)
    ]
    assert errors[0] > errors[1] > errors[2] > 0
    assert errors[2] < 0.1 * errors[1]  # decays like exp(-alpha)


def test_border_queries_attend_to_padding():
    layer = ConvAsSelfAttention(1, 1, 3).double()
    weights = layer.position_weights(3, 3)  # keys on the 5 x 5 padded grid
    assert weights[0, 0].argmax() == 0  # query (0, 0), head Delta = (-1, -1): padded corner
    assert weights[8, 8].argmax() == 24  # query (2, 2), head Delta = (1, 1): opposite corner


def test_direct_construction_and_repr():
    torch.manual_seed(0)
    layer = ConvAsSelfAttention(3, 4, 5, bias=False)
    assert layer.bias is None
    assert sum(p.numel() for p in layer.parameters()) == 25 * 3 * 4
    assert layer(torch.randn(2, 3, 6, 7)).shape == (2, 4, 6, 7)
    assert "heads=25" in repr(layer)
    assert "alpha=40" in repr(layer)


# --------------------------------------------------------------------------- positions


def test_relative_offsets_by_loops():
    height, width, p = 2, 3, 1
    offsets = relative_offsets(height, width, p)
    assert offsets.shape == (6, 20, 2)
    assert offsets.dtype == torch.long
    for q in range(height * width):
        for k in range(20):
            expected = (k // (width + 2) - (q // width + p), k % (width + 2) - (q % width + p))
            assert tuple(offsets[q, k].tolist()) == expected


def test_relative_offsets_without_padding():
    offsets = relative_offsets(3, 2, 0)
    assert offsets.shape == (6, 6, 2)
    assert torch.equal(offsets, -offsets.transpose(0, 1))  # antisymmetric
    assert torch.equal(offsets.diagonal(dim1=0, dim2=1), torch.zeros(2, 6, dtype=torch.long))


def test_quadratic_encoding():
    r = quadratic_encoding(torch.tensor([[1, -2], [0, 3]]))
    assert_close(r, torch.tensor([[5.0, 1.0, -2.0], [9.0, 0.0, 3.0]]))
    assert quadratic_encoding(torch.zeros(4, 2, dtype=torch.float64)).dtype == torch.float64


def test_kernel_offsets():
    assert kernel_offsets(1).tolist() == [[0, 0]]
    assert kernel_offsets(3).tolist() == [[r, c] for r in (-1, 0, 1) for c in (-1, 0, 1)]
    assert kernel_offsets(5).shape == (25, 2)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("conv", "words"),
    [
        (nn.Conv2d(1, 1, 2, padding=1), ["odd", "(2, 2)"]),
        (nn.Conv2d(1, 1, 4, padding=2), ["odd", "(4, 4)"]),
        (nn.Conv2d(1, 1, (3, 5), padding=(1, 2)), ["square", "(3, 5)"]),
        (nn.Conv2d(1, 1, 3, padding=1, stride=2), ["stride", "(2, 2)"]),
        (nn.Conv2d(1, 1, 3, padding=1, stride=(1, 2)), ["stride", "(1, 2)"]),
        (nn.Conv2d(1, 1, 3, padding=0), ["padding", "(0, 0)"]),
        (nn.Conv2d(1, 1, 3, padding=2), ["padding", "(2, 2)"]),
        (nn.Conv2d(1, 1, 3, padding="valid"), ["padding", "'valid'"]),
        (nn.Conv2d(1, 1, 3, padding=1, dilation=2), ["dilation", "(2, 2)"]),
        (nn.Conv2d(2, 2, 3, padding=1, groups=2), ["groups=2"]),
        (nn.Conv2d(1, 1, 3, padding=1, padding_mode="reflect"), ["zeros", "'reflect'"]),
        (nn.Conv2d(1, 1, 3, padding=1, padding_mode="circular"), ["'circular'"]),
        (nn.Conv1d(1, 1, 3, padding=1), ["nn.Conv2d", "Conv1d"]),
        (nn.Linear(3, 3), ["nn.Conv2d", "Linear"]),
    ],
)
def test_from_conv_rejects(conv, words):
    with pytest.raises(ValueError) as raised:
        ConvAsSelfAttention.from_conv(conv)
    for word in words:
        assert word in str(raised.value)


def test_one_by_one_valid_padding_is_accepted():
    conv = nn.Conv2d(2, 3, 1, padding="valid").double()
    x = torch.randn(1, 2, 3, 4, dtype=torch.float64)
    assert_close(ConvAsSelfAttention.from_conv(conv)(x), conv(x), rtol=0, atol=1e-12)


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: ConvAsSelfAttention(1, 1, 2), ["odd", "kernel_size=2"]),
        (lambda: ConvAsSelfAttention(1, 1, 0), ["kernel_size", ">= 1"]),
        (lambda: ConvAsSelfAttention(0, 1, 3), ["in_channels"]),
        (lambda: ConvAsSelfAttention(1, 1, 3, alpha=0.0), ["alpha", "positive"]),
        (lambda: ConvAsSelfAttention(1, 1, 3, alpha=-1.0), ["alpha"]),
        (lambda: ConvAsSelfAttention.from_conv(nn.Conv2d(1, 1, 3, padding=1), alpha=0), ["alpha"]),
        (lambda: kernel_offsets(4), ["odd"]),
        (lambda: relative_offsets(0, 3, 1), ["height"]),
        (lambda: relative_offsets(3, 3, -1), ["padding"]),
        (lambda: quadratic_encoding(torch.zeros(4, 3)), ["(..., 2)", "(4, 3)"]),
    ],
)
def test_constructors_reject(make, words):
    with pytest.raises(ValueError) as raised:
        make()
    for word in words:
        assert word in str(raised.value)


@pytest.mark.parametrize(
    ("x", "words"),
    [
        (torch.randn(2, 3, 5), ["(batch, channels, height, width)", "(2, 3, 5)"]),
        (torch.randn(1, 2, 3, 4, 5), ["(1, 2, 3, 4, 5)"]),
        (torch.randn(2, 4, 5, 6), ["in_channels = 3", "(2, 4, 5, 6)"]),
        (torch.ones(2, 3, 5, 6, dtype=torch.long), ["floating-point", "torch.int64"]),
        (torch.randn(2, 3, 5, 6, dtype=torch.float64), ["torch.float64", "torch.float32"]),
    ],
)
def test_forward_rejects(x, words):
    layer = ConvAsSelfAttention(3, 2, 3)
    with pytest.raises(ValueError) as raised:
        layer(x)
    for word in words:
        assert word in str(raised.value)


def test_default_alpha_is_sharp_enough_for_float64():
    layer = ConvAsSelfAttention(1, 1, 3)
    assert math.exp(-layer.alpha) < 1e-13  # the next-nearest key's relative weight
