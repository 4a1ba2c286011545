"""The course's benchmarks: attention speed, chunked-attention memory, notebook run times.

    python benchmarks/run.py                       # everything (`make bench`), ~10 min on 2 cores
    python benchmarks/run.py --only mha,chunked    # some sections; the others are kept as they were
    python benchmarks/run.py --quick               # a smoke test: fewer sizes and repeats, no files
    python benchmarks/run.py --threads 2 --note "idle machine"

Three sections, each timed with ``torch.set_num_threads`` fixed, warm-up calls first, the median
of interleaved repeats (``helpers.measuring.timing.best_times`` with ``reduce=statistics.median``:
the implementations take turns in a rotating order, so a slow-down of the machine hits all of
them alike):

* ``mha`` — forward + backward of ``helpers.MultiHeadSelfAttention`` (fused fast path and the
  explicit teaching path), ``nn.MultiheadAttention`` and a bare ``F.scaled_dot_product_attention``
  module, batch 8, d_model 256, 8 heads, seq 128 / 512 / 1024. Target: fast path <= 1.10 x torch.
* ``chunked`` — forward time and peak memory of ``helpers.chunked_attention``, the explicit
  ``helpers.scaled_dot_product_attention`` and ``F.scaled_dot_product_attention`` as L grows;
  memory is the allocator's peak measured with ``torch.profiler``.
* ``notebooks`` — wall time of every notebook (lessons and solutions, as listed by
  ``course_tools.notebooks.list_notebooks``), each executed by
  ``course_tools.execute.execute_notebook`` on a copy in a temporary folder (the committed
  notebooks and figures are never touched). Targets: each < 60 s, the lessons (and the
  solutions) < 5 min.

Writes ``benchmarks/results.md``, ``benchmarks/results.csv`` and ``figures/bench_*.png``.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import functools
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from matplotlib.figure import Figure  # no pyplot: no backend, no global figure state
from torch import nn

from helpers import MultiHeadSelfAttention, chunked_attention, scaled_dot_product_attention
from helpers.measuring.timing import best_times, loglog_slope

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "figures"
RESULTS_MD = ROOT / "benchmarks" / "results.md"
RESULTS_CSV = ROOT / "benchmarks" / "results.csv"
SECTIONS = ("mha", "chunked", "notebooks")
TITLES = {
    "mha": "Multi-head self-attention: forward + backward",
    "chunked": "Chunked attention: time and peak memory vs sequence length",
    "notebooks": "Notebook execution times",
}
MHA_TARGET = 1.10  # fast path / nn.MultiheadAttention
NOTEBOOK_TARGET_S = 60.0
COURSE_TARGET_S = 300.0

Row = dict[str, object]  # one CSV row: section, case, metric, value, unit


# --------------------------------------------------------------------------- section: mha


class FusedSelfAttention(nn.Module):
    """The floor: projections around ``F.scaled_dot_product_attention``, no checks, no masks."""

    def __init__(self, reference: nn.MultiheadAttention) -> None:
        super().__init__()
        self.num_heads = reference.num_heads
        d_model = reference.embed_dim
        self.W_qkv = nn.Linear(d_model, 3 * d_model)
        self.W_o = nn.Linear(d_model, d_model)
        with torch.no_grad():
            self.W_qkv.weight.copy_(reference.in_proj_weight)
            self.W_qkv.bias.copy_(reference.in_proj_bias)
            self.W_o.weight.copy_(reference.out_proj.weight)
            self.W_o.bias.copy_(reference.out_proj.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        batch, seq, d_model = x.shape
        qkv = self.W_qkv(x).view(batch, seq, 3, self.num_heads, d_model // self.num_heads)
        q, k, v = qkv.permute(2, 0, 3, 1, 4)  # 3 x (batch, heads, seq, d_head)
        heads = F.scaled_dot_product_attention(q, k, v)  # (batch, heads, seq, d_head)
        return self.W_o(heads.transpose(1, 2).reshape(batch, seq, d_model))


def median_times(
    steps: dict[str, Callable[[], object]], repeats: int, warmup: int
) -> dict[str, float]:
    """Median seconds of each step, timed side by side in a rotating order (see the module doc)."""
    return best_times(steps, repeats=repeats, warmup=warmup, reduce=statistics.median)


def forward_backward(module: nn.Module, forward: Callable[[], torch.Tensor]) -> Callable[[], None]:
    """One training step's attention work: ``forward().sum().backward()`` from fresh gradients.

    The gradients are reset to None first (inside the timed call: a few attribute writes), so
    every call allocates them anew; autograd is switched on, since ``best_times`` times its
    functions under ``torch.no_grad``.
    """

    def step() -> None:
        module.zero_grad(set_to_none=True)
        with torch.enable_grad():
            forward().sum().backward()

    return step


def time_mha(
    batch: int, seq: int, d_model: int, heads: int, repeats: int, seed: int = 0
) -> dict[str, float]:
    """Median ms of forward + backward of the four implementations, timed in two loops.

    The headline ratio, the fast path against ``nn.MultiheadAttention``, comes from a loop of
    those two alone (``repeats`` repeats after 3 warm-up calls). The teaching path and the bare
    SDPA module are timed in a second loop that includes ``nn.MultiheadAttention`` again
    (``max(3, repeats // 2)`` repeats after one warm-up call): each ratio is between calls timed
    side by side. All modules carry the same weights and must agree before they are timed.
    """
    torch.manual_seed(seed)
    reference = nn.MultiheadAttention(d_model, heads, batch_first=True)
    ours = MultiHeadSelfAttention.from_torch(reference)
    bare = FusedSelfAttention(reference)
    x = torch.randn(batch, seq, d_model)
    with torch.no_grad():  # time the same computation: the outputs must agree first
        expected = reference(x, x, x, need_weights=False)[0]
        for output in (ours(x), ours(x, return_weights=True)[0], bare(x)):
            torch.testing.assert_close(output, expected, atol=1e-5, rtol=1e-5)

    def torch_step() -> Callable[[], None]:
        return forward_backward(reference, lambda: reference(x, x, x, need_weights=False)[0])

    headline = median_times(
        {
            "fast": forward_backward(ours, lambda: ours(x)),
            "torch": torch_step(),
        },
        repeats=repeats,
        warmup=3,
    )
    others = median_times(
        {
            "torch": torch_step(),
            "teaching": forward_backward(ours, lambda: ours(x, return_weights=True)[0]),
            "bare": forward_backward(bare, lambda: bare(x)),
        },
        repeats=max(3, repeats // 2),
        warmup=1,
    )
    return {
        "torch_ms": 1000 * headline["torch"],
        "fast_ms": 1000 * headline["fast"],
        "fast_over_torch": headline["fast"] / headline["torch"],
        "teaching_ms": 1000 * others["teaching"],
        "teaching_over_torch": others["teaching"] / others["torch"],
        "bare_sdpa_ms": 1000 * others["bare"],
        "bare_sdpa_over_torch": others["bare"] / others["torch"],
    }


def bench_mha(seqs: list[int], repeats: int, plot: bool) -> tuple[list[Row], str]:
    """Forward + backward at batch 8, d_model 256, 8 heads: ms and ratios to torch."""
    batch, d_model, heads = 8, 256, 8
    rows: list[Row] = []
    table = [
        "| seq | `nn.MultiheadAttention` ms | helpers fast path ms | fast / torch "
        "| helpers teaching path ms | teaching / torch | bare `F.sdpa` module ms "
        "| bare / torch |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for seq in seqs:
        t = time_mha(batch, seq, d_model, heads, repeats=repeats)
        table.append(
            f"| {seq} | {t['torch_ms']:.1f} | {t['fast_ms']:.1f} | **{t['fast_over_torch']:.2f}** "
            f"| {t['teaching_ms']:.1f} | {t['teaching_over_torch']:.2f} "
            f"| {t['bare_sdpa_ms']:.1f} | {t['bare_sdpa_over_torch']:.2f} |"
        )
        case = f"batch={batch} seq={seq} d_model={d_model} heads={heads}"
        for metric, value in t.items():
            unit = "ratio" if metric.endswith("_over_torch") else "ms"
            rows.append(_row("mha", case, metric, value, unit))
        print(
            f"  seq {seq:5d}: torch {t['torch_ms']:8.1f} ms, fast x{t['fast_over_torch']:.2f}, "
            f"teaching x{t['teaching_over_torch']:.2f}, bare sdpa x{t['bare_sdpa_over_torch']:.2f}",
            flush=True,
        )
    worst = max(float(r["value"]) for r in rows if r["metric"] == "fast_over_torch")
    verdict = "met" if worst <= MHA_TARGET else "**not met**"
    text = "\n".join(
        [
            f"Batch {batch}, d_model {d_model}, {heads} heads, float32, forward + backward "
            f"(`output.sum().backward()`), median of {repeats} interleaved repeats after "
            f"warm-up. The fast path is `return_weights=False` (PyTorch's fused attention), the "
            f"teaching path `return_weights=True` (explicit softmax, returns the weights). "
            f"Fast / torch comes from an interleaved loop of those two alone; the other two "
            f"ratios are against `nn.MultiheadAttention` timed in their own interleaved loop "
            f"({max(3, repeats // 2)} repeats).",
            "",
            *table,
            "",
            f"Target fast path <= {MHA_TARGET:.2f} x `nn.MultiheadAttention`: {verdict} "
            f"(worst ratio {worst:.2f}).",
            "",
            "![multi-head attention timings](../figures/bench_mha.png)",
        ]
    )
    if plot:
        _plot_mha(rows, seqs)
    return rows, text


def _plot_mha(rows: list[Row], seqs: list[int]) -> None:
    def values(metric: str) -> list[float]:
        return [float(r["value"]) for r in rows if r["metric"] == metric]

    fig = Figure(figsize=(11, 4))
    ax_ms, ax_ratio = fig.subplots(1, 2)
    names = [
        ("torch_ms", "nn.MultiheadAttention"),
        ("fast_ms", "helpers, fast path"),
        ("teaching_ms", "helpers, teaching path"),
        ("bare_sdpa_ms", "bare F.sdpa module"),
    ]
    width = 0.2
    positions = np.arange(len(seqs))
    for i, (metric, label) in enumerate(names):
        ax_ms.bar(positions + (i - 1.5) * width, values(metric), width, label=label)
    ax_ms.set_xticks(positions, [str(s) for s in seqs])
    ax_ms.set_yscale("log")
    ax_ms.set_xlabel("sequence length")
    ax_ms.set_ylabel("forward + backward (ms, log scale)")
    ax_ms.set_title("Time per step (batch 8, d_model 256, 8 heads)")
    ax_ms.legend(fontsize=8)
    ratios = [
        ("fast_over_torch", "helpers, fast path"),
        ("teaching_over_torch", "helpers, teaching path"),
        ("bare_sdpa_over_torch", "bare F.sdpa module"),
    ]
    for i, (metric, label) in enumerate(ratios):
        ax_ratio.bar(
            positions + (i - 1) * width, values(metric), width, label=label, color=f"C{i + 1}"
        )
    ax_ratio.axhline(1.0, color="black", lw=1)
    ax_ratio.axhline(MHA_TARGET, color="C3", ls="--", lw=1, label=f"target {MHA_TARGET:.2f}")
    ax_ratio.set_xticks(positions, [str(s) for s in seqs])
    ax_ratio.set_xlabel("sequence length")
    ax_ratio.set_ylabel("time / nn.MultiheadAttention")
    ax_ratio.set_title("Ratio to torch: the teaching path pays for the L×L weights")
    ax_ratio.legend(fontsize=8)
    fig.tight_layout()
    save_figure(fig, "bench_mha")


# --------------------------------------------------------------------------- section: chunked


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence file descriptor 2 (the profiler's C++ library prints a line per session)."""
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


def peak_memory_bytes(fn: Callable[[], object]) -> int:
    """Peak bytes allocated by the CPU allocator while ``fn`` runs (torch.profiler events).

    The profiler records every allocation (+bytes) and free (-bytes) with the operator it
    happened in; their running sum in time order is the memory held, its maximum the peak.
    """
    from torch.profiler import ProfilerActivity, profile

    with _quiet_stderr(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        result = fn()
        del result
    alive = peak = 0
    for event in sorted(prof.events(), key=lambda e: e.time_range.start):
        alive += event.self_cpu_memory_usage
        peak = max(peak, alive)
    return peak


def _measure_attention(
    implementations: dict[str, Callable], shape: tuple[int, ...], repeats: int
) -> dict[str, tuple[float, int]]:
    """(median ms, peak bytes) of each ``fn(q, k, v)`` on random q, k, v of ``shape``."""
    generator = torch.Generator().manual_seed(shape[-2])
    q, k, v = (torch.randn(shape, generator=generator) for _ in range(3))
    with torch.no_grad():
        expected = scaled_dot_product_attention(q, k, v)
        for fn in implementations.values():  # all of them compute the same thing
            torch.testing.assert_close(fn(q, k, v), expected, atol=1e-5, rtol=1e-5)
        del expected
        steps = {name: functools.partial(fn, q, k, v) for name, fn in implementations.items()}
        seconds = median_times(steps, repeats=repeats, warmup=1)
        return {
            name: (1000 * seconds[name], peak_memory_bytes(step)) for name, step in steps.items()
        }


def bench_chunked(lengths: list[int], repeats: int, plot: bool) -> tuple[list[Row], str]:
    """Forward time and peak memory of three attention implementations vs L (self-attention)."""
    batch, heads, d_head, chunk_size = 1, 4, 64, 256
    implementations = {
        "explicit": lambda q, k, v: scaled_dot_product_attention(q, k, v),
        "chunked": lambda q, k, v: chunked_attention(q, k, v, chunk_size),
        "torch_sdpa": lambda q, k, v: F.scaled_dot_product_attention(q, k, v),
    }
    rows: list[Row] = []
    results: dict[str, dict[str, list[float]]] = {
        name: {"ms": [], "bytes": []} for name in implementations
    }
    for length in lengths:
        case = f"batch={batch} heads={heads} L={length} d_head={d_head}"
        shape = (batch, heads, length, d_head)
        for name, (ms, peak) in _measure_attention(implementations, shape, repeats).items():
            results[name]["ms"].append(ms)
            results[name]["bytes"].append(peak)
            rows.append(_row("chunked", case, f"{name}_ms", ms, "ms"))
            rows.append(_row("chunked", case, f"{name}_peak_bytes", peak, "bytes"))
        print(
            f"  L {length:5d}: "
            + ", ".join(
                f"{name} {results[name]['ms'][-1]:.1f} ms / "
                f"{results[name]['bytes'][-1] / 2**20:.1f} MiB"
                for name in implementations
            ),
            flush=True,
        )

    slopes = {
        name: (loglog_slope(lengths, r["ms"]), loglog_slope(lengths, r["bytes"]))
        for name, r in results.items()
        if len(lengths) > 1
    }
    for name, (time_slope, memory_slope) in slopes.items():
        rows.append(_row("chunked", "log-log slope vs L", f"{name}_time_slope", time_slope, ""))
        rows.append(_row("chunked", "log-log slope vs L", f"{name}_memory_slope", memory_slope, ""))
    labels = {
        "explicit": "explicit (`helpers.scaled_dot_product_attention`)",
        "chunked": f"chunked (`helpers.chunked_attention`, chunk {chunk_size})",
        "torch_sdpa": "`F.scaled_dot_product_attention`",
    }
    table = [
        "| L | " + " | ".join(f"{labels[n]} ms | peak MiB" for n in implementations) + " |",
        "|---:|" + "---:|---:|" * len(implementations),
    ]
    for i, length in enumerate(lengths):
        cells = " | ".join(
            f"{results[n]['ms'][i]:.1f} | {results[n]['bytes'][i] / 2**20:.2f}"
            for n in implementations
        )
        table.append(f"| {length} | {cells} |")
    if slopes:
        cells = " | ".join(f"{slopes[n][0]:.2f} | {slopes[n][1]:.2f}" for n in implementations)
        table.append(f"| **slope** | {cells} |")
    text = "\n".join(
        [
            f"Self-attention forward pass (no gradients), batch {batch}, {heads} heads, d_head "
            f"{d_head}, L queries and L keys, float32; time = median of {repeats} interleaved "
            f"repeats; peak = the most bytes the CPU allocator held at once during one call "
            f"(inputs excluded, output included), from `torch.profiler` memory events. The "
            f"slope row is the exponent of a log-log fit over L: 2 = quadratic, 1 = linear.",
            "",
            *table,
            "",
            "The explicit version holds a few (heads, L, L) tensors; the chunked one at most a "
            "few (heads, L, chunk) blocks, so its memory is linear in L while its time stays "
            "quadratic (a Python loop over chunks: slower than one fused kernel). PyTorch's "
            "fused kernel on this CPU needs little more than its output.",
            "",
            "![chunked attention time and memory](../figures/bench_chunked.png)",
        ]
    )
    if plot:
        _plot_chunked(results, lengths, labels)
    return rows, text


def _plot_chunked(results, lengths, labels) -> None:
    fig = Figure(figsize=(11, 4))
    ax_time, ax_memory = fig.subplots(1, 2)
    for name, result in results.items():
        label = labels[name].replace("`", "")
        ax_time.loglog(lengths, result["ms"], marker="o", base=2, label=label)
        ax_memory.loglog(
            lengths, np.array(result["bytes"]) / 2**20, marker="o", base=2, label=label
        )
    for ax in (ax_time, ax_memory):
        ax.set_xticks(lengths, [str(n) for n in lengths])
        ax.set_xlabel("sequence length L")
        ax.legend(fontsize=8)
    ax_time.set_ylabel("forward time (ms, log scale)")
    ax_time.set_title("Time: every version stays O(L²)")
    ax_memory.set_ylabel("peak allocated memory (MiB, log scale)")
    ax_memory.set_title("Memory: explicit O(L²), chunked and fused O(L)")
    fig.tight_layout()
    save_figure(fig, "bench_chunked")


# --------------------------------------------------------------------------- section: notebooks


def time_notebook(path: Path) -> tuple[float, str]:
    """Seconds to execute a copy of ``path`` alone in a temporary folder, and "ok" or the error."""
    from course_tools.execute import execute_notebook

    with tempfile.TemporaryDirectory(prefix="bench-notebook-") as folder:
        copy = Path(folder) / path.name  # figures land in this folder, not in figures/
        shutil.copy(path, copy)
        start = time.perf_counter()
        try:
            execute_notebook(copy)
            status = "ok"
        except Exception as error:  # a failing notebook is reported, not fatal
            status = f"error: {type(error).__name__}"
        return time.perf_counter() - start, status


def bench_notebooks(plot: bool) -> tuple[list[Row], str]:
    from course_tools.notebooks import list_notebooks

    rows: list[Row] = []
    timings: dict[str, dict[str, tuple[float, str]]] = {}  # notebook -> kind -> (s, status)
    for path in list_notebooks():
        kind = "solution" if path.parent.name == "solutions" else "lesson"
        seconds, status = time_notebook(path)
        timings.setdefault(path.stem, {})[kind] = (seconds, status)
        rows.append(_row("notebooks", f"{kind} {path.stem}", "seconds", seconds, "s"))
        rows.append(_row("notebooks", f"{kind} {path.stem}", "status", status, ""))
        print(f"  {seconds:6.1f} s  {kind:8}  {path.stem}  {status}", flush=True)
    totals = {
        kind: sum(t[kind][0] for t in timings.values() if kind in t)
        for kind in ("lesson", "solution")
    }
    for kind, total in totals.items():
        rows.append(_row("notebooks", f"all {kind}s", "seconds", total, "s"))
    slowest = max((s for t in timings.values() for s, _ in t.values()), default=0.0)
    failed = sorted(
        f"{kind} {name}" for name, t in timings.items() for kind, (_, st) in t.items() if st != "ok"
    )

    def cell(entry: tuple[float, str] | None) -> str:
        if entry is None:
            return "—"
        seconds, status = entry
        mark = "" if seconds < NOTEBOOK_TARGET_S else " ⚠"
        return f"{seconds:.1f}{mark}" + ("" if status == "ok" else f" ({status})")

    table = ["| notebook | lesson s | solution s |", "|---|---:|---:|"]
    for name, t in timings.items():
        table.append(f"| `{name}` | {cell(t.get('lesson'))} | {cell(t.get('solution'))} |")
    table.append(f"| **total** | **{totals['lesson']:.1f}** | **{totals['solution']:.1f}** |")
    each = "met" if slowest < NOTEBOOK_TARGET_S else "**not met**"
    course = "met" if max(totals.values(), default=0.0) < COURSE_TARGET_S else "**not met**"
    text = "\n".join(
        [
            f"{len(timings)} notebooks found. Wall time of `course_tools.execute.execute_notebook` "
            f"on a copy of each notebook alone in a temporary folder: a fresh kernel, imports, "
            f"every cell, as a learner or nbval runs it. Notebooks run one after another.",
            "",
            *table,
            "",
            f"Targets: each notebook < {NOTEBOOK_TARGET_S:.0f} s — {each} (slowest "
            f"{slowest:.1f} s); the course (all lessons, and all solutions) < "
            f"{COURSE_TARGET_S / 60:.0f} min — {course}; grand total "
            f"{sum(totals.values()):.1f} s.",
            *([f"\nFailed: {', '.join(failed)}."] if failed else []),
            "",
            "![notebook execution times](../figures/bench_notebooks.png)",
        ]
    )
    if plot:
        _plot_notebooks(timings)
    return rows, text


def _plot_notebooks(timings) -> None:
    names = list(timings)
    fig = Figure(figsize=(8, 0.45 * len(names) + 1.5))
    ax = fig.subplots()
    positions = np.arange(len(names))
    for offset, kind in ((-0.2, "lesson"), (0.2, "solution")):
        seconds = [timings[n].get(kind, (0.0, ""))[0] for n in names]
        ax.barh(positions + offset, seconds, 0.4, label=kind)
    ax.axvline(NOTEBOOK_TARGET_S, color="C3", ls="--", lw=1, label="limit: 60 s")
    ax.set_yticks(positions, names)
    ax.invert_yaxis()
    ax.set_xlabel("execution time (s), fresh kernel included")
    slowest = max(t[0] for entry in timings.values() for t in entry.values())
    ax.set_title(f"Notebook execution times: the slowest takes {slowest:.0f} s (limit 60 s)")
    ax.legend(loc="lower right")
    fig.tight_layout()
    save_figure(fig, "bench_notebooks")


# --------------------------------------------------------------------------- report


def save_figure(fig: Figure, name: str) -> Path:
    """Write ``fig`` to ``figures/<name>.png`` (the figures results.md shows)."""
    path = FIGURES / f"{name}.png"
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    return path


def _row(section: str, case: str, metric: str, value: object, unit: str) -> Row:
    if isinstance(value, float):
        value = round(value, 4)
    return {"section": section, "case": case, "metric": metric, "value": value, "unit": unit}


def machine_description() -> list[str]:
    """What the numbers were measured on."""
    cpu = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, ValueError, IndexError):
        kib = int(Path("/proc/meminfo").read_text().split("\n")[0].split()[1])
        memory = f", {kib / 2**20:.0f} GiB RAM"
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    capability = ""
    with contextlib.suppress(Exception):
        capability = f", {torch.backends.cpu.get_cpu_capability()} kernels"
    return [
        f"- CPU: {cpu}, {usable} usable cores{memory}",
        f"- OS: {platform.platform()}",
        f"- Python {platform.python_version()}, torch {torch.__version__}{capability}, "
        f"`torch.set_num_threads({torch.get_num_threads()})`",
    ]


def _load() -> str:
    try:
        return ", ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def _read_sections(path: Path) -> dict[str, str]:
    """The section blocks of an existing results.md, by name."""
    if not path.exists():
        return {}
    text = path.read_text("utf-8")
    blocks = {}
    for name in SECTIONS:
        start, end = f"<!-- section:{name} -->", f"<!-- /section:{name} -->"
        if start in text and end in text:
            blocks[name] = text[text.index(start) : text.index(end) + len(end)]
    return blocks


def write_report(new_blocks: dict[str, str], new_rows: list[Row], header: list[str]) -> None:
    blocks = _read_sections(RESULTS_MD)
    blocks.update(new_blocks)
    parts = [*header]
    for name in SECTIONS:
        if name in blocks:
            parts += ["", blocks[name]]
    RESULTS_MD.write_text("\n".join(parts).rstrip() + "\n", "utf-8")

    kept: list[Row] = []
    if RESULTS_CSV.exists():
        with RESULTS_CSV.open(newline="", encoding="utf-8") as file:
            kept = [r for r in csv.DictReader(file) if r["section"] not in new_blocks]
    with RESULTS_CSV.open("w", newline="", encoding="utf-8") as file:
        writer = csv.DictWriter(file, fieldnames=["section", "case", "metric", "value", "unit"])
        writer.writeheader()
        rows = kept + new_rows
        rows.sort(key=lambda r: SECTIONS.index(str(r["section"])))  # stable: keeps the order
        writer.writerows(rows)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    parser.add_argument(
        "--threads",
        type=int,
        default=1,
        help="torch.set_num_threads (1: stable on a shared machine; 2 on an idle 2-core one)",
    )
    parser.add_argument("--repeats", type=int, default=None, help="timing repeats per case")
    parser.add_argument("--quick", action="store_true", help="small sizes, few repeats, no files")
    parser.add_argument("--write", action="store_true", help="write files even with --quick")
    parser.add_argument("--note", default="", help="a sentence for results.md (e.g. load)")
    args = parser.parse_args(argv)
    sections = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = sorted(set(sections) - set(SECTIONS))
    if unknown:
        parser.error(f"unknown section(s) {unknown}; choose from {list(SECTIONS)}")
    write = args.write or not args.quick

    # The course toolkit (course_tools, for the notebooks section) runs from the repository root.
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    torch.set_num_threads(args.threads)
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = _load()
    print(f"threads={args.threads}, load average {load_before}, sections {sections}", flush=True)
    blocks: dict[str, str] = {}
    rows: list[Row] = []
    for section in sections:
        t0 = time.perf_counter()
        print(f"[{section}] {TITLES[section]}", flush=True)
        if section == "mha":
            repeats = args.repeats or (5 if args.quick else 20)
            new_rows, text = bench_mha(
                [128, 512] if args.quick else [128, 512, 1024], repeats, write
            )
        elif section == "chunked":
            repeats = args.repeats or (3 if args.quick else 7)
            lengths = [256, 512, 1024] if args.quick else [256, 512, 1024, 2048, 4096]
            new_rows, text = bench_chunked(lengths, repeats, write)
        else:
            new_rows, text = bench_notebooks(write)
        elapsed = time.perf_counter() - t0
        stamp = (
            f"*Measured {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC in "
            f"{elapsed:.0f} s with {args.threads} thread{'' if args.threads == 1 else 's'}; "
            f"load average (1, 5, 15 min) after: {_load()}.*"
        )
        blocks[section] = "\n".join(
            [
                f"<!-- section:{section} -->",
                f"## {TITLES[section]}",
                "",
                stamp,
                "",
                text,
                f"<!-- /section:{section} -->",
            ]
        )
        rows += new_rows
        print(f"[{section}] done in {elapsed:.0f} s", flush=True)

    header = [
        "# Benchmark results",
        "",
        "Produced by `make bench` (`python benchmarks/run.py`); how and why: "
        "[benchmarks/README.md](README.md). Latest run: "
        f"{started:%Y-%m-%d %H:%M} UTC, sections {', '.join(sections)}"
        f"{' (quick)' if args.quick else ''}; load average before: {load_before}.",
        "",
        *machine_description(),
        *([f"- Note: {args.note}"] if args.note else []),
    ]
    if write:
        write_report(blocks, rows, header)
        print(f"wrote {RESULTS_MD.relative_to(ROOT)} and {RESULTS_CSV.relative_to(ROOT)}")
    else:
        print("\n".join(header + [""] + list(blocks.values())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
