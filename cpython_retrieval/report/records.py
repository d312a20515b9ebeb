"""The report's input: one normalized record per (model, row, epoch), whichever framework produced the log."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..question_types import QUESTION_TYPES

#: The family of a question type no QUESTION_TYPES entry names (a log from a newer generator): the
#: older types are all single-needle, and a row is never dropped for an unknown type.
DEFAULT_FAMILY = "single_needle"

#: Models that are not contestants but reference points: shown beside the others, labelled for what they are.
SEARCH_FLOOR_MODELS = ("cpython_retrieval/grep",)


def model_label(model: str) -> str:
    """The name a table or legend shows: a search-floor model says so."""
    return f"{model} (search floor)" if model in SEARCH_FLOOR_MODELS else model


@dataclass(frozen=True)
class CallRecord:
    """One model call on a row: the cold call (trial 0) or a warm repeat."""

    trial: int
    latency_s: float | None = None
    ttft_s: float | None = None  # None when the provider gave no streaming measurement
    input_tokens: int | None = None
    output_tokens: int | None = None
    cached_read_tokens: int | None = None  # None: the provider reported no cache figure (not measured, not 0)
    cached_write_tokens: int | None = None
    cost_usd: float | None = None

    @property
    def cold(self) -> bool:
        return self.trial == 0


@dataclass(frozen=True)
class DatasetIdentity:
    """Which dataset a run answered: None where the log predates the field (unknown, never guessed)."""

    fingerprint: str | None = None
    cpython_version: str | None = None
    generator_version: str | None = None


@dataclass(frozen=True)
class LogInfo:
    """The log a record came from, for the report's inputs table and for telling a retry from a rerun."""

    path: str = ""
    framework: str = ""  # "inspect" or "lm-eval"
    task: str = ""
    run: str = ""  # Inspect's task_id, which `inspect eval-retry` keeps; lm-eval: task and model
    created: str = ""  # ISO 8601; among logs holding the same sample, the latest attempt wins
    status: str = ""
    samples: int = 0  # samples in the log, scored or not
    scored: int = 0


@dataclass(frozen=True)
class RowRecord:
    model: str
    source: str  # "inspect:" or "lm-eval:", and the log file
    row_id: str
    tier: str
    question_type: str
    correct: bool  # primary: AST-semantic match on the cold answer
    depth: float | None = None
    perturbed: bool = False
    perturbation_kind: str | None = None
    pair_id: str | None = None
    context_id: str | None = None  # rows sharing a context are one cluster for the intervals
    cluster: str | None = None  # set by `analyses.assign_clusters`: the context, merged with its perturbed twin's
    no_context: bool = False
    substring_correct: bool | None = None
    judge_correct: bool | None = None  # None: not judged, or unscored
    memorized_hit: bool | None = None  # perturbed rows: answered what the real stdlib says
    drift: bool = False  # the fact changed between stale_pin and the dataset's pin
    stale_answer: str | None = None
    stale_pin: str | None = None
    stale_hit: bool | None = None  # drift rows: answered the older release's fact
    question: str = ""
    expected: str = ""
    answer: str = ""
    calls: tuple[CallRecord, ...] = field(default_factory=tuple)
    epoch: int = 1  # Inspect --epochs repeats a sample; each epoch is its own record
    dataset: DatasetIdentity = field(default_factory=DatasetIdentity)
    log: LogInfo = field(default_factory=LogInfo)

    @property
    def key(self) -> tuple[str, bool, int]:
        """Rows are paired across models by id, the closed-book flag and the epoch."""
        return (self.row_id, self.no_context, self.epoch)

    @property
    def family(self) -> str:
        """single_needle, two_hop or aggregation, from the question type."""
        qt = QUESTION_TYPES.get(self.question_type)
        return qt.family if qt is not None else DEFAULT_FAMILY

    @property
    def cluster_key(self) -> str:
        """The cluster of the intervals: the assigned one, else the context, else the tier (one context per tier
        was the design before several contexts per tier)."""
        return self.cluster or self.context_id or f"tier:{self.tier}"

    @property
    def variant(self) -> str:
        return "drift" if self.drift else "perturbed" if self.perturbed else "ordinary"
