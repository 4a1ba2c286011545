"""Colab badges and setup cells, generated for every notebook from ``course.toml``.

    python -m course_tools.colab sync    # rewrite every badge and setup cell
    python -m course_tools.colab check   # exit 1 and list the notebooks that are out of sync

Every notebook (lesson and solution) starts with two generated cells:

1. a markdown cell with its "Open in Colab" badge, and
2. a setup code cell that installs the course package on Colab and does nothing elsewhere.

The package is installed from GitHub, not in editable mode (an editable install is only importable
after a runtime restart), and without ``-q`` so that a failure shows its cause.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from course_tools.notebooks import language_of, list_notebooks, read, relative, tags, write
from course_tools.plan import ROOT, Plan, load_plan

BADGE_TAG = "colab-badge"
SETUP_TAG = "colab-setup"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"


def badge_source(notebook_path: str, plan: Plan | None = None) -> str:
    """Markdown of the badge for a notebook at ``notebook_path`` (relative to the repo root)."""
    plan = plan or load_plan()
    return f"[![Open In Colab]({BADGE_IMAGE})]({plan.colab_url(notebook_path)})"


SETUP_COMMENT = {
    "en": [
        "# Setup: on Google Colab, install the course package (about a minute);",
        "# anywhere else it is already installed (`make lab`) and this cell does nothing.",
    ],
    "zh": [
        "# 准备：在 Google Colab 上安装本课程的软件包（约一分钟）；",
        "# 在其他环境中它已经装好（`make lab`），这个单元格什么也不做。",
    ],
}


def setup_source(plan: Plan | None = None, language: str = "en") -> str:
    """Source of the setup cell: installs the course on Colab, a no-op anywhere else."""
    return "\n".join(
        [
            *SETUP_COMMENT[language],
            "import sys",
            "",
            'if "google.colab" in sys.modules:',
            "    import subprocess",
            "",
            f'    package = "{(plan or load_plan()).package_spec()}"',
            '    subprocess.run([sys.executable, "-m", "pip", "install", package], check=True)',
        ]
    )


def _is_tagged(cell: nbformat.NotebookNode, tag: str) -> bool:
    return tag in tags(cell)


def synced(
    nb: nbformat.NotebookNode, notebook_path: str, plan: Plan | None = None
) -> nbformat.NotebookNode:
    """Return ``nb`` with its first two cells set to the generated badge and setup cells.

    Existing generated cells are rewritten where they stand; missing ones are inserted at the top.
    Outputs of the setup cell are kept (it prints nothing outside Colab).
    """
    nb = nbformat.from_dict(nb)  # a deep copy
    rest = [c for c in nb.cells if not (_is_tagged(c, BADGE_TAG) or _is_tagged(c, SETUP_TAG))]
    old_setup = next((c for c in nb.cells if _is_tagged(c, SETUP_TAG)), None)

    badge = nbformat.v4.new_markdown_cell(badge_source(notebook_path, plan))
    badge.id = BADGE_TAG
    badge.metadata = {"tags": [BADGE_TAG]}
    setup = nbformat.v4.new_code_cell(setup_source(plan, language_of(notebook_path)))
    setup.id = SETUP_TAG
    setup.metadata = {"tags": [SETUP_TAG]}
    if old_setup is not None:
        setup.outputs = old_setup.get("outputs", [])
        setup.execution_count = old_setup.get("execution_count")
    nb.cells = [badge, setup, *rest]
    return nb


def _synced_notebooks(root: Path):
    """``(path, notebook, synced notebook)`` for every notebook of the plan that exists yet."""
    plan = load_plan(root)
    for path in list_notebooks(root=root, language="all"):
        if not path.exists():  # not generated yet: `lessons.build` / `translations.build` write it
            continue
        nb = read(path)
        yield path, nb, synced(nb, relative(path, root), plan)


def out_of_sync(root: Path = ROOT) -> list[Path]:
    """Notebooks whose badge or setup cell differs from what ``sync`` would write."""
    return [path for path, nb, new in _synced_notebooks(root) if new.cells[:2] != nb.cells[:2]]


def sync(root: Path = ROOT) -> list[Path]:
    """Rewrite the badge and setup cell of every notebook; return the notebooks that changed."""
    changed = []
    for path, nb, new in _synced_notebooks(root):
        if new != nb:
            write(new, path)
            changed.append(path)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Sync or check Colab badges and setup cells.")
    parser.add_argument("command", choices=["sync", "check"])
    parser.add_argument("--root", type=Path, default=ROOT, help="repository root")
    args = parser.parse_args(argv)
    if args.command == "sync":
        for path in sync(args.root):
            print(f"updated {path}")
        return 0
    stale = out_of_sync(args.root)
    for path in stale:
        print(f"out of sync: {path} (run `make sync`)")
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
