"""Tested building blocks of the self-attention course.

Conventions: rows are tokens (``Q = X @ W_q``, shapes ``(..., seq, dim)``); masks are bool with
True = may attend; bad inputs raise ``ValueError`` naming the offending shape or value.
"""

from .attention import SelfAttention, scaled_dot_product_attention
from .audio import frame_signal, log_spectrogram, spectrogram_frequencies
from .chunked import TensorMemoryTracker, chunked_attention
from .conv_attention import (
    ConvAsSelfAttention,
    kernel_offsets,
    quadratic_encoding,
    relative_offsets,
)
from .encoder import FeedForward, TransformerEncoderBlock
from .figures import save_figure
from .graph_attention import GraphAttentionLayer, gat_scores
from .local_attention import band_to_full, local_attention
from .masks import causal_mask, graph_mask, local_mask, padding_mask
from .multi_head import MultiHeadSelfAttention, merge_heads, split_heads
from .positional import relative_position_matrix, sinusoidal_encoding
from .scores import AdditiveScore, dot_product_score
from .sequence_models import (
    AttentionClassifier,
    GRUClassifier,
    autograd_depth,
    recall_task,
    saved_tensor_bytes,
)
from .softmax import softmax
from .vision import (
    SAGANSelfAttention,
    image_to_patches,
    image_to_tokens,
    patches_to_image,
    tokens_to_image,
)

__all__ = [
    "AdditiveScore",
    "AttentionClassifier",
    "ConvAsSelfAttention",
    "FeedForward",
    "GRUClassifier",
    "GraphAttentionLayer",
    "MultiHeadSelfAttention",
    "SAGANSelfAttention",
    "SelfAttention",
    "TensorMemoryTracker",
    "TransformerEncoderBlock",
    "autograd_depth",
    "band_to_full",
    "causal_mask",
    "chunked_attention",
    "dot_product_score",
    "frame_signal",
    "gat_scores",
    "graph_mask",
    "image_to_patches",
    "image_to_tokens",
    "kernel_offsets",
    "local_attention",
    "local_mask",
    "log_spectrogram",
    "merge_heads",
    "padding_mask",
    "patches_to_image",
    "quadratic_encoding",
    "recall_task",
    "relative_offsets",
    "relative_position_matrix",
    "save_figure",
    "saved_tensor_bytes",
    "scaled_dot_product_attention",
    "sinusoidal_encoding",
    "softmax",
    "spectrogram_frequencies",
    "split_heads",
    "tokens_to_image",
]
