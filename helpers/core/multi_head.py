"""Multi-head self-attention: several attention heads side by side, each looking for its own
kind of relation, their outputs concatenated and mixed by an output projection.

    Q, K, V = x W_q, x W_k, x W_v                     (batch, seq, d_model) each
    split each into h heads of size d_head = d_model / h  -> (batch, h, seq, d_head)
    head_i  = softmax(Q_i K_i^T / sqrt(d_head)) V_i
    output  = concat(head_1, ..., head_h) W_o         (batch, seq, d_model)

The heads cost no extra parameters compared with one big head of size ``d_model``: the same
``W_q, W_k, W_v`` are only *read* as ``h`` slices.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .attention import SelfAttentionLayer, scaled_dot_product_attention
from .validation import (
    check_floating,
    check_heads,
    check_layer_input,
    check_multi_head_mask,
    check_rank,
    check_split_heads,
    check_torch_multi_head,
)


def split_heads(x: torch.Tensor, num_heads: int) -> torch.Tensor:
    """Cut the feature dimension into heads: ``(..., seq, d_model) -> (..., heads, seq, d_head)``.

    Head ``i`` gets features ``i * d_head : (i + 1) * d_head`` (the layout
    ``nn.MultiheadAttention`` uses), with ``d_head = d_model / num_heads``.
    """
    check_split_heads(x, num_heads)
    d_head = x.shape[-1] // num_heads
    x = x.unflatten(-1, (num_heads, d_head))  # (..., seq, heads, d_head)
    return x.transpose(-3, -2)  # (..., heads, seq, d_head)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    """Concatenate the heads again: ``(..., heads, seq, d_head) -> (..., seq, heads * d_head)``.

    The inverse of :func:`split_heads`.
    """
    check_floating(x, "x")
    check_rank(x, "x", "(..., heads, seq, d_head)", min_rank=3)
    x = x.transpose(-3, -2)  # (..., seq, heads, d_head)
    return x.flatten(-2)  # (..., seq, heads * d_head)


def _attention_without_weights(
    q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, mask: torch.Tensor | None
) -> torch.Tensor:
    """PyTorch's fused attention, with zeros (never NaN) for queries that may attend no key.

    Older torch versions return NaN for a fully masked query row. We let such rows attend to
    every key (any finite result will do) and overwrite them with zeros afterwards; without a
    mask, or when every row has an allowed key, nothing is added.
    """
    if mask is None:
        return F.scaled_dot_product_attention(q, k, v)
    has_allowed_key = mask.any(dim=-1, keepdim=True)  # (..., L, 1)
    if bool(has_allowed_key.all()):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    output = F.scaled_dot_product_attention(q, k, v, attn_mask=mask | ~has_allowed_key)
    return output.masked_fill(~has_allowed_key, 0.0)


class MultiHeadSelfAttention(SelfAttentionLayer):
    """Multi-head self-attention, equal to ``nn.MultiheadAttention(batch_first=True)``.

    Parameters (same layout as ``nn.MultiheadAttention``, so :meth:`from_torch` is a plain copy):

    * ``W_qkv``: one ``nn.Linear(d_model, 3 * d_model)``; its output holds Q, K and V side by side
      (one big matrix product instead of three is faster; ``W_qkv.weight`` stacks ``W_q, W_k, W_v``
      row-wise, each as ``nn.Linear`` stores it, i.e. transposed).
    * ``W_o``: the output projection ``nn.Linear(d_model, d_model)``.

    Args:
        d_model: size of each token vector; must be divisible by ``num_heads``.
        num_heads: number of heads ``h``; each works in ``d_head = d_model / h`` dimensions.
        bias: learned biases in both projections (``nn.MultiheadAttention``'s default).
    """

    def __init__(self, d_model: int, num_heads: int, bias: bool = True) -> None:
        super().__init__()
        check_heads(d_model, num_heads)
        self.d_model = d_model
        self.num_heads = num_heads
        self.d_head = d_model // num_heads
        self.W_qkv = nn.Linear(d_model, 3 * d_model, bias=bias)
        self.W_o = nn.Linear(d_model, d_model, bias=bias)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None, *, return_weights: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Multi-head self-attention over the tokens of ``x``.

        Args:
            x: tokens ``(batch, seq, d_model)``.
            mask: optional bool tensor, True = may attend, shaped (or broadcastable to)
                ``(seq, seq)``, ``(batch, seq, seq)`` (the same for every head; a padding mask
                ``(batch, 1, seq)`` fits here) or ``(batch, heads, seq, seq)``.
            return_weights: (keyword only) True runs the explicit teaching path
                (:func:`helpers.scaled_dot_product_attention`) and also returns the weights;
                False (the default) runs PyTorch's fused ``F.scaled_dot_product_attention``.

        Returns:
            ``output`` ``(batch, seq, d_model)``, or ``(output, weights)`` with weights
            ``(batch, heads, seq, seq)``. A query that may attend no key gets zeros from the
            attention, i.e. the output row is ``W_o``'s bias.
        """
        check_layer_input(x, "x", "(batch, seq, d_model)", 3, 3, -1, self.d_model, "d_model")
        batch, seq, _ = x.shape
        if mask is not None:
            check_multi_head_mask(mask, batch, self.num_heads, seq)
            if mask.ndim == 3:
                mask = mask.unsqueeze(1)  # (batch, 1, seq|1, seq): the same for every head

        q, k, v = self.W_qkv(x).chunk(3, dim=-1)  # 3 x (batch, seq, d_model)
        q = split_heads(q, self.num_heads)  # (batch, heads, seq, d_head)
        k = split_heads(k, self.num_heads)  # (batch, heads, seq, d_head)
        v = split_heads(v, self.num_heads)  # (batch, heads, seq, d_head)
        if not return_weights:  # the fast path: PyTorch's fused kernel, no weights kept
            heads = _attention_without_weights(q, k, v, mask)  # (batch, heads, seq, d_head)
            return self.W_o(merge_heads(heads))  # (batch, seq, d_model)
        heads, weights = scaled_dot_product_attention(q, k, v, mask=mask, return_weights=True)
        return self.W_o(merge_heads(heads)), weights  # (batch, seq, d_model), (b, h, seq, seq)

    @classmethod
    def from_torch(cls, module: nn.MultiheadAttention) -> MultiHeadSelfAttention:
        """A copy of a ``nn.MultiheadAttention(..., batch_first=True)`` with the same weights.

        The copy computes the same outputs (within float rounding) as ``module`` in eval mode (we
        have no dropout). Pitfall when comparing the two: **the bool masks mean opposite things**.
        Here (and in ``F.scaled_dot_product_attention``) True = may attend; in
        ``nn.MultiheadAttention``'s ``attn_mask`` / ``key_padding_mask`` True = may NOT attend.
        Pass ``attn_mask=~mask`` to the torch module.
        """
        has_bias = check_torch_multi_head(module)
        copy = cls(module.embed_dim, module.num_heads, bias=has_bias)
        copy = copy.to(device=module.in_proj_weight.device, dtype=module.in_proj_weight.dtype)
        with torch.no_grad():
            copy.W_qkv.weight.copy_(module.in_proj_weight)
            copy.W_o.weight.copy_(module.out_proj.weight)
            if has_bias:
                copy.W_qkv.bias.copy_(module.in_proj_bias)
                copy.W_o.bias.copy_(module.out_proj.bias)
        return copy

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, num_heads={self.num_heads}, d_head={self.d_head}"
