"""Sinusoidal positional encoding (Vaswani et al., 2017) and its relative-position matrices.

Self-attention by itself does not know where a token is: permuting the tokens only permutes the
outputs. A positional encoding adds a position-dependent vector ``PE[p]`` to token ``p``:

    PE[p, 2i]     = sin(p * w_i)
    PE[p, 2i + 1] = cos(p * w_i),        w_i = 1 / base^(2i / d_model)

Low dimensions (large ``w_i``) vary fast with ``p``, high dimensions slowly, like the digits of a
clock. Because each (sin, cos) pair is a point on a circle rotating with angle ``p * w_i``,
moving ``k`` positions further is a fixed rotation: ``PE[p + k] = PE[p] @ M_k`` for every ``p``.
"""

from __future__ import annotations

import torch

from .validation import check_even_d_model, check_int, check_positive_number


def _frequencies(d_model: int, base: float) -> torch.Tensor:
    """``w_i = base^(-2i / d_model)`` for ``i = 0 .. ceil(d_model / 2) - 1``, in float64."""
    two_i = torch.arange(0, d_model, 2, dtype=torch.float64)  # (ceil(d_model / 2),)
    return float(base) ** (-two_i / d_model)


def sinusoidal_encoding(n_positions: int, d_model: int, base: float = 10000.0) -> torch.Tensor:
    """The sinusoidal positional-encoding table ``PE``, shape ``(n_positions, d_model)``, float32.

        PE[p, 2i]     = sin(p / base^(2i / d_model))
        PE[p, 2i + 1] = cos(p / base^(2i / d_model))

    For an odd ``d_model`` the last column is a sine without its cosine partner.
    Computed in float64 and rounded once to float32.
    """
    check_int(n_positions, "n_positions", minimum=1)
    check_int(d_model, "d_model", minimum=1)
    check_positive_number(base, "base")
    positions = torch.arange(n_positions, dtype=torch.float64).unsqueeze(1)  # (n_positions, 1)
    angles = positions * _frequencies(d_model, base)  # (n_positions, ceil(d_model / 2))
    encoding = torch.zeros(n_positions, d_model, dtype=torch.float64)
    encoding[:, 0::2] = torch.sin(angles)
    encoding[:, 1::2] = torch.cos(angles[:, : d_model // 2])
    return encoding.float()


def relative_position_matrix(offset: int, d_model: int, base: float = 10000.0) -> torch.Tensor:
    """The matrix ``M`` ``(d_model, d_model)`` with ``PE[p + offset] = PE[p] @ M`` for every ``p``.

    Each (sin, cos) pair of frequency ``w`` is rotated by the angle ``offset * w``:

        sin((p + k) w) = sin(p w) cos(k w) + cos(p w) sin(k w)
        cos((p + k) w) = cos(p w) cos(k w) - sin(p w) sin(k w)

    so ``M`` is block diagonal with blocks ``[[cos(k w), -sin(k w)], [sin(k w), cos(k w)]]``
    (row vector times matrix). ``M`` does not depend on ``p``: the encoding of a position
    ``offset`` steps away is a *linear* function of the current one. ``offset`` may be negative.

    An odd ``d_model`` raises ``ValueError``: the last column ``sin(p w)`` has no ``cos(p w)``
    partner, and ``sin((p + k) w)`` needs it. The sequences ``sin(p w_i)`` and ``cos(p w_i)`` for
    distinct frequencies are linearly independent over ``p = 0, 1, 2, ...``, so no other column can
    stand in for the missing cosine and no exact matrix exists (except for ``offset = 0``).
    """
    check_int(offset, "offset")
    check_even_d_model(d_model)
    check_positive_number(base, "base")
    angles = offset * _frequencies(d_model, base)  # (d_model / 2,)
    cos, sin = torch.cos(angles), torch.sin(angles)
    matrix = torch.zeros(d_model, d_model, dtype=torch.float64)
    sin_rows = torch.arange(0, d_model, 2)  # index of each pair's sin column
    cos_rows = sin_rows + 1  # index of each pair's cos column
    matrix[sin_rows, sin_rows] = cos  # new sin gets  sin * cos(kw)
    matrix[cos_rows, sin_rows] = sin  #             + cos * sin(kw)
    matrix[sin_rows, cos_rows] = -sin  # new cos gets -sin * sin(kw)
    matrix[cos_rows, cos_rows] = cos  #             + cos * cos(kw)
    return matrix.float()
