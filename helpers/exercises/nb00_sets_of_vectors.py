"""Exercises of notebook 00 (the input is a set of vectors): ``window_features``."""

from __future__ import annotations

import torch

from helpers.exercises._registry import Mistake, Tester, exercise


def window_features_reference(x: torch.Tensor, h: int) -> torch.Tensor:
    """(seq, d) -> (seq, (2h+1)*d): row t is x[t-h], ..., x[t+h] concatenated, zeros off the ends.

    Concatenation is position-major: the first ``d`` numbers of a row are ``x[t-h]``.
    """
    padded = torch.nn.functional.pad(x, (0, 0, h, h))  # (seq + 2h, d)
    return torch.cat([padded[offset : offset + len(x)] for offset in range(2 * h + 1)], dim=1)


def _feature_major(x: torch.Tensor, h: int) -> torch.Tensor:
    """Same numbers, interleaved by feature instead of by position."""
    padded = torch.nn.functional.pad(x, (0, 0, h, h))
    windows = padded.unfold(0, 2 * h + 1, 1)  # (seq, d, 2h+1)
    return windows.flatten(1)


def _reversed_window(x: torch.Tensor, h: int) -> torch.Tensor:
    padded = torch.nn.functional.pad(x, (0, 0, h, h))
    return torch.cat([padded[o : o + len(x)] for o in reversed(range(2 * h + 1))], dim=1)


def _wrap_around(x: torch.Tensor, h: int) -> torch.Tensor:
    return torch.cat([torch.roll(x, shifts=h - o, dims=0) for o in range(2 * h + 1)], dim=1)


def _only_left(x: torch.Tensor, h: int) -> torch.Tensor:
    padded = torch.nn.functional.pad(x, (0, 0, 2 * h, 0))
    return torch.cat([padded[o : o + len(x)] for o in range(2 * h + 1)], dim=1)


WINDOW_MISTAKES = (
    Mistake(
        "feature_major",
        "the numbers are right but in the wrong order: concatenate whole vectors, "
        "x[t-h] first, then x[t-h+1], ..., x[t+h] (position-major), not feature by feature. "
        "`Tensor.unfold` puts the window last: transpose it before flattening",
        _feature_major,
    ),
    Mistake(
        "reversed",
        "your window runs backwards: start with the left neighbour x[t-h] and end with x[t+h]",
        _reversed_window,
    ),
    Mistake(
        "wrap_around",
        "your window wraps around the ends (torch.roll): positions before the start or after "
        "the end must be zero padding, not the other end of the sequence",
        _wrap_around,
    ),
    Mistake(
        "only_left",
        "your window is not centred: it covers x[t-2h] ... x[t]; use h neighbours on each side",
        _only_left,
    ),
)


@exercise(
    "window_features",
    solution=window_features_reference,
    reference="the zero-padded window x[t-h], ..., x[t+h]",
    mistakes=WINDOW_MISTAKES,
)
def check_window_features(t: Tester) -> None:
    """Each position's vector with its h neighbours on both sides, concatenated."""
    for seq, d, h in ((5, 3, 1), (7, 2, 2), (4, 3, 0), (3, 2, 3)):
        x = t.randn(seq, d)
        t.expect((x, h), window_features_reference(x, h))
