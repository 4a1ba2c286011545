"""Attention masks: which key each query may attend to.

Every mask here is a bool tensor with **True = may attend** (PyTorch's ``attn_mask`` convention
in ``F.scaled_dot_product_attention``); ``mask[i, j]`` is about query ``i`` and key ``j``.
Combine masks with ``&`` (both allow) and ``|`` (either allows).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ._validation import check_int, check_rank, check_tensor, shape_of


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
    check_int(left, "left", minimum=0)
    check_int(right, "right", minimum=0)
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
    check_int(seq_len, "seq_len", minimum=1)
    if isinstance(lengths, torch.Tensor):
        if lengths.is_floating_point() or lengths.dtype == torch.bool:
            raise ValueError(f"lengths must hold integers, got dtype {lengths.dtype}")
        lengths = lengths.detach().cpu()
    else:
        for length in lengths:
            check_int(length, "each entry of lengths")
        lengths = torch.tensor(list(lengths), dtype=torch.long)
    check_rank(lengths, "lengths", "(batch,)", min_rank=1, max_rank=1)
    if lengths.numel() > 0 and (lengths.min() < 0 or lengths.max() > seq_len):
        raise ValueError(
            f"every length must be between 0 and seq_len={seq_len}, got {lengths.tolist()}"
        )
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
    if not isinstance(adjacency, torch.Tensor) and hasattr(adjacency, "__array__"):
        adjacency = torch.as_tensor(adjacency)
    check_tensor(adjacency, "adjacency")
    check_rank(adjacency, "adjacency", "(N, N)", min_rank=2, max_rank=2)
    if adjacency.shape[0] != adjacency.shape[1]:
        raise ValueError(f"adjacency must be square (N, N), got shape {shape_of(adjacency)}")
    if adjacency.dtype != torch.bool:
        is_zero_or_one = (adjacency == 0) | (adjacency == 1)
        if not bool(is_zero_or_one.all()):
            bad_value = adjacency[~is_zero_or_one][0].item()
            raise ValueError(
                f"adjacency must be bool or hold only 0 and 1, found the value {bad_value} "
                f"(for weighted edges pass adjacency != 0)"
            )
    mask = adjacency != 0  # (N, N) bool
    if self_loops:
        mask = mask | torch.eye(mask.shape[0], dtype=torch.bool, device=mask.device)
    return mask
