"""The prompt every adapter sends: instructions, then the context in its own block, then the question.

One text for Inspect and lm-eval alike. The context sits in the middle so that all rows of a tier
share one cacheable prefix (instructions + context), and the question, which differs per row, is last.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

INSTRUCTIONS = (
    "You will be shown the source code of several files from the Python standard library, each introduced by a "
    "header line `# ===== File: Lib/<path> =====`. Answer the question that follows them using only these files: "
    "they may differ from the standard library you know, and where they differ, the files are right. "
    "Reply with the answer alone, in the format the question asks for, without explanation."
)

CLOSED_BOOK_INSTRUCTIONS = (
    "Answer the following question about the source code of the Python standard library (`Lib/` of CPython "
    "{version}) from memory. Reply with the answer alone, in the format the question asks for, without explanation."
)

#: Every file of a context is one segment: this header, the file's text, a blank line.
HEADER_TEMPLATE = "# ===== File: {path} =====\n"
HEADER_PATTERN = re.compile(r"^# ===== File: (\S+) =====$", re.MULTILINE)


def segment_text(display_path: str, text: str) -> str:
    body = text if text.endswith("\n") else text + "\n"
    return HEADER_TEMPLATE.format(path=display_path) + body + "\n"


def header_length(display_path: str) -> int:
    return len(HEADER_TEMPLATE.format(path=display_path))


CONTEXT_OPEN = "<files>\n"
CONTEXT_CLOSE = "</files>"
#: Opens the per-question part of every prompt (everything before its last occurrence is shared by a context's rows).
QUESTION_MARK = "Question: "


@dataclass(frozen=True)
class PromptParts:
    instructions: str
    context_block: str | None  # None for the closed-book (no_context) control
    question_block: str

    def as_text(self) -> str:
        """One string, for completion-style backends."""
        parts = [self.instructions]
        if self.context_block is not None:
            parts.append(self.context_block)
        parts.append(self.question_block)
        return "\n\n".join(parts)


def prompt_parts(question: str, context: str | None, *, cpython_version: str = "", no_context: bool = False) -> PromptParts:
    if no_context:
        return PromptParts(CLOSED_BOOK_INSTRUCTIONS.format(version=cpython_version or "3"), None, f"{QUESTION_MARK}{question}")
    if context is None:
        raise ValueError("a context is required unless no_context=True")
    return PromptParts(INSTRUCTIONS, f"{CONTEXT_OPEN}{context}{CONTEXT_CLOSE}", f"{QUESTION_MARK}{question}")


def render_prompt(question: str, context: str | None, *, cpython_version: str = "", no_context: bool = False) -> str:
    return prompt_parts(question, context, cpython_version=cpython_version, no_context=no_context).as_text()
