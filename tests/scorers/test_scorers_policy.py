"""Issue 21: the scorer holds to its stated "one final answer" policy on every type, at any distance.

The corpus (``policy_corpus``) has hedges followed by a repeated answer, padding, unclosed reasoning tags,
rejections after and before the answer, struck-through and cross-marked answers, inexact counts, absence
offered with an alternative, later alternatives and candidate lists, plus controls that must still pass.
The properties below say the same for generated answers; SubstringMatch never credits a stale answer.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from cpython_retrieval.question_types import NOT_PRESENT, QUESTION_TYPES
from cpython_retrieval.scorers import rejected_answers, score_answer, substring_match

from . import policy_corpus as pc
from .adversarial import one_line
from .test_scorers_properties import FAST, RESERVED, right_and_wrong, typed_expected

_CANONICAL = Path(__file__).resolve().parents[2] / "cpython_retrieval" / "dataset" / "canonical" / "data"
GROUPS: dict[tuple[str, str], list[pc.Case]] = {}
for _case in pc.corpus():
    GROUPS.setdefault((_case.question_type, _case.category), []).append(_case)

GENERAL = {"hedge_then_repeat", "padding", "unclosed_reasoning", "negated_after", "struck_or_marked",
           "later_alternative", "many_candidates", "control"}


def test_corpus_covers_every_type_and_category() -> None:
    for qtype, qt in QUESTION_TYPES.items():
        categories = {c for q, c in GROUPS if q == qtype}
        want = set(GENERAL)
        if qt.answer_kind == "integer":
            want.add("inexact_count")
        if qtype == "absent_symbol":
            want.add("absent_alternative")
        if qt.answer_kind in ("integer", "path_or_absent"):
            want.add("later_other_answer")
        assert categories == want, qtype
    assert set(pc.ANSWERS) == {qt.answer_kind for qt in QUESTION_TYPES.values()}


@pytest.mark.parametrize("group", sorted(GROUPS), ids=["-".join(g) for g in sorted(GROUPS)])
def test_policy_group(group: tuple[str, str]) -> None:
    wrong = []
    for case in GROUPS[group]:
        result = score_answer(case.question_type, case.expected, case.answer)
        assert result.reason and not result.reason.startswith("internal error"), (case, result)
        if result.correct is not case.should_pass:
            wrong.append((case.answer[:120], result.reason))
    assert not wrong, wrong


@pytest.mark.parametrize(
    ("qtype", "expected", "answer", "reason"),
    [
        ("module_function_count", "7", "6 or 8\n7", "3 candidate integers"),
        ("return_annotation", "bytes", "str or None\nbytes", "3 candidate answers"),
        ("class_location", "Lib/csv.py", "Lib/io.py\n" + "Nothing more to add here. " * 300 + "\nLib/csv.py",
         "2 candidate paths"),
        ("class_location", "Lib/csv.py", "<think>a</think>Hmm. <thinking>Lib/csv.py", "no path or NOT PRESENT found"),
        ("class_location", "Lib/csv.py", "Lib/csv.py doesn't contain the class.", "the answer is rejected"),
        ("method_owner", "DictReader", "Anything but `DictReader`.", "the answer is rejected"),
        ("class_location", "Lib/csv.py", "~~Lib/csv.py~~", "an answer is struck through"),
        ("subclass_count", "9", "9 or more", "the count is inexact"),
        ("absent_symbol", NOT_PRESENT, "NOT PRESENT or csv/reader", "an alternative is offered"),
        ("decorators", "@property", "@property\n\nor just @cached_property", "an alternative follows the answer"),
        ("module_function_count", "7", "Answer: 7\n\nHmm.\n8", "another answer is stated"),
        ("return_annotation", "bytes", "Answer: int\n\n" + "x " * 60_000 + "\n\nAnswer: bytes", "output too long"),
    ],
)
def test_reason_says_why(qtype: str, expected: str, answer: str, reason: str) -> None:
    result = score_answer(qtype, expected, answer)
    assert not result.correct and result.reason.startswith(reason), result


@pytest.mark.parametrize(
    ("qtype", "expected", "answer"),
    [
        ("class_location", "Lib/csv.py", "I compared Lib/io.py and Lib/abc.py with it first.\nLib/csv.py"),
        ("module_function_count", "7", "There are 7 functions, 2 of them private.\n7"),
        ("module_function_count", "7", "Answer: 7\n\nI counted def and async def statements or none."),
        ("method_owner", "DictReader", "DictReader (or `DictReader`)"),
        ("class_location", "Lib/csv.py", "Answer: Lib/csv.py\n\nNo file except Lib/csv.py defines it."),
        ("class_location", "Lib/csv.py", "Lib/csv.py ✅"),
        ("absent_symbol", NOT_PRESENT, "The class is not in the context."),
        ("docstring_first_line", "Return x or y, never both.", "Return x or y, never both."),
        ("docstring_first_line", "Strike ~~this~~ out.", "Strike ~~this~~ out."),
        ("module_function_count", "7", "~~~\n7\n~~~"),
    ],
)
def test_plain_answers_still_pass(qtype: str, expected: str, answer: str) -> None:
    result = score_answer(qtype, expected, answer)
    assert result.correct, result


_RIGHT_ANSWER_WRAPPERS = (
    "{a}", "Answer: {a}", "The answer is `{a}`.", "<answer>{a}</answer>", "I checked the relevant file first:\n{a}",
    "Maybe {a}.", "{a} (I think)", "Let me look. The file header says so.\nFinal answer: {a}",
    "<think>Could be something else, or not.</think>\n{a}", "Answer: {a}\n\nI did not count methods or nested functions.",
    "Answer: {a}\n\nNo other file defines it.", "Answer: {a} ✅",
)


def test_right_answers_of_the_canonical_rows_pass_in_ordinary_wrappers() -> None:
    """The stricter policy costs no right answer its credit (every T25 and T50 row, ordinary wordings)."""
    wrong = []
    for tier in ("T25", "T50"):
        for row in pq.read_table(_CANONICAL / f"{tier}.parquet").to_pylist():
            for template in _RIGHT_ANSWER_WRAPPERS:
                answer = template.replace("{a}", row["answer"])
                result = score_answer(row["question_type"], row["answer"], answer, question=row["question"])
                if not result.correct:
                    wrong.append((row["id"], answer[:80], result.reason))
    assert not wrong, wrong[:10]


# --- SubstringMatch never credits a row's stale or original answer -----------------------------

def _rows_with_rejected_answers() -> list[dict]:
    rows = []
    for path in sorted(_CANONICAL.glob("T*.parquet")):
        rows.extend(r for r in pq.read_table(path).to_pylist() if rejected_answers(r))
    return rows


def test_substring_match_never_credits_a_stale_or_original_answer_on_the_canonical_rows() -> None:
    rows = _rows_with_rejected_answers()
    assert any(r.get("drift") for r in rows) and any(r.get("perturbed") for r in rows)
    for row in rows:
        rejected = rejected_answers(row)
        assert substring_match(row["answer"], row["answer"], rejected=rejected).correct, row["id"]
        for other in rejected:
            for answer in (other, f"The answer is `{other}`.", f"Answer: {other}"):
                result = substring_match(row["answer"], answer, rejected=rejected)
                assert not result.correct, (row["id"], answer, result)
                assert not score_answer(row["question_type"], row["answer"], answer).correct, (row["id"], answer)


def test_substring_match_reads_rejected_answers_as_whole_names() -> None:
    assert substring_match("Optional[str]", "Optional[str]", rejected=["str"]).correct
    assert substring_match("EntryPoints", "EntryPoints, a string type", rejected=["str"]).correct
    assert not substring_match("EntryPoints", "EntryPoints or str", rejected=["str"]).correct
    assert not substring_match("EntryPoints", "Union[EntryPoints, SelectableGroups]",
                               rejected=["Union[EntryPoints, SelectableGroups]"]).correct
    assert not substring_match("Lib/a.py", "Not in the context.", rejected=[NOT_PRESENT]).correct
    assert not substring_match(NOT_PRESENT, "Lib/x/y.py", rejected=["Lib/x/y.py"]).correct
    row = {"drift": True, "stale_answer": "int", "perturbed": False, "original_answer": "str"}
    assert rejected_answers(row) == ("int",)


# --- properties ---------------------------------------------------------------------------------

#: Words the new rules read (rejections, alternatives, bounds); generated answers avoid them.
POLICY_WORDS = RESERVED | {"anything", "except", "excluding", "unlikely", "hardly", "false", "untrue", "ruled",
                           "excluded", "eliminated", "rejected", "invalid", "discarded", "impossible", "or",
                           "alternatively", "otherwise", "just", "else", "either", "about", "over", "under",
                           "around", "roughly", "nearly", "almost", "approximately", "least", "most", "plus",
                           "other", "than", "out", "does", "can", "has", "was"}


def _plain(qtype: str, *answers: str) -> bool:
    if QUESTION_TYPES[qtype].answer_kind == "text_line":
        return all(not POLICY_WORDS & set(re.findall(r"[a-z]+", a.lower())) and "~" not in a for a in answers)
    return all(not POLICY_WORDS & set(re.findall(r"[a-z]+", a.lower())) for a in answers)


REJECTIONS = [
    "{a} is not the one.", "{a} isn't it.", "{a} doesn't hold.", "{a} is untrue.", "{a} has been ruled out.",
    "{a} ✘", "{a} ❌", "~~{a}~~", "<del>{a}</del>", "{a} (no)", "Anything but {a}.", "Unlikely to be {a}.",
    "Answer: {a}\n\n~~{a}~~", "{a}\n\nOr maybe {b}.", "Answer: {a}\n\nAlternatively, {b}",
]


@FAST
@given(right_and_wrong(), st.sampled_from(REJECTIONS))
def test_a_rejection_never_raises_the_score(case: tuple[str, str, str], template: str) -> None:
    """Rejecting, striking or offering an alternative to an answer never makes it score more, and a right one
    scores 0."""
    qtype, expected, other = case
    assume(_plain(qtype, expected, other))
    a, b = one_line(expected), one_line(other)
    for first, second in ((a, b), (b, a)):
        answer = template.replace("{a}", first).replace("{b}", second)
        assert score_answer(qtype, expected, answer).value <= score_answer(qtype, expected, first).value
    assert not score_answer(qtype, expected, template.replace("{a}", a).replace("{b}", b)).correct


@FAST
@given(right_and_wrong(), st.integers(0, 40_000), st.sampled_from(["\n", "\n\n", " \n", "\n- "]),
       st.sampled_from(["{b}", "{b} or {c}", "Maybe {b}.", "It is {b}."]))
def test_an_earlier_answer_costs_credit_at_any_distance(
    case: tuple[str, str, str], gap: int, sep: str, earlier: str
) -> None:
    qtype, expected, other = case
    assume(QUESTION_TYPES[qtype].answer_kind != "text_line" and _plain(qtype, expected, other))
    filler = ("Nothing in this sentence names a candidate at all. " * (gap // 51)).strip()
    first = earlier.replace("{b}", one_line(other)).replace("{c}", one_line(other))
    answer = f"{first}{sep}{filler}\n{expected}" if filler else f"{first}{sep}{expected}"
    assert not score_answer(qtype, expected, answer).correct, answer[:200]
    assert score_answer(qtype, expected, f"{filler}\n{expected}").correct  # prose alone costs nothing


@FAST
@given(typed_expected())
def test_the_right_answer_alone_always_scores_1(case: tuple[str, str]) -> None:
    qtype, expected = case
    assert score_answer(qtype, expected, expected).correct
    assert score_answer(qtype, expected, f"Answer: {expected}").correct


QUALIFIED = ["at least {n}", "{n}+", "≥{n}", ">= {n}", "{n} or more", "about {n}", "~{n}", "roughly {n}",
             "up to {n}", "at most {n}", "approximately {n}", "{n} or so", "no fewer than {n}", "≈ {n}"]


@FAST
@given(st.integers(0, 300), st.sampled_from(QUALIFIED), st.sampled_from(["", "Answer: ", "There are "]),
       st.sampled_from(["module_function_count", "subclass_count"]))
def test_an_inexact_count_never_scores(n: int, template: str, lead: str, qtype: str) -> None:
    assert not score_answer(qtype, str(n), lead + template.format(n=n)).correct
    assert score_answer(qtype, str(n), f"{lead}{n}").correct


_SUBSTRING_TEXT = st.text(alphabet="abcXYZ_[], .|'/", min_size=1, max_size=30).filter(lambda s: s.strip(" ,."))


@FAST
@given(_SUBSTRING_TEXT, _SUBSTRING_TEXT, st.sampled_from(["{r}", "It is {r}.", "Answer: `{r}`", "{r} or {e}"]))
def test_substring_match_never_credits_a_rejected_answer(expected: str, rejected: str, template: str) -> None:
    from cpython_retrieval.scorers.substring import normalize_for_substring

    def norm(s: str) -> str:
        n = normalize_for_substring(s).rstrip(".").strip()
        return n[4:] if n.startswith("lib/") else n

    assume(norm(rejected) and norm(expected) and norm(rejected) != norm(expected))
    answer = template.replace("{r}", rejected).replace("{e}", expected)
    assert not substring_match(expected, answer, rejected=[rejected]).correct, answer
    assert substring_match(expected, expected, rejected=[rejected]).correct
