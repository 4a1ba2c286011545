"""Exercises of notebook 08 (self-attention vs RNN): ``bidirectional_rnn``."""

from __future__ import annotations

import torch
from torch import nn

from helpers.exercises._registry import Mistake, Tester, exercise


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


@exercise(
    "bidirectional_rnn",
    solution=bidirectional_rnn_reference,
    returns="Tensor (seq, 2*d_h)",
    reference="torch.nn.RNN(bidirectional=True)",
    mistakes=BIRNN_MISTAKES,
)
def check_bidirectional_rnn(t: Tester) -> None:
    """Two tanh RNNs, left to right and right to left, their states concatenated per position."""
    # seq, d_in and d_h all differ, so a transposed input or weight cannot fit.
    for seq, d_in, d_h in ((5, 3, 4), (7, 2, 6), (1, 4, 3)):
        x = t.randn(seq, d_in)
        W_ih, W_hh, b = t.randn(2, d_in, d_h), 0.5 * t.randn(2, d_h, d_h), t.randn(2, d_h)
        t.expect((x, W_ih, W_hh, b), bidirectional_rnn_reference(x, W_ih, W_hh, b))
