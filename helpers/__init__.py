"""Tested building blocks of the self-attention course, in three layers.

* :mod:`helpers.core` — self-attention itself: scores, softmax, attention, masks, multi-head,
  positional encoding, local and chunked attention, the encoder block (imports only torch).
* :mod:`helpers.applications` — speech, images, conv-as-attention, graphs, sequence tasks and
  models (built on the core only).
* :mod:`helpers.measuring` — timing, memory and autograd instruments (need nothing above the
  core's input checks).

:mod:`helpers.exercises` (the notebooks' ``check``) sits on top and is imported on its own.
Every public name is re-exported here, so ``from helpers import softmax`` works whatever layer
it lives in.

Conventions: rows are tokens (``Q = X @ W_q``, shapes ``(..., seq, dim)``); masks are bool with
True = may attend; bad inputs raise ``ValueError`` naming the offending shape or value.
**Attention weights** are returned on request only, the same way everywhere: every function and
layer that computes attention weights takes a keyword-only ``return_weights: bool = False`` and
returns the output tensor, or ``(output, weights)`` when ``return_weights=True``.
(:class:`MultiHeadSelfAttention` and :class:`TransformerEncoderBlock` run PyTorch's fused kernel
when the weights are not requested.)
"""

from .applications import (
    SOUND_KINDS,
    AttentionClassifier,
    ConvAsSelfAttention,
    GraphAttentionLayer,
    GRUClassifier,
    SAGANSelfAttention,
    frame_signal,
    gat_scores,
    image_to_patches,
    image_to_tokens,
    kernel_offsets,
    log_spectrogram,
    patches_to_image,
    quadratic_encoding,
    recall_task,
    relative_offsets,
    sound_dataset,
    spectrogram_frequencies,
    synth_recording,
    synth_segment,
    tokens_to_image,
)
from .core import (
    AdditiveScore,
    FeedForward,
    MultiHeadSelfAttention,
    SelfAttention,
    TransformerEncoderBlock,
    band_to_full,
    causal_mask,
    chunked_attention,
    dot_product_score,
    graph_mask,
    local_attention,
    local_mask,
    merge_heads,
    padding_mask,
    relative_position_matrix,
    scaled_dot_product_attention,
    sinusoidal_encoding,
    softmax,
    split_heads,
)
from .measuring import (
    CostCurves,
    TensorMemoryTracker,
    autograd_depth,
    best_time,
    best_times,
    cost_by_length,
    loglog_slope,
    saved_tensor_bytes,
)

__all__ = [
    "AdditiveScore",
    "AttentionClassifier",
    "ConvAsSelfAttention",
    "CostCurves",
    "FeedForward",
    "GRUClassifier",
    "GraphAttentionLayer",
    "MultiHeadSelfAttention",
    "SAGANSelfAttention",
    "SOUND_KINDS",
    "SelfAttention",
    "TensorMemoryTracker",
    "TransformerEncoderBlock",
    "autograd_depth",
    "band_to_full",
    "best_time",
    "best_times",
    "causal_mask",
    "chunked_attention",
    "cost_by_length",
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
    "loglog_slope",
    "merge_heads",
    "padding_mask",
    "patches_to_image",
    "quadratic_encoding",
    "recall_task",
    "relative_offsets",
    "relative_position_matrix",
    "saved_tensor_bytes",
    "scaled_dot_product_attention",
    "sinusoidal_encoding",
    "softmax",
    "sound_dataset",
    "spectrogram_frequencies",
    "split_heads",
    "synth_recording",
    "synth_segment",
    "tokens_to_image",
]
