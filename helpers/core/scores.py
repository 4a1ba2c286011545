"""The lecture's two ways to compute the attention score alpha between a query and a key.

* Dot product:  alpha = q . k
* Additive:     alpha = w^T tanh(W_q q + W_k k)

Both functions accept a *matrix* of queries (one per row, the code convention) and return one
score for every query/key pair, or a single query vector and return one score per key.
Which one you mean is decided by the rank: ``q`` with one dimension fewer than ``k`` is a single
query (per batch entry); ``q`` with as many dimensions as ``k`` is a matrix of queries.
"""

from __future__ import annotations

import torch
from torch import nn

from .validation import check_int, check_query_and_keys, check_size


def dot_product_score(q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
    """Dot-product attention scores ``alpha[..., i, j] = q_i . k_j`` (all pairs: ``q @ k^T``).

    Args:
        q: queries ``(..., L, d)``, or a single query ``(..., d)``.
        k: keys ``(..., S, d)``.

    Returns:
        Scores ``(..., L, S)``, or ``(..., S)`` for a single query.
    """
    single_query = check_query_and_keys(q, k)
    if single_query:
        return (k @ q.unsqueeze(-1)).squeeze(-1)  # (..., S, d) @ (..., d, 1) -> (..., S)
    return q @ k.transpose(-2, -1)  # (..., L, d) @ (..., d, S) -> (..., L, S)


class AdditiveScore(nn.Module):
    """Additive attention score ``alpha = w^T tanh(W_q q + W_k k)`` for every query/key pair.

    ``W_q`` maps a query to ``d_hidden`` numbers, ``W_k`` maps a key to ``d_hidden`` numbers, the
    two are added, squashed by tanh and collapsed to one number by the vector ``w``. All three
    are learned and have no bias, as in the lecture.

    Args:
        d_q: size of a query vector.
        d_k: size of a key vector (may differ from ``d_q``: unlike the dot product, the additive
            score does not need queries and keys of the same size).
        d_hidden: size of the space where query and key are added.
    """

    def __init__(self, d_q: int, d_k: int, d_hidden: int) -> None:
        super().__init__()
        check_int(d_q, "d_q", minimum=1)
        check_int(d_k, "d_k", minimum=1)
        check_int(d_hidden, "d_hidden", minimum=1)
        self.d_q, self.d_k, self.d_hidden = d_q, d_k, d_hidden
        self.W_q = nn.Linear(d_q, d_hidden, bias=False)
        self.W_k = nn.Linear(d_k, d_hidden, bias=False)
        self.w = nn.Linear(d_hidden, 1, bias=False)

    def forward(self, q: torch.Tensor, k: torch.Tensor) -> torch.Tensor:
        """Scores ``(..., L, S)`` for queries ``(..., L, d_q)`` and keys ``(..., S, d_k)``.

        A single query ``(..., d_q)`` gives scores ``(..., S)``.
        """
        single_query = check_query_and_keys(q, k, same_size=False)
        check_size(q, "q", -1, self.d_q, "d_q")
        check_size(k, "k", -1, self.d_k, "d_k")
        if single_query:
            return self.forward(q.unsqueeze(-2), k).squeeze(-2)  # as a matrix with L = 1

        query_part = self.W_q(q).unsqueeze(-2)  # (..., L, 1, d_hidden)
        key_part = self.W_k(k).unsqueeze(-3)  # (..., 1, S, d_hidden)
        hidden = torch.tanh(query_part + key_part)  # (..., L, S, d_hidden): every pair
        return self.w(hidden).squeeze(-1)  # (..., L, S)

    def extra_repr(self) -> str:
        return f"d_q={self.d_q}, d_k={self.d_k}, d_hidden={self.d_hidden}"
