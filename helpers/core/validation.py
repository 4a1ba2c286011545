"""Every input check of :mod:`helpers`, in one place: a public function makes one check call, then
computes its formula.

Every check raises ``ValueError`` (also for a wrong type or dtype, so a learner has one exception
to catch) with a message that names the argument and the offending shape or value: the message
should say *what* was wrong, not only *that* something was.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Mapping, Sequence

import torch
import torch.nn.functional as F
from torch import nn


def shape_of(x: torch.Tensor) -> tuple[int, ...]:
    """The shape as a plain tuple, which prints as ``(2, 3)`` instead of ``torch.Size([2, 3])``."""
    return tuple(x.shape)


def check_tensor(x: object, name: str) -> None:
    """``x`` must be a ``torch.Tensor``."""
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")


def check_floating(x: object, name: str) -> None:
    """``x`` must be a floating-point tensor (attention needs real numbers, not integers)."""
    check_tensor(x, name)
    if not x.is_floating_point():
        raise ValueError(
            f"{name} must be a floating-point tensor, got dtype {x.dtype} "
            f"with shape {shape_of(x)}; convert it with {name}.float()"
        )


def check_rank(
    x: torch.Tensor, name: str, layout: str, min_rank: int, max_rank: int | None = None
) -> None:
    """``x`` must have between ``min_rank`` and ``max_rank`` dimensions (``layout`` names them)."""
    too_few = x.ndim < min_rank
    too_many = max_rank is not None and x.ndim > max_rank
    if too_few or too_many:
        if max_rank is None:
            expected = f"at least {min_rank} dimensions"
        elif max_rank == min_rank:
            expected = f"exactly {min_rank} dimension{'s' if min_rank > 1 else ''}"
        else:
            expected = f"{min_rank} to {max_rank} dimensions"
        raise ValueError(
            f"{name} must have shape {layout} ({expected}), "
            f"got shape {shape_of(x)} ({x.ndim}-dimensional)"
        )


def check_size(x: torch.Tensor, name: str, dim: int, expected: int, meaning: str) -> None:
    """``x.shape[dim]`` must equal ``expected``; ``meaning`` says where the number comes from."""
    if x.shape[dim] != expected:
        raise ValueError(
            f"{name}.shape[{dim}] must be {meaning} = {expected}, "
            f"got {x.shape[dim]} (shape {shape_of(x)})"
        )


def broadcast_batch_shape(named_shapes: dict[str, Sequence[int]]) -> torch.Size:
    """Broadcast the leading (batch) shapes of several tensors, or say which ones clash."""
    try:
        return torch.broadcast_shapes(*named_shapes.values())
    except RuntimeError:
        listing = ", ".join(f"{name} {tuple(shape)}" for name, shape in named_shapes.items())
        raise ValueError(f"batch dimensions do not broadcast: {listing}") from None


def check_bool_mask(mask: object, name: str = "mask") -> None:
    """``mask`` must be a bool tensor (True = may attend)."""
    check_tensor(mask, name)
    if mask.dtype != torch.bool:
        raise ValueError(
            f"{name} must be a bool tensor (True = may attend), got dtype {mask.dtype} "
            f"with shape {shape_of(mask)}; a 0/1 tensor becomes one with {name}.bool(), "
            f"an additive float mask (0 / -inf) with {name} == 0"
        )


def check_broadcastable(
    mask: torch.Tensor, target_shape: Sequence[int], name: str, target_layout: str
) -> None:
    """``mask`` must broadcast to ``target_shape`` without changing it."""
    target = torch.Size(target_shape)
    try:
        broadcast_ok = torch.broadcast_shapes(mask.shape, target) == target
    except RuntimeError:
        broadcast_ok = False
    if not broadcast_ok:
        raise ValueError(
            f"{name} with shape {shape_of(mask)} is not broadcastable to "
            f"{target_layout} = {tuple(target)}"
        )


def check_int(value: object, name: str, minimum: int | None = None) -> None:
    """``value`` must be an integer (not a bool), at least ``minimum`` when given."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name} must be an int, got {value!r} of type {type(value).__name__}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")


def check_positive_number(value: object, name: str) -> None:
    """``value`` must be a real number > 0."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")


# --------------------------------------------------------------------------- numbers and options


def check_probability(value: object, name: str) -> None:
    """``value`` must be a probability in ``[0, 1)`` (a dropout rate: 1 would drop everything)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value < 1:
        raise ValueError(f"{name} must be a probability in [0, 1), got {value!r}")


def check_finite_number(value: object, name: str) -> None:
    """``value`` must be a finite real number (not a bool, not NaN or infinity)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")


def check_flag(value: object, name: str) -> None:
    """``value`` must be ``True`` or ``False`` (not a truthy string such as ``"yes"``)."""
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be True or False, got {value!r}")


def check_choice(value: object, name: str, choices: Iterable[str]) -> None:
    """``value`` must be one of ``choices``."""
    if value not in choices:
        raise ValueError(f"{name} must be one of {sorted(choices)}, got {value!r}")


def check_heads(d_model: object, num_heads: object) -> None:
    """``d_model`` and ``num_heads`` positive ints, ``d_model`` divisible by ``num_heads``."""
    check_int(d_model, "d_model", minimum=1)
    check_int(num_heads, "num_heads", minimum=1)
    if d_model % num_heads != 0:
        raise ValueError(f"d_model={d_model} is not divisible by num_heads={num_heads}")


def check_odd_kernel_size(kernel_size: object) -> None:
    """``kernel_size`` must be an odd int ``K >= 1``: a ``K x K`` kernel with a centre pixel."""
    check_int(kernel_size, "kernel_size", minimum=1)
    if kernel_size % 2 == 0:
        raise ValueError(
            f"kernel_size must be odd (a centred K x K kernel), got kernel_size={kernel_size}"
        )


# --------------------------------------------------------------------------- tensors of layers


def check_layer_input(
    x: object,
    name: str,
    layout: str,
    min_rank: int,
    max_rank: int | None,
    dim: int,
    size: int,
    meaning: str,
) -> None:
    """A layer's input: floating point, ``min_rank`` to ``max_rank`` dimensions laid out as
    ``layout``, and ``x.shape[dim] == size`` (``meaning`` names that size, e.g. ``"d_model"``)."""
    check_floating(x, name)
    check_rank(x, name, layout, min_rank, max_rank)
    check_size(x, name, dim, size, meaning)


def check_softmax_input(x: object, dim: object, mask: object) -> None:
    """Scores ``x`` (float, at least 1-D), a valid ``dim``, an optional bool mask like ``x``."""
    check_floating(x, "x")
    if x.ndim == 0:
        raise ValueError("x must have at least 1 dimension, got a 0-dimensional tensor")
    if not -x.ndim <= dim < x.ndim:
        raise ValueError(f"dim={dim} is out of range for x with shape {shape_of(x)}")
    if mask is not None:
        check_bool_mask(mask)
        check_broadcastable(mask, x.shape, "mask", "x.shape")


def check_query_and_keys(q: object, k: object, same_size: bool = True) -> bool:
    """Queries ``(..., L, d_q)`` or one query ``(..., d_q)`` against keys ``(..., S, d_k)``.

    ``same_size`` requires ``d_q == d_k`` (the dot product). Returns True when ``q`` is a single
    query (one dimension fewer than ``k``).
    """
    check_floating(q, "q")
    check_floating(k, "k")
    check_rank(k, "k", "(..., S, d)", min_rank=2)
    if q.ndim not in (k.ndim - 1, k.ndim):
        raise ValueError(
            f"q must have shape (..., L, d) (as many dimensions as k) or (..., d) (one query, "
            f"one dimension fewer than k); got q.shape={shape_of(q)} and k.shape={shape_of(k)}"
        )
    single_query = q.ndim == k.ndim - 1
    q_batch = q.shape[:-1] if single_query else q.shape[:-2]
    broadcast_batch_shape({"q": q_batch, "k": k.shape[:-2]})
    if same_size:
        _check_same_feature_size(q, k)
    return single_query


def _check_same_feature_size(q: torch.Tensor, k: torch.Tensor) -> None:
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(
            f"q and k must have the same last dimension d, "
            f"got q.shape={shape_of(q)} and k.shape={shape_of(k)}"
        )


def check_attention_inputs(
    q: object, k: object, v: object, mask: object = None
) -> tuple[torch.Size, torch.Size]:
    """Queries ``(..., L, d)``, keys ``(..., S, d)``, values ``(..., S, d_v)`` and an optional
    bool mask broadcastable to the scores ``(..., L, S)``.

    Returns the broadcast batch shapes of the scores (from q and k) and of the output (q, k, v).
    """
    for name, tensor, layout in (
        ("q", q, "(..., L, d)"),
        ("k", k, "(..., S, d)"),
        ("v", v, "(..., S, d_v)"),
    ):
        check_floating(tensor, name)
        check_rank(tensor, name, layout, min_rank=2)
    _check_same_feature_size(q, k)
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(
            f"k and v must have the same number of positions S (dimension -2), "
            f"got k.shape={shape_of(k)} and v.shape={shape_of(v)}"
        )
    score_batch = broadcast_batch_shape({"q": q.shape[:-2], "k": k.shape[:-2]})
    out_batch = broadcast_batch_shape({"q": q.shape[:-2], "k": k.shape[:-2], "v": v.shape[:-2]})
    if mask is not None:
        check_bool_mask(mask)
        scores_shape = (*score_batch, q.shape[-2], k.shape[-2])
        check_broadcastable(mask, scores_shape, "mask", "the scores' shape (..., L, S)")
    return score_batch, out_batch


def check_window(left: object, right: object) -> None:
    """A window of ``left`` earlier and ``right`` later positions: two ints ``>= 0``."""
    check_int(left, "left", minimum=0)
    check_int(right, "right", minimum=0)


def check_local_attention_inputs(
    q: object, k: object, v: object, left: object, right: object
) -> None:
    """:func:`check_attention_inputs`, a window, and one key and value per query position."""
    check_attention_inputs(q, k, v)
    check_window(left, right)
    if not q.shape[-2] == k.shape[-2] == v.shape[-2]:
        raise ValueError(
            f"local attention needs one key and one value per query position (the same length L "
            f"in dimension -2), got q.shape={shape_of(q)}, k.shape={shape_of(k)}, "
            f"v.shape={shape_of(v)}"
        )


def check_band(band: object, left: object, right: object) -> None:
    """Banded weights ``(..., L, left + right + 1)`` of :func:`helpers.local_attention`."""
    check_tensor(band, "band")
    check_window(left, right)
    check_rank(band, "band", "(..., L, left + right + 1)", min_rank=2)
    width = left + right + 1
    if band.shape[-1] != width:
        raise ValueError(
            f"band.shape[-1] must be left + right + 1 = {width} (left={left}, right={right}), "
            f"got shape {shape_of(band)}"
        )


def check_split_heads(x: object, num_heads: object) -> None:
    """Tokens ``(..., seq, d_model)`` whose ``d_model`` divides into ``num_heads`` heads."""
    check_int(num_heads, "num_heads", minimum=1)
    check_floating(x, "x")
    check_rank(x, "x", "(..., seq, d_model)", min_rank=2)
    if x.shape[-1] % num_heads != 0:
        raise ValueError(
            f"d_model={x.shape[-1]} (last dimension of x with shape {shape_of(x)}) "
            f"is not divisible by num_heads={num_heads}"
        )


def check_multi_head_mask(mask: object, batch: int, num_heads: int, seq: int) -> None:
    """A bool mask ``(seq, seq)``, ``(batch, seq, seq)`` or ``(batch, heads, seq, seq)``
    (or broadcastable to one of them, e.g. a padding mask ``(batch, 1, seq)``)."""
    check_bool_mask(mask)
    if mask.ndim in (2, 3):
        check_broadcastable(mask, (batch, seq, seq), "mask", "(batch, seq, seq)")
    elif mask.ndim == 4:
        target = (batch, num_heads, seq, seq)
        check_broadcastable(mask, target, "mask", "(batch, heads, seq, seq)")
    else:
        raise ValueError(
            f"mask must have shape (seq, seq), (batch, seq, seq) or (batch, heads, seq, seq), "
            f"got {mask.ndim} dimensions with shape {shape_of(mask)}"
        )


# --------------------------------------------------------------------------- masks and positions


def check_lengths(lengths: object, seq_len: object) -> torch.Tensor:
    """Sequence lengths (ints, a list or an integer tensor), each in ``[0, seq_len]``.

    Returns them as a ``(batch,)`` long tensor on the CPU.
    """
    check_int(seq_len, "seq_len", minimum=1)
    if isinstance(lengths, torch.Tensor):
        if lengths.is_floating_point() or lengths.dtype == torch.bool:
            raise ValueError(f"lengths must hold integers, got dtype {lengths.dtype}")
        lengths = lengths.detach().cpu()
    else:
        for length in lengths:
            check_int(length, "each entry of lengths")
        lengths = torch.tensor(list(lengths), dtype=torch.long)
    check_rank(lengths, "lengths", "(batch,)", min_rank=1, max_rank=1)
    if lengths.numel() > 0 and (lengths.min() < 0 or lengths.max() > seq_len):
        raise ValueError(
            f"every length must be between 0 and seq_len={seq_len}, got {lengths.tolist()}"
        )
    return lengths


def check_adjacency(adjacency: object) -> torch.Tensor:
    """A square ``(N, N)`` adjacency matrix, bool or 0/1 (a numpy array is converted).

    Returns it as a tensor.
    """
    if not isinstance(adjacency, torch.Tensor) and hasattr(adjacency, "__array__"):
        adjacency = torch.as_tensor(adjacency)
    check_tensor(adjacency, "adjacency")
    check_rank(adjacency, "adjacency", "(N, N)", min_rank=2, max_rank=2)
    if adjacency.shape[0] != adjacency.shape[1]:
        raise ValueError(f"adjacency must be square (N, N), got shape {shape_of(adjacency)}")
    if adjacency.dtype != torch.bool:
        is_zero_or_one = (adjacency == 0) | (adjacency == 1)
        if not bool(is_zero_or_one.all()):
            bad_value = adjacency[~is_zero_or_one][0].item()
            raise ValueError(
                f"adjacency must be bool or hold only 0 and 1, found the value {bad_value} "
                f"(for weighted edges pass adjacency != 0)"
            )
    return adjacency


def check_even_d_model(d_model: object) -> None:
    """An even ``d_model``: each sine column of the positional encoding has its cosine partner."""
    check_int(d_model, "d_model", minimum=1)
    if d_model % 2 == 1:
        raise ValueError(
            f"d_model={d_model} is odd: its last column sin(p*w) has no cos(p*w) partner, so "
            f"PE[p + offset] is not a linear function of PE[p]; use an even d_model"
        )


# --------------------------------------------------------------------------- PyTorch modules


def check_torch_multi_head(module: object) -> bool:
    """``module`` is a ``nn.MultiheadAttention`` that :class:`helpers.MultiHeadSelfAttention` can
    copy: ``batch_first=True``, ``kdim == vdim == embed_dim``, no extra keys, biases in both
    projections or in neither. Returns whether it has biases."""
    if not isinstance(module, nn.MultiheadAttention):
        raise ValueError(f"module must be an nn.MultiheadAttention, got {type(module).__name__}")
    if not module.batch_first:
        raise ValueError(
            "module must be created with batch_first=True (inputs (batch, seq, d_model)), "
            "got batch_first=False"
        )
    if not module._qkv_same_embed_dim:
        raise ValueError(
            f"module must have kdim == vdim == embed_dim={module.embed_dim}, "
            f"got kdim={module.kdim}, vdim={module.vdim}"
        )
    if module.bias_k is not None or module.add_zero_attn:
        raise ValueError(
            "module must not use add_bias_kv=True or add_zero_attn=True "
            "(they add extra keys that self-attention over x does not have)"
        )
    has_bias = module.in_proj_bias is not None
    if (module.out_proj.bias is not None) != has_bias:
        raise ValueError(
            "module must have biases in both projections or in neither, got "
            f"in_proj_bias={'set' if has_bias else 'None'} and "
            f"out_proj.bias={'None' if has_bias else 'set'}"
        )
    return has_bias


def check_torch_encoder_layer(layer: object) -> str:
    """``layer`` is a ``nn.TransformerEncoderLayer`` that :class:`helpers.TransformerEncoderBlock`
    can copy: ``batch_first=True``, biases, and an exact ReLU or GELU. Returns the activation's
    name, ``"relu"`` or ``"gelu"``."""
    if not isinstance(layer, nn.TransformerEncoderLayer):
        raise ValueError(f"layer must be an nn.TransformerEncoderLayer, got {type(layer).__name__}")
    if not layer.self_attn.batch_first:
        raise ValueError(
            "layer must be created with batch_first=True (inputs (batch, seq, d_model)), "
            "got batch_first=False"
        )
    activation = layer.activation
    if activation is F.relu or isinstance(activation, nn.ReLU):
        name = "relu"
    elif activation is F.gelu or (
        isinstance(activation, nn.GELU) and activation.approximate == "none"
    ):
        name = "gelu"
    else:
        raise ValueError(
            f"layer.activation must be relu or gelu (exact), got {activation!r}; "
            f"other activations have no counterpart in FeedForward"
        )
    if layer.linear1.bias is None or layer.norm1.bias is None:
        raise ValueError("layer must have biases (bias=True, torch's default), got bias=False")
    return name


def check_conv_for_attention(conv: object) -> int:
    """``conv`` is a ``nn.Conv2d`` that :class:`helpers.ConvAsSelfAttention` can compute: an odd
    square kernel, stride 1, zero padding ``K // 2`` (or ``"same"``), dilation 1, one group.
    Returns the kernel size ``K``."""
    if not isinstance(conv, nn.Conv2d):
        raise ValueError(f"conv must be an nn.Conv2d, got {type(conv).__name__}")
    k_rows, k_cols = conv.kernel_size
    if k_rows != k_cols:
        raise ValueError(
            f"conv must have a square kernel, got kernel_size={tuple(conv.kernel_size)}"
        )
    if k_rows % 2 == 0:
        raise ValueError(
            f"conv must have an odd kernel size (a centred kernel), got "
            f"kernel_size={tuple(conv.kernel_size)}"
        )
    half = k_rows // 2
    if tuple(conv.stride) != (1, 1):
        raise ValueError(f"conv must have stride 1, got stride={tuple(conv.stride)}")
    if tuple(conv.dilation) != (1, 1):
        raise ValueError(f"conv must have dilation 1, got dilation={tuple(conv.dilation)}")
    if conv.groups != 1:
        raise ValueError(f"conv must have groups=1, got groups={conv.groups}")
    padding = conv.padding
    same = padding == "same" or (padding == "valid" and half == 0)
    if not same and (isinstance(padding, str) or tuple(padding) != (half, half)):
        shown = padding if isinstance(padding, str) else tuple(padding)
        raise ValueError(
            f"conv must have padding=kernel_size//2=({half}, {half}) so that the output "
            f"has the input's size, got padding={shown!r} for "
            f"kernel_size={tuple(conv.kernel_size)}"
        )
    if conv.padding_mode != "zeros":
        raise ValueError(
            f"conv must pad with zeros (padding_mode='zeros'), got "
            f"padding_mode={conv.padding_mode!r}"
        )
    return k_rows


# --------------------------------------------------------------------------- applications


def samples_in(ms: float, sample_rate: int) -> int:
    """Number of samples in ``ms`` milliseconds at ``sample_rate`` Hz (rounded)."""
    return round(sample_rate * ms / 1000)


def check_frequency_window(sample_rate: object, window_ms: object) -> int:
    """A sample rate (int Hz) and a window (ms) of at least one sample. Returns its samples."""
    check_int(sample_rate, "sample_rate", minimum=1)
    check_positive_number(window_ms, "window_ms")
    window = samples_in(window_ms, sample_rate)
    if window < 1:
        raise ValueError(
            f"window ({window_ms} ms) must span at least one sample at {sample_rate} Hz"
        )
    return window


def check_frames(
    signal: torch.Tensor, sample_rate: object, window_ms: object, hop_ms: object
) -> tuple[int, int]:
    """A mono waveform ``(n_samples,)`` long enough for one window, and a positive sample rate,
    window and hop, each of at least one sample. Returns ``(window, hop)`` in samples."""
    if signal.dim() != 1:
        raise ValueError(f"signal must be 1-D (n_samples,), got shape {shape_of(signal)}")
    if sample_rate <= 0 or window_ms <= 0 or hop_ms <= 0:
        raise ValueError(
            f"sample_rate, window_ms and hop_ms must be positive, got {sample_rate}, "
            f"{window_ms}, {hop_ms}"
        )
    window = samples_in(window_ms, sample_rate)
    hop = samples_in(hop_ms, sample_rate)
    if window < 1 or hop < 1:
        raise ValueError(
            f"window ({window_ms} ms) and hop ({hop_ms} ms) must each span at least one sample "
            f"at {sample_rate} Hz"
        )
    if signal.numel() < window:
        raise ValueError(
            f"signal of {signal.numel()} samples is shorter than one window of {window} samples "
            f"({window_ms} ms at {sample_rate} Hz)"
        )
    return window, hop


def check_image(image: object, name: str = "image") -> None:
    """An image ``(C, H, W)`` or a batch of images ``(B, C, H, W)``."""
    check_tensor(image, name)
    check_rank(image, name, "(C, H, W) or (B, C, H, W)", min_rank=3, max_rank=4)


def check_image_size(height: object, width: object) -> None:
    """An image height and width: positive ints."""
    check_int(height, "height", minimum=1)
    check_int(width, "width", minimum=1)


def check_pixel_tokens(tokens: object, height: object, width: object) -> None:
    """Pixel tokens ``(H * W, C)`` or ``(B, H * W, C)`` of an ``height x width`` image."""
    check_tensor(tokens, "tokens")
    check_rank(tokens, "tokens", "(H * W, C) or (B, H * W, C)", min_rank=2, max_rank=3)
    check_image_size(height, width)
    if tokens.shape[-2] != height * width:
        raise ValueError(
            f"tokens.shape[-2] must be height * width = {height} * {width} = {height * width}, "
            f"got tokens of shape {shape_of(tokens)}"
        )


def check_patch_size(height: int, width: int, patch_size: object, shape: Sequence[int]) -> None:
    """``patch_size`` divides both the height and the width of an image of shape ``shape``."""
    check_int(patch_size, "patch_size", minimum=1)
    if height % patch_size or width % patch_size:
        raise ValueError(
            f"the image's height {height} and width {width} must both be divisible by "
            f"patch_size={patch_size} (image shape {tuple(shape)}); crop or resize it first"
        )


def check_patch_tokens(patches: object, patch_size: object, height: object, width: object) -> None:
    """Patch tokens ``(n_patches, C * p * p)`` (or with a batch) of an ``height x width`` image."""
    check_tensor(patches, "patches")
    check_rank(patches, "patches", "(n_patches, C * p * p) or (B, n_patches, C * p * p)", 2, 3)
    check_image_size(height, width)
    check_patch_size(height, width, patch_size, (height, width))
    p = patch_size
    n_patches = (height // p) * (width // p)
    if patches.shape[-2] != n_patches or patches.shape[-1] % (p * p):
        raise ValueError(
            f"patches must have shape (..., {n_patches}, C * {p * p}) for a {height} x {width} "
            f"image and patch_size={p}, got {shape_of(patches)}"
        )


def check_channel_reduction(channels: object, reduction: object) -> None:
    """SAGAN's ``channels`` and ``reduction``: ``channels // reduction`` query/key channels >= 1."""
    check_int(channels, "channels", minimum=1)
    check_int(reduction, "reduction", minimum=1)
    if channels // reduction < 1:
        raise ValueError(
            f"channels // reduction must be at least 1, got channels={channels} and "
            f"reduction={reduction}; use reduction <= {channels}"
        )


def check_offsets(offsets: object) -> None:
    """Relative positions ``(..., 2)`` (row, column)."""
    if not isinstance(offsets, torch.Tensor) or offsets.ndim == 0 or offsets.shape[-1] != 2:
        got = shape_of(offsets) if isinstance(offsets, torch.Tensor) else type(offsets).__name__
        raise ValueError(f"offsets must be a tensor of shape (..., 2) (row, column), got {got}")


def check_same_dtype(x: torch.Tensor, weight: torch.Tensor) -> None:
    """``x`` has the dtype of the layer's ``weight`` (a layer does not convert its input)."""
    if x.dtype != weight.dtype:
        raise ValueError(
            f"x has dtype {x.dtype} but the layer's weights are {weight.dtype}; "
            f"convert one of them (e.g. layer.to(x.dtype))"
        )


def check_graph(x: object, adjacency: object, in_features: int) -> None:
    """Node vectors ``x`` ``(N, in_features)`` and a bool adjacency ``(N, N)`` over them."""
    check_layer_input(x, "x", "(N, in_features)", 2, 2, -1, in_features, "in_features")
    check_bool_mask(adjacency, "adjacency")
    n_nodes = x.shape[0]
    if adjacency.shape != (n_nodes, n_nodes):
        raise ValueError(
            f"adjacency must have shape (N, N) with N = x.shape[0] = {n_nodes} nodes, "
            f"got adjacency.shape={shape_of(adjacency)} and x.shape={shape_of(x)}"
        )


def check_gat_score_inputs(
    z: object, a_self: object, a_neighbor: object, negative_slope: object
) -> None:
    """Node vectors ``z`` ``(..., N, F)`` and the two score vectors ``(..., F)`` of a GAT head."""
    check_floating(z, "z")
    check_rank(z, "z", "(..., N, F)", min_rank=2)
    n_features = z.shape[-1]
    for name, a in (("a_self", a_self), ("a_neighbor", a_neighbor)):
        check_floating(a, name)
        if not 1 <= a.ndim <= z.ndim - 1 or a.shape[-1] != n_features:
            raise ValueError(
                f"{name} must have shape (..., F) with fewer dimensions than z and "
                f"F = z.shape[-1] = {n_features}, got {name}.shape={shape_of(a)} and "
                f"z.shape={shape_of(z)}"
            )
        broadcast_batch_shape({"z": z.shape[:-2], name: a.shape[:-1]})
    check_finite_number(negative_slope, "negative_slope")


def check_token_ids(tokens: object, vocab_size: int, max_len: int | None = None) -> None:
    """Integer token ids ``(batch, seq)`` in ``[0, vocab_size)``, at most ``max_len`` of them."""
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


def check_recall_task(batch_size: object, distance: object, vocab_size: object, n_classes: object):
    """Sizes of the recall task: ``n_classes`` must divide ``vocab_size`` (balanced classes)."""
    check_int(batch_size, "batch_size", minimum=1)
    check_int(distance, "distance", minimum=1)
    check_int(vocab_size, "vocab_size", minimum=2)
    check_int(n_classes, "n_classes", minimum=2)
    if vocab_size % n_classes != 0:
        raise ValueError(
            f"n_classes={n_classes} must divide vocab_size={vocab_size}, "
            f"so that every class is equally likely"
        )


# --------------------------------------------------------------------------- measuring


def check_autograd_inputs(output: object, inputs: Sequence[object]) -> None:
    """``output`` has an autograd graph and every input requires grad (autograd can follow it)."""
    check_tensor(output, "output")
    for i, tensor in enumerate(inputs):
        check_tensor(tensor, f"inputs[{i}]")
    untracked = [i for i, tensor in enumerate(inputs) if not tensor.requires_grad]
    if untracked:
        i = untracked[0]
        raise ValueError(
            f"inputs[{i}] (shape {shape_of(inputs[i])}) does not require grad, so autograd "
            f"cannot follow it: create it with requires_grad=True"
        )
    if output.grad_fn is None and not output.requires_grad:
        raise ValueError(
            f"output (shape {shape_of(output)}) has no autograd graph: compute it from inputs "
            f"that require grad, outside torch.no_grad()"
        )


def check_timing(fns: Mapping[str, object], repeats: object, warmup: object) -> None:
    """At least one function to time, each callable with no arguments; ``repeats >= 1`` timed
    calls after ``warmup >= 0`` untimed ones."""
    check_int(repeats, "repeats", minimum=1)
    check_int(warmup, "warmup", minimum=0)
    if not fns:
        raise ValueError("best_times needs at least one function to time, got none")
    for name, fn in fns.items():
        check_callable(fn, f"the function {name!r}")


def check_loglog_points(xs: Sequence[float], ys: Sequence[float]) -> None:
    """Points for a log-log fit: as many ``y`` as ``x``, at least two distinct ``x``, all > 0."""
    if len(xs) != len(ys) or len(xs) < 2:
        raise ValueError(
            f"need two equally long sequences of >= 2 values, got {len(xs)} and {len(ys)}"
        )
    if min(xs) <= 0 or min(ys) <= 0:
        raise ValueError(
            f"a log-log slope needs positive values, got min(xs)={min(xs)}, min(ys)={min(ys)}"
        )
    if min(xs) == max(xs):
        raise ValueError(f"a log-log slope needs at least two different x values, got {list(xs)}")


def check_callable(fn: object, name: str = "fn") -> None:
    """``fn`` can be called with no arguments."""
    if not callable(fn):
        raise ValueError(f"{name} must be a function taking no arguments, got {type(fn).__name__}")
