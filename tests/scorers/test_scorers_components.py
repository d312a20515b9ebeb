"""Extraction, is_not_present, SubstringMatch, the judge, and the documented gaming rules."""

from __future__ import annotations

import pytest

from cpython_retrieval.question_types import NOT_PRESENT, QUESTION_TYPES
from cpython_retrieval.scorers import (
    JUDGE_TEMPLATE,
    JudgeVerdict,
    ScoreResult,
    is_not_present,
    parse_judge_verdict,
    render_judge_prompt,
    score_answer,
    substring_match,
)
from cpython_retrieval.scorers.extract import (
    MAX_INPUT_CHARS,
    answer_region,
    clean,
    strip_reasoning,
)
from cpython_retrieval.scorers.normalize import (
    find_integers,
    normalize_path,
    normalize_text_line,
)

# --- extraction --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("output", "region"),
    [
        ("Optional[str]", "Optional[str]"),
        ("<think>int?</think>\nOptional[str]", "Optional[str]"),
        ("<THINKING>a</THINKING> b", "b"),
        ("<think>never closed Optional[str]", ""),
        ("stray close</think>x", "x"),
        ("<answer>x</answer>", "x"),
        ("prose <answer>a</answer> more <answer>b</answer>", "a\n\nb"),
        ("<answer>a</answer> <answer>a</answer>", "a"),
        ("Reasoning...\nAnswer: x\n\nBecause y.", "x"),
        ("Final answer:\n```python\n@a\n@b\n```\nextra", "@a\n@b"),
        ("The answer is: `x`", "`x`"),
        ("Answer: first\nAnswer: second", "first\n\nsecond"),
        ("Answer: x\nso the answer is: x.", "x"),  # the same statement twice is one
        ("Answer: first\nFinal answer: second", "first\n\nsecond"),  # no statement outranks another
        ("The final answer is second. Answer: first", "second.\n\nfirst"),
        ("Answer:", "Answer:"),
        ("```\nx\n```\nThat is my answer:", "x"),
        ("```python\nx\n```", "x"),
        ("```\n```", ""),
        ("```JSONDecoder```", "JSONDecoder"),
        ("```python\nx\n```\n```python\nx\n```", "x"),
        ("open fence\n```python\nx", "x"),
        ("line1\r\nline2", "line1\nline2"),
        ("a\x00b", "ab"),
    ],
)
def test_answer_region(output: str, region: str) -> None:
    assert answer_region(output).text == region


def test_several_different_code_blocks_are_a_problem() -> None:
    region = answer_region("```\na\n```\n```\nb\n```")
    assert region.problem == "2 different code blocks"


def test_region_is_not_windowed() -> None:
    """Issue 21: no window hides earlier text, so a candidate far before the last line still counts."""
    output = "first line\n" + "word " * 5000 + "\nlast line"
    region = answer_region(output)
    assert region.text == output and not region.truncated


def test_an_output_longer_than_the_limit_is_read_from_its_end_and_flagged() -> None:
    output = "x" * (MAX_INPUT_CHARS + 10) + "\nlast line"
    region = answer_region(output)
    assert region.truncated == 20 and region.text.endswith("last line")


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [("`x`", "x"), ("**x**", "x"), ("**x**.", "x"), ("x.", "x"), ("...", "..."), ("``x``", "x"), (" x; ", "x"),
     ("**kwargs", "**kwargs")],
)
def test_clean(text: str, cleaned: str) -> None:
    assert clean(text) == cleaned


def test_strip_reasoning_keeps_text_after_the_last_close() -> None:
    assert strip_reasoning("<think>a</think>b<think>c</think>d") == "d"


# --- normalisation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "normal"),
    [("Lib/json/decoder.py", "json/decoder.py"), ("lib\\json\\decoder.py", "json/decoder.py"),
     ("./Lib//json/decoder.py", "json/decoder.py"), ("json/decoder.py", "json/decoder.py")],
)
def test_normalize_path(path: str, normal: str) -> None:
    assert normalize_path(path) == normal


def test_normalize_text_line_ignores_quotes_whitespace_and_end_punctuation() -> None:
    assert normalize_text_line('  "Return  the `x`."  ') == normalize_text_line("Return the x") == "Return the x"
    assert normalize_text_line("Return x") != normalize_text_line("return x")


@pytest.mark.parametrize(
    ("text", "values"),
    [("12", [12]), ("There are 12 functions.", [12]), ("twelve (12)", [12]), ("12 or 13", [12, 13]),
     ("Lib/base64.py has 3", [3]), ("Python 3.11", []), ("one", [1]), ("12 functions, one async", [12]),
     ("twenty-one", [21]), ("none", [0]), ("No functions.", [0]), ("f1 and x_2", [])],
)
def test_find_integers(text: str, values: list[int]) -> None:
    assert find_integers(text) == values


# --- documented gaming rules ----------------------------------------------------------------


def test_gaming_rules_from_the_docs() -> None:
    loc = "Lib/json/decoder.py"
    assert not score_answer("class_location", loc, "Lib/json/decoder.py, Lib/json/encoder.py").correct
    assert score_answer("module_function_count", "12", "There are 12 functions.").correct
    assert not score_answer("module_function_count", "12", "12 (or 13)").correct
    assert not score_answer("class_location", loc, f"{NOT_PRESENT} or {loc}").correct
    assert not score_answer("absent_symbol", NOT_PRESENT, loc).correct
    assert not score_answer("absent_symbol", NOT_PRESENT, f"{NOT_PRESENT}, maybe {loc}").correct
    assert not score_answer("base_classes", "B", "A, B, C").correct
    assert not score_answer("decorators", "@a\n@b", "@b\n@a").correct
    assert not score_answer("parameters", "self, key", "self, key, default").correct


def test_padded_answer_fails_primary_but_passes_substring() -> None:
    answer = (
        "The file defines `get` returning `Optional[str]`, `put` returning `None` and `keys` "
        "returning `list[str]`; any of these could be what you want."
    )
    primary = score_answer("return_annotation", "Optional[str]", answer)
    lenient = substring_match("Optional[str]", answer)
    assert not primary.correct and "candidate" in primary.reason
    assert lenient.correct and lenient.scorer == "substring"


def test_reason_always_explains_a_zero() -> None:
    for qtype in QUESTION_TYPES:
        result = score_answer(qtype, "x", "")
        assert result.reason == "no answer found" and result.value == 0.0


def test_unknown_question_type_raises() -> None:
    with pytest.raises(ValueError, match="unknown question type"):
        score_answer("no_such_type", "x", "x")
    with pytest.raises(ValueError, match="unknown question type"):
        render_judge_prompt("q", "x", "x", "no_such_type")


def test_invalid_expected_answer_is_a_zero_with_a_reason() -> None:
    result = score_answer("return_annotation", "Optional[", "Optional[")
    assert not result.correct and result.reason.startswith("expected answer is invalid")


def test_question_tells_subject_from_answer() -> None:
    question = "In `Lib/json/decoder.py`, which class defines the method `decode`? Answer with the class name alone."
    answer = "The `JSONDecoder` class defines `decode`."
    assert not score_answer("method_owner", "JSONDecoder", answer).correct  # ambiguous without the question
    assert score_answer("method_owner", "JSONDecoder", answer, question=question).correct


def test_result_as_dict() -> None:
    result = score_answer("module_function_count", "3", "3")
    assert result.as_dict() == {"correct": True, "value": 1.0, "extracted": "3", "reason": "match", "scorer": "ast_semantic"}
    assert isinstance(result, ScoreResult)


# --- is_not_present ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("answer", "absent"),
    [
        (NOT_PRESENT, True),
        ("not present.", True),
        ("It is not in the context.", True),
        ("The class is not defined in the provided files.", True),
        ("No file in the context defines it.", True),
        ("None of the provided files contains this class.", True),
        ("I cannot find it anywhere.", True),
        ("This class does not appear in the sources.", True),
        ("N/A", True),
        ("<think>hmm</think>NOT PRESENT", True),
        ("I looked in Lib/json/decoder.py; nothing.\nNOT PRESENT", True),
        ("Lib/json/decoder.py", False),
        ("NOT PRESENT or Lib/json/decoder.py", False),
        ("It is present in the context.", False),
        ("I don't know", False),
        ("", False),
        ("<think>NOT PRESENT", False),
    ],
)
def test_is_not_present(answer: str, absent: bool) -> None:
    assert is_not_present(answer) is absent


# --- SubstringMatch ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("expected", "answer", "correct"),
    [
        ("Optional[str]", "It returns `Optional[str]` or maybe int", True),
        ("Optional[str]", "optional[STR]", True),
        ("Lib/json/decoder.py", "json\\decoder.py", True),
        ("Lib/json/decoder.py", "Lib/json/encoder.py", False),
        ("12", "I count 12 or 13", True),
        ("12", "I count 13", False),
        ("@property\n@abstractmethod", "@property, @abstractmethod", True),
        ("Return the x.", "Return the x", True),
        (NOT_PRESENT, "It is not in the context", True),
        (NOT_PRESENT, "Lib/json/decoder.py", False),
        ("Optional[str]", "<think>Optional[str]</think>int", False),
        ("x", "", False),
        ("", "anything", False),
    ],
)
def test_substring_match(expected: str, answer: str, correct: bool) -> None:
    result = substring_match(expected, answer)
    assert result.correct is correct, result
    assert result.scorer == "substring" and result.reason


# --- FactualityJudge -----------------------------------------------------------------------


def test_judge_prompt_has_everything_the_grader_needs() -> None:
    prompt = render_judge_prompt(
        "Which file defines the class `Foo`?", "Lib/foo.py", "It is {in} Lib/foo.py $x", "class_location"
    )
    for part in ("Which file defines the class `Foo`?", "Lib/foo.py", "It is {in} Lib/foo.py $x", "class_location",
                 QUESTION_TYPES["class_location"].definition, "Ignore your own knowledge", "VERDICT: CORRECT",
                 "VERDICT: INCORRECT", NOT_PRESENT):
        assert part in prompt
    assert "{" not in JUDGE_TEMPLATE.replace("{question}", "").replace("{expected}", "").replace(
        "{answer}", "").replace("{question_type}", "").replace("{definition}", "").replace(
        "{answer_format}", "").replace("{not_present}", "")


def test_judge_prompt_keeps_the_end_of_a_huge_answer() -> None:
    prompt = render_judge_prompt("q", "12", "x" * 50_000 + " FINAL 12", "module_function_count")
    assert "FINAL 12" in prompt and len(prompt) < 12_000


@pytest.mark.parametrize(
    ("reply", "correct"),
    [
        ("The answer names the same file.\nVERDICT: CORRECT", True),
        ("It differs.\nVERDICT: INCORRECT", False),
        ("**Verdict:** correct", True),
        ("VERDICT: INCORRECT.\n", False),
        ("verdict = correct", True),
        ("GRADE: C", True),
        ("GRADE: I", False),
        ("CORRECT", True),
        ("incorrect.", False),
        ("VERDICT: CORRECT\n...on reflection...\nVERDICT: INCORRECT", False),
        ("Answer with VERDICT: CORRECT or VERDICT: INCORRECT", None),
        ("I think it is right.", None),
        ("VERDICT: PARTIALLY CORRECT", None),
        ("", None),
    ],
)
def test_parse_judge_verdict(reply: str, correct: bool | None) -> None:
    verdict = parse_judge_verdict(reply)
    assert isinstance(verdict, JudgeVerdict)
    assert verdict.correct is correct
    assert verdict.reason
    assert verdict.scored is (correct is not None)
    assert verdict.value == (None if correct is None else float(correct))
