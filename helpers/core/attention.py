"""Scaled dot-product attention and a single-head self-attention layer, written out step by step.

Rows are tokens (the code convention): for inputs ``X`` of shape ``(seq, d_in)``

    Q = X W_q,   K = X W_k,   V = X W_v
    A  = Q K^T / sqrt(d)          attention scores, (seq, seq): row i = query i, column j = key j
    A' = softmax(A)  (each row)   attention weights
    O  = A' V                     each output row is a weighted sum of value rows

The lecture writes the same thing with tokens as columns (``Q = W_q I``, ``A = K^T Q``,
``O = V A'``); transposing every matrix turns one convention into the other.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal, overload

import torch
from torch import Tensor, nn

from .softmax import softmax
from .validation import check_attention_inputs, check_int, check_layer_input


# Type checkers read the convention from the two overloads: a tensor, or a pair with the weights.
# fmt: off
@overload
def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = ...,
    scale: float | None = ..., *, return_weights: Literal[False] = ...) -> Tensor: ...
@overload
def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = ...,
    scale: float | None = ..., *, return_weights: Literal[True]) -> tuple[Tensor, Tensor]: ...
# fmt: on
def scaled_dot_product_attention(
    q: torch.Tensor,
    k: torch.Tensor,
    v: torch.Tensor,
    mask: torch.Tensor | None = None,
    scale: float | None = None,
    *,
    return_weights: bool = False,
) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
    """Attention ``softmax(q k^T * scale) v``, the explicit teaching implementation.

        scores  = q @ k^T * scale           (..., L, S)
        weights = softmax(scores, mask)     (..., L, S)   each row sums to 1 over allowed keys
        output  = weights @ v               (..., L, d_v)

    It agrees with ``torch.nn.functional.scaled_dot_product_attention`` given the same bool mask,
    except that a query allowed to attend to no key gets an output row of zeros (older torch
    versions return NaN there).

    Args:
        q: queries ``(..., L, d)``.
        k: keys ``(..., S, d)``.
        v: values ``(..., S, d_v)``.
        mask: optional bool tensor broadcastable to ``(..., L, S)``; True = query may attend key.
        scale: multiplies the scores; default ``1 / sqrt(d)``, which keeps the scores' variance
            near 1 when q and k have unit-variance entries, so softmax does not saturate.
        return_weights: also return the attention weights (keyword only).

    Returns:
        ``output`` ``(..., L, d_v)``, or ``(output, weights)`` with weights ``(..., L, S)``.
    """
    check_attention_inputs(q, k, v, mask)
    if scale is None:
        scale = 1.0 / math.sqrt(q.shape[-1])

    scores = (q @ k.transpose(-2, -1)) * scale  # (..., L, S)
    weights = softmax(scores, dim=-1, mask=mask)  # (..., L, S)
    output = weights @ v  # (..., L, d_v)
    return (output, weights) if return_weights else output


class SelfAttentionLayer(nn.Module):
    """How the self-attention layers of the core are called (the package's one convention)::

        layer(x, mask=None)                        -> output
        layer(x, mask=None, return_weights=True)   -> (output, weights)

    A subclass implements ``forward(x, mask=None, *, return_weights=False)``. This class only
    declares the two call signatures for type checkers (``nn.Module.__call__`` is untyped).
    """

    if TYPE_CHECKING:
        # fmt: off
        @overload
        def __call__(self, x: Tensor, mask: Tensor | None = ...,
                     *, return_weights: Literal[False] = ...) -> Tensor: ...
        @overload
        def __call__(self, x: Tensor, mask: Tensor | None = ...,
                     *, return_weights: Literal[True]) -> tuple[Tensor, Tensor]: ...
        # fmt: on
        def __call__(self, *args: Any, **kwargs: Any) -> Any: ...


class SelfAttention(SelfAttentionLayer):
    """Single-head self-attention: queries, keys and values all come from the same tokens ``x``.

        Q = x W_q,  K = x W_k,  V = x W_v,  output = softmax(Q K^T / sqrt(d_out)) V

    ``W_q``, ``W_k`` and ``W_v`` are the only learned parameters. They are ``nn.Linear`` layers,
    which store their matrix transposed: ``self.W_q(x) == x @ self.W_q.weight.T``, so the
    ``W_q`` of the formula is ``self.W_q.weight.T`` (shape ``(d_in, d_out)``).

    Args:
        d_in: size of each input token vector.
        d_out: size of each query, key, value and output vector.
        bias: add a learned bias to Q, K and V (the lecture uses none).
    """

    def __init__(self, d_in: int, d_out: int, bias: bool = False) -> None:
        super().__init__()
        check_int(d_in, "d_in", minimum=1)
        check_int(d_out, "d_out", minimum=1)
        self.d_in, self.d_out = d_in, d_out
        self.W_q = nn.Linear(d_in, d_out, bias=bias)
        self.W_k = nn.Linear(d_in, d_out, bias=bias)
        self.W_v = nn.Linear(d_in, d_out, bias=bias)

    def forward(
        self, x: torch.Tensor, mask: torch.Tensor | None = None, *, return_weights: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Attend every token of ``x`` ``(..., seq, d_in)`` to every token it may (``mask``).

        Args:
            x: tokens ``(..., seq, d_in)``.
            mask: optional bool tensor broadcastable to ``(..., seq, seq)``; True = may attend.
            return_weights: also return the attention weights (keyword only).

        Returns:
            ``output`` ``(..., seq, d_out)``, or ``(output, weights)`` with weights
            ``(..., seq, seq)``.
        """
        check_layer_input(x, "x", "(..., seq, d_in)", 2, None, -1, self.d_in, "d_in")
        q = self.W_q(x)  # (..., seq, d_out)
        k = self.W_k(x)  # (..., seq, d_out)
        v = self.W_v(x)  # (..., seq, d_out)
        output, weights = scaled_dot_product_attention(q, k, v, mask=mask, return_weights=True)
        return (output, weights) if return_weights else output  # (..., seq, d_out)

    def extra_repr(self) -> str:
        return f"d_in={self.d_in}, d_out={self.d_out}"
