"""Exercises of notebook 00 (the input is a set of vectors): ``window_features``, and the hints of
its explain/predict questions ``window_predict`` and ``window_explain``.

``window_features`` is a transfer task: the lesson builds windows of one-hot tokens, one batch of
token ids, padded with a PAD token. The exercise asks for the same idea on a batch of real-valued
frames, ``(batch, seq, d)``, padded the way speech toolkits splice frames: the first and last
frames are repeated beyond the ends.
"""

from __future__ import annotations

import torch

from helpers.exercises._registry import Diagnosis, Mistake, Tester, exercise
from helpers.exercises.guidance import question


def window_features_reference(x: torch.Tensor, h: int) -> torch.Tensor:
    """(batch, seq, d) -> (batch, seq, (2h+1)*d): row t is x[t-h], ..., x[t+h] concatenated.

    Positions before the start repeat the first frame, positions after the end the last frame
    (edge replication, as speech toolkits splice frames). Concatenation is position-major: the
    first ``d`` numbers of a row are ``x[t-h]`` (or the first frame, if ``t-h < 0``).
    """
    seq = x.shape[-2]
    offsets = torch.arange(-h, h + 1)  # (2h+1,)
    index = (torch.arange(seq)[:, None] + offsets[None, :]).clamp(0, seq - 1)  # (seq, 2h+1)
    return x[..., index, :].flatten(-2)  # (batch, seq, 2h+1, d) -> (batch, seq, (2h+1)*d)


def _zero_padded(x, h):
    padded = torch.nn.functional.pad(x, (0, 0, h, h))  # zeros beyond the ends
    windows = padded.unfold(-2, 2 * h + 1, 1)  # (batch, seq, d, 2h+1)
    return windows.transpose(-1, -2).flatten(-2)


def _feature_major(x, h):
    padded = x[..., (torch.arange(x.shape[-2] + 2 * h) - h).clamp(0, x.shape[-2] - 1), :]
    return padded.unfold(-2, 2 * h + 1, 1).flatten(-2)  # (batch, seq, d, 2h+1): no transpose


def _reversed_window(x, h):
    seq = x.shape[-2]
    offsets = torch.arange(h, -h - 1, -1)  # x[t+h] first
    index = (torch.arange(seq)[:, None] + offsets[None, :]).clamp(0, seq - 1)
    return x[..., index, :].flatten(-2)


def _wrap_around(x, h):
    return torch.cat([torch.roll(x, shifts=-offset, dims=-2) for offset in range(-h, h + 1)], -1)


WINDOW_MISTAKES = (
    Mistake(
        "zero_padded",
        "zero padding: the positions beyond the ends must repeat the edge frame (x[0] before "
        "the start, x[seq-1] after the end), not be zeros — clamp the positions to "
        "[0, seq-1], or pad with mode='replicate'",
        _zero_padded,
    ),
    Mistake(
        "feature_major",
        "the numbers are right but in the wrong order: concatenate whole frames, x[t-h] first, "
        "then x[t-h+1], ..., x[t+h] (position-major), not feature by feature. `Tensor.unfold` "
        "puts the window last: transpose it before flattening",
        _feature_major,
    ),
    Mistake(
        "reversed",
        "your window runs backwards: start with the left neighbour x[t-h] and end with x[t+h]",
        _reversed_window,
    ),
    Mistake(
        "wrap_around",
        "your window wraps around the ends (torch.roll): positions before the start or after "
        "the end must repeat the edge frame, not take frames from the other end of the sequence",
        _wrap_around,
    ),
)


@exercise(
    "window_features",
    solution=window_features_reference,
    reference="the edge-replicated window x[t-h], ..., x[t+h]",
    mistakes=WINDOW_MISTAKES,
    hints=(
        "Work out the positions first: row t needs the frames at t-h, ..., t+h. Build that "
        "(seq, 2h+1) table of positions with two aranges and broadcasting, and think about what "
        "the positions below 0 and above seq-1 must become.",
        "Clamp the positions to [0, seq-1] (`.clamp(0, seq - 1)`): that is the edge "
        "replication. Indexing the sequence dimension with the table, `x[:, index]`, gives "
        "(batch, seq, 2h+1, d); the batch dimension comes along for free.",
        "`index = (torch.arange(seq)[:, None] + torch.arange(-h, h + 1)[None, :]).clamp(0, "
        "seq - 1)`, then `x[:, index].flatten(2)`, with `seq = x.shape[1]`.",
    ),
    diagnosis=Diagnosis(seq_dim=-2),
    error_hints=(
        (
            ("out of bounds", "out of range"),
            "an index beyond the end of a dimension: index the sequence dimension (dim 1, "
            "`x[:, index]`, not `x[index]`, which indexes the batch), and clamp the positions to "
            "[0, seq-1] (edge replication) before indexing",
        ),
        (
            ("Padding size should be less than",),
            "mode='reflect' needs a pad smaller than the sequence; edge replication is "
            "mode='replicate' (or clamp the positions)",
        ),
    ),
)
def check_window_features(t: Tester) -> None:
    """A batch of frame sequences: each frame with h neighbours per side, edges repeated."""
    # batch, seq and d all differ; the last case has a window wider than the sequence.
    for batch, seq, d, h in ((2, 6, 3, 1), (3, 8, 2, 2), (1, 5, 4, 0), (2, 3, 1, 4)):
        x = t.randn(batch, seq, d)  # (batch, seq, d)
        t.expect((x, h), window_features_reference(x, h))


# --------------------------------------------------------------------------- questions

question(
    "window_predict",
    module=__name__,
    hints=(
        "A window network at position t sees exactly the tokens t-h, ..., t+h: where that "
        "window does not contain token 10, the label is unrelated to the input, and the best "
        "the network can do is guess. Which positions are those, and what is a guess worth?",
        "Seeing token 10 is not enough: one network serves every position, so it must also know "
        "*which* of its 2h+1 slots holds token 10. What in a window tells the network where it "
        "is? (Section 5: the PAD token.) Which of the positions that see token 10 also see PAD?",
    ),
)

question(
    "window_explain",
    module=__name__,
    hints=(
        "Think about a test sequence longer than every training sequence, and about the "
        "size of the first layer as the window grows.",
        "The first layer has (2h+1)·(vocabulary+1) inputs per hidden unit (the parameter "
        "table of section 5): more weights to fit from the same data means overfitting; and "
        "a window fixed when the network is built is again too short for a longer sequence.",
    ),
)
