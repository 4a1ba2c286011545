"""Exercises of notebook 06 (self-attention on images).

``patch_tokens``: a transfer task. The lesson turns *one* image ``(C, H, W)`` into pixel tokens
with ``permute`` then ``reshape``; the learner applies the same idea to a **batch** of images cut
into ``p x p`` **patches**: ``(B, C, H, W) -> (B, H/p * W/p, C * p * p)``, patches numbered row
by row, each flattened channel by channel (the layout of ``helpers.image_to_patches`` and of
ViT's patch embedding ``nn.Conv2d(C, d, kernel_size=p, stride=p)``).

The explain/predict questions of the lesson: ``painted_pixel`` and ``vit_patches``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

import helpers
from helpers.exercises._registry import Diagnosis, Mistake, Tester, exercise
from helpers.exercises.guidance import question

# --------------------------------------------------------------------------- patch_tokens


def _grid(images: torch.Tensor, p: int) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, H/p, p, W/p, p): the split every answer starts from."""
    batch, channels, height, width = images.shape
    return images.reshape(batch, channels, height // p, p, width // p, p)


def _flatten(grid: torch.Tensor) -> torch.Tensor:
    """(B, a, b, c, d, e) -> (B, a * b, c * d * e)."""
    batch, a, b, c, d, e = grid.shape
    return grid.reshape(batch, a * b, c * d * e)


def _no_permute(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    batch, channels, height, width = images.shape
    n = (height // patch_size) * (width // patch_size)
    return images.reshape(batch, n, channels * patch_size * patch_size)


def _channels_last_in_patch(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    return _flatten(_grid(images, patch_size).permute(0, 2, 4, 3, 5, 1))  # (p, p, C)


def _column_major_patches(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    return _flatten(_grid(images, patch_size).permute(0, 4, 2, 1, 3, 5))


def _patch_transposed(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    return _flatten(_grid(images, patch_size).permute(0, 2, 4, 1, 5, 3))  # (C, col, row)


def _split_swapped(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    batch, channels, height, width = images.shape
    p = patch_size
    grid = images.reshape(batch, channels, p, height // p, p, width // p)  # (p, H/p): strided
    return _flatten(grid.permute(0, 3, 5, 1, 2, 4))


def _unfold_no_transpose(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    return F.unfold(images, kernel_size=patch_size, stride=patch_size)  # (B, C*p*p, n)


def _first_image_only(images: torch.Tensor, patch_size: int) -> torch.Tensor:
    one = helpers.image_to_patches(images[0], patch_size)  # (n, C*p*p)
    return one.unsqueeze(0).expand(images.shape[0], -1, -1)


PATCH_TOKENS_MISTAKES = (
    Mistake(
        "no_permute",
        "the shape is right but every token mixes pixels of different patches: reshape keeps the "
        "memory order (all of channel 0 first, row after row). Split H and W first, "
        "reshape(B, C, H/p, p, W/p, p), then permute the patch grid (H/p, W/p) to the front "
        "and each patch (C, p, p) to the back: permute(0, 2, 4, 1, 3, 5), then reshape",
        _no_permute,
    ),
    Mistake(
        "unfold_no_transpose",
        "F.unfold returns (B, C * p * p, n_patches): one column per patch. Rows must be tokens, "
        "so transpose it: F.unfold(...).transpose(1, 2)",
        _unfold_no_transpose,
    ),
    Mistake(
        "channels_last_in_patch",
        "your patches hold the right pixels, flattened pixel by pixel (p, p, C) instead of "
        "channel by channel (C, p, p): put the channel axis before the two in-patch axes, "
        "permute(0, 2, 4, 1, 3, 5)",
        _channels_last_in_patch,
    ),
    Mistake(
        "column_major_patches",
        "your patches are numbered column by column: patch (r, c) must be token r * (W/p) + c, "
        "so the patch-row axis H/p comes before the patch-column axis W/p in your permute",
        _column_major_patches,
    ),
    Mistake(
        "patch_transposed",
        "inside each patch, rows and columns are swapped: flatten a patch as (C, row, column), "
        "so the in-patch row axis (the p after H/p) comes before the in-patch column axis",
        _patch_transposed,
    ),
    Mistake(
        "split_swapped",
        "you split H into (p, H/p) instead of (H/p, p): your 'patches' take every (H/p)-th "
        "pixel, spread over the whole image. reshape(B, C, H // p, p, W // p, p): the patch "
        "index first, the position inside the patch second",
        _split_swapped,
    ),
    Mistake(
        "first_image_only",
        "every image of the batch got the patches of the first image: keep the batch axis "
        "(dimension 0) in front and cut every image, e.g. reshape(B, C, H/p, p, W/p, p)",
        _first_image_only,
    ),
)


@exercise(
    "patch_tokens",
    solution=lambda images, patch_size: helpers.image_to_patches(images, patch_size),
    returns="Tensor (B, H/p * W/p, C * p * p)",
    reference="helpers.image_to_patches",
    mistakes=PATCH_TOKENS_MISTAKES,
    hints=(
        "It is the permute-then-reshape of section 1, with two more axes: first cut H into "
        "(H/p, p) and W into (W/p, p) with one reshape, keeping the batch axis B in front.",
        "After images.reshape(B, C, H // p, p, W // p, p) the axes are (B, C, patch-row, row "
        "in patch, patch-column, column in patch). A token is one (patch-row, patch-column) "
        "pair; its vector is (C, row in patch, column in patch).",
        "images.reshape(B, C, H // p, p, W // p, p).permute(0, 2, 4, 1, 3, 5) is "
        "(B, H/p, W/p, C, p, p); finish with .reshape(B, (H // p) * (W // p), C * p * p). "
        "(F.unfold(images, p, stride=p).transpose(1, 2) is the same.)",
    ),
    diagnosis=Diagnosis(seq_dim=-2),
    error_hints=(
        (
            ("shape '[", "is invalid for input of size"),
            "a reshape asked for a number of elements the tensor does not have: read the sizes "
            "from the input (B, C, H, W = images.shape) and use H // p, W // p; the test images "
            "are non-square and the batch size is not 1",
        ),
        (
            ("not enough values to unpack", "too many values to unpack"),
            "the input is a batch (B, C, H, W): four dimensions, not three",
        ),
    ),
)
def check_patch_tokens(t: Tester) -> None:
    """A batch of images (B, C, H, W) as patch tokens (B, H/p * W/p, C * p * p), row by row."""
    # B, C, H/p, W/p and p differ from each other in every case, and from case to case, so a
    # hard-coded size, a transposed grid or a batch handled as one image cannot pass.
    for batch, channels, height, width, patch_size in (
        (2, 3, 8, 12, 2),  # 4 x 6 patches of 2 x 2
        (3, 2, 9, 6, 3),  # 3 x 2 patches of 3 x 3
        (1, 4, 4, 8, 4),  # one image: 1 x 2 patches of 4 x 4
        (4, 1, 6, 10, 2),  # one channel: 3 x 5 patches
    ):
        images = t.randn(batch, channels, height, width)
        expected = helpers.image_to_patches(images, patch_size)
        t.expect((images, patch_size), expected, any_float_dtype=True)  # float64 is fine too


# --------------------------------------------------------------------------- questions

question(
    "painted_pixel",
    module=__name__,
    hints=(
        "Write the score of the water pixel i with a painted pixel j: -b²/2 · |c_i - c_j|². "
        "What is it when the colours are equal, and what other key has that score?",
        "Painting changes 16 keys and nothing else. In the softmax exp(s_j) / Σ exp(s_k), which "
        "numerators change, and what happens to the denominator?",
        "(a) score 0, the same as the query with itself; (b) the denominator gains 16 terms "
        "equal to the query's own, so every other weight is divided by the same factor; (c) a "
        "painted pixel has the query's vector: same query, same keys, same row.",
    ),
)

question(
    "vit_patches",
    module=__name__,
    hints=(
        "Count the patches along one side first (336 / 14), then square; a patch vector holds "
        "C · p · p numbers; the scores are the square of the number of tokens. Compare with "
        "336² pixel tokens.",
        "The ratio of scores is (p²)² = p⁴. For (b): what relates the 196 pixels inside one "
        "patch, if attention does not? Think of the linear patch embedding.",
        "576 tokens of 588 numbers, 331 776 scores, 14⁴ = 38 416 times fewer than pixels. Inside "
        "a patch a linear map mixes the pixels; it works because neighbouring pixels are "
        "strongly correlated and the model mostly needs relations between regions.",
    ),
)
