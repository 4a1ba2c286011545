"""Counting the memory of tensors: how many bytes a computation holds at once.

The course's memory claims (full attention stores ``L^2`` scores, local and chunked attention
``O(L)``) are shown by counting bytes, not by timing: a count is exact and the same on every
machine, so a lesson can print it and a test can compare it. :class:`TensorMemoryTracker` counts
the tensors that Python code creates inside a ``with`` block.
"""

from __future__ import annotations

import weakref

import torch
from torch.overrides import TorchFunctionMode


class TensorMemoryTracker(TorchFunctionMode):
    """Count the bytes of the tensors created inside a ``with`` block: alive now, and the peak.

        with TensorMemoryTracker() as memory:
            output = helpers.scaled_dot_product_attention(q, k, v)
        memory.peak_bytes  # the most bytes held at once by tensors created in the block

    Every torch function called in the block (``torch.*``, tensor methods and operators) is
    intercepted. Memory that a function returns and that did not exist before is counted until
    the last tensor seen using it is garbage-collected (in CPython: as soon as nothing refers to
    it). Views (``x.T``, ``x[2:5]``, ``x.detach()``) share their base's memory and add nothing;
    tensors created before the block are not counted. The count is exact and the same on every
    machine, but sees only tensors that Python code receives: the scratch memory *inside* one
    fused kernel (such as ``F.scaled_dot_product_attention``) is invisible; ``torch.profiler``
    sees that too.

    Attributes:
        alive_bytes: bytes of counted memory that is still in use.
        peak_bytes: the largest ``alive_bytes`` seen so far.
        allocated_bytes: total bytes of all counted memory (alive or not).
    """

    def __init__(self) -> None:
        super().__init__()
        self.alive_bytes = 0
        self.peak_bytes = 0
        self.allocated_bytes = 0
        self._holders: dict[int, int] = {}  # memory address -> live watched tensors using it
        self._size: dict[int, int] = {}  # memory address -> counted bytes (0: from before)
        self._watched: set[int] = set()  # id() of the live tensors being watched

    def __torch_function__(self, func, types, args=(), kwargs=None):
        kwargs = kwargs or {}
        for value in (*args, *kwargs.values()):
            for tensor in _tensors_in(value):
                self._watch(tensor, created=False)
        result = func(*args, **kwargs)
        for tensor in _tensors_in(result):
            self._watch(tensor, created=True)
        return result

    def _watch(self, tensor: torch.Tensor, created: bool) -> None:
        """Follow ``tensor`` until it dies; count its memory if a function has just made it."""
        if id(tensor) in self._watched:
            return
        storage = tensor.untyped_storage()
        address = storage.data_ptr()
        if address == 0:
            return  # no memory (an empty tensor)
        if address not in self._holders:  # memory not seen yet: new, or from before the block
            size = storage.nbytes() if created else 0
            self._size[address] = size
            self._holders[address] = 0
            self.alive_bytes += size
            self.allocated_bytes += size
            self.peak_bytes = max(self.peak_bytes, self.alive_bytes)
        self._holders[address] += 1
        self._watched.add(id(tensor))
        weakref.finalize(tensor, self._forget, id(tensor), address)

    def _forget(self, key: int, address: int) -> None:
        """A watched tensor died; its memory is free once no watched tensor uses it."""
        self._watched.discard(key)
        self._holders[address] -= 1
        if self._holders[address] == 0:
            del self._holders[address]
            self.alive_bytes -= self._size.pop(address)


def _tensors_in(value: object) -> list[torch.Tensor]:
    """The tensors in ``value``: itself, or the items of a tuple/list (one level deep)."""
    if isinstance(value, torch.Tensor):
        return [value]
    if isinstance(value, (tuple, list)):
        return [item for item in value if isinstance(item, torch.Tensor)]
    return []
