"""GraphAttentionLayer and gat_scores against a hand-computed example, explicit loops and a
plain softmax over all nodes (all-ones adjacency), plus bad-input tests."""

import math

import pytest
import torch

from helpers import GraphAttentionLayer, gat_scores, graph_mask


def leaky(x, slope=0.2):
    return x if x >= 0 else slope * x


def set_parameters(layer, w, a_self, a_neighbor):
    """Copy the formula's W (in, heads * out) into the layer (nn.Linear stores it transposed)."""
    with torch.no_grad():
        layer.W.weight.copy_(w.T)
        layer.a_self.copy_(a_self)
        layer.a_neighbor.copy_(a_neighbor)


def random_layer(in_features, out_features, num_heads, concat=True, slope=0.2, seed=0):
    torch.manual_seed(seed)
    layer = GraphAttentionLayer(in_features, out_features, num_heads, concat, slope)
    with torch.no_grad():  # larger scores than the initialisation: softmax far from uniform
        layer.a_self.normal_(0, 1.5)
        layer.a_neighbor.normal_(0, 1.5)
    return layer


def loop_gat(layer, x, adjacency):
    """Independent GAT forward pass in plain Python floats, one edge at a time."""
    n_nodes, heads, out = x.shape[0], layer.num_heads, layer.out_features
    z = (x.double() @ layer.W.weight.double().T).tolist()  # (N, heads * out)
    a_self, a_neighbor = layer.a_self.double().tolist(), layer.a_neighbor.double().tolist()
    weights = torch.zeros(heads, n_nodes, n_nodes, dtype=torch.float64)
    outputs = torch.zeros(heads, n_nodes, out, dtype=torch.float64)
    for h in range(heads):
        zh = [row[h * out : (h + 1) * out] for row in z]
        for i in range(n_nodes):
            neighbours = [j for j in range(n_nodes) if adjacency[i, j]]
            scores = {
                j: leaky(
                    sum(a * b for a, b in zip(a_self[h], zh[i], strict=True))
                    + sum(a * b for a, b in zip(a_neighbor[h], zh[j], strict=True)),
                    layer.negative_slope,
                )
                for j in neighbours
            }
            total = sum(math.exp(s) for s in scores.values())
            for j, s in scores.items():
                weights[h, i, j] = math.exp(s) / total
                for f in range(out):
                    outputs[h, i, f] += weights[h, i, j] * zh[j][f]
    return outputs, weights


def random_adjacency(n_nodes, seed, symmetric=False, p=0.4):
    generator = torch.Generator().manual_seed(seed)
    adjacency = torch.rand(n_nodes, n_nodes, generator=generator) < p
    return adjacency | adjacency.T if symmetric else adjacency


# --------------------------------------------------------------------------- hand computed


def test_hand_computed_example():
    # Path graph 0 - 1 - 2 with self-loops; W = identity, so z = x.
    # a_self = [1, 0] reads z_i[0] = (1, 0, 2); a_neighbor = [0, 1] reads z_j[1] = (0, 1, -1).
    layer = GraphAttentionLayer(2, 2)
    set_parameters(layer, torch.eye(2), torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]]))
    x = torch.tensor([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]])
    path = torch.tensor([[0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=torch.bool)
    output, weights = layer(x, graph_mask(path), return_weights=True)

    e = math.e
    # node 0 attends {0, 1}: scores 1 + 0 = 1 and 1 + 1 = 2
    row0 = [1 / (1 + e), e / (1 + e), 0.0]
    # node 1 attends {0, 1, 2}: scores 0, 1 and LeakyReLU(0 - 1) = -0.2
    total = 1 + e + math.exp(-0.2)
    row1 = [1 / total, e / total, math.exp(-0.2) / total]
    # node 2 attends {1, 2}: scores 2 + 1 = 3 and 2 - 1 = 1
    row2 = [0.0, e**2 / (1 + e**2), 1 / (1 + e**2)]
    expected_weights = torch.tensor([[row0, row1, row2]])
    torch.testing.assert_close(weights, expected_weights)
    expected_output = expected_weights[0] @ x  # z = x
    torch.testing.assert_close(output, expected_output)
    torch.testing.assert_close(output[0], torch.tensor([1 / (1 + e), e / (1 + e)]))
    assert weights[0, 0, 2] == 0 and weights[0, 2, 0] == 0  # non-edges: exactly zero


# --------------------------------------------------------------------------- independent loops


@pytest.mark.parametrize(
    ("n_nodes", "in_features", "out_features", "num_heads", "slope", "symmetric"),
    [(6, 3, 4, 1, 0.2, True), (7, 5, 2, 3, 0.2, False), (5, 4, 3, 2, 0.05, False)],
)
def test_matches_edge_by_edge_loop(n_nodes, in_features, out_features, num_heads, slope, symmetric):
    layer = random_layer(in_features, out_features, num_heads, slope=slope, seed=n_nodes)
    x = torch.randn(n_nodes, in_features)
    adjacency = graph_mask(random_adjacency(n_nodes, seed=n_nodes, symmetric=symmetric))
    output, weights = layer(x, adjacency, return_weights=True)
    loop_out, loop_weights = loop_gat(layer, x, adjacency)
    torch.testing.assert_close(weights, loop_weights.float())
    expected = loop_out.transpose(0, 1).reshape(n_nodes, num_heads * out_features)
    torch.testing.assert_close(output, expected.float())
    assert output.shape == (n_nodes, layer.output_size)


def test_all_ones_adjacency_is_full_attention_over_all_nodes():
    # With every pair allowed, the weights are a plain softmax of the additive scores over all
    # nodes, i.e. full (unmasked) self-attention with the GAT score.
    n_nodes, in_features, out_features, num_heads = 6, 5, 3, 2
    layer = random_layer(in_features, out_features, num_heads, seed=1)
    x = torch.randn(n_nodes, in_features)
    output, weights = layer(x, torch.ones(n_nodes, n_nodes, dtype=torch.bool), return_weights=True)

    z = (x @ layer.W.weight.T).reshape(n_nodes, num_heads, out_features)  # (N, heads, out)
    s_self = torch.einsum("nhf,hf->hn", z, layer.a_self)  # (heads, N)
    s_neighbor = torch.einsum("nhf,hf->hn", z, layer.a_neighbor)  # (heads, N)
    scores = torch.nn.LeakyReLU(0.2)(s_self[:, :, None] + s_neighbor[:, None, :])
    full = torch.softmax(scores, dim=-1)  # (heads, N, N), no mask at all
    torch.testing.assert_close(weights, full)
    heads = torch.einsum("hij,jhf->ihf", full, z)  # (N, heads, out)
    torch.testing.assert_close(output, heads.reshape(n_nodes, -1))
    assert (weights > 0).all()


def test_average_heads_is_the_mean_of_the_concatenated_heads():
    torch.manual_seed(3)
    x, adjacency = torch.randn(5, 4), graph_mask(random_adjacency(5, seed=3))
    concat = random_layer(4, 3, 2, concat=True, seed=4)
    average = GraphAttentionLayer(4, 3, 2, concat=False)
    average.load_state_dict(concat.state_dict())
    out_concat, w_concat = concat(x, adjacency, return_weights=True)
    out_average, w_average = average(x, adjacency, return_weights=True)
    assert out_average.shape == (5, 3) and average.output_size == 3
    torch.testing.assert_close(out_average, out_concat.reshape(5, 2, 3).mean(dim=1))
    torch.testing.assert_close(w_average, w_concat)


def test_heads_are_independent_slices():
    layer = random_layer(4, 3, 2, seed=5)
    x, adjacency = torch.randn(6, 4), graph_mask(random_adjacency(6, seed=5))
    output, weights = layer(x, adjacency, return_weights=True)
    for h in range(2):
        single = GraphAttentionLayer(4, 3)
        set_parameters(
            single,
            layer.W.weight[h * 3 : (h + 1) * 3].T,
            layer.a_self[h : h + 1],
            layer.a_neighbor[h : h + 1],
        )
        out_h, weights_h = single(x, adjacency, return_weights=True)
        torch.testing.assert_close(output[:, h * 3 : (h + 1) * 3], out_h)
        torch.testing.assert_close(weights[h], weights_h[0])


# --------------------------------------------------------------------------- masking


def test_weights_are_zero_off_edges_and_rows_sum_to_one():
    layer = random_layer(3, 4, 2, seed=6)
    adjacency = graph_mask(random_adjacency(8, seed=6))
    _, weights = layer(torch.randn(8, 3), adjacency, return_weights=True)
    assert (weights[:, ~adjacency] == 0).all()
    assert (weights[:, adjacency] > 0).all()
    torch.testing.assert_close(weights.sum(dim=-1), torch.ones(2, 8))


def test_rows_follow_the_adjacency_not_its_transpose():
    # Directed graph: node i attends j where adjacency[i, j] is True.
    adjacency = torch.tensor(
        [[1, 1, 1, 0], [0, 1, 0, 0], [0, 1, 1, 1], [1, 0, 0, 1]], dtype=torch.bool
    )
    layer = random_layer(3, 2, 1, seed=7)
    x = torch.randn(4, 3)
    _, weights = layer(x, adjacency, return_weights=True)
    assert torch.equal(weights[0] > 0, adjacency)
    assert not torch.equal(layer(x, adjacency.T, return_weights=True)[1], weights)
    torch.testing.assert_close(weights[0, 1], torch.tensor([0.0, 1.0, 0.0, 0.0]))  # only itself


def test_isolated_node_without_self_loop_gets_zeros_not_nan():
    adjacency = torch.tensor(
        [[0, 1, 0, 0], [1, 0, 1, 0], [0, 1, 0, 0], [0, 0, 0, 0]], dtype=torch.bool
    )  # node 3 has no edge and no self-loop
    layer = random_layer(3, 2, 2, seed=8)
    x = torch.randn(4, 3, requires_grad=True)
    output, weights = layer(x, adjacency, return_weights=True)
    assert torch.isfinite(output).all() and torch.isfinite(weights).all()
    assert (weights[:, 3] == 0).all() and (output[3] == 0).all()
    output.sum().backward()
    assert torch.isfinite(x.grad).all()
    assert (x.grad[3] == 0).all()  # nobody attends node 3, and node 3 attends nobody
    # with a self-loop it keeps its own projected vector
    output_loops = layer(x, graph_mask(adjacency))
    torch.testing.assert_close(output_loops[3], layer.W(x[3]))


def test_permuting_the_nodes_permutes_the_output():
    layer = random_layer(4, 3, 2, seed=9)
    x, adjacency = torch.randn(7, 4), graph_mask(random_adjacency(7, seed=9))
    output, weights = layer(x, adjacency, return_weights=True)
    perm = torch.randperm(7, generator=torch.Generator().manual_seed(1))
    out_p, weights_p = layer(x[perm], adjacency[perm][:, perm], return_weights=True)
    torch.testing.assert_close(out_p, output[perm])
    torch.testing.assert_close(weights_p, weights[:, perm][:, :, perm])


def test_gradients_reach_every_parameter():
    layer = random_layer(4, 3, 2, seed=10)
    output = layer(torch.randn(6, 4), graph_mask(random_adjacency(6, seed=10)))
    (output**2).sum().backward()
    for name, parameter in layer.named_parameters():
        assert parameter.grad is not None and parameter.grad.abs().sum() > 0, name


def test_parameter_shapes_and_float64():
    layer = GraphAttentionLayer(5, 3, num_heads=4)
    assert layer.W.weight.shape == (12, 5) and layer.W.bias is None
    assert layer.a_self.shape == (4, 3) and layer.a_neighbor.shape == (4, 3)
    assert sum(p.numel() for p in layer.parameters()) == 12 * 5 + 2 * 4 * 3
    layer = layer.double()
    output, weights = layer(
        torch.randn(6, 5, dtype=torch.float64), torch.ones(6, 6).bool(), return_weights=True
    )
    assert output.dtype == weights.dtype == torch.float64
    assert output.shape == (6, 12) and weights.shape == (4, 6, 6)
    assert "num_heads=4" in repr(layer)


# --------------------------------------------------------------------------- gat_scores


def test_gat_scores_match_loops_single_head():
    torch.manual_seed(11)
    z, a_self, a_neighbor = torch.randn(5, 3), torch.randn(3), torch.randn(3)
    scores = gat_scores(z, a_self, a_neighbor)
    assert scores.shape == (5, 5)
    expected = torch.tensor(
        [[leaky(float(a_self @ z[i] + a_neighbor @ z[j])) for j in range(5)] for i in range(5)]
    )
    torch.testing.assert_close(scores, expected)
    assert (scores < 0).any()  # the negative slope is exercised
    assert not torch.allclose(scores, scores.T)


def test_gat_scores_heads_and_slope():
    torch.manual_seed(12)
    z, a_self, a_neighbor = torch.randn(2, 6, 4), torch.randn(2, 4), torch.randn(2, 4)
    scores = gat_scores(z, a_self, a_neighbor, negative_slope=0.5)
    assert scores.shape == (2, 6, 6)
    for h in range(2):
        torch.testing.assert_close(
            scores[h], gat_scores(z[h], a_self[h], a_neighbor[h], negative_slope=0.5)
        )
    shared = gat_scores(z, a_self[0], a_neighbor[0])  # (F,) vectors shared by both heads
    torch.testing.assert_close(shared[1], gat_scores(z[1], a_self[0], a_neighbor[0]))
    relu = gat_scores(z[0], a_self[0], a_neighbor[0], negative_slope=0.0)
    assert (relu >= 0).all()


# --------------------------------------------------------------------------- bad input


def check_raises(call, *fragments):
    with pytest.raises(ValueError) as info:
        call()
    for fragment in fragments:
        assert fragment in str(info.value), (fragment, str(info.value))


def test_bad_constructor_arguments():
    check_raises(lambda: GraphAttentionLayer(0, 3), "in_features", "0")
    check_raises(lambda: GraphAttentionLayer(4, 2.5), "out_features", "2.5")
    check_raises(lambda: GraphAttentionLayer(4, 3, num_heads=0), "num_heads", "0")
    check_raises(lambda: GraphAttentionLayer(4, 3, concat="yes"), "concat", "'yes'")
    check_raises(lambda: GraphAttentionLayer(4, 3, negative_slope="0.2"), "negative_slope")
    check_raises(lambda: GraphAttentionLayer(4, 3, negative_slope=math.nan), "negative_slope")


def test_bad_forward_arguments():
    layer = GraphAttentionLayer(4, 3, num_heads=2)
    ones = torch.ones(5, 5, dtype=torch.bool)
    check_raises(lambda: layer(torch.randn(5, 6), ones), "in_features = 4", "(5, 6)")
    check_raises(lambda: layer(torch.randn(2, 5, 4), ones), "(N, in_features)", "(2, 5, 4)")
    check_raises(lambda: layer(torch.arange(20).reshape(5, 4), ones), "floating", "torch.int64")
    check_raises(lambda: layer(torch.randn(5, 4), torch.ones(5, 5)), "adjacency", "bool")
    check_raises(
        lambda: layer(torch.randn(5, 4), torch.ones(5, 4, dtype=torch.bool)),
        "(N, N)",
        "(5, 4)",
        "(5, 4)",
    )
    check_raises(
        lambda: layer(torch.randn(5, 4), torch.ones(6, 6, dtype=torch.bool)), "N = ", "(6, 6)"
    )


def test_bad_gat_scores_arguments():
    z = torch.randn(5, 3)
    check_raises(lambda: gat_scores(z, torch.randn(4), torch.randn(3)), "a_self", "(4,)", "(5, 3)")
    check_raises(lambda: gat_scores(z, torch.randn(3), torch.randn(2, 3)), "a_neighbor", "(2, 3)")
    check_raises(lambda: gat_scores(torch.randn(3), torch.randn(3), torch.randn(3)), "z", "(3,)")
    check_raises(
        lambda: gat_scores(torch.randn(2, 5, 3), torch.randn(3, 3), torch.randn(3)),
        "(2,)",
        "(3,)",
    )
    check_raises(lambda: gat_scores(z, torch.randn(3), torch.randn(3), None), "negative_slope")
    check_raises(lambda: gat_scores(z.int(), torch.randn(3), torch.randn(3)), "z", "torch.int32")
