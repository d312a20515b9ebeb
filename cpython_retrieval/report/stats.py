"""The statistics the report states: Wilson intervals, exact McNemar, paired bootstrap, percentiles."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Proportion:
    successes: int
    total: int
    low: float
    high: float

    @property
    def value(self) -> float | None:
        return self.successes / self.total if self.total else None


def wilson(successes: int, total: int, z: float = Z95) -> Proportion:
    """Wilson score interval: sane at 0% and 100% and for small n, unlike the normal approximation."""
    if total == 0:
        return Proportion(0, 0, math.nan, math.nan)
    p = successes / total
    denom = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denom
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denom
    low = 0.0 if successes == 0 else max(0.0, centre - half)  # exact at the edges, no rounding residue
    high = 1.0 if successes == total else min(1.0, centre + half)
    return Proportion(successes, total, low, high)


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value from the discordant pairs (b: only A right, c: only B right)."""
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def paired_bootstrap(a: list[bool], b: list[bool], *, resamples: int = 10_000, seed: int = 0) -> tuple[float, float, float]:
    """(mean difference A-B, 2.5th, 97.5th percentile) over resampled paired rows."""
    if len(a) != len(b) or not a:
        raise ValueError("paired samples of equal, non-zero length are required")
    diffs = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    rng = np.random.default_rng(seed)
    means = diffs[rng.integers(0, len(diffs), size=(resamples, len(diffs)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return float(diffs.mean()), float(low), float(high)


def percentile(values, q: float) -> float | None:
    """Linear-interpolation percentile, q in [0, 100]; None for no data."""
    data = [v for v in values if v is not None]
    return float(np.percentile(data, q)) if data else None


def effective_length(scores_by_tier: dict[str, float | None], threshold: float) -> str | None:
    """The longest tier whose score, and every shorter tier's, stays at or above the threshold (RULER, NoLiMa)."""
    from ..generate.contexts import tier_budget

    best = None
    for tier in sorted(scores_by_tier, key=tier_budget):
        score = scores_by_tier[tier]
        if score is None or score < threshold:
            break
        best = tier
    return best
