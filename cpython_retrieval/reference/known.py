"""The known-accuracy reference model: right with a probability set by design, so the report's statistics can be checked.

A real model's true accuracy is unknown, so nothing shows whether the report's intervals cover it. This model's is
known: a row is answered right when a seeded hash of (seed, row id) falls below

    p = TIER_ACCURACY[tier] + DEPTH_EFFECT * (1 - 2 * depth) + FAMILY_EFFECT[family] + u(seed, context)

where u is the context's own effect, uniform on [-CONTEXT_EFFECT, CONTEXT_EFFECT] from a seeded hash of (seed,
context id): a random per-context effect, like a context that happens to be easy or hard. Its mean is 0, so
the true accuracy of a set of rows (over contexts drawn at random) is the mean of `expected_probability` over
them; p stays inside [0, 1] for every combination, so nothing is clipped and that mean is exact.

When a row is to be answered right the answer is the oracle's (read from the prompt's files); otherwise it is
`WRONG_ANSWER`, which no scorer credits. With `TIER_ACCURACY` and the default threshold 0.8, the known effective
context length is T100 for single-needle rows (0.89 at T100, 0.66 at T200).
"""

from __future__ import annotations

import hashlib

from ..generate.contexts import tier_budget

#: True accuracy per tier for single-needle rows at mid depth, before the context effect.
TIER_ACCURACY = {"T25": 0.90, "T50": 0.90, "T100": 0.89, "T200": 0.66, "T500": 0.52, "T1000": 0.38}
#: Added at depth 0 (the start of the context), subtracted at depth 1: mean 0 over uniform depths.
DEPTH_EFFECT = 0.02
FAMILY_EFFECT = {"single_needle": 0.0, "two_hop": -0.05, "aggregation": -0.10}
#: Half-width of the uniform per-context effect (standard deviation 0.08 / sqrt(3) = 0.046).
CONTEXT_EFFECT = 0.08
#: An answer no question type accepts (no path, number, name list or NOT PRESENT in it).
WRONG_ANSWER = "(known-accuracy model: deliberately wrong answer)"


def _unit(*parts: object) -> float:
    """A number in [0, 1) from a hash of the parts: the same on every machine and process (never `hash()`)."""
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def context_effect(seed: int, context_id: str) -> float:
    return (2 * _unit(seed, "context", context_id) - 1) * CONTEXT_EFFECT


def expected_probability(tier: str, depth: float | None, family: str) -> float:
    """The probability of a right answer averaged over contexts (the context effect's mean is 0)."""
    base = TIER_ACCURACY.get(tier)
    if base is None:  # a tier outside the table: interpolate on the token budget, in the table's range
        known = sorted(TIER_ACCURACY, key=tier_budget)
        budget = tier_budget(tier)
        below = [t for t in known if tier_budget(t) <= budget] or known[:1]
        base = TIER_ACCURACY[below[-1]]
    depth_term = 0.0 if depth is None else DEPTH_EFFECT * (1 - 2 * min(1.0, max(0.0, float(depth))))
    return base + depth_term + FAMILY_EFFECT.get(family, 0.0)


def probability(seed: int, tier: str, depth: float | None, family: str, context_id: str) -> float:
    """The probability of a right answer on a row of this context (inside (0, 1) for every input)."""
    return expected_probability(tier, depth, family) + context_effect(seed, context_id)


def answers_right(seed: int, row_id: str, tier: str, depth: float | None, family: str, context_id: str) -> bool:
    """The model's decision for a row: a seeded hash of (seed, row id) against the row's probability."""
    return _unit(seed, "row", row_id) < probability(seed, tier, depth, family, context_id)


def known_effective_length(threshold: float, family: str = "single_needle") -> str | None:
    """The effective context length the model has by design (mid depth, context effect averaged out)."""
    best = None
    for tier in sorted(TIER_ACCURACY, key=tier_budget):
        if expected_probability(tier, 0.5, family) < threshold:
            break
        best = tier
    return best
