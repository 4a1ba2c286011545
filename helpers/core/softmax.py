"""Softmax: turning attention scores into weights that are non-negative and sum to 1.

    softmax(x)_i = exp(x_i) / sum_j exp(x_j)

Two practical details make it usable inside attention:

* **Stability.** ``exp(1e4)`` overflows to ``inf``. Softmax does not change when the same number
  is subtracted from every entry, so we subtract the row maximum first: the largest exponent is
  then ``exp(0) = 1`` and nothing overflows.
* **Masking.** A masked entry (mask False) gets weight exactly 0: its score is replaced by
  ``-inf`` and ``exp(-inf) = 0``. A row where *everything* is masked has no weights to share;
  we return zeros there (and zero gradients) instead of the ``0 / 0 = NaN`` of the plain formula.
"""

from __future__ import annotations

import torch

from .validation import check_softmax_input


def softmax(x: torch.Tensor, dim: int = -1, mask: torch.Tensor | None = None) -> torch.Tensor:
    """Numerically stable softmax of ``x`` along ``dim``, optionally restricted by ``mask``.

        softmax(x)_i = exp(x_i - m) / sum_{j kept} exp(x_j - m),   m = max_{j kept} x_j

    Args:
        x: scores, any shape with at least one dimension, floating point.
        dim: the dimension that is normalised (for attention: the keys, ``-1``).
        mask: optional bool tensor broadcastable to ``x``; True = keep, False = weight 0.

    Returns:
        Weights with the shape of ``x``: non-negative, summing to 1 along ``dim`` over the kept
        entries, and all zeros in a slice where nothing is kept.
    """
    check_softmax_input(x, dim, mask)
    if mask is not None:
        x = x.masked_fill(~mask, float("-inf"))  # masked scores can never win: exp(-inf) = 0

    row_max = x.amax(dim=dim, keepdim=True).detach()  # the shift does not change the result
    row_max = torch.where(torch.isfinite(row_max), row_max, torch.zeros_like(row_max))  # -inf rows
    exponentials = torch.exp(x - row_max)  # every entry in [0, 1]
    total = exponentials.sum(dim=dim, keepdim=True)
    total = torch.where(total > 0, total, torch.ones_like(total))  # fully masked: 0 / 1 = 0
    return exponentials / total
