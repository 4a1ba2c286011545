"""Exercise of notebook 08: ``bidirectional_rnn``; the checks every exercise must pass are in
``test_exercises.py``."""

from __future__ import annotations

import exercise_cases
import torch
from torch import nn

from helpers.exercises.nb08_rnn import bidirectional_rnn_reference

# --------------------------------------------------------------------------- right answers,
# written the way a learner would


def bidirectional_rnn(x, W_ih, W_hh, b):
    """Two loops, the second one over reversed positions, then a concatenation."""
    seq, d_h = x.shape[0], W_hh.shape[-1]
    h, forward = torch.zeros(d_h), []
    for t in range(seq):
        h = torch.tanh(x[t] @ W_ih[0] + h @ W_hh[0] + b[0])
        forward.append(h)
    h, backward = torch.zeros(d_h), [None] * seq
    for t in range(seq - 1, -1, -1):
        h = torch.tanh(x[t] @ W_ih[1] + h @ W_hh[1] + b[1])
        backward[t] = h
    return torch.cat([torch.stack(forward), torch.stack(backward)], dim=1)


def bidirectional_rnn_flip(x, W_ih, W_hh, b):
    """The right-to-left RNN as a left-to-right one over x.flip(0), flipped back."""

    def run_one(x, W_ih, W_hh, b):
        h, states = torch.zeros(W_hh.shape[0]), []
        for x_t in x:
            h = torch.tanh(x_t @ W_ih + h @ W_hh + b)
            states.append(h)
        return torch.stack(states)

    forward = run_one(x, W_ih[0], W_hh[0], b[0])
    backward = run_one(x.flip(0), W_ih[1], W_hh[1], b[1]).flip(0)
    return torch.cat([forward, backward], dim=-1)


def bidirectional_rnn_torch(x, W_ih, W_hh, b):
    """PyTorch's module with the weights copied in (transposed, one bias set to zero)."""
    rnn = nn.RNN(x.shape[1], W_hh.shape[-1], bidirectional=True)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(W_ih[0].T)
        rnn.weight_hh_l0.copy_(W_hh[0].T)
        rnn.bias_ih_l0.copy_(b[0])
        rnn.bias_hh_l0.zero_()
        rnn.weight_ih_l0_reverse.copy_(W_ih[1].T)
        rnn.weight_hh_l0_reverse.copy_(W_hh[1].T)
        rnn.bias_ih_l0_reverse.copy_(b[1])
        rnn.bias_hh_l0_reverse.zero_()
        return rnn(x.unsqueeze(1))[0].squeeze(1)  # (seq, batch=1, 2 d_h) -> (seq, 2 d_h)


test_right_answers_pass = exercise_cases.right_answers_pass(
    ("bidirectional_rnn", fn)
    for fn in (bidirectional_rnn, bidirectional_rnn_flip, bidirectional_rnn_torch)
)
test_case_counts = exercise_cases.case_counts_are({"bidirectional_rnn": 3})


def test_reference_is_two_hand_written_loops():
    generator = torch.Generator().manual_seed(3)
    x = torch.randn(6, 3, generator=generator)
    W_ih, W_hh = (
        torch.randn(2, 3, 5, generator=generator),
        torch.randn(2, 5, 5, generator=generator),
    )
    b = torch.randn(2, 5, generator=generator)
    expected = bidirectional_rnn(x, W_ih, W_hh, b)
    torch.testing.assert_close(bidirectional_rnn_reference(x, W_ih, W_hh, b), expected)
    assert expected.shape == (6, 10)


# --------------------------------------------------------------------------- classic mistakes,
# written the way a learner would, each with the word its diagnosis must contain


def one_way(x, W_ih, W_hh, b, reverse=False, keep_order=True):
    h, states = torch.zeros(W_hh.shape[0]), []
    positions = range(x.shape[0] - 1, -1, -1) if reverse else range(x.shape[0])
    for t in positions:
        h = torch.tanh(x[t] @ W_ih + h @ W_hh + b)
        states.append(h)
    if reverse and keep_order:
        states.reverse()
    return torch.stack(states)


def both(x, W_ih, W_hh, b, **kwargs):
    return (
        one_way(x, W_ih[0], W_hh[0], b[0]),
        one_way(x, W_ih[1], W_hh[1], b[1], reverse=True, **kwargs),
    )


def linear_steps(x, W_ih, W_hh, b):
    out = []
    for d, reverse in ((0, False), (1, True)):
        h, states = torch.zeros(W_hh.shape[-1]), [None] * x.shape[0]
        for t in reversed(range(x.shape[0])) if reverse else range(x.shape[0]):
            h = x[t] @ W_ih[d] + h @ W_hh[d] + b[d]
            states[t] = h
        out.append(torch.stack(states))
    return torch.cat(out, dim=-1)


test_mistakes_are_diagnosed = exercise_cases.mistakes_are_diagnosed(
    ("bidirectional_rnn", fn, keyword)
    for fn, keyword in [
        (lambda x, W_ih, W_hh, b: one_way(x, W_ih[0], W_hh[0], b[0]), "only the left-to-right"),
        (lambda x, W_ih, W_hh, b: torch.stack(both(x, W_ih, W_hh, b)), "concatenate them"),
        (lambda x, W_ih, W_hh, b: torch.cat(both(x, W_ih, W_hh, b)[::-1], dim=-1), "swapped"),
        (
            lambda x, W_ih, W_hh, b: torch.cat(both(x, W_ih, W_hh, b, keep_order=False), dim=-1),
            "reverse that list",
        ),
        (
            lambda x, W_ih, W_hh, b: torch.cat(
                [one_way(x, W_ih[0], W_hh[0], b[0]), one_way(x, W_ih[1], W_hh[1], b[1])], dim=-1
            ),
            "also reads left to right",
        ),
        (
            lambda x, W_ih, W_hh, b: torch.cat(
                [one_way(x, W_ih[0], W_hh[0], b[0]), one_way(x, W_ih[0], W_hh[0], b[0], True)], -1
            ),
            "its own weights",
        ),
        (linear_steps, "missing the tanh"),
        (
            lambda x, W_ih, W_hh, b: torch.cat(
                [torch.tanh(x @ W_ih[0] + b[0]), torch.tanh(x @ W_ih[1] + b[1])], dim=-1
            ),
            "no memory",
        ),
        (
            lambda x, W_ih, W_hh, b: torch.cat(both(x, W_ih, W_hh.transpose(1, 2), b), dim=-1),
            "transposed",
        ),
        (lambda x, W_ih, W_hh: x, "it is called as fn(x, W_ih, W_hh, b)"),  # forgot b
    ]
)


# --------------------------------------------------------------------------- plausible wrong
# answers (not the registered mistakes), each with a word its diagnosis must contain


@exercise_cases.wrong_answer("bidirectional_rnn", "reset h to zeros")
def not_reset_between_directions(x, W_ih, W_hh, b):
    """The second loop goes on from the first loop's last state instead of zeros."""
    seq = x.shape[0]
    h, forward = torch.zeros(W_hh.shape[-1]), []
    for t in range(seq):
        h = torch.tanh(x[t] @ W_ih[0] + h @ W_hh[0] + b[0])
        forward.append(h)
    backward = [None] * seq
    for t in reversed(range(seq)):
        h = torch.tanh(x[t] @ W_ih[1] + h @ W_hh[1] + b[1])
        backward[t] = h
    return torch.cat([torch.stack(forward), torch.stack(backward)], dim=-1)


def _two_loops(x, W_ih, W_hh, b, step):
    """Both directions with the learner's ``step(x_t, h, direction)``."""
    out = []
    for direction, positions in ((0, range(x.shape[0])), (1, reversed(range(x.shape[0])))):
        h, states = torch.zeros(W_hh.shape[-1]), [None] * x.shape[0]
        for t in positions:
            h = step(x[t], h, direction)
            states[t] = h
        out.append(torch.stack(states))
    return torch.cat(out, dim=-1)


@exercise_cases.wrong_answer("bidirectional_rnn", "tanh")
def relu_instead_of_tanh(x, W_ih, W_hh, b):
    return _two_loops(
        x, W_ih, W_hh, b, lambda x_t, h, i: torch.relu(x_t @ W_ih[i] + h @ W_hh[i] + b[i])
    )


@exercise_cases.wrong_answer("bidirectional_rnn", "bias goes inside the tanh")
def bias_outside_tanh(x, W_ih, W_hh, b):
    return _two_loops(
        x, W_ih, W_hh, b, lambda x_t, h, i: torch.tanh(x_t @ W_ih[i] + h @ W_hh[i]) + b[i]
    )


@exercise_cases.wrong_answer("bidirectional_rnn", "W_hh[1]")
def copy_paste_W_hh(x, W_ih, W_hh, b):
    """The second loop was copied from the first and W_hh[0] was not changed to W_hh[1]."""
    return _two_loops(
        x, W_ih, W_hh, b, lambda x_t, h, i: torch.tanh(x_t @ W_ih[i] + h @ W_hh[0] + b[i])
    )


@exercise_cases.wrong_answer("bidirectional_rnn", "W_ih[1]")
def copy_paste_W_ih(x, W_ih, W_hh, b):
    """The second loop kept W_ih[0]."""
    return _two_loops(
        x, W_ih, W_hh, b, lambda x_t, h, i: torch.tanh(x_t @ W_ih[0] + h @ W_hh[i] + b[i])
    )


@exercise_cases.wrong_answer("bidirectional_rnn", "range(seq - 1, -1, -1)")
def misses_position_zero(x, W_ih, W_hh, b):
    """The right-to-left loop stops at position 1: range(seq - 1, 0, -1)."""
    seq = x.shape[0]
    h, forward = torch.zeros(W_hh.shape[-1]), []
    for t in range(seq):
        h = torch.tanh(x[t] @ W_ih[0] + h @ W_hh[0] + b[0])
        forward.append(h)
    h, backward = torch.zeros(W_hh.shape[-1]), []
    for t in range(seq - 1, 0, -1):
        h = torch.tanh(x[t] @ W_ih[1] + h @ W_hh[1] + b[1])
        backward.insert(0, h)
    return torch.cat([torch.stack(forward), torch.stack(backward)], dim=-1)


@exercise_cases.wrong_answer("bidirectional_rnn", "W_ih alone is (2, d_in, d_h)")
def direction_not_indexed(x, W_ih, W_hh, b):
    """W_ih, W_hh and b used whole, (2, ...), as if they were one direction's."""
    h, states = torch.zeros(W_hh.shape[-1]), []
    for t in range(x.shape[0]):
        h = torch.tanh(x[t] @ W_ih + h @ W_hh + b)
        states.append(h)
    return torch.stack(states).flatten(1)


@exercise_cases.wrong_answer("bidirectional_rnn", "bias_hh")
def torch_rnn_random_bias_hh(x, W_ih, W_hh, b):
    """nn.RNN with the weights copied in, but its second bias left at its random init."""
    rnn = nn.RNN(x.shape[1], W_hh.shape[-1], bidirectional=True)
    with torch.no_grad():
        rnn.weight_ih_l0.copy_(W_ih[0].T)
        rnn.weight_hh_l0.copy_(W_hh[0].T)
        rnn.bias_ih_l0.copy_(b[0])
        rnn.weight_ih_l0_reverse.copy_(W_ih[1].T)
        rnn.weight_hh_l0_reverse.copy_(W_hh[1].T)
        rnn.bias_ih_l0_reverse.copy_(b[1])
        return rnn(x)[0]


@exercise_cases.wrong_answer("bidirectional_rnn", "tanh")
def sigmoid_step(x, W_ih, W_hh, b):
    return _two_loops(
        x, W_ih, W_hh, b, lambda x_t, h, i: torch.sigmoid(x_t @ W_ih[i] + h @ W_hh[i] + b[i])
    )


@exercise_cases.wrong_answer("bidirectional_rnn", "h starts at zeros")
def previous_direction_state(x, W_ih, W_hh, b):
    """Each step of the right-to-left loop reads the left-to-right state of the same position."""
    forward = _two_loops(
        x, W_ih, W_hh, b, lambda x_t, h, i: torch.tanh(x_t @ W_ih[i] + h @ W_hh[i] + b[i])
    )[:, : W_hh.shape[-1]]
    backward = torch.stack(
        [torch.tanh(x[t] @ W_ih[1] + forward[t] @ W_hh[1] + b[1]) for t in range(x.shape[0])]
    )
    return torch.cat([forward, backward], dim=-1)


WRONG_ANSWERS = exercise_cases.wrong_answers_in(globals())
test_wrong_answers_fail = exercise_cases.wrong_answers_fail(WRONG_ANSWERS)
