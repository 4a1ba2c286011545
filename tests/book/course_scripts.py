"""The repository's site scripts, imported by path (docs/ and scripts/ are not packages)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _load(name: str, path: Path):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


site_build = _load("course_site_build", ROOT / "docs" / "build.py")
browser_check = _load("course_browser_check", ROOT / "scripts" / "browser_check.py")
