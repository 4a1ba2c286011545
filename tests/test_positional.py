"""Sinusoidal positional encoding against the formula, and the relative-position matrices."""

import math

import pytest
import torch
from torch.testing import assert_close

from helpers import relative_position_matrix, sinusoidal_encoding


def loop_encoding(n_positions, d_model, base):
    """PE[p, 2i] = sin(p / base^(2i/d)), PE[p, 2i+1] = cos(p / base^(2i/d)), entry by entry."""
    table = torch.empty(n_positions, d_model, dtype=torch.float64)
    for p in range(n_positions):
        for column in range(d_model):
            two_i = column - column % 2
            angle = p / base ** (two_i / d_model)
            table[p, column] = math.sin(angle) if column % 2 == 0 else math.cos(angle)
    return table.float()


@pytest.mark.parametrize(("n_positions", "d_model", "base"), [(7, 6, 10000.0), (9, 5, 100.0)])
def test_encoding_matches_formula(n_positions, d_model, base):
    encoding = sinusoidal_encoding(n_positions, d_model, base=base)
    assert encoding.shape == (n_positions, d_model)
    assert encoding.dtype == torch.float32
    assert_close(encoding, loop_encoding(n_positions, d_model, base))


def test_odd_d_model_ends_with_a_sine():
    encoding = sinusoidal_encoding(20, 7)
    last_frequency = 10000.0 ** (-6 / 7)
    expected = torch.sin(torch.arange(20, dtype=torch.float64) * last_frequency).float()
    assert_close(encoding[:, -1], expected)


def test_position_zero_and_low_dimensions_vary_faster():
    encoding = sinusoidal_encoding(50, 16)
    assert_close(encoding[0], torch.tensor([0.0, 1.0] * 8))
    change = (encoding[1:] - encoding[:-1]).abs().mean(dim=0)  # (16,) mean step per column
    assert (change[0::2][:-1] > change[0::2][1:]).all()  # sines: strictly slower as i grows


@pytest.mark.parametrize("d_model", [2, 8, 16])
@pytest.mark.parametrize("offset", [-7, -1, 0, 1, 3, 25])
def test_relative_matrix_shifts_every_position(offset, d_model):
    n_positions = 120
    encoding = sinusoidal_encoding(n_positions, d_model)
    matrix = relative_position_matrix(offset, d_model)
    assert matrix.shape == (d_model, d_model) and matrix.dtype == torch.float32
    positions = [p for p in range(n_positions) if 0 <= p + offset < n_positions]
    source = encoding[positions]  # PE[p] for every valid p
    target = encoding[[p + offset for p in positions]]  # PE[p + offset]
    assert_close(source @ matrix, target, atol=2e-5, rtol=0)


def test_relative_matrix_with_custom_base_and_blocks():
    matrix = relative_position_matrix(2, 4, base=100.0)
    w0, w1 = 1.0, 100.0 ** (-2 / 4)
    expected = torch.tensor(
        [
            [math.cos(2 * w0), -math.sin(2 * w0), 0, 0],
            [math.sin(2 * w0), math.cos(2 * w0), 0, 0],
            [0, 0, math.cos(2 * w1), -math.sin(2 * w1)],
            [0, 0, math.sin(2 * w1), math.cos(2 * w1)],
        ]
    )
    assert_close(matrix, expected)
    encoding = sinusoidal_encoding(30, 4, base=100.0)
    assert_close(encoding[:-2] @ matrix, encoding[2:])


def test_relative_matrices_are_rotations_that_compose():
    m3, m4, m7 = (relative_position_matrix(k, 10) for k in (3, 4, 7))
    assert_close(m3 @ m3.T, torch.eye(10), atol=1e-6, rtol=0)
    assert_close(m3 @ m4, m7, atol=1e-6, rtol=0)
    assert_close(relative_position_matrix(-3, 10), m3.T)
    assert_close(relative_position_matrix(0, 10), torch.eye(10))


@pytest.mark.parametrize("d_model", [5, 7])
def test_odd_d_model_has_no_relative_matrix(d_model):
    with pytest.raises(ValueError, match=f"d_model={d_model} is odd"):
        relative_position_matrix(1, d_model)


@pytest.mark.parametrize("d_model", [5, 6, 7, 8])
def test_best_linear_fit_is_exact_only_for_even_d_model(d_model):
    """The reason for the ValueError: for odd d_model even the least-squares M is far off."""
    encoding = sinusoidal_encoding(300, d_model, base=10.0).double()
    offset = 3
    source, target = encoding[:-offset], encoding[offset:]
    best = torch.linalg.lstsq(source, target).solution
    worst_error = (source @ best - target).abs().max().item()
    if d_model % 2 == 0:
        assert worst_error < 1e-5
    else:
        assert worst_error > 0.1
