"""Exercises of notebook 05: ``local_mask`` and ``receptive_field``; the checks every exercise
must pass are in ``test_exercises.py``. The reference of ``receptive_field`` (a measured Jacobian
pattern) equals the band formula."""

import exercise_cases
import pytest
import torch

from helpers import local_mask
from helpers.exercises import get_exercise
from helpers.exercises.nb05_truncated_attention import measured_receptive_field

# --------------------------------------------------------------------------- right answers,
# written the way a learner would


def local_mask_loops(L, left, right):
    mask = torch.zeros(L, L, dtype=torch.bool)
    for i in range(L):
        mask[i, max(0, i - left) : i + right + 1] = True
    return mask


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


test_right_answers_pass = exercise_cases.right_answers_pass(
    [
        ("local_mask", local_mask_loops),
        ("local_mask", local_mask),
        ("receptive_field", receptive_field_formula),
        ("receptive_field", receptive_field_matrix_power),
        ("receptive_field", receptive_field_loops),
    ]
)
test_case_counts = exercise_cases.case_counts_are({"local_mask": 5, "receptive_field": 4})


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


def test_receptive_field_has_the_classic_mistakes():
    names = {m.name for m in get_exercise("receptive_field").mistakes}
    assert {"one_layer", "one_layer_too_few", "one_layer_too_many", "swapped", "not_bool"} <= names


# --------------------------------------------------------------------------- classic mistakes,
# written the way a learner would, each with the word its diagnosis must contain


def local_mask_range(L, left, right, stop_offset=1, start_offset=0):
    mask = torch.zeros(L, L, dtype=torch.bool)
    for i in range(L):
        for j in range(i - left + start_offset, i + right + stop_offset):
            if 0 <= j < L:
                mask[i, j] = True
    return mask


LOCAL_MASK_MISTAKES = [
    (lambda L, le, r: local_mask_range(L, le, r, stop_offset=0), "too narrow"),
    (lambda L, le, r: local_mask_range(L, le, r, start_offset=1), "too narrow"),
    (lambda L, le, r: local_mask_range(L, le + 1, r + 1), "too wide"),
    (lambda L, le, r: local_mask_range(L, r, le), "swapped"),
    (lambda L, le, r: local_mask_range(L, le, r).T, "transposed"),
    (lambda L, le, r: local_mask_range(L, le, r).float(), "bool"),
    (lambda L, le, r: local_mask_range(L, le, r).int(), "bool"),
    (lambda L, le, r: ~local_mask_range(L, le, r), "inverted"),
]
RECEPTIVE_FIELD_MISTAKES = [
    (lambda L, left, right, n: local_mask(L, left, right), "single layer"),
    (lambda L, left, right, n: receptive_field_formula(L, right, left, n), "swapped"),
    (lambda L, left, right, n: receptive_field_formula(L, left, right, n).T, "transposed"),
    (lambda L, left, right, n: receptive_field_formula(L, left, right, n).float(), "bool"),
    (lambda L, left, right, n: receptive_field_formula(L, left, right, n - 1), "n - 1"),
    (lambda L, left, right, n: receptive_field_formula(L, left, right, n + 1), "n + 1"),
    (lambda L, left, right, n: local_mask(L, left * 2 ** (n - 1), right * 2 ** (n - 1)), "doubles"),
    (lambda L, left, right, n: receptive_field_formula(L, left, right, n)[1:], "wrong shape"),
    (lambda L, left, right, n: ~receptive_field_formula(L, left, right, n), "wrong values"),
]
test_mistakes_are_diagnosed = exercise_cases.mistakes_are_diagnosed(
    [("local_mask", fn, keyword) for fn, keyword in LOCAL_MASK_MISTAKES]
    + [("receptive_field", fn, keyword) for fn, keyword in RECEPTIVE_FIELD_MISTAKES]
)
test_diagnoses_are_registered = exercise_cases.diagnoses_are_registered(
    {"local_mask": {"too narrow", "too wide", "transposed", "bool"}}
)


# --------------------------------------------------------------------------- wrong answers,
# written the way a learner would (not the registered mistakes), with the word the diagnosis
# must contain (None: only a generic message is expected)


@exercise_cases.wrong_answer("local_mask", "symmetric")
def mask_symmetric(L, left, right):
    i, j = torch.arange(L)[:, None], torch.arange(L)[None, :]
    return (i - j).abs() <= left


@exercise_cases.wrong_answer("local_mask", "bool")
def mask_triu_tril(L, left, right):
    return torch.ones(L, L).triu(-left).tril(right)  # right band, but float


@exercise_cases.wrong_answer("local_mask", "too narrow")
def mask_strict_right(L, left, right):
    i, j = torch.arange(L)[:, None], torch.arange(L)[None, :]
    return (j - i >= -left) & (j - i < right)  # `<` drops key i + right


@exercise_cases.wrong_answer("local_mask", "swapped")
def mask_tril_triu_swapped(L, left, right):
    return torch.ones(L, L, dtype=torch.bool).tril(left).triu(-right)


@exercise_cases.wrong_answer("local_mask", "max(0, i - left)")
def mask_unclipped_slice(L, left, right):
    mask = torch.zeros(L, L, dtype=torch.bool)
    for i in range(L):
        mask[i, i - left : i + right + 1] = True  # a negative start wraps around
    return mask


@exercise_cases.wrong_answer("local_mask", "reaches 4 position(s) back")
def mask_two_wide(L, left, right):
    i, j = torch.arange(L)[:, None], torch.arange(L)[None, :]
    return (j >= i - 2 * left) & (j <= i + right)  # "left" read as the whole window


@exercise_cases.wrong_answer("local_mask", "it should reach 2 back and 0 ahead")
def mask_window_width(L, left, right):
    w = left + right + 1
    i, j = torch.arange(L)[:, None], torch.arange(L)[None, :]
    return (j >= i - w) & (j <= i + w)


@exercise_cases.wrong_answer("receptive_field", "reaches 5 position(s) back")
def field_one_frame_too_far(L, left, right, n_layers):
    return local_mask(L, n_layers * left + 1, n_layers * right)


@exercise_cases.wrong_answer("receptive_field", "it should reach 4 back and 8 ahead")
def field_adds_layers(L, left, right, n_layers):
    return local_mask(L, left + n_layers, right + n_layers)


@exercise_cases.wrong_answer("receptive_field", "band")
def field_powers(L, left, right, n_layers):
    return local_mask(L, left**n_layers, right**n_layers)


@exercise_cases.wrong_answer("receptive_field", None)
def field_path_counts(L, left, right, n_layers):
    step = local_mask(L, left, right).float()
    return torch.linalg.matrix_power(step, n_layers)  # counts paths: not a bool mask


@exercise_cases.wrong_answer("receptive_field", "single layer")
def field_and_of_layers(L, left, right, n_layers):
    field = torch.ones(L, L, dtype=torch.bool)
    for _ in range(n_layers):
        field = field & local_mask(L, left, right)  # `&` keeps one window: `|` of paths needed
    return field


@exercise_cases.wrong_answer("receptive_field", "band")
def field_whole_window_each_side(L, left, right, n_layers):
    w = left + right + 1
    return local_mask(L, n_layers * w, n_layers * w)


@exercise_cases.wrong_answer("receptive_field", "hard-coded")
def field_hard_coded_length(L, left, right, n_layers):
    return receptive_field_formula(20, left, right, n_layers)


WRONG_ANSWERS = exercise_cases.wrong_answers_in(globals())
test_wrong_answers_fail = exercise_cases.wrong_answers_fail(WRONG_ANSWERS)
