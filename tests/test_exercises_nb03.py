"""Exercises of notebook 03: ``split_heads`` and ``merge_heads`` for the sequence-first layout
``(seq, batch, d_model)`` and ``multi_head_attention`` with a mask; the checks every exercise must
pass are in ``test_exercises.py``."""

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


def split_heads_seq_first(x, num_heads):
    seq, batch, d_model = x.shape
    x = x.transpose(0, 1)  # (batch, seq, d_model)
    return x.reshape(batch, seq, num_heads, d_model // num_heads).transpose(1, 2)


def split_heads_permute_once(x, num_heads):
    seq, batch, d_model = x.shape
    return x.reshape(seq, batch, num_heads, -1).permute(1, 2, 0, 3)


def split_heads_chunks(x, num_heads):
    heads = torch.stack(x.chunk(num_heads, dim=-1), dim=1)  # (seq, heads, batch, d_head)
    return heads.transpose(0, 2)  # (batch, heads, seq, d_head)


def merge_heads_seq_first(x):
    batch, heads, seq, d_head = x.shape
    return x.permute(2, 0, 1, 3).reshape(seq, batch, heads * d_head)


def merge_heads_cat(x):
    return torch.cat(x.unbind(dim=1), dim=-1).transpose(0, 1)  # [head 0 | head 1 | ...]


def merge_heads_contiguous_view(x):
    batch, heads, seq, d_head = x.shape
    return x.permute(2, 0, 1, 3).contiguous().view(seq, batch, heads * d_head)


def masked_multi_head_attention(x, W_q, W_k, W_v, W_o, num_heads, mask):
    batch, seq, d_model = x.shape
    d_head = d_model // num_heads

    def split(t):
        return t.view(batch, seq, num_heads, d_head).transpose(1, 2)

    q, k, v = split(x @ W_q), split(x @ W_k), split(x @ W_v)
    scores = q @ k.transpose(-2, -1) / math.sqrt(d_head)  # (batch, heads, seq, seq)
    scores = scores.masked_fill(~mask.unsqueeze(1), float("-inf"))
    weights = torch.softmax(scores, dim=-1).nan_to_num(0.0)  # a query with no key: zeros
    return (weights @ v).transpose(1, 2).reshape(batch, seq, d_model) @ W_o


def masked_multi_head_attention_helpers(x, W_q, W_k, W_v, W_o, num_heads, mask):
    q, k, v = (helpers.split_heads(x @ W, num_heads) for W in (W_q, W_k, W_v))
    heads = helpers.scaled_dot_product_attention(q, k, v, mask=mask[:, None])
    return helpers.merge_heads(heads) @ W_o


def masked_multi_head_attention_fused(x, W_q, W_k, W_v, W_o, num_heads, mask):
    q, k, v = (helpers.split_heads(x @ W, num_heads) for W in (W_q, W_k, W_v))
    heads = F.scaled_dot_product_attention(q, k, v, attn_mask=mask.unsqueeze(1))
    return helpers.merge_heads(heads) @ W_o  # torch >= 2.5: zeros for an empty mask row


def masked_multi_head_attention_loop(x, W_q, W_k, W_v, W_o, num_heads, mask):
    """One head at a time, zeroing the weights where the mask is False after exp."""
    d_head = x.shape[-1] // num_heads
    outputs = []
    for h in range(num_heads):
        columns = slice(h * d_head, (h + 1) * d_head)
        q, k, v = x @ W_q[:, columns], x @ W_k[:, columns], x @ W_v[:, columns]
        scores = q @ k.transpose(-2, -1) / d_head**0.5  # (batch, seq, seq)
        scores = scores - scores.amax(dim=-1, keepdim=True)
        e = scores.exp() * mask  # exactly 0 where not allowed
        total = e.sum(dim=-1, keepdim=True)
        weights = torch.where(total > 0, e / total.clamp_min(1e-30), 0.0)
        outputs.append(weights @ v)  # (batch, seq, d_head)
    return torch.cat(outputs, dim=-1) @ W_o


test_right_answers_pass = exercise_cases.right_answers_pass(
    [
        ("split_heads", split_heads_seq_first),
        ("split_heads", split_heads_permute_once),
        ("split_heads", split_heads_chunks),
        ("split_heads", lambda x, h: helpers.split_heads(x.permute(1, 0, 2), h)),
        ("merge_heads", merge_heads_seq_first),
        ("merge_heads", merge_heads_cat),
        ("merge_heads", merge_heads_contiguous_view),
        ("merge_heads", lambda x: helpers.merge_heads(x).transpose(0, 1)),
        ("multi_head_attention", masked_multi_head_attention),
        ("multi_head_attention", masked_multi_head_attention_helpers),
        ("multi_head_attention", masked_multi_head_attention_fused),
        ("multi_head_attention", masked_multi_head_attention_loop),
    ]
)
test_case_counts = exercise_cases.case_counts_are(
    {"split_heads": 3, "merge_heads": 3, "multi_head_attention": 3}
)


def test_reference_equals_torch_multihead_attention_with_the_inverted_mask():
    """The checker's reference against nn.MultiheadAttention (no bias), given ~mask."""
    torch.manual_seed(0)
    batch, seq, d_model, num_heads = 2, 5, 12, 3
    torch_mha = nn.MultiheadAttention(d_model, num_heads, bias=False, batch_first=True)
    x = torch.randn(batch, seq, d_model)
    mask = helpers.causal_mask(seq).expand(batch, seq, seq)  # True = may attend
    W_q, W_k, W_v = (w.T for w in torch_mha.in_proj_weight.detach().chunk(3))  # row convention
    W_o = torch_mha.out_proj.weight.detach().T
    with torch.no_grad():
        expected, _ = torch_mha(x, x, x, attn_mask=~mask[0])  # True = NOT allowed
    got = _mha_reference(x, W_q, W_k, W_v, W_o, num_heads, mask)
    torch.testing.assert_close(got, expected)


def test_split_and_merge_match_the_sequence_first_torch_layout():
    torch.manual_seed(0)
    x = torch.randn(5, 2, 12)  # (seq, batch, d_model): nn.MultiheadAttention's default
    heads = split_heads_seq_first(x, 3)
    assert heads.shape == (2, 3, 5, 4)
    torch.testing.assert_close(merge_heads_seq_first(heads), x)


# --------------------------------------------------------------------------- learner mistakes
# (each registered mistake is also fed to its checker by test_exercises.py)


def mha_mask_not_broadcast(x, W_q, W_k, W_v, W_o, num_heads, mask):
    q, k, v = (helpers.split_heads(x @ W, num_heads) for W in (W_q, W_k, W_v))
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    weights = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)  # (b, s, s) mask
    return helpers.merge_heads(weights @ v) @ W_o


test_mistakes_are_diagnosed = exercise_cases.mistakes_are_diagnosed(
    [
        ("split_heads", lambda x, h: helpers.split_heads(x, h), "batch_first"),
        ("merge_heads", lambda x: helpers.merge_heads(x), "batch_first"),
        ("multi_head_attention", mha_mask_not_broadcast, "unsqueeze(1)"),
        (
            "multi_head_attention",
            lambda x, W_q, W_k, W_v, W_o, h: x,  # forgot the mask: TypeError
            "it is called as fn(x, W_q, W_k, W_v, W_o, num_heads, mask)",
        ),
    ]
)
test_diagnoses_are_registered = exercise_cases.diagnoses_are_registered(
    {
        "split_heads": {"batch_first", "transpose"},
        "merge_heads": {"batch_first", "interleaved", "concatenates"},
        "multi_head_attention": {"True = may attend", "-inf", "zeros", "W_o.T", "sqrt(d_head)"},
    }
)


# --------------------------------------------------------------------------- wrong answers
# plausible learner code, none of them a registered mistake


@exercise_cases.wrong_answer("split_heads", "wrong places")
def split_forgot_final_transpose(x, num_heads):
    seq, batch, d_model = x.shape
    return x.transpose(0, 1).reshape(batch, seq, num_heads, d_model // num_heads)


@exercise_cases.wrong_answer("split_heads", "hard-coded")
def split_hard_coded_d_head(x, num_heads):
    seq, batch, d_model = x.shape
    return x.transpose(0, 1).reshape(batch, seq, num_heads, 4).transpose(1, 2)


@exercise_cases.wrong_answer("split_heads", "transpose")
def split_d_head_before_seq(x, num_heads):
    seq, batch, d_model = x.shape
    return x.reshape(seq, batch, num_heads, -1).permute(1, 2, 3, 0)  # (batch, heads, d_head, seq)


@exercise_cases.wrong_answer("split_heads", "wrong places")
def split_chunks_wrong_axes(x, num_heads):
    heads = torch.stack(x.chunk(num_heads, dim=-1), dim=1)  # (seq, heads, batch, d_head)
    return heads.transpose(0, 1)  # (heads, seq, batch, d_head)


@exercise_cases.wrong_answer("split_heads", "wrong places")
def split_heads_first(x, num_heads):
    seq, batch, d_model = x.shape
    return x.reshape(seq, batch, num_heads, -1).permute(2, 1, 0, 3)  # (heads, batch, seq, ...)


@exercise_cases.wrong_answer("split_heads", "contiguous features")
def split_unflatten_heads_last(x, num_heads):
    return x.unflatten(-1, (-1, num_heads)).permute(1, 3, 0, 2)  # (batch, heads, seq, d_head)


@exercise_cases.wrong_answer("merge_heads", "wrong places")
def merge_flatten_too_much(x):
    return x.permute(2, 0, 1, 3).flatten(1)  # (seq, batch * heads * d_head)


@exercise_cases.wrong_answer("merge_heads", "wrong places")
def merge_heads_and_batch_mixed(x):
    batch, heads, seq, d_head = x.shape
    return x.permute(2, 1, 0, 3).reshape(seq, batch, heads * d_head)


@exercise_cases.wrong_answer("merge_heads", None)
def merge_mean_of_heads(x):
    return x.mean(dim=1).transpose(0, 1)  # (seq, batch, d_head)


@exercise_cases.wrong_answer("merge_heads", "hard-coded")
def merge_hard_coded_d_model(x):
    batch, heads, seq, d_head = x.shape
    return x.permute(2, 0, 1, 3).reshape(seq, batch, 12)


@exercise_cases.wrong_answer("merge_heads", "wrong places")
def merge_heads_reversed(x):
    return torch.cat(x.unbind(dim=1)[::-1], dim=-1).transpose(0, 1)


@exercise_cases.wrong_answer("merge_heads", "memory order")
def merge_batch_seq_order(x):
    batch, heads, seq, d_head = x.shape
    return x.permute(0, 2, 1, 3).reshape(batch, seq, -1).reshape(seq, batch, -1).contiguous()


def _mha_parts(x, W_q, W_k, W_v, num_heads):
    q, k, v = (helpers.split_heads(x @ W, num_heads) for W in (W_q, W_k, W_v))
    return q, k, v, q @ k.transpose(-2, -1)  # scores without scale


@exercise_cases.wrong_answer("multi_head_attention", "before")
def mha_mask_after_softmax(x, W_q, W_k, W_v, W_o, num_heads, mask):
    q, k, v, scores = _mha_parts(x, W_q, W_k, W_v, num_heads)
    weights = torch.softmax(scores / math.sqrt(q.shape[-1]), dim=-1) * mask.unsqueeze(1)
    return helpers.merge_heads(weights @ v) @ W_o


@exercise_cases.wrong_answer("multi_head_attention", "zeros")
def mha_mask_after_softmax_renormalised(x, W_q, W_k, W_v, W_o, num_heads, mask):
    q, k, v, scores = _mha_parts(x, W_q, W_k, W_v, num_heads)
    weights = torch.softmax(scores / math.sqrt(q.shape[-1]), dim=-1) * mask.unsqueeze(1)
    weights = weights / weights.sum(dim=-1, keepdim=True)  # 0/0 for a query with no key
    return helpers.merge_heads(weights @ v) @ W_o


@exercise_cases.wrong_answer("multi_head_attention", "no key at all")
def mha_large_negative_fill(x, W_q, W_k, W_v, W_o, num_heads, mask):
    q, k, v, scores = _mha_parts(x, W_q, W_k, W_v, num_heads)
    scores = (scores / math.sqrt(q.shape[-1])).masked_fill(~mask.unsqueeze(1), -1e9)
    return helpers.merge_heads(torch.softmax(scores, dim=-1) @ v) @ W_o


@exercise_cases.wrong_answer("multi_head_attention", "square root")
def mha_scale_one_over_d_head(x, W_q, W_k, W_v, W_o, num_heads, mask):
    q, k, v = (helpers.split_heads(x @ W, num_heads) for W in (W_q, W_k, W_v))
    heads = helpers.scaled_dot_product_attention(
        q, k, v, mask=mask.unsqueeze(1), scale=1 / q.shape[-1]
    )
    return helpers.merge_heads(heads) @ W_o


@exercise_cases.wrong_answer("multi_head_attention", "d**1/2")
def mha_operator_precedence(x, W_q, W_k, W_v, W_o, num_heads, mask):
    q, k, v, scores = _mha_parts(x, W_q, W_k, W_v, num_heads)
    d_head = q.shape[-1]
    scores = (scores / d_head**1 / 2).masked_fill(~mask.unsqueeze(1), float("-inf"))
    weights = torch.softmax(scores, dim=-1).nan_to_num(0.0)
    return helpers.merge_heads(weights @ v) @ W_o


@exercise_cases.wrong_answer("multi_head_attention", "mask")
def mha_first_mask_for_the_batch(x, W_q, W_k, W_v, W_o, num_heads, mask):
    q, k, v = (helpers.split_heads(x @ W, num_heads) for W in (W_q, W_k, W_v))
    heads = helpers.scaled_dot_product_attention(q, k, v, mask=mask[0])  # one (seq, seq) mask
    return helpers.merge_heads(heads) @ W_o


@exercise_cases.wrong_answer("multi_head_attention", "before")
def mha_additive_bool_mask(x, W_q, W_k, W_v, W_o, num_heads, mask):
    q, k, v, scores = _mha_parts(x, W_q, W_k, W_v, num_heads)
    scores = scores / math.sqrt(q.shape[-1]) + mask.unsqueeze(1).float()  # 0/1 added
    return helpers.merge_heads(torch.softmax(scores, dim=-1) @ v) @ W_o


WRONG_ANSWERS = exercise_cases.wrong_answers_in(globals())
test_wrong_answers_fail = exercise_cases.wrong_answers_fail(WRONG_ANSWERS)
