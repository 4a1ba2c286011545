"""Exercises of notebook 03 (multi-head self-attention).

``split_heads``, ``merge_heads`` and ``multi_head_attention``.
"""

from __future__ import annotations

import torch

import helpers
from helpers.exercises._registry import Mistake, Tester, exercise


def _split_without_transpose(x, num_heads):
    batch, seq, d_model = x.shape
    return x.reshape(batch, num_heads, seq, d_model // num_heads)  # mixes tokens and heads


def _split_head_index_fastest(x, num_heads):
    batch, seq, d_model = x.shape
    x = x.reshape(batch, seq, d_model // num_heads, num_heads)  # head h gets every h-th feature
    return x.permute(0, 3, 1, 2)


def _split_heads_and_d_head_swapped(x, num_heads):
    batch, seq, d_model = x.shape
    x = x.reshape(batch, seq, d_model // num_heads, num_heads)  # (batch, seq, d_head, heads)
    return x.transpose(1, 2)  # (batch, d_head, seq, heads)


def _split_wrong_transpose(x, num_heads):
    batch, seq, d_model = x.shape
    x = x.reshape(batch, seq, num_heads, d_model // num_heads)  # (batch, seq, heads, d_head)
    return x.permute(0, 2, 3, 1)  # (batch, heads, d_head, seq)


SPLIT_HEADS_MISTAKES = (
    Mistake(
        "no_transpose",
        "you reshaped straight to (batch, heads, seq, d_head) without the transpose, which "
        "mixes features of different tokens into one head. View as (batch, seq, heads, d_head) "
        "first, then .transpose(1, 2)",
        _split_without_transpose,
    ),
    Mistake(
        "head_index_fastest",
        "head h must get the contiguous features h*d_head : (h+1)*d_head, but yours gets every "
        "num_heads-th feature. View as (batch, seq, heads, d_head) (heads before d_head), then "
        ".transpose(1, 2)",
        _split_head_index_fastest,
    ),
    Mistake(
        "heads_and_d_head_swapped",
        "you swapped num_heads and d_head: num_heads is the number of heads and d_head = "
        "d_model // num_heads; view as (batch, seq, num_heads, d_head), then .transpose(1, 2)",
        _split_heads_and_d_head_swapped,
    ),
    Mistake(
        "wrong_transpose",
        "the split is right but the transpose is not: the result must be (batch, heads, seq, "
        "d_head), i.e. .transpose(1, 2) of the (batch, seq, heads, d_head) view",
        _split_wrong_transpose,
    ),
)


@exercise(
    "split_heads",
    solution=helpers.split_heads,
    reference="helpers.split_heads",
    mistakes=SPLIT_HEADS_MISTAKES,
)
def check_split_heads(t: Tester) -> None:
    """Split (batch, seq, d_model) into heads: (batch, heads, seq, d_head)."""
    # batch, seq, heads and d_head all differ, so no two axes can be confused.
    for batch, seq, d_model, num_heads, dtype in (
        (2, 5, 12, 3, torch.float32),  # d_head = 4
        (1, 7, 8, 2, torch.float32),  # d_head = 4
        (3, 4, 10, 5, torch.float64),  # d_head = 2
    ):
        x = t.randn(batch, seq, d_model, dtype=dtype)  # (batch, seq, d_model)
        t.expect((x, num_heads), helpers.split_heads(x, num_heads))


# --------------------------------------------------------------------------- merge_heads


def _merge_without_transpose(x):
    batch, heads, seq, d_head = x.shape
    return x.reshape(batch, seq, heads * d_head)  # mixes tokens and heads


def _merge_interleaved(x):
    batch, heads, seq, d_head = x.shape
    return x.permute(0, 2, 3, 1).reshape(batch, seq, heads * d_head)  # feature-major


def _merge_sum(x):
    return x.sum(dim=1)


def _merge_mean(x):
    return x.mean(dim=1)


def _merge_along_seq(x):
    batch, heads, seq, d_head = x.shape
    return x.reshape(batch, heads * seq, d_head)  # torch.cat(x.unbind(1), dim=1)


_SUMMED = (
    "you {verb} the heads into one d_head-sized vector: multi-head attention concatenates "
    "them, giving heads * d_head features per token (W^O does the mixing afterwards)"
)

MERGE_HEADS_MISTAKES = (
    Mistake(
        "no_transpose",
        "you reshaped straight to (batch, seq, heads * d_head) without the transpose, which "
        "mixes the rows (tokens) of different heads into one token. First .transpose(1, 2) to "
        "(batch, seq, heads, d_head), then .reshape(batch, seq, heads * d_head)",
        _merge_without_transpose,
    ),
    Mistake(
        "interleaved",
        "the features are interleaved (feature j of every head side by side) instead of "
        "concatenated head after head: transpose to (batch, seq, heads, d_head) with "
        ".transpose(1, 2), not permute(0, 2, 3, 1), before the reshape",
        _merge_interleaved,
    ),
    Mistake("summed", _SUMMED.format(verb="summed"), _merge_sum),
    Mistake("averaged", _SUMMED.format(verb="averaged"), _merge_mean),
    Mistake(
        "along_seq",
        "you concatenated the heads along the sequence axis, (batch, heads * seq, d_head): "
        "every token must keep its place and get all heads' features, (batch, seq, heads * "
        "d_head); transpose to (batch, seq, heads, d_head) first, then reshape",
        _merge_along_seq,
    ),
)


@exercise(
    "merge_heads",
    solution=helpers.merge_heads,
    reference="helpers.merge_heads",
    mistakes=MERGE_HEADS_MISTAKES,
)
def check_merge_heads(t: Tester) -> None:
    """Concatenate the heads: (batch, heads, seq, d_head) -> (batch, seq, heads * d_head)."""
    # batch, heads, seq and d_head all differ, so no two axes can be confused.
    for batch, heads, seq, d_head, dtype in (
        (2, 3, 5, 4, torch.float32),
        (1, 2, 7, 3, torch.float32),
        (3, 4, 2, 5, torch.float64),
    ):
        x = t.randn(batch, heads, seq, d_head, dtype=dtype)  # (batch, heads, seq, d_head)
        t.expect((x,), helpers.merge_heads(x))


# --------------------------------------------------------------------------- multi_head_attention


def _mha(
    x,
    W_q,
    W_k,
    W_v,
    W_o,
    num_heads,
    *,
    scale="d_head",
    project=True,
    dim=-1,
    split=None,
    merge=None,
):
    """Multi-head attention (row convention, no bias) with one classic mistake switched on."""
    split = split or helpers.split_heads
    merge = merge or helpers.merge_heads
    q, k, v = (split(x @ W, num_heads) for W in (W_q, W_k, W_v))  # (batch, heads, seq, d_head)
    scores = q @ k.transpose(-2, -1)  # (batch, heads, seq, seq)
    if scale == "d_head":
        scores = scores / q.shape[-1] ** 0.5
    elif scale == "d_model":
        scores = scores / x.shape[-1] ** 0.5
    heads = torch.softmax(scores, dim=dim) @ v  # (batch, heads, seq, d_head)
    merged = merge(heads)  # (batch, seq, d_model)
    return merged @ W_o if project else merged


def _mha_reference(x, W_q, W_k, W_v, W_o, num_heads):
    q, k, v = (helpers.split_heads(x @ W, num_heads) for W in (W_q, W_k, W_v))
    heads = helpers.scaled_dot_product_attention(q, k, v)  # (batch, heads, seq, d_head)
    return helpers.merge_heads(heads) @ W_o  # (batch, seq, d_model)


def _mha_split_without_transpose(x, num_heads):
    *batch, seq, d_model = x.shape
    return x.reshape(*batch, num_heads, seq, d_model // num_heads)


MULTI_HEAD_MISTAKES = (
    Mistake(
        "scale_d_model",
        "wrong scale: you divided the scores by sqrt(d_model); each head compares vectors of "
        "size d_head = d_model / num_heads, so divide by sqrt(d_head)",
        lambda x, W_q, W_k, W_v, W_o, h: _mha(x, W_q, W_k, W_v, W_o, h, scale="d_model"),
    ),
    Mistake(
        "no_scale",
        "missing scale: divide each head's scores q k^T by sqrt(d_head) before the softmax",
        lambda x, W_q, W_k, W_v, W_o, h: _mha(x, W_q, W_k, W_v, W_o, h, scale=None),
    ),
    Mistake(
        "no_output_projection",
        "you forgot the output projection W_o: multiply the concatenated heads by W_o",
        lambda x, W_q, W_k, W_v, W_o, h: _mha(x, W_q, W_k, W_v, W_o, h, project=False),
    ),
    Mistake(
        "one_head",
        "you computed a single head over all d_model features: split q, k and v into "
        "num_heads heads (split_heads), attend within each head, then merge the heads",
        lambda x, W_q, W_k, W_v, W_o, h: _mha(x, W_q, W_k, W_v, W_o, 1, scale="d_model"),
    ),
    Mistake(
        "split_without_transpose",
        "your split into heads is wrong: reshaping straight to (batch, heads, seq, d_head) "
        "mixes tokens; view as (batch, seq, heads, d_head), then .transpose(1, 2)",
        lambda x, W_q, W_k, W_v, W_o, h: _mha(
            x, W_q, W_k, W_v, W_o, h, split=_mha_split_without_transpose
        ),
    ),
    Mistake(
        "merge_without_transpose",
        "your merge of the heads is wrong: transpose (batch, heads, seq, d_head) to "
        "(batch, seq, heads, d_head) before reshaping to (batch, seq, d_model)",
        lambda x, W_q, W_k, W_v, W_o, h: _mha(
            x, W_q, W_k, W_v, W_o, h, merge=_merge_without_transpose
        ),
    ),
    Mistake(
        "softmax_over_queries",
        "softmax over the wrong axis: each query's weights must sum to 1 over the keys, the "
        "last axis of the (batch, heads, seq, seq) scores (dim=-1)",
        lambda x, W_q, W_k, W_v, W_o, h: _mha(x, W_q, W_k, W_v, W_o, h, dim=-2),
    ),
    Mistake(
        "transposed_weights",
        "you multiplied by the transposed weight matrices (x @ W.T, the nn.Linear storage "
        "convention); here rows are tokens and the matrices are used as given: Q = x @ W_q",
        lambda x, W_q, W_k, W_v, W_o, h: _mha(x, W_q.T, W_k.T, W_v.T, W_o.T, h),
    ),
)


@exercise(
    "multi_head_attention",
    solution=_mha_reference,
    reference="split_heads -> scaled_dot_product_attention -> merge_heads -> W_o",
    mistakes=MULTI_HEAD_MISTAKES,
)
def check_multi_head_attention(t: Tester) -> None:
    """Multi-head self-attention (row convention, no biases): (batch, seq, d_model) out."""
    for batch, seq, d_model, num_heads, dtype in (
        (2, 5, 12, 3, torch.float32),  # d_head = 4
        (1, 4, 8, 4, torch.float32),  # d_head = 2
        (3, 6, 10, 2, torch.float64),  # d_head = 5
    ):
        x = t.randn(batch, seq, d_model, dtype=dtype)  # (batch, seq, d_model)
        W_q, W_k, W_v, W_o = (
            t.randn(d_model, d_model, dtype=dtype) / d_model**0.5 for _ in range(4)
        )
        args = (x, W_q, W_k, W_v, W_o, num_heads)
        t.expect(args, _mha_reference(*args))
