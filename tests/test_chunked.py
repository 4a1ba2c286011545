"""chunked_attention (online softmax) against the explicit and PyTorch attention, and the
TensorMemoryTracker that shows it never holds the (L, S) matrix."""

import math

import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st
from torch.testing import assert_close

from helpers import (
    TensorMemoryTracker,
    causal_mask,
    chunked_attention,
    padding_mask,
    scaled_dot_product_attention,
)

L, S, D, D_V = 6, 11, 5, 4  # queries, keys, key size, value size: all differ


def qkv(*batch, length=L, n_keys=S, dtype=torch.float64, seed=0):
    generator = torch.Generator().manual_seed(seed)
    q = torch.randn(*batch, length, D, generator=generator, dtype=dtype)
    k = torch.randn(*batch, n_keys, D, generator=generator, dtype=dtype)
    v = torch.randn(*batch, n_keys, D_V, generator=generator, dtype=dtype)
    return q, k, v


def random_mask(*shape, seed=1):
    return torch.rand(*shape, generator=torch.Generator().manual_seed(seed)) > 0.4


@pytest.mark.parametrize("chunk_size", [1, 2, 3, 4, S - 1, S, S + 5])
def test_matches_the_explicit_attention(chunk_size):
    q, k, v = qkv(2, 3)
    expected = scaled_dot_product_attention(q, k, v)
    assert_close(chunked_attention(q, k, v, chunk_size), expected, atol=1e-12, rtol=1e-12)


@pytest.mark.parametrize("chunk_size", [1, 3, 4, S])
def test_float32_within_1e_5_and_matches_torch(chunk_size):
    q, k, v = qkv(2, 3, dtype=torch.float32)
    output = chunked_attention(q, k, v, chunk_size)
    assert output.dtype == torch.float32
    assert_close(output, scaled_dot_product_attention(q, k, v), atol=1e-5, rtol=1e-5)
    assert_close(output, F.scaled_dot_product_attention(q, k, v), atol=1e-5, rtol=1e-5)


def mask_cases():
    fully_masked_rows = random_mask(L, S)
    fully_masked_rows[[1, 4]] = False  # queries 1 and 4 may attend no key at all
    only_late_keys = torch.zeros(L, S, dtype=torch.bool)
    only_late_keys[:, -2:] = True  # every early chunk is fully masked for every query
    return {
        "random": random_mask(L, S),
        "fully_masked_rows": fully_masked_rows,
        "only_late_keys": only_late_keys,
        "per_batch": random_mask(2, 1, L, S, seed=3),
        "padding": padding_mask([S, 5], S).unsqueeze(1),  # (2, 1, 1, S)
        "keys_only": random_mask(S, seed=4),  # (S,): the same for every query
        "everything_masked": torch.zeros(L, S, dtype=torch.bool),
    }


MASKS = mask_cases()


@pytest.mark.parametrize("chunk_size", [1, 3, 4, S])
@pytest.mark.parametrize("name", list(MASKS))
def test_masks_including_fully_masked_rows(name, chunk_size):
    q, k, v = qkv(2, 3)
    mask = MASKS[name]
    expected = scaled_dot_product_attention(q, k, v, mask=mask)
    output = chunked_attention(q, k, v, chunk_size, mask=mask)
    assert torch.isfinite(output).all()
    assert_close(output, expected, atol=1e-12, rtol=1e-12)


def test_fully_masked_rows_are_zero_and_other_rows_match_torch():
    q, k, v = qkv(2, dtype=torch.float32)
    mask = MASKS["fully_masked_rows"]
    output = chunked_attention(q, k, v, 4, mask=mask)
    assert float(output[:, [1, 4]].abs().max()) == 0.0
    keep = [0, 2, 3, 5]
    reference = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert_close(output[:, keep], reference[:, keep], atol=1e-5, rtol=1e-5)


def test_a_causal_self_attention_matches():
    x = torch.randn(2, 9, D, dtype=torch.float64)
    mask = causal_mask(9)
    expected = scaled_dot_product_attention(x, x, x, mask=mask)
    assert_close(chunked_attention(x, x, x, 2, mask=mask), expected, atol=1e-12, rtol=1e-12)


def test_broadcast_batch_dimensions_and_custom_scale():
    q, _, _ = qkv(2, 3)  # (2, 3, L, D)
    _, k, v = qkv(3, seed=5)  # (3, S, D), (3, S, D_V): broadcast over the leading 2
    expected = scaled_dot_product_attention(q, k, v, scale=0.3)
    output = chunked_attention(q, k, v, 4, scale=0.3)
    assert output.shape == (2, 3, L, D_V)
    assert_close(output, expected, atol=1e-12, rtol=1e-12)
    _, _, v_shared = qkv(length=L, seed=6)  # v without batch dims
    assert_close(
        chunked_attention(q, k, v_shared, 3),
        scaled_dot_product_attention(q, k, v_shared),
        atol=1e-12,
        rtol=1e-12,
    )


def test_large_scores_do_not_overflow():
    # Scores of several thousand: exp would overflow without the running max.
    q, k, v = qkv(dtype=torch.float32)
    q = q * 300.0
    expected = scaled_dot_product_attention(q.double(), k.double(), v.double()).float()
    output = chunked_attention(q, k, v, 3)
    assert torch.isfinite(output).all()
    assert_close(output, expected, atol=1e-5, rtol=1e-5)


def test_gradients_match():
    q, k, v = (t.requires_grad_() for t in qkv(2))
    mask = MASKS["fully_masked_rows"]
    weight = torch.randn(2, L, D_V, dtype=torch.float64)
    (chunked_attention(q, k, v, 3, mask=mask) * weight).sum().backward()
    grads = [t.grad.clone() for t in (q, k, v)]
    for t in (q, k, v):
        t.grad = None
    (scaled_dot_product_attention(q, k, v, mask=mask) * weight).sum().backward()
    for ours, reference in zip(grads, (q.grad, k.grad, v.grad), strict=True):
        assert torch.isfinite(ours).all()
        assert_close(ours, reference, atol=1e-10, rtol=1e-10)


@settings(max_examples=40, deadline=None)
@given(
    length=st.integers(1, 9),
    n_keys=st.integers(1, 13),
    chunk_size=st.integers(1, 15),
    masked=st.booleans(),
    seed=st.integers(0, 1000),
)
def test_property_equal_for_any_sizes(length, n_keys, chunk_size, masked, seed):
    q, k, v = qkv(2, length=length, n_keys=n_keys, seed=seed)
    mask = random_mask(length, n_keys, seed=seed) if masked else None
    expected = scaled_dot_product_attention(q, k, v, mask=mask)
    output = chunked_attention(q, k, v, chunk_size, mask=mask)
    assert_close(output, expected, atol=1e-12, rtol=1e-12)


# --------------------------------------------------------------------------- memory


def tracked(fn):
    with TensorMemoryTracker() as memory:
        fn()
    return memory


def test_tracker_counts_new_tensors_not_views_or_inputs():
    x = torch.zeros(100)  # created outside the block: not counted
    with TensorMemoryTracker() as memory:
        a = torch.ones(25, 40)  # 4000 bytes
        view = a[10:20].T  # a view: nothing new
        b = x * 2  # 400 bytes
        del a  # the view still holds the memory of `a`
        c = torch.ones(500, dtype=torch.float64)  # 4000 bytes
        assert memory.alive_bytes == 8400
        del b, c
        assert memory.alive_bytes == 4000
        del view  # now the memory of `a` is free
    assert memory.peak_bytes == 4000 + 400 + 4000
    assert memory.allocated_bytes == 8400
    assert memory.alive_bytes == 0


def test_tracker_keeps_memory_shared_by_a_detached_tensor():
    with TensorMemoryTracker() as memory:
        kept = torch.ones(100).exp().detach()  # the exp result dies, its memory lives on
        assert memory.alive_bytes == 400  # the ones are freed, the exp's memory is kept
        more = torch.zeros(50)  # 200 bytes
        assert memory.alive_bytes == 400 + 200
    assert memory.peak_bytes == 400 + 400  # ones and exp, during the exp
    del kept
    assert memory.alive_bytes == 200
    del more
    assert memory.alive_bytes == 0


def test_tracker_counts_are_the_same_every_time():
    def peaks():
        q, k, v = qkv(length=96, n_keys=96, dtype=torch.float32)
        return [
            tracked(lambda: scaled_dot_product_attention(q, k, v)).peak_bytes,
            tracked(lambda: chunked_attention(q, k, v, 16)).peak_bytes,
        ]

    first = peaks()
    assert all(peaks() == first for _ in range(10))


def test_tracker_sees_the_quadratic_scores_of_the_explicit_attention():
    q, k, v = qkv(length=64, n_keys=80, dtype=torch.float32)
    explicit = tracked(lambda: scaled_dot_product_attention(q, k, v))
    chunked = tracked(lambda: chunked_attention(q, k, v, 8))
    scores_bytes = 64 * 80 * 4
    assert explicit.peak_bytes >= 2 * scores_bytes  # scores and weights at least
    assert chunked.peak_bytes < scores_bytes  # never one (L, S) float tensor


@pytest.mark.parametrize("chunk_size", [16, 32])
def test_chunked_memory_grows_linearly(chunk_size):
    peaks = {}
    for length in (128, 256, 512):
        q, k, v = qkv(length=length, n_keys=length, dtype=torch.float32)
        peaks[length] = tracked(lambda q=q, k=k, v=v: chunked_attention(q, k, v, chunk_size))
    explicit = {}
    for length in (128, 256, 512):
        q, k, v = qkv(length=length, n_keys=length, dtype=torch.float32)
        explicit[length] = tracked(lambda q=q, k=k, v=v: scaled_dot_product_attention(q, k, v))
    chunked_slope = math.log2(peaks[512].peak_bytes / peaks[128].peak_bytes) / 2
    explicit_slope = math.log2(explicit[512].peak_bytes / explicit[128].peak_bytes) / 2
    assert 0.9 < chunked_slope < 1.1
    assert 1.9 < explicit_slope < 2.1


# --------------------------------------------------------------------------- bad inputs


@pytest.mark.parametrize(
    ("args", "kwargs", "words"),
    [
        ((*qkv(), 0), {}, "chunk_size must be >= 1, got 0"),
        ((*qkv(), 2.5), {}, "chunk_size must be an int, got 2.5"),
        ((*qkv(), True), {}, "chunk_size must be an int, got True"),
        (
            (qkv()[0], qkv()[1][..., :3], qkv()[2], 2),
            {},
            "q and k must have the same last dimension d, got q.shape=(6, 5) and k.shape=(11, 3)",
        ),
        (
            (qkv()[0], qkv()[1], qkv()[2][:-1], 2),
            {},
            "k and v must have the same number of positions S (dimension -2), "
            "got k.shape=(11, 5) and v.shape=(10, 4)",
        ),
        ((torch.randn(D), *qkv()[1:], 2), {}, "q must have shape (..., L, d)"),
        ((qkv()[0].long(), *qkv()[1:], 2), {}, "q must be a floating-point tensor"),
        ((*qkv(), 2), {"mask": torch.ones(L, S)}, "mask must be a bool tensor"),
        (
            (*qkv(), 2),
            {"mask": torch.ones(S, L, dtype=torch.bool)},
            "mask with shape (11, 6) is not broadcastable to the scores' shape (..., L, S) = "
            "(6, 11)",
        ),
        (
            (*qkv(2), 2),
            {"mask": torch.ones(3, L, S, dtype=torch.bool)},
            "is not broadcastable to the scores' shape",
        ),
        (
            (qkv(2)[0], *qkv(3)[1:], 2),
            {},
            "batch dimensions do not broadcast: q (2,), k (3,)",
        ),
    ],
)
def test_bad_inputs(args, kwargs, words):
    with pytest.raises(ValueError) as error:
        chunked_attention(*args, **kwargs)
    assert words in str(error.value)
