"""pyproject.toml (pip) and environment.yml (conda) must describe the same dependencies."""

import re
from pathlib import Path

import tomllib

ROOT = Path(__file__).resolve().parents[1]
CONDA_TO_PIP = {"pytorch": "torch"}  # conda-forge package names that differ from PyPI's
NOT_PACKAGES = {"python", "pip"}


def _split(requirement: str) -> tuple[str, str]:
    """'torch>=2.1  # comment' -> ('torch', '>=2.1')."""
    requirement = requirement.split("#")[0].strip()
    match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", requirement)
    assert match, f"cannot parse requirement {requirement!r}"
    return match[1].lower(), match[2].replace(" ", "")


def pyproject_requirements(extras: tuple[str, ...] = ("dev",)) -> dict[str, str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    requirements = list(project["dependencies"])
    for extra in extras:
        requirements += project["optional-dependencies"][extra]
    return dict(_split(r) for r in requirements)


def conda_requirements() -> dict[str, str]:
    """The conda (not the pip) entries of environment.yml's dependency list."""
    found = {}
    in_dependencies = False
    for line in (ROOT / "environment.yml").read_text("utf-8").splitlines():
        if line.startswith("dependencies:"):
            in_dependencies = True
        elif in_dependencies and re.match(r"^  - (?!pip:)\S", line):
            name, spec = _split(line[4:])
            if name not in NOT_PACKAGES:
                found[CONDA_TO_PIP.get(name, name)] = spec
        elif in_dependencies and line and not line.startswith(" "):
            in_dependencies = False
    return found


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
