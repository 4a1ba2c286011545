"""Truncated (local) self-attention that only computes the window: O(L * w) instead of O(L^2).

Speech gives ~100 frames per second, so full self-attention over a minute of audio scores
6000 x 6000 = 36 million query/key pairs. Speech models let frame ``i`` attend only to the keys
``i - left ... i + right`` (``helpers.local_mask``). Masking the full ``(L, L)`` score matrix gives
the right answer but still computes and stores all ``L^2`` scores; here we compute only the
``w = left + right + 1`` scores of each query:

    pad keys and values with ``left`` rows before and ``right`` rows after    (L + w - 1, d)
    band[i, o] = q_i . k_{i - left + o} * scale         o = 0 .. w - 1        (L, w)
    weights    = softmax over o, padding rows (beyond the sequence) masked    (L, w)
    output_i   = sum_o weights[i, o] v_{i - left + o}                         (L, d_v)

Column ``o`` of the band is one shifted elementwise product ``q * k_padded[o : o + L]`` summed
over the features, so the work is ``w`` passes over ``(L, d)`` tensors: time ``O(L * w * d)`` and
memory ``O(L * (w + d))``, linear in the length for a fixed window. Row ``i`` of the
band holds the same numbers as row ``i`` of the full masked weight matrix, shifted so that the
diagonal becomes column ``left``; :func:`band_to_full` converts back, e.g. for plotting.
"""

from __future__ import annotations

import math
from typing import Literal, overload

import torch
from torch import Tensor

from .softmax import softmax
from .validation import check_band, check_int, check_local_attention_inputs, check_window


def band_validity(seq_len: int, left: int, right: int) -> torch.Tensor:
    """``(seq_len, w)`` bool: True where band entry ``[i, o]`` is a key, ``0 <= i - left + o < L``.

    The windows of the first ``left`` and last ``right`` queries stick out of the sequence; those
    entries point at padding and must get weight 0.
    """
    check_int(seq_len, "seq_len", minimum=1)
    check_window(left, right)
    return _band_keys(seq_len, left, right, torch.device("cpu"))[1]


def _band_keys(
    seq_len: int, left: int, right: int, device: torch.device
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(key, valid)``, both ``(L, w)``: the key index ``i - left + o`` that band entry
    ``[i, o]`` stands for, and whether that key is inside the sequence."""
    query = torch.arange(seq_len, device=device).unsqueeze(1)  # (L, 1)
    offset = torch.arange(left + right + 1, device=device).unsqueeze(0)  # (1, w)
    key = query - left + offset  # (L, w)
    return key, (key >= 0) & (key < seq_len)


# fmt: off
@overload
def local_attention(q: Tensor, k: Tensor, v: Tensor, left: int, right: int,
    scale: float | None = ..., *, return_weights: Literal[False] = ...) -> Tensor: ...
@overload
def local_attention(q: Tensor, k: Tensor, v: Tensor, left: int, right: int,
    scale: float | None = ..., *, return_weights: Literal[True]) -> tuple[Tensor, Tensor]: ...
# fmt: on
def local_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    left: int,
    right: int,
    scale: float | None = None,
    *,
    return_weights: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Self-attention restricted to a window, computing only the window: O(L * w) time and memory.

    Equal (within float rounding) to
    ``helpers.scaled_dot_product_attention(q, k, v, mask=helpers.local_mask(L, left, right))``,
    including the first and last frames whose windows stick out of the sequence.

        band[..., i, o] = q_i . k_j * scale,    j = i - left + o,   o = 0 .. left + right
        weights         = softmax over o (keys outside the sequence get weight 0)
        output_i        = sum_o weights[..., i, o] v_j

    Args:
        q: queries ``(..., L, d)``.
        k: keys ``(..., L, d)``: as many as queries, key ``j`` belongs to position ``j``.
        v: values ``(..., L, d_v)``.
        left: how many earlier positions each query may attend (>= 0).
        right: how many later positions each query may attend (>= 0; 0 = causal/streaming).
        scale: multiplies the scores; default ``1 / sqrt(d)``.
        return_weights: also return the banded weights (keyword only).

    Returns:
        ``output`` ``(..., L, d_v)``, or ``(output, band)`` with the banded weights ``band``
        ``(..., L, left + right + 1)``: ``band[..., i, o]`` is the weight of key ``i - left + o``
        (0 outside the sequence);
        :func:`band_to_full` turns it into the usual ``(..., L, L)`` matrix.
    """
    check_local_attention_inputs(q, k, v, left, right)
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])
    seq_len, width = q.shape[-2], left + right + 1

    pad = (0, 0, left, right)  # no padding of the features; left/right rows of the sequence
    k_padded = torch.nn.functional.pad(k, pad)  # (..., L + w - 1, d): key j is row j + left
    v_padded = torch.nn.functional.pad(v, pad)  # (..., L + w - 1, d_v)

    # Band column o pairs every query i with key i - left + o, i.e. padded row i + o: one shifted
    # elementwise product per column, (..., L, d) each, never an (L, L) or (L, w, d) tensor.
    band = torch.stack(
        [(q * k_padded[..., o : o + seq_len, :]).sum(-1) for o in range(width)], dim=-1
    )  # (..., L, w)
    band = band * scale
    valid = _band_keys(seq_len, left, right, q.device)[1]  # (L, w): inside the sequence
    weights = softmax(band, dim=-1, mask=valid)  # (..., L, w): padding gets weight 0
    output = weights[..., 0:1] * v_padded[..., 0:seq_len, :]  # (..., L, d_v)
    for o in range(1, width):  # output_i = sum_o weights[i, o] v_{i - left + o}
        output = output + weights[..., o : o + 1] * v_padded[..., o : o + seq_len, :]
    return (output, weights) if return_weights else output


def band_to_full(band: torch.Tensor, left: int, right: int) -> torch.Tensor:
    """Turn banded weights ``(..., L, left + right + 1)`` into the full matrix ``(..., L, L)``.

    ``full[..., i, i - left + o] = band[..., i, o]`` for every key inside the sequence; every other
    entry is 0. This is for looking at the weights: it builds the ``L^2`` matrix that
    :func:`local_attention` avoids.
    """
    check_band(band, left, right)
    seq_len, width = band.shape[-2], left + right + 1
    key, valid = _band_keys(seq_len, left, right, band.device)  # (L, w) each
    # Scatter into L + w columns (so out-of-range keys have somewhere to go), then cut them off.
    padded = band.new_zeros(*band.shape[:-1], seq_len + width)  # (..., L, L + w)
    index = (key + left).expand_as(band)  # column left + j holds key j
    padded = padded.scatter(-1, index, band.masked_fill(~valid, 0))
    return padded[..., left : left + seq_len]  # (..., L, L)
