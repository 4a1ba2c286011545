"""The core: self-attention itself, from scores and softmax to a Transformer encoder block.

Pure math on tensors, each concept in its own module and derived step by step in its docstring:
the scores (:mod:`.scores`), a stable and maskable softmax (:mod:`.softmax`), scaled dot-product
and single-head self-attention (:mod:`.attention`), masks (:mod:`.masks`), multi-head attention
(:mod:`.multi_head`), positional encoding (:mod:`.positional`), truncated (:mod:`.local_attention`)
and chunked (:mod:`.chunked_attention`) attention, and the encoder block (:mod:`.encoder`). Every
input check lives in :mod:`.validation`. The core imports only torch: nothing from the
applications, the measuring tools or the exercises, which are all built on it.
"""

from .attention import SelfAttention, scaled_dot_product_attention
from .chunked_attention import chunked_attention
from .encoder import FeedForward, TransformerEncoderBlock
from .local_attention import band_to_full, local_attention
from .masks import causal_mask, graph_mask, local_mask, padding_mask
from .multi_head import MultiHeadSelfAttention, merge_heads, split_heads
from .positional import relative_position_matrix, sinusoidal_encoding
from .scores import AdditiveScore, dot_product_score
from .softmax import softmax

__all__ = [
    "AdditiveScore",
    "FeedForward",
    "MultiHeadSelfAttention",
    "SelfAttention",
    "TransformerEncoderBlock",
    "band_to_full",
    "causal_mask",
    "chunked_attention",
    "dot_product_score",
    "graph_mask",
    "local_attention",
    "local_mask",
    "merge_heads",
    "padding_mask",
    "relative_position_matrix",
    "scaled_dot_product_attention",
    "sinusoidal_encoding",
    "softmax",
    "split_heads",
]
