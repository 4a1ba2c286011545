"""Graph attention: self-attention computed only along the edges of a graph (a GAT layer).

On a graph the edges already say which nodes are related, so node ``i`` attends only to its
neighbours ``j`` (``adjacency[i, j]`` True); every other pair is masked out. With the additive
score of graph attention networks (GAT, Veličković et al. 2018), one head computes

    z_i      = W x_i                                          projected node vectors
    e_ij     = LeakyReLU(a_self . z_i + a_neighbor . z_j)     score of node i attending node j
    alpha_ij = softmax_j(e_ij) over the neighbours j of i     (non-edges get weight 0)
    out_i    = sum_j alpha_ij z_j

``a_self . z_i + a_neighbor . z_j`` is the original paper's ``a^T [z_i || z_j]`` with
``a = [a_self || a_neighbor]``: a concatenation-based additive score. Because the nonlinearity
comes *after* the sum, it costs two dot products per node, then one addition per pair.
The adjacency is used exactly as given: add self-loops with ``helpers.graph_mask(adjacency)``
so that each node also keeps its own vector.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Literal, overload

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..core.softmax import softmax
from ..core.validation import (
    check_finite_number,
    check_flag,
    check_gat_score_inputs,
    check_graph,
    check_int,
)


def gat_scores(
    z: torch.Tensor,
    a_self: torch.Tensor,
    a_neighbor: torch.Tensor,
    negative_slope: float = 0.2,
) -> torch.Tensor:
    """GAT attention scores ``e[..., i, j] = LeakyReLU(a_self . z_i + a_neighbor . z_j)``.

    Row ``i`` is node ``i`` attending (as the query) node ``j`` (the key). Every pair is scored;
    the adjacency is applied afterwards, by the softmax.

    Args:
        z: projected node vectors ``(..., N, F)``, e.g. ``(N, F)`` or ``(heads, N, F)``.
        a_self: ``(..., F)``, the weights of the attending node's part (``(heads, F)`` for
            heads, or one ``(F,)`` shared by every leading index of ``z``).
        a_neighbor: ``(..., F)``, the weights of the attended neighbour's part.
        negative_slope: slope of LeakyReLU for negative sums (GAT uses 0.2; note that
            ``F.leaky_relu``'s default is 0.01).

    Returns:
        Scores ``(..., N, N)``, not symmetric in general.
    """
    check_gat_score_inputs(z, a_self, a_neighbor, negative_slope)
    score_self = z @ a_self.unsqueeze(-1)  # (..., N, 1): a_self . z_i, one per attending node
    score_neighbor = z @ a_neighbor.unsqueeze(-1)  # (..., N, 1): a_neighbor . z_j
    pair_sums = score_self + score_neighbor.transpose(-2, -1)  # (..., N, N) by broadcasting
    return F.leaky_relu(pair_sums, negative_slope=negative_slope)


class GraphAttentionLayer(nn.Module):
    """A graph attention (GAT) layer: multi-head attention of each node over its neighbours.

    For head ``h`` (``z[h]`` is the ``h``-th slice of ``W x`` of size ``out_features``):

        e[h, i, j]     = LeakyReLU(a_self[h] . z[h]_i + a_neighbor[h] . z[h]_j)
        alpha[h, i, :] = softmax over the j with adjacency[i, j] True (other j get 0)
        head_h(i)      = sum_j alpha[h, i, j] z[h]_j

    then the heads are concatenated (``concat=True``, output ``(N, num_heads * out_features)``)
    or averaged (``concat=False``, output ``(N, out_features)``; GAT's output layer).

    Parameters: ``W`` (``nn.Linear(in_features, num_heads * out_features, bias=False)``) and
    ``a_self``, ``a_neighbor`` of shape ``(num_heads, out_features)``.

    Args:
        in_features: size of each input node vector.
        out_features: size of each head's output vector.
        num_heads: number of independent attention heads.
        concat: concatenate the heads (True) or average them (False).
        negative_slope: slope of the LeakyReLU in the score.
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        num_heads: int = 1,
        concat: bool = True,
        negative_slope: float = 0.2,
    ) -> None:
        super().__init__()
        check_int(in_features, "in_features", minimum=1)
        check_int(out_features, "out_features", minimum=1)
        check_int(num_heads, "num_heads", minimum=1)
        check_flag(concat, "concat")
        check_finite_number(negative_slope, "negative_slope")
        self.in_features, self.out_features = in_features, out_features
        self.num_heads, self.concat = num_heads, concat
        self.negative_slope = float(negative_slope)
        self.W = nn.Linear(in_features, num_heads * out_features, bias=False)
        self.a_self = nn.Parameter(torch.empty(num_heads, out_features))
        self.a_neighbor = nn.Parameter(torch.empty(num_heads, out_features))
        self.reset_parameters()

    if TYPE_CHECKING:  # the package's convention, for type checkers: the output, or a pair
        # fmt: off
        @overload
        def __call__(self, x: Tensor, adjacency: Tensor,
                     *, return_weights: Literal[False] = ...) -> Tensor: ...
        @overload
        def __call__(self, x: Tensor, adjacency: Tensor,
                     *, return_weights: Literal[True]) -> tuple[Tensor, Tensor]: ...
        # fmt: on
        def __call__(self, *args: Any, **kwargs: Any) -> Any: ...

    def reset_parameters(self) -> None:
        """Glorot-uniform initialisation, as in the GAT paper.

        ``a = [a_self || a_neighbor]`` is a ``(2 * out_features)`` vector per head: its bound is
        ``sqrt(6 / (2 * out_features + 1))``.
        """
        nn.init.xavier_uniform_(self.W.weight)
        bound = math.sqrt(6.0 / (2 * self.out_features + 1))
        nn.init.uniform_(self.a_self, -bound, bound)
        nn.init.uniform_(self.a_neighbor, -bound, bound)

    @property
    def output_size(self) -> int:
        """Size of each output node vector: ``num_heads * out_features`` or ``out_features``."""
        return self.num_heads * self.out_features if self.concat else self.out_features

    def forward(
        self, x: torch.Tensor, adjacency: torch.Tensor, *, return_weights: bool = False
    ) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        """Attend every node of ``x`` to the nodes ``adjacency`` allows.

        Args:
            x: node vectors ``(N, in_features)``.
            adjacency: bool ``(N, N)``; ``adjacency[i, j]`` True = node ``i`` may attend node
                ``j``. Used as given: include self-loops with ``helpers.graph_mask``. A node
                that may attend nothing gets a zero output (no NaN).
            return_weights: also return the attention weights (keyword only).

        Returns:
            ``output`` ``(N, num_heads * out_features)`` (concat) or ``(N, out_features)``
            (average), or ``(output, weights)`` with weights ``(num_heads, N, N)``, each row
            summing to 1 over the allowed neighbours.
        """
        check_graph(x, adjacency, self.in_features)
        n_nodes = x.shape[0]
        z = self.W(x)  # (N, heads * out)
        z = z.view(n_nodes, self.num_heads, self.out_features).transpose(0, 1)  # (heads, N, out)
        scores = gat_scores(z, self.a_self, self.a_neighbor, self.negative_slope)  # (heads, N, N)
        weights = softmax(scores, dim=-1, mask=adjacency)  # (heads, N, N), 0 on non-edges
        heads = weights @ z  # (heads, N, out): weighted sum over each node's neighbours
        concatenated = heads.transpose(0, 1).reshape(n_nodes, -1)  # (N, heads * out)
        output = concatenated if self.concat else heads.mean(dim=0)  # or (N, out): the average
        return (output, weights) if return_weights else output

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"num_heads={self.num_heads}, concat={self.concat}, "
            f"negative_slope={self.negative_slope}"
        )
