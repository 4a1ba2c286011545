"""Exercises of notebook 04 (positional encoding).

``sinusoidal_encoding`` and ``relative_rotation`` (code), and the hints of the two questions
``pe_dot_products`` (predict) and ``pe_longer_than_trained`` (explain).
"""

from __future__ import annotations

import math

import torch

import helpers
from helpers.exercises._registry import Diagnosis, Mistake, Tester, exercise
from helpers.exercises.guidance import question


def _encoding(
    n_positions: int,
    d_model: int,
    *,
    base: float = 10000.0,
    exponent: str = "2i",  # "2i" (right), "i" (pair), "j" (column), "4i" or "zero" (2i // d)
    first_position: int = 0,
    swap_sin_cos: bool = False,
    sin_only: bool = False,
    halves: bool = False,
    multiply: bool = False,
) -> torch.Tensor:
    """The sinusoidal table (float64), right by default, with one classic mistake switched on."""
    positions = torch.arange(first_position, first_position + n_positions, dtype=torch.float64)
    column = torch.arange(d_model, dtype=torch.float64)  # j
    pair = torch.div(column, 2, rounding_mode="floor")  # i = j // 2
    power = {"2i": 2 * pair, "i": pair, "j": column, "4i": 4 * pair, "zero": 0 * pair}[exponent]
    power = power / d_model
    frequency = base**power if multiply else base**-power  # (d_model,)
    angles = positions[:, None] * frequency  # (n_positions, d_model)
    use_sin = column % 2 == 0  # even columns sin, odd columns cos
    if sin_only:
        use_sin = torch.ones_like(use_sin)
    if swap_sin_cos:
        use_sin = ~use_sin
    if halves:  # first half sin, second half cos, each with the frequencies of the pairs
        half = d_model // 2
        angles = torch.cat([angles[:, 0::2], angles[:, 0::2]], dim=1)
        use_sin = column < half
    return torch.where(use_sin, torch.sin(angles), torch.cos(angles))


SINUSOIDAL_MISTAKES = (
    Mistake(
        "integer_division",
        "integer division in the exponent: `2 * i // d_model` is 0 for every pair i < d_model / 2 "
        "(`//` rounds down), so every pair gets the frequency 1 and all columns repeat the "
        "fastest wave; divide with `/` (on a float tensor): 10000 ** (2 * i / d_model)",
        lambda n_positions, d_model: _encoding(n_positions, d_model, exponent="zero"),
    ),
    Mistake(
        "exponent_4i",
        "the exponent is 4i/d_model instead of 2i/d_model: `torch.arange(0, d_model, 2)` already "
        "holds 2i (0, 2, 4, ...), so multiplying it by 2 again doubles the exponent (as if the "
        "base were 10000² = 10⁸)",
        lambda n_positions, d_model: _encoding(n_positions, d_model, exponent="4i"),
    ),
    Mistake(
        "cos_missing",
        "the odd columns hold sin too: the cos is missing. Even columns 2i hold sin(p w_i), odd "
        "columns 2i+1 hold cos(p w_i) of the same angle (pe[:, 1::2] = torch.cos(angles))",
        lambda n_positions, d_model: _encoding(n_positions, d_model, sin_only=True),
    ),
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
    hints=(
        "Build two broadcastable pieces: a column of positions p, shape (n_positions, 1), and a "
        "row of frequencies w_i = 1 / 10000^(2i / d_model) for i = 0 .. d_model/2 - 1, shape "
        "(1, d_model / 2). Their product is the (n_positions, d_model / 2) table of angles.",
        "`torch.arange(0, d_model, 2)` gives 2i directly (do not multiply it by 2 again), and "
        "use `/`, not `//`, in the exponent. Then fill the even columns with `pe[:, 0::2] = "
        "torch.sin(angles)` and the odd ones with `pe[:, 1::2] = torch.cos(angles)`.",
        "positions = torch.arange(n_positions, dtype=torch.float32)[:, None]; two_i = "
        "torch.arange(0, d_model, 2, dtype=torch.float32); angles = positions * 10000.0 ** "
        "(-two_i / d_model); pe = torch.zeros(n_positions, d_model); then the two slices.",
    ),
    diagnosis=Diagnosis(seq_dim=-2),
    error_hints=(
        (
            ("must match the size of tensor", "shape mismatch"),
            "the (n_positions, d_model / 2) angles fill half the columns each: "
            "`pe[:, 0::2] = torch.sin(angles)` and `pe[:, 1::2] = torch.cos(angles)`, with "
            "angles = positions (n_positions, 1) times frequencies (1, d_model / 2)",
        ),
    ),
)
def check_sinusoidal_encoding(t: Tester) -> None:
    """The (n_positions, d_model) sinusoidal positional-encoding table with base 10000."""
    # The first case keeps every angle small (< 400 rad) so that a float32 answer of a mistake
    # with huge angles (frequency multiplied) still matches its float64 variant.
    for n_positions, d_model in ((5, 4), (7, 6), (12, 16), (30, 8)):
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


def _rotation(
    angle: float,
    *,
    transposed: bool = False,
    signs: bool = True,
    swap: bool = False,
    both_minus: bool = False,
):
    angle = torch.tensor(angle, dtype=torch.float64)
    cos, sin = float(torch.cos(angle)), float(torch.sin(angle))
    if swap:  # sin on the diagonal instead of cos
        cos, sin = sin, cos
    minus = -1.0 if signs else 1.0
    lower = -sin if both_minus else sin
    block = torch.tensor([[cos, minus * sin], [lower, cos]], dtype=torch.float64)
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
        "two_minus_signs",
        "both sin(kw) entries are negative: that matrix is not a rotation (its determinant is "
        "cos² - sin², not 1). Only the top-right entry is -sin(kw), from cos((p+k)w) = "
        "cos(pw)cos(kw) - sin(pw)sin(kw); sin((p+k)w) = sin(pw)cos(kw) + cos(pw)sin(kw) has a plus",
        lambda offset, frequency: _rotation(offset * frequency, both_minus=True),
    ),
    Mistake(
        "two_pi",
        "you multiplied the angle by 2π: `frequency` is already the angle per position, in "
        "radians (w_i, not cycles per position), so the angle is offset * frequency",
        lambda offset, frequency: _rotation(2 * math.pi * offset * frequency),
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
    hints=(
        "Write the two angle-addition formulas of section 6 for sin((p+k)w) and cos((p+k)w). "
        "Each is a combination of sin(pw) and cos(pw) with coefficients that depend only on kw: "
        "those four coefficients are the entries of R.",
        "With a row vector on the left, [s, c] @ R, column 0 of R makes the new sin and column 1 "
        "the new cos. So column 0 is (cos kw, sin kw) and column 1 is (-sin kw, cos kw). "
        "Check: offset 0 must give the identity.",
        "angle = offset * frequency; return torch.tensor([[math.cos(angle), -math.sin(angle)], "
        "[math.sin(angle), math.cos(angle)]])",
    ),
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


# --------------------------------------------------------------------------- questions

question(
    "pe_dot_products",
    module=__name__,
    hints=(
        "Each (sin, cos) pair of PE[p] is a point on the unit circle. What is the squared length "
        "of a point on the unit circle? How many pairs does a d_model = 10 row have?",
        "PE[p]·PE[p+k] = Σ_i [sin(pw_i)sin((p+k)w_i) + cos(pw_i)cos((p+k)w_i)] = Σ_i cos(k w_i). "
        "Is cos an even function? What does that say about k = 3 and k = -3, and hence about the "
        "direction of the offset?",
    ),
)
question(
    "pe_longer_than_trained",
    module=__name__,
    hints=(
        "Section 7 tried to look up position 16 in a table with max_len = 16: what happened? "
        "Then list what one can do with the 88 extra tokens (cut, slide, extend).",
        "For the sinusoidal table: does a formula have a last row? Is the shift by k still the "
        "same M_k at position 599? But has the network ever *seen* the values the slow columns "
        "take beyond position 511?",
    ),
)
