"""How the cost of several functions grows with the input length: time and memory, side by side.

Lesson 05 compares full attention (``L²`` scores) with banded local attention (``L·w``) from
1 s to 60 s of audio. :func:`cost_by_length` runs that experiment for any functions: for each
length it builds the inputs once, counts the peak memory of one call of each function exactly
(:class:`TensorMemoryTracker`), and times them side by side, best of ``repeats``
(:func:`best_times`). :meth:`CostCurves.slope` reads the growth rate off the log-log plot
(:func:`loglog_slope`): about 1 for linear, 2 for quadratic cost.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ..core.validation import check_callable, check_choice, check_int, check_timing
from .memory import TensorMemoryTracker
from .timing import Clock, best_times, loglog_slope


@dataclass(frozen=True)
class CostCurves:
    """The measurements of :func:`cost_by_length`, one list entry per length.

    Attributes:
        lengths: the input lengths, in the order measured.
        seconds: ``{name: [best time of one call, per length]}`` (seconds of ``clock``).
        peak_bytes: ``{name: [peak bytes of the tensors one call creates, per length]}``.
    """

    lengths: tuple[int, ...]
    seconds: dict[str, list[float]]
    peak_bytes: dict[str, list[int]]

    def slope(self, kind: str, name: str, min_length: int = 0) -> float:
        """Log-log slope of ``kind`` (``"seconds"`` or ``"peak_bytes"``) of ``name`` against the
        length, over the lengths ``>= min_length`` (to leave out fixed per-call overheads)."""
        check_choice(kind, "kind", ("seconds", "peak_bytes"))
        values = getattr(self, kind)[name]
        points = [(n, y) for n, y in zip(self.lengths, values, strict=True) if n >= min_length]
        return loglog_slope([n for n, _ in points], [y for _, y in points])


def cost_by_length(
    calls: Mapping[str, Callable[..., object]],
    make_inputs: Callable[[int], Sequence[object]],
    lengths: Sequence[int],
    *,
    repeats: int = 3,
    clock: Clock = time.process_time,
) -> CostCurves:
    """Time and memory of ``calls[name](*make_inputs(length))`` for every length.

    For each length the inputs are built once (outside the measurements); every function is
    called once inside a :class:`TensorMemoryTracker` (exact peak bytes, the same on every
    machine), then timed side by side with :func:`best_times` (best of ``repeats``, after that
    call as warm-up). ``clock`` is the CPU time of this process by default, which other programs
    running at the same time disturb less than wall time.
    """
    check_callable(make_inputs, "make_inputs")
    check_timing(calls, repeats, 0)
    if not lengths:
        raise ValueError("cost_by_length needs at least one length, got none")
    for length in lengths:
        check_int(length, "length", minimum=1)
    seconds: dict[str, list[float]] = {name: [] for name in calls}
    peak_bytes: dict[str, list[int]] = {name: [] for name in calls}
    for length in lengths:
        inputs = make_inputs(length)
        for name, fn in calls.items():
            with TensorMemoryTracker() as tracker:
                fn(*inputs)
            peak_bytes[name].append(tracker.peak_bytes)
        timed = {name: (lambda fn=fn, inputs=inputs: fn(*inputs)) for name, fn in calls.items()}
        best = best_times(timed, repeats=repeats, warmup=0, clock=clock)
        for name in calls:
            seconds[name].append(best[name])
    return CostCurves(tuple(lengths), seconds, peak_bytes)
