"""Exercises of notebook 03 (multi-head self-attention), transfer tasks of its sections 2–5.

``split_heads`` and ``merge_heads`` for the sequence-first layout ``(seq, batch, d_model)``
(``nn.MultiheadAttention``'s default, ``batch_first=False``), and ``multi_head_attention`` with a
mask (True = may attend; a query that may attend no key gets zeros). The explain/predict question
``heads_parameters`` is registered here with its hints.
"""

from __future__ import annotations

import math

import torch

import helpers
from helpers.exercises._registry import Diagnosis, Mistake, Tester, exercise
from helpers.exercises.guidance import question
from helpers.exercises.language import tr

# --------------------------------------------------------------------------- split_heads
# x is (seq, batch, d_model); the result is (batch, heads, seq, d_head).


def _split_seq_first_reference(x, num_heads):
    return helpers.split_heads(x.transpose(0, 1), num_heads)  # (batch, heads, seq, d_head)


def _split_as_if_batch_first(x, num_heads):
    seq, batch, d_model = x.shape  # read as if it were (batch, seq, d_model)
    return x.reshape(seq, batch, num_heads, d_model // num_heads).transpose(1, 2)


def _split_seq_first_no_transpose(x, num_heads):
    seq, batch, d_model = x.shape
    return x.transpose(0, 1).reshape(batch, num_heads, seq, d_model // num_heads)


def _split_seq_first_head_index_fastest(x, num_heads):
    seq, batch, d_model = x.shape
    x = x.transpose(0, 1).reshape(batch, seq, d_model // num_heads, num_heads)
    return x.permute(0, 3, 1, 2)  # head h gets every num_heads-th feature


def _split_seq_first_reshape_instead_of_transpose(x, num_heads):
    seq, batch, d_model = x.shape
    x = x.reshape(batch, seq, d_model)  # regroups memory: mixes tokens of different sequences
    return helpers.split_heads(x, num_heads)


def _split_seq_first_heads_and_d_head_swapped(x, num_heads):
    seq, batch, d_model = x.shape
    x = x.transpose(0, 1).reshape(batch, seq, d_model // num_heads, num_heads)
    return x.transpose(1, 2)  # (batch, d_head, seq, heads)


SPLIT_HEADS_MISTAKES = (
    Mistake(
        "as_if_batch_first",
        "you split x as if it were (batch, seq, d_model), the batch_first layout; here x is "
        "(seq, batch, d_model), nn.MultiheadAttention's default layout (batch_first=False), so "
        "your result is (seq, heads, batch, d_head). Move the batch first: x.transpose(0, 1), "
        "then split as in section 3",
        _split_as_if_batch_first,
    ),
    Mistake(
        "no_transpose",
        "you reshaped straight to (batch, heads, seq, d_head) without the transpose, which "
        "mixes features of different tokens into one head. View as (batch, seq, heads, d_head) "
        "first, then .transpose(1, 2)",
        _split_seq_first_no_transpose,
    ),
    Mistake(
        "reshape_instead_of_transpose",
        "x.reshape(batch, seq, d_model) does not move the batch axis: reshape only regroups the "
        "numbers in memory order, so the tokens of different sequences get mixed. Swap the "
        "axes with x.transpose(0, 1) (or permute(1, 0, 2))",
        _split_seq_first_reshape_instead_of_transpose,
    ),
    Mistake(
        "head_index_fastest",
        "head h must get the contiguous features h*d_head : (h+1)*d_head, but yours gets every "
        "num_heads-th feature. View as (..., heads, d_head) (heads before d_head)",
        _split_seq_first_head_index_fastest,
    ),
    Mistake(
        "heads_and_d_head_swapped",
        "you swapped num_heads and d_head: num_heads is the number of heads and d_head = "
        "d_model // num_heads; view as (batch, seq, num_heads, d_head), then .transpose(1, 2)",
        _split_seq_first_heads_and_d_head_swapped,
    ),
)


@exercise(
    "split_heads",
    solution=_split_seq_first_reference,
    reference="helpers.split_heads(x.transpose(0, 1), num_heads)",
    mistakes=SPLIT_HEADS_MISTAKES,
    hints=(
        "Two moves: put the batch first, then cut the features into heads. Which axis of x is "
        "the batch here?",
        "x.transpose(0, 1) gives (batch, seq, d_model); then view/reshape to (batch, seq, "
        "heads, d_head) and transpose to (batch, heads, seq, d_head).",
        "seq, batch, d_model = x.shape; x = x.transpose(0, 1).reshape(batch, seq, num_heads, "
        "d_model // num_heads); return x.transpose(1, 2)",
    ),
    diagnosis=Diagnosis(seq_dim=-2),
    error_hints=(
        (
            ("view size is not compatible",),
            "after x.transpose(0, 1) the tensor is not contiguous: use .reshape(...) instead "
            "of .view(...) (or .contiguous().view(...))",
        ),
        (
            ("shape '[",),
            "the sizes of your view/reshape do not multiply to x.numel(): read them from "
            "x.shape (x is (seq, batch, d_model)) and use d_head = d_model // num_heads",
        ),
    ),
)
def check_split_heads(t: Tester) -> None:
    """Split a sequence-first (seq, batch, d_model) x into heads: (batch, heads, seq, d_head)."""
    # seq, batch, heads and d_head all differ, so no two axes can be confused.
    for seq, batch, d_model, num_heads, dtype in (
        (5, 2, 12, 3, torch.float32),  # d_head = 4
        (7, 3, 8, 2, torch.float32),  # d_head = 4
        (4, 6, 10, 5, torch.float64),  # d_head = 2
    ):
        x = t.randn(seq, batch, d_model, dtype=dtype)  # (seq, batch, d_model)
        t.expect((x, num_heads), _split_seq_first_reference(x, num_heads))


# --------------------------------------------------------------------------- merge_heads
# x is (batch, heads, seq, d_head); the result is (seq, batch, heads * d_head).


def _merge_seq_first_reference(x):
    return helpers.merge_heads(x).transpose(0, 1)  # (seq, batch, d_model)


def _merge_batch_first(x):
    return helpers.merge_heads(x)  # (batch, seq, d_model): the batch_first layout


def _merge_seq_first_no_transpose(x):
    batch, heads, seq, d_head = x.shape
    return x.reshape(seq, batch, heads * d_head)  # mixes tokens, heads and sequences


def _merge_seq_first_interleaved(x):
    batch, heads, seq, d_head = x.shape
    return x.permute(2, 0, 3, 1).reshape(seq, batch, heads * d_head)  # feature-major


def _merge_seq_first_reshape_batch(x):
    batch, heads, seq, d_head = x.shape
    return helpers.merge_heads(x).reshape(seq, batch, heads * d_head)  # regroups, not moves


def _merge_seq_first_sum(x):
    return x.sum(dim=1).transpose(0, 1)


MERGE_HEADS_MISTAKES = (
    Mistake(
        "batch_first",
        "your output is (batch, seq, d_model), the batch_first layout; this exercise returns "
        "nn.MultiheadAttention's default layout (seq, batch, d_model): transpose the merged "
        "heads with .transpose(0, 1)",
        _merge_batch_first,
    ),
    Mistake(
        "no_transpose",
        "you reshaped straight to (seq, batch, heads * d_head) without moving any axis, which "
        "mixes the tokens of different heads and sequences. Permute to (seq, batch, heads, "
        "d_head) with .permute(2, 0, 1, 3), then reshape",
        _merge_seq_first_no_transpose,
    ),
    Mistake(
        "interleaved",
        "the features are interleaved (feature j of every head side by side) instead of "
        "concatenated head after head: the last two axes before the reshape must be (heads, "
        "d_head), i.e. permute(2, 0, 1, 3), not permute(2, 0, 3, 1)",
        _merge_seq_first_interleaved,
    ),
    Mistake(
        "reshape_batch",
        "reshaping (batch, seq, d_model) to (seq, batch, d_model) does not swap the axes, it "
        "regroups the numbers in memory order and mixes the sequences of the batch; use "
        ".transpose(0, 1)",
        _merge_seq_first_reshape_batch,
    ),
    Mistake(
        "summed",
        "you summed the heads into one d_head-sized vector: multi-head attention concatenates "
        "them, giving heads * d_head features per token (W^O does the mixing afterwards)",
        _merge_seq_first_sum,
    ),
)


@exercise(
    "merge_heads",
    solution=_merge_seq_first_reference,
    reference="helpers.merge_heads(x).transpose(0, 1)",
    mistakes=MERGE_HEADS_MISTAKES,
    returns="Tensor (seq, batch, heads * d_head)",
    hints=(
        "Write down the target order of the axes, (seq, batch, heads, d_head), before the "
        "last two are flattened into heads * d_head.",
        "x.permute(2, 0, 1, 3) gives (seq, batch, heads, d_head); then .reshape(seq, batch, "
        "heads * d_head) (reshape, not view: the permuted tensor is not contiguous).",
        "batch, heads, seq, d_head = x.shape; return x.permute(2, 0, 1, 3).reshape(seq, batch, "
        "heads * d_head)",
    ),
    diagnosis=Diagnosis(seq_dim=0),
    error_hints=(
        (
            ("view size is not compatible",),
            "after a permute/transpose the tensor is not contiguous: use .reshape(...) instead "
            "of .view(...) (or .contiguous().view(...))",
        ),
    ),
)
def check_merge_heads(t: Tester) -> None:
    """Concatenate the heads into the sequence-first layout: (seq, batch, heads * d_head)."""
    # batch, heads, seq and d_head all differ, so no two axes can be confused.
    for batch, heads, seq, d_head, dtype in (
        (2, 3, 5, 4, torch.float32),
        (3, 2, 7, 6, torch.float32),
        (4, 5, 3, 2, torch.float64),
    ):
        x = t.randn(batch, heads, seq, d_head, dtype=dtype)  # (batch, heads, seq, d_head)
        t.expect((x,), _merge_seq_first_reference(x))


# --------------------------------------------------------------------------- multi_head_attention
# x (batch, seq, d_model), W's (d_model, d_model) in the row convention, mask (batch, seq, seq).


def _mha(
    x,
    W_q,
    W_k,
    W_v,
    W_o,
    num_heads,
    mask,
    *,
    scale="d_head",
    project=True,
    dim=-1,
    split=None,
    merge=None,
    fill=-math.inf,
    empty_rows="zeros",
):
    """Masked multi-head attention (row convention, no bias), one classic mistake switched on."""
    split = split or helpers.split_heads
    merge = merge or helpers.merge_heads
    q, k, v = (split(x @ W, num_heads) for W in (W_q, W_k, W_v))  # (batch, heads, seq, d_head)
    scores = q @ k.transpose(-2, -1)  # (batch, heads, seq, seq)
    if scale == "d_head":
        scores = scores / q.shape[-1] ** 0.5
    elif scale == "d_model":
        scores = scores / x.shape[-1] ** 0.5
    allowed = mask.unsqueeze(1)  # (batch, 1, seq, seq): the same for every head
    weights = torch.softmax(scores.masked_fill(~allowed, fill), dim=dim)
    if empty_rows == "zeros":
        weights = weights.nan_to_num(0.0)  # a query that may attend no key: zeros
    heads = weights @ v  # (batch, heads, seq, d_head)
    merged = merge(heads)  # (batch, seq, d_model)
    return merged @ W_o if project else merged


def _mha_reference(x, W_q, W_k, W_v, W_o, num_heads, mask):
    q, k, v = (helpers.split_heads(x @ W, num_heads) for W in (W_q, W_k, W_v))
    heads = helpers.scaled_dot_product_attention(q, k, v, mask=mask.unsqueeze(1))
    return helpers.merge_heads(heads) @ W_o  # (batch, seq, d_model)


def _mha_scaled(args, scale):
    x, W_q, W_k, W_v, W_o, num_heads, mask = args
    q, k, v = (helpers.split_heads(x @ W, num_heads) for W in (W_q, W_k, W_v))
    heads = helpers.scaled_dot_product_attention(q, k, v, mask=mask.unsqueeze(1), scale=scale)
    return helpers.merge_heads(heads) @ W_o


def _mha_split_without_transpose(x, num_heads):
    *batch, seq, d_model = x.shape
    return x.reshape(*batch, num_heads, seq, d_model // num_heads)


def _merge_without_transpose(x):
    batch, heads, seq, d_head = x.shape
    return x.reshape(batch, seq, heads * d_head)


def _variant(**switches):
    return lambda x, W_q, W_k, W_v, W_o, h, mask: _mha(x, W_q, W_k, W_v, W_o, h, mask, **switches)


MULTI_HEAD_MISTAKES = (
    Mistake(
        "inverted_mask",
        "you used the mask the other way round (True = NOT allowed, nn.MultiheadAttention's "
        "convention): in this course True = may attend, so fill the scores where the mask is "
        "False, scores.masked_fill(~mask, float('-inf'))",
        lambda x, W_q, W_k, W_v, W_o, h, mask: _mha(x, W_q, W_k, W_v, W_o, h, ~mask),
    ),
    Mistake(
        "fill_with_zero",
        "you set the forbidden scores to 0, but a score of 0 still gets weight exp(0) > 0: "
        "fill them with float('-inf') so that their weight is exactly 0",
        _variant(fill=0.0),
    ),
    Mistake(
        "nan_for_empty_rows",
        "a query whose mask row allows no key gets NaN from softmax over only -inf (0/0); the "
        "course's convention is zeros for such a row: e.g. weights.nan_to_num(0.0), or "
        "helpers.scaled_dot_product_attention, which does it for you",
        _variant(empty_rows="nan"),
    ),
    Mistake(
        "W_o_transposed",
        "you multiplied the merged heads by W_o.T: the nn.Linear habit (F.linear(x, W) = "
        "x @ W.T) applied to W_o alone. Here every W is in the row convention, used as given: "
        "merged @ W_o",
        lambda x, W_q, W_k, W_v, W_o, h, mask: _mha(x, W_q, W_k, W_v, W_o.T, h, mask),
    ),
    Mistake(
        "transposed_weights",
        "you multiplied by the transposed weight matrices (x @ W.T, the nn.Linear storage "
        "convention); here rows are tokens and the matrices are used as given: Q = x @ W_q",
        lambda x, W_q, W_k, W_v, W_o, h, mask: _mha(x, W_q.T, W_k.T, W_v.T, W_o.T, h, mask),
    ),
    Mistake(
        "scale_d_model",
        "wrong scale: you divided the scores by sqrt(d_model); each head compares vectors of "
        "size d_head = d_model / num_heads, so divide by sqrt(d_head)",
        _variant(scale="d_model"),
    ),
    Mistake(
        "no_scale",
        "missing scale: divide each head's scores q k^T by sqrt(d_head) before the softmax",
        _variant(scale=None),
    ),
    Mistake(
        "no_output_projection",
        "you forgot the output projection W_o: multiply the concatenated heads by W_o",
        _variant(project=False),
    ),
    Mistake(
        "one_head",
        "you computed a single head over all d_model features: split q, k and v into "
        "num_heads heads (split_heads), attend within each head, then merge the heads",
        lambda x, W_q, W_k, W_v, W_o, h, mask: _mha(
            x, W_q, W_k, W_v, W_o, 1, mask, scale="d_model"
        ),
    ),
    Mistake(
        "split_without_transpose",
        "your split into heads is wrong: reshaping straight to (batch, heads, seq, d_head) "
        "mixes tokens; view as (batch, seq, heads, d_head), then .transpose(1, 2)",
        _variant(split=_mha_split_without_transpose),
    ),
    Mistake(
        "merge_without_transpose",
        "your merge of the heads is wrong: transpose (batch, heads, seq, d_head) to "
        "(batch, seq, heads, d_head) before reshaping to (batch, seq, d_model)",
        _variant(merge=_merge_without_transpose),
    ),
    Mistake(
        "softmax_over_queries",
        "softmax over the wrong axis: each query's weights must sum to 1 over the keys, the "
        "last axis of the (batch, heads, seq, seq) scores (dim=-1)",
        _variant(dim=-2),
    ),
)


def _random_mask(t: Tester, batch: int, seq: int, empty_row: int | None) -> torch.Tensor:
    """A (batch, seq, seq) mask: causal & random, every query keeps itself, except an empty row."""
    keep = t.randn(batch, seq, seq) > -0.3  # about 60 % of the pairs allowed
    mask = keep & helpers.causal_mask(seq)  # (batch, seq, seq)
    mask = mask | torch.eye(seq, dtype=torch.bool)  # every query may attend itself ...
    if empty_row is not None:
        mask[:, empty_row] = False  # ... except this one, which may attend no key at all
    return mask


@exercise(
    "multi_head_attention",
    solution=_mha_reference,
    reference="split_heads -> scaled_dot_product_attention(mask) -> merge_heads -> W_o",
    mistakes=MULTI_HEAD_MISTAKES,
    hints=(
        "Section 3's recipe with one more step before the softmax: the mask is (batch, seq, "
        "seq), the scores (batch, heads, seq, seq). How does one mask reach every head?",
        "mask.unsqueeze(1) is (batch, 1, seq, seq) and broadcasts over the heads; fill the "
        "scores with -inf where it is False, softmax over the keys (dim=-1), and turn the NaN "
        "of a query with no allowed key into zeros (or call helpers.scaled_dot_product_attention "
        "with mask=mask.unsqueeze(1)).",
        "q, k, v = (split_heads(x @ W, num_heads) for W in (W_q, W_k, W_v)); heads = "
        "scaled_dot_product_attention(q, k, v, mask=mask.unsqueeze(1)); return "
        "merge_heads(heads) @ W_o",
    ),
    diagnosis=Diagnosis(
        seq_dim=-2,
        scaled_reference=_mha_scaled,
        scale_dim=lambda args: args[0].shape[-1] // args[5],  # d_head
    ),
    error_hints=(
        (
            ("must match the size of tensor", "not broadcastable", "broadcast"),
            "the mask is (batch, seq, seq) and the scores are (batch, heads, seq, seq): "
            "mask.unsqueeze(1) makes it (batch, 1, seq, seq), the same mask for every head",
        ),
    ),
)
def check_multi_head_attention(t: Tester) -> None:
    """Masked multi-head self-attention (row convention, no biases): (batch, seq, d_model) out."""
    for batch, seq, d_model, num_heads, dtype, empty_row in (
        (2, 5, 12, 3, torch.float32, None),  # d_head = 4
        (3, 6, 8, 4, torch.float32, None),  # d_head = 2
        (4, 7, 10, 2, torch.float64, 3),  # d_head = 5, query 3 may attend no key
    ):
        x = t.randn(batch, seq, d_model, dtype=dtype)  # (batch, seq, d_model)
        W_q, W_k, W_v, W_o = (
            t.randn(d_model, d_model, dtype=dtype) / d_model**0.5 for _ in range(4)
        )
        mask = _random_mask(t, batch, seq, empty_row)  # (batch, seq, seq), True = may attend
        args = (x, W_q, W_k, W_v, W_o, num_heads, mask)
        note = (
            tr("query {query} may attend no key", query=empty_row)
            if empty_row is not None
            else None
        )
        t.expect(args, _mha_reference(*args), note=note)


# --------------------------------------------------------------------------- questions

question(
    "heads_parameters",
    module=__name__,
    hints=(
        "List the matrices of the layer and their shapes for 1 head, then for 12: does any "
        "shape contain the number of heads?",
        "W_q, W_k, W_v and W^O are (d_model, d_model) whatever h is; the heads only read "
        "W_q's columns in h slices of d_head = d_model / h. The attention weights are one "
        "seq × seq matrix per head.",
    ),
)
