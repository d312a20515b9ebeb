"""The report's input: one normalized record per (model, row), whichever framework produced the log."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class CallRecord:
    """One model call on a row: the cold call (trial 0) or a warm repeat."""

    trial: int
    latency_s: float | None = None
    ttft_s: float | None = None  # None when the provider gave no streaming measurement
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_read_tokens: int | None = None
    cached_write_tokens: int | None = None
    cost_usd: float | None = None

    @property
    def cold(self) -> bool:
        return self.trial == 0


@dataclass(frozen=True)
class RowRecord:
    model: str
    source: str  # "inspect" or "lm-eval", and the log file
    row_id: str
    tier: str
    question_type: str
    correct: bool  # primary: AST-semantic match on the cold answer
    depth: float | None = None
    perturbed: bool = False
    perturbation_kind: str | None = None
    pair_id: str | None = None
    no_context: bool = False
    substring_correct: bool | None = None
    judge_correct: bool | None = None  # None: not judged, or unscored
    memorized_hit: bool | None = None  # perturbed rows: answered what the real stdlib says
    question: str = ""
    expected: str = ""
    answer: str = ""
    calls: tuple[CallRecord, ...] = field(default_factory=tuple)

    @property
    def key(self) -> tuple[str, bool]:
        """Rows are paired across models by id and the closed-book flag."""
        return (self.row_id, self.no_context)
