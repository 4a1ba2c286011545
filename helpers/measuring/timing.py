"""Timing and growth rates: the one best-of-N timer and the one log-log slope of the course.

A single timing of a fast call is mostly noise (other processes, caches, frequency scaling). The
course therefore reports the **best of several repeats** — the run least disturbed by the rest of
the machine — and compares two implementations only when they are timed **side by side**, in a
rotating order, so that a slow moment of the machine hurts both alike.

How cost grows with a size ``n`` is read off a log-log plot: if ``t ≈ c · n^p`` then
``log t = log c + p · log n``, a line of slope ``p``. :func:`loglog_slope` fits that line by least
squares.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence

import torch

from ..core.validation import check_callable, check_loglog_points, check_timing

Clock = Callable[[], float]


def best_time(
    fn: Callable[[], object],
    repeats: int = 5,
    warmup: int = 1,
    clock: Clock = time.perf_counter,
) -> float:
    """Seconds of the fastest of ``repeats`` calls of ``fn()``, after ``warmup`` untimed calls.

    ``clock`` is ``time.perf_counter`` (wall time) by default; pass ``time.process_time`` for the
    CPU time of this process (all its threads), which other processes on the machine do not
    inflate. Autograd is off while timing (``torch.no_grad``).
    """
    check_callable(fn, "fn")
    return best_times({"fn": fn}, repeats=repeats, warmup=warmup, clock=clock)["fn"]


def best_times(
    fns: Mapping[str, Callable[[], object]],
    repeats: int = 5,
    warmup: int = 1,
    clock: Clock = time.perf_counter,
    reduce: Callable[[list[float]], float] = min,
) -> dict[str, float]:
    """Time several functions side by side: ``{name: reduce(seconds of each repeat)}``.

    Every repeat calls every function once, in an order rotated by one each repeat, so that no
    function always runs first (cold) or right after another one. ``reduce`` is ``min`` (best of
    N) by default; ``statistics.median`` is the other sensible choice.
    """
    check_timing(fns, repeats, warmup)
    names = list(fns)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    with torch.no_grad():
        for _ in range(warmup):
            for name in names:
                fns[name]()
        for repeat in range(repeats):
            shift = repeat % len(names)
            for name in names[shift:] + names[:shift]:
                start = clock()
                fns[name]()
                seconds[name].append(clock() - start)
    return {name: float(reduce(values)) for name, values in seconds.items()}


def loglog_slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope ``p`` of ``log y`` against ``log x``: ``y`` grows like ``x^p``.

    ``p = Σ (log xᵢ − mean)(log yᵢ − mean) / Σ (log xᵢ − mean)²``. Needs at least two distinct
    positive ``x`` and positive ``y``.
    """
    check_loglog_points(xs, ys)
    log_x = [math.log(x) for x in xs]
    log_y = [math.log(y) for y in ys]
    mean_x, mean_y = sum(log_x) / len(log_x), sum(log_y) / len(log_y)
    spread = sum((x - mean_x) ** 2 for x in log_x)
    return sum((x - mean_x) * (y - mean_y) for x, y in zip(log_x, log_y, strict=True)) / spread
