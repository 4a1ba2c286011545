"""The layers of `helpers` as the tree shows them: core -> applications -> measuring -> exercises.

Each module may import only from its own layer and the layers below it (read from the source
with `ast`, so a violation fails even in a module no test imports), and `import helpers` must
not pull in the notebook tooling: a learner's `import helpers` on Colab needs torch, not nbformat.
"""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "helpers"

# What each layer may import from inside `helpers` (besides itself). `None`: a top-level module.
ALLOWED = {
    "core": set(),
    "applications": {"core"},
    "measuring": {"core"},  # only the input checks of core.validation
    "exercises": {"core", "applications", "measuring", None},  # checkers use `import helpers`
}
TOOLING = ("nbformat", "nbclient", "course_tools", "jupyter_client", "nbval")


def layer_of(module: str) -> str | None:
    """``helpers.core.softmax`` -> ``"core"``; ``helpers`` itself -> None."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in ALLOWED else None


def module_name(path: Path, package: Path = PACKAGE) -> str:
    parts = path.relative_to(package.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, package_dir: Path = PACKAGE) -> list[tuple[int, str]]:
    """``(line, absolute module name)`` of every import in the file, relative ones resolved."""
    tree = ast.parse(path.read_text("utf-8"))
    name = module_name(path, package_dir)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module
            found.append((node.lineno, name))
            found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names]
    return found


MODULES = sorted(path for path in PACKAGE.rglob("*.py") if layer_of(module_name(path)) in ALLOWED)


def test_every_layer_has_modules_and_a_docstring():
    for layer in ("core", "applications", "measuring", "exercises"):
        init = PACKAGE / layer / "__init__.py"
        assert init.is_file(), f"helpers/{layer}/ is not a package"
        doc = ast.get_docstring(ast.parse(init.read_text("utf-8")))
        assert doc and len(doc) > 100, f"helpers/{layer}/__init__.py needs a paragraph on the layer"


def upward_imports(path: Path, package_dir: Path = PACKAGE) -> list[str]:
    """The imports of ``path`` that reach a layer it may not use.

    ``import helpers`` / ``from helpers import x`` reach the flat API, i.e. every layer at once:
    only the exercises (the top layer) may use it.
    """
    own = layer_of(module_name(path, package_dir))
    allowed = ALLOWED[own] | {own}
    wrong = []
    for line, name in imported_modules(path, package_dir):
        if name == "helpers" or name.startswith("helpers."):
            target = layer_of(name)
            if target not in allowed:
                wrong.append(f"line {line}: {name} (layer {target or 'helpers, all layers'})")
    return wrong


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_imports_only_from_its_layer_and_below(path):
    wrong = upward_imports(path)
    assert not wrong, f"{path.relative_to(PACKAGE)} imports from a higher layer: {wrong}"


@pytest.mark.parametrize(
    ("layer", "source", "bad"),
    [
        ("core", "from ..applications.vision import image_to_tokens\n", 1),
        ("core", "from ..measuring import best_time\n", 1),
        ("core", "import helpers\n", 1),
        ("core", "from helpers.exercises import check\n", 1),
        ("core", "from .softmax import softmax\nfrom . import masks\n", 0),
        ("applications", "from ..measuring.memory import TensorMemoryTracker\n", 1),
        ("applications", "from ..exercises import check\n", 1),
        ("applications", "from ..core.softmax import softmax\n", 0),
        ("measuring", "from ..applications import recall_task\n", 1),
        ("measuring", "from ..core.validation import check_int\n", 0),
        ("exercises", "import helpers\nfrom helpers.exercises._registry import exercise\n", 0),
    ],
)
def test_the_check_catches_an_upward_import(tmp_path, layer, source, bad):
    module = tmp_path / "helpers" / layer / "example.py"
    module.parent.mkdir(parents=True)
    module.write_text(source)
    assert bool(upward_imports(module, tmp_path / "helpers")) == bool(bad)


def test_import_helpers_loads_no_notebook_tooling():
    # What every lesson's imports cell runs: the library and the exercise checkers.
    code = (
        "import sys, helpers, helpers.exercises\n"
        f"print(sorted(m for m in sys.modules if m.split('.')[0] in {TOOLING!r}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=PACKAGE.parent,
    )
    assert result.stdout.strip() == "[]", f"import helpers loaded {result.stdout.strip()}"
