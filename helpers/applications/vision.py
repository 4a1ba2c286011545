"""Images as sets of vectors: pixels (or patches) as tokens, and a SAGAN self-attention block.

An image ``(C, H, W)`` is ``H * W`` vectors of ``C`` numbers, one per pixel: its channels. Read
row by row (pixel ``(y, x)`` becomes token ``y * W + x``), it is a ``(H * W, C)`` matrix of
tokens, and self-attention applies unchanged. The price is the attention matrix:
``(H * W)^2`` entries, 16.7 million for a 64 x 64 image. Vision Transformers (ViT) cut the image
into ``p x p`` patches and use each flattened patch, ``C * p * p`` numbers, as one token:
``p^2`` times fewer tokens and ``p^4`` times fewer attention entries.

Every function takes one image ``(C, H, W)`` or a batch ``(B, C, H, W)``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal, overload

import torch
from torch import Tensor, nn

from ..core.attention import scaled_dot_product_attention
from ..core.validation import (
    check_channel_reduction,
    check_image,
    check_layer_input,
    check_patch_size,
    check_patch_tokens,
    check_pixel_tokens,
    shape_of,
)


def image_to_tokens(image: torch.Tensor) -> torch.Tensor:
    """Pixels as tokens: ``(C, H, W) -> (H * W, C)``, or ``(B, C, H, W) -> (B, H * W, C)``.

        tokens[y * W + x] = image[:, y, x]       (row-major order: row 0 first, left to right)

    The channel axis moves last (``permute``) *before* the flatten: a plain
    ``reshape(H * W, C)`` would keep the memory order and mix numbers of different pixels.
    """
    check_image(image)
    pixels_last = image.movedim(-3, -1)  # (..., H, W, C)
    return pixels_last.flatten(-3, -2)  # (..., H * W, C)


def tokens_to_image(tokens: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Inverse of :func:`image_to_tokens`: ``(H * W, C) -> (C, H, W)``, or with a batch ``B``."""
    check_pixel_tokens(tokens, height, width)
    grid = tokens.unflatten(-2, (height, width))  # (..., H, W, C)
    return grid.movedim(-1, -3)  # (..., C, H, W)


def _permute_last(x: torch.Tensor, order: tuple[int, ...]) -> torch.Tensor:
    """Permute the last ``len(order)`` dimensions of ``x`` (``order`` counts from the first of
    them), leaving any leading batch dimensions in place."""
    lead = x.ndim - len(order)
    return x.permute(*range(lead), *(lead + i for i in order))


def image_to_patches(image: torch.Tensor, patch_size: int) -> torch.Tensor:
    """Patches as tokens (ViT): ``(C, H, W) -> (H/p * W/p, C * p * p)`` (batch: leading ``B``).

    Patches are numbered row by row like pixels: patch ``(r, c)``, covering rows
    ``r*p ... r*p + p - 1`` and columns ``c*p ... c*p + p - 1``, is token ``r * (W/p) + c``. Its
    vector is the patch ``(C, p, p)`` flattened channel by channel, the layout of a ViT patch
    embedding ``nn.Conv2d(C, d, kernel_size=p, stride=p)``, whose weight reshaped to
    ``(d, C * p * p)`` multiplies exactly these vectors.
    """
    check_image(image)
    height, width = image.shape[-2:]
    check_patch_size(height, width, patch_size, shape_of(image))
    p = patch_size
    grid = image.unflatten(-2, (height // p, p)).unflatten(-1, (width // p, p))
    # (..., C, H/p, p, W/p, p) -> (..., H/p, W/p, C, p, p): the patch grid first, then each patch
    grid = _permute_last(grid, (1, 3, 0, 2, 4))
    return grid.flatten(-3).flatten(-3, -2)  # (..., H/p * W/p, C * p * p)


def patches_to_image(
    patches: torch.Tensor, patch_size: int, height: int, width: int
) -> torch.Tensor:
    """The inverse of :func:`image_to_patches`: ``(H/p * W/p, C * p * p) -> (C, H, W)``."""
    check_patch_tokens(patches, patch_size, height, width)
    p = patch_size
    channels = patches.shape[-1] // (p * p)
    grid = patches.unflatten(-1, (channels, p, p))  # (..., n_patches, C, p, p)
    grid = grid.unflatten(-4, (height // p, width // p))  # (..., H/p, W/p, C, p, p)
    grid = _permute_last(grid, (2, 0, 3, 1, 4))  # (..., C, H/p, p, W/p, p)
    return grid.flatten(-2).flatten(-3, -2)  # (..., C, H, W)


class FeatureMapAttentionLayer(nn.Module):
    """How the attention layers on feature maps ``(B, C, H, W)`` are called::

        layer(x)                        -> output
        layer(x, return_weights=True)   -> (output, weights)

    A subclass implements ``forward(x, *, return_weights=False)``; this class only declares the
    two call signatures for type checkers (``nn.Module.__call__`` is untyped).
    """

    if TYPE_CHECKING:
        # fmt: off
        @overload
        def __call__(self, x: Tensor,
                     *, return_weights: Literal[False] = ...) -> Tensor: ...
        @overload
        def __call__(self, x: Tensor,
                     *, return_weights: Literal[True]) -> tuple[Tensor, Tensor]: ...
        # fmt: on
        def __call__(self, *args: Any, **kwargs: Any) -> Any: ...


class SAGANSelfAttention(FeatureMapAttentionLayer):
    """The self-attention block of Self-Attention GAN (Zhang et al., 2019) on a feature map.

    Every pixel is a token whose vector is its ``C`` channels. Three 1x1 convolutions, i.e. one
    linear map applied to every pixel's vector (``W_q``, ``W_k``: ``C -> C // reduction``,
    ``W_v``: ``C -> C``), give queries, keys and values; each pixel attends to **every** pixel:

        q_i = W_q x_i,  k_j = W_k x_j,  v_j = W_v x_j          (1x1 convolutions)
        beta[i, j] = softmax_j(q_i . k_j)                      (H*W, H*W), no 1/sqrt(d) (paper)
        o_i = sum_j beta[i, j] v_j
        y_i = x_i + gamma * o_i                                gamma learned, starts at 0

    With ``gamma = 0`` the block starts as the identity and the network learns how much of the
    non-local evidence to mix in. (The paper's value path goes through ``C/2`` channels and an
    extra 1x1 convolution back to ``C``; one ``C -> C`` map is the common simplification.)

    Args:
        channels: ``C``, the number of channels of the input.
        reduction: queries and keys have ``channels // reduction`` channels (8 in the paper).
    """

    def __init__(self, channels: int, reduction: int = 8) -> None:
        super().__init__()
        check_channel_reduction(channels, reduction)
        self.channels, self.reduction = channels, reduction
        d_qk = channels // reduction
        self.W_q = nn.Conv2d(channels, d_qk, kernel_size=1)
        self.W_k = nn.Conv2d(channels, d_qk, kernel_size=1)
        self.W_v = nn.Conv2d(channels, channels, kernel_size=1)
        self.gamma = nn.Parameter(torch.zeros(1))

    def forward(
        self, x: torch.Tensor, *, return_weights: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Attend every pixel of ``x`` ``(B, C, H, W)`` (or ``(C, H, W)``) to every pixel.

        Args:
            x: feature maps ``(B, C, H, W)``, or one ``(C, H, W)``.
            return_weights: also return the attention weights (keyword only).

        Returns:
            ``output`` with the shape of ``x``, or ``(output, weights)`` with weights
            ``(B, H * W, H * W)`` (no ``B`` for a single image), row ``i`` = query pixel
            ``i = y * W + x``, summing to 1 over the key pixels.
        """
        layout = "(B, C, H, W) or (C, H, W)"
        check_layer_input(x, "x", layout, 3, 4, -3, self.channels, "channels")
        single = x.ndim == 3
        if single:
            x = x.unsqueeze(0)  # (1, C, H, W): nn.Conv2d on torch 2.1 wants a batch
        height, width = x.shape[-2:]
        q = image_to_tokens(self.W_q(x))  # (B, H*W, C // reduction)
        k = image_to_tokens(self.W_k(x))  # (B, H*W, C // reduction)
        v = image_to_tokens(self.W_v(x))  # (B, H*W, C)
        o, weights = scaled_dot_product_attention(q, k, v, scale=1.0, return_weights=True)
        output = x + self.gamma * tokens_to_image(o, height, width)  # (B, C, H, W)
        if single:
            output, weights = output.squeeze(0), weights.squeeze(0)  # (C, H, W), (H*W, H*W)
        return (output, weights) if return_weights else output

    def extra_repr(self) -> str:
        return f"channels={self.channels}, reduction={self.reduction}"
