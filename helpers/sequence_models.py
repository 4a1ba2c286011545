"""Comparing an RNN with self-attention: a long-range task, two small models, two measuring tools.

* :func:`recall_task` — the answer at the **last** position depends only on the **first** token,
  ``distance`` steps back; every token in between is noise.
* :class:`GRUClassifier` and :class:`AttentionClassifier` — the same interface,
  ``tokens (batch, seq) -> logits (batch, n_classes)`` read at the last position. Information
  from token 0 reaches the last position through ``seq - 1`` GRU steps, or through one
  attention layer.
* :func:`autograd_depth` — the longest chain of operations between an input and an output
  (the *span*: steps that must run one after another even with unlimited parallel hardware).
* :func:`saved_tensor_bytes` — the memory autograd keeps for the backward pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch
from torch import nn

from ._validation import check_int, check_rank, check_tensor, shape_of
from .multi_head import MultiHeadSelfAttention
from .positional import sinusoidal_encoding


def recall_task(
    batch_size: int,
    distance: int,
    vocab_size: int = 4,
    n_classes: int = 2,
    generator: torch.Generator | None = None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """A batch of the "recall the first token" task: label = ``tokens[:, 0] % n_classes``.

    Every sequence has ``distance + 1`` uniformly random tokens, so the label is decided by the
    token ``distance`` positions before the last one, and the tokens in between carry no
    information about it. With ``vocab_size`` a multiple of ``n_classes`` the classes are
    balanced: chance accuracy is ``1 / n_classes``.

    Args:
        batch_size: number of sequences.
        distance: positions between the first token and the last (``>= 1``).
        vocab_size: token ids are ``0 .. vocab_size - 1``.
        n_classes: number of labels; must divide ``vocab_size``.
        generator: a seeded ``torch.Generator`` for reproducible batches.

    Returns:
        ``(tokens, labels)``: int64 ``(batch_size, distance + 1)`` and int64 ``(batch_size,)``.
    """
    check_int(batch_size, "batch_size", minimum=1)
    check_int(distance, "distance", minimum=1)
    check_int(vocab_size, "vocab_size", minimum=2)
    check_int(n_classes, "n_classes", minimum=2)
    if vocab_size % n_classes != 0:
        raise ValueError(
            f"n_classes={n_classes} must divide vocab_size={vocab_size}, "
            f"so that every class is equally likely"
        )
    tokens = torch.randint(0, vocab_size, (batch_size, distance + 1), generator=generator)
    return tokens, tokens[:, 0] % n_classes


def _check_tokens(tokens: object, vocab_size: int, max_len: int | None = None) -> None:
    """``tokens`` must be an integer ``(batch, seq)`` tensor of ids in ``[0, vocab_size)``."""
    check_tensor(tokens, "tokens")
    if tokens.is_floating_point() or tokens.is_complex() or tokens.dtype == torch.bool:
        raise ValueError(
            f"tokens must hold integer token ids, got dtype {tokens.dtype} "
            f"with shape {shape_of(tokens)}"
        )
    check_rank(tokens, "tokens", "(batch, seq)", min_rank=2, max_rank=2)
    if tokens.shape[1] == 0:
        raise ValueError(f"tokens must hold at least one position, got shape {shape_of(tokens)}")
    if max_len is not None and tokens.shape[1] > max_len:
        raise ValueError(
            f"tokens has seq={tokens.shape[1]} positions (shape {shape_of(tokens)}), more than "
            f"max_len={max_len} of the positional encoding"
        )
    if tokens.numel() and (tokens.min() < 0 or tokens.max() >= vocab_size):
        raise ValueError(
            f"token ids must be in [0, vocab_size={vocab_size}), got values from "
            f"{int(tokens.min())} to {int(tokens.max())}"
        )


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
    a path of ``seq - 1`` recurrent steps.
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
        _check_tokens(tokens, self.vocab_size)
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
        _check_tokens(tokens, self.vocab_size, self.max_len)
        return self.embedding(tokens) + self.positions[: tokens.shape[1]]  # (batch, seq, d_model)

    def forward(self, tokens: torch.Tensor) -> torch.Tensor:
        """``tokens`` int ``(batch, seq)`` -> ``logits`` ``(batch, n_classes)``.

        Runs PyTorch's fused attention (fast, no weights kept).
        """
        x = self._inputs(tokens)  # (batch, seq, d_model)
        attended, _ = self.attention(x, need_weights=False)  # (batch, seq, d_model)
        return self.head((x + attended)[:, -1])  # (batch, n_classes)

    def attention_weights(self, tokens: torch.Tensor) -> torch.Tensor:
        """The attention weights ``(batch, heads, seq, seq)`` of the layer on ``tokens``."""
        _, weights = self.attention(self._inputs(tokens), need_weights=True)
        return weights


# --------------------------------------------------------------------------- measuring tools


def _graph_node(tensor: torch.Tensor) -> Any:
    """The autograd node where ``tensor`` enters the graph (its grad_fn, or AccumulateGrad)."""
    if tensor.grad_fn is not None:
        return tensor.grad_fn
    # A leaf: the graph reaches it through an AccumulateGrad node, found from a trivial op.
    with torch.enable_grad():
        return tensor.view_as(tensor).grad_fn.next_functions[0][0]


def autograd_depth(output: torch.Tensor, inputs: Sequence[torch.Tensor]) -> list[int | None]:
    """For each input, the number of operations on the **longest** chain from it to ``output``.

    PyTorch records every operation of the forward pass in a graph (followed backwards by
    ``backward()``). An operation can only run once its inputs exist, so the longest chain of
    operations between two tensors is the number of steps that must happen **one after
    another** — no amount of parallel hardware shortens it. For ``y = exp(2 * x)`` the depth
    from ``x`` to ``y`` is 2; for an RNN the depth from ``x_0`` to ``h_t`` grows with ``t``.

    Args:
        output: a tensor computed from the inputs with autograd recording (grad enabled).
        inputs: tensors with ``requires_grad=True`` (leaves, or intermediate results).

    Returns:
        One entry per input: the depth (``0`` when the input *is* the output), or ``None`` when
        ``output`` does not depend on that input.
    """
    check_tensor(output, "output")
    for i, tensor in enumerate(inputs):
        check_tensor(tensor, f"inputs[{i}]")
        if not tensor.requires_grad:
            raise ValueError(
                f"inputs[{i}] (shape {shape_of(tensor)}) does not require grad, so autograd "
                f"cannot follow it: create it with requires_grad=True"
            )
    if output.grad_fn is None and not output.requires_grad:
        raise ValueError(
            f"output (shape {shape_of(output)}) has no autograd graph: compute it from inputs "
            f"that require grad, outside torch.no_grad()"
        )
    root = _graph_node(output)

    # Every node reachable from the root, in reverse post-order (a topological order: a node
    # comes before everything it points to). Iterative, so long RNN graphs do not hit Python's
    # recursion limit.
    order, seen, stack = [], {root}, [(root, iter(root.next_functions))]
    while stack:
        node, children = stack[-1]
        child = next((c for c, _ in children if c is not None and c not in seen), None)
        if child is None:
            order.append(stack.pop()[0])
        else:
            seen.add(child)
            stack.append((child, iter(child.next_functions)))
    order.reverse()

    longest = {root: 0}  # node -> operations on the longest chain from the root to the node
    for node in order:
        for child, _ in node.next_functions:
            if child is not None:
                longest[child] = max(longest.get(child, 0), longest[node] + 1)
    return [longest.get(_graph_node(tensor)) for tensor in inputs]


def saved_tensor_bytes(fn: Callable[[], Any], exclude: Iterable[torch.Tensor] = ()) -> int:
    """Bytes of the tensors autograd saves for the backward pass while ``fn()`` runs.

    Training keeps these tensors alive from the forward pass until ``backward()``: they are the
    activation memory of a model (an attention layer saves its ``(L, L)`` weights; an RNN saves
    its hidden states). Each storage is counted once, however often it is saved or viewed.

    Args:
        fn: runs a forward pass with grad enabled, e.g. ``lambda: model(x)``.
        exclude: tensors whose storage is not counted, e.g. ``model.parameters()`` (they exist
            anyway, with or without training).

    Returns:
        The total size in bytes of the distinct storages saved for backward.
    """
    if not callable(fn):
        raise ValueError(f"fn must be a function taking no arguments, got {type(fn).__name__}")
    excluded = {t.untyped_storage().data_ptr() for t in exclude}
    saved: dict[int, int] = {}  # storage address -> bytes
    alive: list[torch.Tensor] = []  # keeps saved tensors alive, so no address is reused

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        if tensor.layout == torch.strided and tensor.device.type != "meta":
            storage = tensor.untyped_storage()
            if storage.data_ptr() not in excluded:
                saved[storage.data_ptr()] = storage.nbytes()
            alive.append(tensor)
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        fn()
    alive.clear()
    return sum(saved.values())
