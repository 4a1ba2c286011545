"""Input checks shared by the public functions of :mod:`helpers`.

Every check raises ``ValueError`` (also for a wrong type or dtype, so a learner has one exception
to catch) with a message that names the argument and the offending shape or value: the message
should say *what* was wrong, not only *that* something was.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import torch


def shape_of(x: torch.Tensor) -> tuple[int, ...]:
    """The shape as a plain tuple, which prints as ``(2, 3)`` instead of ``torch.Size([2, 3])``."""
    return tuple(x.shape)


def check_tensor(x: object, name: str) -> None:
    """``x`` must be a ``torch.Tensor``."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")


def check_floating(x: object, name: str) -> None:
    """``x`` must be a floating-point tensor (attention needs real numbers, not integers)."""
    check_tensor(x, name)
    if not x.is_floating_point():
        raise ValueError(
            f"{name} must be a floating-point tensor, got dtype {x.dtype} "
            f"with shape {shape_of(x)}; convert it with {name}.float()"
        )


def check_rank(
    x: torch.Tensor, name: str, layout: str, min_rank: int, max_rank: int | None = None
) -> None:
    """``x`` must have between ``min_rank`` and ``max_rank`` dimensions (``layout`` names them)."""
    too_few = x.ndim < min_rank
    too_many = max_rank is not None and x.ndim > max_rank
    if too_few or too_many:
        if max_rank is None:
            expected = f"at least {min_rank} dimensions"
        elif max_rank == min_rank:
            expected = f"exactly {min_rank} dimension{'s' if min_rank > 1 else ''}"
        else:
            expected = f"{min_rank} to {max_rank} dimensions"
        raise ValueError(
            f"{name} must have shape {layout} ({expected}), "
            f"got shape {shape_of(x)} ({x.ndim}-dimensional)"
        )


def check_size(x: torch.Tensor, name: str, dim: int, expected: int, meaning: str) -> None:
    """``x.shape[dim]`` must equal ``expected``; ``meaning`` says where the number comes from."""
    if x.shape[dim] != expected:
        raise ValueError(
            f"{name}.shape[{dim}] must be {meaning} = {expected}, "
            f"got {x.shape[dim]} (shape {shape_of(x)})"
        )


def broadcast_batch_shape(named_shapes: dict[str, Sequence[int]]) -> torch.Size:
    """Broadcast the leading (batch) shapes of several tensors, or say which ones clash."""
    try:
        return torch.broadcast_shapes(*named_shapes.values())
    except RuntimeError:
        listing = ", ".join(f"{name} {tuple(shape)}" for name, shape in named_shapes.items())
        raise ValueError(f"batch dimensions do not broadcast: {listing}") from None


def check_bool_mask(mask: object, name: str = "mask") -> None:
    """``mask`` must be a bool tensor (True = may attend)."""
    check_tensor(mask, name)
    if mask.dtype != torch.bool:
        raise ValueError(
            f"{name} must be a bool tensor (True = may attend), got dtype {mask.dtype} "
            f"with shape {shape_of(mask)}; a 0/1 tensor becomes one with {name}.bool(), "
            f"an additive float mask (0 / -inf) with {name} == 0"
        )


def check_broadcastable(
    mask: torch.Tensor, target_shape: Sequence[int], name: str, target_layout: str
) -> None:
    """``mask`` must broadcast to ``target_shape`` without changing it."""
    target = torch.Size(target_shape)
    try:
        broadcast_ok = torch.broadcast_shapes(mask.shape, target) == target
    except RuntimeError:
        broadcast_ok = False
    if not broadcast_ok:
        raise ValueError(
            f"{name} with shape {shape_of(mask)} is not broadcastable to "
            f"{target_layout} = {tuple(target)}"
        )


def check_int(value: object, name: str, minimum: int | None = None) -> None:
    """``value`` must be an integer (not a bool), at least ``minimum`` when given."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an int, got {value!r} of type {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")


def check_positive_number(value: object, name: str) -> None:
    """``value`` must be a real number > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")


def check_attention_inputs(
    q: object, k: object, v: object, mask: object = None
) -> tuple[torch.Size, torch.Size]:
    """Queries ``(..., L, d)``, keys ``(..., S, d)``, values ``(..., S, d_v)`` and an optional
    bool mask broadcastable to the scores ``(..., L, S)``.

    Returns the broadcast batch shapes of the scores (from q and k) and of the output (q, k, v).
    """
    for name, tensor, layout in (
        ("q", q, "(..., L, d)"),
        ("k", k, "(..., S, d)"),
        ("v", v, "(..., S, d_v)"),
    ):
        check_floating(tensor, name)
        check_rank(tensor, name, layout, min_rank=2)
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"q and k must have the same last dimension d, "
            f"got q.shape={shape_of(q)} and k.shape={shape_of(k)}"
        )
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"k and v must have the same number of positions S (dimension -2), "
            f"got k.shape={shape_of(k)} and v.shape={shape_of(v)}"
        )
    score_batch = broadcast_batch_shape({"q": q.shape[:-2], "k": k.shape[:-2]})
    out_batch = broadcast_batch_shape({"q": q.shape[:-2], "k": k.shape[:-2], "v": v.shape[:-2]})
    if mask is not None:
        check_bool_mask(mask)
        scores_shape = (*score_batch, q.shape[-2], k.shape[-2])
        check_broadcastable(mask, scores_shape, "mask", "the scores' shape (..., L, S)")
    return score_batch, out_batch
