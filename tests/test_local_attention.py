"""helpers.local_attention against masked full attention, an explicit loop, and its cost."""

import pytest
import torch
from torch.testing import assert_close

from helpers import (
    band_to_full,
    local_attention,
    local_mask,
    scaled_dot_product_attention,
)
from helpers.core.local_attention import band_validity

# (q batch, k batch, v batch, L, d, d_v, left, right): d != d_v and left != right, so neither a
# transposed operand nor swapped sides can pass; windows that stick out at both ends.
SHAPES = [
    ((), (), (), 7, 4, 3, 2, 1),
    ((2,), (2,), (2,), 9, 5, 6, 0, 3),
    ((2, 3), (2, 3), (2, 3), 6, 4, 2, 3, 0),
    ((2, 1), (3,), (2, 1), 5, 4, 3, 7, 9),  # window wider than the sequence, broadcast batch
    ((), (), (), 1, 3, 2, 2, 2),  # a single frame
    ((3,), (3,), (3,), 8, 2, 5, 0, 0),  # each frame attends only to itself
    ((), (), (), 40, 8, 6, 5, 2),
]


def random_qkv(q_batch, k_batch, v_batch, L, d, d_v, seed=0, dtype=torch.float32):
    generator = torch.Generator().manual_seed(seed)
    q = torch.randn(*q_batch, L, d, generator=generator, dtype=dtype)
    k = torch.randn(*k_batch, L, d, generator=generator, dtype=dtype)
    v = torch.randn(*v_batch, L, d_v, generator=generator, dtype=dtype)
    return q, k, v


@pytest.mark.parametrize(("qb", "kb", "vb", "L", "d", "d_v", "left", "right"), SHAPES)
def test_equals_masked_full_attention(qb, kb, vb, L, d, d_v, left, right):
    q, k, v = random_qkv(qb, kb, vb, L, d, d_v)
    output, band = local_attention(q, k, v, left, right, return_weights=True)
    expected, weights = scaled_dot_product_attention(
        q, k, v, mask=local_mask(L, left, right), return_weights=True
    )
    assert output.shape == expected.shape
    assert band.shape == (*weights.shape[:-1], left + right + 1)
    assert_close(output, expected, rtol=1e-5, atol=1e-5)
    assert_close(band_to_full(band, left, right), weights, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize(("left", "right"), [(2, 1), (0, 3), (4, 0)])
def test_equals_torch_masked_attention_in_float64(left, right):
    q, k, v = random_qkv((2, 3), (2, 3), (2, 3), 11, 6, 5, seed=1, dtype=torch.float64)
    expected = torch.nn.functional.scaled_dot_product_attention(
        q, k, v, attn_mask=local_mask(11, left, right)
    )
    assert_close(local_attention(q, k, v, left, right), expected)


def test_matches_an_explicit_loop_over_the_window():
    q, k, v = random_qkv((), (), (), 10, 3, 4, seed=2)
    left, right, scale = 3, 1, 0.7
    output = local_attention(q, k, v, left, right, scale=scale)
    for i in range(10):
        keys = range(max(0, i - left), min(10, i + right + 1))
        scores = torch.stack([q[i] @ k[j] * scale for j in keys])
        expected = sum(w * v[j] for w, j in zip(torch.softmax(scores, 0), keys, strict=True))
        assert_close(output[i], expected)


def test_band_layout_and_edges():
    q, k, v = random_qkv((), (), (), 6, 4, 4, seed=3)
    _, band = local_attention(q, k, v, 2, 1, return_weights=True)
    assert band.shape == (6, 4)
    assert_close(band.sum(-1), torch.ones(6))
    valid = band_validity(6, 2, 1)
    assert torch.equal(band > 0, valid)  # exactly the keys inside the sequence get weight
    assert valid[0].tolist() == [False, False, True, True]  # frame 0 has no left neighbours
    assert valid[5].tolist() == [True, True, True, False]  # the last frame has no right one
    scores = q @ k.T / 2.0  # scale 1/sqrt(4)
    for i in range(6):
        for o in range(4):
            j = i - 2 + o
            if 0 <= j < 6:
                expected = torch.softmax(scores[i, max(0, i - 2) : i + 2], 0)[j - max(0, i - 2)]
                assert_close(band[i, o], expected)


def test_default_scale_is_one_over_sqrt_d():
    q, k, v = random_qkv((), (), (), 8, 9, 3, seed=4)
    assert_close(local_attention(q, k, v, 2, 2), local_attention(q, k, v, 2, 2, scale=1 / 3))
    assert not torch.allclose(
        local_attention(q, k, v, 2, 2, scale=1.0), local_attention(q, k, v, 2, 2)
    )


def test_gradients_match_masked_full_attention():
    q, k, v = random_qkv((2,), (2,), (2,), 12, 4, 3, seed=5)
    grads = []
    for fn in (
        lambda q, k, v: local_attention(q, k, v, 3, 1),
        lambda q, k, v: scaled_dot_product_attention(q, k, v, mask=local_mask(12, 3, 1)),
    ):
        inputs = [t.clone().requires_grad_() for t in (q, k, v)]
        fn(*inputs).pow(2).sum().backward()
        grads.append([t.grad for t in inputs])
    for local_grad, full_grad in zip(*grads, strict=True):
        assert_close(local_grad, full_grad, rtol=1e-4, atol=1e-5)


def test_outputs_depend_only_on_the_window():
    q, k, v = random_qkv((), (), (), 30, 4, 4, seed=6)
    changed_v = v.clone()
    changed_v[20] += 100.0  # frame 20 is in the window of frames 18 ... 22 only (left 2, right 2)
    changed_k = k.clone()
    changed_k[20] += 100.0
    before = local_attention(q, k, v, 2, 2)
    after = local_attention(q, changed_k, changed_v, 2, 2)
    differs = (before - after).abs().amax(-1) > 0
    assert differs.nonzero().flatten().tolist() == [18, 19, 20, 21, 22]


def test_memory_is_linear_in_length():
    # The band holds L * w numbers; masked full attention holds L * L.
    for L in (100, 1000):
        q, k, v = random_qkv((), (), (), L, 2, 2, seed=7)
        _, band = local_attention(q, k, v, 4, 4, return_weights=True)
        assert band.numel() == L * 9


def test_band_to_full_puts_each_weight_under_its_key():
    band = torch.arange(1, 13, dtype=torch.float32).reshape(4, 3)  # L = 4, left = 1, right = 1
    full = band_to_full(band, 1, 1)
    expected = torch.tensor(
        [[2, 3, 0, 0], [4, 5, 6, 0], [0, 7, 8, 9], [0, 0, 10, 11]], dtype=torch.float32
    )  # band[0, 0] and band[3, 2] point outside the sequence and are dropped
    assert_close(full, expected)
    batched = band_to_full(torch.stack([band, 2 * band]), 1, 1)
    assert_close(batched, torch.stack([expected, 2 * expected]))


def test_band_validity_matches_local_mask_shifted():
    for L, left, right in [(7, 2, 1), (5, 0, 3), (3, 4, 4)]:
        valid = band_validity(L, left, right)
        for i in range(L):
            keys = [i - left + o for o in range(left + right + 1)]
            mask_row = local_mask(L, left, right)[i]
            expected = [0 <= j < L and bool(mask_row[j]) for j in keys]
            assert valid[i].tolist() == expected


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (
            lambda: local_attention(torch.randn(5, 4), torch.randn(6, 4), torch.randn(6, 3), 1, 1),
            ["same length L", "(5, 4)", "(6, 4)"],
        ),
        (
            lambda: local_attention(torch.randn(5, 4), torch.randn(5, 3), torch.randn(5, 3), 1, 1),
            ["last dimension d", "(5, 4)", "(5, 3)"],
        ),
        (
            lambda: local_attention(torch.randn(5, 4), torch.randn(5, 4), torch.randn(5), 1, 1),
            ["v must have shape", "(5,)"],
        ),
        (
            lambda: local_attention(
                torch.randn(2, 5, 4), torch.randn(3, 5, 4), torch.randn(3, 5, 2), 1, 1
            ),
            ["do not broadcast", "(2,)", "(3,)"],
        ),
        (
            lambda: local_attention(
                torch.ones(5, 4, dtype=torch.long), torch.randn(5, 4), torch.randn(5, 4), 1, 1
            ),
            ["q", "torch.int64"],
        ),
        (
            lambda: local_attention(torch.randn(5, 4), torch.randn(5, 4), torch.randn(5, 4), -1, 1),
            ["left", "-1"],
        ),
        (
            lambda: local_attention(
                torch.randn(5, 4), torch.randn(5, 4), torch.randn(5, 4), 1, 2.5
            ),
            ["right", "2.5"],
        ),
        (lambda: band_to_full(torch.randn(5, 4), 1, 1), ["left + right + 1 = 3", "(5, 4)"]),
        (lambda: band_to_full(torch.randn(5), 0, 0), ["band", "(5,)"]),
        (lambda: band_to_full([[1.0]], 0, 0), ["band", "list"]),
    ],
)
def test_bad_input_raises_value_error_naming_the_shapes(call, words):
    with pytest.raises(ValueError) as error:
        call()
    message = str(error.value)
    assert all(w in message for w in words), message
