"""Hints and worked solutions on demand: ``hint("softmax")``, ``hint("softmax", 2)``, ``solution``.

Every exercise of the course — a code exercise checked by ``check`` or an explain/predict
question — has at least two hints, from a nudge (level 1) to nearly the answer (the last level),
and a worked solution. Hints are written beside the exercise's checker (``hints=`` of
``@exercise``) or registered for a question with :func:`question`. Solutions are **not** written
here: they are the solved notebooks' own cells, copied into ``solutions.json`` by the course
toolkit (``make sync``; a test fails when the copy is stale), so there is one source. Each
edition has its copy (``solutions_zh.json`` from the 中文 edition's solved notebooks), and
``solution`` shows the one of the current language.

Hints are registered in English and translated where they are shown, with
:func:`~helpers.exercises.language.tr`, like every message of ``hint`` and ``solution``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources

from helpers.exercises import _registry
from helpers.exercises.language import get_language, tr

SOLUTIONS_FILE = "solutions.json"  # the English edition's; solutions_<language>.json otherwise


@dataclass(frozen=True)
class Question:
    """An explain/predict exercise: no checker, but hints and a worked answer."""

    id: str
    notebook: str  # "04", from the module that registers it
    hints: tuple[str, ...]


_QUESTIONS: dict[str, Question] = {}


def question(question_id: str, *, module: str, hints: Sequence[str]) -> Question:
    """Register the hints of an explain/predict question (call it in the lesson's checker module).

    ``module`` is the caller's ``__name__`` (``helpers.exercises.nb04_positional``): the lesson
    number is read from it.
    """
    if len(hints) < 2:
        raise ValueError(f"question {question_id!r} needs at least two hints, got {len(hints)}")
    notebook = module.rpartition(".")[2][2:4]  # "helpers.exercises.nb04_positional" -> "04"
    registered = Question(question_id, notebook, tuple(hints))
    _QUESTIONS[question_id] = registered
    return registered


def list_questions() -> list[str]:
    """The sorted ids of all explain/predict questions."""
    _registry._load_all()
    return sorted(_QUESTIONS)


def _solutions() -> dict[str, dict[str, str]]:
    """``{id: {"kind": "code" | "answer", "notebook": "04", "source": ...}}`` (package data) of
    the current language's edition."""
    return _solutions_of(get_language())


@cache
def _solutions_of(language: str) -> dict[str, dict[str, str]]:
    """The solutions of one edition; the English ones if the edition has no copy."""
    name = SOLUTIONS_FILE if language == "en" else f"solutions_{language}.json"
    try:
        text = resources.files("helpers.exercises").joinpath(name).read_text("utf-8")
    except FileNotFoundError:
        return {} if language == "en" else _solutions_of("en")
    return json.loads(text)


def hints_of(exercise_id: str) -> tuple[str, ...]:
    """The hints of a code exercise or a question (``KeyError`` for an unknown id)."""
    _registry._load_all()
    if exercise_id in _QUESTIONS:
        return _QUESTIONS[exercise_id].hints
    return _registry.get_exercise(exercise_id).hints


def _known_ids() -> str:
    return ", ".join(repr(i) for i in sorted({*_registry.list_exercises(), *list_questions()}))


def hint(exercise_id: str, level: int = 1, *, quiet: bool = False) -> str:
    """Print and return hint ``level`` of an exercise: 1 is a nudge, the last nearly the answer."""
    try:
        hints = hints_of(exercise_id)
    except KeyError:
        text = tr(
            "unknown exercise id {exercise_id!r}. Valid ids: {valid}.",
            exercise_id=exercise_id,
            valid=_known_ids(),
        )
    else:
        values = {"exercise_id": exercise_id, "level": level, "n": len(hints)}
        if not 1 <= level <= len(hints):
            text = tr("{exercise_id} has hints 1 to {n}; you asked for hint {level}.", **values)
        elif level < len(hints):
            text = tr(
                "💡 Hint {level}/{n} for {exercise_id}: {hint} (more: hint({exercise_id!r}, "
                "{next}))",
                hint=tr(hints[level - 1]),
                next=level + 1,
                **values,
            )
        else:
            text = tr(
                "💡 Hint {level}/{n} for {exercise_id}: {hint} (that was the last hint; the "
                "worked answer: solution({exercise_id!r}))",
                hint=tr(hints[level - 1]),
                **values,
            )
    if not quiet:
        print(text)
    return text


def solution_source(exercise_id: str) -> str:
    """The worked solution (code, or the markdown of a worked answer); ``KeyError`` if none."""
    return _solutions()[exercise_id]["source"]


def solution(exercise_id: str, *, quiet: bool = False) -> str:
    """Show the worked solution of an exercise, as written in its solved notebook.

    A code solution is printed as code (copy it into the exercise cell and run ``check``); a
    worked answer is shown as formatted text in Jupyter and printed elsewhere.
    """
    entry = _solutions().get(exercise_id)
    if entry is None:
        text = tr(
            "no worked solution for {exercise_id!r}. Valid ids: {valid}.",
            exercise_id=exercise_id,
            valid=_known_ids(),
        )
        if not quiet:
            print(text)
        return text
    source = entry["source"]
    if quiet:
        return source
    where = tr("(from notebooks/solutions/, lesson {notebook})", notebook=entry["notebook"])
    heading = tr("**Worked answer** {where}", where=where)
    if entry["kind"] == "answer" and _show_markdown(heading + "\n\n" + source):
        return source
    title = tr("# Worked solution of {exercise_id} {where}", exercise_id=exercise_id, where=where)
    print(title + "\n" + source)
    return source


def _show_markdown(text: str) -> bool:
    """Display ``text`` as Markdown in a notebook; False outside IPython."""
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:
        return False
    if get_ipython() is None:
        return False
    display(Markdown(text))
    return True
