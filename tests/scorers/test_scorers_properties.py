"""Hypothesis properties of score_answer: wrappers and hedges keep answers right, a second candidate, a
correction, a negation or a disagreeing answer statement makes them wrong, and no text makes a scorer raise."""

from __future__ import annotations

import keyword
import os
import re

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cpython_retrieval.question_types import NOT_PRESENT, QUESTION_TYPES
from cpython_retrieval.scorers import (
    ScoreResult,
    is_not_present,
    parse_judge_verdict,
    render_judge_prompt,
    score_answer,
    substring_match,
)

#: Raise for a deeper search, e.g. SCORERS_HYPOTHESIS_EXAMPLES=5000 (the default keeps the suite fast).
EXAMPLES = int(os.environ.get("SCORERS_HYPOTHESIS_EXAMPLES", "150"))
FAST = settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])

# --- generated canonical answers, one strategy per question type ---------------------------

_lower = st.from_regex(r"[a-z][a-z_]{2,9}", fullmatch=True).filter(
    lambda s: not keyword.iskeyword(s) and s not in {"the", "and", "not", "answer", "none"}
)
_camel = st.from_regex(r"[A-Z][a-z]{2,7}[A-Z]?[a-z]{0,5}", fullmatch=True)
_name = st.one_of(_lower, _camel)
_dotted = st.lists(_name, min_size=1, max_size=3).map(".".join)


def _annotation(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(
        inner,
        st.tuples(_camel, st.lists(inner, min_size=1, max_size=3)).map(lambda t: f"{t[0]}[{', '.join(t[1])}]"),
        st.tuples(inner, inner).filter(lambda t: t[0] != t[1]).map(lambda t: f"{t[0]} | {t[1]}"),
        _dotted.map(lambda s: f"'{s}'"),
    )


ANNOTATION = st.recursive(_dotted, _annotation, max_leaves=5)
PATH = st.lists(st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True), min_size=1, max_size=3).map(
    lambda parts: "Lib/" + "/".join(parts) + ".py"
)
DECORATOR = st.one_of(
    _dotted,
    st.tuples(_dotted, _lower, st.integers(0, 999)).map(lambda t: f"{t[0]}({t[1]}={t[2]})"),
)
DECORATORS = st.lists(DECORATOR, min_size=1, max_size=4, unique=True).map(lambda ds: "\n".join("@" + d for d in ds))
BASES = st.tuples(
    st.lists(st.one_of(_dotted, _camel.map(lambda c: f"Generic[{c}]")), min_size=1, max_size=3, unique=True),
    st.lists(st.tuples(_lower, _camel), max_size=2, unique_by=lambda kv: kv[0]),
).map(lambda t: ", ".join(t[0] + [f"{k}={v}" for k, v in t[1]]))
PARAMS = st.tuples(
    st.lists(_lower, min_size=1, max_size=5, unique=True), st.booleans(), st.booleans()
).map(lambda t: ", ".join(t[0] + (["*args"] if t[1] else []) + (["**kwargs"] if t[2] else [])))
_word = st.from_regex(r"[a-z]{1,8}", fullmatch=True).filter(lambda w: w not in {"answer", "line", "docstring"})
DOCLINE = st.tuples(_camel, st.lists(_word, min_size=2, max_size=10)).map(
    lambda t: " ".join([t[0], *t[1]]) + "."
)
COUNT = st.integers(0, 300).map(str)

EXPECTED = {
    "return_annotation": ANNOTATION,
    "class_location": PATH,
    "absent_symbol": st.just(NOT_PRESENT),
    "base_classes": BASES,
    "module_function_count": COUNT,
    "decorators": DECORATORS,
    "docstring_first_line": DOCLINE,
    "parameters": PARAMS,
    "method_owner": _dotted,
}
QTYPE = st.sampled_from(sorted(EXPECTED))


@st.composite
def typed_expected(draw: st.DrawFn) -> tuple[str, str]:
    qtype = draw(QTYPE)
    return qtype, draw(EXPECTED[qtype])


# --- wrappers ----------------------------------------------------------------------------

_thinking = st.text(alphabet=st.characters(blacklist_characters="<>", blacklist_categories=["Cs"]), max_size=200)

WRAPPERS = [
    lambda a, t: a,
    lambda a, t: f"  {a}  \n",
    lambda a, t: f"```\n{a}\n```",
    lambda a, t: f"```python\n{a}\n```",
    lambda a, t: f"Here it is:\n\n```text\n{a}\n```\n",
    lambda a, t: f"The answer is {a}",
    lambda a, t: f"Answer: {a}",
    lambda a, t: f"**Answer:**\n{a}",
    lambda a, t: f"Final answer:\n```\n{a}\n```",
    lambda a, t: f"<think>{t}</think>\n{a}",
    lambda a, t: f"<think>{t}</think>\n\nThe answer is:\n```\n{a}\n```",
    lambda a, t: f"<answer>{a}</answer>",
]
SINGLE_LINE_WRAPPERS = [
    lambda a: f"`{a}`",
    lambda a: f"**{a}**",
    lambda a: f"Answer: `{a}`",
    lambda a: f"The answer is `{a}`.",
]


@FAST
@given(typed_expected(), st.sampled_from(range(len(WRAPPERS))), _thinking)
def test_wrapping_a_correct_answer_keeps_it_correct(case: tuple[str, str], wrapper: int, thinking: str) -> None:
    qtype, expected = case
    answer = WRAPPERS[wrapper](expected, thinking)
    result = score_answer(qtype, expected, answer)
    assert result.correct, (answer, result)


@FAST
@given(typed_expected(), st.sampled_from(range(len(SINGLE_LINE_WRAPPERS))))
def test_single_line_wrappers_keep_it_correct(case: tuple[str, str], wrapper: int) -> None:
    qtype, expected = case
    assume("\n" not in expected)
    answer = SINGLE_LINE_WRAPPERS[wrapper](expected)
    result = score_answer(qtype, expected, answer)
    assert result.correct, (answer, result)


# --- a second candidate -------------------------------------------------------------------


def _other(qtype: str, expected: str, draw: st.DrawFn) -> str:
    """A different answer of the same type."""
    if qtype == "absent_symbol":
        return draw(PATH)
    if qtype == "class_location":
        return draw(st.one_of(PATH, st.just(NOT_PRESENT)).filter(lambda p: p != expected))
    if qtype == "module_function_count":
        return str(draw(st.integers(0, 300).filter(lambda n: str(n) != expected)))
    other = draw(EXPECTED[qtype].filter(lambda o: score_answer(qtype, expected, o).correct is False))
    return other


SEPARATORS = [", ", " or ", "\n", " / ", "; ", "\n\n", " (or ", "\nor\n"]


@FAST
@given(st.data())
def test_appending_a_second_candidate_makes_it_wrong(data: st.DataObject) -> None:
    qtype, expected = data.draw(typed_expected())
    other = _other(qtype, expected, data.draw)
    sep = data.draw(st.sampled_from(SEPARATORS))
    for answer in (f"{expected}{sep}{other}", f"{other}{sep}{expected}"):
        result = score_answer(qtype, expected, answer)
        assert not result.correct, (answer, result)
        assert result.reason


@FAST
@given(st.data())
def test_two_code_blocks_with_different_answers_fail(data: st.DataObject) -> None:
    qtype, expected = data.draw(typed_expected())
    other = _other(qtype, expected, data.draw)
    answer = f"```\n{expected}\n```\nor perhaps\n```\n{other}\n```"
    assert not score_answer(qtype, expected, answer).correct


# --- robustness ----------------------------------------------------------------------------

_ANY_TEXT = st.one_of(
    st.text(max_size=300),
    st.binary(max_size=300).map(lambda b: b.decode("latin-1")),
    st.text(alphabet="`'\"()[]{}@*->:,.\n \\/#<>|=0123456789abcNOTPRESENTLib", max_size=400),
    st.tuples(st.text(max_size=20), st.integers(1, 3000)).map(lambda t: t[0] * t[1]),
)


@settings(max_examples=2 * EXAMPLES, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(QTYPE, st.one_of(st.sampled_from(["Optional[str]", "Lib/a/b.py", NOT_PRESENT, "12", "x, y"]), st.text(max_size=50)),
       _ANY_TEXT, st.one_of(st.none(), st.text(max_size=80)))
def test_scorer_never_raises(qtype: str, expected: str, answer: str, question: str | None) -> None:
    result = score_answer(qtype, expected, answer, question=question)
    assert isinstance(result, ScoreResult)
    assert result.value in (0.0, 1.0) and result.value == float(result.correct)
    assert result.reason and not result.reason.startswith("internal error"), result
    assert score_answer(qtype, expected, answer, question=question) == result  # deterministic
    assert isinstance(substring_match(expected, answer), ScoreResult)
    assert isinstance(is_not_present(answer), bool)
    assert parse_judge_verdict(answer).correct in (True, False, None)
    assert "VERDICT: CORRECT" in render_judge_prompt(question or "", expected, answer, qtype)


def test_scorer_survives_pathological_inputs() -> None:
    nasty = [
        "(" * 5000,
        "[" * 300 + "]" * 300,
        "a" + "+a" * 3000,
        "x." * 3000,
        "`" * 10001,
        "```" * 999,
        "<think>" * 500,
        "</think>" * 500 + "12",
        "Lib/" * 3000 + "x.py",
        "1" * 100_000,
        "\x00\x01\x02 NOT PRESENT \x7f",
        "\ud800" if False else "\udcff".encode("utf-8", "surrogatepass").decode("utf-8", "replace"),
        "'" * 999 + '"' * 999,
        "Answer:" * 2000,
        "\n" * 100_000,
        "a, " * 100_000,
        "@" * 5000,
        "-> " * 2000,
        "-" * 5000,
        "def f(" + "a, " * 2000 + "):",
    ]
    for qtype in QUESTION_TYPES:
        for answer in nasty:
            result = score_answer(qtype, "12" if qtype == "module_function_count" else "x", answer)
            assert not result.reason.startswith("internal error"), (qtype, answer[:40], result)
    for junk in (None, b"\xff\xfe12", 12, ["Lib/x.py"]):
        assert isinstance(score_answer("module_function_count", "12", junk), ScoreResult)


def test_huge_answer_fails_quickly_with_a_reason() -> None:
    answer = ("The file has many functions. " * 50_000) + "Lib/x.py or Lib/y.py"
    result = score_answer("class_location", "Lib/x.py", answer)
    assert not result.correct and "2 candidate paths" in result.reason


# --- one final answer: corrections, negations, disagreeing statements, hedges -----------------------

from .adversarial import CORRECTION_MARKERS, HEDGES, NEGATION, one_line  # noqa: E402

#: Words the rules read as hedges, corrections or negations. No stdlib parameter, class or decorator is
#: named so, and generated names avoid them too (in docstring lines they are allowed: the line's own words).
RESERVED = {
    "maybe", "perhaps", "probably", "possibly", "likely", "presumably", "actually", "rather", "correction",
    "update", "edit", "nope", "oops", "whoops", "sorry", "wait", "mean", "meant", "mistake", "wrong",
    "incorrect", "never", "nor", "not", "kidding", "scratch", "strike", "well", "so", "ok", "okay", "sure",
    "hmm", "yes", "no", "it", "is", "revised", "corrected",
}


def _plain(qtype: str, *answers: str) -> bool:
    if QUESTION_TYPES[qtype].answer_kind == "text_line":
        return True
    return all(not RESERVED & set(re.findall(r"[a-z]+", a.lower())) for a in answers)


@st.composite
def right_and_wrong(draw: st.DrawFn) -> tuple[str, str, str]:
    qtype, expected = draw(typed_expected())
    other = _other(qtype, expected, draw)
    assume(_plain(qtype, expected, other))
    return qtype, expected, other


@FAST
@given(right_and_wrong(), st.sampled_from(CORRECTION_MARKERS), st.sampled_from(["\n\n", ". ", "\n", " — "]),
       st.sampled_from(["", "Answer: ", "The answer is ", "<answer>"]), st.booleans())
def test_a_correction_after_an_answer_is_always_wrong(
    case: tuple[str, str, str], marker: str, sep: str, lead: str, then_right: bool
) -> None:
    """Appending a self-correction plus any answer never turns a wrong answer right, and makes a right one wrong."""
    qtype, expected, other = case
    close = "</answer>" if lead == "<answer>" else ""
    then = one_line(expected if then_right else other)
    for first in (expected, other):
        answer = f"{lead}{one_line(first)}{close}{sep}{marker} {then}"
        result = score_answer(qtype, expected, answer)
        assert not result.correct, (answer, result)


@FAST
@given(typed_expected(), st.sampled_from(NEGATION))
def test_negating_a_correct_answer_makes_it_wrong(case: tuple[str, str], template: str) -> None:
    qtype, expected = case
    assume(_plain(qtype, expected))
    answer = template.replace("{a}", one_line(expected))
    assert not score_answer(qtype, expected, answer).correct, answer


@FAST
@given(right_and_wrong(), st.sampled_from(HEDGES))
def test_a_hedge_keeps_an_answer_what_it_is(case: tuple[str, str, str], template: str) -> None:
    """The hedge policy: a hedged single answer counts as that answer, right or wrong, for every type."""
    qtype, expected, other = case
    assert score_answer(qtype, expected, template.replace("{a}", one_line(expected))).correct
    assert not score_answer(qtype, expected, template.replace("{a}", one_line(other))).correct


@FAST
@given(right_and_wrong(), st.sampled_from([
    "Answer: {x}\n\nFinal answer: {y}",
    "The answer is {x}.\n<answer>{y}</answer>",
    "<answer>{x}</answer>\nAnswer: {y}",
    "<answer>{x}</answer><answer>{y}</answer>",
    "<answer>Answer: {x}\n\nFinal answer: {y}</answer>",
]))
def test_answer_statements_must_agree(case: tuple[str, str, str], template: str) -> None:
    qtype, expected, other = case
    a, b = one_line(expected), one_line(other)
    assert score_answer(qtype, expected, template.format(x=a, y=a)).correct
    assert not score_answer(qtype, expected, template.format(x=b, y=a)).correct
    assert not score_answer(qtype, expected, template.format(x=a, y=b)).correct


@FAST
@given(right_and_wrong(), st.lists(st.sampled_from(["{a}", "{b}", "not {a}", "Actually, {b}", "Answer: {b}",
                                                      "Final answer: {b}", "scratch that", "{a} is wrong"]),
                                   min_size=1, max_size=6))
def test_reasoning_may_hold_any_earlier_guess(case: tuple[str, str, str], pieces: list[str]) -> None:
    """A closed think block is not part of the answer, whatever guesses and corrections it holds."""
    qtype, expected, other = case
    a, b = one_line(expected), one_line(other)
    thinking = "\n".join(p.replace("{a}", a).replace("{b}", b) for p in pieces)
    for answer in (expected, other):
        assert (score_answer(qtype, expected, f"<think>{thinking}</think>\n{answer}").correct
                == score_answer(qtype, expected, answer).correct)
