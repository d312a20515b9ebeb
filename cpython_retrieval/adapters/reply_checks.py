"""Is a model's reply one to score? The checks both framework paths share (Inspect's solver/scorers, lm-eval's hooks).

A reply is credited only when the model finished it normally, it is the text the server sent, and it came from
the model that was asked:

- `finish_problem`: the finish reason is a normal stop (`stop`; `eos`, `end_turn`, `stop_sequence` from other
  servers). `length` (the output budget ran out), `content_filter` (a filter cut it), none at all (a cut or
  incomplete reply) or any other value are problems, never answers.
- `text_problem`: the text holds U+FFFD or a lone surrogate, i.e. the body was not valid UTF-8 (`requests`
  decodes such a body with replacement characters instead of failing).
- `model_problem`: the reply is stamped with another model's name. A server may add a snapshot suffix
  (`gpt-4o` -> `gpt-4o-2024-08-06`, `claude-x-latest` -> `claude-x-20241022`) or a provider prefix; anything else
  (`gpt-4o` -> `gpt-4o-mini`) is another model.
"""

from __future__ import annotations

import re

#: Finish reasons of a reply the model ended itself.
NORMAL_FINISH = frozenset({"stop", "eos", "end_turn", "stop_sequence"})
_KNOWN = {
    "length": "cut by the output budget (finish_reason length)",
    "max_tokens": "cut by the output budget (max_tokens)",
    "model_length": "cut by the model's context window",
    "content_filter": "cut by a content filter (finish_reason content_filter)",
}
#: What may follow a requested model name in the name a server stamps on its reply: a snapshot date or version.
_SNAPSHOT = re.compile(r"[-@:_.]?(\d{4}-?\d{2}-?\d{2}|\d{4}|\d{8}|v?\d+(\.\d+)*|latest|preview(-\d{2}-\d{2})?)")
_ALIAS = re.compile(r"[-@:](latest|preview)$")
_UNDECODABLE = re.compile("[\ufffd\ud800-\udfff]")


def finish_problem(finish_reason: object) -> str | None:
    """Why a reply with this finish reason is not scored, or None for a normal stop."""
    if finish_reason in NORMAL_FINISH:
        return None
    if finish_reason is None or finish_reason == "":
        return "no finish reason (a cut or incomplete reply)"
    if isinstance(finish_reason, str) and finish_reason in _KNOWN:
        return _KNOWN[finish_reason]
    return f"unknown finish reason {str(finish_reason)[:40]!r}"


def text_problem(text: object) -> str | None:
    """Why a reply's text is not scored (not a string, or decoded from invalid UTF-8), or None."""
    if not isinstance(text, str):
        return f"no text in the reply ({type(text).__name__})"
    match = _UNDECODABLE.search(text)
    if match:
        return f"undecodable reply (invalid UTF-8: {match.group()!a} at character {match.start()})"
    return None


def _names(name: str) -> set[str]:
    """A name, without its provider prefix, and without an alias suffix (`-latest` resolves to a dated name)."""
    name = name.strip().lower()
    names = {name, name.rsplit("/", 1)[-1]}
    return names | {_ALIAS.sub("", n) for n in names}


def model_problem(requested: object, reported: object) -> str | None:
    """Why a reply stamped `reported` is not the `requested` model's, or None (also when either is unknown)."""
    if not isinstance(requested, str) or not isinstance(reported, str) or not requested.strip() or not reported.strip():
        return None
    for want in _names(requested):
        for got in _names(reported):
            if got == want or got.startswith(want) and _SNAPSHOT.fullmatch(got[len(want):]):
                return None
    return f"reply stamped with another model's name ({reported[:80]!r}, asked {requested[:80]!r})"


__all__ = ["NORMAL_FINISH", "finish_problem", "model_problem", "text_problem"]
