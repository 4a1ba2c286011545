"""``check``, ``hint`` and ``solution`` speak the language ``set_language`` sets: English by
default, Chinese in the 中文 edition (its notebooks' imports cell calls ``set_language("zh")``).

A message with no Chinese translation would show its English template: these tests run every
registered mistake, a stub, a crash, a right answer, every hint and every worked solution in
Chinese and fail on any English sentence left, and on any number that differs from the English
message (values are filled in after translation, so they must be identical).
"""

from __future__ import annotations

import json
import re
from importlib import resources

import pytest

from course_tools import translations
from helpers.exercises import (
    check,
    get_exercise,
    get_language,
    hint,
    list_exercises,
    list_questions,
    set_language,
    solution,
)
from helpers.exercises import language as message_language
from helpers.exercises.guidance import hints_of

CJK = re.compile(r"[\u4e00-\u9fff]")
NUMBER = re.compile(r"\d+(?:\.\d+)?")
# Four English words in a row, outside code and quoted values: an untranslated sentence.
ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]{2,}(?: [a-z]{2,}){3,}\b")
EXERCISES = list_exercises()
MISTAKES = [(i, m) for i in EXERCISES for m in get_exercise(i).mistakes]


@pytest.fixture
def chinese():
    set_language("zh")
    yield
    set_language("en")


def english_left(message: str) -> list[str]:
    # The text of an exception the learner's code raised is data, shown as raised.
    text = re.sub(r"\b\w+(?:Error|Exception): .*?(?= — |$)", " ", message, flags=re.MULTILINE)
    text = re.sub(r"`[^`]*`", " ", text)  # inline code
    text = re.sub(r"'[^'\n]*'|\"[^\"\n]*\"", " ", text)  # quoted ids and reprs
    return ENGLISH_SENTENCE.findall(text)


def assert_chinese(message: str) -> None:
    assert CJK.search(message), f"no Chinese in: {message}"
    left = english_left(message)
    assert not left, f"untranslated English {left} in: {message}"


def test_english_is_the_default_and_unknown_languages_are_refused():
    assert get_language() == "en"
    with pytest.raises(ValueError, match="language must be one of"):
        set_language("fr")
    assert get_language() == "en"


def test_every_message_template_has_a_chinese_translation():
    """The compiled catalogue the package ships holds every template the code can show."""
    shipped = message_language.catalogue("zh")
    missing = [s.text for s in translations.message_sources() if s.text not in shipped]
    assert not missing, f"{len(missing)} messages without a translation, e.g. {missing[:3]}"


def test_a_missing_translation_shows_the_english(monkeypatch, chinese):
    """The fallback the test above guards against: no translation, the English template."""
    monkeypatch.setattr(message_language, "catalogue", lambda language: {})
    result = check("softmax", lambda x, dim: None, quiet=True)
    assert "returned None" in result.message and not CJK.search(result.message)


@pytest.mark.parametrize(("exercise_id", "mistake"), MISTAKES, ids=[m.name for _, m in MISTAKES])
def test_every_diagnosis_speaks_chinese_with_the_english_numbers(exercise_id, mistake, chinese):
    zh = check(exercise_id, mistake.fn, quiet=True)
    set_language("en")
    en = check(exercise_id, mistake.fn, quiet=True)
    assert not zh.passed and not en.passed
    assert_chinese(zh.message)
    assert sorted(NUMBER.findall(zh.message)) == sorted(NUMBER.findall(en.message)), (
        f"\n{en.message}\n{zh.message}"
    )
    assert zh.message.count("\n") == en.message.count("\n")


@pytest.mark.parametrize("exercise_id", EXERCISES)
def test_passing_not_attempted_and_crashing_speak_chinese(exercise_id, chinese):
    ex = get_exercise(exercise_id)
    passed = check(exercise_id, ex.solution, quiet=True)
    assert passed.passed
    assert_chinese(passed.message)
    for learner in (
        lambda *args: NotImplemented,  # the lesson's untouched stub
        lambda *args: None,  # a forgotten return
        lambda *args: 1 / 0,  # a crash
        lambda *args: (args[0], args[0]),  # a tuple
    ):
        result = check(exercise_id, learner, quiet=True)
        assert not result.passed
        assert_chinese(result.message)


def test_unknown_ids_and_hint_levels_speak_chinese(chinese):
    assert_chinese(check("no_such_exercise", lambda: None, quiet=True).message)
    assert_chinese(check("softmax", 3, quiet=True).message)  # not a function
    assert_chinese(hint("no_such_exercise", quiet=True))
    assert_chinese(hint("softmax", 99, quiet=True))
    assert_chinese(solution("no_such_exercise", quiet=True))


@pytest.mark.parametrize("exercise_id", EXERCISES + list_questions())
def test_every_hint_speaks_chinese(exercise_id, chinese):
    for level in range(1, len(hints_of(exercise_id)) + 1):
        assert_chinese(hint(exercise_id, level, quiet=True))


def _solutions(name: str) -> dict:
    return json.loads(resources.files("helpers.exercises").joinpath(name).read_text("utf-8"))


def test_worked_solutions_come_from_the_chinese_edition(chinese, capsys):
    english, chinese_copy = _solutions("solutions.json"), _solutions("solutions_zh.json")
    assert english.keys() == chinese_copy.keys()
    for exercise_id, entry in english.items():
        shown = solution(exercise_id, quiet=True)
        assert shown == chinese_copy[exercise_id]["source"]
        if entry["kind"] == "code":  # the code is the English code
            assert shown == entry["source"]
        else:
            assert CJK.search(shown), f"{exercise_id}: the worked answer is not in Chinese"
    solution(next(i for i, e in english.items() if e["kind"] == "code"))
    assert_chinese(capsys.readouterr().out.splitlines()[0])  # the heading printed with it


def test_english_messages_have_no_chinese():
    """Nothing leaks the other way: English learners get English (the lecture's 中文 terms
    appear in notebooks, never in messages)."""
    for exercise_id, mistake in MISTAKES[:40]:
        assert not CJK.search(check(exercise_id, mistake.fn, quiet=True).message)
    assert not CJK.search(hint("softmax", quiet=True))
