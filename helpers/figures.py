"""Saving figures so they land in the repository's ``figures/`` folder, or beside the notebook.

A notebook never reads a file of the repository (on Colab only the notebook is there), but it
writes its figures: inside a clone they go to ``<repo>/figures/``, anywhere else (Colab's
``/content``, a copied notebook) to the current working folder.
"""

from __future__ import annotations

from pathlib import Path

from matplotlib.figure import Figure

_PROJECT_MARKER = 'name = "self-attention-course"'


def figures_dir(start: Path | str | None = None) -> Path:
    """The repository's ``figures/`` when ``start`` (default: cwd) is in a clone, else ``start``."""
    start = Path.cwd() if start is None else Path(start)
    for folder in (start, *start.parents):
        pyproject = folder / "pyproject.toml"
        is_course = pyproject.is_file() and _PROJECT_MARKER in pyproject.read_text("utf-8")
        if is_course and (folder / "figures").is_dir():
            return folder / "figures"
    return start


def save_figure(fig: Figure, name: str, start: Path | str | None = None) -> Path:
    """Save ``fig`` as ``<figures_dir>/<name>.png`` and return the path.

    ``name`` follows ``NN_short_name`` (the notebook number first), e.g. ``"00_audio_frames"``.
    """
    if not name or "/" in name or name.endswith(".png"):
        raise ValueError(f"figure name must be a bare name like '00_audio_frames', got {name!r}")
    path = figures_dir(start) / f"{name}.png"
    fig.savefig(path, dpi=110, bbox_inches="tight", metadata={"Software": None})
    return path
