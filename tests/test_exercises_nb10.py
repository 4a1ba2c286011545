"""Exercises of notebook 10: ``encoder_seq_first`` and ``chunked_attention``; the checks every
exercise must pass are in ``test_exercises.py``."""

from __future__ import annotations

import math

import exercise_cases
import torch
import torch.nn.functional as F
from torch import nn

import helpers
from helpers.exercises import get_exercise
from helpers.exercises.nb10_encoder import _make_block, encoder_seq_first_reference

# --------------------------------------------------------------------------- right answers,
# written the way a learner would


def encoder_seq_first(x, src_key_padding_mask, block):
    h = x.transpose(0, 1)  # (batch, seq, d_model)
    mask = ~src_key_padding_mask.unsqueeze(1)  # (batch, 1, seq), True = may attend
    return block(h, mask).transpose(0, 1)


def encoder_seq_first_by_hand(x, src_key_padding_mask, block):
    """Section 3's forward, from the block's parts, dropout modules included (eval: off)."""
    h = x.permute(1, 0, 2)
    mask = src_key_padding_mask.logical_not()[:, None, :]
    if block.norm_first:
        h = h + block.dropout1(block.attention(block.norm1(h), mask))
        h = h + block.dropout2(block.feed_forward(block.norm2(h)))
    else:
        h = block.norm1(h + block.dropout1(block.attention(h, mask)))
        h = block.norm2(h + block.dropout2(block.feed_forward(h)))
    return h.permute(1, 0, 2)


def encoder_seq_first_functional_dropout(x, src_key_padding_mask, block):
    """F.dropout with training=block.training: off in eval mode."""
    h = x.transpose(0, 1)
    mask = (~src_key_padding_mask)[:, None]
    p, training = block.dropout1.p, block.training
    if block.norm_first:
        h = h + F.dropout(block.attention(block.norm1(h), mask), p, training=training)
        return (h + F.dropout(block.feed_forward(block.norm2(h)), p, training)).transpose(0, 1)
    h = block.norm1(h + F.dropout(block.attention(h, mask), p, training=training))
    return block.norm2(h + F.dropout(block.feed_forward(h), p, training)).transpose(0, 1)


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


def chunked_attention_logsumexp(q, k, v, chunk_size):
    """Another right answer: keep log l (a running logsumexp) instead of m and l."""
    log_l = torch.full((q.shape[0], 1), -math.inf)
    acc = torch.zeros(q.shape[0], v.shape[1])
    for start in range(0, k.shape[0], chunk_size):
        s = q @ k[start : start + chunk_size].T / math.sqrt(q.shape[1])
        new_log_l = torch.logaddexp(log_l, torch.logsumexp(s, dim=1, keepdim=True))
        acc = (
            acc * torch.exp(log_l - new_log_l)
            + torch.exp(s - new_log_l) @ v[start : start + chunk_size]
        )
        log_l = new_log_l
    return acc


test_right_answers_pass = exercise_cases.right_answers_pass(
    [
        ("encoder_seq_first", encoder_seq_first),
        ("encoder_seq_first", encoder_seq_first_by_hand),
        ("encoder_seq_first", encoder_seq_first_functional_dropout),
        ("chunked_attention", chunked_attention),
        ("chunked_attention", chunked_attention_split),
        ("chunked_attention", chunked_attention_logsumexp),
        ("chunked_attention", lambda q, k, v, c: helpers.chunked_attention(q, k, v, c)),
        # a fused kernel: the tracker sees only its output (and on the CPU PyTorch's kernel
        # itself works block by block), so it passes; it is a right answer
        ("chunked_attention", lambda q, k, v, c: F.scaled_dot_product_attention(q, k, v)),
    ]
)
test_case_counts = exercise_cases.case_counts_are({"encoder_seq_first": 4, "chunked_attention": 6})


def test_encoder_reference_equals_torch_with_batch_first_false():
    """The reference is what nn.TransformerEncoderLayer(batch_first=False) computes."""
    for norm_first in (False, True):
        block = _make_block(8, 2, 16, norm_first, seed=1)
        torch.manual_seed(0)
        layer = nn.TransformerEncoderLayer(8, 2, 16, dropout=0.3, norm_first=norm_first)
        with torch.no_grad():  # copy our block's weights into torch's layer
            layer.self_attn.in_proj_weight.copy_(block.attention.W_qkv.weight)
            layer.self_attn.in_proj_bias.copy_(block.attention.W_qkv.bias)
            layer.self_attn.out_proj.weight.copy_(block.attention.W_o.weight)
            layer.self_attn.out_proj.bias.copy_(block.attention.W_o.bias)
            for ours, theirs in (
                (block.feed_forward.linear1, layer.linear1),
                (block.feed_forward.linear2, layer.linear2),
                (block.norm1, layer.norm1),
                (block.norm2, layer.norm2),
            ):
                theirs.weight.copy_(ours.weight)
                theirs.bias.copy_(ours.bias)
        layer.eval()
        x = torch.randn(5, 3, 8)  # (seq, batch, d_model)
        padding = torch.arange(5)[None, :] >= torch.tensor([5, 3, 2])[:, None]
        with torch.no_grad():
            theirs = layer(x, src_key_padding_mask=padding)
            ours = encoder_seq_first_reference(x, padding, block)
        real = ~padding.T  # (seq, batch)
        torch.testing.assert_close(ours[real], theirs[real], rtol=1e-4, atol=1e-5)


# --------------------------------------------------------------------------- registered
# mistakes, written the way a learner would, each with the word its diagnosis must contain


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


def encoder_fresh_dropout(x, src_key_padding_mask, block):
    dropout = nn.Dropout(block.dropout1.p)  # a new module: in training mode
    h = x.transpose(0, 1)
    mask = ~src_key_padding_mask[:, None, :]
    if block.norm_first:
        h = h + dropout(block.attention(block.norm1(h), mask))
        return (h + dropout(block.feed_forward(block.norm2(h)))).transpose(0, 1)
    h = block.norm1(h + dropout(block.attention(h, mask)))
    return block.norm2(h + dropout(block.feed_forward(h))).transpose(0, 1)


test_mistakes_are_diagnosed = exercise_cases.mistakes_are_diagnosed(
    [
        ("encoder_seq_first", lambda x, m, b: b(x, ~m[:, None, :]), "transpose"),
        ("encoder_seq_first", lambda x, m, b: b(x.transpose(0, 1), ~m[:, None, :]), "back"),
        (
            "encoder_seq_first",
            lambda x, m, b: b(x.transpose(0, 1), m.unsqueeze(1)).transpose(0, 1),
            "not inverted",
        ),
        ("encoder_seq_first", encoder_fresh_dropout, "eval mode"),
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
        "encoder_seq_first": {"(seq, batch, d_model)", "transpose", "eval mode", "inverted"},
        "chunked_attention": {"rescale", "acc", "1/sqrt(d)", "last, shorter chunk", "(L, S)"},
    }
)


# --------------------------------------------------------------------------- wrong answers
# nobody registered: plausible, as a learner writes them; each must fail


@exercise_cases.wrong_answer("encoder_seq_first", "(batch, 1, seq)")
def encoder_mask_not_unsqueezed(x, src_key_padding_mask, block):
    return block(x.transpose(0, 1), ~src_key_padding_mask).transpose(0, 1)


@exercise_cases.wrong_answer("encoder_seq_first", "transpose")
def encoder_mT(x, src_key_padding_mask, block):
    return block(x.mT, ~src_key_padding_mask[:, None, :]).mT  # swaps the last two axes


@exercise_cases.wrong_answer("encoder_seq_first", "wrong places")
def encoder_reshape_back(x, src_key_padding_mask, block):
    out = block(x.transpose(0, 1), ~src_key_padding_mask[:, None, :])  # (batch, seq, d)
    return out.reshape(x.shape)  # regroups, does not swap


@exercise_cases.wrong_answer("encoder_seq_first", "eval mode")
def encoder_manual_dropout(x, src_key_padding_mask, block):
    h = x.transpose(0, 1)
    mask = ~src_key_padding_mask[:, None, :]
    keep = (torch.rand_like(h) > block.dropout1.p).float() / (1 - block.dropout1.p)
    h = block.norm1(h + keep * block.attention(h, mask)) if not block.norm_first else h
    if block.norm_first:
        h = h + keep * block.attention(block.norm1(h), mask)
        return (h + block.feed_forward(block.norm2(h))).transpose(0, 1)
    return block.norm2(h + block.feed_forward(h)).transpose(0, 1)


@exercise_cases.wrong_answer("encoder_seq_first", None)
def encoder_norms_swapped(x, src_key_padding_mask, block):
    h = x.transpose(0, 1)
    mask = ~src_key_padding_mask[:, None, :]
    if block.norm_first:
        h = h + block.attention(block.norm2(h), mask)
        return (h + block.feed_forward(block.norm1(h))).transpose(0, 1)
    h = block.norm2(h + block.attention(h, mask))
    return block.norm1(h + block.feed_forward(h)).transpose(0, 1)


@exercise_cases.wrong_answer("encoder_seq_first", None)
def encoder_no_residual(x, src_key_padding_mask, block):
    h = x.transpose(0, 1)
    mask = ~src_key_padding_mask[:, None, :]
    if block.norm_first:
        h = block.attention(block.norm1(h), mask)
        return (h + block.feed_forward(block.norm2(h))).transpose(0, 1)
    h = block.norm1(block.attention(h, mask))
    return block.norm2(h + block.feed_forward(h)).transpose(0, 1)


@exercise_cases.wrong_answer("chunked_attention", "(L, S)")
def chunked_plain_attention(q, k, v, chunk_size):
    return torch.softmax(q @ k.T / math.sqrt(q.shape[-1]), dim=-1) @ v  # the (L, S) scores


@exercise_cases.wrong_answer("chunked_attention", "grows with the number of keys")
def chunked_keep_chunk_summaries(q, k, v, chunk_size):
    maxima, sums, outputs = [], [], []
    for start in range(0, k.shape[0], chunk_size):
        s = q @ k[start : start + chunk_size].T / math.sqrt(q.shape[1])
        m = s.amax(dim=1, keepdim=True)
        e = torch.exp(s - m)
        maxima.append(m), sums.append(e.sum(dim=1, keepdim=True))
        outputs.append(e @ v[start : start + chunk_size])
    m_all = torch.cat(maxima, dim=1)  # (L, n_chunks): grows with S
    w = torch.exp(m_all - m_all.amax(dim=1, keepdim=True))
    acc = sum(o * w[:, i : i + 1] for i, o in enumerate(outputs))
    return acc / (torch.cat(sums, dim=1) * w).sum(dim=1, keepdim=True)


@exercise_cases.wrong_answer("chunked_attention", "(L, S)")
def chunked_mask_then_chunks(q, k, v, chunk_size):
    scores = q @ k.T / math.sqrt(q.shape[1])  # built whole, then split
    weights = [torch.exp(s - scores.amax(1, keepdim=True)) for s in scores.split(chunk_size, 1)]
    total = sum(w.sum(1, keepdim=True) for w in weights)
    return sum(w @ v_c for w, v_c in zip(weights, v.split(chunk_size), strict=True)) / total


@exercise_cases.wrong_answer("chunked_attention", None)
def chunked_acc_rescaled_sum_not(q, k, v, chunk_size):
    m = torch.full((q.shape[0], 1), -math.inf)
    l, acc = torch.zeros(q.shape[0], 1), torch.zeros(q.shape[0], v.shape[1])  # noqa: E741
    for start in range(0, k.shape[0], chunk_size):
        s = q @ k[start : start + chunk_size].T / math.sqrt(q.shape[1])
        m_new = torch.maximum(m, s.amax(1, keepdim=True))
        p = torch.exp(s - m_new)
        l = l + p.sum(1, keepdim=True)  # noqa: E741 — not rescaled
        acc = acc * torch.exp(m - m_new) + p @ v[start : start + chunk_size]
        m = m_new
    return acc / l


@exercise_cases.wrong_answer("chunked_attention", "d**1/2")
def chunked_d_power_half(q, k, v, chunk_size):
    d = q.shape[1]
    m = torch.full((q.shape[0], 1), -math.inf)
    l, acc = torch.zeros(q.shape[0], 1), torch.zeros(q.shape[0], v.shape[1])  # noqa: E741
    for start in range(0, k.shape[0], chunk_size):
        s = q @ k[start : start + chunk_size].T / d**1 / 2  # precedence: (d**1) / 2
        m_new = torch.maximum(m, s.amax(1, keepdim=True))
        p = torch.exp(s - m_new)
        l = l * torch.exp(m - m_new) + p.sum(1, keepdim=True)  # noqa: E741
        acc = acc * torch.exp(m - m_new) + p @ v[start : start + chunk_size]
        m = m_new
    return acc / l


WRONG_ANSWERS = exercise_cases.wrong_answers_in(globals())
test_wrong_answers_fail = exercise_cases.wrong_answers_fail(WRONG_ANSWERS)


def test_every_chunked_mistake_gets_its_own_diagnosis():
    mistakes = get_exercise("chunked_attention").mistakes
    messages = {exercise_cases.run("chunked_attention", m.fn).message for m in mistakes}
    assert len(messages) == len(mistakes)
