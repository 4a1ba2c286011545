"""helpers.measuring.growth: time and memory against the length, with a fake clock."""

import pytest
import torch

from helpers import CostCurves, cost_by_length


class FakeClock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_slopes_of_a_linear_and_a_quadratic_function():
    clock = FakeClock()

    def linear(x):
        clock.now += 1e-6 * len(x)
        return x * 2  # one (n,) tensor

    def quadratic(x):
        clock.now += 1e-9 * len(x) ** 2
        return x[:, None] * x[None, :]  # one (n, n) tensor

    lengths = [100, 200, 400, 800]
    curves = cost_by_length(
        {"linear": linear, "quadratic": quadratic},
        lambda n: (torch.ones(n),),
        lengths,
        repeats=2,
        clock=clock,
    )
    assert isinstance(curves, CostCurves) and curves.lengths == tuple(lengths)
    assert curves.peak_bytes["linear"] == [4 * n for n in lengths]  # float32, counted exactly
    assert curves.peak_bytes["quadratic"] == [4 * n * n for n in lengths]
    assert curves.seconds["linear"] == pytest.approx([1e-6 * n for n in lengths])
    assert curves.slope("seconds", "linear") == pytest.approx(1.0)
    assert curves.slope("seconds", "quadratic") == pytest.approx(2.0)
    assert curves.slope("peak_bytes", "quadratic", min_length=200) == pytest.approx(2.0)


def test_inputs_are_built_once_per_length():
    built = []

    def make_inputs(n):
        built.append(n)
        return (torch.zeros(n),)

    cost_by_length({"f": lambda x: x + 1}, make_inputs, [3, 5], repeats=3)
    assert built == [3, 5]


BAD_INPUT_CASES = [
    (lambda: cost_by_length({}, lambda n: (), [1]), "at least one function"),
    (lambda: cost_by_length({"f": print}, "inputs", [1]), "make_inputs"),
    (lambda: cost_by_length({"f": print}, lambda n: (), []), "at least one length"),
    (lambda: cost_by_length({"f": print}, lambda n: (), [0]), "length must be >= 1"),
    (lambda: cost_by_length({"f": print}, lambda n: (), [1], repeats=0), "repeats"),
    (
        lambda: CostCurves((1, 2), {"f": [1.0, 2.0]}, {"f": [1, 2]}).slope("time", "f"),
        "kind must be one of",
    ),
]


@pytest.mark.parametrize(("call", "words"), BAD_INPUT_CASES)
def test_bad_input_raises_value_error(call, words):
    with pytest.raises(ValueError, match=words):
        call()
