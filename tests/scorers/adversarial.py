"""An adversarial corpus for score_answer: contradicting, hedged and tricky-but-right answers, per question type.

Built from ``QUESTION_TYPES`` and one sample expected answer (plus a wrong one) per ``answer_kind``, so a
type added later is covered as soon as its answer_kind has samples here. Used by
``test_scorers_adversarial.py``; run it as a script to count how many answers of each category a scorer
accepts (``python tests/scorers/adversarial.py``; with ``PYTHONPATH`` pointing at another checkout it
measures that checkout's scorer).
"""

from __future__ import annotations

from dataclasses import dataclass

from cpython_retrieval.question_types import NOT_PRESENT, QUESTION_TYPES

#: answer_kind -> sample expected answers (each is scored against every template).
SAMPLES: dict[str, tuple[str, ...]] = {
    "expression": ("Optional[str]",),
    "path_or_absent": ("Lib/traceback.py", NOT_PRESENT),
    "call_arguments": ("Mapping, metaclass=ABCMeta",),
    "integer": ("25",),
    "expression_list": ("@property\n@abstractmethod",),
    "text_line": ("Return a new dict.",),
    "name_list": ("self, level, msg, *args",),
    "dotted_name": ("FrameSummary",),
}

#: answer_kind -> different answers of the same kind; the first that differs from the expected one is used.
WRONG: dict[str, tuple[str, ...]] = {
    "expression": ("int", "str"),
    "path_or_absent": ("Lib/json/decoder.py", NOT_PRESENT),
    "call_arguments": ("Sequence", "Mapping"),
    "integer": ("26", "24"),
    "expression_list": ("@staticmethod", "@property"),
    "text_line": ("Return a new list.", "Return a dict."),
    "name_list": ("self, level, msg, args", "self, level"),
    "dotted_name": ("StackSummary", "FrameSummaryBase"),
}

# --- templates: {a} is the answer to judge, {b} a different answer -----------------------------------

NEGATION = (
    "not {a}",
    "Not {a}.",
    "The answer is not {a}.",
    "It is not {a}.",
    "It's not {a}.",
    "It isn't {a}.",
    "The answer isn't {a}.",
    "It can't be {a}.",
    "Definitely not {a}.",
    "It is certainly not {a}.",
    "I don't think it's {a}.",
    "Not `{a}`.",
    "Answer: not {a}",
    "<answer>not {a}</answer>",
    "{a} is wrong.",
    "{a} is incorrect.",
    "{a} is not the answer.",
    "{a} is not correct.",
    "{a} (wrong)",
    "Answer: {a} is wrong",
)

CORRECTION_MARKERS = (
    "Actually,",
    "Actually it's",
    "**Actually**,",
    "Correction:",
    "Update:",
    "Edit:",
    "Revised answer:",
    "Just kidding,",
    "Just kidding, it's",
    "No wait,",
    "No, wait:",
    "Wait, no,",
    "Sorry, I meant",
    "Oops, I meant",
    "I meant",
    "Scratch that:",
    "Strike that:",
    "On second thought,",
    "Never mind,",
    "I was wrong:",
    "That's wrong;",
    "My mistake:",
    "Let me correct that:",
    "I take that back:",
    "Disregard that:",
    "or rather",
    "I mean",
    "Hmm, no:",
)

#: {m} is a correction marker.
CORRECTION = (
    "{a}\n\n{m} {b}",
    "{b}\n\n{m} {a}",
    "{a}. {m} {b}",
    "{b}. {m} {a}",
    "Answer: {a}\n\n{m} {b}",
    "Answer: {b}\n\n{m} {a}",
    "<answer>{a}</answer>\n{m} {b}",
)

#: A correction that takes the answer back without giving another.
RETRACTION = (
    "{a}\n\nScratch that.",
    "{a}\n\nJust kidding.",
    "{a}\n\nActually, no.",
    "{a}\n\nNever mind.",
    "{a}? No.",
    "{a}\n\nThat's wrong.",
    "Answer: {a}\n\nCorrection: I am not sure.",
)

FINAL_VS_EARLIER = (
    "Answer: {b}\n\nFinal answer: {a}",
    "Answer: {a}\n\nFinal answer: {b}",
    "The answer is {b}.\n\nFinal answer: {a}",
    "The answer is {b}. Hmm, wait, recount.\nFinal answer: {a}",
    "**Answer:** {b}\n\n**Final answer:** {a}",
    "The final answer is {a}. Answer: {b}",
    "Answer: {b}\n\nLet me double-check.\n\nThe correct answer is {a}.",
    "Answer: {b}\n<answer>{a}</answer>",
    "<answer>{a}</answer>\nAnswer: {b}",
    "The answer is {b}.\n<answer>{a}</answer>",
    "<answer>{a}\n\nFinal answer: {b}</answer>",
)

DISAGREEING_TAGS = (
    "<answer>{b}</answer><answer>{a}</answer>",
    "<answer>{a}</answer>\n<answer>{b}</answer>",
    "<answer>{b}</answer>\nHmm.\n<answer>{a}</answer>",
    "<answer>{b}. Let me check.</answer>\n<answer>{a}</answer>",
    "<answer>Answer: {b}</answer><answer>{a}</answer>",
)

HEDGES = (
    "Maybe {a}.",
    "Maybe, {a}.",
    "I think it's {a}",
    "I think it is {a}.",
    "I think the answer is {a}.",
    "probably {a}",
    "Probably {a}.",
    "It's probably {a}.",
    "It is likely {a}.",
    "Most likely {a}.",
    "Possibly {a}",
    "Perhaps {a}?",
    "I guess {a}",
    "I'd say {a}.",
    "My best guess: {a}",
    "If I'm not mistaken, {a}.",
    "I believe the answer is {a}.",
    "I'm not sure, but {a}",
    "Not entirely sure, but {a}.",
    "I don't know for sure, but {a}",
    "I'm not 100% sure, but I think it's {a}.",
    "I'm fairly confident it's {a}.",
    "It might be {a}.",
    "It seems to be {a}.",
    "{a} (I think)",
    "{a}, I believe.",
    "{a}, but I'm not certain.",
    "{a}?",
)

#: Answers that look adversarial but state the answer once, uncontradicted: they must pass.
BENIGN = (
    "Actually, {a}.",
    "Actually, it's {a}.",
    "<think>Maybe {b}? Actually no. Not {a}? Scratch that, it is {a}.</think>\n{a}",
    "<think>Answer: {b}</think>\nAnswer: {a}",
    "Answer: {a}\n\nFinal answer: {a}",
    "<answer>{a}</answer>\nAnswer: {a}",
    "<answer>{a}</answer><answer>{a}</answer>",
    "The answer is {a}.\n<answer>{a}</answer>",
    "Let me check the context first. The answer is {a}.",
    "Answer: {a}\n\nThis is not a guess.",
    "Answer: {a}\n\nI did not count anything twice.",
    "Well, {a}.",
)

#: (expected, answer) pairs that must pass for every type of the kind: absence wordings, and docstring
#: lines that themselves say "not", "actually", "answer is", "maybe", "wrong" or "Update:".
BENIGN_SPECIFIC: dict[str, tuple[tuple[str, str], ...]] = {
    "path_or_absent": (
        (NOT_PRESENT, NOT_PRESENT),
        (NOT_PRESENT, "not present"),
        (NOT_PRESENT, "The class is not in the context."),
        (NOT_PRESENT, "It is not defined in any of the provided files."),
        (NOT_PRESENT, "It isn't in any of the files."),
        (NOT_PRESENT, "I could not find it; NOT PRESENT."),
        (NOT_PRESENT, "Answer: NOT PRESENT (it is not in the context)"),
        (NOT_PRESENT, "I'm not sure, but it is not in the context."),
        ("Lib/traceback.py", "It is defined in Lib/traceback.py, not in any other file."),
    ),
    "text_line": tuple(
        pair
        for line in (
            "Do not call this directly.",
            "Actually send the request.",
            "The answer is not cached.",
            "Update: refresh the cache.",
            "Maybe return the cached value.",
            "Return True if the value is wrong.",
            "Sorry, I meant to say no.",
            "Not implemented.",
            "Return x, rather than y.",
        )
        for pair in (
            (line, line),
            (line, f"The first line of the docstring is: {line}"),
            (line, f"<answer>{line}</answer>"),
            (line, f'It reads "{line}"'),
            *([(line, f"Answer: {line}")] if "answer" not in line.lower() else []),
        )
    ),
    "integer": (
        ("25", "I'm not 100% sure, but 25."),
        ("25", "Twenty-five, not counting methods."),
    ),
    "name_list": (
        ("self, level, msg, *args", "self, level, msg, *args"),
        ("self, wrong, maybe", "self, wrong, maybe"),
    ),
    "dotted_name": (("Update", "Update"), ("Actually", "`Actually`")),
}


@dataclass(frozen=True)
class Case:
    """One answer to score: ``should_pass`` is the verdict the documented rules give."""

    category: str
    question_type: str
    expected: str
    answer: str
    should_pass: bool


#: Categories whose answers contradict themselves (the "contradicting" total of the report).
CONTRADICTING = ("negation", "self_correction", "retraction", "final_vs_earlier", "disagreeing_tags")


def one_line(answer: str) -> str:
    """An answer written inside a sentence: decorators joined by commas, a docstring's final period dropped."""
    return answer.replace("\n", ", ").rstrip(".")


def wrong_for(kind: str, expected: str) -> str:
    return next(w for w in WRONG[kind] if w.strip() != expected.strip())


def _fill(template: str, a: str, b: str, m: str = "") -> str:
    return template.replace("{m}", m).replace("{a}", a).replace("{b}", b)


def kind_cases(question_type: str, expected: str) -> list[Case]:
    """Every template for one question type and one expected answer."""
    kind = QUESTION_TYPES[question_type].answer_kind
    a, b = one_line(expected), one_line(wrong_for(kind, expected))
    out: list[Case] = []

    def add(category: str, answer: str, should_pass: bool) -> None:
        out.append(Case(category, question_type, expected, answer, should_pass))

    for t in NEGATION:
        add("negation", _fill(t, a, b), False)
    for t in CORRECTION:
        for m in CORRECTION_MARKERS:
            add("self_correction", _fill(t, a, b, m), False)
    for t in RETRACTION:
        add("retraction", _fill(t, a, b), False)
    for t in FINAL_VS_EARLIER:
        add("final_vs_earlier", _fill(t, a, b), False)
    for t in DISAGREEING_TAGS:
        add("disagreeing_tags", _fill(t, a, b), False)
    for t in HEDGES:
        add("hedge_right", _fill(t, a, b), True)
        add("hedge_wrong", _fill(t, b, a), False)
    for t in BENIGN:
        add("benign", _fill(t, a, b), True)
    return out


def type_samples() -> list[tuple[str, str]]:
    """(question_type, expected) pairs: each type with its kind's samples and its own example answer."""
    pairs = []
    for name, qt in QUESTION_TYPES.items():
        for expected in dict.fromkeys((*SAMPLES[qt.answer_kind], qt.example_answer)):
            pairs.append((name, expected))
    return pairs


def corpus() -> list[Case]:
    """The whole corpus, in a stable order."""
    cases: list[Case] = []
    for question_type, expected in type_samples():
        cases.extend(kind_cases(question_type, expected))
    for name, qt in QUESTION_TYPES.items():
        for expected, answer in BENIGN_SPECIFIC.get(qt.answer_kind, ()):
            cases.append(Case("benign", name, expected, answer, True))
    return cases


def tally(score) -> dict[str, tuple[int, int]]:
    """category -> (accepted, total) under ``score(question_type, expected, answer) -> bool``."""
    counts: dict[str, list[int]] = {}
    for case in corpus():
        accepted = bool(score(case.question_type, case.expected, case.answer))
        entry = counts.setdefault(case.category, [0, 0])
        entry[0] += accepted
        entry[1] += 1
    return {k: (v[0], v[1]) for k, v in counts.items()}


def main() -> None:
    from cpython_retrieval.scorers import score_answer

    counts = tally(lambda q, e, a: score_answer(q, e, a).correct)
    contradicting = [counts[c] for c in CONTRADICTING]
    for category, (accepted, total) in counts.items():
        print(f"{category:18} accepted {accepted:4} of {total:4}")
    print(f"{'contradicting':18} accepted {sum(c[0] for c in contradicting):4} of {sum(c[1] for c in contradicting):4}")


if __name__ == "__main__":
    main()
