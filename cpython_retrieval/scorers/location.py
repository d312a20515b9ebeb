"""Location answers: one path, or "not present" in any wording, or several (a failure)."""

from __future__ import annotations

import re

from ..question_types import NOT_PRESENT
from .candidates import Found, resolve
from .extract import clean, strip_bullet
from .normalize import PATH_TOKEN, find_paths

_WHERE = (
    r"(?:the\s+|any\s+(?:of\s+the\s+)?|these\s+|this\s+)?"
    r"(?:provided\s+|given\s+|supplied\s+|above\s+|shown\s+|included\s+|available\s+)?"
    r"(?:context|files?|code(?:base)?|sources?|source\s+files?|documents?|snippets?|repository|input|modules?)"
)
_ABSENT = re.compile(
    "|".join(
        [
            r"\bnot[\s_-]*present\b",
            rf"\bnot\s+(?:[\w-]+\s+){{0,3}}?(?:in|within|among|inside|part\s+of|anywhere\s+in)\s+{_WHERE}",
            rf"\b(?:isn't|aren't|wasn't)\s+(?:[\w-]+\s+){{0,3}}?(?:in|within|among|inside)\s+{_WHERE}",
            r"\b(?:no|none\s+of\s+the)\s+(?:provided\s+|given\s+)?(?:files?|modules?)\s+(?:in\s+the\s+context\s+)?"
            r"(?:defines?|contains?|declares?|includes?)\b",
            r"\b(?:cannot|can't|could\s+not|couldn't|unable\s+to)\s+(?:be\s+)?(?:find|found|locate|located)\b",
            r"\bdoes(?:n't|\s+not)\s+(?:appear|exist)\b",
            r"\bnot\s+(?:defined|found|declared)\s+anywhere\b",
            r"\bnowhere\s+in\s+" + _WHERE,
        ]
    ),
    re.I,
)
_BARE_ABSENT = re.compile(r"^\W*(?:n/?a|none|absent|not\s+found|missing)\W*$", re.I)


def mentions_absence(text: str) -> bool:
    """``text`` claims the class is absent (whatever else it says)."""
    return bool(_ABSENT.search(text) or _BARE_ABSENT.match(text))


def is_bare_absence(text: str) -> bool:
    """``text`` is only an absence claim, e.g. a final line ``NOT PRESENT``."""
    return mentions_absence(text) and not find_paths(text) and len(text.strip()) <= 200


def find_location(text: str) -> Found[str]:
    """Distinct normalised paths, plus NOT_PRESENT first when the text claims absence."""
    items = find_paths(text)
    if mentions_absence(text):
        items = [NOT_PRESENT, *items]
    return Found(items, None if items else "no path found")


def bare_location(line: str) -> bool:
    """The line is, in its entirety, one path or one absence claim (for the final-line rule)."""
    line = clean(strip_bullet(line)).strip("'\"")
    return bool(PATH_TOKEN.fullmatch(line)) or is_bare_absence(line)


_MODULE_LIKE = re.compile(r"[\w-]+(?:[./\\][\w-]+)+(?:\.py)?")
_PLACE_WORD = re.compile(r"\b(?:package|module|file|directory|folder|library)\b", re.I)


def is_location_candidate(text: str) -> bool:
    """``text`` alone names some place, right or wrong: a path, an absence claim, or a module written loosely
    (``json/decoder``, ``email.parser``, "the email package"), so "NOT PRESENT or json/decoder" offers two."""
    line = clean(strip_bullet(text)).strip("'\"")
    if bare_location(line) or _MODULE_LIKE.fullmatch(line):
        return True
    return bool(_PLACE_WORD.search(line)) and len(line.split()) <= 6


def read_location(region: str, *, final_line: bool = True) -> Found[str]:
    """What a location answer says, with the final-line rule applied unless the region was marked."""
    return resolve(region, find_location, bare_location, final_line=final_line)


def absence_spans(text: str) -> list[tuple[int, int]]:
    """Where ``text`` words absence: the "not" in "not in the context" is the answer's own word."""
    return [m.span() for m in _ABSENT.finditer(text)]


def is_bare_location(text: str) -> bool:
    """The whole text is one path or one absence phrase ("NOT PRESENT", "N/A"), no other words."""
    line = clean(text).strip("'\"")
    return bool(PATH_TOKEN.fullmatch(line) or _ABSENT.fullmatch(line) or _BARE_ABSENT.match(line))
