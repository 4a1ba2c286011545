"""helpers.measuring.timing: best-of-N and side-by-side timing with a fake clock, log-log slopes."""

import math
import statistics

import pytest
import torch

from helpers import best_time, best_times, loglog_slope


class FakeClock:
    """A clock that advances only when a timed function says how long it "took"."""

    def __init__(self) -> None:
        self.now = 0.0
        self.calls: list[str] = []

    def __call__(self) -> float:
        return self.now

    def function(self, name: str, durations: list[float]):
        """A function that takes ``durations[i]`` seconds on its i-th call (warm-up included)."""
        remaining = iter(durations)

        def run() -> None:
            self.calls.append(name)
            self.now += next(remaining)

        return run


def test_best_time_is_the_fastest_timed_call_after_the_warmup():
    clock = FakeClock()
    fn = clock.function("f", [100.0, 3.0, 1.5, 2.0])  # the warm-up call (100 s) is not timed
    assert best_time(fn, repeats=3, warmup=1, clock=clock) == 1.5
    assert clock.calls == ["f"] * 4


def test_best_time_without_warmup_times_every_call():
    clock = FakeClock()
    fn = clock.function("f", [0.5, 3.0])
    assert best_time(fn, repeats=2, warmup=0, clock=clock) == 0.5


def test_best_times_rotates_the_order_and_reduces_per_function():
    clock = FakeClock()
    fns = {
        "a": clock.function("a", [9.0, 1.0, 2.0, 3.0]),
        "b": clock.function("b", [9.0, 4.0, 5.0, 6.0]),
        "c": clock.function("c", [9.0, 7.0, 8.0, 0.5]),
    }
    best = best_times(fns, repeats=3, warmup=1, clock=clock)
    assert best == {"a": 1.0, "b": 4.0, "c": 0.5}
    # one warm-up round in order, then each repeat starts one function later
    assert clock.calls == ["a", "b", "c", "a", "b", "c", "b", "c", "a", "c", "a", "b"]


def test_best_times_median():
    clock = FakeClock()
    fns = {"a": clock.function("a", [1.0, 5.0, 3.0])}
    assert best_times(fns, repeats=3, warmup=0, clock=clock, reduce=statistics.median) == {"a": 3.0}


def test_timing_runs_without_autograd():
    x = torch.ones(3, requires_grad=True)
    recorded = []
    best_time(lambda: recorded.append(torch.is_grad_enabled()), repeats=2)
    assert recorded == [False, False, False] and x.requires_grad


def test_best_time_measures_real_time_with_the_default_clock():
    assert 0 <= best_time(lambda: sum(range(100)), repeats=2) < 1.0


@pytest.mark.parametrize(
    ("power", "scale"), [(2.0, 1.0), (1.0, 3e-4), (0.5, 10.0), (-1.0, 2.0), (2.5, 1e-9)]
)
def test_loglog_slope_recovers_the_power(power, scale):
    xs = [16, 32, 64, 128, 256, 512]
    ys = [scale * x**power for x in xs]
    assert loglog_slope(xs, ys) == pytest.approx(power, abs=1e-12)


def test_loglog_slope_is_the_least_squares_fit_of_noisy_points():
    xs = [1.0, 2.0, 4.0, 8.0]
    ys = [1.0, 4.4, 15.0, 70.0]
    log_x = torch.tensor(xs, dtype=torch.float64).log()
    log_y = torch.tensor(ys, dtype=torch.float64).log()
    log_x = log_x - log_x.mean()
    expected = float((log_x * (log_y - log_y.mean())).sum() / (log_x**2).sum())
    assert loglog_slope(xs, ys) == pytest.approx(expected, rel=1e-14)
    assert math.isclose(loglog_slope(xs, ys), expected, rel_tol=1e-14)


def test_loglog_slope_of_exact_memory_counts_matches_a_fit_in_float64_tensors():
    # The lessons print memory slopes of exact byte counts to two decimals: the pure-Python fit
    # must give the same digits as the torch.float64 (and numpy.polyfit) fits it replaces.
    lengths = [98, 198, 398, 798, 1498, 2998, 5998]
    counts = [4 * n * n + 1000 * n + 256 for n in lengths]
    x = torch.tensor(lengths, dtype=torch.float64).log()
    y = torch.tensor(counts, dtype=torch.float64).log()
    x, y = x - x.mean(), y - y.mean()
    assert abs(loglog_slope(lengths, counts) - float((x * y).sum() / (x * x).sum())) < 1e-12


CASES = [
    (lambda: best_time(lambda: None, repeats=0), ["repeats", "0"]),
    (lambda: best_time(lambda: None, warmup=-1), ["warmup", "-1"]),
    (lambda: best_time("not a function"), ["fn", "str"]),
    (lambda: best_times({}), ["at least one function"]),
    (lambda: best_times({"a": 3}), ["'a'", "int"]),
    (lambda: best_times({"a": lambda: None}, repeats=2.5), ["repeats", "2.5"]),
    (lambda: loglog_slope([1, 2], [1]), ["2 and 1"]),
    (lambda: loglog_slope([1], [1]), [">= 2"]),
    (lambda: loglog_slope([1, 0], [1, 2]), ["positive", "min(xs)=0"]),
    (lambda: loglog_slope([1, 2], [1, -2]), ["positive", "min(ys)=-2"]),
    (lambda: loglog_slope([3, 3], [1, 2]), ["two different x", "[3, 3]"]),
]


@pytest.mark.parametrize(("call", "words"), CASES)
def test_bad_input_raises_value_error_naming_the_problem(call, words):
    with pytest.raises(ValueError) as error:
        call()
    assert all(word in str(error.value) for word in words), str(error.value)
