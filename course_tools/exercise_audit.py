"""How many plausible wrong answers does ``check`` name? The exercise audit.

Each ``tests/test_exercises_nbNN.py`` holds a table ``WRONG_ANSWERS`` of wrong answers written as
a learner would write them (not the registered mistakes). This tool feeds every one of them to
``check`` and counts, per exercise, how many fail with a **specific diagnosis** — a message that
says what is wrong — rather than a generic one ("wrong values: the largest difference ...", a
bare shape or dtype mismatch).

    python -m course_tools.exercise_audit          # the table, and the total
    python -m course_tools.exercise_audit --passed # also list wrong answers that pass (a bug)
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections import defaultdict

from course_tools.plan import ROOT

GENERIC = (
    "wrong values: the largest difference",
    "wrong values: ",  # bool masks: "n of m entries differ"
)


def is_specific(message: str) -> bool:
    """A diagnosis that says what went wrong, not only that the values differ."""
    text = message.split(": ", 1)[1] if ": " in message else message
    if text.startswith(GENERIC):
        return " — but your function passed" in text
    if text.startswith("wrong shape:") or text.startswith("wrong dtype:"):
        return "(the right number of elements" in text or "avoid creating" in text
    return True


def wrong_answer_tables() -> dict[str, list[tuple[str, object, str | None]]]:
    """``{lesson module: WRONG_ANSWERS}`` of every ``tests/test_exercises_nbNN.py``."""
    tests = ROOT / "tests"
    sys.path.insert(0, str(tests))
    tables = {}
    for path in sorted(tests.glob("test_exercises_nb[0-9][0-9].py")):
        module = importlib.import_module(path.stem)
        tables[path.stem] = list(getattr(module, "WRONG_ANSWERS", []))
    return tables


def audit() -> dict[str, dict[str, list[str]]]:
    """``{exercise_id: {"named": [...], "generic": [...], "passed": [...]}}`` (answer names)."""
    from helpers.exercises import check

    found: dict[str, dict[str, list[str]]] = defaultdict(
        lambda: {"named": [], "generic": [], "passed": []}
    )
    for table in wrong_answer_tables().values():
        for exercise_id, fn, _keyword in table:
            result = check(exercise_id, fn, quiet=True)
            name = getattr(fn, "__name__", repr(fn))
            if result.passed:
                found[exercise_id]["passed"].append(name)
            elif is_specific(result.message):
                found[exercise_id]["named"].append(name)
            else:
                found[exercise_id]["generic"].append(name)
    return dict(sorted(found.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passed", action="store_true", help="list wrong answers that pass")
    args = parser.parse_args(argv)
    results = audit()
    print(f"{'exercise':<24} {'named':>5} / {'tried':<5}  generic diagnoses")
    named = tried = passed = 0
    for exercise_id, entry in results.items():
        n, total = len(entry["named"]), sum(len(v) for v in entry.values())
        named, tried, passed = named + n, tried + total, passed + len(entry["passed"])
        print(f"{exercise_id:<24} {n:>5} / {total:<5}  {', '.join(entry['generic'])}")
        if args.passed and entry["passed"]:
            print(f"{'':<24} PASSED (a bug): {', '.join(entry['passed'])}")
    share = named / tried if tried else 0.0
    print(f"total: {named} of {tried} plausible wrong answers named ({share:.0%}); {passed} passed")
    return 1 if passed else 0


if __name__ == "__main__":
    sys.exit(main())
