"""Exercise checkers of notebook 05: ``local_mask`` and ``receptive_field``. Right answers
pass, learner-style mistakes get their diagnosis, a stub fails as "not implemented"; the reference
of ``receptive_field`` (a measured Jacobian pattern) equals the band formula."""

import pytest
import torch

from helpers import local_mask
from helpers.exercises import check, get_exercise
from helpers.exercises.nb05_truncated_attention import measured_receptive_field


def run(exercise_id, fn):
    return check(exercise_id, fn, quiet=True)


def receptive_field_formula(L, left, right, n_layers):
    i = torch.arange(L).unsqueeze(1)  # output frames (rows)
    j = torch.arange(L).unsqueeze(0)  # input frames (columns)
    return (j >= i - n_layers * left) & (j <= i + n_layers * right)


def receptive_field_matrix_power(L, left, right, n_layers):
    """Paths of length n in the graph 'frame j is in the window of frame i'."""
    step = local_mask(L, left, right).long()
    reach = torch.eye(L, dtype=torch.long)
    for _ in range(n_layers):
        reach = (reach @ step).clamp(max=1)
    return reach.bool()


def receptive_field_loops(L, left, right, n_layers):
    mask = torch.zeros(L, L, dtype=torch.bool)
    for i in range(L):
        mask[i, max(0, i - n_layers * left) : i + n_layers * right + 1] = True
    return mask


@pytest.mark.parametrize(
    "fn", [receptive_field_formula, receptive_field_matrix_power, receptive_field_loops]
)
def test_right_answers_pass(fn):
    result = run("receptive_field", fn)
    assert result.passed, result.message
    assert "on all 4 test cases" in result.message


@pytest.mark.parametrize(
    ("L", "left", "right", "n_layers"),
    [(20, 1, 2, 4), (16, 2, 0, 3), (9, 0, 1, 1), (8, 2, 1, 5), (30, 3, 2, 2), (12, 0, 0, 3)],
)
def test_the_measured_field_is_the_band_n_left_n_right(L, left, right, n_layers):
    measured = measured_receptive_field(L, left, right, n_layers)
    assert measured.dtype == torch.bool and measured.shape == (L, L)
    assert torch.equal(measured, receptive_field_formula(L, left, right, n_layers))


def test_one_layer_is_the_local_mask():
    assert torch.equal(measured_receptive_field(11, 2, 3, 1), local_mask(11, 2, 3))


def test_notebook_05_exercises_are_registered():
    # Every registered mistake is fed to its checker in test_exercises.py.
    for exercise_id in ("local_mask", "receptive_field"):
        assert get_exercise(exercise_id).notebook == "05"
    names = {m.name for m in get_exercise("receptive_field").mistakes}
    assert {"one_layer", "one_layer_too_few", "one_layer_too_many", "swapped", "not_bool"} <= names


@pytest.mark.parametrize(
    ("fn", "keyword"),
    [
        (lambda L, left, right, n: local_mask(L, left, right), "single layer"),
        (lambda L, left, right, n: receptive_field_formula(L, right, left, n), "swapped"),
        (lambda L, left, right, n: receptive_field_formula(L, left, right, n).T, "transposed"),
        (lambda L, left, right, n: receptive_field_formula(L, left, right, n).float(), "bool"),
        (lambda L, left, right, n: receptive_field_formula(L, left, right, n - 1), "n - 1"),
        (lambda L, left, right, n: receptive_field_formula(L, left, right, n + 1), "n + 1"),
        (
            lambda L, left, right, n: local_mask(L, left * 2 ** (n - 1), right * 2 ** (n - 1)),
            "doubles",
        ),
        (lambda L, left, right, n: receptive_field_formula(L, left, right, n)[1:], "wrong shape"),
        (lambda L, left, right, n: ~receptive_field_formula(L, left, right, n), "wrong values"),
    ],
)
def test_learner_mistakes_are_diagnosed(fn, keyword):
    result = run("receptive_field", fn)
    assert not result.passed
    assert keyword in result.message, result.message


def test_not_implemented_stub_fails():
    for exercise_id in ("receptive_field", "local_mask"):
        result = run(exercise_id, lambda *args: NotImplemented)
        assert not result.passed
        assert "not implemented yet" in result.message


def test_local_mask_exercise_still_passes_with_the_reference():
    assert run("local_mask", local_mask).passed
