"""The 中文 edition cannot drift from the English one.

* every catalogue entry is translated and none is stale (its English changed since);
* the catalogues, the compiled checker messages and the Chinese notebooks are what ``make sync``
  writes from the English sources;
* a Chinese notebook has exactly the English code: every code cell verbatim, except the generated
  setup cell and the one ``set_language("zh")`` line of the imports cell;
* its committed outputs are the English ones except for translated prose: a line of output is
  identical, or it is a Chinese line (a checker message) with the same numbers as its English one;
* the machinery itself: a changed English text marks its translation stale, a translation that
  loses a formula, code, number or table row is reported.
"""

from __future__ import annotations

import configparser
import re

import nbformat
import polib
import pytest
from notebook_files import ROOT, code_cells, name, read

from course_tools import colab, lessons, translations
from course_tools.notebooks import list_notebooks, tags
from course_tools.plan import load_plan

PLAN = load_plan()
EN = list_notebooks("all")
ZH = list_notebooks("all", language="zh")
PAIRS = list(zip(EN, ZH, strict=True))
CJK = re.compile(r"[\u4e00-\u9fff]")
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?")


def test_every_lesson_has_a_chinese_lesson_and_solution():
    for path in ZH:
        assert path.exists(), f"missing {path.relative_to(ROOT)}: run `make sync`"
    assert [p.name for p in EN] == [p.name for p in ZH]


def test_every_translation_is_written_and_not_stale():
    problems = translations.untranslated(ROOT)
    assert not problems, "\n".join(problems[:40]) + f"\n({len(problems)} in all)"


def test_catalogues_compiled_messages_and_notebooks_are_in_sync():
    stale = translations.out_of_date(ROOT)
    stale += [str(p.relative_to(ROOT)) for p in translations.stale_notebooks(ROOT)]
    assert not stale, f"run `make sync` (then `make notebooks`): {stale}"


# --------------------------------------------------------------------------- same code


@pytest.mark.parametrize(("english", "chinese"), PAIRS, ids=[name(e) for e, _ in PAIRS])
def test_code_cells_are_the_english_ones(english, chinese):
    en, zh = read(english), read(chinese)
    assert [c.cell_type for c in en.cells] == [c.cell_type for c in zh.cells]
    assert [c.get("id") for c in en.cells] == [c.get("id") for c in zh.cells]
    assert [tags(c) for c in en.cells] == [tags(c) for c in zh.cells]
    imports = 0
    for e, z in zip(code_cells(en), code_cells(zh), strict=True):
        if colab.SETUP_TAG in tags(e):
            assert z.source == colab.setup_source(PLAN, "zh")
            assert z.source.splitlines()[2:] == e.source.splitlines()[2:], "the same install"
        elif translations.is_imports_cell(e) and imports == 0:
            imports += 1
            assert z.source == translations.imports_with_language(e.source)
            assert z.source.splitlines()[-1] == translations.LANGUAGE_LINE
            extra = set(z.source.splitlines()) - set(e.source.splitlines())
            assert len(extra) == 2, f"only the import and the language line differ: {extra}"
        else:
            assert z.source == e.source, f"code cell {e.get('id')} differs"
    assert imports == 1, "the imports cell (with `from helpers.exercises import`) was not found"


def test_the_imports_cell_sets_the_language_before_any_check():
    for path in list_notebooks("lessons", language="zh"):
        sources = [c.source for c in code_cells(read(path))]
        first_check = next(i for i, s in enumerate(sources) if "check(" in s)
        setting = next(i for i, s in enumerate(sources) if translations.LANGUAGE_LINE in s)
        assert setting < first_check, path.name


def test_markdown_cells_are_translations_not_english():
    """Every prose cell of a Chinese notebook is Chinese (the badge is generated, no prose)."""
    for path in ZH:
        for cell in read(path).cells:
            if cell.cell_type == "markdown" and colab.BADGE_TAG not in tags(cell):
                assert CJK.search(cell.source), f"{path.name}, cell {cell.get('id')}: English"


# --------------------------------------------------------------------------- same outputs


def _sanitizers() -> list[tuple[re.Pattern, str]]:
    """The regex replacements nbval applies (tests/nbval_sanitize.cfg)."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(ROOT / "tests" / "nbval_sanitize.cfg", "utf-8")
    return [(re.compile(config[s]["regex"]), config[s]["replace"]) for s in config.sections()]


SANITIZE = _sanitizers()


def output_text(output: nbformat.NotebookNode) -> str:
    if output.output_type == "stream":
        text = output.text
    elif output.output_type == "error":
        text = f"{output.ename}: {output.evalue}"
    else:
        text = output.get("data", {}).get("text/plain", "")
    text = "".join(text) if isinstance(text, list) else text
    for pattern, replace in SANITIZE:
        text = pattern.sub(replace, text)
    return text


def merged_streams(outputs: list) -> list:
    """Outputs with consecutive stream chunks of one stream joined (how Jupyter shows them; how
    a stream is cut into chunks depends on timing)."""
    merged = []
    for output in outputs:
        if (
            output.output_type == "stream"
            and merged
            and merged[-1].output_type == "stream"
            and merged[-1].name == output.name
        ):
            merged[-1] = nbformat.v4.new_output(
                "stream", name=output.name, text=merged[-1].text + output.text
            )
        else:
            merged.append(output)
    return merged


def same_but_translated(english: str, chinese: str) -> list[str]:
    """Lines where ``chinese`` differs from ``english`` by more than translated prose."""
    en_lines, zh_lines = english.splitlines(), chinese.splitlines()
    if len(en_lines) != len(zh_lines):
        return [f"{len(en_lines)} lines in English, {len(zh_lines)} in Chinese"]
    problems = []
    for e, z in zip(en_lines, zh_lines, strict=True):
        if e == z:
            continue
        if not CJK.search(z):
            problems.append(f"not a translation: {e!r} -> {z!r}")
        elif sorted(NUMBER.findall(e)) != sorted(NUMBER.findall(z)):
            problems.append(f"numbers differ: {e!r} -> {z!r}")
    return problems


def _output_pairs():
    for english, chinese in PAIRS:
        for e, z in zip(code_cells(read(english)), code_cells(read(chinese)), strict=True):
            yield english, e, z


def test_outputs_are_the_english_ones_but_for_translated_prose():
    compared = translated = figures = same_bytes = 0
    problems = []
    for english, e, z in _output_pairs():
        where = f"{name(english)}, cell {e.get('id')}"
        if lessons.NBVAL_IGNORE in tags(e):  # machine-dependent: nbval does not compare it
            continue
        outputs_e, outputs_z = merged_streams(e.outputs), merged_streams(z.outputs)
        kinds_e = [(o.output_type, sorted(o.get("data", {}))) for o in outputs_e]
        kinds_z = [(o.output_type, sorted(o.get("data", {}))) for o in outputs_z]
        if kinds_e != kinds_z:
            problems.append(f"{where}: outputs {kinds_e} vs {kinds_z}")
            continue
        for oe, oz in zip(outputs_e, outputs_z, strict=True):
            compared += 1
            text_e, text_z = output_text(oe), output_text(oz)
            translated += text_e != text_z
            problems += [f"{where}: {p}" for p in same_but_translated(text_e, text_z)]
            if "image/png" in oe.get("data", {}):  # a plot of timings differs run to run
                same_bytes += oe.data["image/png"] == oz.data["image/png"]
                figures += 1
    assert not problems, "\n".join(problems[:30])
    assert compared > 300, compared
    # Every figure is there (the output kinds match); all but the plots of timings are the same
    # bytes (82 of 90 when this was written).
    assert same_bytes > figures * 0.8, f"only {same_bytes} of {figures} figures are identical"
    assert translated > 20, "no checker message was translated (set_language missing?)"


@pytest.mark.parametrize(
    ("english", "chinese", "problem"),
    [
        ("shape (3, 4)", "shape (3, 4)", None),
        ("❌ x: wrong shape (3, 4)", "❌ x：形状错误 (3, 4)", None),
        ("❌ x: wrong shape (3, 4)", "❌ x：形状错误 (4, 3)", None),  # same numbers, other order
        ("❌ x: wrong shape (3, 4)", "❌ x：形状错误 (3, 5)", "numbers differ"),
        ("accuracy 0.91", "accuracy 0.92", "not a translation"),
        ("one\ntwo", "一二", "lines"),
    ],
)
def test_the_output_comparison_can_fail(english, chinese, problem):
    found = same_but_translated(english, chinese)
    if problem is None:
        assert found == [] or english.split()[-1] != chinese.split()[-1]
    else:
        assert found and problem in found[0]


# --------------------------------------------------------------------------- the machinery


def _catalogue(*entries: tuple[str | None, str, str]) -> polib.POFile:
    po = translations.new_catalogue("test")
    for context, english, chinese in entries:
        po.append(polib.POEntry(msgctxt=context, msgid=english, msgstr=chinese))
    return po


def test_a_changed_english_cell_marks_its_translation_stale():
    po = _catalogue(("cell-1", "Old text.", "旧文本。"), ("cell-2", "Same.", "相同。"))
    sources = [
        translations.Source("cell-1", "New text."),
        translations.Source("cell-2", "Same."),
        translations.Source("cell-3", "Brand new."),
    ]
    out = {e.msgctxt: e for e in translations.merged(po, sources)}
    assert out["cell-1"].msgstr == "旧文本。" and "fuzzy" in out["cell-1"].flags
    assert out["cell-1"].previous_msgid == "Old text."  # the translator sees what changed
    assert out["cell-2"].msgstr == "相同。" and translations.usable(out["cell-2"])
    assert out["cell-3"].msgstr == "" and not translations.usable(out["cell-3"])
    assert translations.translations_of(translations.merged(po, sources)) == {"cell-2": "相同。"}


def test_a_twice_changed_cell_still_shows_the_english_it_was_translated_from():
    po = _catalogue(("cell-1", "First.", "第一。"))
    once = translations.merged(po, [translations.Source("cell-1", "Second.")])
    twice = translations.merged(once, [translations.Source("cell-1", "Third.")])
    (entry,) = twice
    assert "fuzzy" in entry.flags and entry.previous_msgid == "First."


def test_a_changed_message_inherits_the_closest_old_translation_as_stale():
    po = _catalogue((None, "your function returned None", "你的函数返回了 None"))
    sources = [translations.Source("", "your function returned None: add a return")]
    (entry,) = translations.merged(po, sources)
    assert "fuzzy" in entry.flags and entry.msgstr == "你的函数返回了 None"


def test_a_removed_cell_leaves_the_catalogue():
    po = _catalogue(("gone", "Gone.", "没了。"), ("kept", "Kept.", "留下。"))
    out = translations.merged(po, [translations.Source("kept", "Kept.")])
    assert [e.msgctxt for e in out] == ["kept"]


@pytest.mark.parametrize(
    ("chinese", "problem"),
    [
        ("见 $x^2$ 和 `f(x)`，[链接](02_a.ipynb)，0.25。", None),
        ("见 $x^3$ 和 `f(x)`，[链接](02_a.ipynb)，0.25。", "formula"),
        ("见 $x^2$ 和 `g(x)`，[链接](02_a.ipynb)，0.25。", "inline code"),
        ("见 $x^2$ 和 `f(x)`，[链接](03_b.ipynb)，0.25。", "link target"),
        ("见 $x^2$ 和 `f(x)`，[链接](02_a.ipynb)，0.26。", "numbers"),
        ("## 见 $x^2$ 和 `f(x)`，[链接](02_a.ipynb)，0.25。", "headings"),
    ],
)
def test_a_translation_must_keep_formulas_code_links_and_numbers(chinese, problem):
    english = "See $x^2$ and `f(x)`, [a link](02_a.ipynb), 0.25."
    found = translations.markup_differences(english, chinese)
    assert (found == []) if problem is None else (problem in " ".join(found)), found


def test_a_translation_keeps_its_paragraphs_and_list_items():
    english = "## 3. Heads\n\nText.\n\n1. one;\n2. two."
    assert translations.markup_differences(english, "## 3. 头\n\n正文。\n\n1. 一；\n2. 二。") == []
    merged_heading = translations.markup_differences(
        english, "## 3. 头\n正文。\n\n1. 一；\n2. 二。"
    )
    assert any("paragraphs" in p for p in merged_heading), merged_heading
    merged_items = translations.markup_differences(english, "## 3. 头\n\n正文。\n\n1. 一；2. 二。")
    assert any("list items" in p for p in merged_items), merged_items


def test_a_translation_must_render_its_bold_text():
    english = "**Worked answer.** Two heads."
    assert translations.markup_differences(english, "**参考答案。** 两个头。") == []
    broken = translations.markup_differences(english, "**参考答案。**两个头。")
    assert any("bold" in p for p in broken), broken


def test_the_key_terms_table_stays_the_english_one():
    english = "## Key terms\n\n| English | 中文 |\n|---|---|\n| hidden state | 隐状态 |"
    same = "## 关键术语\n\n| English | 中文 |\n|---|---|\n| hidden state | 隐状态 |"
    changed = "## 关键术语\n\n| English | 中文 |\n|---|---|\n| hidden state | 隐藏状态 |"
    assert translations.markup_differences(english, same) == []
    assert "key-terms" in " ".join(translations.markup_differences(english, changed))


def test_a_notebook_path_may_point_into_the_chinese_edition():
    english = "Try the lesson (`notebooks/03_multi_head.ipynb`) first."
    chinese = "请先做课程版（`notebooks/zh/03_multi_head.ipynb`）。"
    assert translations.markup_differences(english, chinese) == []


def test_message_translations_keep_their_placeholders():
    english = "expected shape {expected}, got {got}"
    assert translations.placeholder_differences(english, "应为 {expected}，得到 {got}") == []
    assert translations.placeholder_differences(english, "应为 {expected}，得到 {gott}")
    assert translations.placeholder_differences("use `x.T`", "用 `x.t()`")


def test_chinese_lines_are_joined_only_between_chinese_characters():
    text = "第一行\n第二行\n- 列表\n  续行\n`code`\n中文\n**粗体**\n* 列表\nEnglish\n"
    text += "```\n代码\n注释\n```"
    joined = translations.joined_chinese_lines(text)
    assert joined.startswith("第一行第二行\n- 列表续行\n`code`\n中文**粗体**\n* 列表\nEnglish")
    assert "代码\n注释" in joined  # a code block keeps its lines


def test_the_imports_cell_gains_set_language_sorted_with_its_names():
    source = "import torch\n\nfrom helpers.exercises import check, hint, solution  # noqa: F401"
    zh = translations.imports_with_language(source)
    assert "from helpers.exercises import check, hint, set_language, solution  # noqa: F401" in zh
    assert zh.endswith(translations.LANGUAGE_LINE)
    with pytest.raises(ValueError, match="imports cell"):
        translations.imports_with_language("import torch")


def test_a_prose_change_keeps_the_outputs_and_a_code_change_clears_them(tmp_path):
    """``make sync`` after a translation fix needs no new run; nbval re-checks the outputs."""
    old = nbformat.v4.new_notebook()
    old.cells = [nbformat.v4.new_markdown_cell("Old."), nbformat.v4.new_code_cell("print(1)")]
    old.cells[1].outputs = [nbformat.v4.new_output("stream", text="1\n")]
    old.cells[1].execution_count = 1
    path = tmp_path / "old.ipynb"
    nbformat.write(old, path)
    prose = nbformat.from_dict(old)
    prose.cells[0].source = "新。"
    prose.cells[1].outputs, prose.cells[1].execution_count = [], None
    kept = lessons.with_outputs_of(prose, path)
    assert kept.cells[1].outputs == old.cells[1].outputs and kept.cells[1].execution_count == 1
    code = nbformat.from_dict(prose)
    code.cells[1].source = "print(2)"
    code.cells[1].outputs = []
    assert lessons.with_outputs_of(code, path).cells[1].outputs == []
