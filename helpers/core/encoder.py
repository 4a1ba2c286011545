"""A Transformer encoder block, assembled from the course's own parts.

The lecture feeds the outputs of self-attention into a fully-connected layer and stacks the two.
The Transformer encoder block (Vaswani et al., 2017) is exactly that, plus two tricks that make
deep stacks trainable: a **residual connection** around each sub-layer and **layer normalisation**.
For tokens ``x`` of shape ``(batch, seq, d_model)``:

post-norm (``norm_first=False``, the original Transformer)::

    h   = LayerNorm(x + MultiHeadSelfAttention(x))
    out = LayerNorm(h + FeedForward(h))

pre-norm (``norm_first=True``, most modern models)::

    h   = x + MultiHeadSelfAttention(LayerNorm(x))
    out = h + FeedForward(LayerNorm(h))

with ``FeedForward(h) = ReLU(h W_1 + b_1) W_2 + b_2`` applied to every token separately (the
same weights at every position: it mixes features, never tokens; attention mixes tokens).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from .attention import SelfAttentionLayer
from .multi_head import MultiHeadSelfAttention
from .validation import (
    check_choice,
    check_flag,
    check_int,
    check_layer_input,
    check_probability,
    check_torch_encoder_layer,
)

_ACTIVATIONS = {"relu": F.relu, "gelu": F.gelu}


class FeedForward(nn.Module):
    """The position-wise fully-connected network of an encoder block.

        FeedForward(x) = activation(x W_1 + b_1) W_2 + b_2       (..., seq, d_model)

    ``W_1`` is ``(d_model, d_ff)`` and ``W_2`` is ``(d_ff, d_model)`` (stored transposed by
    ``nn.Linear``). Every token goes through the same two layers on its own: the output at one
    position depends on the input at that position only.

    Args:
        d_model: size of each token vector.
        d_ff: size of the hidden layer (usually ``4 * d_model``).
        dropout: dropout after the activation (0 in eval mode).
        activation: ``"relu"`` (the Transformer's) or ``"gelu"`` (BERT's, GPT's).
    """

    def __init__(
        self, d_model: int, d_ff: int, dropout: float = 0.0, activation: str = "relu"
    ) -> None:
        super().__init__()
        check_int(d_model, "d_model", minimum=1)
        check_int(d_ff, "d_ff", minimum=1)
        check_probability(dropout, "dropout")
        check_choice(activation, "activation", _ACTIVATIONS)
        self.d_model, self.d_ff, self.activation = d_model, d_ff, activation
        self.linear1 = nn.Linear(d_model, d_ff)
        self.linear2 = nn.Linear(d_ff, d_model)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(..., d_model) -> (..., d_model)``, the same two layers for every token."""
        check_layer_input(x, "x", "(..., d_model)", 1, None, -1, self.d_model, "d_model")
        hidden = _ACTIVATIONS[self.activation](self.linear1(x))  # (..., d_ff)
        return self.linear2(self.dropout(hidden))  # (..., d_model)

    def extra_repr(self) -> str:
        return f"d_model={self.d_model}, d_ff={self.d_ff}, activation={self.activation!r}"


class TransformerEncoderBlock(SelfAttentionLayer):
    """Multi-head self-attention and a feed-forward network, each with a residual and LayerNorm.

    ``norm_first=False`` (post-norm)::

        h   = norm1(x + dropout(attention(x, mask)))
        out = norm2(h + dropout(feed_forward(h)))

    ``norm_first=True`` (pre-norm)::

        h   = x + dropout(attention(norm1(x), mask))
        out = h + dropout(feed_forward(norm2(h)))

    The parameters have the layout of ``nn.TransformerEncoderLayer(batch_first=True)``, so
    :meth:`from_torch` copies one exactly. One difference in training: torch also applies dropout
    to the attention weights, this block does not (in eval mode, the two agree).

    Args:
        d_model: size of each token vector; divisible by ``num_heads``.
        num_heads: number of attention heads.
        d_ff: hidden size of the feed-forward network.
        dropout: dropout on both residual branches and inside the feed-forward network.
        norm_first: pre-norm (True) or post-norm (False, the default, as in torch).
        activation: ``"relu"`` (default) or ``"gelu"``.
        layer_norm_eps: the ``eps`` of both LayerNorms.
    """

    def __init__(
        self,
        d_model: int,
        num_heads: int,
        d_ff: int,
        dropout: float = 0.0,
        norm_first: bool = False,
        activation: str = "relu",
        layer_norm_eps: float = 1e-5,
    ) -> None:
        super().__init__()
        check_probability(dropout, "dropout")
        check_flag(norm_first, "norm_first")
        self.norm_first = norm_first
        self.attention = MultiHeadSelfAttention(d_model, num_heads)
        self.feed_forward = FeedForward(d_model, d_ff, dropout=dropout, activation=activation)
        self.norm1 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.norm2 = nn.LayerNorm(d_model, eps=layer_norm_eps)
        self.dropout1 = nn.Dropout(dropout)
        self.dropout2 = nn.Dropout(dropout)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None, *, return_weights: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Run the block on tokens ``x`` ``(batch, seq, d_model)``.

        Args:
            x: tokens ``(batch, seq, d_model)``.
            mask: optional bool attention mask, **True = may attend**, with any shape
                :class:`~helpers.MultiHeadSelfAttention` accepts: ``(seq, seq)``,
                ``(batch, seq, seq)``, ``(batch, 1, seq)`` (e.g. :func:`helpers.padding_mask`)
                or ``(batch, heads, seq, seq)``.
            return_weights: (keyword only) also return the attention weights (runs the
                explicit attention); False, the default, uses PyTorch's fused attention kernel.

        Returns:
            ``output`` ``(batch, seq, d_model)``, or ``(output, weights)`` with weights
            ``(batch, heads, seq, seq)``.
        """
        d_model = self.attention.d_model
        check_layer_input(x, "x", "(batch, seq, d_model)", 3, 3, -1, d_model, "d_model")
        attention_input = self.norm1(x) if self.norm_first else x  # (batch, seq, d_model)
        if return_weights:
            attended, weights = self.attention(attention_input, mask, return_weights=True)
            return self._residuals_and_feed_forward(x, attended), weights
        return self._residuals_and_feed_forward(x, self.attention(attention_input, mask))

    def _residuals_and_feed_forward(self, x: torch.Tensor, attended: torch.Tensor) -> torch.Tensor:
        """Everything after the attention: its residual, the feed-forward sub-layer and its
        residual, with the LayerNorms where ``norm_first`` puts them. ``(batch, seq, d_model)``."""
        if self.norm_first:
            h = x + self.dropout1(attended)  # (batch, seq, d_model)
            return h + self.dropout2(self.feed_forward(self.norm2(h)))
        h = self.norm1(x + self.dropout1(attended))  # (batch, seq, d_model)
        return self.norm2(h + self.dropout2(self.feed_forward(h)))

    @classmethod
    def from_torch(cls, layer: nn.TransformerEncoderLayer) -> TransformerEncoderBlock:
        """A copy of ``nn.TransformerEncoderLayer(..., batch_first=True)`` with the same weights.

        In eval mode the copy's output equals ``layer``'s within float rounding, for both
        ``norm_first`` settings. Pitfalls when comparing the two:

        * **The masks mean opposite things.** Here True = may attend. torch's
          ``src_key_padding_mask`` ``(batch, seq)`` is True at the *padding* (ignored) positions,
          and a bool ``src_mask`` is True where attending is *not* allowed. With
          ``mask = helpers.padding_mask(lengths, seq)`` (shape ``(batch, 1, seq)``) pass
          ``src_key_padding_mask=~mask.squeeze(1)`` to torch.
        * **Padded positions are not comparable.** Their outputs are never used; ``nn.
          TransformerEncoder`` in eval mode may run a "fast path" (nested tensors) that returns
          zeros there, while this block (and torch's slow path) computes an ordinary output.
          Compare the real tokens only.
        """
        activation = check_torch_encoder_layer(layer)  # "relu" or "gelu"
        d_model, d_ff = layer.linear1.in_features, layer.linear1.out_features
        copy = cls(
            d_model,
            layer.self_attn.num_heads,
            d_ff,
            dropout=layer.dropout.p,
            norm_first=bool(layer.norm_first),
            activation=activation,
            layer_norm_eps=layer.norm1.eps,
        )
        copy = copy.to(device=layer.linear1.weight.device, dtype=layer.linear1.weight.dtype)
        copy.attention = MultiHeadSelfAttention.from_torch(layer.self_attn)
        with torch.no_grad():
            for ours, theirs in (
                (copy.feed_forward.linear1, layer.linear1),
                (copy.feed_forward.linear2, layer.linear2),
                (copy.norm1, layer.norm1),
                (copy.norm2, layer.norm2),
            ):
                ours.weight.copy_(theirs.weight)
                ours.bias.copy_(theirs.bias)
        copy.train(layer.training)
        return copy

    def extra_repr(self) -> str:
        return f"norm_first={self.norm_first}"
