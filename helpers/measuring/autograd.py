"""What autograd records: how many steps must run one after another, and how much it saves.

* :func:`autograd_depth` — the longest chain of operations between an input and an output (the
  *span*: steps that must run one after another even with unlimited parallel hardware). For an
  RNN it grows with the distance, for self-attention it does not.
* :func:`saved_tensor_bytes` — the memory autograd keeps for the backward pass (the activation
  memory of training).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import torch

from ..core.validation import check_autograd_inputs, check_callable


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
    check_autograd_inputs(output, inputs)
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
    check_callable(fn, "fn")
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
