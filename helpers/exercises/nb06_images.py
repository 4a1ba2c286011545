"""Exercises of notebook 06 (self-attention on images): ``image_to_tokens``, ``tokens_to_image``."""

from __future__ import annotations

import torch

import helpers
from helpers.exercises._registry import Mistake, Tester, exercise

# --------------------------------------------------------------------------- image_to_tokens


def _no_permute(image: torch.Tensor) -> torch.Tensor:
    channels, height, width = image.shape
    return image.reshape(height * width, channels)


def _column_major(image: torch.Tensor) -> torch.Tensor:
    channels, height, width = image.shape
    return image.permute(2, 1, 0).reshape(width * height, channels)


def _channels_as_rows(image: torch.Tensor) -> torch.Tensor:
    return image.flatten(1)  # (C, H * W)


IMAGE_TO_TOKENS_MISTAKES = (
    Mistake(
        "no_permute",
        "the shape is right but each row mixes numbers of different pixels: reshape keeps the "
        "memory order, where all red values come first. Move the channels last with "
        "image.permute(1, 2, 0) (shape (H, W, C)), then reshape to (H * W, C)",
        _no_permute,
    ),
    Mistake(
        "column_major",
        "your pixels are numbered column by column (x first): number them row by row, so that "
        "pixel (y, x) is token y * W + x; permute(1, 2, 0), not permute(2, 1, 0)",
        _column_major,
    ),
    Mistake(
        "channels_as_rows",
        "you returned (C, H * W): one row per channel. Rows must be tokens, one per pixel, so "
        "the result is (H * W, C); transpose it, or permute(1, 2, 0) before reshaping",
        _channels_as_rows,
    ),
)


@exercise(
    "image_to_tokens",
    solution=helpers.image_to_tokens,
    returns="Tensor (H * W, C)",
    reference="helpers.image_to_tokens",
    mistakes=IMAGE_TO_TOKENS_MISTAKES,
)
def check_image_to_tokens(t: Tester) -> None:
    """Pixels as tokens: an image (C, H, W) becomes (H * W, C), row y * W + x = pixel (y, x)."""
    # C, H and W all differ, so a transposed or column-major answer cannot pass.
    for channels, height, width in ((3, 4, 5), (2, 3, 6), (4, 5, 2), (1, 3, 4)):
        image = t.randn(channels, height, width)
        t.expect((image,), helpers.image_to_tokens(image))


# --------------------------------------------------------------------------- tokens_to_image


def _back_no_permute(tokens: torch.Tensor, height: int, width: int) -> torch.Tensor:
    return tokens.reshape(tokens.shape[-1], height, width)


def _back_column_major(tokens: torch.Tensor, height: int, width: int) -> torch.Tensor:
    return tokens.reshape(width, height, tokens.shape[-1]).permute(2, 1, 0)


def _back_swapped(tokens: torch.Tensor, height: int, width: int) -> torch.Tensor:
    return tokens.reshape(height, width, tokens.shape[-1]).permute(2, 1, 0)  # (C, W, H)


def _back_channels_last(tokens: torch.Tensor, height: int, width: int) -> torch.Tensor:
    return tokens.reshape(height, width, tokens.shape[-1])  # (H, W, C)


TOKENS_TO_IMAGE_MISTAKES = (
    Mistake(
        "no_permute",
        "the shape is right but the pixels are scrambled: reshape keeps the memory order, in "
        "which each token's C numbers are neighbours. Reshape to (height, width, C) first, then "
        "move the channels to the front with permute(2, 0, 1)",
        _back_no_permute,
    ),
    Mistake(
        "column_major",
        "you read the tokens column by column: token y * width + x is pixel (y, x), so reshape "
        "to (height, width, C), not (width, height, C)",
        _back_column_major,
    ),
    Mistake(
        "swapped",
        "height and width are swapped: the image must be (C, height, width); use "
        "permute(2, 0, 1) on the (height, width, C) grid, not permute(2, 1, 0)",
        _back_swapped,
    ),
    Mistake(
        "channels_last",
        "you returned (height, width, C): PyTorch images put the channels first, (C, H, W); "
        "finish with permute(2, 0, 1)",
        _back_channels_last,
    ),
)


@exercise(
    "tokens_to_image",
    solution=helpers.tokens_to_image,
    returns="Tensor (C, height, width)",
    reference="helpers.tokens_to_image",
    mistakes=TOKENS_TO_IMAGE_MISTAKES,
)
def check_tokens_to_image(t: Tester) -> None:
    """Tokens back to pixels: (height * width, C) becomes the image (C, height, width)."""
    for channels, height, width in ((3, 4, 5), (2, 3, 6), (4, 5, 2), (1, 3, 4)):
        tokens = t.randn(height * width, channels)
        t.expect((tokens, height, width), helpers.tokens_to_image(tokens, height, width))
