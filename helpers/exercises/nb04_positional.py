"""Exercises of notebook 04 (positional encoding).

``sinusoidal_encoding`` and ``relative_rotation``.
"""

from __future__ import annotations

import torch

import helpers
from helpers.exercises._registry import Mistake, Tester, exercise


def _encoding(
    n_positions: int,
    d_model: int,
    *,
    base: float = 10000.0,
    exponent: str = "2i",  # "2i" (right), "i" (pair index) or "j" (column index)
    first_position: int = 0,
    swap_sin_cos: bool = False,
    halves: bool = False,
    multiply: bool = False,
) -> torch.Tensor:
    """The sinusoidal table (float64), right by default, with one classic mistake switched on."""
    positions = torch.arange(first_position, first_position + n_positions, dtype=torch.float64)
    column = torch.arange(d_model, dtype=torch.float64)  # j
    pair = torch.div(column, 2, rounding_mode="floor")  # i = j // 2
    power = {"2i": 2 * pair, "i": pair, "j": column}[exponent] / d_model
    frequency = base**power if multiply else base**-power  # (d_model,)
    angles = positions[:, None] * frequency  # (n_positions, d_model)
    use_sin = column % 2 == 0  # even columns sin, odd columns cos
    if swap_sin_cos:
        use_sin = ~use_sin
    if halves:  # first half sin, second half cos, each with the frequencies of the pairs
        half = d_model // 2
        angles = torch.cat([angles[:, 0::2], angles[:, 0::2]], dim=1)
        use_sin = column < half
    return torch.where(use_sin, torch.sin(angles), torch.cos(angles))


SINUSOIDAL_MISTAKES = (
    Mistake(
        "sin_cos_swapped",
        "sin and cos are swapped: even columns 2i hold sin(p / base^(2i/d_model)), odd "
        "columns 2i+1 hold cos of the same angle",
        lambda n_positions, d_model: _encoding(n_positions, d_model, swap_sin_cos=True),
    ),
    Mistake(
        "exponent_i",
        "wrong exponent: you used i/d_model where the formula has 2i/d_model (i is the pair "
        "index: columns 2i and 2i+1 share the frequency 1 / base^(2i/d_model)); equivalently, "
        "a base of 100 instead of 10000",
        lambda n_positions, d_model: _encoding(n_positions, d_model, exponent="i"),
    ),
    Mistake(
        "exponent_column",
        "wrong exponent: you used the column index j in j/d_model, so the cos columns get a "
        "different frequency from their sin partner; columns 2i and 2i+1 share the exponent "
        "2i/d_model",
        lambda n_positions, d_model: _encoding(n_positions, d_model, exponent="j"),
    ),
    Mistake(
        "multiplied",
        "wrong frequency: you multiplied the position by base^(2i/d_model); divide by it: "
        "angle = p / base^(2i/d_model)",
        lambda n_positions, d_model: _encoding(n_positions, d_model, multiply=True),
    ),
    Mistake(
        "halves",
        "you put all the sin columns in the first half and the cos columns in the second; "
        "the course interleaves them: even columns sin, odd columns cos",
        lambda n_positions, d_model: _encoding(n_positions, d_model, halves=True),
    ),
    Mistake(
        "positions_from_1",
        "positions start at 0: row p of the table is position p = 0, 1, ..., n_positions - 1",
        lambda n_positions, d_model: _encoding(n_positions, d_model, first_position=1),
    ),
    *(
        Mistake(
            f"base_{int(base)}",
            f"wrong base: your frequencies match base={int(base)}; the formula uses base=10000, "
            f"angle = p / 10000^(2i/d_model)",
            lambda n_positions, d_model, base=base: _encoding(n_positions, d_model, base=base),
        )
        for base in (10.0, 1000.0, 100000.0, 1000000.0)  # base 100 is exponent_i
    ),
)


@exercise(
    "sinusoidal_encoding",
    solution=lambda n_positions, d_model: helpers.sinusoidal_encoding(n_positions, d_model),
    reference="helpers.sinusoidal_encoding",
    mistakes=SINUSOIDAL_MISTAKES,
)
def check_sinusoidal_encoding(t: Tester) -> None:
    """The (n_positions, d_model) sinusoidal positional-encoding table with base 10000."""
    for n_positions, d_model in ((7, 6), (12, 16), (30, 8)):
        expected = helpers.sinusoidal_encoding(n_positions, d_model)  # float32
        # float32 and float64 answers are both fine; float32 angles p * w carry ~1e-6 error.
        t.expect((n_positions, d_model), expected, rtol=1e-4, atol=1e-4, any_float_dtype=True)


# --------------------------------------------------------------------------- relative_rotation


def relative_rotation_reference(offset: int, frequency: float) -> torch.Tensor:
    """The (2, 2) block R with [sin(p w), cos(p w)] @ R = [sin((p+k) w), cos((p+k) w)], float64.

    R = [[cos(k w), -sin(k w)], [sin(k w), cos(k w)]] for k = offset, w = frequency: one
    diagonal block of ``helpers.relative_position_matrix``.
    """
    angle = torch.tensor(offset * frequency, dtype=torch.float64)
    cos, sin = torch.cos(angle), torch.sin(angle)
    return torch.stack([torch.stack([cos, -sin]), torch.stack([sin, cos])])


def _rotation(angle: float, *, transposed: bool = False, signs: bool = True, swap: bool = False):
    angle = torch.tensor(angle, dtype=torch.float64)
    cos, sin = float(torch.cos(angle)), float(torch.sin(angle))
    if swap:  # sin on the diagonal instead of cos
        cos, sin = sin, cos
    minus = -1.0 if signs else 1.0
    block = torch.tensor([[cos, minus * sin], [sin, cos]], dtype=torch.float64)
    return block.T if transposed else block


RELATIVE_ROTATION_MISTAKES = (
    Mistake(
        "transposed",
        "your block rotates the wrong way: it is the transpose of the right one (i.e. the "
        "rotation by -offset). It would be right for column vectors (M @ v) or for pairs "
        "ordered (cos, sin); here a row (sin, cos) is multiplied from the left, pe @ R, so "
        "R = [[cos(kw), -sin(kw)], [sin(kw), cos(kw)]]: the minus sign goes top right",
        lambda offset, frequency: _rotation(offset * frequency, transposed=True),
    ),
    Mistake(
        "no_minus_sign",
        "a sign is missing: cos((p+k)w) = cos(pw)cos(kw) - sin(pw)sin(kw), so one sin(kw) "
        "entry of the block is negative: R = [[cos(kw), -sin(kw)], [sin(kw), cos(kw)]]",
        lambda offset, frequency: _rotation(offset * frequency, signs=False),
    ),
    Mistake(
        "angle_without_offset",
        "the angle of the rotation must be offset * frequency (k w): moving k positions "
        "turns the (sin, cos) pair k times as far as moving one position",
        lambda offset, frequency: _rotation(frequency),
    ),
    Mistake(
        "angle_divided",
        "wrong angle: you divided offset by frequency; the angle is offset * frequency (k w), "
        "since the encoding's angle is p * w",
        lambda offset, frequency: _rotation(offset / frequency),
    ),
    Mistake(
        "sin_cos_swapped",
        "sin and cos are swapped in your block: cos(kw) goes on the diagonal (moving 0 "
        "positions must give the identity matrix), sin(kw) off the diagonal",
        lambda offset, frequency: _rotation(offset * frequency, swap=True),
    ),
)


@exercise(
    "relative_rotation",
    solution=relative_rotation_reference,
    reference="the rotation block [[cos(kw), -sin(kw)], [sin(kw), cos(kw)]]",
    mistakes=RELATIVE_ROTATION_MISTAKES,
)
def check_relative_rotation(t: Tester) -> None:
    """The (2, 2) rotation that moves one (sin, cos) pair of the encoding by `offset` steps."""
    # The first case catches every mistake (offset != 1, angle away from multiples of pi/2).
    for offset, frequency in ((3, 0.4), (-2, 0.3), (1, 1.0), (0, 0.7), (50, 10000.0**-0.25)):
        t.expect(
            (offset, frequency),
            relative_rotation_reference(offset, frequency),
            rtol=1e-5,
            atol=1e-6,
            any_float_dtype=True,
        )
