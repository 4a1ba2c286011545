"""Two small sequence classifiers with the same interface: an RNN and one self-attention layer.

:class:`GRUClassifier` and :class:`AttentionClassifier` map ``tokens (batch, seq)`` to
``logits (batch, n_classes)`` read at the last position. Information from token 0 reaches the
last position through ``seq`` GRU steps (the one that reads it and ``seq - 1`` more), or through
one attention layer: the lecture's "path length ``t`` vs 1" (try them on
:func:`helpers.recall_task`).
"""

from __future__ import annotations

import torch
from torch import nn

from ..core.multi_head import MultiHeadSelfAttention
from ..core.positional import sinusoidal_encoding
from ..core.validation import check_int, check_token_ids


def _small_embedding(vocab_size: int, d_model: int) -> nn.Embedding:
    """Token vectors initialised with std ``1 / sqrt(d_model)``, i.e. norm about 1.

    ``nn.Embedding`` starts with std 1 (norm about ``sqrt(d_model)``), which can drown the
    positional encoding (norm ``sqrt(d_model / 2)``) of :class:`AttentionClassifier`; both
    models use the same initialisation so that they are compared on equal terms.
    """
    embedding = nn.Embedding(vocab_size, d_model)
    nn.init.normal_(embedding.weight, std=d_model**-0.5)
    return embedding


class GRUClassifier(nn.Module):
    """Embedding -> one-layer GRU -> linear layer on the **last** hidden state.

        e_t = Embedding(token_t)                          (batch, seq, d_model)
        h_t = GRU(e_t, h_{t-1}),  h_0 = 0                  (batch, seq, d_model)
        logits = h_{seq-1} W_out + b_out                   (batch, n_classes)

    Token 0 can only influence the logits through the chain ``h_0 -> h_1 -> ... -> h_{seq-1}``:
    a path of ``seq`` recurrent steps (notebook 08 counts the step that reads the token).
    """

    def __init__(self, vocab_size: int, d_model: int, n_classes: int) -> None:
        super().__init__()
        check_int(vocab_size, "vocab_size", minimum=1)
        check_int(d_model, "d_model", minimum=1)
        check_int(n_classes, "n_classes", minimum=1)
        self.vocab_size = vocab_size
        self.embedding = _small_embedding(vocab_size, d_model)
        self.rnn = nn.GRU(d_model, d_model, batch_first=True)
        self.head = nn.Linear(d_model, n_classes)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """``tokens`` int ``(batch, seq)`` -> ``logits`` ``(batch, n_classes)``."""
        check_token_ids(tokens, self.vocab_size)
        hidden, _ = self.rnn(self.embedding(tokens))  # (batch, seq, d_model)
        return self.head(hidden[:, -1])  # (batch, n_classes)


class AttentionClassifier(nn.Module):
    """Embedding + sinusoidal positional encoding -> one self-attention layer -> linear layer.

        x = Embedding(tokens) + PE[:seq]                   (batch, seq, d_model)
        y = x + MultiHeadSelfAttention(x)                  (batch, seq, d_model)  residual
        logits = y_{seq-1} W_out + b_out                   (batch, n_classes)

    The last position reads token 0 through a single attention step, whatever the distance.
    The positional encoding is what lets it find *which* token is the first one.

    Args:
        vocab_size: number of token ids.
        d_model: size of the token vectors; divisible by ``num_heads``.
        n_classes: number of labels.
        num_heads: attention heads.
        max_len: longest sequence the positional-encoding table covers.
    """

    def __init__(
        self, vocab_size: int, d_model: int, n_classes: int, num_heads: int = 2, max_len: int = 512
    ) -> None:
        super().__init__()
        check_int(vocab_size, "vocab_size", minimum=1)
        check_int(d_model, "d_model", minimum=1)
        check_int(n_classes, "n_classes", minimum=1)
        check_int(max_len, "max_len", minimum=1)
        self.vocab_size, self.max_len = vocab_size, max_len
        self.embedding = _small_embedding(vocab_size, d_model)
        self.attention = MultiHeadSelfAttention(d_model, num_heads)
        self.head = nn.Linear(d_model, n_classes)
        # Not learned and recomputable: kept out of the state_dict.
        self.register_buffer("positions", sinusoidal_encoding(max_len, d_model), persistent=False)

    def _inputs(self, tokens: torch.Tensor) -> torch.Tensor:
        check_token_ids(tokens, self.vocab_size, self.max_len)
        return self.embedding(tokens) + self.positions[: tokens.shape[1]]  # (batch, seq, d_model)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """``tokens`` int ``(batch, seq)`` -> ``logits`` ``(batch, n_classes)``.

        Runs PyTorch's fused attention (fast, no weights kept).
        """
        x = self._inputs(tokens)  # (batch, seq, d_model)
        attended = self.attention(x)  # (batch, seq, d_model)
        return self.head((x + attended)[:, -1])  # (batch, n_classes)

    def attention_map(self, tokens: torch.Tensor) -> torch.Tensor:
        """The attention weights ``(batch, heads, seq, seq)`` of the layer on ``tokens``:
        ``[b, h, i, j]`` is how much position ``i`` of sequence ``b`` reads token ``j`` in head
        ``h`` (the explicit attention; :meth:`forward` runs the fused kernel and keeps none)."""
        _, weights = self.attention(self._inputs(tokens), return_weights=True)
        return weights
