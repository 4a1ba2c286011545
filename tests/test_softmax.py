"""helpers.softmax against torch.softmax: stability, masks, fully masked rows, gradients."""

import math

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from torch.testing import assert_close

from helpers import softmax


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2])
def test_matches_torch_along_every_dim(dim):
    torch.manual_seed(0)
    x = torch.randn(2, 3, 5)  # non-square: a wrong dim cannot pass by accident
    assert_close(softmax(x, dim=dim), torch.softmax(x, dim=dim))


def test_large_logits_do_not_overflow():
    x = torch.tensor(
        [
            [1e4, 0.0, -1e4, 1e4 - 1.0],
            [-1e4, -1e4 + 1.0, -1e4 + 2.0, -1e4],
            [1e4, 1e4, 1e4, 1e4],
        ]
    )
    weights = softmax(x)
    assert torch.isfinite(weights).all()
    assert_close(weights, torch.softmax(x, dim=-1))
    assert_close(weights[2], torch.full((4,), 0.25))


def test_mask_gives_exact_zeros_and_renormalises():
    torch.manual_seed(1)
    x = torch.randn(3, 4, 5)
    mask = torch.rand(4, 5) > 0.4  # broadcast over the leading dimension
    mask[:, 0] = True  # every row keeps something
    weights = softmax(x, mask=mask)

    assert (weights.masked_select(~mask.expand_as(x)) == 0).all()
    reference = torch.softmax(x.masked_fill(~mask, float("-inf")), dim=-1)
    assert_close(weights, reference)
    assert_close(weights.sum(-1), torch.ones(3, 4))


def test_mask_matches_independent_computation():
    x = torch.tensor([[1.0, 2.0, 3.0], [0.5, -1.0, 2.0]])
    mask = torch.tensor([[True, False, True], [False, True, True]])
    row0 = [math.exp(1.0), 0.0, math.exp(3.0)]  # exp of the kept scores, 0 for masked ones
    row1 = [0.0, math.exp(-1.0), math.exp(2.0)]
    expected = torch.tensor([[e / sum(row) for e in row] for row in (row0, row1)])
    assert_close(softmax(x, mask=mask), expected)


def test_mask_along_other_dim():
    torch.manual_seed(2)
    x = torch.randn(4, 3)
    mask = torch.tensor([True, False, True, True]).unsqueeze(1)  # (4, 1): mask rows, dim=0
    weights = softmax(x, dim=0, mask=mask)
    assert (weights[1] == 0).all()
    assert_close(weights.sum(0), torch.ones(3))


def test_fully_masked_rows_are_zero_with_finite_gradients():
    torch.manual_seed(3)
    x = torch.randn(2, 3, 4, requires_grad=True)
    mask = torch.ones(2, 3, 4, dtype=torch.bool)
    mask[0, 1] = False  # nothing kept in this row
    mask[1, 2, :3] = False  # one key left in this row
    weights = softmax(x, mask=mask)

    assert torch.isfinite(weights).all()
    assert (weights[0, 1] == 0).all()
    assert_close(weights[1, 2], torch.tensor([0.0, 0.0, 0.0, 1.0]))

    (weights * torch.randn(2, 3, 4)).sum().backward()
    assert torch.isfinite(x.grad).all()
    assert (x.grad[0, 1] == 0).all()


def test_all_masked_everything_is_zero():
    x = torch.randn(3, 5, requires_grad=True)
    weights = softmax(x, mask=torch.zeros(3, 5, dtype=torch.bool))
    assert (weights == 0).all()
    weights.sum().backward()
    assert (x.grad == 0).all()


@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_gradient_matches_torch(scale):
    torch.manual_seed(4)
    x = (torch.randn(3, 6) * scale).requires_grad_()
    x_ref = x.detach().clone().requires_grad_()
    upstream = torch.randn(3, 6)
    (softmax(x) * upstream).sum().backward()
    (torch.softmax(x_ref, dim=-1) * upstream).sum().backward()
    assert_close(x.grad, x_ref.grad)


def test_keeps_dtype():
    x = torch.randn(2, 3, dtype=torch.float64)
    assert softmax(x).dtype == torch.float64


@settings(max_examples=50, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 4), st.integers(1, 6)),
        elements=st.floats(-1e4, 1e4, allow_nan=False),
    ),
    st.data(),
)
def test_property_weights_are_a_distribution_over_kept_entries(scores, data):
    mask = data.draw(arrays(np.bool_, scores.shape))
    x, keep = torch.from_numpy(scores), torch.from_numpy(mask)
    weights = softmax(x, mask=keep)

    assert (weights >= 0).all()
    assert (weights[~keep] == 0).all()
    expected_sums = keep.any(-1).double()  # 1 where something is kept, 0 otherwise
    assert_close(weights.sum(-1), expected_sums)
