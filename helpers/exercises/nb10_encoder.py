"""Exercises of notebook 10 (the Transformer encoder block): ``residual_sublayer`` and
``chunked_attention``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

import helpers
from helpers.exercises._registry import Mistake, Tester, exercise

# --------------------------------------------------------------------------- residual_sublayer


def _norm(h: torch.Tensor) -> torch.Tensor:
    """LayerNorm over the features of each token, without learned gain and bias."""
    return F.layer_norm(h, h.shape[-1:])


def residual_sublayer_reference(x: torch.Tensor, W: torch.Tensor, norm_first: bool) -> torch.Tensor:
    """One sub-layer ``f(h) = h @ W`` with its residual connection and LayerNorm.

    ``norm_first=False`` (post-norm): ``LayerNorm(x + f(x))``;
    ``norm_first=True`` (pre-norm): ``x + f(LayerNorm(x))``.
    """
    if norm_first:
        return x + _norm(x) @ W
    return _norm(x + x @ W)


def _swapped(x, W, norm_first):
    return residual_sublayer_reference(x, W, not norm_first)


def _no_residual(x, W, norm_first):
    return _norm(x) @ W if norm_first else _norm(x @ W)


def _normalised_residual(x, W, norm_first):
    if norm_first:
        normalised = _norm(x)
        return normalised + normalised @ W  # the skip path carries LayerNorm(x), not x
    return residual_sublayer_reference(x, W, norm_first)


def _norm_on_branch(x, W, norm_first):
    if norm_first:
        return residual_sublayer_reference(x, W, norm_first)
    return x + _norm(x @ W)  # normalises the branch, not the sum


def _extra_final_norm(x, W, norm_first):
    if norm_first:
        return _norm(x + _norm(x) @ W)
    return residual_sublayer_reference(x, W, norm_first)


def _norm_over_tokens(x, W, norm_first):
    def norm(h):
        return F.layer_norm(h.transpose(-2, -1), h.shape[-2:-1]).transpose(-2, -1)

    return x + norm(x) @ W if norm_first else norm(x + x @ W)


def _transposed_W(x, W, norm_first):
    return residual_sublayer_reference(x, W.mT, norm_first)


RESIDUAL_MISTAKES = (
    Mistake(
        "swapped",
        "you swapped the two orders: norm_first=True (pre-norm) is x + f(LayerNorm(x)), "
        "norm_first=False (post-norm) is LayerNorm(x + f(x))",
        _swapped,
    ),
    Mistake(
        "no_residual",
        "the residual connection is missing: add the input x to the sub-layer's output "
        "(x + f(...)) so that the block can pass x through unchanged",
        _no_residual,
    ),
    Mistake(
        "normalised_residual",
        "in pre-norm the skip path must carry the raw x, not LayerNorm(x): return "
        "x + f(LayerNorm(x)); only the sub-layer's input is normalised",
        _normalised_residual,
    ),
    Mistake(
        "norm_on_branch",
        "post-norm normalises the sum, not only the sub-layer's output: "
        "LayerNorm(x + f(x)), not x + LayerNorm(f(x))",
        _norm_on_branch,
    ),
    Mistake(
        "extra_final_norm",
        "pre-norm has no LayerNorm after the sum: return x + f(LayerNorm(x)) as it is (that "
        "untouched residual path is the point of pre-norm)",
        _extra_final_norm,
    ),
    Mistake(
        "norm_over_tokens",
        "LayerNorm normalises each token over its features (the last axis, d_model), not each "
        "feature over the tokens: use F.layer_norm(h, h.shape[-1:])",
        _norm_over_tokens,
    ),
    Mistake(
        "transposed_W",
        "you used the transpose of W: rows are tokens, so the sub-layer is f(h) = h @ W",
        _transposed_W,
    ),
)


@exercise(
    "residual_sublayer",
    solution=residual_sublayer_reference,
    reference="the post-norm / pre-norm sub-layer with f(h) = h @ W",
    mistakes=RESIDUAL_MISTAKES,
)
def check_residual_sublayer(t: Tester) -> None:
    """A sub-layer f(h) = h @ W with its residual connection and LayerNorm, post- or pre-norm."""
    for shape, norm_first in (
        ((5, 4), False),
        ((5, 4), True),
        ((2, 3, 6), False),
        ((2, 3, 6), True),
    ):
        x = t.randn(*shape) * 2 + 1  # not already normalised
        d = shape[-1]
        W = t.randn(d, d) / math.sqrt(d)
        t.expect((x, W, norm_first), residual_sublayer_reference(x, W, norm_first))


# --------------------------------------------------------------------------- chunked_attention


def _chunked(q, k, v, chunk_size, *, rescale_sum=True, rescale_acc=True, shift="running"):
    """The online softmax, with switches that turn it into the classic mistakes."""
    scale = 1.0 / math.sqrt(q.shape[-1])
    running_max = torch.full((q.shape[0], 1), -math.inf, dtype=q.dtype)
    running_sum = torch.zeros(q.shape[0], 1, dtype=q.dtype)
    acc = torch.zeros(q.shape[0], v.shape[-1], dtype=q.dtype)
    for start in range(0, k.shape[0], chunk_size):
        scores = q @ k[start : start + chunk_size].T * scale  # (L, chunk)
        chunk_max = scores.amax(dim=-1, keepdim=True)
        new_max = torch.maximum(running_max, chunk_max)
        correction = torch.exp(running_max - new_max)
        weights = torch.exp(scores - (new_max if shift == "running" else chunk_max))
        running_sum = (running_sum * correction if rescale_sum else running_sum) + weights.sum(
            dim=-1, keepdim=True
        )
        acc = (acc * correction if rescale_acc else acc) + weights @ v[start : start + chunk_size]
        running_max = new_max
    return acc / running_sum


def _no_rescale(q, k, v, chunk_size):
    return _chunked(q, k, v, chunk_size, rescale_sum=False, rescale_acc=False)


def _rescale_sum_only(q, k, v, chunk_size):
    return _chunked(q, k, v, chunk_size, rescale_acc=False)


def _chunk_max_only(q, k, v, chunk_size):
    return _chunked(q, k, v, chunk_size, rescale_sum=False, rescale_acc=False, shift="chunk")


def _softmax_per_chunk(q, k, v, chunk_size):
    outputs = []
    for start in range(0, k.shape[0], chunk_size):
        scores = q @ k[start : start + chunk_size].T / math.sqrt(q.shape[-1])
        outputs.append(torch.softmax(scores, dim=-1) @ v[start : start + chunk_size])
    return torch.stack(outputs).mean(dim=0)


def _no_scale(q, k, v, chunk_size):
    return _chunked(q * math.sqrt(q.shape[-1]), k, v, chunk_size)


def _last_chunk_dropped(q, k, v, chunk_size):
    kept = (k.shape[0] // chunk_size) * chunk_size
    if kept == 0:
        raise ValueError("no full chunk")
    return _chunked(q, k[:kept], v[:kept], chunk_size)


def _no_max(q, k, v, chunk_size):
    scale = 1.0 / math.sqrt(q.shape[-1])
    running_sum = torch.zeros(q.shape[0], 1, dtype=q.dtype)
    acc = torch.zeros(q.shape[0], v.shape[-1], dtype=q.dtype)
    for start in range(0, k.shape[0], chunk_size):
        weights = torch.exp(q @ k[start : start + chunk_size].T * scale)
        running_sum = running_sum + weights.sum(dim=-1, keepdim=True)
        acc = acc + weights @ v[start : start + chunk_size]
    return acc / running_sum


CHUNKED_MISTAKES = (
    Mistake(
        "no_rescale",
        "when a chunk raises the running max m, the old running sum l and the old acc were "
        "computed with the old m: rescale both by exp(m_old - m_new) before adding the new "
        "chunk",
        _no_rescale,
    ),
    Mistake(
        "rescale_sum_only",
        "you rescale the running sum l but not the accumulated output acc: when the max "
        "changes, multiply acc by the same exp(m_old - m_new)",
        _rescale_sum_only,
    ),
    Mistake(
        "chunk_max_only",
        "each chunk is shifted by its own max, so the chunks' exponentials are on different "
        "scales: keep one running max m and rescale the old sums by exp(m_old - m_new)",
        _chunk_max_only,
    ),
    Mistake(
        "softmax_per_chunk",
        "you normalised each chunk separately and averaged the chunks' outputs: the softmax "
        "normalises over all S keys together, so accumulate the unnormalised sums and divide "
        "once, at the end",
        _softmax_per_chunk,
    ),
    Mistake(
        "no_scale",
        "missing the 1/sqrt(d) scale on the scores q @ k_chunk.T",
        _no_scale,
    ),
    Mistake(
        "last_chunk_dropped",
        "the last, shorter chunk is missing: when S is not a multiple of chunk_size, loop with "
        "range(0, S, chunk_size) and slice k[start:start + chunk_size]",
        _last_chunk_dropped,
    ),
    Mistake(
        "no_max",
        "exp overflows for large scores: subtract the running max m before exp (and rescale "
        "the old sums when m grows)",
        _no_max,
    ),
)


@exercise(
    "chunked_attention",
    solution=lambda q, k, v, chunk_size: helpers.chunked_attention(q, k, v, chunk_size),
    reference="helpers.chunked_attention",
    mistakes=CHUNKED_MISTAKES,
)
def check_chunked_attention(t: Tester) -> None:
    """Attention computed chunk by chunk of keys with an online softmax; q (L, d), k (S, d)."""
    for n_queries, n_keys, d, d_v, chunk_size, note in (
        (4, 6, 3, 5, 2, None),
        (5, 7, 4, 3, 3, "S is not a multiple of chunk_size"),
        (3, 5, 2, 4, 1, None),
        (6, 4, 3, 2, 8, "one chunk holds every key"),
        (4, 6, 3, 5, 2, "large scores (q x 100)"),
    ):
        q = t.randn(n_queries, d) * 2
        if note and note.startswith("large"):
            q = q * 100
        k, v = t.randn(n_keys, d), t.randn(n_keys, d_v)
        expected = helpers.scaled_dot_product_attention(q, k, v)
        t.expect((q, k, v, chunk_size), expected, note=note)
