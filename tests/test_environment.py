"""pyproject.toml (pip) and environment.yml (conda) must describe the same dependencies."""

import re
from pathlib import Path

from course_tools.plan import tomllib  # tomllib, or tomli on Python 3.10

ROOT = Path(__file__).resolve().parents[1]
CONDA_TO_PIP = {"pytorch": "torch"}  # conda-forge package names that differ from PyPI's
NOT_PACKAGES = {"python", "pip"}
EXTRAS = ("dev", "docs")  # the extras environment.yml installs too (docs: `make book`)


def _split(requirement: str) -> tuple[str, str]:
    """'torch>=2.1  # comment' -> ('torch', '>=2.1'); an environment marker is dropped."""
    requirement = requirement.split("#")[0].split(";")[0].strip()
    match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", requirement)
    assert match, f"cannot parse requirement {requirement!r}"
    return match[1].lower(), match[2].replace(" ", "")


def pyproject_requirements(extras: tuple[str, ...] = EXTRAS) -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    return dict(_split(r) for r in requirements)


def conda_requirements(environment: str | None = None) -> dict[str, str]:
    """Every package of environment.yml: its conda entries, plus the packages of its `pip:`
    section that conda-forge lacks (options such as ``--no-deps -e .`` are not packages)."""
    if environment is None:
        environment = (ROOT / "environment.yml").read_text("utf-8")
    found = {}
    in_dependencies = False
    for line in environment.splitlines():
        if line.startswith("dependencies:"):
            in_dependencies = True
        elif in_dependencies and re.match(r"^  - (?!pip:)\S", line):
            name, spec = _split(line[4:])
            if name not in NOT_PACKAGES:
                found[CONDA_TO_PIP.get(name, name)] = spec
        elif in_dependencies and re.match(r"^      - (?!-)\S", line):  # in `pip:`
            name, spec = _split(line.strip()[2:])
            found[name] = spec
        elif in_dependencies and line and not line.startswith(" "):
            in_dependencies = False
    return found


def test_every_extra_is_compared():
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert set(extras["optional-dependencies"]) == set(EXTRAS), "list a new extra in EXTRAS"


def test_pip_section_packages_are_read():
    """The parser sees a package of the `pip:` section, and skips the editable install."""
    found = conda_requirements(
        "dependencies:\n  - numpy>=1.24\n  - pip:\n      - --no-deps -e .\n      - x-y>=0.1\n"
    )
    assert found == {"numpy": ">=1.24", "x-y": ">=0.1"}


def test_environment_yml_lists_the_same_dependencies_as_pyproject():
    pip, conda = pyproject_requirements(), conda_requirements()
    assert set(conda) == set(pip), (
        f"only in pyproject: {sorted(set(pip) - set(conda))}, "
        f"only in environment.yml: {sorted(set(conda) - set(pip))}"
    )
    differing = {name: (pip[name], conda[name]) for name in pip if pip[name] != conda[name]}
    assert not differing, f"version bounds differ (pyproject, environment.yml): {differing}"


def test_dependencies_have_lower_bounds_only():
    """Pins would break Colab and other machines that bring their own torch/numpy."""
    for name, spec in pyproject_requirements().items():
        assert spec.startswith(">="), f"{name}{spec}: use a lower bound (>=) only"
        assert "," not in spec and "<" not in spec.replace(">=", ""), (
            f"{name}{spec} has an upper bound"
        )
