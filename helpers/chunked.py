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
import weakref

import torch
from torch.overrides import TorchFunctionMode

from ._validation import (
    check_attention_inputs,
    check_int,
)


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
    score_batch, out_batch = check_attention_inputs(q, k, v, mask)
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


class TensorMemoryTracker(TorchFunctionMode):
    """Count the bytes of the tensors created inside a ``with`` block: alive now, and the peak.

        with TensorMemoryTracker() as memory:
            output = helpers.scaled_dot_product_attention(q, k, v)
        memory.peak_bytes  # the most bytes held at once by tensors created in the block

    Every torch function called in the block (``torch.*``, tensor methods and operators) is
    intercepted. Memory that a function returns and that did not exist before is counted until
    the last tensor seen using it is garbage-collected (in CPython: as soon as nothing refers to
    it). Views (``x.T``, ``x[2:5]``, ``x.detach()``) share their base's memory and add nothing;
    tensors created before the block are not counted. The count is exact and the same on every
    machine, but sees only tensors that Python code receives: the scratch memory *inside* one
    fused kernel (such as ``F.scaled_dot_product_attention``) is invisible; ``torch.profiler``
    sees that too.

    Attributes:
        alive_bytes: bytes of counted memory that is still in use.
        peak_bytes: the largest ``alive_bytes`` seen so far.
        allocated_bytes: total bytes of all counted memory (alive or not).
    """

    def __init__(self) -> None:
        super().__init__()
        self.alive_bytes = 0
        self.peak_bytes = 0
        self.allocated_bytes = 0
        self._holders: dict[int, int] = {}  # memory address -> live watched tensors using it
        self._size: dict[int, int] = {}  # memory address -> counted bytes (0: from before)
        self._watched: set[int] = set()  # id() of the live tensors being watched

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        for value in (*args, *kwargs.values()):
            for tensor in _tensors_in(value):
                self._watch(tensor, created=False)
        result = func(*args, **kwargs)
        for tensor in _tensors_in(result):
            self._watch(tensor, created=True)
        return result

    def _watch(self, tensor: torch.Tensor, created: bool) -> None:
        """Follow ``tensor`` until it dies; count its memory if a function has just made it."""
        if id(tensor) in self._watched:
            return
        storage = tensor.untyped_storage()
        address = storage.data_ptr()
        if address == 0:
            return  # no memory (an empty tensor)
        if address not in self._holders:  # memory not seen yet: new, or from before the block
            size = storage.nbytes() if created else 0
            self._size[address] = size
            self._holders[address] = 0
            self.alive_bytes += size
            self.allocated_bytes += size
            self.peak_bytes = max(self.peak_bytes, self.alive_bytes)
        self._holders[address] += 1
        self._watched.add(id(tensor))
        weakref.finalize(tensor, self._forget, id(tensor), address)

    def _forget(self, key: int, address: int) -> None:
        """A watched tensor died; its memory is free once no watched tensor uses it."""
        self._watched.discard(key)
        self._holders[address] -= 1
        if self._holders[address] == 0:
            del self._holders[address]
            self.alive_bytes -= self._size.pop(address)


def _tensors_in(value: object) -> list[torch.Tensor]:
    """The tensors in ``value``: itself, or the items of a tuple/list (one level deep)."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [item for item in value if isinstance(item, torch.Tensor)]
    return []
