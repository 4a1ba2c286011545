"""helpers.vision: pixel/patch tokens against explicit loops, SAGAN block against a manual one."""

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from helpers import (
    SAGANSelfAttention,
    image_to_patches,
    image_to_tokens,
    patches_to_image,
    scaled_dot_product_attention,
    tokens_to_image,
)


def random_image(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


# --------------------------------------------------------------------------- pixels as tokens


def test_image_to_tokens_matches_a_loop_over_pixels():
    image = random_image(3, 4, 5)  # C, H, W all different
    tokens = image_to_tokens(image)
    assert tokens.shape == (20, 3)
    for y in range(4):
        for x in range(5):
            assert torch.equal(tokens[y * 5 + x], image[:, y, x])  # row-major order


def test_tokens_to_image_inverts_and_supports_batches():
    images = random_image(2, 3, 4, 5, seed=1)
    tokens = image_to_tokens(images)
    assert tokens.shape == (2, 20, 3)
    assert torch.equal(tokens[1], image_to_tokens(images[1]))
    assert torch.equal(tokens_to_image(tokens, 4, 5), images)
    assert torch.equal(tokens_to_image(tokens[0], 4, 5), images[0])


def test_pixel_tokens_keep_integer_images():
    image = torch.arange(24, dtype=torch.uint8).reshape(3, 2, 4)
    tokens = image_to_tokens(image)
    assert tokens.dtype == torch.uint8
    assert tokens[5].tolist() == image[:, 1, 1].tolist()


def test_a_plain_reshape_is_not_the_same():
    image = random_image(3, 4, 5, seed=2)
    assert not torch.equal(image_to_tokens(image), image.reshape(20, 3))


# --------------------------------------------------------------------------- patches as tokens


def test_image_to_patches_matches_a_loop_over_patches():
    image = random_image(3, 6, 8, seed=3)
    patches = image_to_patches(image, 2)
    assert patches.shape == (12, 12)  # (6/2 * 8/2, 3 * 2 * 2)
    for r in range(3):
        for c in range(4):
            expected = image[:, 2 * r : 2 * r + 2, 2 * c : 2 * c + 2].flatten()  # (C, p, p)
            assert torch.equal(patches[r * 4 + c], expected)


def test_patches_to_image_inverts_and_supports_batches():
    images = random_image(2, 3, 6, 9, seed=4)
    patches = image_to_patches(images, 3)
    assert patches.shape == (2, 6, 27)
    assert torch.equal(patches[1], image_to_patches(images[1], 3))
    assert torch.equal(patches_to_image(patches, 3, 6, 9), images)
    assert torch.equal(patches_to_image(patches[0], 3, 6, 9), images[0])


def test_patch_size_one_gives_the_pixel_tokens():
    image = random_image(3, 4, 5, seed=5)
    assert torch.equal(image_to_patches(image, 1), image_to_tokens(image))


def test_patches_match_a_vit_patch_embedding():
    # A ViT embeds each p x p patch with Conv2d(C, d, kernel_size=p, stride=p): the same as a
    # linear map of the flattened patch vectors.
    torch.manual_seed(0)
    image = random_image(3, 8, 12, seed=6)
    conv = nn.Conv2d(3, 5, kernel_size=4, stride=4)
    embedded = image_to_tokens(conv(image.unsqueeze(0))[0])  # (6, 5)
    patches = image_to_patches(image, 4)  # (6, 48)
    assert_close(embedded, patches @ conv.weight.reshape(5, -1).T + conv.bias)


# --------------------------------------------------------------------------- SAGAN block


def manual_sagan(block, x):
    """SAGAN attention with explicit matrices: tokens as rows, 1x1 convs as matrices."""
    B, C, H, W = x.shape
    tokens = x.flatten(2).transpose(1, 2)  # (B, H*W, C): pixel y*W+x is row y*W+x

    def linear(conv):
        return tokens @ conv.weight[:, :, 0, 0].T + conv.bias

    q, k, v = linear(block.W_q), linear(block.W_k), linear(block.W_v)
    weights = torch.softmax(q @ k.transpose(1, 2), dim=-1)  # no 1/sqrt(d), as in the paper
    o = weights @ v  # (B, H*W, C)
    return x + block.gamma * o.transpose(1, 2).reshape(B, C, H, W), weights


def test_sagan_block_matches_manual_computation():
    torch.manual_seed(0)
    block = SAGANSelfAttention(16, reduction=4)
    with torch.no_grad():
        block.gamma.fill_(0.7)
    x = random_image(2, 16, 5, 7, seed=7)
    output, weights = block(x, return_weights=True)
    expected_output, expected_weights = manual_sagan(block, x)
    assert output.shape == (2, 16, 5, 7)
    assert weights.shape == (2, 35, 35)
    assert_close(weights, expected_weights)
    assert_close(output, expected_output)
    assert_close(weights.sum(-1), torch.ones(2, 35))


def test_sagan_block_starts_as_the_identity():
    torch.manual_seed(1)
    block = SAGANSelfAttention(8)
    assert block.W_q.out_channels == 1 and block.W_v.out_channels == 8
    assert block.gamma.item() == 0.0
    x = random_image(3, 8, 4, 6, seed=8)
    output = block(x)
    assert torch.equal(output, x)
    output.sum().backward()
    assert block.gamma.grad is not None and block.gamma.grad.abs() > 0  # gamma can learn


def test_sagan_block_single_image_and_reduction_one():
    torch.manual_seed(2)
    block = SAGANSelfAttention(3, reduction=1)
    with torch.no_grad():
        block.gamma.fill_(1.0)
    image = random_image(3, 4, 6, seed=9)
    output, weights = block(image, return_weights=True)
    batched_output, batched_weights = block(image.unsqueeze(0), return_weights=True)
    assert output.shape == (3, 4, 6) and weights.shape == (24, 24)
    assert_close(output, batched_output[0])
    assert_close(weights, batched_weights[0])


def test_sagan_attention_is_attention_over_pixel_tokens():
    torch.manual_seed(3)
    block = SAGANSelfAttention(6, reduction=2)
    x = random_image(1, 6, 3, 5, seed=10)
    q = image_to_tokens(block.W_q(x))
    k = image_to_tokens(block.W_k(x))
    v = image_to_tokens(block.W_v(x))
    _, weights = block(x, return_weights=True)
    expected = scaled_dot_product_attention(q, k, v, scale=1.0, return_weights=True)[1]
    assert_close(weights, expected)


# --------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: image_to_tokens(torch.zeros(4, 5)), ["(C, H, W)", "(4, 5)"]),
        (lambda: image_to_tokens(torch.zeros(1, 2, 3, 4, 5)), ["(1, 2, 3, 4, 5)"]),
        (lambda: image_to_tokens([[0.0]]), ["image", "list"]),
        (lambda: tokens_to_image(torch.zeros(20, 3), 4, 6), ["4 * 6 = 24", "(20, 3)"]),
        (lambda: tokens_to_image(torch.zeros(20), 4, 5), ["tokens", "(20,)"]),
        (lambda: tokens_to_image(torch.zeros(20, 3), 0, 5), ["height", "0"]),
        (lambda: image_to_patches(torch.zeros(3, 6, 8), 4), ["6", "8", "patch_size=4"]),
        (lambda: image_to_patches(torch.zeros(3, 6, 8), 0), ["patch_size", "0"]),
        (
            lambda: patches_to_image(torch.zeros(5, 12), 2, 4, 6),
            ["(..., 6, C * 4)", "(5, 12)"],
        ),
        (lambda: patches_to_image(torch.zeros(6, 10), 2, 4, 6), ["C * 4", "(6, 10)"]),
        (lambda: patches_to_image(torch.zeros(6, 12), 4, 4, 6), ["6", "patch_size=4"]),
        (lambda: SAGANSelfAttention(3), ["channels=3", "reduction=8"]),
        (lambda: SAGANSelfAttention(16, reduction=0), ["reduction", "0"]),
        (lambda: SAGANSelfAttention(8)(torch.zeros(2, 4, 5, 5)), ["channels = 8", "(2, 4, 5, 5)"]),
        (lambda: SAGANSelfAttention(8)(torch.zeros(8, 5)), ["x", "(8, 5)"]),
        (
            lambda: SAGANSelfAttention(8)(torch.zeros(1, 8, 2, 2, dtype=torch.long)),
            ["floating-point", "torch.int64"],
        ),
    ],
)
def test_bad_input_raises_value_error_naming_the_problem(call, words):
    with pytest.raises(ValueError) as error:
        call()
    message = str(error.value)
    assert all(w in message for w in words), message
