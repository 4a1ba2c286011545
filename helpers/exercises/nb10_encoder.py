"""Exercises of notebook 10 (the Transformer encoder block): ``encoder_seq_first`` (PyTorch's
``(seq, batch, d_model)`` layout and padding mask, dropout off in eval mode), ``chunked_attention``
(values *and* peak memory, measured with ``helpers.TensorMemoryTracker``) and the predict
question ``memory_100k``."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

import helpers
from helpers.exercises._registry import Diagnosis, Mistake, Tester, exercise
from helpers.exercises.guidance import question
from helpers.exercises.language import tr

# --------------------------------------------------------------------------- encoder_seq_first
# PyTorch's default layout (batch_first=False): tokens (seq, batch, d_model), a key padding mask
# (batch, seq) with True = padding. The learner runs a batch-first course block on it.

LAYOUT = (
    "x comes in PyTorch's default layout (seq, batch, d_model) (batch_first=False), but the "
    "block expects (batch, seq, d_model): transpose x with x.transpose(0, 1) before the block "
    "(and the output back after it), and give the block a (batch, 1, seq) mask, True = may "
    "attend: ~src_key_padding_mask[:, None, :]"
)
NOT_BACK = (
    "your output is (batch, seq, d_model): the caller uses PyTorch's (seq, batch, d_model) "
    "layout, so transpose the block's output back with .transpose(0, 1)"
)
DROPOUT_IN_EVAL = (
    "your output changes from one call to the next on the same input, although the block is in "
    "eval mode: dropout is applied at inference. F.dropout(h, p) defaults to training=True and "
    "a new nn.Dropout(p) is in training mode; use the block's own block.dropout1 / "
    "block.dropout2 (they follow block.eval()) or pass training=block.training"
)


class _Block(helpers.TransformerEncoderBlock):
    """The checker's block, with a one-line repr for the test-case descriptions."""

    def __repr__(self) -> str:
        attention = self.attention
        return (
            f"TransformerEncoderBlock(d_model={attention.d_model}, num_heads="
            f"{attention.num_heads}, d_ff={self.feed_forward.d_ff}, dropout="
            f"{self.dropout1.p}, norm_first={self.norm_first}, eval mode)"
        )


def encoder_seq_first_reference(x, src_key_padding_mask, block):
    """The batch-first block on (seq, batch, d_model) tokens and torch's padding mask."""
    may_attend = ~src_key_padding_mask[:, None, :]  # (batch, 1, seq), True = may attend
    return block(x.transpose(0, 1), may_attend).transpose(0, 1)  # (seq, batch, d_model)


def _no_transpose(x, src_key_padding_mask, block):
    return block(x, ~src_key_padding_mask[:, None, :])


def _view_not_transpose(x, src_key_padding_mask, block):
    seq, batch, d_model = x.shape
    out = block(x.reshape(batch, seq, d_model), ~src_key_padding_mask[:, None, :])
    return out.reshape(seq, batch, d_model)


def _not_transposed_back(x, src_key_padding_mask, block):
    return block(x.transpose(0, 1), ~src_key_padding_mask[:, None, :])


def _mask_not_inverted(x, src_key_padding_mask, block):
    return block(x.transpose(0, 1), src_key_padding_mask[:, None, :]).transpose(0, 1)


def _dropout_in_eval(x, src_key_padding_mask, block):
    h = x.transpose(0, 1)  # (batch, seq, d_model)
    mask = ~src_key_padding_mask[:, None, :]
    p = block.dropout1.p
    if block.norm_first:
        h = h + F.dropout(block.attention(block.norm1(h), mask), p)
        h = h + F.dropout(block.feed_forward(block.norm2(h)), p)
    else:
        h = block.norm1(h + F.dropout(block.attention(h, mask), p))
        h = block.norm2(h + F.dropout(block.feed_forward(h), p))
    return h.transpose(0, 1)


def _always_post_norm(x, src_key_padding_mask, block):
    h = x.transpose(0, 1)
    h = block.norm1(h + block.attention(h, ~src_key_padding_mask[:, None, :]))
    return block.norm2(h + block.feed_forward(h)).transpose(0, 1)


ENCODER_MISTAKES = (
    Mistake("no_transpose", LAYOUT, _no_transpose),
    Mistake("not_transposed_back", NOT_BACK, _not_transposed_back),
    Mistake(
        "view_not_transpose",
        "reshape/view regroups the numbers in memory order, it does not swap axes: "
        "x.reshape(batch, seq, d_model) mixes tokens of different sequences. Use "
        "x.transpose(0, 1) (and .transpose(0, 1) on the output)",
        _view_not_transpose,
    ),
    Mistake(
        "mask_not_inverted",
        "the padding mask is not inverted: PyTorch's src_key_padding_mask is True at the padding "
        "(positions to ignore), the course's mask is True where a query may attend; pass "
        "~src_key_padding_mask[:, None, :]",
        _mask_not_inverted,
    ),
    Mistake("dropout_in_eval", DROPOUT_IN_EVAL, _dropout_in_eval),
    Mistake(
        "always_post_norm",
        "your block is always post-norm: with block.norm_first True (pre-norm) it is "
        "h = x + attention(norm1(x)), out = h + feed_forward(norm2(h))",
        _always_post_norm,
    ),
)


def _make_block(d_model: int, num_heads: int, d_ff: int, norm_first: bool, seed: int) -> _Block:
    torch.manual_seed(seed)  # inside check(): the learner's global random state is restored
    block = _Block(d_model, num_heads, d_ff, dropout=0.3, norm_first=norm_first)
    with torch.no_grad():  # gains and biases away from 1 and 0, so that each one matters
        for name, parameter in block.named_parameters():
            if "norm" in name or "bias" in name:
                parameter.normal_(1.0 if "norm" in name and "weight" in name else 0.0, 0.3)
    return block.eval()


@exercise(
    "encoder_seq_first",
    solution=lambda x, src_key_padding_mask, block: encoder_seq_first_reference(
        x, src_key_padding_mask, block
    ),
    reference="nn.TransformerEncoderLayer(batch_first=False) with the block's weights",
    mistakes=ENCODER_MISTAKES,
    returns="Tensor (seq, batch, d_model)",
    hints=(
        "Two conventions differ between PyTorch's default and the course's block: the layout "
        "(seq, batch, d_model) vs (batch, seq, d_model), and the mask (True = padding vs "
        "True = may attend, shape (batch, 1, seq)). Convert both on the way in, and the layout "
        "on the way out.",
        "h = x.transpose(0, 1) is (batch, seq, d_model); mask = ~src_key_padding_mask[:, None, :] "
        "is (batch, 1, seq). Then either block(h, mask), or section 3's by-hand forward with "
        "block.attention, block.feed_forward, block.norm1, block.norm2 — no F.dropout.",
        "return block(x.transpose(0, 1), ~src_key_padding_mask[:, None, :]).transpose(0, 1)",
    ),
    diagnosis=Diagnosis(seq_dim=0),
    error_hints=((("is not broadcastable to (batch, seq, seq)", "must be d_model"), LAYOUT),),
)
def check_encoder_seq_first(t: Tester) -> None:
    """A batch-first encoder block run on (seq, batch, d_model) tokens and torch's padding mask."""
    for seq, batch, d_model, num_heads, norm_first, lengths in (
        (5, 3, 8, 2, False, (5, 3, 2)),
        (4, 4, 6, 2, True, (4, 1, 3, 2)),
        (6, 2, 8, 4, False, (6, 4)),
        (3, 5, 4, 1, True, (3, 2, 3, 1, 2)),
    ):
        block = _make_block(d_model, num_heads, 2 * d_model, norm_first, seed=seq * 10 + batch)
        x = t.randn(seq, batch, d_model)  # (seq, batch, d_model): PyTorch's default layout
        padding = torch.arange(seq)[None, :] >= torch.tensor(lengths)[:, None]  # (batch, seq)
        args = (x, padding, block)
        with torch.no_grad():
            expected = encoder_seq_first_reference(x, padding, block)
        got = t.call(*args)
        if t.cases_passed < 2 and not torch.equal(got, t.call(*args)):  # post- and pre-norm
            t.fail(tr(DROPOUT_IN_EVAL), args)  # registered mistake messages: in the catalogue
        if got.shape == (batch, seq, d_model) and batch != seq:
            t.fail(tr(NOT_BACK), args)
        t.expect(args, expected, rtol=1e-4, atol=1e-5)


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


def _full_scores(q, k, v, chunk_size):
    """The online softmax over chunks of a score matrix that was built whole: right values."""
    scores = q @ k.T / math.sqrt(q.shape[-1])  # (L, S): what the exercise must avoid
    m = torch.full((q.shape[0], 1), -math.inf, dtype=q.dtype)
    total = torch.zeros(q.shape[0], 1, dtype=q.dtype)
    acc = torch.zeros(q.shape[0], v.shape[-1], dtype=q.dtype)
    for start in range(0, k.shape[0], chunk_size):
        block = scores[:, start : start + chunk_size]
        m_new = torch.maximum(m, block.amax(dim=-1, keepdim=True))
        weights = torch.exp(block - m_new)
        total = total * torch.exp(m - m_new) + weights.sum(dim=-1, keepdim=True)
        acc = acc * torch.exp(m - m_new) + weights @ v[start : start + chunk_size]
        m = m_new
    return acc / total


FULL_MATRIX = (
    "the values are right, but your function holds a tensor as large as the whole (L, S) score "
    "matrix at once — the memory grows like L × S, which is what chunked attention avoids. "
    "Compute the scores of one chunk at a time, q @ k[start:stop].T, and keep only the running "
    "m, l and acc between chunks"
)


def _grows_with_s() -> str:
    return tr(
        "the values are right, but your peak memory grows with the number of keys S (16x more "
        "keys for the same L and chunk_size made it grow by more than 1.5x): you keep something "
        "per chunk (a list of chunk results, a torch.cat / torch.stack at the end). Keep only "
        "the running m (L, 1), l (L, 1) and acc (L, d_v), each new value replacing the old one"
    )


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
    Mistake("full_scores", FULL_MATRIX, _full_scores),
)


def _peak_bytes(t: Tester, args) -> int:
    """The peak memory of the tensors the learner's function creates (TensorMemoryTracker),
    measured inside the thread that runs it (torch function modes are per thread)."""
    peaks: list[int] = []
    learner = t._fn

    def tracked(*call_args):
        with helpers.TensorMemoryTracker() as memory:
            output = learner(*call_args)
        peaks.append(memory.peak_bytes)
        return output

    t._fn = tracked
    try:
        t.call(*args, note=tr("measuring the peak memory"))
    finally:
        t._fn = learner
    return peaks[0]


def _check_memory(t: Tester) -> None:
    """Fail when the peak memory grows like L x S (the (L, S) scores built whole) or grows with
    S at all (per-chunk results kept): compare the peaks at S = 64 and S = 1024 keys."""
    n_queries, d, d_v, chunk_size = 8, 4, 4, 32
    small, large = 64, 1024
    peaks = []
    for n_keys in (small, large):
        q, k, v = t.randn(n_queries, d), t.randn(n_keys, d), t.randn(n_keys, d_v)
        args = (q, k, v, chunk_size)
        peaks.append(_peak_bytes(t, args))
    one_matrix = n_queries * large * q.element_size()  # one (L, S) float32 matrix
    note = tr(
        "peak memory of the tensors your function creates: {small_peak:.1f} KiB with S = {small} "
        "keys, {large_peak:.1f} KiB with S = {large}; one (L, S) matrix is {matrix:.0f} KiB",
        small_peak=peaks[0] / 1024,
        small=small,
        large_peak=peaks[1] / 1024,
        large=large,
        matrix=one_matrix / 1024,
    )
    if peaks[1] >= one_matrix / 2:
        t.fail(tr(FULL_MATRIX), args, note)  # a registered mistake message: in the catalogue
    if peaks[1] > 1.5 * peaks[0] + 512:
        t.fail(_grows_with_s(), args, note)
    t.cases_passed += 1  # the memory case


@exercise(
    "chunked_attention",
    solution=lambda q, k, v, chunk_size: helpers.chunked_attention(q, k, v, chunk_size),
    reference="helpers.chunked_attention",
    mistakes=CHUNKED_MISTAKES,
    hints=(
        "Follow section 6's merge of two blocks, but merge each new chunk into a running "
        "summary: m (L, 1) = -inf, l (L, 1) = 0, acc (L, d_v) = 0 before the loop over "
        "range(0, S, chunk_size). Never compute q @ k.T for all keys: the checker measures "
        "your memory.",
        "For each chunk: s = q @ k_c.T / sqrt(d) (L, chunk); m_new = max(m, s.amax(-1, "
        "keepdim=True)); c = exp(m - m_new) rescales the old l and acc; p = exp(s - m_new); "
        "l = l * c + p.sum(-1, keepdim=True); acc = acc * c + p @ v_c; m = m_new. Return acc / l.",
        "Exactly the loop of the last hint, with k_c = k[start:start + chunk_size] and v_c = "
        "v[start:start + chunk_size]; create m, l and acc with dtype=q.dtype. exp(-inf - x) = 0 "
        "makes the first chunk work without a special case.",
    ),
    diagnosis=Diagnosis(
        scaled_reference=lambda args, scale: helpers.scaled_dot_product_attention(
            args[0], args[1], args[2], scale=scale
        ),
        scale_dim=lambda args: args[0].shape[-1],
    ),
)
def check_chunked_attention(t: Tester) -> None:
    """Attention computed chunk by chunk of keys with an online softmax; q (L, d), k (S, d)."""
    for n_queries, n_keys, d, d_v, chunk_size, large, note in (
        (4, 6, 3, 5, 2, False, None),
        (5, 7, 4, 3, 3, False, tr("S is not a multiple of chunk_size")),
        (3, 5, 2, 4, 1, False, None),
        (6, 4, 3, 2, 8, False, tr("one chunk holds every key")),
        (4, 6, 3, 5, 2, True, tr("large scores (q x 100)")),
    ):
        q = t.randn(n_queries, d) * 2
        if large:
            q = q * 100
        k, v = t.randn(n_keys, d), t.randn(n_keys, d_v)
        expected = helpers.scaled_dot_product_attention(q, k, v)
        t.expect((q, k, v, chunk_size), expected, note=note)
    _check_memory(t)


# --------------------------------------------------------------------------- the question

question(
    "memory_100k",
    module=__name__,
    hints=(
        "One head's scores are an L × L matrix of float32 numbers, 4 bytes each; a layer has 16 "
        "heads. For (b), a chunk's scores are L × chunk_size per head.",
        "(a) 10⁵ × 10⁵ × 4 B = 40 GB per head, times 16. (b) 10⁵ × 1 024 × 4 B ≈ 0.41 GB per "
        "head, times 16. (c) Multiply (a) by the three L×L matrices measured in section 6.",
    ),
)
