"""Run every lesson the way Google Colab runs it, and compare its outputs strictly (nbval).

    python -m course_tools.colab_check                 # make colab-check
    python -m course_tools.colab_check --lessons-only  # skip notebooks/solutions/
    python -m course_tools.colab_check --jobs 2        # two notebooks at once (2 cores)
    python -m course_tools.colab_check notebooks/08_rnn_vs_self_attention.ipynb
    COLAB_PYTHON=/path/to/python3.12 python -m course_tools.colab_check

What a Colab learner has, and what ``make test`` does not: Python 3.12, the newest torch, numpy
and matplotlib, a *non-editable* install of the course from a git URL, and an empty working
folder that holds only the notebook. This tool rebuilds that:

1. Python 3.12 from ``COLAB_PYTHON``, else ``python3.12`` on PATH (checked to really run: a pyenv
   shim may exist without the version being active), else a pyenv-installed 3.12.
2. A clone of HEAD (what the setup cell would install; uncommitted changes are not in it), whose
   branch named in the setup cell's URL points at HEAD.
3. A fresh "base" venv in a temporary folder with the newest torch, numpy, matplotlib, what Colab
   preinstalls that the course uses (``COLAB_PREINSTALLED``) and the runner (ipykernel, nbval,
   pytest). The index is asked what is newest on every run, but the wheels are kept in
   ``~/.cache/course-colab-check/`` (or ``COLAB_CHECK_CACHE``), so only new releases are
   downloaded. Constraints files from pip's configuration (this machine caps torch for the main
   .venv) are lifted for this venv; ``--keep-pip-constraints`` keeps them. A wheelhouse holds
   setuptools and wheel, all that the offline build of the course needs.
4. For each notebook: a new, empty ``content/`` folder holding only that notebook, and a new
   overlay venv on top of the base one (a ``.pth`` file adds the base site-packages), so that the
   setup cell's install goes into a venv of its own, like a fresh Colab session, without
   reinstalling torch. The notebook runs under ``pytest --nbval`` with the repository's sanitizer
   config (no other), the network refused by the clone's ``tests/offline/sitecustomize.py``,
   ``google.colab`` faked (a stub package imported at kernel start-up by an IPython startup file),
   and the setup cell's ``https://github.com/<owner>/<repo>`` redirected to the clone by a
   ``url.<clone>.insteadOf`` entry in a temporary ``GIT_CONFIG_GLOBAL``. pip runs offline
   (``PIP_NO_INDEX``, ``PIP_FIND_LINKS`` = the wheelhouse): whatever the course needs beyond
   what Colab has fails the setup cell instead of being downloaded quietly. Afterwards the tool
   checks (pip's ``direct_url.json``) that the setup cell installed HEAD's commit.
5. A table: per notebook pass/fail, seconds, the setup cell's seconds and the packages it
   installed; the versions used; every differing cell. Exit 1 if anything failed.

The install URL is read from the notebooks' setup cells (the ``package = "git+https://..."``
line), so the tool follows wherever the course is configured to install from. Logs and pytest's
JUnit reports are kept in ``_build/colab-check/``.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

# Preinstalled on Colab and used by the course (pyproject's dependencies). The setup cell may
# install only the course itself on top of these.
COLAB_PREINSTALLED = (
    "torch",
    "numpy",
    "matplotlib",
    "tqdm",
    "ipywidgets",
    "scikit-learn",
    "networkx",
)
# What runs the notebooks (Colab has its own kernel; nbval and pytest are our harness).
RUNNER = ("ipykernel", "nbval", "pytest")
# An isolated PEP 517 build of the course needs only these (pyproject's build-system).
WHEELHOUSE = ("setuptools", "wheel")
REPORTED_VERSIONS = ("torch", "numpy", "matplotlib", "ipywidgets", "scikit-learn", "nbval")

SETUP_URL = re.compile(
    r"""package\s*=\s*["']git\+(?P<url>https://github\.com/[\w.-]+/[\w.-]+)@(?P<ref>[^"'\s]+)["']"""
)
PYENV_HINT = (
    "No Python 3.12 found. Install one (e.g. `pyenv install 3.12` or your system's python3.12 "
    "package) and put `python3.12` on PATH (with pyenv: `pyenv shell 3.12.x` or "
    "`pyenv global 3.11.x 3.12.x`), or set COLAB_PYTHON to its path, "
    "e.g. `COLAB_PYTHON=$(pyenv root)/versions/3.12.1/bin/python3.12 make colab-check`."
)


class CheckError(RuntimeError):
    """A problem with the set-up (not with a lesson): printed without a traceback."""


# --------------------------------------------------------------------------- finding Python 3.12


def python_version(executable: str) -> str | None:
    """``"3.12.1"`` if ``executable`` runs, else None (e.g. a pyenv shim of an inactive version)."""
    try:
        done = subprocess.run(
            [executable, "-c", "import platform; print(platform.python_version())"],
            capture_output=True,
            text=True,
            timeout=60,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 and done.stdout.strip() else None


def _pyenv_candidates(env: dict[str, str]) -> list[str]:
    root = Path(env.get("PYENV_ROOT") or Path.home() / ".pyenv")
    versions = sorted((root / "versions").glob("3.12*"), reverse=True)
    return [str(v / "bin" / "python3.12") for v in versions]


def find_python312(env: dict[str, str] | None = None) -> tuple[str, str]:
    """(path, version) of a Python 3.12 that runs: COLAB_PYTHON, python3.12 on PATH, pyenv's.

    COLAB_PYTHON, when set, is used or fails: it is never silently replaced.
    """
    env = dict(os.environ if env is None else env)
    wanted = env.get("COLAB_PYTHON")
    if wanted:
        version = python_version(wanted)
        if version is None:
            raise CheckError(f"COLAB_PYTHON={wanted!r} does not run. {PYENV_HINT}")
        if not version.startswith("3.12"):
            print(f"warning: COLAB_PYTHON is Python {version}, Colab runs 3.12", file=sys.stderr)
        return wanted, version
    candidates = []
    on_path = shutil.which("python3.12", path=env.get("PATH"))
    if on_path:
        candidates.append(on_path)
    candidates += _pyenv_candidates(env)
    for candidate in candidates:
        version = python_version(candidate)
        if version is not None and version.startswith("3.12"):
            return candidate, version
    raise CheckError(PYENV_HINT)


# --------------------------------------------------------------------------- the setup cell


def setup_install(notebook: dict) -> tuple[str, str, int] | None:
    """(https URL, git ref, code-cell index) of the setup cell's ``pip install git+...``."""
    code_index = -1
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        code_index += 1
        source = cell.get("source", "")
        source = "".join(source) if isinstance(source, list) else source
        match = SETUP_URL.search(source)
        if match:
            return match["url"], match["ref"], code_index
    return None


def git_redirect_config(url: str, clone: Path) -> str:
    """A git config that sends ``url`` (what pip will ``git clone``) to the local ``clone``."""
    return (
        "[protocol]\n"
        "\tallow = always\n"
        f'[url "{clone.resolve().as_uri()}"]\n'
        f"\tinsteadOf = {url}\n"
        "[advice]\n"
        "\tdetachedHead = false\n"
    )


def write_fake_colab(folder: Path) -> tuple[Path, Path]:
    """A stub ``google.colab`` package and an IPython dir whose startup file imports it.

    Returns (folder to put on PYTHONPATH, IPYTHONDIR). ``google`` stays a namespace package (no
    ``google/__init__.py``), so real ``google.*`` packages (protobuf, ...) still import. On Colab
    the kernel has imported ``google.colab`` before the first cell runs; the startup file does the
    same, in the kernel only (pip, started by the setup cell, does not see it, as on Colab).
    """
    package = folder / "fake_colab" / "google" / "colab"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(
        '"""Stand-in for Colab\'s module: only its presence in sys.modules matters."""\n'
        "IN_COLAB_CHECK = True\n"
    )
    startup = folder / "ipython" / "profile_default" / "startup"
    startup.mkdir(parents=True, exist_ok=True)
    (startup / "00-fake-colab.py").write_text("import google.colab  # noqa: F401\n")
    return folder / "fake_colab", folder / "ipython"


def kernel_environment(
    base: dict[str, str],
    *,
    fake_colab: Path,
    ipython_dir: Path,
    offline: Path,
    gitconfig: Path,
    wheelhouse: Path,
) -> dict[str, str]:
    """The environment of pytest and its kernels: offline, faked Colab, redirected git URL."""
    env = {
        k: v
        for k, v in base.items()
        if not k.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV", "CONDA", "GIT_", "MPLBACKEND"))
        and k not in {"JPY_PARENT_PID", "IPYTHONDIR", "JUPYTER_PATH", "JUPYTER_CONFIG_DIR"}
    }
    env.update(
        PYTHONPATH=os.pathsep.join([str(fake_colab), str(offline)]),
        IPYTHONDIR=str(ipython_dir),
        GIT_CONFIG_GLOBAL=str(gitconfig),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_TERMINAL_PROMPT="0",
        PIP_CONFIG_FILE=os.devnull,  # no machine-wide pip.conf: Colab has none
        PIP_NO_INDEX="1",
        PIP_FIND_LINKS=str(wheelhouse),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PYTHONDONTWRITEBYTECODE="1",
    )
    return env


# --------------------------------------------------------------------------- results


@dataclass
class CellFailure:
    cell: str
    message: str


@dataclass
class Result:
    notebook: str
    passed: bool = False
    seconds: float = 0.0
    cells: int = 0
    failures: list[CellFailure] = field(default_factory=list)
    setup_seconds: float | None = None
    setup_installed: list[str] = field(default_factory=list)
    error: str = ""


ANSI = re.compile(r"\x1b\[[0-9;]*m")


def parse_junit(path: Path) -> tuple[int, list[CellFailure], dict[str, float]]:
    """(number of cells, failed cells, seconds per cell) from pytest's JUnit XML."""
    root = ET.parse(path).getroot()
    cases = list(root.iter("testcase"))
    failures, seconds = [], {}
    for case in cases:
        name = case.get("name", "?")
        seconds[name] = float(case.get("time") or 0.0)
        for tag in ("failure", "error"):
            for bad in case.findall(tag):
                text = ANSI.sub("", bad.text or bad.get("message") or "")
                failures.append(CellFailure(name, text.strip()))
    return len(cases), failures, seconds


def installed_distributions(site_packages: Path) -> list[str]:
    """``name==version`` of every distribution installed in ``site_packages`` (sorted)."""
    found = []
    for info in sorted(site_packages.glob("*.dist-info")):
        name, _, version = info.name[: -len(".dist-info")].partition("-")
        found.append(f"{name}=={version}")
    return found


def installed_commits(site_packages: Path) -> dict[str, str]:
    """``{distribution: commit}`` for what pip installed from git (PEP 610 direct_url.json)."""
    found = {}
    for direct in sorted(site_packages.glob("*.dist-info/direct_url.json")):
        data = json.loads(direct.read_text())
        commit = data.get("vcs_info", {}).get("commit_id")
        if commit:
            found[direct.parent.name.partition("-")[0]] = commit
    return found


def format_table(rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


# --------------------------------------------------------------------------- running


def run(cmd: list[str], log: Path | None = None, **kwargs) -> subprocess.CompletedProcess:
    """Run ``cmd``; on failure show the end of its output and raise CheckError."""
    done = subprocess.run(cmd, capture_output=True, text=True, **kwargs)
    if log is not None:
        with log.open("a") as f:
            f.write(f"$ {' '.join(cmd)}\n{done.stdout}{done.stderr}\n")
    if done.returncode != 0:
        tail = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
        raise CheckError(f"command failed ({done.returncode}): {' '.join(cmd)}\n{tail}")
    return done


def git(repo: Path, *args: str) -> str:
    return run(["git", "-C", str(repo), *args]).stdout.strip()


def clone_head(repo: Path, clone: Path, branch: str) -> str:
    """Clone ``repo`` at HEAD into ``clone``; make ``branch`` point at it. Returns the commit."""
    commit = git(repo, "rev-parse", "HEAD")
    run(["git", "clone", "--quiet", "--no-checkout", str(repo), str(clone)])
    git(clone, "checkout", "--quiet", "--detach", commit)
    git(clone, "branch", "--force", branch, commit)
    return commit


def site_packages(python: Path) -> Path:
    out = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"])
    return Path(out.stdout.strip())


def cache_folder(env: dict[str, str] | None = None) -> Path:
    """Where downloaded wheels are kept between runs: COLAB_CHECK_CACHE, else the user's cache."""
    env = dict(os.environ if env is None else env)
    if env.get("COLAB_CHECK_CACHE"):
        return Path(env["COLAB_CHECK_CACHE"])
    return Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "course-colab-check"


DOWNLOADED = re.compile(r"^\s*(?:Saved|File was already downloaded) (?P<path>\S+\.whl)\s*$", re.M)


def downloaded_wheels(pip_output: str) -> list[Path]:
    """The wheels a ``pip download`` fetched or found already in its folder."""
    return [Path(m["path"]) for m in DOWNLOADED.finditer(pip_output)]


def fill_wheel_cache(
    python: Path, wheels: Path, packages: list[str], log: Path, env: dict[str, str]
) -> list[Path]:
    """Download the newest ``packages`` (and their dependencies) for ``python`` into ``wheels``.

    pip's own HTTP cache is not enough: behind some package-index proxies it stores nothing, and
    then every run downloads torch's 3 GB again. ``pip download`` into a kept folder asks the
    index what is newest every time but skips any wheel already there. Wheels no longer wanted
    (older versions) are removed.
    """
    wheels.mkdir(parents=True, exist_ok=True)
    out = run(
        [str(python), "-m", "pip", "download", "-d", str(wheels), *packages], log=log, env=env
    )
    wanted = {p.resolve() for p in downloaded_wheels(out.stdout)}
    if not wanted:
        raise CheckError(f"pip download reported no wheels (see {log})")
    for old in wheels.glob("*.whl"):
        if old.resolve() not in wanted:
            old.unlink()
    return sorted(wanted)


def pip_environment(base: dict[str, str], no_constraints: Path | None) -> dict[str, str]:
    """The environment of the base venv's pip: the user's pip config, minus its constraints.

    A machine-wide pip config may cap torch (this course's machines do, for the main .venv); the
    check wants the newest release the index offers, like a Colab runtime that was just updated.
    ``no_constraints`` (an empty file) replaces every configured constraints file; None keeps them.
    """
    env = {k: v for k, v in base.items() if k not in {"VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"}}
    if no_constraints is not None:
        no_constraints.write_text("")
        env["PIP_CONSTRAINT"] = str(no_constraints)
    return env


def make_base_venv(
    python312: str, venv: Path, packages: list[str], wheels: Path, log: Path, env: dict[str, str]
) -> tuple[Path, list[Path]]:
    """A fresh venv with the newest ``packages``, installed from the kept wheel folder."""
    run([python312, "-m", "venv", str(venv)], log=log, env=env)
    python = venv / "bin" / "python"
    got = fill_wheel_cache(python, wheels, ["pip", *packages, *WHEELHOUSE], log, env)
    local = ["--no-index", "--find-links", str(wheels)]
    run([str(python), "-m", "pip", "install", "--upgrade", *local, "pip"], log=log, env=env)
    run([str(python), "-m", "pip", "install", *local, *packages], log=log, env=env)
    return python, got


def make_overlay_venv(base_python: Path, base_site: Path, venv: Path) -> Path:
    """A venv without packages of its own that sees the base venv's (via a .pth file)."""
    run([str(base_python), "-m", "venv", "--without-pip", str(venv)])
    python = venv / "bin" / "python"
    site = site_packages(python)
    (site / "_colab_check_base.pth").write_text(
        f"import site; site.addsitedir({str(base_site)!r})\n"
    )
    return python


def versions(python: Path, names: tuple[str, ...]) -> dict[str, str]:
    code = (
        "import json, importlib.metadata as m, platform, sys\n"
        "out = {'python': platform.python_version()}\n"
        "for n in sys.argv[1:]:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: out[n] = 'missing'\n"
        "print(json.dumps(out))"
    )
    return json.loads(run([str(python), "-c", code, *names]).stdout)


@dataclass
class Context:
    clone: Path
    work: Path
    reports: Path
    base_python: Path
    base_site: Path
    env: dict[str, str]
    sanitize: Path
    timeout: float
    commit: str = ""


def preflight(python: Path, env: dict[str, str]) -> None:
    """Check, before any notebook, that the kernel's Python is offline and sees the fake Colab."""
    code = (
        "import socket, google.colab, os\n"
        "assert getattr(socket, 'NETWORK_DISABLED_BY_COURSE_TESTS', False), 'network not blocked'\n"
        "from IPython.paths import get_ipython_dir\n"
        "startup = os.path.join(get_ipython_dir(), 'profile_default', 'startup')\n"
        "assert any('google.colab' in open(os.path.join(startup, f)).read()\n"
        "           for f in os.listdir(startup)), 'no startup file imports google.colab'\n"
    )
    done = subprocess.run([str(python), "-c", code], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise CheckError(f"the kernel environment is not as intended:\n{done.stderr[-2000:]}")


def check_notebook(ctx: Context, relative: str) -> Result:
    """Run one notebook alone in an empty folder of a fresh overlay venv."""
    result = Result(relative)
    stem = relative.replace("/", "__").removesuffix(".ipynb")
    folder = ctx.work / "runs" / stem
    content = folder / "content"
    content.mkdir(parents=True)
    notebook = content / Path(relative).name
    shutil.copy2(ctx.clone / relative, notebook)
    (folder / "pytest.ini").write_text("[pytest]\n")
    python = make_overlay_venv(ctx.base_python, ctx.base_site, folder / "venv")
    junit = ctx.reports / f"{stem}.xml"
    cmd = [
        str(python),
        "-m",
        "pytest",
        "-c",
        str(folder / "pytest.ini"),
        "--rootdir",
        str(content),
        "-p",
        "no:cacheprovider",
        "--color=no",
        "-vv",  # full expected-vs-got diffs in the report
        "--nbval",
        "--nbval-current-env",
        "--nbval-sanitize-with",
        str(ctx.sanitize),
        f"--junitxml={junit}",
        notebook.name,
    ]
    setup = setup_install(json.loads(notebook.read_text()))
    start = time.perf_counter()
    try:
        done = subprocess.run(
            cmd,
            cwd=content,
            env=ctx.env,
            capture_output=True,
            text=True,
            timeout=ctx.timeout,
        )
        output = done.stdout + done.stderr
    except subprocess.TimeoutExpired as e:
        output = f"timed out after {ctx.timeout:.0f} s\n{e.stdout or ''}{e.stderr or ''}"
        done = None
    result.seconds = time.perf_counter() - start
    (ctx.reports / f"{stem}.log").write_text(output)
    if junit.exists():
        result.cells, result.failures, seconds = parse_junit(junit)
        if setup is not None:
            result.setup_seconds = seconds.get(f"Cell {setup[2]}")
    overlay_site = site_packages(python)
    result.setup_installed = installed_distributions(overlay_site)
    result.passed = done is not None and done.returncode == 0 and not result.failures
    if setup is not None:
        commits = set(installed_commits(overlay_site).values())
        if commits != {ctx.commit}:
            result.passed = False
            result.failures.append(
                CellFailure(
                    f"Cell {setup[2]} (setup)",
                    f"the setup cell installed from git commit(s) {sorted(commits) or 'none'}, "
                    f"not HEAD {ctx.commit}: its Colab branch did not run as intended",
                )
            )
    if not result.passed and not result.failures:
        result.error = "\n".join(output.splitlines()[-20:])
    shutil.rmtree(folder / "venv", ignore_errors=True)
    return result


def discover(clone: Path, lessons_only: bool) -> list[str]:
    """The clone's notebooks, both editions (English, then 中文), from its own plan
    (``course.toml``), as repository paths."""
    from course_tools.notebooks import list_notebooks

    found = list_notebooks("lessons" if lessons_only else "all", root=clone, language="all")
    return [p.relative_to(clone).as_posix() for p in found]


def repository_root() -> Path:
    here = Path(__file__).resolve().parent
    return Path(git(here, "rev-parse", "--show-toplevel"))


def report(results: list[Result], info: dict[str, str], timings: dict[str, float]) -> str:
    rows = [["notebook", "result", "cells", "failed", "seconds", "setup cell s", "setup installed"]]
    for r in results:
        rows.append(
            [
                r.notebook,
                "pass" if r.passed else "FAIL",
                str(r.cells),
                str(len(r.failures)),
                f"{r.seconds:.1f}",
                "-" if r.setup_seconds is None else f"{r.setup_seconds:.1f}",
                ", ".join(r.setup_installed) or "nothing",
            ]
        )
    lines = ["", format_table(rows), ""]
    for r in results:
        for failure in r.failures:
            lines += [f"--- {r.notebook} :: {failure.cell}", failure.message, ""]
        if r.error:
            lines += [f"--- {r.notebook}: no cell results", r.error, ""]
    setup = [r.setup_seconds for r in results if r.setup_seconds is not None]
    installed = sorted({p for r in results for p in r.setup_installed})
    lines.append("versions: " + ", ".join(f"{k} {v}" for k, v in info.items() if k != "commit"))
    lines.append(f"commit: {info['commit']}")
    if setup:
        lines.append(
            f"setup cell: {min(setup):.1f}-{max(setup):.1f} s (median "
            f"{sorted(setup)[len(setup) // 2]:.1f} s), installed: {', '.join(installed) or '-'}"
        )
    lines.append("time: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    failed = [r.notebook for r in results if not r.passed]
    lines.append(
        f"colab-check: {len(results) - len(failed)} passed, {len(failed)} failed"
        + (f" ({', '.join(Path(n).name for n in failed)})" if failed else "")
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, help="repository to check (default: this one)")
    parser.add_argument("--lessons-only", action="store_true", help="skip notebooks/solutions/")
    parser.add_argument("notebooks", nargs="*", help="only these (paths inside the repository)")
    parser.add_argument("--jobs", type=int, default=1, help="notebooks run at once (default 1)")
    parser.add_argument("--torch", default="torch", help="torch requirement (default: newest)")
    parser.add_argument(
        "--keep-pip-constraints",
        action="store_true",
        help="honour constraints files from pip's config (default: newest from the index)",
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds per notebook")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument(
        "--reports", type=Path, help="logs and JUnit XML (default: <repo>/_build/colab-check)"
    )
    args = parser.parse_args(argv)
    started = time.perf_counter()
    timings: dict[str, float] = {}
    try:
        repo = (args.repo or repository_root()).resolve()
        python312, version = find_python312()
        print(f"colab-check: Python {version} ({python312})", flush=True)
        reports = (args.reports or repo / "_build" / "colab-check").resolve()
        shutil.rmtree(reports, ignore_errors=True)
        reports.mkdir(parents=True)
        if git(repo, "status", "--porcelain", "--untracked-files=no"):
            print("colab-check: uncommitted changes are not checked (HEAD is)", flush=True)
        work = Path(tempfile.mkdtemp(prefix="colab-check-"))
        try:
            return _check(args, repo, python312, work, reports, started, timings)
        finally:
            if args.keep:
                print(f"colab-check: kept {work}")
            else:
                shutil.rmtree(work, ignore_errors=True)
    except CheckError as e:
        print(f"colab-check: {e}", file=sys.stderr)
        return 2


def _check(args, repo, python312, work, reports, started, timings) -> int:
    log = reports / "setup.log"
    # The install URL and branch the setup cells use, from HEAD's notebooks.
    clone = work / "clone"
    commit = git(repo, "rev-parse", "HEAD")
    probe = json.loads(git(repo, "show", f"{commit}:notebooks/00_sets_of_vectors.ipynb") or "{}")
    install = setup_install(probe)
    if install is None:
        raise CheckError('no `package = "git+https://github.com/..."` line in the setup cell')
    url, ref, _ = install
    clone_head(repo, clone, ref)
    print(f"colab-check: {commit[:12]} cloned; setup cell installs {url}@{ref}", flush=True)
    offline = clone / "tests" / "offline"
    sanitize = clone / "tests" / "nbval_sanitize.cfg"
    for needed in (offline / "sitecustomize.py", sanitize):
        if not needed.exists():
            raise CheckError(f"{needed.relative_to(clone)} is missing at HEAD")
    notebooks = args.notebooks or discover(clone, args.lessons_only)
    for relative in notebooks:
        found = setup_install(json.loads((clone / relative).read_text()))
        if found is None or found[:2] != (url, ref):
            raise CheckError(f"{relative}: setup cell does not install {url}@{ref}")
    timings["clone"] = time.perf_counter() - started

    t = time.perf_counter()
    print("colab-check: fresh Python 3.12 venv, newest torch/numpy/matplotlib ...", flush=True)
    packages = [args.torch, *COLAB_PREINSTALLED[1:], *RUNNER]
    wheels = cache_folder() / "wheels-py312"
    no_constraints = None if args.keep_pip_constraints else work / "no-constraints.txt"
    pip_env = pip_environment(dict(os.environ), no_constraints)
    base_python, got = make_base_venv(python312, work / "base", packages, wheels, log, pip_env)
    # The kernel's pip may use only these two (the build of the course), nothing else.
    wheelhouse = work / "wheelhouse"
    wheelhouse.mkdir()
    for wheel in got:
        if wheel.name.split("-")[0].lower() in WHEELHOUSE:
            shutil.copy2(wheel, wheelhouse / wheel.name)
    info = {"commit": commit, **versions(base_python, REPORTED_VERSIONS)}
    timings["venv"] = time.perf_counter() - t
    print(
        f"colab-check: venv ready in {timings['venv']:.0f} s: "
        + ", ".join(f"{k} {v}" for k, v in info.items() if k != "commit"),
        flush=True,
    )

    gitconfig = work / "gitconfig"
    gitconfig.write_text(git_redirect_config(url, clone))
    fake_colab, ipython_dir = write_fake_colab(work)
    env = kernel_environment(
        dict(os.environ),
        fake_colab=fake_colab,
        ipython_dir=ipython_dir,
        offline=offline,
        gitconfig=gitconfig,
        wheelhouse=wheelhouse,
    )
    ctx = Context(
        clone=clone,
        work=work,
        reports=reports,
        base_python=base_python,
        base_site=site_packages(base_python),
        env=env,
        sanitize=sanitize,
        timeout=args.timeout,
        commit=commit,
    )
    probe = make_overlay_venv(base_python, ctx.base_site, work / "preflight")
    preflight(probe, env)
    t = time.perf_counter()
    results: list[Result] = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        futures = {pool.submit(check_notebook, ctx, nb): nb for nb in notebooks}
        for future in concurrent.futures.as_completed(futures):
            r = future.result()
            results.append(r)
            status = "pass" if r.passed else f"FAIL ({len(r.failures)} cells)"
            print(f"  {r.notebook}: {status} in {r.seconds:.0f} s", flush=True)
    results.sort(key=lambda r: notebooks.index(r.notebook))
    timings["notebooks"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - started
    text = report(results, info, timings)
    (reports / "summary.txt").write_text(text + "\n")
    print(text)
    print(f"(logs and JUnit reports: {reports})")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
