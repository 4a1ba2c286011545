"""Diagnoses derived from the reference: naming a wrong answer nobody registered.

A registered :class:`~helpers.exercises._registry.Mistake` names one specific slip. The checks
here need no registration: they compare the learner's output ``got`` with the reference
``expected`` and recognise the *kind* of mistake from how the two differ.

===========================  ===============================================================
what ``got`` looks like      the diagnosis
===========================  ===============================================================
``expected`` transposed      rows and columns swapped (a product in the wrong order)
``c · expected``             right up to a constant factor ``c`` (a scale applied twice, or
                             applied outside instead of inside the softmax)
the same numbers, moved      an arrangement mistake: the order of view / reshape / transpose
right except at the ends     padding or a window edge handled differently at the sequence ends
right except a few tokens    errors only at positions a mask hides (or reveals)
rows that do not sum to 1    weights normalised over the wrong axis, or not at all
reference at another scale   (exercises that give ``scaled_reference``) which scale was used
===========================  ===============================================================

Every function returns a sentence (what is wrong and how to fix it), in the learner's language
(each is a template passed to :func:`~helpers.exercises.language.tr`), or ``None``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import torch

from helpers.exercises.language import tr

ScaledReference = Callable[[Sequence[Any], float], torch.Tensor]


def close(a: torch.Tensor, b: torch.Tensor, rtol: float, atol: float) -> bool:
    """Same shape and values (float64 comparison, NaN equal to NaN)."""
    if a.shape != b.shape:
        return False
    return torch.allclose(a.double(), b.double(), rtol=rtol, atol=atol, equal_nan=True)


def transposed(got: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float) -> str | None:
    """``got`` is ``expected`` with its last two dimensions swapped."""
    if got.ndim >= 2 and got.shape != expected.shape and close(got.mT, expected, rtol, atol):
        return tr(
            "your output is the transpose of the expected one (expected shape {expected}, got "
            "{got}): rows are tokens (queries), so swap the order of your matrix product or drop "
            "a transpose",
            expected=tuple(expected.shape),
            got=tuple(got.shape),
        )
    return None


def constant_factor(
    got: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float
) -> str | None:
    """``got == c · expected`` for one constant ``c`` other than 1."""
    if got.shape != expected.shape or not expected.is_floating_point():
        return None
    e, g = expected.double().flatten(), got.double().flatten()
    if not (torch.isfinite(g).all() and torch.isfinite(e).all()) or float(e @ e) == 0:
        return None
    c = float(g @ e / (e @ e))  # least-squares factor
    if not math.isfinite(c) or abs(c - 1) < 1e-3 or abs(c) < 1e-12:
        return None
    if not close(g, c * e, rtol, atol * max(1.0, abs(c))):
        return None
    return tr(
        "your output is the reference multiplied by {factor}: the computation is right up to a "
        "constant factor — a scale applied twice, applied to the output instead of the scores, "
        "or a wrong constant",
        factor=_number(c),
    )


def rearranged(got: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float) -> str | None:
    """The right numbers (as a multiset) in the wrong places."""
    if got.numel() != expected.numel() or got.numel() < 2 or not expected.is_floating_point():
        return None
    g, e = got.double().flatten().sort().values, expected.double().flatten().sort().values
    if not close(g, e, rtol, atol):
        return None
    if got.shape != expected.shape:
        return tr(
            "your output holds exactly the right numbers, in the wrong places (expected shape "
            "{expected}, got {got}): an arrangement mistake — check the order of your view / "
            "reshape / transpose / permute (reshape only regroups memory in order; to move a "
            "dimension, transpose first)",
            expected=tuple(expected.shape),
            got=tuple(got.shape),
        )
    return tr(
        "your output holds exactly the right numbers, in the wrong places: an arrangement "
        "mistake — check the order of your view / reshape / transpose / permute (reshape only "
        "regroups memory in order; to move a dimension, transpose first)"
    )


def wrong_only_at_the_ends(
    got: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float, seq_dim: int = -2
) -> str | None:
    """Right for the inner positions of the sequence, wrong only near its first or last ones."""
    if got.shape != expected.shape or got.ndim == 0 or not expected.is_floating_point():
        return None
    length = expected.shape[seq_dim]
    if length < 5:
        return None
    wrong = _wrong_positions(got, expected, rtol, atol, seq_dim)
    if not wrong or len(wrong) > max(2, length // 3):
        return None
    edge = max(2, length // 4)
    if all(p < edge or p >= length - edge for p in wrong):
        at_start, at_end = any(p < edge for p in wrong), any(p >= edge for p in wrong)
        if at_start and at_end:
            ends = tr("first and last")
        else:
            ends = tr("first") if at_start else tr("last")
        return tr(
            "your output is right everywhere except at the {ends} position(s) {positions} of the "
            "sequence: the sequence ends are handled differently — check the padding (how many "
            "positions, which value: zeros or copies of the edge) and the window bounds at the "
            "start and end",
            ends=ends,
            positions=wrong,
        )
    return None


def wrong_only_where_masked(
    got: torch.Tensor,
    expected: torch.Tensor,
    rtol: float,
    atol: float,
    args: Sequence[Any],
    seq_dim: int = -2,
) -> str | None:
    """Errors only at the query positions whose mask row is special (all hidden, or partial)."""
    masks = [a for a in args if isinstance(a, torch.Tensor) and a.dtype == torch.bool]
    if got.shape != expected.shape or not masks or got.ndim == 0:
        return None
    wrong = _wrong_positions(got, expected, rtol, atol, seq_dim)
    if not wrong:
        return None
    mask = masks[0]
    if mask.ndim < 2 or mask.shape[-2] != expected.shape[seq_dim]:
        return None
    rows = mask.reshape(-1, *mask.shape[-2:]).all(dim=0)  # (L, S): allowed in every batch item
    empty = [i for i in range(rows.shape[0]) if not rows[i].any()]
    if empty and set(wrong) <= set(empty):
        return tr(
            "your output is wrong only for the queries {queries}, whose mask row allows no key "
            "at all: a fully masked row must give zeros (not NaN, not an average of all values) "
            "— e.g. zero the weights where the mask is False after the softmax",
            queries=wrong,
        )
    partial = [i for i in range(rows.shape[0]) if not rows[i].all()]
    if set(wrong) <= set(partial):
        return tr(
            "your output is wrong only for the queries {queries}, the ones the mask restricts: "
            "check how you apply the mask (True = may attend; mask the scores with -inf *before* "
            "the softmax, not the weights after it)",
            queries=wrong,
        )
    return None


def rows_do_not_sum_to_one(
    got: torch.Tensor, expected: torch.Tensor, dim: int = -1, atol: float = 1e-4
) -> str | None:
    """For exercises whose output is attention weights: rows must sum to 1 (or 0 if masked)."""
    if got.shape != expected.shape or not got.is_floating_point():
        return None
    want = expected.double().sum(dim)
    have = got.double().sum(dim)
    if not torch.allclose(want, torch.round(want), atol=atol):
        return None  # the reference's rows are not normalised: not a weights exercise
    if torch.allclose(have, want, atol=atol):
        return None
    other = [d for d in range(-got.ndim, 0) if d != dim - got.ndim * (dim >= 0)]
    sums_other = [got.double().sum(d) for d in other]
    low, high = float(have.min()), float(have.max())
    if any(torch.allclose(s, torch.ones_like(s), atol=atol) for s in sums_other):
        return tr(
            "your weights are not normalised per query: each row must sum to 1 (a fully masked "
            "row to 0), but yours sum to between {low:.3g} and {high:.3g} — they sum to 1 along "
            "another dimension: softmax over the wrong axis",
            low=low,
            high=high,
        )
    return tr(
        "your weights are not normalised per query: each row must sum to 1 (a fully masked row "
        "to 0), but yours sum to between {low:.3g} and {high:.3g}",
        low=low,
        high=high,
    )


def other_scale(
    got: torch.Tensor,
    args: Sequence[Any],
    scaled_reference: ScaledReference,
    d: int,
    rtol: float,
    atol: float,
) -> str | None:
    """``got`` equals the reference computed with another scale: say which one, and why."""
    candidates = [
        (1.0, tr("no scale at all: multiply the scores by 1/sqrt(d) before the softmax")),
        (1 / d, tr("1/d instead of 1/sqrt(d): the square root is missing")),
        (1 / (2 * d), tr("1/(2d): `d**1/2` is `(d**1)/2` — write `d**0.5` or `math.sqrt(d)`")),
        (d / 2, tr("d/2: `* d**1/2` is `* (d**1)/2`; the scale is 1/sqrt(d)")),
        (math.sqrt(d), tr("sqrt(d): you multiplied by sqrt(d) instead of dividing by it")),
        (1 / math.sqrt(2 * d), tr("1/sqrt(2d): the scale uses another dimension than d")),
    ]
    for scale, why in candidates:
        try:
            variant = scaled_reference(args, scale)
        except Exception:
            continue
        if close(got, variant, rtol, atol):
            return tr("your output is the reference computed with the scale {why}", why=why)
    return None


def generic_diagnosis(
    got: torch.Tensor,
    expected: torch.Tensor,
    args: Sequence[Any],
    rtol: float,
    atol: float,
    *,
    seq_dim: int = -2,
    weights: bool = False,
    scaled_reference: ScaledReference | None = None,
    d: int | None = None,
) -> str | None:
    """The first diagnosis above that fits, or ``None``."""
    checks: list[Callable[[], str | None]] = [
        lambda: transposed(got, expected, rtol, atol),
    ]
    if scaled_reference is not None and d is not None:
        checks.append(lambda: other_scale(got, args, scaled_reference, d, rtol, atol))
    if weights:
        checks.append(lambda: rows_do_not_sum_to_one(got, expected))
    checks += [
        lambda: constant_factor(got, expected, rtol, atol),
        lambda: rearranged(got, expected, rtol, atol),
        lambda: wrong_only_where_masked(got, expected, rtol, atol, args, seq_dim),
        lambda: wrong_only_at_the_ends(got, expected, rtol, atol, seq_dim),
    ]
    for diagnosis in checks:
        try:
            found = diagnosis()
        except Exception:  # a diagnosis that does not apply to these shapes
            found = None
        if found:
            return found
    return None


def _wrong_positions(
    got: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float, seq_dim: int
) -> list[int]:
    """Positions along ``seq_dim`` where any entry differs."""
    bad = ~torch.isclose(got.double(), expected.double(), rtol=rtol, atol=atol, equal_nan=True)
    dim = seq_dim % got.ndim
    others = [d for d in range(got.ndim) if d != dim]
    per_position = bad.permute(dim, *others).reshape(got.shape[dim], -1).any(dim=1)
    return [int(i) for i in per_position.nonzero().flatten()]


def _number(c: float) -> str:
    """``0.5`` as ``0.5 (= 1/2)``, ``0.3536`` as ``0.3536 (= 1/sqrt(8))``: a readable factor."""
    for n in range(1, 257):
        if abs(c - 1 / n) < 1e-4 * abs(c):
            return f"{c:.4g} (= 1/{n})"
        if abs(c - 1 / math.sqrt(n)) < 1e-4 * abs(c) and int(math.sqrt(n)) ** 2 != n:
            return f"{c:.4g} (= 1/sqrt({n}))"
        if abs(c - n) < 1e-4 * abs(c):
            return f"{c:.4g}"
        if abs(c - math.sqrt(n)) < 1e-4 * abs(c) and int(math.sqrt(n)) ** 2 != n:
            return f"{c:.4g} (= sqrt({n}))"
    return f"{c:.4g}"
