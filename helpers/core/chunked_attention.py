"""Attention without the ``(L, S)`` matrix: keys in chunks, softmax computed online.

Plain attention builds the whole score matrix ``q k^T`` of shape ``(L, S)``: memory grows as
``L * S`` (quadratically for self-attention). But each output row only needs a weighted sum of
value rows, and a softmax can be accumulated one chunk of keys at a time if we keep, per query,

    m    the largest score seen so far          (running max)
    l    sum_j exp(score_j - m)                 (running sum)
    acc  sum_j exp(score_j - m) v_j             (running, unnormalised output)

When a new chunk brings a larger maximum ``m_new``, the old sums were computed relative to the
old ``m``: multiply them by ``exp(m - m_new)`` and they are relative to ``m_new``. At the end,
``output = acc / l``. This is the "online softmax" (Milakov & Gimelshein, 2018) at the heart of
FlashAttention (Dao et al., 2022). The largest temporary is ``(L, chunk_size)``: memory grows
linearly in ``S`` for a fixed chunk size.
"""

from __future__ import annotations

import math

import torch

from .validation import check_attention_inputs, check_int


def chunked_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    chunk_size: int,
    mask: torch.Tensor | None = None,
    scale: float | None = None,
) -> torch.Tensor:
    """``softmax(q k^T * scale) v``, processing ``chunk_size`` keys at a time (online softmax).

    For each chunk ``c`` of keys (all shapes per query row, broadcast over ``...``)::

        s     = q @ k_c^T * scale                     (..., L, chunk)   masked entries -inf
        m_new = max(m, max_j s_j)
        l     = l * exp(m - m_new) + sum_j exp(s_j - m_new)
        acc   = acc * exp(m - m_new) + exp(s - m_new) @ v_c
        m     = m_new

    and finally ``output = acc / l``. Equal to :func:`helpers.scaled_dot_product_attention`
    (float rounding aside), including its convention that a query allowed to attend no key gets
    a row of zeros. The full ``(..., L, S)`` scores are never built: the largest temporary is
    ``(..., L, chunk_size)``. (The memory saving is for the forward pass: autograd keeps every
    chunk's intermediates for the backward pass; FlashAttention recomputes them instead.)

    Args:
        q: queries ``(..., L, d)``.
        k: keys ``(..., S, d)``.
        v: values ``(..., S, d_v)``.
        chunk_size: number of keys per chunk, ``>= 1`` (the last chunk may be shorter).
        mask: optional bool tensor broadcastable to ``(..., L, S)``; True = may attend. (A full
            ``(L, S)`` mask is the caller's; pass a broadcastable one, e.g. a padding mask
            ``(batch, 1, S)``, to keep memory linear.)
        scale: multiplies the scores; default ``1 / sqrt(d)``.

    Returns:
        ``output`` ``(..., L, d_v)``.
    """
    check_int(chunk_size, "chunk_size", minimum=1)
    score_batch, out_batch = check_attention_inputs(q, k, v, mask)  # leading shapes
    n_queries, n_keys = q.shape[-2], k.shape[-2]
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])

    running_max = q.new_full((*score_batch, n_queries, 1), -math.inf)  # m: (..., L, 1)
    running_sum = q.new_zeros((*score_batch, n_queries, 1))  # l: (..., L, 1)
    acc = q.new_zeros((*out_batch, n_queries, v.shape[-1]))  # (..., L, d_v)
    for start in range(0, n_keys, chunk_size):
        stop = min(start + chunk_size, n_keys)
        scores = (q @ k[..., start:stop, :].transpose(-2, -1)) * scale  # (..., L, chunk)
        if mask is not None:
            chunk_mask = mask if mask.shape[-1] == 1 else mask[..., start:stop]
            scores = scores.masked_fill(~chunk_mask, -math.inf)
        chunk_max = scores.amax(dim=-1, keepdim=True).detach()  # the shift cancels out: no grad
        new_max = torch.maximum(running_max, chunk_max)  # (..., L, 1)
        # Rows with no allowed key so far have new_max = -inf: shift by 0 there (exp(-inf) = 0).
        shift = torch.where(torch.isfinite(new_max), new_max, torch.zeros_like(new_max))
        correction = torch.exp(running_max - shift)  # rescales the old sums, (..., L, 1)
        weights = torch.exp(scores - shift)  # unnormalised, (..., L, chunk)
        running_sum = running_sum * correction + weights.sum(dim=-1, keepdim=True)
        acc = acc * correction + weights @ v[..., start:stop, :]  # (..., L, d_v)
        running_max = new_max
    # A query with no allowed key has running_sum 0 and acc 0: return 0 / 1 = 0, not NaN.
    return acc / torch.where(running_sum > 0, running_sum, torch.ones_like(running_sum))
