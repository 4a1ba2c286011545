"""helpers.applications.sequence_tasks and sequence_models (the recall task, the two classifiers)
and helpers.measuring.autograd (autograd_depth, saved_tensor_bytes)."""

import math

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from helpers import (
    AttentionClassifier,
    GRUClassifier,
    MultiHeadSelfAttention,
    autograd_depth,
    recall_task,
    saved_tensor_bytes,
    sinusoidal_encoding,
)

# --------------------------------------------------------------------------- recall_task


def test_recall_task_shapes_dtypes_and_label_rule():
    tokens, labels = recall_task(7, distance=5, vocab_size=6, n_classes=3)
    assert tokens.shape == (7, 6) and labels.shape == (7,)
    assert tokens.dtype == labels.dtype == torch.int64
    assert torch.equal(labels, tokens[:, 0] % 3)
    assert tokens.min() >= 0 and tokens.max() < 6


def test_recall_task_is_reproducible_with_a_generator():
    first = recall_task(4, 3, generator=torch.Generator().manual_seed(5))
    second = recall_task(4, 3, generator=torch.Generator().manual_seed(5))
    assert all(torch.equal(a, b) for a, b in zip(first, second, strict=True))


def test_recall_task_classes_are_balanced():
    _, labels = recall_task(20_000, 2, vocab_size=4, n_classes=2)
    assert abs(labels.float().mean().item() - 0.5) < 0.02


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"batch_size": 0, "distance": 3}, ["batch_size", ">= 1", "0"]),
        ({"batch_size": 2, "distance": 0}, ["distance", ">= 1", "0"]),
        ({"batch_size": 2, "distance": 2.5}, ["distance", "int", "2.5"]),
        ({"batch_size": 2, "distance": 3, "vocab_size": 5, "n_classes": 2}, ["divide", "5"]),
        ({"batch_size": 2, "distance": 3, "n_classes": 1}, ["n_classes", ">= 2"]),
    ],
)
def test_recall_task_bad_input(kwargs, words):
    with pytest.raises(ValueError) as error:
        recall_task(**kwargs)
    assert all(word in str(error.value) for word in words), str(error.value)


# --------------------------------------------------------------------------- the classifiers


def test_gru_classifier_is_embedding_gru_and_a_head_on_the_last_state():
    torch.manual_seed(0)
    model = GRUClassifier(vocab_size=5, d_model=6, n_classes=3)
    tokens = torch.randint(0, 5, (4, 7))  # batch 4, seq 7: every size differs
    embedded = model.embedding.weight[tokens]  # (4, 7, 6)
    gru = model.rnn
    h = torch.zeros(4, 6)
    for t in range(7):  # the GRU equations written out (PyTorch's gate order: r, z, n)
        gi = embedded[:, t] @ gru.weight_ih_l0.T + gru.bias_ih_l0  # (4, 18)
        gh = h @ gru.weight_hh_l0.T + gru.bias_hh_l0
        r = torch.sigmoid(gi[:, :6] + gh[:, :6])
        z = torch.sigmoid(gi[:, 6:12] + gh[:, 6:12])
        n = torch.tanh(gi[:, 12:] + r * gh[:, 12:])
        h = (1 - z) * n + z * h
    expected = h @ model.head.weight.T + model.head.bias  # (4, 3)
    assert_close(model(tokens), expected)


def test_attention_classifier_matches_its_formula():
    torch.manual_seed(0)
    model = AttentionClassifier(vocab_size=5, d_model=8, n_classes=3, num_heads=2, max_len=20)
    tokens = torch.randint(0, 5, (4, 7))
    x = model.embedding.weight[tokens] + sinusoidal_encoding(7, 8)  # (4, 7, 8)
    reference = nn.MultiheadAttention(8, 2, batch_first=True)
    with torch.no_grad():
        reference.in_proj_weight.copy_(model.attention.W_qkv.weight)
        reference.in_proj_bias.copy_(model.attention.W_qkv.bias)
        reference.out_proj.weight.copy_(model.attention.W_o.weight)
        reference.out_proj.bias.copy_(model.attention.W_o.bias)
    attended, weights = reference(x, x, x, average_attn_weights=False)
    expected = (x + attended)[:, -1] @ model.head.weight.T + model.head.bias  # (4, 3)
    assert_close(model(tokens), expected)
    assert_close(model.attention_map(tokens), weights)
    assert model.attention_map(tokens).shape == (4, 2, 7, 7)


def test_attention_classifier_uses_positions():
    """Swapping two earlier tokens changes the output: the positional encoding is used."""
    torch.manual_seed(0)
    model = AttentionClassifier(vocab_size=4, d_model=8, n_classes=2)
    tokens = torch.tensor([[0, 3, 1, 2, 2]])
    swapped = torch.tensor([[3, 0, 1, 2, 2]])
    assert not torch.allclose(model(tokens), model(swapped))


def test_positional_table_is_not_in_the_state_dict():
    model = AttentionClassifier(vocab_size=4, d_model=8, n_classes=2, max_len=50)
    assert "positions" not in model.state_dict()
    assert model.positions.shape == (50, 8)


@pytest.mark.parametrize("cls", [GRUClassifier, AttentionClassifier])
def test_both_classifiers_share_the_interface_and_the_small_embedding(cls):
    torch.manual_seed(0)
    model = cls(4, 32, 2)
    logits = model(torch.randint(0, 4, (3, 9)))
    assert logits.shape == (3, 2)
    std = model.embedding.weight.std().item()
    assert abs(std - 32**-0.5) < 0.08, std  # std 1/sqrt(d), not nn.Embedding's 1


@pytest.mark.parametrize("cls", [GRUClassifier, AttentionClassifier])
def test_both_classifiers_learn_a_short_recall_task(cls):
    torch.manual_seed(0)
    model = cls(4, 16, 2)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    data = torch.Generator().manual_seed(1)
    for _ in range(100):
        tokens, labels = recall_task(32, 2, generator=data)
        loss = nn.functional.cross_entropy(model(tokens), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    tokens, labels = recall_task(500, 2, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        accuracy = (model(tokens).argmax(-1) == labels).float().mean().item()
    assert accuracy > 0.95


@pytest.mark.parametrize("cls", [GRUClassifier, AttentionClassifier])
@pytest.mark.parametrize(
    ("tokens", "words"),
    [
        (torch.zeros(2, 3), ["integer", "torch.float32", "(2, 3)"]),
        (torch.zeros(3, dtype=torch.long), ["(batch, seq)", "(3,)"]),
        (torch.zeros(2, 0, dtype=torch.long), ["at least one position", "(2, 0)"]),
        (torch.tensor([[0, 4]]), ["[0, vocab_size=4)", "0 to 4"]),
        (torch.tensor([[-1, 2]]), ["[0, vocab_size=4)", "-1 to 2"]),
        ([[0, 1]], ["torch.Tensor", "list"]),
    ],
)
def test_classifiers_reject_bad_tokens(cls, tokens, words):
    model = cls(4, 8, 2)
    with pytest.raises(ValueError) as error:
        model(tokens)
    assert all(word in str(error.value) for word in words), str(error.value)


def test_attention_classifier_rejects_sequences_longer_than_max_len():
    model = AttentionClassifier(4, 8, 2, max_len=6)
    with pytest.raises(ValueError, match=r"seq=7.*max_len=6"):
        model(torch.zeros(1, 7, dtype=torch.long))


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: GRUClassifier(0, 8, 2), ["vocab_size", ">= 1"]),
        (lambda: GRUClassifier(4, 8.0, 2), ["d_model", "int"]),
        (lambda: AttentionClassifier(4, 0, 2), ["d_model", ">= 1"]),
        (lambda: AttentionClassifier(4, 9, 2, num_heads=2), ["d_model=9", "num_heads=2"]),
        (lambda: AttentionClassifier(4, 8, 2, max_len=0), ["max_len", ">= 1"]),
    ],
)
def test_classifiers_reject_bad_sizes(make, words):
    with pytest.raises(ValueError) as error:
        make()
    assert all(word in str(error.value) for word in words), str(error.value)


# --------------------------------------------------------------------------- autograd_depth


def test_depth_of_a_chain_and_of_an_unrelated_input():
    x = torch.randn(3, requires_grad=True)
    z = torch.randn(3, requires_grad=True)
    y = torch.exp(2 * x)  # two operations
    assert autograd_depth(y, [x, z]) == [2, None]
    assert autograd_depth(x, [x]) == [0]


def test_depth_is_the_longest_chain_not_the_shortest():
    x = torch.randn(3, requires_grad=True)
    a = x * 3  # 1
    b = a.sin().cos()  # 3
    c = a + b  # 4 along the long branch, 2 along the short one
    assert autograd_depth(c, [x, a, b]) == [4, 3, 1]


def test_depth_counts_the_steps_of_an_rnn():
    torch.manual_seed(0)
    W = torch.randn(4, 4)
    xs = [torch.randn(1, 4, requires_grad=True) for _ in range(6)]
    h = torch.zeros(1, 4)
    for x_t in xs:
        h = torch.tanh(x_t @ W + h @ W)  # matmul, add, tanh: three operations per step
    depths = autograd_depth(h, xs)
    # x_j enters at step j (3 operations), then crosses the 5 - j later steps (3 each).
    assert depths == [3 + 3 * (5 - j) for j in range(6)]


def test_depth_of_self_attention_does_not_depend_on_the_length():
    torch.manual_seed(0)
    layer = MultiHeadSelfAttention(8, 2)
    depths = []
    for length in (3, 17, 40):
        x = torch.randn(1, length, 8, requires_grad=True)
        depths.append(autograd_depth(layer(x, return_weights=True)[0], [x])[0])
    assert len(set(depths)) == 1


def test_depth_can_be_asked_inside_no_grad():
    x = torch.randn(3, requires_grad=True)
    y = (x * 2).sin()
    with torch.no_grad():
        assert autograd_depth(y, [x]) == [2]


def test_depth_of_a_very_long_chain_has_no_recursion_limit():
    x = torch.randn(2, requires_grad=True)
    y = x
    for _ in range(5000):
        y = y + 1
    assert autograd_depth(y, [x]) == [5000]


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: autograd_depth(torch.randn(3), [torch.randn(3, requires_grad=True)]), ["output"]),
        (
            lambda: autograd_depth(torch.randn(3, requires_grad=True) * 2, [torch.randn(2, 5)]),
            ["inputs[0]", "(2, 5)", "requires_grad=True"],
        ),
        (lambda: autograd_depth("y", []), ["output", "torch.Tensor", "str"]),
        (
            lambda: autograd_depth(torch.randn(2, requires_grad=True) * 2, [1.0]),
            ["inputs[0]", "torch.Tensor", "float"],
        ),
    ],
)
def test_autograd_depth_bad_input(call, words):
    with pytest.raises(ValueError) as error:
        call()
    assert all(word in str(error.value) for word in words), str(error.value)


def test_autograd_depth_without_graph_names_no_grad():
    x = torch.randn(3, requires_grad=True)
    with torch.no_grad():
        y = x * 2
    with pytest.raises(ValueError, match="no autograd graph"):
        autograd_depth(y, [x])


# --------------------------------------------------------------------------- saved_tensor_bytes


def test_saved_bytes_of_exp_is_its_output():
    x = torch.randn(10, 7, requires_grad=True)
    assert saved_tensor_bytes(lambda: torch.exp(x)) == 10 * 7 * 4  # exp saves its result


def test_saved_bytes_counts_each_storage_once_and_honours_exclude():
    w = torch.randn(10, requires_grad=True)
    assert saved_tensor_bytes(lambda: w * w) == 40  # w saved twice, counted once
    assert saved_tensor_bytes(lambda: w * w, exclude=[w]) == 0
    x = torch.randn(6, 3, dtype=torch.float64, requires_grad=True)
    assert saved_tensor_bytes(lambda: x @ x.T) == 6 * 3 * 8  # x and its transpose view


def test_saved_bytes_of_attention_grow_like_length_squared():
    torch.manual_seed(0)
    layer = MultiHeadSelfAttention(8, 2)
    sizes = []
    for length in (64, 256):
        x = torch.randn(1, length, 8, requires_grad=True)
        sizes.append(
            saved_tensor_bytes(
                lambda x=x: layer(x, return_weights=True)[0], exclude=layer.parameters()
            )
        )
    slope = math.log(sizes[1] / sizes[0]) / math.log(4)
    assert 1.8 < slope <= 2.0


def test_saved_bytes_nothing_without_grad():
    x = torch.randn(5, requires_grad=True)
    with torch.no_grad():
        assert saved_tensor_bytes(lambda: torch.exp(x)) == 0


def test_saved_bytes_rejects_a_non_callable():
    with pytest.raises(ValueError, match="fn must be a function.*Tensor"):
        saved_tensor_bytes(torch.randn(3))
