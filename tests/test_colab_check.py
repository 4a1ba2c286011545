"""The pure parts of `make colab-check` (course_tools/colab_check.py); the full run is not here.

The full run (a Python 3.12 venv with the newest torch, every notebook) takes minutes: it is
`make colab-check`. These tests check, in about a second, the pieces it is built from.
"""

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from course_tools import colab_check

ROOT = Path(__file__).resolve().parents[1]


def _script(path: Path, body: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def _env(tmp_path, **extra):
    """PATH with only an empty folder (no python3.12), PYENV_ROOT with no versions."""
    empty = tmp_path / "empty-bin"
    empty.mkdir(exist_ok=True)
    return {"PATH": str(empty), "PYENV_ROOT": str(tmp_path / "no-pyenv"), **extra}


# --------------------------------------------------------------------------- finding Python 3.12


def test_colab_python_is_used_when_set():
    path, version = colab_check.find_python312({"COLAB_PYTHON": sys.executable, "PATH": ""})
    assert path == sys.executable
    assert version == ".".join(map(str, sys.version_info[:3]))


def test_colab_python_that_does_not_run_is_an_error_not_replaced(tmp_path):
    broken = _script(tmp_path / "python3.12", "exit 127")
    with pytest.raises(colab_check.CheckError, match="COLAB_PYTHON"):
        colab_check.find_python312(_env(tmp_path, COLAB_PYTHON=str(broken)))


def test_a_shim_on_path_that_does_not_run_is_skipped_for_pyenvs_own(tmp_path):
    """pyenv puts a python3.12 shim on PATH even when 3.12 is not active: it fails to run."""
    shim = _script(
        tmp_path / "shims" / "python3.12", "echo 'pyenv: python3.12: not found'; exit 127"
    )
    real = _script(tmp_path / "pyenv" / "versions" / "3.12.7" / "bin" / "python3.12", "echo 3.12.7")
    env = {"PATH": str(shim.parent), "PYENV_ROOT": str(tmp_path / "pyenv")}
    assert colab_check.find_python312(env) == (str(real), "3.12.7")


def test_python312_on_path_that_runs_comes_first(tmp_path):
    on_path = _script(tmp_path / "bin" / "python3.12", "echo 3.12.3")
    _script(tmp_path / "pyenv" / "versions" / "3.12.7" / "bin" / "python3.12", "echo 3.12.7")
    env = {"PATH": str(on_path.parent), "PYENV_ROOT": str(tmp_path / "pyenv")}
    assert colab_check.find_python312(env) == (str(on_path), "3.12.3")


def test_a_python312_name_running_another_version_is_not_taken(tmp_path):
    _script(tmp_path / "bin" / "python3.12", "echo 3.11.7")
    with pytest.raises(colab_check.CheckError):
        colab_check.find_python312({"PATH": str(tmp_path / "bin"), "PYENV_ROOT": str(tmp_path)})


def test_no_python312_says_what_to_install(tmp_path):
    with pytest.raises(colab_check.CheckError) as error:
        colab_check.find_python312(_env(tmp_path))
    message = str(error.value)
    assert "pyenv install 3.12" in message
    assert "COLAB_PYTHON" in message


# --------------------------------------------------------------------------- the setup cell


def _notebook(*sources: str) -> dict:
    cells = [{"cell_type": "markdown", "source": "[badge](x)"}]
    cells += [{"cell_type": "code", "source": s} for s in sources]
    return {"cells": cells}


def test_setup_install_reads_url_branch_and_code_cell_index():
    setup = (
        'if "google.colab" in sys.modules:\n    package = "git+https://github.com/me/fork@dev"\n'
    )
    nb = _notebook("import sys", setup)
    assert colab_check.setup_install(nb) == ("https://github.com/me/fork", "dev", 1)


def test_setup_install_accepts_a_dot_git_url_and_source_as_lines():
    nb = _notebook(["x = 1\n", "package = 'git+https://github.com/a-b/c.d.git@v1.2'\n"])
    assert colab_check.setup_install(nb) == ("https://github.com/a-b/c.d.git", "v1.2", 0)


def test_setup_install_is_none_without_a_git_install():
    assert colab_check.setup_install(_notebook("print(1)", 'package = "numpy"')) is None


@pytest.mark.parametrize(
    "path", sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")), ids=lambda p: p.name
)
def test_every_lesson_has_a_setup_cell_the_check_can_redirect(path):
    found = colab_check.setup_install(json.loads(path.read_text()))
    assert found is not None, "colab-check reads the install URL from the setup cell"
    url, ref, _ = found
    assert url.startswith("https://github.com/") and ref


# --------------------------------------------------------------------------- redirect and fakes


def _git(*args, cwd=None, env=None):
    return subprocess.run(
        ["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True
    ).stdout


def test_git_config_redirects_the_github_url_to_the_clone(tmp_path):
    repo = tmp_path / "clone"
    repo.mkdir()
    _git("init", "--quiet", "-b", "main", cwd=repo)
    (repo / "f.txt").write_text("x\n")
    _git("add", "f.txt", cwd=repo)
    author = ["-c", "user.name=t", "-c", "user.email=t@t"]
    _git(*author, "commit", "--quiet", "-m", "m", cwd=repo)
    commit = _git("rev-parse", "HEAD", cwd=repo).strip()
    config = tmp_path / "gitconfig"
    config.write_text(colab_check.git_redirect_config("https://github.com/me/course", repo))
    env = {**os.environ, "GIT_CONFIG_GLOBAL": str(config), "GIT_CONFIG_NOSYSTEM": "1"}
    env.pop("GIT_DIR", None)
    # The URL pip clones: it never reaches the network, git answers from the local clone.
    out = _git("ls-remote", "https://github.com/me/course", "main", env=env, cwd=tmp_path)
    assert out.split() == [commit, "refs/heads/main"]


def test_clone_head_points_the_setup_branch_at_head(tmp_path):
    clone = tmp_path / "clone"
    commit = colab_check.clone_head(ROOT, clone, "some-branch")
    assert commit == _git("rev-parse", "HEAD", cwd=ROOT).strip()
    assert _git("rev-parse", "some-branch", cwd=clone).strip() == commit
    assert _git("rev-parse", "HEAD", cwd=clone).strip() == commit


def test_fake_colab_is_importable_and_imported_at_kernel_start(tmp_path):
    path, ipython_dir = colab_check.write_fake_colab(tmp_path)
    assert not (path / "google" / "__init__.py").exists(), "google stays a namespace package"
    code = "import google.colab, sys; print(google.colab.IN_COLAB_CHECK)"
    env = {**os.environ, "PYTHONPATH": str(path)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == "True", out.stderr
    startup = list((ipython_dir / "profile_default" / "startup").glob("*.py"))
    assert [p.read_text().split()[:2] for p in startup] == [["import", "google.colab"]]


def test_kernel_environment_is_offline_and_hermetic(tmp_path):
    base = {
        "PATH": "/bin",
        "HOME": "/root",
        "PIP_INDEX_URL": "https://example.invalid/simple",
        "PIP_FIND_LINKS": "/opt/wheels",
        "VIRTUAL_ENV": "/work/main/.venv",
        "PYTHONPATH": "/elsewhere",
        "GIT_DIR": "/work/main/.git",
        "MPLBACKEND": "Agg",
    }
    env = colab_check.kernel_environment(
        base,
        fake_colab=tmp_path / "fake",
        ipython_dir=tmp_path / "ipython",
        offline=tmp_path / "offline",
        gitconfig=tmp_path / "gitconfig",
        wheelhouse=tmp_path / "wheels",
    )
    assert env["PYTHONPATH"].split(os.pathsep) == [
        str(tmp_path / "fake"),
        str(tmp_path / "offline"),
    ]
    assert env["PIP_NO_INDEX"] == "1"
    assert env["PIP_FIND_LINKS"] == str(tmp_path / "wheels")
    assert env["PIP_CONFIG_FILE"] == os.devnull
    assert env["GIT_CONFIG_GLOBAL"] == str(tmp_path / "gitconfig")
    assert env["IPYTHONDIR"] == str(tmp_path / "ipython")
    for gone in ("PIP_INDEX_URL", "VIRTUAL_ENV", "GIT_DIR", "MPLBACKEND"):
        assert gone not in env
    assert env["PATH"] == "/bin" and env["HOME"] == "/root"


def test_overlay_venv_sees_the_base_packages_and_installs_into_its_own(tmp_path):
    base_site = tmp_path / "base-site"
    base_site.mkdir()
    (base_site / "from_base.py").write_text("VALUE = 42\n")
    python = colab_check.make_overlay_venv(Path(sys.executable), base_site, tmp_path / "venv")
    code = (
        "import from_base, sys, sysconfig; print(from_base.VALUE, sysconfig.get_paths()['purelib'])"
    )
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True)
    value, purelib = out.stdout.split()
    assert value == "42"
    assert Path(purelib).is_relative_to(tmp_path / "venv"), "installs go to the overlay"
    assert colab_check.installed_distributions(Path(purelib)) == []


# --------------------------------------------------------------------------- results


def test_parse_junit_counts_cells_and_keeps_failure_text(tmp_path):
    xml = tmp_path / "r.xml"
    xml.write_text(
        '<testsuites><testsuite name="pytest">'
        '<testcase classname="nb" name="Cell 0" time="7.5"/>'
        '<testcase classname="nb" name="Cell 1" time="0.2">'
        '<failure message="mismatch">expected 3\ngot 4</failure></testcase>'
        "</testsuite></testsuites>"
    )
    cells, failures, seconds = colab_check.parse_junit(xml)
    assert cells == 2
    assert seconds == {"Cell 0": 7.5, "Cell 1": 0.2}
    assert [(f.cell, f.message) for f in failures] == [("Cell 1", "expected 3\ngot 4")]


def test_installed_distributions_lists_what_the_setup_cell_added(tmp_path):
    (tmp_path / "self_attention_course-0.1.0.dist-info").mkdir()
    (tmp_path / "helpers").mkdir()
    (tmp_path / "tqdm-4.67.1.dist-info").mkdir()
    assert colab_check.installed_distributions(tmp_path) == [
        "self_attention_course==0.1.0",
        "tqdm==4.67.1",
    ]


def test_report_lists_every_notebook_and_every_differing_cell():
    ok = colab_check.Result("notebooks/00_a.ipynb", passed=True, cells=3, seconds=5.0)
    ok.setup_seconds, ok.setup_installed = 4.0, ["self_attention_course==0.1.0"]
    bad = colab_check.Result("notebooks/01_b.ipynb", cells=4, seconds=6.0, setup_seconds=5.0)
    bad.failures = [colab_check.CellFailure("Cell 3", "expected 1 got 2")]
    info = {"commit": "abc", "python": "3.12.1", "torch": "9.9"}
    text = colab_check.report([ok, bad], info, {"total": 60.0})
    assert "notebooks/00_a.ipynb" in text and "pass" in text
    assert "--- notebooks/01_b.ipynb :: Cell 3\nexpected 1 got 2" in text
    assert "python 3.12.1, torch 9.9" in text
    assert text.splitlines()[-1] == "colab-check: 1 passed, 1 failed (01_b.ipynb)"


def test_the_setup_cell_installs_only_what_colab_lacks():
    """Every runtime dependency of the course is one Colab preinstalls (or the check fails)."""
    text = (ROOT / "pyproject.toml").read_text()
    block = text.split("dependencies = [", 1)[1].split("]", 1)[0]
    names = {
        line.split('"')[1].split(">")[0].split("=")[0] for line in block.splitlines() if '"' in line
    }
    assert names <= set(colab_check.COLAB_PREINSTALLED)


def test_downloaded_wheels_are_read_from_pips_output(tmp_path):
    out = (
        "Collecting torch\n"
        f"  File was already downloaded {tmp_path}/torch-2.14.1-cp312-cp312-linux.whl\n"
        "Collecting numpy\n"
        f"Saved {tmp_path}/numpy-2.5.5-cp312-cp312-linux.whl\n"
        "Successfully downloaded numpy\n"
    )
    assert colab_check.downloaded_wheels(out) == [
        tmp_path / "torch-2.14.1-cp312-cp312-linux.whl",
        tmp_path / "numpy-2.5.5-cp312-cp312-linux.whl",
    ]


def test_cache_folder_follows_the_variables(tmp_path):
    assert colab_check.cache_folder({"COLAB_CHECK_CACHE": str(tmp_path)}) == tmp_path
    xdg = colab_check.cache_folder({"XDG_CACHE_HOME": str(tmp_path)})
    assert xdg == tmp_path / "course-colab-check"


def test_preflight_accepts_the_kernel_environment_and_refuses_an_online_one(tmp_path):
    fake, ipython_dir = colab_check.write_fake_colab(tmp_path)
    env = colab_check.kernel_environment(
        dict(os.environ),
        fake_colab=fake,
        ipython_dir=ipython_dir,
        offline=ROOT / "tests" / "offline",
        gitconfig=tmp_path / "gitconfig",
        wheelhouse=tmp_path,
    )
    colab_check.preflight(Path(sys.executable), env)
    online = {**env, "PYTHONPATH": str(fake)}
    with pytest.raises(colab_check.CheckError, match="network not blocked"):
        colab_check.preflight(Path(sys.executable), online)


def test_pip_environment_drops_configured_constraints_unless_kept(tmp_path):
    base = {"PATH": "/bin", "PIP_CONSTRAINT": "/etc/cap.txt", "VIRTUAL_ENV": "/v", "PIP_CERT": "c"}
    env = colab_check.pip_environment(base, tmp_path / "none.txt")
    assert env["PIP_CONSTRAINT"] == str(tmp_path / "none.txt")
    assert (tmp_path / "none.txt").read_text() == ""
    assert env["PIP_CERT"] == "c" and "VIRTUAL_ENV" not in env
    assert colab_check.pip_environment(base, None)["PIP_CONSTRAINT"] == "/etc/cap.txt"


def test_installed_commits_reads_pips_direct_url(tmp_path):
    info = tmp_path / "self_attention_course-0.1.0.dist-info"
    info.mkdir()
    (info / "direct_url.json").write_text(
        json.dumps(
            {"url": "https://github.com/me/c", "vcs_info": {"vcs": "git", "commit_id": "ab"}}
        )
    )
    (tmp_path / "tqdm-4.67.1.dist-info").mkdir()
    assert colab_check.installed_commits(tmp_path) == {"self_attention_course": "ab"}
