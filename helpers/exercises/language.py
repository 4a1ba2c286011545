"""The language of the exercise messages: English, or Chinese in the 中文 edition.

The Chinese notebooks' imports cell calls ``set_language("zh")``; from then on ``check``, ``hint``
and ``solution`` print Chinese. Every message is written in English in the code, as a template
passed to :func:`tr`::

    tr("expected shape {expected}, got {got}", expected=(3, 4), got=(4, 3))

``tr`` looks the template up in the catalogue of the current language
(``messages_zh.json``, compiled by ``make sync`` from ``translations/zh/messages.po``), then fills
in the values with ``str.format``. A template without a translation is shown in English (the
course's tests fail on any such message). Values are filled in after translation, so numbers,
shapes and code are identical in both languages.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

LANGUAGES = {"en": "English", "zh": "中文"}
# Chinese puts no space between two Chinese characters; a template's " {value} " spacing, right
# around a Latin value such as ``helpers.softmax``, is removed when the value itself is Chinese.
_CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
_SPACE_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}]) (?=[{_CJK}])")
_current = {"language": "en"}  # the one setting: changed only by set_language()


def set_language(language: str) -> None:
    """Make ``check``, ``hint`` and ``solution`` speak ``language``: ``"en"`` or ``"zh"``."""
    if language not in LANGUAGES:
        raise ValueError(f"language must be one of {sorted(LANGUAGES)}, got {language!r}")
    _current["language"] = language


def get_language() -> str:
    """The language messages are shown in (``"en"`` unless ``set_language`` said otherwise)."""
    return _current["language"]


@cache
def catalogue(language: str) -> dict[str, str]:
    """``{English template: translation}`` of ``language`` (empty for English)."""
    if language == "en":
        return {}
    name = f"messages_{language}.json"
    try:
        text = resources.files("helpers.exercises").joinpath(name).read_text("utf-8")
    except FileNotFoundError:
        return {}
    return json.loads(text)


def translated(template: str, language: str | None = None) -> str | None:
    """The translation of ``template`` into ``language`` (default: the current one), or None."""
    language = language or get_language()
    if language == "en":
        return template
    return catalogue(language).get(template)


def tr(template: str, /, **values: object) -> str:
    """``template`` in the current language, with ``values`` filled in (``str.format``).

    Without ``values`` the template is returned as is (braces in it are literal).
    """
    text = translated(template)
    if text is None:
        return template.format(**values) if values else template
    if not values:
        return text
    text = text.format(**values)
    return _SPACE_BETWEEN_CJK.sub("", text) if get_language() == "zh" else text
