"""Exercises of notebook 05 (truncated self-attention for audio): ``local_mask``."""

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
    signature="fn(L, left, right) -> bool Tensor (L, L)",
    notebook="05",
    reference="helpers.local_mask",
    mistakes=LOCAL_MASK_MISTAKES,
)
def check_local_mask(t: Tester) -> None:
    """The (L, L) bool mask of truncated attention: query i sees keys i - left ... i + right."""
    # left != right everywhere, so a transposed mask cannot pass.
    for length, left, right in ((7, 2, 0), (8, 1, 3), (6, 0, 2), (9, 3, 1)):
        t.expect((length, left, right), helpers.local_mask(length, left, right))
