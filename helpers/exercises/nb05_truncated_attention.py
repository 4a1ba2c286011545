"""Exercises of notebook 05 (truncated self-attention): ``local_mask``, ``receptive_field``."""

from __future__ import annotations

import itertools

import torch

import helpers
from helpers.exercises._registry import Mistake, Tester, exercise


def _window(length: int, left: int, right: int) -> torch.Tensor:
    """(L, L) bool: True where i - left <= j <= i + right (row i = query, column j = key)."""
    i = torch.arange(length).unsqueeze(1)  # (L, 1) queries
    j = torch.arange(length).unsqueeze(0)  # (1, L) keys
    return (j >= i - left) & (j <= i + right)


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
)
def check_local_mask(t: Tester) -> None:
    """The (L, L) bool mask of truncated attention: query i sees keys i - left ... i + right."""
    # left != right everywhere, so a transposed mask cannot pass.
    for length, left, right in ((7, 2, 0), (8, 1, 3), (6, 0, 2), (9, 3, 1)):
        t.expect((length, left, right), helpers.local_mask(length, left, right))


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
)
def check_receptive_field(t: Tester) -> None:
    """Which input frames can change output frame i after n stacked local-attention layers."""
    # left != right everywhere (a transpose cannot pass); n >= 3 in the first case separates
    # n - 1, n + 1 and doubling layers; the last case saturates at the sequence ends.
    for length, left, right, n_layers in ((20, 1, 2, 4), (16, 2, 0, 3), (9, 0, 1, 1), (8, 2, 1, 5)):
        expected = measured_receptive_field(length, left, right, n_layers)
        t.expect((length, left, right, n_layers), expected)
