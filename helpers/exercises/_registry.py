"""The exercise framework: a registry of checkers, the ``Tester`` they use, and ``check()``.

A checker is a function ``checker(t: Tester) -> None`` registered with ``@exercise(...)``. It
builds seeded inputs, computes the expected output with the ``helpers`` reference and calls
``t.expect(args, expected)``; ``t.expect`` runs the learner's function safely, compares, and on a
mismatch tries the exercise's registered ``Mistake`` variants to name what went wrong.
``check()`` turns everything (including exceptions) into a ``CheckResult``: it never raises.
"""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, NoReturn

import torch

from helpers.exercises import diagnose
from helpers.exercises.language import tr

DEFAULT_TIME_LIMIT = 5.0  # seconds allowed for each call of the learner's function
SEED = 0  # every checker's random inputs come from torch.Generator().manual_seed(SEED)
PASS, FAIL = "✅", "❌"
_SENTENCE_ENDS = (".", "?", "!", "。", "？", "！")  # a problem ending otherwise gets a full stop

# Tolerances of torch.allclose, per dtype: loose enough for any sensible formulation, far
# tighter than the difference any registered mistake makes on the checkers' inputs.
TOLERANCES = {
    torch.float16: (1e-2, 1e-3),
    torch.bfloat16: (1e-2, 1e-2),
    torch.float32: (1e-4, 1e-5),
    torch.float64: (1e-6, 1e-8),
}  # dtype -> (rtol, atol)


# --------------------------------------------------------------------------- public records


@dataclass(frozen=True)
class CheckResult:
    """The outcome of ``check()``: ``passed`` and the ``message`` that was printed."""

    exercise_id: str
    passed: bool
    message: str

    def __repr__(self) -> str:  # short: the message itself has already been printed
        return f"CheckResult(exercise_id={self.exercise_id!r}, passed={self.passed})"


@dataclass(frozen=True)
class Mistake:
    """A classic wrong answer, written as a function with the exercise's signature.

    When the learner's output does not match the reference, ``Tester.expect`` calls ``fn`` on
    the same arguments; if the learner's output matches *this* output instead, ``message`` is
    the diagnosis. Tests also feed ``fn`` to the checker as a learner function.
    """

    name: str  # short identifier, e.g. "no_scale"
    message: str  # what is wrong and how to fix it, one or two sentences
    fn: Callable[..., Any]


@dataclass(frozen=True)
class Diagnosis:
    """How to diagnose a wrong answer nobody registered (see :mod:`helpers.exercises.diagnose`).

    ``seq_dim`` is the sequence (token) dimension of the output, for "wrong only at the ends" and
    "wrong only where masked"; ``weights`` says the output is attention weights (rows sum to 1);
    ``scaled_reference(args, scale)`` recomputes the reference with another attention scale and
    ``scale_dim(args)`` gives the ``d`` of the right scale ``1/sqrt(d)``, so that a learner who
    used ``1/d``, ``d**1/2`` or no scale is told which scale they used.
    """

    seq_dim: int = -2
    weights: bool = False
    scaled_reference: Callable[[Sequence[Any], float], torch.Tensor] | None = None
    scale_dim: Callable[[Sequence[Any]], int] | None = None


@dataclass(frozen=True)
class Exercise:
    """A registered exercise (see ``exercise()``).

    Its lesson number and signature are derived, never stated: ``notebook`` from the name of
    the checker's module, ``signature`` and ``param_names`` from the parameters of ``solution``.
    """

    id: str
    checker: Callable[[Tester], None]
    solution: Callable[..., Any]  # a right answer, with the learner's parameters
    reference: str | None  # e.g. "helpers.softmax", named in messages
    mistakes: tuple[Mistake, ...]
    returns: str = "Tensor"  # what the learner's function returns, e.g. "bool Tensor (L, L)"
    hints: tuple[str, ...] = ()  # from a nudge (hint 1) to nearly the answer (the last)
    diagnosis: Diagnosis = field(default_factory=lambda: Diagnosis())
    error_hints: tuple[tuple[tuple[str, ...], str], ...] = ()  # exercise-specific, see exercise()

    @property
    def notebook(self) -> str:
        """The lesson number, e.g. ``"07"`` for a checker in ``helpers/exercises/nb07_cnn.py``."""
        return _lesson_of(self.checker)

    @property
    def param_names(self) -> tuple[str, ...]:
        """The learner's parameter names (those of ``solution``), used in messages."""
        return tuple(inspect.signature(self.solution).parameters)

    @property
    def signature(self) -> str:
        """How the learner's function is called, e.g. ``"fn(x, dim) -> Tensor"``."""
        return f"fn({', '.join(self.param_names)}) -> {self.returns}"

    @property
    def summary(self) -> str:
        """First line of the checker's docstring."""
        return (self.checker.__doc__ or "").strip().split("\n")[0]


class _Failure(Exception):
    """Raised inside a checker (by ``Tester``) to stop at the first failed test case.

    ``kind`` says what failed, for a checker that catches the failure to say more: ``"shape"``,
    ``"dtype"``, ``"nan"`` or ``"values"`` for the generic mismatches of ``Tester.expect``,
    ``"mistake"`` or ``"diagnosis"`` when it named the mistake, None otherwise. Never inspect
    the message: it is in the learner's language.
    """

    def __init__(self, message: str, kind: str | None = None) -> None:
        super().__init__(message)
        self.kind = kind


# --------------------------------------------------------------------------- registry

_REGISTRY: dict[str, Exercise] = {}


def exercise(
    exercise_id: str,
    *,
    solution: Callable[..., Any],
    reference: str | None = None,
    mistakes: Sequence[Mistake] = (),
    returns: str = "Tensor",
    hints: Sequence[str] = (),
    diagnosis: Diagnosis | None = None,
    error_hints: Sequence[tuple[Sequence[str], str]] = (),
) -> Callable[[Callable[[Tester], None]], Callable[[Tester], None]]:
    """Register the decorated function as the checker of ``exercise_id``.

    The lesson is the one of the checker's module (``nbNN_<topic>.py``), the signature that of
    ``solution``.

    Args:
        exercise_id: the id learners pass to ``check()``, e.g. ``"softmax"``.
        solution: a right answer taking exactly the learner's parameters, with the lesson's
            names and no defaults (``lambda x, dim: helpers.softmax(x, dim=dim)``); the names
            describe test cases in messages, and the tests check that it passes.
        reference: the reference the checker compares with, named in messages.
        mistakes: diagnosable wrong variants, tried in order on a mismatch.
        returns: what the learner's function returns, shown in messages when it is more than
            ``"Tensor"``, e.g. ``"bool Tensor (L, L)"``.
        hints: at least two, from a nudge to nearly the answer; ``hint(id, level)`` shows them.
        diagnosis: what the generic diagnoses need to know about the output (``Diagnosis``).
        error_hints: ``((fragments, hint), ...)``: when the learner's function raises an error
            whose message contains one of the fragments, the hint is added (tried before the
            generic hints, so it can speak of this exercise's shapes).
    """
    parameters = inspect.signature(solution).parameters.values()
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if not all(p.kind in positional and p.default is p.empty for p in parameters):
        raise ValueError(
            f"the solution of {exercise_id!r} must take exactly the learner's parameters, "
            f"without defaults, got {inspect.signature(solution)}"
        )
    if len({m.name for m in mistakes}) != len(mistakes):
        raise ValueError(f"mistake names of {exercise_id!r} must be unique")

    def register(checker: Callable[[Tester], None]) -> Callable[[Tester], None]:
        previous = _REGISTRY.get(exercise_id)
        if previous is not None and previous.checker.__module__ != checker.__module__:
            owner = previous.checker.__module__  # the same module may re-register (reload)
            raise ValueError(f"exercise id {exercise_id!r} is already registered by {owner}")
        _lesson_of(checker)  # raises unless the checker's module is named for its lesson
        _REGISTRY[exercise_id] = Exercise(
            id=exercise_id,
            checker=checker,
            solution=solution,
            reference=reference,
            mistakes=tuple(mistakes),
            returns=returns,
            hints=tuple(hints),
            diagnosis=diagnosis or Diagnosis(),
            error_hints=tuple((tuple(fragments), hint) for fragments, hint in error_hints),
        )
        return checker

    return register


def _lesson_of(checker: Callable[..., Any]) -> str:
    """``"07"`` for a function of ``helpers.exercises.nb07_cnn``; ``ValueError`` otherwise."""
    module = checker.__module__
    match = re.fullmatch(r"nb(\d{2})_\w+", module.rpartition(".")[2])
    if match is None:
        raise ValueError(
            f"exercise checkers live in helpers/exercises/nbNN_<topic>.py, the module of "
            f"lesson NN; {checker.__qualname__} is in {module}"
        )
    return match[1]


def _load_all() -> None:
    """Import every ``helpers.exercises.nb*`` module so that its exercises are registered."""
    package = importlib.import_module("helpers.exercises")
    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("nb"):
            importlib.import_module(f"{package.__name__}.{module.name}")


def list_exercises() -> list[str]:
    """The sorted ids of all registered exercises."""
    _load_all()
    return sorted(_REGISTRY)


def get_exercise(exercise_id: str) -> Exercise:
    """The registered ``Exercise`` (signature, notebook, mistakes...); ``KeyError`` if unknown."""
    _load_all()
    return _REGISTRY[exercise_id]


# --------------------------------------------------------------------------- the tester


class Tester:
    """Runs the learner's function for a checker and compares its output with the reference.

    Attributes:
        generator: a ``torch.Generator`` seeded with ``SEED``: draw every random input from it
            so that messages are the same on every run.
        cases_passed: number of ``expect`` calls that passed so far.
    """

    def __init__(self, ex: Exercise, fn: Callable[..., Any], time_limit: float) -> None:
        self.exercise = ex
        self.generator = torch.Generator().manual_seed(SEED)
        self.cases_passed = 0
        self._passed_shapes: set[tuple] = set()
        self._fn = fn
        self._time_limit = time_limit

    def randn(self, *shape: int, dtype: torch.dtype = torch.float32) -> torch.Tensor:
        """Seeded standard-normal tensor of the given shape."""
        return torch.randn(*shape, generator=self.generator, dtype=dtype)

    def fail(
        self,
        problem: str,
        args: Sequence[Any] = (),
        note: str | None = None,
        *,
        kind: str | None = None,
    ) -> NoReturn:
        """Stop the check with ``problem``, followed by a description of the test case.

        ``problem`` and ``note`` are shown as given, so they must already be in the learner's
        language: write them as ``tr("English template {value}", value=...)`` at the call site
        (a literal template, so that it is extracted for the catalogue), or ``tr(text)`` for a
        registered text such as a ``Mistake`` message. ``kind`` is what failed (see
        ``_Failure``), for a checker that catches the failure.
        """
        if not problem.endswith(_SENTENCE_ENDS):
            problem = tr("{sentence}.", sentence=problem)
        raise _Failure(problem + self._describe_case(args, note), kind)

    def call(self, *args: Any, note: str | None = None) -> torch.Tensor:
        """Call the learner's function on copies of ``args`` and return its tensor output.

        Fails if the call times out, raises, returns ``NotImplemented``, ``None`` or anything
        but a tensor, or modifies its inputs. The output is detached.
        """
        copies = [_clone(a) for a in args]
        status, value = _run_with_time_limit(self._fn, copies, self._time_limit)
        if status == "timeout":
            self.fail(
                tr(
                    "your function did not return within {seconds:g} s, so the check gave up "
                    "(an infinite loop?). It may still be running in the background: if the "
                    "notebook gets slow, restart the kernel",
                    seconds=self._time_limit,
                ),
                args,
                note,
            )
        if status == "error":
            if isinstance(value, NotImplementedError):
                self.fail(_not_attempted(self.exercise.id))
            error = _describe_exception(value, self.exercise.error_hints)
            if isinstance(value, TypeError) and "argument" in str(value):  # the learner's error
                problem = tr(
                    "your function raised {error} — it is called as {signature}",
                    error=error,
                    signature=self.exercise.signature,
                )
            else:
                problem = tr("your function raised {error}", error=error)
            self.fail(problem + self._other_shapes_note(args), args, note)
        if value is NotImplemented:
            self.fail(_not_attempted(self.exercise.id))
        for name, original, copy in zip(self._names(len(args)), args, copies, strict=True):
            if isinstance(original, torch.Tensor) and not _unchanged(original, copy):
                self.fail(
                    tr(
                        "your function modified its input `{name}` in place (e.g. `{name} -= "
                        "...`, `{name}[...] = ...` or a method ending in `_` such as `exp_()`); "
                        "compute a new tensor instead and leave the inputs unchanged",
                        name=name,
                    ),
                    args,
                    note,
                )
        if value is None:
            self.fail(tr("your function returned None: did you forget the `return`?"), args, note)
        if isinstance(value, tuple):
            self.fail(
                tr(
                    "your function returned a tuple of {n} items; return only {returns}",
                    n=len(value),
                    returns=self._returns(),
                ),
                args,
                note,
            )
        if not isinstance(value, torch.Tensor):
            kind = type(value).__qualname__
            if type(value).__module__ != "builtins":
                kind = f"{type(value).__module__}.{kind}"
            self.fail(
                tr(
                    "your function returned a {kind}; it must return a torch.Tensor ({returns})",
                    kind=kind,
                    returns=self._returns(),
                ),
                args,
                note,
            )
        return value.detach()

    def expect(
        self,
        args: Sequence[Any],
        expected: torch.Tensor,
        *,
        note: str | None = None,
        rtol: float | None = None,
        atol: float | None = None,
        any_float_dtype: bool = False,
    ) -> None:
        """Check that the learner's ``fn(*args)`` matches ``expected``; diagnose it if not.

        Args:
            args: the arguments, in the order of the exercise's signature. The learner gets
                copies, so ``args`` stay untouched.
            expected: the reference output for ``args``.
            note: extra words describing the test case, e.g. ``tr("large values (±1000)")``:
                shown as given, so translate it at the call site with ``tr`` (see ``fail``).
            rtol, atol: override the dtype's tolerances (``TOLERANCES``).
            any_float_dtype: accept any floating dtype instead of exactly ``expected.dtype``.

        A failure's ``kind`` (see ``_Failure``) says which of the checks failed.
        """
        got = self.call(*args, note=note)
        default_rtol, default_atol = TOLERANCES.get(expected.dtype, (0.0, 0.0))
        rtol = default_rtol if rtol is None else rtol
        atol = default_atol if atol is None else atol
        mismatch = _mismatch(got, expected, rtol, atol, any_float_dtype)
        if mismatch is None:
            self.cases_passed += 1
            self._passed_shapes.add(_shapes(args))
            return
        kind, problem = mismatch
        dtype_problem = kind == "dtype"
        for mistake in self.exercise.mistakes:
            variant = _run_variant(mistake.fn, args)
            if variant is None or not _same(got, variant, rtol, atol):
                continue
            if dtype_problem and variant.dtype != got.dtype:
                continue  # the values may be right: only a mistake of the same dtype explains it
            self.fail(tr(mistake.message), args, note, kind="mistake")
        if dtype_problem:  # say the dtype, not a diagnosis of values that may well be right
            self.fail(problem, args, note, kind=kind)
        settings = self.exercise.diagnosis
        found = diagnose.generic_diagnosis(
            got,
            expected,
            args,
            rtol,
            atol,
            seq_dim=settings.seq_dim,
            weights=settings.weights,
            scaled_reference=settings.scaled_reference,
            d=_call_or_none(settings.scale_dim, args),
        )
        if found is not None:
            self.fail(found, args, note, kind="diagnosis")
        self.fail(problem + self._other_shapes_note(args), args, note, kind=kind)

    def _other_shapes_note(self, args: Sequence[Any]) -> str:
        """A note when earlier test cases, with other shapes, passed: a hard-coded size?"""
        if not self._passed_shapes or _shapes(args) in self._passed_shapes:
            return ""
        return tr(
            " — but your function passed {n} earlier test case(s) whose inputs had other shapes: "
            "is a size written as a number (a hard-coded length, d or number of heads)? Read "
            "sizes from the inputs, e.g. `x.shape[-1]`",
            n=self.cases_passed,
        )

    # ----- message helpers

    def _names(self, n: int) -> list[str]:
        names = list(self.exercise.param_names[:n])
        return names + [tr("argument {number}", number=i + 1) for i in range(len(names), n)]

    def _returns(self) -> str:
        returns = self.exercise.returns
        return (
            tr("the {returns}", returns=returns) if returns != "Tensor" else tr("the output tensor")
        )

    def _describe_case(self, args: Sequence[Any], note: str | None) -> str:
        if not args:
            return ""
        names = self._names(len(args))
        case = ", ".join(name + " = " + _describe(a) for name, a in zip(names, args, strict=True))
        if note:
            return tr(" Test case: {case} ({note}).", case=case, note=note)
        return tr(" Test case: {case}.", case=case)


def _not_attempted(exercise_id: str) -> str:
    return tr(
        "not attempted yet: replace the `# YOUR CODE HERE` line (and the `return NotImplemented` "
        "below it) with your implementation, run that cell, then run this check again. Stuck? "
        "hint({exercise_id!r}) gives a nudge, hint({exercise_id!r}, 2) more",
        exercise_id=exercise_id,
    )


def check(
    exercise_id: str,
    fn: Callable[..., Any],
    *,
    time_limit: float = DEFAULT_TIME_LIMIT,
    quiet: bool = False,
) -> CheckResult:
    """Check the learner's ``fn`` for ``exercise_id``, print the verdict and return it.

    Never raises: an unknown id, a function that raises, hangs (more than ``time_limit``
    seconds per call), returns nothing or the wrong thing all give ``passed=False`` with a
    message saying why.

    Args:
        exercise_id: one of ``list_exercises()``.
        fn: the learner's function.
        time_limit: seconds allowed for each call of ``fn``.
        quiet: do not print the message (it is still in the result).
    """
    try:
        passed, text = _run_checker(exercise_id, fn, time_limit)
    except KeyboardInterrupt:
        passed, text = False, tr("interrupted before the check finished.")
    message = tr(
        "{mark} {exercise_id}: {text}",
        mark=PASS if passed else FAIL,
        exercise_id=exercise_id,
        text=text,
    )
    if not quiet:
        print(message)
    return CheckResult(exercise_id=exercise_id, passed=passed, message=message)


def _run_checker(exercise_id: str, fn: Callable[..., Any], time_limit: float) -> tuple[bool, str]:
    """``(passed, text)`` for ``check()``; catches everything but ``KeyboardInterrupt``."""
    try:
        _load_all()
    except Exception as error:
        return False, tr(
            "the exercise checkers could not be loaded ({error}).",
            error=_describe_exception(error),
        )
    ex = _REGISTRY.get(exercise_id)
    if ex is None:
        valid = ", ".join(repr(i) for i in sorted(_REGISTRY))
        return False, tr(
            "unknown exercise id {exercise_id!r}. Valid ids: {valid}.",
            exercise_id=exercise_id,
            valid=valid,
        )
    if not callable(fn):
        return False, tr(
            "expected a function ({signature}), got a {kind}: pass the function itself, without "
            "calling it.",
            signature=ex.signature,
            kind=type(fn).__name__,
        )
    tester = Tester(ex, fn, time_limit)
    try:
        # Checking must not move the learner's seed (a reference may build a module, whose
        # random init draws from the global generator): restore torch's CPU generator after.
        with torch.random.fork_rng(devices=[]):
            ex.checker(tester)
    except _Failure as failure:
        return False, str(failure)
    except Exception as error:
        return False, tr(
            "the checker itself failed ({error}). This is a bug in the course, not necessarily "
            "in your code: please report it.",
            error=_describe_exception(error),
        )
    if ex.reference:
        return True, tr(
            "passed. Your function matches the output of {reference} on all {n} test cases.",
            reference=tr(ex.reference),
            n=tester.cases_passed,
        )
    return True, tr(
        "passed. Your function matches the output of the reference on all {n} test cases.",
        n=tester.cases_passed,
    )


# --------------------------------------------------------------------------- private helpers


def _run_with_time_limit(
    fn: Callable[..., Any], args: Sequence[Any], time_limit: float
) -> tuple[str, Any]:
    """Run ``fn(*args)`` in a daemon thread: ``("ok", value)``, ``("error", exc)`` or
    ``("timeout", None)``. A thread cannot be killed, so a timed-out call keeps running."""
    outcome: list[tuple[str, Any]] = []

    def target() -> None:
        try:
            outcome.append(("ok", fn(*args)))
        except BaseException as error:  # the learner's SystemExit too: report, never propagate
            outcome.append(("error", error))

    worker = threading.Thread(target=target, name="exercise-check", daemon=True)
    worker.start()
    worker.join(time_limit)
    if worker.is_alive() or not outcome:
        return "timeout", None
    return outcome[0]


def _run_variant(fn: Callable[..., Any], args: Sequence[Any]) -> torch.Tensor | None:
    """A mistake's output on copies of ``args``, or None if it does not apply (raises)."""
    try:
        out = fn(*[_clone(a) for a in args])
    except Exception:
        return None
    return out.detach() if isinstance(out, torch.Tensor) else None


def _shapes(args: Sequence[Any]) -> tuple:
    """The shapes of the tensor arguments (and the other arguments' values): a test case's size."""
    return tuple(tuple(a.shape) if isinstance(a, torch.Tensor) else repr(a) for a in args)


def _call_or_none(fn: Callable[[Sequence[Any]], int] | None, args: Sequence[Any]) -> int | None:
    if fn is None:
        return None
    try:
        return int(fn(args))
    except Exception:
        return None


def _clone(value: Any) -> Any:
    return value.clone() if isinstance(value, torch.Tensor) else value


def _unchanged(original: torch.Tensor, after: torch.Tensor) -> bool:
    return (
        after.dtype == original.dtype
        and after.shape == original.shape
        and torch.equal(after, original)
    )


def _same(got: torch.Tensor, other: torch.Tensor, rtol: float, atol: float) -> bool:
    """Same shape and values; bool tensors must both be bool, NaN matches NaN."""
    if got.shape != other.shape:
        return False
    if got.dtype == torch.bool or other.dtype == torch.bool:
        return got.dtype == other.dtype and torch.equal(got, other)
    return torch.allclose(got.double(), other.double(), rtol=rtol, atol=atol, equal_nan=True)


def _mismatch(
    got: torch.Tensor, expected: torch.Tensor, rtol: float, atol: float, any_float_dtype: bool
) -> tuple[str, str] | None:
    """None if ``got`` matches ``expected``, else ``(kind, what is wrong)``: the kind is
    ``"shape"``, ``"dtype"``, ``"nan"`` or ``"values"``, the text in the learner's language."""
    if got.shape != expected.shape:
        if got.numel() == expected.numel():
            return "shape", tr(
                "wrong shape: expected {expected}, got {got} (the right number of elements, "
                "arranged differently: check your view, reshape, transpose or permute)",
                expected=_shape(expected),
                got=_shape(got),
            )
        return "shape", tr(
            "wrong shape: expected {expected}, got {got}",
            expected=_shape(expected),
            got=_shape(got),
        )
    if expected.dtype == torch.bool:
        if got.dtype != torch.bool:
            return "dtype", tr(
                "wrong dtype: expected a bool tensor (True = may attend), got {got}", got=got.dtype
            )
        if torch.equal(got, expected):
            return None
        wrong = (got != expected).nonzero()
        index = tuple(wrong[0].tolist())
        return "values", tr(
            "wrong values: {n_wrong} of {n} entries differ from the reference, the first at "
            "index {index} (expected {expected}, got {got})",
            n_wrong=len(wrong),
            n=expected.numel(),
            index=index,
            expected=bool(expected[index]),
            got=bool(got[index]),
        )
    if not got.is_floating_point():
        return "dtype", tr(
            "wrong dtype: expected a floating-point tensor ({expected}), got {got}",
            expected=expected.dtype,
            got=got.dtype,
        )
    if not any_float_dtype and got.dtype != expected.dtype:
        return "dtype", tr(
            "wrong dtype: expected {expected} (the dtype of the inputs), got {got}; avoid "
            "creating tensors with a fixed dtype",
            expected=expected.dtype,
            got=got.dtype,
        )
    finite = torch.isfinite(got)
    if not finite.all() and torch.isfinite(expected).all():
        return "nan", tr(
            "your output contains NaN or inf ({n_bad} of {n} entries) where the reference is "
            "finite",
            n_bad=int((~finite).sum()),
            n=got.numel(),
        )
    got64, expected64 = got.double(), expected.double()
    if torch.allclose(got64, expected64, rtol=rtol, atol=atol, equal_nan=True):
        return None
    error = (got64 - expected64).abs().nan_to_num(nan=math.inf)
    index = _unravel(int(error.argmax()), error.shape)
    return "values", tr(
        "wrong values: the largest difference from the reference is {error:.2e} at index "
        "{index} (expected {expected:.4f}, got {got:.4f})",
        error=float(error[index]),
        index=index,
        expected=float(expected64[index]),
        got=float(got64[index]),
    )


def _unravel(flat_index: int, shape: torch.Size) -> tuple[int, ...]:
    """The index tuple of ``flat_index`` in a row-major tensor of ``shape``."""
    index = []
    for size in reversed(shape):
        flat_index, position = divmod(flat_index, size)
        index.append(position)
    return tuple(reversed(index))


def _shape(t: torch.Tensor) -> tuple[int, ...]:
    return tuple(t.shape)


def _describe(value: Any) -> str:
    if isinstance(value, torch.Tensor):
        return tr(
            "{dtype} tensor of shape {shape}",
            dtype=str(value.dtype).removeprefix("torch."),
            shape=_shape(value),
        )
    return repr(value)


def _generic_error_hints() -> tuple[tuple[tuple[str, ...], str], ...]:
    """Hints for torch errors that usually come from a classic mistake, in the learner's language
    (``(fragments of the error message, hint)``, as the exercises' own ``error_hints``)."""
    return (
        (
            ("cannot be multiplied", "size mismatch", "batch1", "batch2"),
            tr(
                "the shapes of a matrix product do not line up: check which operand needs a "
                "transpose (.T / .transpose(-2, -1)) and the order of the product; the test "
                "inputs are non-square, so transposed shapes do not fit"
            ),
        ),
        (
            ("must match the size of tensor",),
            tr(
                "two tensors of incompatible shapes were combined: keep the reduced dimension "
                "with keepdim=True, and check for a missing or extra transpose"
            ),
        ),
        (
            ("view size is not compatible",),
            tr("use .reshape(...) instead of .view(...) after a transpose (or call .contiguous())"),
        ),
    )


def _describe_exception(
    error: BaseException, specific: Sequence[tuple[Sequence[str], str]] = ()
) -> str:
    """``"TypeError: message"`` (first line, shortened) plus a hint for classic mistakes.

    ``specific`` are the exercise's own ``(fragments, hint)`` pairs (English, as registered),
    tried first. The hint is in the learner's language; the error itself is shown as raised.
    """
    text = str(error).strip().split("\n")[0]
    if len(text) > 200:
        text = text[:197] + "..."
    described = type(error).__name__ + ": " + text if text else type(error).__name__
    specific = tuple((fragments, tr(hint)) for fragments, hint in specific)
    for fragments, hint in (*specific, *_generic_error_hints()):
        if any(f in text for f in fragments):  # the learner's error message, not ours
            return described + " — " + hint
    return described
