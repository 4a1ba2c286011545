"""Exercise checkers of notebook 03 added after ``split_heads`` (tested in ``test_exercises.py``):
``merge_heads`` and ``multi_head_attention``. The right answers pass; each classic mistake fails
with its diagnosis; a stub fails as "not implemented"."""

from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F
from torch import nn

import helpers
from helpers.exercises import check, get_exercise, list_exercises
from helpers.exercises.nb03_multi_head import _mha_reference

NEW_IDS = ("merge_heads", "multi_head_attention")


def run(exercise_id, fn):
    """``check`` without printing."""
    return check(exercise_id, fn, quiet=True)


# --------------------------------------------------------------------------- right answers,
# written the way a learner would


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


def test_notebook_03_exercises_are_registered():
    assert {"split_heads", *NEW_IDS} <= set(list_exercises())
    for exercise_id in ("split_heads", *NEW_IDS):
        assert get_exercise(exercise_id).notebook == "03"


@pytest.mark.parametrize(
    "fn", [merge_heads, merge_heads_contiguous_view, merge_heads_cat, helpers.merge_heads]
)
def test_merge_heads_right_answers_pass(fn):
    result = run("merge_heads", fn)
    assert result.passed, result.message
    assert "on all 3 test cases" in result.message


@pytest.mark.parametrize(
    "fn", [multi_head_attention, multi_head_attention_loop, multi_head_attention_fused]
)
def test_multi_head_attention_right_answers_pass(fn):
    result = run("multi_head_attention", fn)
    assert result.passed, result.message
    assert "on all 3 test cases" in result.message


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


def test_checker_leaves_the_global_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    run("merge_heads", merge_heads)
    run("multi_head_attention", multi_head_attention)
    torch.testing.assert_close(torch.rand(3), expected)


# --------------------------------------------------------------------------- learner mistakes


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


LEARNER_MISTAKES = [
    ("merge_heads", lambda x: x.reshape(x.shape[0], x.shape[2], -1), "without the transpose"),
    ("merge_heads", merge_view_after_transpose, ".contiguous()"),
    ("merge_heads", lambda x: x.permute(0, 2, 3, 1).flatten(2), "interleaved"),
    ("merge_heads", lambda x: x.sum(dim=1), "concatenates"),
    ("merge_heads", lambda x: x.mean(dim=1), "averaged"),
    ("merge_heads", lambda x: torch.cat(x.unbind(1), dim=1), "sequence axis"),
    ("merge_heads", lambda x: merge_heads(x).transpose(1, 2), "transpose of the expected one"),
    ("merge_heads", lambda x: NotImplemented, "not implemented yet"),
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
    ("multi_head_attention", lambda x, Wq, Wk, Wv, Wo, h: NotImplemented, "not implemented yet"),
]


@pytest.mark.parametrize(("exercise_id", "fn", "keyword"), LEARNER_MISTAKES)
def test_learner_mistake_is_diagnosed(exercise_id, fn, keyword):
    result = run(exercise_id, fn)
    assert not result.passed
    assert result.message.startswith(f"❌ {exercise_id}: ")
    assert keyword in result.message


def test_required_diagnoses_are_registered():
    required = {
        "merge_heads": {"transpose", "interleaved", "concatenates", "sequence axis"},
        "multi_head_attention": {"sqrt(d_head)", "W_o", "split", "merge", "axis", "transposed"},
    }
    for exercise_id, keywords in required.items():
        messages = " ".join(m.message for m in get_exercise(exercise_id).mistakes)
        assert all(word in messages for word in keywords), exercise_id
