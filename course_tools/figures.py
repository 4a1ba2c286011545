"""Each lesson's course-map figure, extracted from the committed outputs into ``figures/``.

Lessons draw their figures inline and save nothing: a plotting cell is only plotting code. One
code cell of each solved notebook carries the tag ``course-map-figure``; the first PNG that cell
displays becomes ``figures/<NN>_<slug>.png``, the thumbnail of the lesson in README's course
map. The bytes are exactly those of the committed output, so the image is what nbval checked the
cell against (nbval compares the cell's text; the PNG comes from the same run).

    python -m course_tools.figures          # write figures/NN_slug.png for every lesson
    python -m course_tools.figures --check  # exit 1 when a figure is missing, stale or orphaned

``figures/`` also holds the benchmark plots (``bench_*.png``, written by ``make bench``).
"""

from __future__ import annotations

import argparse
import base64
import sys
from pathlib import Path

from course_tools.notebooks import list_notebooks, read, tags
from course_tools.plan import ROOT, load_plan

FIGURE_TAG = "course-map-figure"
FIGURES = "figures"
BENCHMARK_PREFIX = "bench_"


def course_map_figure(solution: Path) -> bytes:
    """The PNG bytes shown by the solved notebook's cell tagged ``course-map-figure``."""
    nb = read(solution)
    tagged = [cell for cell in nb.cells if cell.cell_type == "code" and FIGURE_TAG in tags(cell)]
    if len(tagged) != 1:
        raise ValueError(
            f"{solution.name}: tag exactly one code cell {FIGURE_TAG!r}, found {len(tagged)}"
        )
    for output in tagged[0].get("outputs", []):
        png = output.get("data", {}).get("image/png")
        if png:
            return base64.b64decode(png if isinstance(png, str) else "".join(png))
    raise ValueError(f"{solution.name}: the cell tagged {FIGURE_TAG!r} shows no PNG (execute it)")


def expected_figures(root: Path = ROOT) -> dict[Path, bytes]:
    """``{figures/NN_slug.png: bytes}`` for every lesson of the plan."""
    folder = Path(root) / FIGURES
    solutions = list_notebooks("solutions", root)
    lessons = load_plan(root).lessons
    return {
        folder / f"{lesson.stem}.png": course_map_figure(solution)
        for lesson, solution in zip(lessons, solutions, strict=True)
    }


def problems(root: Path = ROOT) -> list[str]:
    """What differs between ``figures/`` and the committed outputs (empty when in sync)."""
    expected = expected_figures(root)
    found = []
    for path, png in expected.items():
        if not path.exists():
            found.append(f"missing: {path.name}")
        elif path.read_bytes() != png:
            found.append(f"stale: {path.name}")
    for path in sorted((Path(root) / FIGURES).glob("*.png")):
        if path not in expected and not path.name.startswith(BENCHMARK_PREFIX):
            found.append(f"orphan: {path.name} (no lesson shows it)")
    return found


def write_figures(root: Path = ROOT) -> list[Path]:
    """Write every missing or stale figure, delete orphans; return the paths written."""
    written = []
    for path, png in expected_figures(root).items():
        if not path.exists() or path.read_bytes() != png:
            path.write_bytes(png)
            written.append(path)
    expected = set(expected_figures(root))
    for path in (Path(root) / FIGURES).glob("*.png"):
        if path not in expected and not path.name.startswith(BENCHMARK_PREFIX):
            path.unlink()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="only report what is out of sync")
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    args = parser.parse_args(argv)
    if args.check:
        found = problems(args.root)
        for problem in found:
            print(f"{problem} (run `make sync`)")
        return 1 if found else 0
    for path in write_figures(args.root):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
