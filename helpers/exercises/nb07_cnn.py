"""Exercises of notebook 07 (CNN is self-attention with a fixed receptive field).

``conv_head_attention``: the learner writes the attention weights of one head of the Cordonnier
et al. construction: queries are the pixels of an ``height x width`` image, keys the pixels of
the same image zero-padded by ``padding``, and the weights are
``softmax_keys(-alpha * |delta - center|^2)`` with ``delta = key - query`` (row, column).

The explain/predict questions of the lesson: ``no_padding_keys`` and ``why_k2_heads``.
"""

from __future__ import annotations

import torch

import helpers
from helpers.exercises._registry import Diagnosis, Mistake, Tester, exercise
from helpers.exercises.guidance import question


def head_attention_reference(center, height, width, padding, alpha):
    """``(H * W, (H + 2p)(W + 2p))`` weights of the head with offset ``center``, via helpers."""
    kernel_size = 2 * padding + 1
    layer = helpers.ConvAsSelfAttention(1, 1, kernel_size, alpha=alpha).double()
    head = (center[0] + padding) * kernel_size + (center[1] + padding)
    return layer.position_weights(height, width)[head].float()


def _variant(
    center,
    height,
    width,
    padding,
    alpha,
    sign=-1.0,
    direction=1,
    swap=False,
    pad=True,
    dim=-1,
    power=2,
    use_center=True,
    shift_queries=True,
):
    """The weights with one ingredient changed (each Mistake below changes one)."""
    p = padding if pad else 0
    offsets = helpers.relative_offsets(height, width, p).double() * direction  # (L, S, 2)
    if not shift_queries:
        offsets = offsets + p  # queries left in image coordinates, keys in padded ones
    target = torch.tensor(center[::-1] if swap else center, dtype=torch.float64)
    if not use_center:
        target = torch.zeros(2, dtype=torch.float64)
    distance = (offsets - target).norm(dim=-1)  # (L, S)
    return torch.softmax(sign * alpha * distance**power, dim=dim).float()


def _plus_sign(center, height, width, padding, alpha):
    return _variant(center, height, width, padding, alpha, sign=1.0)


def _query_minus_key(center, height, width, padding, alpha):
    return _variant(center, height, width, padding, alpha, direction=-1)


def _row_col_swapped(center, height, width, padding, alpha):
    return _variant(center, height, width, padding, alpha, swap=True)


def _no_padding(center, height, width, padding, alpha):
    return _variant(center, height, width, padding, alpha, pad=False)


def _softmax_over_queries(center, height, width, padding, alpha):
    return _variant(center, height, width, padding, alpha, dim=0)


def _no_alpha(center, height, width, padding, alpha):
    return _variant(center, height, width, padding, 1.0)


def _distance_not_squared(center, height, width, padding, alpha):
    return _variant(center, height, width, padding, alpha, power=1)


def _center_ignored(center, height, width, padding, alpha):
    return _variant(center, height, width, padding, alpha, use_center=False)


def _queries_not_shifted(center, height, width, padding, alpha):
    return _variant(center, height, width, padding, alpha, shift_queries=False)


def _transposed(center, height, width, padding, alpha):
    return _variant(center, height, width, padding, alpha).T


HEAD_ATTENTION_MISTAKES = (
    Mistake(
        "no_padding",
        "your keys are the pixels of the image itself; they must be the pixels of the image "
        "zero-padded by `padding` on every side ((height + 2p) * (width + 2p) keys), so that a "
        "border query can attend to padding, as the convolution's zero padding does",
        _no_padding,
    ),
    Mistake(
        "transposed",
        "your weights are transposed: rows must be the queries (height * width) and columns "
        "the keys of the padded grid; softmax over the keys, the last axis",
        _transposed,
    ),
    Mistake(
        "plus_sign",
        "the minus sign is missing: the score is -alpha * |delta - center|^2, so the closest key "
        "gets the largest score; with +alpha the head looks at the farthest pixel",
        _plus_sign,
    ),
    Mistake(
        "softmax_over_queries",
        "you normalised over the wrong axis (the queries): each query's weights over the keys "
        "must sum to 1, so take the softmax along the last axis (dim=-1)",
        _softmax_over_queries,
    ),
    Mistake(
        "center_ignored",
        "your head looks at the query pixel itself: subtract the head's offset `center` from "
        "delta, the score is -alpha * |delta - center|^2",
        _center_ignored,
    ),
    Mistake(
        "query_minus_key",
        "your offsets point the wrong direction: delta = key position - query position (not "
        "query - key), so the head looks at query + center, not query - center",
        _query_minus_key,
    ),
    Mistake(
        "row_col_swapped",
        "row and column are swapped: center = (row offset, column offset), and keys and "
        "queries are numbered row by row (index = row * width + column)",
        _row_col_swapped,
    ),
    Mistake(
        "no_alpha",
        "alpha is missing: multiply the squared distance by alpha (large alpha makes the "
        "softmax one-hot)",
        _no_alpha,
    ),
    Mistake(
        "distance_not_squared",
        "the distance must be squared: score = -alpha * |delta - center|^2 (the quadratic "
        "encoding), not -alpha * |delta - center|",
        _distance_not_squared,
    ),
    Mistake(
        "queries_not_shifted",
        "your query positions are in image coordinates but the keys in padded ones: on the "
        "padded grid, pixel (i, j) of the image sits at (i + padding, j + padding); add "
        "`padding` to the query positions before taking delta = key - query",
        _queries_not_shifted,
    ),
)


@exercise(
    "conv_head_attention",
    solution=head_attention_reference,
    reference="helpers.ConvAsSelfAttention(...).position_weights",
    mistakes=HEAD_ATTENTION_MISTAKES,
    hints=(
        "Number the pixels row by row: query (i, j) of the image and key (r, c) of the padded "
        "grid. Put both on the padded grid (the query is at (i + padding, j + padding)), then "
        "delta = key - query, a (L, S, 2) tensor by broadcasting.",
        "torch.meshgrid(torch.arange(height), torch.arange(width), indexing='ij') gives the "
        "query rows and columns; stack and flatten them to (L, 2); the same for the padded grid "
        "(S, 2); delta = keys[None, :, :] - queries[:, None, :].",
        "squared = ((delta - torch.tensor(center)) ** 2).sum(-1) is (L, S); return "
        "torch.softmax(-alpha * squared, dim=-1), one row per query, summing to 1 over the keys.",
    ),
    diagnosis=Diagnosis(seq_dim=-2, weights=True),
    error_hints=(
        (
            ("must match the size of tensor",),
            "delta needs one axis for the queries and one for the keys: "
            "keys[None, :, :] - queries[:, None, :] broadcasts (1, S, 2) - (L, 1, 2) to "
            "(L, S, 2); the test images are non-square, so L and S always differ",
        ),
        (
            ("and 'tuple'", "must be Number", "not tuple"),
            "center is a tuple (row offset, column offset): turn it into a tensor with "
            "torch.tensor(center, dtype=torch.float32) before subtracting it",
        ),
    ),
)
def check_conv_head_attention(t: Tester) -> None:
    """One head's weights softmax_keys(-alpha |delta - center|^2) over the zero-padded grid."""
    for center, height, width, padding, alpha in (
        ((0, 0), 3, 4, 1, 2.0),  # the centre head: looks at the query pixel itself
        ((1, 0), 4, 3, 1, 0.5),  # soft weights, one row down
        ((-2, 1), 5, 6, 2, 1.5),  # two rows up, one column right, padding 2
        ((1, -2), 3, 5, 2, 40.0),  # sharp: one-hot, as in the construction
    ):
        args = (center, height, width, padding, alpha)
        expected = head_attention_reference(*args)
        t.expect(args, expected, any_float_dtype=True)


# --------------------------------------------------------------------------- questions

question(
    "no_padding_keys",
    module=__name__,
    hints=(
        "For a large alpha, a softmax of -alpha * |delta - center|^2 over the allowed keys puts "
        "its weight on the allowed key closest to the target query + center. Which pixel of the "
        "image is closest to a target just outside it?",
        "Closest pixel inside = the target with its row and column clamped to the image. A "
        "convolution that reads the clamped border pixel instead of a zero pads the image how?",
        "It repeats the border pixels outwards: nn.Conv2d(..., padding_mode='replicate'). "
        "Equal to the zero-padded convolution in the interior, different on the border.",
    ),
)

question(
    "why_k2_heads",
    module=__name__,
    hints=(
        "A head with position-only attention outputs sum over delta of a_delta * x_(q+delta) "
        "W_v: one value projection for every offset, weights a_delta >= 0 summing to 1. What "
        "kernel does that implement, and can its entries have different signs?",
        "With one channel W_v is a number, so one head's kernel has one sign; Sobel has both. "
        "Now allow two heads, with W_v = +4 and W_v = -4: can each attend to one column?",
        "Every kernel slice W[:, :, delta] is a combination of the heads' matrices, so the "
        "number of heads must be at least the dimension the K² slices span: K² only when "
        "C_in * C_out >= K². With one channel two heads (positive and negative part) suffice.",
    ),
)
