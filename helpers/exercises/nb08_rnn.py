"""Exercises of notebook 08 (self-attention vs RNN): ``bidirectional_rnn``, and the hints of
the predict questions ``bidirectional_path`` and ``memory_wall``.

Beyond the registered mistakes, the checker compares the two halves of the output separately
(left-to-right states, right-to-left states) and the first step of each direction (which reads
one input from the zero state): a wrong answer is told *which* direction is wrong, and whether
the error starts at the first step (input weights, bias, nonlinearity, initial state) or after
it (the recurrence).
"""

from __future__ import annotations

import torch
from torch import nn

from helpers.exercises import diagnose
from helpers.exercises._registry import TOLERANCES, Diagnosis, Mistake, Tester, exercise
from helpers.exercises.guidance import question
from helpers.exercises.language import tr


def bidirectional_rnn_reference(
    x: torch.Tensor, W_ih: torch.Tensor, W_hh: torch.Tensor, b: torch.Tensor
) -> torch.Tensor:
    """``nn.RNN(bidirectional=True)`` with the given weights: (seq, d_in) -> (seq, 2 * d_h).

    Index 0 of ``W_ih (2, d_in, d_h)``, ``W_hh (2, d_h, d_h)``, ``b (2, d_h)`` is the
    left-to-right RNN, index 1 the right-to-left one. Rows are tokens: ``h_t = tanh(x_t W_ih +
    h_{t-1} W_hh + b)``, while ``nn.RNN`` stores the transposed matrices.
    """
    d_in, d_h = W_ih.shape[1], W_ih.shape[2]
    with torch.random.fork_rng(devices=[]):  # its random initial weights: not the learner's RNG
        rnn = nn.RNN(d_in, d_h, bidirectional=True, dtype=x.dtype)
    with torch.no_grad():
        for direction, suffix in enumerate(("", "_reverse")):
            getattr(rnn, f"weight_ih_l0{suffix}").copy_(W_ih[direction].T)
            getattr(rnn, f"weight_hh_l0{suffix}").copy_(W_hh[direction].T)
            getattr(rnn, f"bias_ih_l0{suffix}").copy_(b[direction])
            getattr(rnn, f"bias_hh_l0{suffix}").zero_()
        output, _ = rnn(x)  # unbatched input (seq, d_in) -> (seq, 2 * d_h)
    return output


def _direction(x, W_ih, W_hh, b, reverse=False, tanh=True, recurrent=True):
    """One RNN direction over x (seq, d_in): its states in position order, (seq, d_h)."""
    states = [None] * x.shape[0]
    h = x.new_zeros(W_hh.shape[-1])  # (d_h,)
    for t in reversed(range(x.shape[0])) if reverse else range(x.shape[0]):
        pre = x[t] @ W_ih + b + (h @ W_hh if recurrent else 0)
        h = torch.tanh(pre) if tanh else pre
        states[t] = h
    return torch.stack(states)


def _variant(how: str):
    """A wrong bidirectional RNN, as a learner might write it (``how`` names the slip)."""

    def fn(x, W_ih, W_hh, b):
        second = 0 if how == "same_weights" else 1
        if how == "W_hh_transposed":
            W_hh = W_hh.transpose(-2, -1)
        options = {"tanh": how != "no_tanh", "recurrent": how != "no_recurrence"}
        forward = _direction(x, W_ih[0], W_hh[0], b[0], **options)
        backward = _direction(
            x, W_ih[second], W_hh[second], b[second], reverse=how != "both_left_to_right", **options
        )
        if how == "not_reordered":  # kept in the order they were computed
            backward = backward.flip(0)
        if how == "previous_state":  # the state *before* each step: h_{t-1}, not h_t
            zeros = x.new_zeros(1, W_hh.shape[-1])
            forward = torch.cat([zeros, forward[:-1]])
            backward = torch.cat([backward[1:], zeros])
        if how == "forward_only":
            return forward
        if how == "stacked":
            return torch.stack([forward, backward])  # (2, seq, d_h)
        if how == "swapped_halves":
            return torch.cat([backward, forward], dim=-1)
        return torch.cat([forward, backward], dim=-1)  # (seq, 2 * d_h)

    return fn


BIRNN_MISTAKES = (
    Mistake(
        "forward_only",
        "you returned only the left-to-right states (seq, d_h): also run the second RNN, from "
        "the last position to the first, and concatenate its states along the last dimension "
        "to get (seq, 2*d_h)",
        _variant("forward_only"),
    ),
    Mistake(
        "stacked",
        "you stacked the two directions into (2, seq, d_h): concatenate them along the feature "
        "dimension instead (torch.cat(..., dim=-1)), so that row t is [h_fwd_t, h_bwd_t]",
        _variant("stacked"),
    ),
    Mistake(
        "swapped_halves",
        "the two halves are swapped: row t must be [left-to-right state, right-to-left state], "
        "in that order",
        _variant("swapped_halves"),
    ),
    Mistake(
        "not_reordered",
        "the right-to-left states are in the order you computed them (position seq-1 first): "
        "reverse that list, so that row t holds the state that has just read x_t",
        _variant("not_reordered"),
    ),
    Mistake(
        "both_left_to_right",
        "your second RNN also reads left to right: it must start at the last position and move "
        "to the first (for t in reversed(range(seq)))",
        _variant("both_left_to_right"),
    ),
    Mistake(
        "same_weights",
        "both directions use the weights of index 0: the right-to-left RNN has its own weights, "
        "W_ih[1], W_hh[1] and b[1]",
        _variant("same_weights"),
    ),
    Mistake(
        "no_tanh",
        "missing the tanh: each step is h_t = tanh(x_t W_ih + h_{t-1} W_hh + b)",
        _variant("no_tanh"),
    ),
    Mistake(
        "no_recurrence",
        "your states ignore the previous hidden state: without the h_{t-1} W_hh term there is "
        "no memory, each h_t sees only x_t. Update h inside the loop and feed it to the next step",
        _variant("no_recurrence"),
    ),
    Mistake(
        "W_hh_transposed",
        "W_hh is transposed: rows are tokens, so the recurrent term is h_{t-1} @ W_hh "
        "(a row vector times the matrix), not h_{t-1} @ W_hh.T or W_hh @ h_{t-1}",
        _variant("W_hh_transposed"),
    ),
    Mistake(
        "previous_state",
        "off by one: you return the state before each step (starting with the zero state). "
        "Row t must hold the state after reading x_t",
        _variant("previous_state"),
    ),
)


def _halves(got: torch.Tensor, expected: torch.Tensor, d_h: int) -> str | None:
    """Which direction is wrong, and does its error start at the first step or after it?"""
    rtol, atol = TOLERANCES[expected.dtype]

    def ok(a: torch.Tensor, b: torch.Tensor) -> bool:
        return diagnose.close(a, b, rtol, atol)

    forward_ok = ok(got[:, :d_h], expected[:, :d_h])
    backward_ok = ok(got[:, d_h:], expected[:, d_h:])
    # The first step of each direction reads one input from the zero state: position 0 for
    # left to right, position seq-1 for right to left.
    forward_first_ok = ok(got[0, :d_h], expected[0, :d_h])
    backward_first_ok = ok(got[-1, d_h:], expected[-1, d_h:])
    if forward_ok and not backward_ok:
        if backward_first_ok:
            return tr(
                "your left-to-right half (columns :d_h) is right; the right-to-left half is right "
                "at its first step (position seq-1) and wrong after it: its recurrence must use "
                "W_hh[1] and carry h from position t+1 to position t"
            )
        return tr(
            "your left-to-right half (columns :d_h) is right; the right-to-left half is wrong "
            "from its first step, position seq-1, which reads one input from a zero state, h = "
            "tanh(x_t @ W_ih[i] + b[i]): check the input weights and bias of that direction, the "
            "tanh, and that h starts at zeros (reset h to zeros before the second loop; use index "
            "1: W_ih[1], b[1])"
        )
    if backward_ok and not forward_ok:
        if forward_first_ok:
            return tr(
                "your right-to-left half (columns d_h:) is right; the left-to-right half is right "
                "at its first step (position 0) and wrong after it: its recurrence must use "
                "W_hh[0] and carry h from position t-1 to position t"
            )
        return tr(
            "your right-to-left half (columns d_h:) is right; the left-to-right half is wrong "
            "from its first step, position 0, which reads one input from a zero state, h = "
            "tanh(x_t @ W_ih[i] + b[i]): check the input weights and bias of that direction, the "
            "tanh, and that h starts at zeros (index 0: W_ih[0], b[0])"
        )
    if not forward_ok and not backward_ok and got.shape[0] > 1:
        if forward_first_ok and backward_first_ok:
            return tr(
                "both directions are right at their first step and wrong after it: the "
                "recurrent term is wrong — each step adds h @ W_hh[i], where h is the state "
                "the same direction computed at the previous step in its reading order"
            )
        if not forward_first_ok and not backward_first_ok:
            return tr(
                "both directions are wrong from their first step, which reads one input from a "
                "zero state, h = tanh(x_t @ W_ih[i] + b[i]): check the input weights and bias of "
                "that direction, the tanh, and that h starts at zeros (the bias goes inside the "
                "tanh; nn.RNN adds a second bias, bias_hh, that must be zero here)"
            )
    return None


def _matches_a_mistake(got: torch.Tensor, args: tuple) -> bool:
    rtol, atol = TOLERANCES.get(got.dtype, (1e-4, 1e-5))
    for mistake in BIRNN_MISTAKES:
        try:
            variant = mistake.fn(*[a.clone() for a in args])
        except Exception:
            continue
        if isinstance(variant, torch.Tensor) and diagnose.close(got, variant.detach(), rtol, atol):
            return True
    return False


def _expect_birnn(t: Tester, args: tuple, expected: torch.Tensor) -> None:
    """``t.expect``, with the per-direction diagnosis tried after the registered mistakes."""
    got = t.call(*args)
    if (
        got.shape == expected.shape
        and got.dtype == expected.dtype
        and bool(torch.isfinite(got).all())
        and not _matches_a_mistake(got, args)
    ):
        found = _halves(got, expected, d_h=args[2].shape[-1])
        if found is not None:
            t.fail(found, args)
    t.expect(args, expected)


@exercise(
    "bidirectional_rnn",
    solution=bidirectional_rnn_reference,
    returns="Tensor (seq, 2*d_h)",
    reference="torch.nn.RNN(bidirectional=True)",
    mistakes=BIRNN_MISTAKES,
    hints=(
        "Write one loop per direction, each starting from h = zeros(d_h): the first loop goes "
        "t = 0, 1, ..., seq-1 with W_ih[0], W_hh[0], b[0], the second t = seq-1, ..., 0 with "
        "index 1. Keep every state h of each loop in a list.",
        "Inside each loop: h = torch.tanh(x[t] @ W_ih[i] + h @ W_hh[i] + b[i]). The second "
        "list is in reading order (position seq-1 first): reverse it, or store each state at "
        "its position, so that entry t belongs to x_t.",
        "Return torch.cat([torch.stack(forward_states), torch.stack(backward_states)], dim=-1): "
        "(seq, d_h) and (seq, d_h) side by side give (seq, 2*d_h).",
    ),
    diagnosis=Diagnosis(seq_dim=0),
    error_hints=(
        (
            ("Sizes of tensors must match",),
            "the two directions must each give seq states of size d_h: check that both loops "
            "visit every position (right to left: range(seq - 1, -1, -1)) and concatenate "
            "along the last dimension, dim=-1",
        ),
        (
            ("stack expects each tensor to be equal size",),
            "h changed shape between steps: index the direction of every parameter "
            "(x[t] @ W_ih[0], h @ W_hh[0], b[0]); W_ih alone is (2, d_in, d_h)",
        ),
        (
            ("expected a non-empty list", "non-empty TensorList"),
            "a loop never ran: the right-to-left loop is range(seq - 1, -1, -1) or "
            "reversed(range(seq))",
        ),
    ),
)
def check_bidirectional_rnn(t: Tester) -> None:
    """Two tanh RNNs, left to right and right to left, their states concatenated per position."""
    # seq, d_in and d_h all differ, so a transposed input or weight cannot fit.
    for seq, d_in, d_h in ((5, 3, 4), (7, 2, 6), (1, 4, 3)):
        x = t.randn(seq, d_in)
        W_ih, W_hh, b = t.randn(2, d_in, d_h), 0.5 * t.randn(2, d_h, d_h), t.randn(2, d_h)
        _expect_birnn(t, (x, W_ih, W_hh, b), bidirectional_rnn_reference(x, W_ih, W_hh, b))


# --------------------------------------------------------------------------- predict questions

question(
    "bidirectional_path",
    module=__name__,
    hints=(
        "Write out what the output at position 9 holds: [h→_9, h←_9]. Which inputs has each of "
        "the two states read when it is computed?",
        "h←_9 is the first state of the right-to-left RNN: it has read only x_9. So x_0 can "
        "reach out[9] only through h→_0, h→_1, ..., h→_9. The two loops do not wait for each "
        "other.",
    ),
)

question(
    "memory_wall",
    module=__name__,
    hints=(
        "One layer keeps batch · heads attention matrices of L × L float32 numbers (4 bytes "
        "each); the GRU keeps batch · L hidden states of d numbers.",
        "32 · 8 · L² · 4 bytes = 2³⁰ bytes gives L² = 2³⁰ / 2¹⁰. Then compare 32 · L · 512 · 4 "
        "bytes, and see which formula has L², which has L.",
    ),
)
