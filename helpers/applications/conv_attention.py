"""A convolution is self-attention with a fixed receptive field: the exact construction.

Cordonnier, Loukas & Jaggi (ICLR 2020) show that a multi-head self-attention layer with ``K^2``
heads and a *quadratic relative positional encoding* computes any ``K x K`` convolution.

Tokens are pixels (rows are tokens: a pixel is the vector of its ``C_in`` channels). The queries
are the ``H * W`` pixels of the image, the keys and values are the pixels of the image
zero-padded by ``p = K // 2`` on every side, ``S = (H + 2p)(W + 2p)`` of them, so a query on
the border attends to padding zeros exactly as the convolution's zero padding does.

Head ``h`` is responsible for one offset ``Delta_h = (dr, dc)`` of the kernel,
``-p <= dr, dc <= p``. Its attention score between query pixel ``q`` and key pixel ``k``
depends only on their relative position ``delta = k - q`` (row, column):

    r_delta = (|delta|^2, delta_row, delta_col)            the relative encoding, same for all heads
    v_h     = -alpha * (1, -2 dr, -2 dc)                    the head's (here fixed) parameter
    score_h(q, k) = v_h . r_delta = -alpha |delta - Delta_h|^2 + alpha |Delta_h|^2

The last term is the same for every key, so softmax ignores it: the weights are
``softmax_k(-alpha |delta - Delta_h|^2)``, a Gaussian bump centred on ``q + Delta_h``. The closest
other key is one step further, with a relative weight of ``exp(-alpha)``: for ``alpha = 40`` that
is ``4e-18``, so every head attends (numerically) to exactly one pixel, ``q + Delta_h``.

Each head's value projection is the kernel slice ``W_v^h = W[:, :, dr + p, dc + p]^T``
(``(C_in, C_out)``), and the heads' outputs are summed (equivalently: concatenated and multiplied
by the output projection ``W_o``, the ``K^2`` slices stacked), plus the bias:

    out(q) = sum_h  sum_k softmax_k(score_h(q, k)) x_k W_v^h  + b
           = sum_h  x_{q + Delta_h} W[:, :, Delta_h]^T         + b     = conv(x)(q)

A convolution is this layer with the attention pattern *fixed*; a self-attention layer learns
where to look (its queries and keys depend on the content) and can look anywhere.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from ..core.softmax import softmax
from ..core.validation import (
    check_conv_for_attention,
    check_int,
    check_layer_input,
    check_odd_kernel_size,
    check_offsets,
    check_positive_number,
    check_same_dtype,
)
from .vision import FeatureMapAttentionLayer

DEFAULT_ALPHA = 40.0  # exp(-40) = 4e-18: the softmax is one-hot far below float64 rounding


def relative_offsets(height: int, width: int, padding: int) -> torch.Tensor:
    """The offset ``delta = key - query`` (row, column) of every key from every query.

    Queries are the ``height * width`` pixels of an image, keys the pixels of the same image
    zero-padded by ``padding`` on every side; both are numbered row by row. Query ``(i, j)``
    sits at ``(i + padding, j + padding)`` on the padded grid.

    Returns:
        A ``long`` tensor ``(height * width, (height + 2p) * (width + 2p), 2)``:
        ``[query, key] = (key_row - query_row, key_col - query_col)`` in padded coordinates.
    """
    check_int(height, "height", minimum=1)
    check_int(width, "width", minimum=1)
    check_int(padding, "padding", minimum=0)
    rows, cols = torch.meshgrid(torch.arange(height), torch.arange(width), indexing="ij")
    queries = torch.stack([rows, cols], dim=-1).reshape(-1, 1, 2) + padding  # (L, 1, 2)
    key_rows, key_cols = torch.meshgrid(
        torch.arange(height + 2 * padding), torch.arange(width + 2 * padding), indexing="ij"
    )
    keys = torch.stack([key_rows, key_cols], dim=-1).reshape(1, -1, 2)  # (1, S, 2)
    return keys - queries  # (L, S, 2)


def quadratic_encoding(offsets: torch.Tensor) -> torch.Tensor:
    """The quadratic relative encoding ``r_delta = (|delta|^2, delta_row, delta_col)``.

    Args:
        offsets: ``(..., 2)`` relative positions (row, column), integer or float.

    Returns:
        ``(..., 3)`` float tensor (float32 for integer input, else the input's dtype).
    """
    check_offsets(offsets)
    delta = offsets if offsets.is_floating_point() else offsets.float()
    return torch.cat([(delta**2).sum(-1, keepdim=True), delta], dim=-1)  # (..., 3)


def kernel_offsets(kernel_size: int) -> torch.Tensor:
    """``(K^2, 2)`` long: the offset ``Delta_h`` (row, column) of head ``h = ky * K + kx``.

    ``Delta_h = (ky - K // 2, kx - K // 2)``: head 0 looks up-left, head ``K^2 // 2`` at the
    query pixel itself, the last head down-right.
    """
    check_odd_kernel_size(kernel_size)
    half = kernel_size // 2
    ky, kx = torch.meshgrid(torch.arange(kernel_size), torch.arange(kernel_size), indexing="ij")
    return torch.stack([ky, kx], dim=-1).reshape(-1, 2) - half  # (K^2, 2)


class ConvAsSelfAttention(FeatureMapAttentionLayer):
    """Multi-head self-attention with ``K^2`` heads that computes a ``K x K`` convolution.

    Stride 1, zero padding ``K // 2`` (the output has the input's height and width), no dilation,
    one group, any channel counts, with or without bias. Build it from a convolution with
    :meth:`from_conv`; the two then agree to float rounding (``~1e-12`` in float64, ``~1e-6`` in
    float32) when ``alpha`` is large (the default 40).

    The attention weights are a genuine softmax over positional scores
    ``score_h(q, k) = v_h . r_{k - q}`` (see the module docstring); the queries' and keys'
    *content* plays no part (``W_q = W_k = 0`` in the paper), which is exactly what makes the
    receptive field fixed.

    Args:
        in_channels: ``C_in``, channels of the input (the size of each pixel token).
        out_channels: ``C_out``, channels of the output.
        kernel_size: odd ``K``; the layer has ``K^2`` heads.
        bias: add a learned bias of size ``C_out`` to the output.
        alpha: sharpness of the attention; weights off the target pixel are ``<= exp(-alpha)``.

    Attributes:
        value_weight: ``(K^2, C_in, C_out)``, head ``h``'s value projection ``W_v^h``
            (``x @ W_v^h``); stacked, they form the output projection ``W_o``.
        bias: ``(C_out,)`` or None.
        offsets: ``(K^2, 2)`` long buffer, head ``h``'s centre ``Delta_h`` (row, column).
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int,
        bias: bool = True,
        alpha: float = DEFAULT_ALPHA,
    ) -> None:
        super().__init__()
        check_int(in_channels, "in_channels", minimum=1)
        check_int(out_channels, "out_channels", minimum=1)
        check_odd_kernel_size(kernel_size)
        check_positive_number(alpha, "alpha")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.padding = kernel_size, kernel_size // 2
        self.num_heads = kernel_size**2
        self.alpha = float(alpha)
        self.register_buffer("offsets", kernel_offsets(kernel_size))  # (K^2, 2)
        # Initialised like nn.Conv2d: uniform in +-1/sqrt(fan_in), fan_in = C_in * K^2.
        bound = 1.0 / math.sqrt(in_channels * self.num_heads)
        self.value_weight = nn.Parameter(
            torch.empty(self.num_heads, in_channels, out_channels).uniform_(-bound, bound)
        )
        if bias:
            self.bias = nn.Parameter(torch.empty(out_channels).uniform_(-bound, bound))
        else:
            self.register_parameter("bias", None)

    @classmethod
    def from_conv(cls, conv: nn.Conv2d, alpha: float = DEFAULT_ALPHA) -> ConvAsSelfAttention:
        """The attention layer that computes ``conv`` (same weights, dtype and device).

        ``conv`` must have an odd square kernel, stride 1, zero padding ``K // 2`` (or
        ``padding="same"``), dilation 1 and ``groups=1``; anything else raises ``ValueError``.
        Head ``h = ky * K + kx`` gets ``W_v^h = conv.weight[:, :, ky, kx]^T``.
        """
        kernel_size = check_conv_for_attention(conv)
        layer = cls(
            conv.in_channels,
            conv.out_channels,
            kernel_size,
            bias=conv.bias is not None,
            alpha=alpha,
        )
        layer = layer.to(device=conv.weight.device, dtype=conv.weight.dtype)
        with torch.no_grad():
            weight = conv.weight.detach()  # (C_out, C_in, K, K)
            layer.value_weight.copy_(weight.permute(2, 3, 1, 0).reshape(layer.value_weight.shape))
            if conv.bias is not None:
                layer.bias.copy_(conv.bias.detach())
        return layer

    def positional_vectors(self) -> torch.Tensor:
        """``(K^2, 3)``: ``v_h = -alpha * (1, -2 dr, -2 dc)`` per head, in the layer's dtype."""
        centres = self.offsets.to(self.value_weight.dtype)  # (K^2, 2)
        ones = torch.ones_like(centres[:, :1])
        return -self.alpha * torch.cat([ones, -2 * centres], dim=-1)  # (K^2, 3)

    def attention_scores(self, height: int, width: int) -> torch.Tensor:
        """``(K^2, H * W, S)``: ``score_h(q, k) = v_h . r_{k - q}`` over the zero-padded grid."""
        offsets = relative_offsets(height, width, self.padding)  # (L, S, 2)
        encoding = quadratic_encoding(offsets).to(self.value_weight)  # (L, S, 3)
        return torch.einsum("lsr,hr->hls", encoding, self.positional_vectors())  # (K^2, L, S)

    def position_weights(self, height: int, width: int) -> torch.Tensor:
        """``(K^2, H * W, S)``: the softmax of :meth:`attention_scores` over the keys.

        Content-independent: the same for every image of this size. Each row sums to 1 and is
        (for large ``alpha``) one-hot on key ``q + Delta_h``.
        """
        return softmax(self.attention_scores(height, width), dim=-1)

    def forward(
        self, x: torch.Tensor, *, return_weights: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Apply the layer to images ``x`` ``(B, C_in, H, W)``.

        Args:
            x: images ``(B, C_in, H, W)`` in the dtype of the layer's weights.
            return_weights: also return the attention weights (keyword only).

        Returns:
            ``output`` ``(B, C_out, H, W)``, or ``(output, weights)`` with weights
            ``(B, K^2, H * W, S)`` with ``S = (H + 2p)(W + 2p)`` keys (the same for every image).
        """
        layout = "(batch, channels, height, width)"
        check_layer_input(x, "x", layout, 4, 4, 1, self.in_channels, "in_channels")
        check_same_dtype(x, self.value_weight)
        batch, _, height, width = x.shape
        p = self.padding
        padded = F.pad(x, (p, p, p, p))  # (B, C_in, H + 2p, W + 2p): zeros, like the conv
        keys = padded.flatten(2).transpose(1, 2)  # (B, S, C_in): one token per padded pixel
        weights = self.position_weights(height, width)  # (K^2, L, S)
        mixed = weights @ keys.unsqueeze(1)  # (B, K^2, L, C_in): each head's weighted sum
        out = torch.einsum("bhlc,hco->blo", mixed, self.value_weight)  # (B, L, C_out)
        if self.bias is not None:
            out = out + self.bias
        out = out.transpose(1, 2).reshape(batch, self.out_channels, height, width)
        if return_weights:
            return out, weights.unsqueeze(0).expand(batch, -1, -1, -1)  # (B, K^2, L, S)
        return out

    def extra_repr(self) -> str:
        return (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"heads={self.num_heads}, bias={self.bias is not None}, alpha={self.alpha:g}"
        )
