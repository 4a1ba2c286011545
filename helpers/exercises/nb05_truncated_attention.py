"""Exercises of notebook 05 (truncated self-attention): ``local_mask``, ``receptive_field`` (code),
and the hints of the questions ``lookahead_latency`` and ``full_attention_gaps``.

Both code exercises return a band of True entries. When a wrong answer is a band of another
width, and no registered mistake names it, the checker measures the band and says how far it
reaches on each side (:func:`_band_extent`).
"""

from __future__ import annotations

import itertools

import torch

import helpers
from helpers.exercises._registry import Mistake, Tester, _Failure, exercise
from helpers.exercises.guidance import question
from helpers.exercises.language import tr


def _window(length: int, left: int, right: int) -> torch.Tensor:
    """(L, L) bool: True where i - left <= j <= i + right (row i = query, column j = key)."""
    i = torch.arange(length).unsqueeze(1)  # (L, 1) queries
    j = torch.arange(length).unsqueeze(0)  # (1, L) keys
    return (j >= i - left) & (j <= i + right)


def _negative_start(length: int, left: int, right: int) -> torch.Tensor:
    """The loop with an unclipped slice start (Python wraps negative indices around)."""
    mask = torch.zeros(length, length, dtype=torch.bool)
    for i in range(length):
        mask[i, i - left : i + right + 1] = True
    return mask


def _off_by_one(d_left: int, d_right: int) -> Mistake:
    """The window with ``left + d_left`` and ``right + d_right``: one key too few or many."""
    sides = [
        f"one key too {'narrow' if delta < 0 else 'wide'} on the {side}"
        for side, delta in (("left", d_left), ("right", d_right))
        if delta
    ]
    return Mistake(
        f"off_by_one_left{d_left:+d}_right{d_right:+d}",
        f"off by one: your window is {' and '.join(sides)}. Query i attends keys j with "
        f"i - left <= j <= i + right, both ends included (in a range() that is "
        f"range(i - left, i + right + 1))",
        lambda length, left, right: _window(length, left + d_left, right + d_right),
    )


def _band_extent(mask: torch.Tensor) -> tuple[int, int] | None:
    """``(back, ahead)`` if the bool ``(L, L)`` ``mask`` is the band ``i - back <= j <= i + ahead``
    (clipped at the ends), else None."""
    if mask.dtype != torch.bool or mask.ndim != 2 or mask.shape[0] != mask.shape[1]:
        return None
    length = mask.shape[0]
    for back in range(length):
        for ahead in range(length):
            if torch.equal(mask, _window(length, back, ahead)):
                return back, ahead
    return None


def _band_message(what: str, extent: tuple[int, int], want: tuple[int, int]) -> str:
    """How far the learner's band reaches; ``what`` is ``"mask"`` or ``"receptive field"``."""
    values = {"back": extent[0], "ahead": extent[1], "want_back": want[0], "want_ahead": want[1]}
    if what == "mask":
        return tr(
            "your mask is a band that reaches {back} position(s) back (j < i) and {ahead} ahead "
            "(j > i); it should reach {want_back} back and {want_ahead} ahead",
            **values,
        )
    return tr(
        "your receptive field is a band that reaches {back} position(s) back (j < i) and "
        "{ahead} ahead (j > i); it should reach {want_back} back and {want_ahead} ahead",
        **values,
    )


def _expect_band(t: Tester, args: tuple, expected: torch.Tensor, what: str) -> None:
    """``t.expect``; when only the generic "wrong values" comes, say how wide the band is."""
    try:
        t.expect(args, expected)
    except _Failure as failure:
        if failure.kind != "values":
            raise
        extent = _band_extent(t.call(*args))
        want = _band_extent(expected)
        if extent is None or want is None:
            raise
        t.fail(_band_message(what, extent, want), args)


LOCAL_MASK_MISTAKES = (
    Mistake(
        "swapped",
        "left and right are swapped (equivalently, your mask is transposed): mask[i, j] is "
        "about query i (row) and key j (column), True where i - left <= j <= i + right",
        lambda length, left, right: _window(length, right, left),
    ),
    Mistake(
        "inverted",
        "your mask is inverted: True must mean 'may attend', i.e. inside the window",
        lambda length, left, right: ~_window(length, left, right),
    ),
    Mistake(
        "not_bool",
        "the mask must be a bool tensor (True = may attend): your values are right but the "
        "dtype is not torch.bool. Comparisons such as j >= i - left already give bool tensors; "
        "otherwise call .bool()",
        lambda length, left, right: _window(length, left, right).long(),
    ),
    Mistake(
        "negative_start",
        "wrong at the first queries: a slice `mask[i, i - left : i + right + 1]` with a negative "
        "start counts from the END of the row in Python, so the first rows come out empty or "
        "wrong. Clip the start: `mask[i, max(0, i - left) : i + right + 1]`",
        lambda length, left, right: _negative_start(length, left, right),
    ),
    Mistake(
        "symmetric_left",
        "your window is symmetric (|i - j| <= left): left and right are two different numbers, "
        "query i sees left keys before it and right keys after it: i - left <= j <= i + right",
        lambda length, left, right: _window(length, left, left),
    ),
    Mistake(
        "symmetric_right",
        "your window is symmetric (|i - j| <= right): left and right are two different numbers, "
        "query i sees left keys before it and right keys after it: i - left <= j <= i + right",
        lambda length, left, right: _window(length, right, right),
    ),
    *(
        _off_by_one(d_left, d_right)
        for d_left, d_right in itertools.product((-1, 0, 1), repeat=2)
        if (d_left, d_right) != (0, 0)
    ),
)


@exercise(
    "local_mask",
    solution=lambda L, left, right: helpers.local_mask(L, left, right),
    returns="bool Tensor (L, L)",
    reference="helpers.local_mask",
    mistakes=LOCAL_MASK_MISTAKES,
    hints=(
        "Make two index tensors that broadcast: the query index i as a column, shape (L, 1), "
        "and the key index j as a row, shape (1, L). A comparison of the two is an (L, L) bool "
        "tensor.",
        "Query i may attend key j when j >= i - left AND j <= i + right: combine the two "
        "comparisons with `&`. Both ends are included; nothing needs clipping, a comparison "
        "is simply False outside the sequence.",
        "i = torch.arange(L).unsqueeze(1); j = torch.arange(L).unsqueeze(0); "
        "return (j >= i - left) & (j <= i + right)",
    ),
)
def check_local_mask(t: Tester) -> None:
    """The (L, L) bool mask of truncated attention: query i sees keys i - left ... i + right."""
    # left != right everywhere, so a transposed mask cannot pass; the last case has a window
    # wider than the sequence (every entry of the first rows allowed).
    for length, left, right in ((7, 2, 0), (8, 1, 3), (6, 0, 2), (9, 3, 1), (5, 6, 2)):
        _expect_band(t, (length, left, right), helpers.local_mask(length, left, right), "mask")


# --------------------------------------------------------------------------- receptive_field
# How far information travels through n stacked local-attention layers. The reference is
# *measured*: the non-zero pattern of the Jacobian of n random local-attention layers.


def measured_receptive_field(length: int, left: int, right: int, n_layers: int) -> torch.Tensor:
    """(L, L) bool: True where output frame i of ``n_layers`` stacked local-attention layers
    changes when input frame j changes (a non-zero block of the Jacobian d out_i / d x_j).

    Each layer is ``x + local_attention(x W_q, x W_k, x W_v, left, right)`` with small random
    weights (so that no softmax saturates), in float64 so that no attention weight or
    derivative underflows to an exact zero.
    """
    generator = torch.Generator().manual_seed(0)
    d = 3
    weights = [
        [0.3 * torch.randn(d, d, generator=generator, dtype=torch.float64) for _ in range(3)]
        for _ in range(n_layers)
    ]

    def network(x: torch.Tensor) -> torch.Tensor:
        for W_q, W_k, W_v in weights:
            x = x + helpers.local_attention(x @ W_q, x @ W_k, x @ W_v, left, right)
        return x

    x = torch.randn(length, d, generator=generator, dtype=torch.float64)
    jacobian = torch.autograd.functional.jacobian(network, x)  # (L, d, L, d)
    return jacobian.abs().sum(dim=(1, 3)) > 0  # (L, L): output frame i, input frame j


def _band(length: int, left: int, right: int) -> torch.Tensor:
    """(L, L) bool: True where i - left <= j <= i + right (clipped at the sequence ends)."""
    i = torch.arange(length).unsqueeze(1)
    j = torch.arange(length).unsqueeze(0)
    return (j >= i - left) & (j <= i + right)


RECEPTIVE_FIELD_MISTAKES = (
    Mistake(
        "one_layer",
        "this is the window of a single layer: stacking layers lets information hop from window "
        "to window, so after n layers frame i sees i - n*left ... i + n*right",
        lambda length, left, right, n_layers: _band(length, left, right),
    ),
    Mistake(
        "one_layer_too_few",
        "off by one layer: your field is that of n - 1 layers. Each of the n layers widens it by "
        "left frames to the left and right frames to the right (one layer: exactly local_mask)",
        lambda length, left, right, n_layers: _band(
            length, (n_layers - 1) * left, (n_layers - 1) * right
        ),
    ),
    Mistake(
        "one_layer_too_many",
        "off by one layer: your field is that of n + 1 layers. One layer sees exactly its "
        "window (local_mask(L, left, right)); each further layer adds left and right frames",
        lambda length, left, right, n_layers: _band(
            length, (n_layers + 1) * left, (n_layers + 1) * right
        ),
    ),
    Mistake(
        "doubling",
        "your field doubles with every layer (like dilated convolutions); with the same window "
        "in every layer it grows linearly: n*left frames back and n*right frames ahead",
        lambda length, left, right, n_layers: _band(
            length, left * 2 ** (n_layers - 1), right * 2 ** (n_layers - 1)
        ),
    ),
    Mistake(
        "swapped",
        "left and right are swapped (equivalently, your mask is transposed): row i is the output "
        "frame, column j the input frame; it sees n*left frames back (j < i), n*right ahead",
        lambda length, left, right, n_layers: _band(length, n_layers * right, n_layers * left),
    ),
    Mistake(
        "not_bool",
        "the values are right but the result must be a bool tensor (True = output i depends on "
        "input j); compare, or call .bool()",
        lambda length, left, right, n_layers: _band(
            length, n_layers * left, n_layers * right
        ).long(),
    ),
)


@exercise(
    "receptive_field",
    solution=lambda L, left, right, n_layers: measured_receptive_field(L, left, right, n_layers),
    returns="bool Tensor (L, L)",
    reference="the measured Jacobian pattern of stacked local-attention layers",
    mistakes=RECEPTIVE_FIELD_MISTAKES,
    hints=(
        "Start from one layer: output frame i depends on input frames i - left ... i + right "
        "(that is exactly local_mask). With two layers, frame i reads frames i - left ... "
        "i + right of layer 1, and each of those read their own window of the input.",
        "Every layer widens the field by left frames on the left and right frames on the "
        "right, so after n layers it is the band i - n*left <= j <= i + n*right (clipped at "
        "the ends). Row = output frame i, column = input frame j.",
        "i = torch.arange(L).unsqueeze(1); j = torch.arange(L).unsqueeze(0); "
        "return (j >= i - n_layers * left) & (j <= i + n_layers * right)",
    ),
)
def check_receptive_field(t: Tester) -> None:
    """Which input frames can change output frame i after n stacked local-attention layers."""
    # left != right everywhere (a transpose cannot pass); n >= 3 in the first case separates
    # n - 1, n + 1 and doubling layers; the last case saturates at the sequence ends.
    for length, left, right, n_layers in ((20, 1, 2, 4), (16, 2, 0, 3), (9, 0, 1, 1), (8, 2, 1, 5)):
        expected = measured_receptive_field(length, left, right, n_layers)
        _expect_band(t, (length, left, right, n_layers), expected, "receptive field")


# --------------------------------------------------------------------------- questions

question(
    "lookahead_latency",
    module=__name__,
    hints=(
        "Use your receptive_field from exercise 2: after n layers a frame sees n*left frames "
        "back and n*right ahead. Then convert frames to time: one frame every 10 ms.",
        "(a) 12 × 32 frames of the past, (b) 12 × 2 frames of the future: that audio must have "
        "arrived before the top layer can label the frame. (c) What is 12 × 0?",
    ),
)
question(
    "full_attention_gaps",
    module=__name__,
    hints=(
        "Which frames of a *beeps* segment look like silence on their own? Compare the "
        "spectrum of a frame between two beeps with that of a frame of a silence segment.",
        "In one full-attention layer without positions, a frame's context depends only on its "
        "own vector (its query) and on the set of all keys and values of the recording. Two "
        "frames with the same vector get the same context, wherever they are.",
    ),
)
