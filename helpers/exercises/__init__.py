"""Self-study exercise checkers: ``check("softmax", my_softmax)`` prints a verdict and a diagnosis.

Using it (in a notebook)::

    from helpers.exercises import check, list_exercises

    def my_softmax(x, dim):
        ...

    result = check("softmax", my_softmax)  # prints "✅ softmax: passed. ..." or "❌ softmax: ..."
    result.passed, result.message

``check`` never raises. It runs the function on seeded random, non-square inputs (each call in a
daemon thread, ``time_limit`` seconds per call) and compares with the ``helpers`` reference. It
fails with a message for an unknown id, an exception, a time-out, ``None``, the ``NotImplemented``
returned by a learner's ``# YOUR CODE HERE`` stub, a non-tensor, a wrong shape, dtype or values,
NaN/inf, or inputs modified in place. When the values are wrong, it names the classic mistake
they match (missing scale, wrong axis, ...). Messages are the same on every run, and checking
leaves torch's global random state as it was (the learner's seed does not move).

Messages are in English, or in Chinese after ``set_language("zh")`` (the 中文 edition): every text
a learner sees goes through ``tr`` (:mod:`helpers.exercises.language`), and no code looks at the
words of a message (a failure's ``kind`` says what failed).

How to add an exercise
----------------------
1. Put the checker in ``helpers/exercises/nbNN_<topic>.py``, the module of notebook ``NN`` (create
   it if needed: every ``nb*`` module of this package is imported automatically by ``check`` and
   ``list_exercises``). The module's name is where the exercise's lesson number comes from.
2. Write each classic wrong answer as a function with the learner's signature and wrap it in a
   ``Mistake(name, message, fn)``. The message says what is wrong *and* how to fix it, and
   contains the word a learner would look for ("scale", "axis", "transpose", ...). Registered
   texts (mistake messages, ``hints``, ``error_hints``, the checker's docstring) are written in
   plain English: the translation tools collect them from the registry, and they are translated
   where they are shown.
3. Register the checker with the ``exercise`` decorator, giving it a ``solution``: a right answer
   taking exactly the learner's parameters, named as in the lesson (a lambda around the
   ``helpers`` reference will do). Its parameters are the signature shown in messages
   (``fn(q, k, v) -> Tensor``; pass ``returns="bool Tensor (L, L)"`` to say more than
   ``Tensor``), and the tests check that it passes. Like mistake messages and hints, the
   ``reference`` is registered in English and translated where it is shown. In the checker,
   draw every random input from ``t.randn(...)`` (or ``generator=t.generator``), choose shapes
   where every dimension differs (so a transposed answer cannot pass), compute the expected
   output with the ``helpers`` reference, and call ``t.expect(args, expected)``; put the
   easiest case first::

       import helpers
       from helpers.exercises._registry import Mistake, Tester, exercise
       from helpers.exercises.language import tr

       def _no_scale(q, k, v):
           return torch.softmax(q @ k.T, dim=-1) @ v

       @exercise(
           "attention",  # the id learners pass to check()
           solution=lambda q, k, v: helpers.scaled_dot_product_attention(q, k, v),
           reference="helpers.scaled_dot_product_attention",  # named in messages
           mistakes=[Mistake("no_scale", "missing the 1/sqrt(d) scale: ...", _no_scale)],
       )
       def check_attention(t: Tester) -> None:
           \"\"\"One line saying what the learner's function computes.\"\"\"
           for length, n_keys, d, d_v in ((3, 5, 4, 6), (6, 4, 8, 2)):
               q, k, v = t.randn(length, d), t.randn(n_keys, d), t.randn(n_keys, d_v)
               t.expect((q, k, v), helpers.scaled_dot_product_attention(q, k, v))

   ``t.expect`` calls the learner's function on copies of ``args`` and checks, in order: it
   returns in time, without raising, a tensor, without changing its inputs; then shape, dtype
   (exactly the expected dtype unless ``any_float_dtype=True``; bool for masks), NaN/inf and
   values (``torch.allclose`` with the ``TOLERANCES`` of the expected dtype, or ``rtol``/``atol``).
   On a mismatch it runs every registered ``Mistake`` on the same ``args`` and reports the first
   whose output the learner's matches (NaN matching NaN); otherwise it reports the shape, dtype or
   largest error. ``note=tr("...")`` adds words to the test-case description; ``t.call(*args)``
   returns the learner's output for custom checks and ``t.fail(problem, args)`` stops with a
   message. A checker that raises anything else is reported as a bug in the course.

   Every text a checker module gives to ``t.fail`` or ``note=`` is shown as given, so translate
   it at the call site: a literal English template with named values,
   ``t.fail(tr("your output has {n} rows; return one per edge", n=n), args)`` (values are filled
   in after translation, so numbers, shapes and code are the same in every language; double a
   literal brace of a template that has values), or ``tr(MESSAGE)`` for a text that is already
   registered (a mistake's message). ``tr``'s first argument must be a plain string literal
   (implicit concatenation is fine, an f-string is not): that is how the templates are found
   for the catalogue (``python -m course_tools.translations update``). Write whole sentences
   as one template rather than gluing fragments (word order differs between languages), and
   never test the words of a message: catch the failure and read its ``kind`` instead.
4. ``tests/test_exercises.py`` checks every registered exercise on its own: the lesson that calls
   ``check`` with its id is the module's, with the same parameter names; the lesson's untouched
   stub is reported as not implemented; the solution passes; checking leaves the global random
   state alone; every registered mistake fails with its own diagnosis. Add the lesson's data to
   ``tests/test_exercises_nbNN.py``: other right answers, written as a learner would, and
   learner-style wrong answers with the word each diagnosis must contain (tables fed to the
   shared asserts of ``tests/exercise_cases.py``).
"""

from helpers.exercises._registry import (
    DEFAULT_TIME_LIMIT,
    CheckResult,
    Diagnosis,
    Exercise,
    Mistake,
    Tester,
    check,
    exercise,
    get_exercise,
    list_exercises,
)
from helpers.exercises.guidance import hint, list_questions, question, solution
from helpers.exercises.language import get_language, set_language, tr

__all__ = [
    "DEFAULT_TIME_LIMIT",
    "CheckResult",
    "Diagnosis",
    "Exercise",
    "Mistake",
    "Tester",
    "check",
    "exercise",
    "get_exercise",
    "get_language",
    "hint",
    "list_exercises",
    "list_questions",
    "question",
    "set_language",
    "solution",
    "tr",
]
