"""Exercise of notebook 00: ``window_features``, the window of neighbouring frames of a batch of
sequences with the edge frames repeated; the checks every exercise must pass are in
``test_exercises.py``."""

from __future__ import annotations

import exercise_cases
import torch
from torch import nn

# --------------------------------------------------------------------------- right answers,
# written the way a learner would (not by calling the reference)


def splice_frames(x, h):
    """Clamped positions, then one indexing."""
    seq = x.shape[1]
    index = (torch.arange(seq)[:, None] + torch.arange(-h, h + 1)[None, :]).clamp(0, seq - 1)
    return x[:, index].flatten(2)


def splice_frames_replicate_pad(x, h):
    """F.pad in replicate mode (it pads the last dimension: move the sequence there)."""
    padded = nn.functional.pad(x.transpose(1, 2), (h, h), mode="replicate").transpose(1, 2)
    windows = padded.unfold(1, 2 * h + 1, 1)  # (batch, seq, d, 2h+1)
    return windows.transpose(2, 3).flatten(2)


def splice_frames_cat(x, h):
    """Edge frames repeated by hand, then shifted slices concatenated."""
    first, last = x[:, :1].expand(-1, h, -1), x[:, -1:].expand(-1, h, -1)
    padded = torch.cat([first, x, last], dim=1)  # (batch, seq + 2h, d)
    seq = x.shape[1]
    return torch.cat([padded[:, o : o + seq] for o in range(2 * h + 1)], dim=2)


def splice_frames_loops(x, h):
    """One frame at a time."""
    batch, seq, d = x.shape
    out = torch.empty(batch, seq, (2 * h + 1) * d)
    for t in range(seq):
        for j, offset in enumerate(range(-h, h + 1)):
            s = min(max(t + offset, 0), seq - 1)
            out[:, t, j * d : (j + 1) * d] = x[:, s]
    return out


test_right_answers_pass = exercise_cases.right_answers_pass(
    [
        ("window_features", splice_frames),
        ("window_features", splice_frames_replicate_pad),
        ("window_features", splice_frames_cat),
        ("window_features", splice_frames_loops),
    ]
)
test_case_counts = exercise_cases.case_counts_are({"window_features": 4})
test_diagnoses_are_registered = exercise_cases.diagnoses_are_registered(
    {"window_features": {"zero", "order", "backwards", "wraps"}}
)


# --------------------------------------------------------------------------- plausible wrong
# answers, written as a learner would, none of them a registered mistake


@exercise_cases.wrong_answer("window_features", "ends")
def reflect_padding(x, h):
    """Mirror padding (x[1] before x[0]) instead of repeating the edge frame."""
    padded = nn.functional.pad(x.transpose(1, 2), (h, h), mode="reflect").transpose(1, 2)
    return padded.unfold(1, 2 * h + 1, 1).transpose(2, 3).flatten(2)


@exercise_cases.wrong_answer("window_features", "ends")
def zeros_after_the_end(x, h):
    """Edge replication at the start only; zeros after the end."""
    seq = x.shape[1]
    first = x[:, :1].expand(-1, h, -1)
    padded = torch.cat([first, x, torch.zeros_like(x[:, :h])], dim=1)
    return torch.cat([padded[:, o : o + seq] for o in range(2 * h + 1)], dim=2)


@exercise_cases.wrong_answer("window_features", "ends")
def edges_swapped(x, h):
    """The last frame repeated before the start, the first after the end."""
    seq = x.shape[1]
    padded = torch.cat([x[:, -1:].expand(-1, h, -1), x, x[:, :1].expand(-1, h, -1)], dim=1)
    return torch.cat([padded[:, o : o + seq] for o in range(2 * h + 1)], dim=2)


@exercise_cases.wrong_answer("window_features", "wrong places")
def not_flattened(x, h):
    """Forgot to flatten the window: (batch, seq, 2h+1, d)."""
    seq = x.shape[1]
    index = (torch.arange(seq)[:, None] + torch.arange(-h, h + 1)[None, :]).clamp(0, seq - 1)
    return x[:, index]


@exercise_cases.wrong_answer("window_features", "wrong places")
def flattened_too_much(x, h):
    """flatten(1) also merges the sequence: (batch, seq * (2h+1) * d)."""
    seq = x.shape[1]
    index = (torch.arange(seq)[:, None] + torch.arange(-h, h + 1)[None, :]).clamp(0, seq - 1)
    return x[:, index].flatten(1)


@exercise_cases.wrong_answer("window_features", "wrong places")
def concatenated_along_the_sequence(x, h):
    """torch.cat over dim=1: the shifted copies end up one after the other in time."""
    seq = x.shape[1]
    shifted = [x[:, (torch.arange(seq) + o).clamp(0, seq - 1)] for o in range(-h, h + 1)]
    return torch.cat(shifted, dim=1)


@exercise_cases.wrong_answer("window_features", "x[:, index]")
def batch_indexed(x, h):
    """Indexes the first dimension (the batch) as if it were the sequence."""
    seq = x.shape[1]
    index = (torch.arange(seq)[:, None] + torch.arange(-h, h + 1)[None, :]).clamp(0, seq - 1)
    return x[index].flatten(2)


@exercise_cases.wrong_answer("window_features", None)
def window_to_the_right(x, h):
    """2h+1 frames starting at t (x[t], ..., x[t+2h]) instead of centred on t."""
    seq = x.shape[1]
    index = (torch.arange(seq)[:, None] + torch.arange(0, 2 * h + 1)[None, :]).clamp(0, seq - 1)
    return x[:, index].flatten(2)


@exercise_cases.wrong_answer("window_features", "hard-coded")
def hard_coded_h(x, h):
    """Works for the first test case only (h = 1 written as a number)."""
    seq = x.shape[1]
    index = (torch.arange(seq)[:, None] + torch.arange(-1, 2)[None, :]).clamp(0, seq - 1)
    return x[:, index].flatten(2)


WRONG_ANSWERS = exercise_cases.wrong_answers_in(globals())
test_wrong_answers_fail = exercise_cases.wrong_answers_fail(WRONG_ANSWERS)
