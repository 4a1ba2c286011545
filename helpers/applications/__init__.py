"""Applications: self-attention on speech, images, convolutions, graphs and long sequences.

Each module turns one kind of data into a set of vectors and applies the core to it, the way the
lecture's second half does: audio frames (:mod:`.audio`), pixels and patches and a SAGAN block
(:mod:`.vision`), a convolution written exactly as self-attention (:mod:`.conv_attention`), graph
attention along edges (:mod:`.graph_attention`), synthetic sounds to label frame by frame
(:mod:`.synthetic_speech`), a long-range recall task (:mod:`.sequence_tasks`) and the RNN and
attention classifiers compared on it (:mod:`.sequence_models`). Applications import only
:mod:`helpers.core`.
"""

from .audio import frame_signal, log_spectrogram, spectrogram_frequencies
from .conv_attention import (
    ConvAsSelfAttention,
    kernel_offsets,
    quadratic_encoding,
    relative_offsets,
)
from .graph_attention import GraphAttentionLayer, gat_scores
from .sequence_models import AttentionClassifier, GRUClassifier
from .sequence_tasks import recall_task
from .synthetic_speech import SOUND_KINDS, sound_dataset, synth_recording, synth_segment
from .vision import (
    SAGANSelfAttention,
    image_to_patches,
    image_to_tokens,
    patches_to_image,
    tokens_to_image,
)

__all__ = [
    "SOUND_KINDS",
    "AttentionClassifier",
    "ConvAsSelfAttention",
    "GRUClassifier",
    "GraphAttentionLayer",
    "SAGANSelfAttention",
    "frame_signal",
    "gat_scores",
    "image_to_patches",
    "image_to_tokens",
    "kernel_offsets",
    "log_spectrogram",
    "patches_to_image",
    "quadratic_encoding",
    "recall_task",
    "relative_offsets",
    "sound_dataset",
    "spectrogram_frequencies",
    "synth_recording",
    "synth_segment",
    "tokens_to_image",
]
