"""Attention masks: which key each query may attend to.

Every mask here is a bool tensor with **True = may attend** (PyTorch's ``attn_mask`` convention
in ``F.scaled_dot_product_attention``); ``mask[i, j]`` is about query ``i`` and key ``j``.
Combine masks with ``&`` (both allow) and ``|`` (either allows).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from .validation import check_adjacency, check_int, check_lengths, check_window


def causal_mask(seq_len: int) -> torch.Tensor:
    """``(seq_len, seq_len)``: query ``i`` may attend keys ``j <= i`` (no peeking ahead)."""
    check_int(seq_len, "seq_len", minimum=1)
    return torch.ones(seq_len, seq_len, dtype=torch.bool).tril()


def local_mask(seq_len: int, left: int, right: int) -> torch.Tensor:
    """``(seq_len, seq_len)``: query ``i`` may attend keys ``i - left <= j <= i + right``.

    Truncated (local) self-attention, as in speech: each frame looks only at a window of
    neighbours, so the cost grows linearly with ``seq_len`` for a fixed window.
    ``local_mask(L, L, 0)`` is the causal mask, ``local_mask(L, L, L)`` allows everything.
    """
    check_int(seq_len, "seq_len", minimum=1)
    check_window(left, right)
    positions = torch.arange(seq_len)
    offset = positions.unsqueeze(0) - positions.unsqueeze(1)  # (L, L): offset[i, j] = j - i
    return (offset >= -left) & (offset <= right)


def padding_mask(lengths: Sequence[int] | torch.Tensor, seq_len: int) -> torch.Tensor:
    """``(batch, 1, seq_len)``: True at the first ``lengths[b]`` positions (the real tokens).

    Sequences of different lengths are padded to ``seq_len`` to share one tensor; no query may
    attend a padding key. The size-1 middle dimension broadcasts over all queries, so the result
    can be passed directly as a ``(batch, seq, seq)`` mask, or combined, e.g.
    ``padding_mask(lengths, L) & causal_mask(L)``.
    """
    lengths = check_lengths(lengths, seq_len)  # (batch,) long
    positions = torch.arange(seq_len)  # (seq_len,)
    is_real = positions.unsqueeze(0) < lengths.unsqueeze(1)  # (batch, seq_len)
    return is_real.unsqueeze(1)  # (batch, 1, seq_len): the same for every query


def graph_mask(adjacency: torch.Tensor, self_loops: bool = True) -> torch.Tensor:
    """``(N, N)``: node ``i`` may attend node ``j`` when ``adjacency[i, j]`` is an edge.

    Self-attention on a graph (the lecture's GNN view): attention only along edges.

    Args:
        adjacency: ``(N, N)`` bool or 0/1 tensor (a numpy array is converted, e.g. from
            ``networkx.to_numpy_array``).
        self_loops: also let every node attend to itself (the diagonal), as graph attention
            networks do; without it, a node with no edges attends nothing and gets zeros.
    """
    adjacency = check_adjacency(adjacency)  # (N, N) tensor, bool or 0/1
    mask = adjacency != 0  # (N, N) bool
    if self_loops:
        mask = mask | torch.eye(mask.shape[0], dtype=torch.bool, device=mask.device)
    return mask
