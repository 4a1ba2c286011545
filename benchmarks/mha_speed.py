"""Forward + backward time of ``helpers.MultiHeadSelfAttention`` vs ``nn.MultiheadAttention``.

Both run without returning weights (``need_weights=False``, the fused attention kernel), in
float32 on the CPU, with the same weights. The two modules are timed interleaved (alternating
which goes first) so that a slow-down of the machine hits both alike; we report the median.

    python benchmarks/mha_speed.py [--threads 2] [--repeats 20]

Importable: ``measure(batch, seq, d_model, heads, repeats)`` returns the numbers as a dict.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import torch
from torch import nn

from helpers import MultiHeadSelfAttention


def _time_once(step: Callable[[], None]) -> float:
    """Seconds taken by one call of ``step``."""
    start = time.perf_counter()
    step()
    return time.perf_counter() - start


def measure(
    batch: int, seq: int, d_model: int, heads: int, repeats: int, warmup: int = 3, seed: int = 0
) -> dict:
    """Median forward + backward time (ms) of both modules, and their ratio (helpers / torch).

    Uses the current ``torch.get_num_threads()``; fix it with ``torch.set_num_threads`` first.
    """
    torch.manual_seed(seed)
    reference = nn.MultiheadAttention(d_model, heads, batch_first=True)
    ours = MultiHeadSelfAttention.from_torch(reference)
    x = torch.randn(batch, seq, d_model)
    with torch.no_grad():  # time the same computation: the outputs must agree first
        torch.testing.assert_close(
            ours(x, need_weights=False)[0],
            reference(x, x, x, need_weights=False)[0],
            atol=1e-5,
            rtol=1e-5,
        )

    def step_ours() -> None:
        output, _ = ours(x, need_weights=False)
        output.sum().backward()

    def step_reference() -> None:
        output, _ = reference(x, x, x, need_weights=False)
        output.sum().backward()

    steps = {"helpers": step_ours, "torch": step_reference}
    times: dict[str, list[float]] = {name: [] for name in steps}
    for _ in range(warmup):
        for step in steps.values():
            step()
    for repeat in range(repeats):
        order = list(steps) if repeat % 2 == 0 else list(reversed(steps))
        for name in order:
            ours.zero_grad(set_to_none=True)
            reference.zero_grad(set_to_none=True)
            times[name].append(_time_once(steps[name]))

    helpers_ms = 1000 * statistics.median(times["helpers"])
    torch_ms = 1000 * statistics.median(times["torch"])
    return {
        "batch": batch,
        "seq": seq,
        "d_model": d_model,
        "heads": heads,
        "repeats": repeats,
        "threads": torch.get_num_threads(),
        "torch_version": torch.__version__,
        "helpers_ms": helpers_ms,
        "torch_ms": torch_ms,
        "ratio": helpers_ms / torch_ms,
    }


def format_table(results: list[dict]) -> str:
    """A plain-text table, one row per measured configuration."""
    header = (
        f"{'batch':>5} {'seq':>5} {'d_model':>7} {'heads':>5} {'threads':>7} "
        f"{'helpers ms':>10} {'torch ms':>9} {'ratio':>6}"
    )
    rows = [
        f"{r['batch']:>5} {r['seq']:>5} {r['d_model']:>7} {r['heads']:>5} {r['threads']:>7} "
        f"{r['helpers_ms']:>10.1f} {r['torch_ms']:>9.1f} {r['ratio']:>6.2f}"
        for r in results
    ]
    return "\n".join([header, "-" * len(header), *rows])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    result = measure(batch=8, seq=512, d_model=256, heads=8, repeats=args.repeats)
    print(f"forward + backward, float32 CPU, torch {result['torch_version']}, median ms")
    print(format_table([result]))


if __name__ == "__main__":
    main()
