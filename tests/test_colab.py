"""Colab support: one setting drives every badge and setup cell; the setup cell is exact."""

import subprocess
import sys
import types
from unittest import mock

import pytest
from notebook_files import ALL_NOTEBOOKS, BOTH_EDITIONS, ROOT, name, read

from course_tools import colab
from course_tools.notebooks import language_of
from course_tools.plan import load_plan, parse_plan


def _setup_cell_source(path) -> str:
    return read(path).cells[1].source


def _run_setup_cell(source: str, on_colab: bool) -> mock.Mock:
    """Execute the setup cell with subprocess.run patched; optionally fake Colab's module."""
    modules = {"google": types.ModuleType("google"), "google.colab": types.ModuleType("colab")}
    with (
        mock.patch.dict(sys.modules, modules if on_colab else {}),
        mock.patch.object(subprocess, "run") as run,
    ):
        if not on_colab:
            sys.modules.pop("google.colab", None)
        exec(compile(source, "<setup cell>", "exec"), {})
    return run


@pytest.mark.parametrize("path", BOTH_EDITIONS, ids=name)
def test_setup_cell_installs_the_course_on_colab_only(path):
    source = _setup_cell_source(path)
    run = _run_setup_cell(source, on_colab=True)
    run.assert_called_once_with(
        [sys.executable, "-m", "pip", "install", load_plan().package_spec()], check=True
    )
    assert "-e" not in run.call_args.args[0], "an editable install needs a runtime restart"
    assert "-q" not in run.call_args.args[0], "quiet installs hide the cause of failures"
    assert _run_setup_cell(source, on_colab=False).call_count == 0


@pytest.mark.parametrize("path", BOTH_EDITIONS, ids=name)
def test_notebook_starts_with_its_badge_and_setup_cell(path):
    nb = read(path)
    relative = path.relative_to(ROOT).as_posix()
    assert nb.cells[0].cell_type == "markdown"
    assert nb.cells[0].source == colab.badge_source(relative)
    assert load_plan().colab_url(relative) in nb.cells[0].source
    assert nb.cells[1].cell_type == "code"
    assert nb.cells[1].source == colab.setup_source(language=language_of(path))


def test_each_edition_has_its_own_setup_comment():
    assert "Setup: on Google Colab" in colab.setup_source(language="en")
    assert "在 Google Colab 上安装" in colab.setup_source(language="zh")
    english, chinese = colab.setup_source(language="en"), colab.setup_source(language="zh")
    assert english.splitlines()[2:] == chinese.splitlines()[2:], "the same install command"


def test_no_notebook_is_out_of_sync():
    assert colab.out_of_sync(ROOT) == []


def test_badge_and_setup_follow_the_one_setting():
    """A fork changes course.toml only; sync rewrites badge and install command."""
    text = (ROOT / "course.toml").read_text("utf-8")
    fork = parse_plan(
        text.replace(
            f'repository = "{load_plan().repository}"', 'repository = "someone/fork"'
        ).replace('branch = "main"', 'branch = "dev"')
    )
    nb = read(ALL_NOTEBOOKS[0])
    synced = colab.synced(nb, "notebooks/x.ipynb", fork)
    assert synced.cells[0].source.endswith(
        "(https://colab.research.google.com/github/someone/fork/blob/dev/notebooks/x.ipynb)"
    )
    assert "git+https://github.com/someone/fork@dev" in synced.cells[1].source
    assert len(synced.cells) == len(nb.cells), "sync replaces the two cells, it does not add"
