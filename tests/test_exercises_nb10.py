"""Exercises of notebook 10: ``residual_sublayer`` and ``chunked_attention``; the checks every
exercise must pass are in ``test_exercises.py``."""

from __future__ import annotations

import math

import exercise_cases
import torch
import torch.nn.functional as F
from torch import nn

import helpers
from helpers.exercises.nb10_encoder import residual_sublayer_reference

# --------------------------------------------------------------------------- right answers,
# written the way a learner would


def residual_sublayer(x, W, norm_first):
    def layer_norm(h):
        mean = h.mean(dim=-1, keepdim=True)
        var = h.var(dim=-1, unbiased=False, keepdim=True)
        return (h - mean) / torch.sqrt(var + 1e-5)

    if norm_first:
        return x + layer_norm(x) @ W
    return layer_norm(x + x @ W)


def residual_sublayer_module(x, W, norm_first):
    norm = nn.LayerNorm(x.shape[-1], elementwise_affine=False)
    return x + norm(x) @ W if norm_first else norm(x + x @ W)


def chunked_attention(q, k, v, chunk_size):
    L, S = q.shape[0], k.shape[0]
    m = torch.full((L, 1), -math.inf)
    l = torch.zeros(L, 1)  # noqa: E741
    acc = torch.zeros(L, v.shape[1])
    for start in range(0, S, chunk_size):
        s = q @ k[start : start + chunk_size].T / math.sqrt(q.shape[1])  # (L, chunk)
        m_new = torch.maximum(m, s.max(dim=1, keepdim=True).values)
        p = torch.exp(s - m_new)
        l = l * torch.exp(m - m_new) + p.sum(dim=1, keepdim=True)  # noqa: E741
        acc = acc * torch.exp(m - m_new) + p @ v[start : start + chunk_size]
        m = m_new
    return acc / l


def chunked_attention_split(q, k, v, chunk_size):
    """Another right answer: the chunks with torch.split, the max kept as a 1-d vector."""
    m = torch.full((q.shape[0],), -math.inf, dtype=q.dtype)
    total = torch.zeros(q.shape[0], dtype=q.dtype)
    out = torch.zeros(q.shape[0], v.shape[1], dtype=q.dtype)
    for k_c, v_c in zip(k.split(chunk_size), v.split(chunk_size), strict=True):
        s = q @ k_c.T * q.shape[1] ** -0.5
        new_m = torch.maximum(m, s.amax(dim=1))
        rescale = torch.exp(m - new_m)
        e = torch.exp(s - new_m[:, None])
        total = total * rescale + e.sum(dim=1)
        out = out * rescale[:, None] + e @ v_c
        m = new_m
    return out / total[:, None]


test_right_answers_pass = exercise_cases.right_answers_pass(
    [
        ("residual_sublayer", residual_sublayer),
        ("residual_sublayer", residual_sublayer_module),
        ("chunked_attention", chunked_attention),
        ("chunked_attention", chunked_attention_split),
        ("chunked_attention", lambda q, k, v, c: helpers.chunked_attention(q, k, v, c)),
        # not chunked, so the checker cannot tell; it is still a right answer
        ("chunked_attention", lambda q, k, v, c: F.scaled_dot_product_attention(q, k, v)),
    ]
)
test_case_counts = exercise_cases.case_counts_are({"residual_sublayer": 4, "chunked_attention": 5})


def test_residual_reference_equals_a_torch_encoder_layer_sublayer():
    """The reference's two orders are those of nn.TransformerEncoderLayer's feed-forward half."""
    torch.manual_seed(0)
    d = 6
    W = torch.randn(d, d) / math.sqrt(d)
    x = torch.randn(2, 3, d)
    for norm_first in (False, True):
        layer = nn.TransformerEncoderLayer(d, 2, 4, dropout=0.0, batch_first=True)
        layer.norm_first = norm_first
        with torch.no_grad():
            layer.norm2.weight.fill_(1.0)
            layer.norm2.bias.zero_()
        f = lambda h: h @ W  # noqa: E731
        torch_sublayer = (
            x + f(layer.norm2(x)) if norm_first else layer.norm2(x + f(x))  # as in torch's forward
        )
        torch.testing.assert_close(residual_sublayer_reference(x, W, norm_first), torch_sublayer)


# --------------------------------------------------------------------------- learner mistakes


def layer_norm(h):
    return F.layer_norm(h, h.shape[-1:])


def residual_sublayer_norm_over_tokens(x, W, norm_first):
    def norm(h):  # statistics over the tokens (dim -2) instead of the features
        mean = h.mean(dim=-2, keepdim=True)
        return (h - mean) / torch.sqrt(h.var(dim=-2, unbiased=False, keepdim=True) + 1e-5)

    return x + norm(x) @ W if norm_first else norm(x + x @ W)


def chunked_variant(q, k, v, chunk_size, rescale=True, scale=True, stop=None):
    L, S = q.shape[0], k.shape[0]
    m, l = torch.full((L, 1), -math.inf), torch.zeros(L, 1)  # noqa: E741
    acc = torch.zeros(L, v.shape[1])
    for start in range(0, stop(S, chunk_size) if stop else S, chunk_size):
        s = q @ k[start : start + chunk_size].T / (math.sqrt(q.shape[1]) if scale else 1.0)
        m_new = torch.maximum(m, s.max(dim=1, keepdim=True).values)
        p = torch.exp(s - m_new)
        c = torch.exp(m - m_new) if rescale else 1.0
        l = l * c + p.sum(dim=1, keepdim=True)  # noqa: E741
        acc = acc * c + p @ v[start : start + chunk_size]
        m = m_new
    return acc / l


def chunked_global_softmax_of_chunks(q, k, v, chunk_size):
    out = 0
    for start in range(0, k.shape[0], chunk_size):
        s = q @ k[start : start + chunk_size].T / math.sqrt(q.shape[1])
        out = out + torch.softmax(s, dim=1) @ v[start : start + chunk_size]
    return out / math.ceil(k.shape[0] / chunk_size)


def chunked_without_max(q, k, v, chunk_size):
    num, den = 0, 0
    for start in range(0, k.shape[0], chunk_size):
        p = torch.exp(q @ k[start : start + chunk_size].T / math.sqrt(q.shape[1]))
        num = num + p @ v[start : start + chunk_size]
        den = den + p.sum(dim=1, keepdim=True)
    return num / den


test_mistakes_are_diagnosed = exercise_cases.mistakes_are_diagnosed(
    [
        ("residual_sublayer", lambda x, W, nf: residual_sublayer(x, W, not nf), "swapped"),
        (
            "residual_sublayer",
            lambda x, W, nf: layer_norm(x) @ W if nf else layer_norm(x @ W),
            "residual connection is missing",
        ),
        (
            "residual_sublayer",
            lambda x, W, nf: layer_norm(x) + layer_norm(x) @ W if nf else layer_norm(x + x @ W),
            "raw x",
        ),
        (
            "residual_sublayer",
            lambda x, W, nf: x + layer_norm(x) @ W if nf else x + layer_norm(x @ W),
            "normalises the sum",
        ),
        (
            "residual_sublayer",
            lambda x, W, nf: layer_norm(x + layer_norm(x) @ W) if nf else layer_norm(x + x @ W),
            "no LayerNorm after the sum",
        ),
        (
            "residual_sublayer",
            residual_sublayer_norm_over_tokens,
            "not each feature over the tokens",
        ),
        ("residual_sublayer", lambda x, W, nf: residual_sublayer(x, W.T, nf), "transpose of W"),
        (
            "residual_sublayer",
            lambda x, W: x,  # forgot norm_first: TypeError
            "it is called as fn(x, W, norm_first)",
        ),
        (
            "chunked_attention",
            lambda q, k, v, c: chunked_variant(q, k, v, c, rescale=False),
            "rescale both",
        ),
        (
            "chunked_attention",
            lambda q, k, v, c: chunked_variant(q, k, v, c, scale=False),
            "1/sqrt(d)",
        ),
        (
            "chunked_attention",
            lambda q, k, v, c: chunked_variant(q, k, v, c, stop=lambda S, c: S // c * c),
            "last, shorter chunk",
        ),
        ("chunked_attention", chunked_global_softmax_of_chunks, "normalised each chunk separately"),
        ("chunked_attention", chunked_without_max, "overflows"),
        (
            "chunked_attention",
            lambda q, k, v, c: helpers.scaled_dot_product_attention(q, k, v).T,
            "transpose",
        ),
    ]
)
test_diagnoses_are_registered = exercise_cases.diagnoses_are_registered(
    {
        "residual_sublayer": {"swapped", "residual", "raw x", "the sum", "last axis"},
        "chunked_attention": {"rescale", "acc", "1/sqrt(d)", "last, shorter chunk", "overflows"},
    }
)
