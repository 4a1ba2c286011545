"""A long-range sequence task: the answer at the **last** position is the **first** token's.

:func:`recall_task` makes batches of it. Every token between the first and the last is noise, so
a model must carry the first token ``distance`` positions to the end: ``distance + 1`` recurrent
steps for an RNN (the one that reads it, then ``distance`` more), one attention step for
self-attention (:mod:`helpers.applications.sequence_models`).
"""

from __future__ import annotations

import torch

from ..core.validation import check_recall_task


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
    check_recall_task(batch_size, distance, vocab_size, n_classes)
    tokens = torch.randint(0, vocab_size, (batch_size, distance + 1), generator=generator)
    return tokens, tokens[:, 0] % n_classes
