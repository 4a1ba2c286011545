"""Execute notebooks in place and leave them clean for git and nbval.

    python -m course_tools.execute --all                      # every notebook of the course
    python -m course_tools.execute notebooks/03_multi_head.ipynb  # some
    python -m course_tools.execute --clean-only notebooks/*.ipynb   # strip metadata, keep outputs

Each notebook runs in a fresh kernel from its own folder (as nbval and a learner run it), then
loses everything machine-specific: kernel paths, Python's patch version, widget state, per-cell
timings. What stays are the outputs and execution counts nbval compares.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import nbformat

from course_tools.notebooks import list_notebooks

KERNEL_NAME = "python3"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL_NAME}
LANGUAGE_INFO = {"name": "python"}


def clean_metadata(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Keep only portable notebook metadata; drop widget state and cell timings in place."""
    course = nb.metadata.get("course")
    nb.metadata = nbformat.NotebookNode(
        {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    )
    if course is not None:
        nb.metadata["course"] = course
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("collapsed", None)
        cell.metadata.pop("scrolled", None)
    return nb


def execute_notebook(path: Path | str, timeout: int = 600) -> nbformat.NotebookNode:
    """Run a notebook top to bottom in a fresh kernel (cwd = its folder) and return it cleaned."""
    from nbclient import NotebookClient  # imported here: only the course tooling needs it

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name=KERNEL_NAME,
        resources={"metadata": {"path": str(path.parent.resolve())}},
        store_widget_state=False,
        record_timing=False,
    )
    client.execute()
    return clean_metadata(nb)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--all", action="store_true", help="every notebook of the course")
    parser.add_argument("--timeout", type=int, default=600, help="seconds per cell")
    parser.add_argument(
        "--clean-only",
        action="store_true",
        help="do not execute: only strip machine-specific metadata, keeping outputs and "
        "execution counts (like nbstripout --keep-output --keep-count; a pre-commit hook)",
    )
    args = parser.parse_args(argv)
    if args.all:
        args.notebooks = list_notebooks("solutions") + list_notebooks("lessons")
    if not args.notebooks:
        parser.error("name notebooks, or --all")
    if args.clean_only:
        for path in args.notebooks:
            nb = nbformat.read(path, as_version=4)
            cleaned = clean_metadata(nbformat.from_dict(nb))
            if cleaned != nb:
                nbformat.write(cleaned, path)
                print(f"cleaned {path}")
        return 0
    total = time.perf_counter()
    for path in args.notebooks:
        start = time.perf_counter()
        nb = execute_notebook(path, timeout=args.timeout)
        nbformat.write(nb, path)
        print(f"{time.perf_counter() - start:6.1f} s  {path}", flush=True)
    print(f"{time.perf_counter() - total:6.1f} s  total", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
