"""The one verdict type every scorer returns, so adapters record the same fields."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

#: How much of an extracted answer a result keeps, so logs stay readable.
MAX_EXTRACTED_CHARS = 200


@dataclass(frozen=True)
class ScoreResult:
    """A verdict: ``value`` is 1.0 or 0.0, ``reason`` always says why (above all for a 0)."""

    correct: bool
    value: float
    extracted: str | None
    reason: str
    scorer: str = "ast_semantic"

    def as_dict(self) -> dict[str, Any]:
        """Plain dict for an adapter's sample metadata."""
        return asdict(self)


def _short(text: str | None) -> str | None:
    if text is None:
        return None
    return text if len(text) <= MAX_EXTRACTED_CHARS else text[: MAX_EXTRACTED_CHARS - 3] + "..."


def passed(extracted: str | None, reason: str = "match", scorer: str = "ast_semantic") -> ScoreResult:
    return ScoreResult(True, 1.0, _short(extracted), reason, scorer)


def failed(reason: str, extracted: str | None = None, scorer: str = "ast_semantic") -> ScoreResult:
    return ScoreResult(False, 0.0, _short(extracted), reason, scorer)
