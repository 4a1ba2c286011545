"""Exercises of notebook 03: ``split_heads``, ``merge_heads`` and ``multi_head_attention``; the
checks every exercise must pass are in ``test_exercises.py``."""

from __future__ import annotations

import math

import exercise_cases
import torch
import torch.nn.functional as F
from torch import nn

import helpers
from helpers.exercises.nb03_multi_head import _mha_reference

# --------------------------------------------------------------------------- right answers,
# written the way a learner would


def split_heads(x, num_heads):
    batch, seq, d_model = x.shape
    return x.view(batch, seq, num_heads, d_model // num_heads).transpose(1, 2)


def merge_heads(x):
    batch, heads, seq, d_head = x.shape
    return x.transpose(1, 2).reshape(batch, seq, heads * d_head)


def merge_heads_contiguous_view(x):
    batch, heads, seq, d_head = x.shape
    return x.permute(0, 2, 1, 3).contiguous().view(batch, seq, heads * d_head)


def merge_heads_cat(x):
    return torch.cat(x.unbind(dim=1), dim=-1)  # [head 0 | head 1 | ...] per token


def multi_head_attention(x, W_q, W_k, W_v, W_o, num_heads):
    batch, seq, d_model = x.shape
    d_head = d_model // num_heads

    def split(t):
        return t.view(batch, seq, num_heads, d_head).transpose(1, 2)

    q, k, v = split(x @ W_q), split(x @ W_k), split(x @ W_v)
    weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d_head), dim=-1)
    return (weights @ v).transpose(1, 2).reshape(batch, seq, d_model) @ W_o


def multi_head_attention_loop(x, W_q, W_k, W_v, W_o, num_heads):
    """One head at a time, as in the lecture's picture: slice, attend, concatenate."""
    d_head = x.shape[-1] // num_heads
    outputs = []
    for h in range(num_heads):
        columns = slice(h * d_head, (h + 1) * d_head)
        q, k, v = x @ W_q[:, columns], x @ W_k[:, columns], x @ W_v[:, columns]
        scores = q @ k.transpose(-2, -1) / d_head**0.5  # (batch, seq, seq)
        outputs.append(torch.softmax(scores, dim=-1) @ v)  # (batch, seq, d_head)
    return torch.cat(outputs, dim=-1) @ W_o


def multi_head_attention_fused(x, W_q, W_k, W_v, W_o, num_heads):
    q, k, v = (helpers.split_heads(x @ W, num_heads) for W in (W_q, W_k, W_v))
    return helpers.merge_heads(F.scaled_dot_product_attention(q, k, v)) @ W_o


test_right_answers_pass = exercise_cases.right_answers_pass(
    [
        ("split_heads", split_heads),
        ("split_heads", helpers.split_heads),
        ("split_heads", lambda x, h: x.reshape(*x.shape[:2], h, -1).permute(0, 2, 1, 3)),
        ("merge_heads", merge_heads),
        ("merge_heads", merge_heads_contiguous_view),
        ("merge_heads", merge_heads_cat),
        ("merge_heads", helpers.merge_heads),
        ("multi_head_attention", multi_head_attention),
        ("multi_head_attention", multi_head_attention_loop),
        ("multi_head_attention", multi_head_attention_fused),
    ]
)
test_case_counts = exercise_cases.case_counts_are({"merge_heads": 3, "multi_head_attention": 3})


def test_reference_equals_torch_multihead_attention():
    """The checker's reference against nn.MultiheadAttention with the same weights, no bias."""
    torch.manual_seed(0)
    batch, seq, d_model, num_heads = 2, 5, 12, 3
    torch_mha = nn.MultiheadAttention(d_model, num_heads, bias=False, batch_first=True)
    x = torch.randn(batch, seq, d_model)
    W_q, W_k, W_v = (w.T for w in torch_mha.in_proj_weight.detach().chunk(3))  # row convention
    W_o = torch_mha.out_proj.weight.detach().T
    with torch.no_grad():
        expected, _ = torch_mha(x, x, x)
    torch.testing.assert_close(_mha_reference(x, W_q, W_k, W_v, W_o, num_heads), expected)


# --------------------------------------------------------------------------- learner mistakes


def split_heads_no_transpose(x, num_heads):
    batch, seq, d_model = x.shape
    return x.view(batch, num_heads, seq, d_model // num_heads)


def mha_variant(x, W_q, W_k, W_v, W_o, num_heads, scale_dim=None, project=True, dim=-1):
    batch, seq, d_model = x.shape
    d_head = d_model // num_heads

    def split(t):
        return t.view(batch, seq, num_heads, d_head).transpose(1, 2)

    q, k, v = split(x @ W_q), split(x @ W_k), split(x @ W_v)
    scale = 1 / math.sqrt(scale_dim or d_head)
    heads = torch.softmax(q @ k.transpose(-2, -1) * scale, dim=dim) @ v
    merged = heads.transpose(1, 2).reshape(batch, seq, d_model)
    return merged @ W_o if project else merged


def mha_one_head(x, W_q, W_k, W_v, W_o, num_heads):
    q, k, v = x @ W_q, x @ W_k, x @ W_v
    weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(x.shape[-1]), dim=-1)
    return weights @ v @ W_o


def mha_linear_convention(x, W_q, W_k, W_v, W_o, num_heads):
    """As if the W's were nn.Linear weights: F.linear(x, W) = x @ W.T."""
    return multi_head_attention(x, W_q.T, W_k.T, W_v.T, W_o.T, num_heads)


def mha_bad_split(x, W_q, W_k, W_v, W_o, num_heads):
    batch, seq, d_model = x.shape

    def split(t):
        return t.reshape(batch, num_heads, seq, d_model // num_heads)

    q, k, v = split(x @ W_q), split(x @ W_k), split(x @ W_v)
    heads = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), dim=-1) @ v
    return heads.transpose(1, 2).reshape(batch, seq, d_model) @ W_o


def merge_view_after_transpose(x):
    batch, heads, seq, d_head = x.shape
    return x.transpose(1, 2).view(batch, seq, heads * d_head)  # raises: not contiguous


test_mistakes_are_diagnosed = exercise_cases.mistakes_are_diagnosed(
    [
        ("split_heads", split_heads_no_transpose, "transpose"),
        ("split_heads", lambda x, h: x.view(*x.shape[:2], -1, h).transpose(1, 2), "swapped"),
        ("merge_heads", lambda x: x.reshape(x.shape[0], x.shape[2], -1), "without the transpose"),
        ("merge_heads", merge_view_after_transpose, ".contiguous()"),
        ("merge_heads", lambda x: x.permute(0, 2, 3, 1).flatten(2), "interleaved"),
        ("merge_heads", lambda x: x.sum(dim=1), "concatenates"),
        ("merge_heads", lambda x: x.mean(dim=1), "averaged"),
        ("merge_heads", lambda x: torch.cat(x.unbind(1), dim=1), "sequence axis"),
        ("merge_heads", lambda x: merge_heads(x).transpose(1, 2), "transpose of the expected one"),
        (
            "multi_head_attention",
            lambda x, W_q, W_k, W_v, W_o: x,  # forgot num_heads: TypeError
            "it is called as fn(x, W_q, W_k, W_v, W_o, num_heads)",
        ),
        (
            "multi_head_attention",
            lambda x, Wq, Wk, Wv, Wo, h: mha_variant(x, Wq, Wk, Wv, Wo, h, scale_dim=x.shape[-1]),
            "sqrt(d_head)",
        ),
        (
            "multi_head_attention",
            lambda x, Wq, Wk, Wv, Wo, h: mha_variant(x, Wq, Wk, Wv, Wo, h, project=False),
            "output projection W_o",
        ),
        (
            "multi_head_attention",
            lambda x, Wq, Wk, Wv, Wo, h: mha_variant(x, Wq, Wk, Wv, Wo, h, dim=-2),
            "axis",
        ),
        ("multi_head_attention", mha_one_head, "single head"),
        ("multi_head_attention", mha_linear_convention, "transposed weight matrices"),
        ("multi_head_attention", mha_bad_split, "split into heads is wrong"),
    ]
)
test_diagnoses_are_registered = exercise_cases.diagnoses_are_registered(
    {
        "split_heads": {"transpose"},
        "merge_heads": {"transpose", "interleaved", "concatenates", "sequence axis"},
        "multi_head_attention": {"sqrt(d_head)", "W_o", "split", "merge", "axis", "transposed"},
    }
)
