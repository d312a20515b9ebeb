"""A second adversarial corpus for score_answer: the "one final answer" policy at any distance (issue 21).

Categories (each built for every question type where the category applies):

- ``hedge_then_repeat``: a line that hedges between candidates, then one answer on the last line;
- ``padding``: another candidate, a long stretch of filler (or thousands of listed candidates), then the answer;
- ``unclosed_reasoning``: the answer only after a reasoning tag that never closes;
- ``negated_after``: the answer, then words that negate, rule out or reject it;
- ``struck_or_marked``: the answer struck through (``~~X~~``, ``<del>``) or marked wrong (a cross mark);
- ``inexact_count``: a count qualified as a bound or an estimate (integer types only);
- ``absent_alternative``: NOT PRESENT offered together with an alternative (location types only);
- ``later_alternative``: the answer, then a later paragraph offering another;
- ``later_other_answer``: the answer, then a later line stating another count or path (counts and paths only);
- ``many_candidates``: many candidates listed, the right one among them;
- ``control``: answers that state the right answer once, plainly or with harmless words, and must pass.

Run as a script to print, per category, how many verdicts differ from the expected ones
(``PYTHONPATH=<checkout> python tests/scorers/policy_corpus.py`` measures that checkout's scorer).
"""

from __future__ import annotations

from dataclasses import dataclass

from cpython_retrieval.question_types import NOT_PRESENT, QUESTION_TYPES

#: answer_kind -> (right answer, two different wrong answers); each written as it would stand in a sentence.
ANSWERS: dict[str, tuple[str, str, str]] = {
    "expression": ("Iterator[bytes]", "Iterable[bytes]", "bytes"),
    "path_or_absent": ("Lib/email/message.py", "Lib/email/parser.py", "Lib/mailbox.py"),
    "call_arguments": ("Protocol, metaclass=ABCMeta", "Protocol", "Generic[T]"),
    "integer": ("31", "30", "32"),
    "expression_list": ("@classmethod, @cache", "@classmethod", "@cache, @classmethod"),
    "text_line": ("Parse the header block.", "Parse the body block.", "Read the header block."),
    "name_list": ("cls, source, *extra, **options", "cls, source, *extra", "source, *extra, **options"),
    "dotted_name": ("HeaderParser", "BytesParser", "Parser.Header"),
}
#: The absent row's answers: NOT PRESENT is right, paths are wrong.
ABSENT = (NOT_PRESENT, "Lib/email/parser.py", "Lib/mailbox.py")
#: The expected answer as the dataset stores it (decorators one per line).
STORED = {"expression_list": "@classmethod\n@cache"}

FILLER_SENTENCE = "Scanning the surrounding definitions gives no further information here. "


@dataclass(frozen=True)
class Case:
    category: str
    question_type: str
    expected: str
    answer: str
    should_pass: bool


def _answers(question_type: str) -> tuple[str, str, str]:
    if question_type == "absent_symbol":
        return ABSENT
    return ANSWERS[QUESTION_TYPES[question_type].answer_kind]


def _expected(question_type: str) -> str:
    kind = QUESTION_TYPES[question_type].answer_kind
    return _answers(question_type)[0] if question_type == "absent_symbol" else STORED.get(kind, ANSWERS[kind][0])


def _listed(kind: str, n: int) -> str:
    """``n`` distinct wrong candidates of the kind, one per line."""
    if kind == "integer":
        return "\n".join(str(100 + i) for i in range(n))
    if kind == "path_or_absent":
        return "\n".join(f"Lib/pkg{i}/mod{i}.py" for i in range(n))
    if kind == "text_line":
        return "\n".join(f"Parse block number {i}." for i in range(n))
    if kind == "expression_list":
        return "\n".join(f"@deco{i}" for i in range(n))
    if kind == "name_list":
        return "\n".join(f"self, arg{i}" for i in range(n))
    if kind == "call_arguments":
        return "\n".join(f"Base{i}, metaclass=Meta{i}" for i in range(n))
    return "\n".join(f"Candidate{i}" for i in range(n))


def _fill(template: str, a: str, b: str, c: str) -> str:
    return template.replace("{a}", a).replace("{b}", b).replace("{c}", c)


HEDGE_THEN_REPEAT = (
    "{b} or {c}\n{a}",
    "{a} or {b}\n{a}",
    "{b}, or possibly {a}\n{a}",
    "Either {b} or {c}.\n{a}",
    "{c} / {b}\n\n{a}",
    "Perhaps {b}, perhaps {c}.\n{a}",
    "{b}? {c}?\n{a}",
    "It is {b} or {c}.\n\n{a}",
    "Could be {b}.\n{a}",
    "{b} to {c}\n{a}",
    "Between {b} and {c}.\n{a}",
)

UNCLOSED = (
    "<think>check</think>No idea yet. <think>{a}",
    "<thinking>{a}",
    "<think>first pass</think>\n<reasoning>\n{a}",
    "Looking. <think>{a}</think> <think>{a}",
    "<think>{b}</think>Unsure. <thought>{a}",
)

NEGATED_AFTER = (
    "{a} is not the one.",
    "{a} isn't right here.",
    "{a} does not hold.",
    "{a} is untrue.",
    "{a} has been ruled out.",
    "{a} can be excluded.",
    "Anything except {a}.",
    "Unlikely to be {a}.",
    "Other than {a}.",
    "{a} (no)",
    "{a} was eliminated.",
    "{a} is not where this lives.",
    "{a}? Certainly not.",
)

STRUCK_OR_MARKED = (
    "{a} ✘",
    "{a} ❌",
    "~~{a}~~",
    "<del>{a}</del>",
    "<s>{a}</s>",
    "~~{b}~~ ~~{a}~~",
    "{a} (✗)",
    "❌ {a}",
)

INEXACT = (
    "at least {a}",
    "{a}+",
    "≥ {a}",
    ">= {a}",
    "{a} or more",
    "no fewer than {a}",
    "about {a}",
    "roughly {a} functions",
    "~{a}",
    "approximately {a}",
    "{a} or so",
    "at most {a}",
    "up to {a}",
    "around {a}",
    "≈{a}",
    "{a}, give or take",
    "{a} (approx.)",
    "more or less {a}",
    "I estimate {a}.",
)

ABSENT_ALTERNATIVE = (
    "NOT PRESENT or email/parser",
    "NOT PRESENT, or maybe email.parser",
    "not in the context (or possibly the email package)",
    "NOT PRESENT\n\nor Lib/email/parser",
    "Answer: NOT PRESENT, alternatively mailbox",
    "NOT PRESENT (unless it is in email)",
    "NOT PRESENT / email.parser",
)

LATER_ALTERNATIVE = (
    "{a}\n\nor just {b}",
    "Answer: {a}\n\nOr perhaps {b}.",
    "{a}\n\nAlternatively: {b}",
    "<answer>{a}</answer>\n\nor maybe {b}",
    "{a}\n\nOtherwise {b}.",
    "Answer: {a}\n\nor else {b}",
)

#: Counts and paths only: a bare different candidate after the final answer (docs/scoring.md, policy item 1).
LATER_OTHER = (
    "Answer: {a}\n\n{b}.",
    "<answer>{a}</answer>\n\n{b}",
    "```\n{a}\n```\n\n- {b}",
    "Final answer: {a}\n\nLet me recount.\n{b}",
)

MANY = (
    "{b}, {c}, {a}",
    "{b}\n{c}\n{a}",
    "- {b}\n- {a}\n- {c}",
)

CONTROL = (
    "{a}",
    "Answer: {a}",
    "<answer>{a}</answer>",
    "I looked at every file first:\n{a}",
    "{a} ✅",
    "<think>{b} or {c}? {b}? No.</think>\n{a}",
    "Answer: {a}\n\nNo other definition exists.",
    "~~~\n{a}\n~~~",
)


def _padding(kind: str, a: str, b: str) -> list[str]:
    filler = FILLER_SENTENCE * 70  # about 5,000 characters
    long_filler = FILLER_SENTENCE * 350  # about 25,000 characters
    return [
        f"{b}\n{filler}\n{a}",
        f"{b}. {filler}\n{a}",
        f"{b}\n\n{long_filler}\n\n{a}",
        f"Answer: {b}\n\n{long_filler}\n\nAnswer: {a}",
        f"{_listed(kind, 3000)}\n\n{a}",
        f"{_listed(kind, 400)}\n{filler}\n{a}",
    ]


def _padding_controls(kind: str, a: str, b: str) -> list[str]:
    filler = FILLER_SENTENCE * 70
    controls = [f"<think>{b}\n{FILLER_SENTENCE * 350}</think>\n{a}", f"{filler}\nAnswer: {a}"]
    if kind != "text_line":  # a docstring answer is one line: filler lines before it are more lines
        controls.append(f"{filler}\n{a}")
    return controls


def type_cases(question_type: str) -> list[Case]:
    kind = QUESTION_TYPES[question_type].answer_kind
    a, b, c = _answers(question_type)
    expected = _expected(question_type)
    out: list[Case] = []

    def add(category: str, answer: str, should_pass: bool) -> None:
        out.append(Case(category, question_type, expected, answer, should_pass))

    for t in HEDGE_THEN_REPEAT:
        add("hedge_then_repeat", _fill(t, a, b, c), False)
    for answer in _padding(kind, a, b):
        add("padding", answer, False)
    for t in UNCLOSED:
        add("unclosed_reasoning", _fill(t, a, b, c), False)
    for t in NEGATED_AFTER:
        add("negated_after", _fill(t, a, b, c), False)
    for t in STRUCK_OR_MARKED:
        add("struck_or_marked", _fill(t, a, b, c), False)
    if kind == "integer":
        for t in INEXACT:
            add("inexact_count", _fill(t, a, b, c), False)
    if question_type == "absent_symbol":
        for answer in ABSENT_ALTERNATIVE:
            add("absent_alternative", answer, False)
    for t in LATER_ALTERNATIVE:
        add("later_alternative", _fill(t, a, b, c), False)
    if kind in ("integer", "path_or_absent"):
        for t in LATER_OTHER:
            add("later_other_answer", _fill(t, a, b, c), False)
    for t in MANY:
        add("many_candidates", _fill(t, a, b, c), False)
    for t in CONTROL:
        add("control", _fill(t, a, b, c), True)
    for answer in _padding_controls(kind, a, b):
        add("control", answer, True)
    return out


def corpus() -> list[Case]:
    return [case for qtype in QUESTION_TYPES for case in type_cases(qtype)]


def wrong_verdicts(score) -> dict[str, tuple[int, int]]:
    """category -> (wrong verdicts, attempts) under ``score(question_type, expected, answer) -> bool``."""
    counts: dict[str, list[int]] = {}
    for case in corpus():
        entry = counts.setdefault(case.category, [0, 0])
        entry[0] += bool(score(case.question_type, case.expected, case.answer)) is not case.should_pass
        entry[1] += 1
    return {k: (v[0], v[1]) for k, v in counts.items()}


def main() -> None:
    from cpython_retrieval.scorers import score_answer

    counts = wrong_verdicts(lambda q, e, a: score_answer(q, e, a).correct)
    print(f"{'category':20} {'attempts':>8} {'wrong':>6}")
    for category, (wrong, total) in counts.items():
        print(f"{category:20} {total:8} {wrong:6}")
    print(f"{'total':20} {sum(t for _, t in counts.values()):8} {sum(w for w, _ in counts.values()):6}")


if __name__ == "__main__":
    main()
