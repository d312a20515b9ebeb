"""Inspect metrics of the retrieval tasks: Wilson-interval accuracy, breakdowns, perturbation and call figures.

Every metric reads what the primary scorer (`ast_semantic_match`) writes into `Score.metadata`
(question type, tier, depth, perturbed, memorized hit, and the per-call figures), so the numbers
can be recomputed from a log alone. Dict-valued metrics become one log metric per key.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

from inspect_ai.scorer import Metric, SampleScore, metric, value_to_float

from ..report.stats import Z95, percentile, wilson

_to_float = value_to_float()


def wilson_interval(successes: int, total: int, z: float = Z95) -> tuple[float, float, float]:
    """(proportion, low, high) of the Wilson score interval; (nan, nan, nan) for no data."""
    p = wilson(successes, total, z)
    return (math.nan if p.value is None else p.value), p.low, p.high


def _meta(s: SampleScore) -> dict[str, Any]:
    return s.score.metadata or {}


def _correct(s: SampleScore) -> bool:
    return _to_float(s.score.value) >= 1.0


def _accuracy(scores: list[SampleScore]) -> float | None:
    return sum(_correct(s) for s in scores) / len(scores) if scores else None


def _grouped(scores: list[SampleScore], key, prefix: str) -> dict[str, float]:
    groups: dict[str, list[SampleScore]] = defaultdict(list)
    for s in scores:
        groups[str(key(s))].append(s)
    return {f"{prefix}{name}": _accuracy(members) for name, members in sorted(groups.items())}


def depth_decile(depth: float | None) -> str:
    """`d0` .. `d9` for an answer's relative position in the context; `none` for absent-symbol rows."""
    return "none" if depth is None else f"d{min(9, int(float(depth) * 10))}"


@metric
def accuracy_wilson() -> Metric:
    """Accuracy with its Wilson 95% interval: `accuracy`, `accuracy_ci_low`, `accuracy_ci_high`."""

    def compute(scores: list[SampleScore]) -> dict[str, float]:
        p, low, high = wilson_interval(sum(_correct(s) for s in scores), len(scores))
        return {"accuracy": p, "accuracy_ci_low": low, "accuracy_ci_high": high}

    return compute


@metric
def accuracy_by_question_type() -> Metric:
    """Accuracy per question type: `type_<question_type>`."""

    def compute(scores: list[SampleScore]) -> dict[str, float]:
        return _grouped(scores, lambda s: _meta(s).get("question_type"), "type_")

    return compute


@metric
def accuracy_by_tier() -> Metric:
    """Accuracy per tier: `tier_<T25...>` (several tiers meet when logs are combined)."""

    def compute(scores: list[SampleScore]) -> dict[str, float]:
        return _grouped(scores, lambda s: _meta(s).get("tier"), "tier_")

    return compute


@metric
def accuracy_by_depth() -> Metric:
    """Accuracy per depth decile of the answer in the context: `depth_d0` .. `depth_d9`, `depth_none`."""

    def compute(scores: list[SampleScore]) -> dict[str, float]:
        return _grouped(scores, lambda s: depth_decile(_meta(s).get("depth")), "depth_")

    return compute


@metric
def perturbation_split() -> Metric:
    """`ordinary_accuracy`, `perturbed_accuracy`, and `memorized_rate`: the share of perturbed rows
    answered with the real stdlib's (original) answer instead of the context's."""

    def compute(scores: list[SampleScore]) -> dict[str, float | None]:
        ordinary = [s for s in scores if not _meta(s).get("perturbed")]
        perturbed = [s for s in scores if _meta(s).get("perturbed")]
        hits = [_meta(s)["memorized_hit"] for s in perturbed if _meta(s).get("memorized_hit") is not None]
        return {
            "ordinary_accuracy": _accuracy(ordinary),
            "perturbed_accuracy": _accuracy(perturbed),
            "memorized_rate": sum(hits) / len(hits) if hits else None,
        }

    return compute


@metric
def drift_split() -> Metric:
    """`drift_accuracy` on drift rows (facts changed since an older release), and `stale_rate`: the share of drift
    rows with a known older value answered with that value (what recalling the older release gives)."""

    def compute(scores: list[SampleScore]) -> dict[str, float | None]:
        drift = [s for s in scores if _meta(s).get("drift")]
        hits = [_meta(s)["stale_hit"] for s in drift if _meta(s).get("stale_hit") is not None]
        return {"drift_accuracy": _accuracy(drift), "stale_rate": sum(hits) / len(hits) if hits else None}

    return compute


def call_summary(calls: list[dict[str, Any]]) -> dict[str, float | None]:
    """Median/p90 TTFT and latency of cold and warm calls, cached-token shares, TTFT coverage, the share of
    calls that needed a retry (over calls whose retries are known), cost."""
    out: dict[str, float | None] = {}
    for label, group in (("cold", [c for c in calls if c.get("trial") == 0]),
                         ("warm", [c for c in calls if (c.get("trial") or 0) > 0])):
        ttft = [c.get("ttft_s") for c in group]
        latency = [c.get("latency_s") for c in group]
        out[f"{label}_ttft_median"] = percentile(ttft, 50)
        out[f"{label}_ttft_p90"] = percentile(ttft, 90)
        out[f"{label}_latency_median"] = percentile(latency, 50)
        out[f"{label}_latency_p90"] = percentile(latency, 90)
        known = [c for c in group if c.get("cached_read_tokens") is not None and c.get("input_tokens")]
        total = sum(c["input_tokens"] for c in known)
        out[f"{label}_cached_share"] = sum(c["cached_read_tokens"] for c in known) / total if total else None
    known = [c for c in calls if c.get("cached_read_tokens") is not None and c.get("input_tokens")]
    total = sum(c["input_tokens"] for c in known)
    out["cached_share"] = sum(c["cached_read_tokens"] for c in known) / total if total else None
    out["ttft_available"] = sum(c.get("ttft_s") is not None for c in calls) / len(calls) if calls else None
    counted = [c["retries"] for c in calls if c.get("retries") is not None]
    out["retried_share"] = sum(r > 0 for r in counted) / len(counted) if counted else None
    costs = [c["cost_usd"] for c in calls if c.get("cost_usd") is not None]
    out["cost_usd"] = sum(costs) if costs else None
    return out


@metric
def call_stats() -> Metric:
    """Per-call timing and cache figures over all samples' calls (see `call_summary`)."""

    def compute(scores: list[SampleScore]) -> dict[str, float | None]:
        return call_summary([c for s in scores for c in (_meta(s).get("calls") or [])])

    return compute


@metric
def judged_accuracy() -> Metric:
    """The judge's accuracy over the samples it gave a readable verdict on, and how many it did not."""

    def compute(scores: list[SampleScore]) -> dict[str, float | None]:
        verdicts = [_meta(s).get("judge_correct") for s in scores]
        scored = [v for v in verdicts if v is not None]
        return {"judge_accuracy": sum(scored) / len(scored) if scored else None,
                "judge_unscored": float(len(verdicts) - len(scored))}

    return compute
