"""Execute notebooks in place and leave them clean for git and nbval.

    python -m course_tools.execute --all                      # every notebook of the course
    python -m course_tools.execute notebooks/03_multi_head.ipynb  # some
    python -m course_tools.execute --clean-only notebooks/*.ipynb   # strip metadata, keep outputs

Each notebook runs in a fresh kernel from its own folder (as nbval and a learner run it), then
loses everything machine-specific: kernel paths, Python's patch version, widget state, per-cell
timings. What stays are the outputs and execution counts nbval compares.

Progress bars: ``tqdm.auto`` draws a widget in Jupyter and Colab. A widget is live state, and
without it every viewer of the committed file (GitHub, the website, JupyterLab before a run) shows
the text the widget was created with, ``0%|          | 0/400``, as if training never ran. So each
tqdm widget output is replaced by the plain text of its *finished* state, read from the widget
state of this run: ``training: 100%|██████████| 400/400``. nbval compares only that text, with the
rates and times sanitized (tests/nbval_sanitize.cfg).
"""

from __future__ import annotations

import argparse
import html
import sys
import time
from pathlib import Path

import nbformat

from course_tools.lessons import clear_verify_outputs
from course_tools.notebooks import list_notebooks

KERNEL_NAME = "python3"
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": KERNEL_NAME}
LANGUAGE_INFO = {"name": "python"}


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
BAR_WIDTH = 10  # tqdm's own width for the bar part of its text


def _widget_text(value: str) -> str:
    """An HTML widget's text as plain text (tqdm pads with figure spaces)."""
    return html.unescape(value).replace("\u2007", " ").replace("\xa0", " ")


def finished_progress_bar(model_id: str, state: dict) -> str | None:
    """The text of a tqdm widget's last state: ``desc: 100%|██████████| 400/400``, or None."""
    box = state.get(model_id, {})
    if box.get("model_name") != "HBoxModel":
        return None
    children = [c.removeprefix("IPY_MODEL_") for c in box["state"].get("children", [])]
    models = [state.get(c, {}) for c in children]
    if [m.get("model_name") for m in models] != ["HTMLModel", "FloatProgressModel", "HTMLModel"]:
        return None
    prefix, progress, suffix = (m["state"] for m in models)
    value, maximum = float(progress.get("value", 0)), float(progress.get("max", 0))
    filled = round(BAR_WIDTH * value / maximum) if maximum else 0
    bar = "█" * filled + " " * (BAR_WIDTH - filled)
    counts = _widget_text(suffix.get("value", "")).split("[")[0].strip()  # "400/400" (no rates)
    return f"{_widget_text(prefix.get('value', '')).strip()}|{bar}| {counts}".strip()


def finish_progress_bars(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Replace every tqdm widget output by the plain text of its finished state (in place)."""
    state = nb.metadata.get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            view = output.get("data", {}).get(WIDGET_VIEW)
            if view is None:
                continue
            text = finished_progress_bar(view.get("model_id", ""), state)
            if text is not None:
                del output["data"][WIDGET_VIEW]
                output["data"]["text/plain"] = text
    return nb


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
        store_widget_state=True,  # read by finish_progress_bars, then dropped
        record_timing=False,
    )
    client.execute()
    finish_progress_bars(nb)
    if path.parent.name != "solutions":  # a lesson: predict questions' answers stay hidden
        clear_verify_outputs(nb)
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
        args.notebooks = [
            *list_notebooks("solutions", language="all"),
            *list_notebooks("lessons", language="all"),
        ]
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
