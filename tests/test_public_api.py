"""Every public name of `helpers` is documented and has a test that feeds it bad input."""

import ast
import inspect
from pathlib import Path

import pytest

import helpers

TESTS = Path(__file__).resolve().parent


def _names_in(node: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} | {
        n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
    }


def _raises_value_error(item: ast.withitem) -> bool:
    call = item.context_expr
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr == "raises"
        and any("ValueError" in _names_in(arg) for arg in call.args)
    )


def _expects_value_error(function: ast.FunctionDef) -> bool:
    return any(
        isinstance(w, ast.With) and any(_raises_value_error(i) for i in w.items)
        for w in ast.walk(function)
    )


def names_fed_bad_input() -> set[str]:
    """Names used in test functions (decorators included) that expect a ValueError, directly
    (`with pytest.raises(ValueError)`) or through a helper of the same file that does, and in
    tables of bad-input cases (module-level lists whose name ends in CASES)."""
    found = set()
    for path in TESTS.glob("test_*.py"):
        tree = ast.parse(path.read_text("utf-8"))
        functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
        raisers = {f.name for f in functions if _expects_value_error(f)}
        for function in functions:
            if function.name in raisers or raisers & _names_in(function):
                found |= _names_in(function)
        for node in tree.body:
            if (
                isinstance(node, ast.Assign)
                and isinstance(node.targets[0], ast.Name)
                and node.targets[0].id.endswith("CASES")
            ):
                found |= _names_in(node.value)
    return found


PUBLIC = sorted(helpers.__all__)


def test_all_lists_what_the_package_exports():
    assert PUBLIC, "helpers.__all__ is empty"
    for name in PUBLIC:
        assert hasattr(helpers, name), f"helpers.__all__ names {name!r}, which is not exported"


@pytest.mark.parametrize("name", PUBLIC)
def test_public_name_has_a_docstring(name):
    doc = inspect.getdoc(getattr(helpers, name))
    assert doc and len(doc) > 20, f"helpers.{name} needs a docstring with the math and shapes"


def _takes_arguments(obj: object) -> bool:
    """Callables without parameters (e.g. ``TensorMemoryTracker()``) have no input to check."""
    return callable(obj) and bool(inspect.signature(obj).parameters)


@pytest.mark.parametrize("name", [n for n in PUBLIC if _takes_arguments(getattr(helpers, n))])
def test_public_callable_is_tested_with_bad_input(name):
    assert name in names_fed_bad_input(), (
        f"no test feeds helpers.{name} bad input (pytest.raises(ValueError) or a *CASES table)"
    )
