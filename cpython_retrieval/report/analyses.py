"""The study's analyses over normalized row records; each returns plain data (JSON-ready) for tables and charts."""

from __future__ import annotations

import dataclasses
import math
from collections import defaultdict
from itertools import combinations

from ..generate.contexts import tier_budget
from ..question_types import FAMILIES, QUESTION_TYPES
from .prices import Prices
from .records import RowRecord
from .stats import (
    MIN_ROWS,
    POWER,
    Estimate,
    blended,
    clustered_proportion,
    effective_length,
    mcnemar_exact,
    paired_difference,
    percentile,
    wilson,
)

SLOW_CALL_S = 10.0


def assign_clusters(records: list[RowRecord]) -> list[RowRecord]:
    """Each record with its cluster: its context, merged with the context of its pair's row (a perturbed row and
    the ordinary row it was made from ask the same question, so they are not independent either)."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: str, b: str) -> None:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)  # the smaller name is the root: the same clusters in any order

    context_of = {r.row_id: r.cluster_key for r in records}
    for r in records:
        find(r.cluster_key)
        if r.pair_id and r.pair_id in context_of:
            union(r.cluster_key, context_of[r.pair_id])
    return [dataclasses.replace(r, cluster=find(r.cluster_key)) for r in records]


def _prop(rows: list[RowRecord]) -> dict:
    return _estimate(clustered_proportion([r.correct for r in rows], [r.cluster_key for r in rows],
                                          [r.tier for r in rows]), sum(r.correct for r in rows))


def _flags(values, rows: list[RowRecord] | None = None) -> dict:
    """A rate over the rows where a flag was measured (None: not measured, left out), with its interval
    (clustered by the rows' contexts when the rows are given)."""
    clusters = [r.cluster_key for r in rows] if rows is not None else list(range(len(values)))
    strata = [r.tier for r in rows] if rows is not None else [""] * len(values)
    kept = [(bool(v), c, s) for v, c, s in zip(values, clusters, strata, strict=True) if v is not None]
    return _estimate(clustered_proportion([v for v, _, _ in kept], [c for _, c, _ in kept], [s for _, _, s in kept]),
                     sum(v for v, _, _ in kept))


def _estimate(e: Estimate, successes: int) -> dict:
    w = wilson(successes, e.n)
    return {"n": e.n, "correct": successes, "accuracy": e.mean, "ci_low": e.low, "ci_high": e.high,
            "se": None if e.se is None else _finite(e.se),
            "contexts": e.clusters, "ci_method": e.method, "wilson_low": None if e.n == 0 else w.low,
            "wilson_high": None if e.n == 0 else w.high, "too_few_rows": e.n < MIN_ROWS}


def _effective(cells: dict[str, dict], threshold: float) -> tuple[str | None, str | None]:
    """(effective length, None), or (None, why) where a tier it depends on has fewer than MIN_ROWS rows."""
    for tier in sorted(cells, key=tier_budget):
        cell = cells[tier]
        if cell["n"] < MIN_ROWS:
            return None, f"too few rows ({tier}: n={cell['n']} < {MIN_ROWS})"
        if cell["accuracy"] is None or cell["accuracy"] < threshold:
            break
    return effective_length({t: v["accuracy"] for t, v in cells.items()}, threshold), None


def _models(records) -> list[str]:
    return sorted({r.model for r in records})


def _tiers(records) -> list[str]:
    return sorted({r.tier for r in records}, key=tier_budget)


def _open_book(records):
    return [r for r in records if not r.no_context]


def primary_by_tier(records: list[RowRecord], threshold: float) -> dict:
    """Primary score per model x tier with Wilson 95% intervals, and the effective context length."""
    rows = _open_book(records)
    out = {"threshold": threshold, "models": {}}
    for model in _models(rows):
        mine = [r for r in rows if r.model == model]
        tiers = {t: _prop([r for r in mine if r.tier == t]) for t in _tiers(mine)}
        out["models"][model] = {
            "overall": _prop(mine),
            "tiers": tiers,
            "effective_length": effective_length({t: v["accuracy"] for t, v in tiers.items()}, threshold),
        }
    return out


def by_family(records: list[RowRecord], threshold: float) -> dict:
    """Accuracy per question family (single needle, two-hop, aggregation) x tier, and each family's effective length."""
    rows = _open_book(records)
    out = {"threshold": threshold, "min_rows": MIN_ROWS,
           "families": [f for f in FAMILIES if any(r.family == f for r in rows)], "models": {}}
    for model in _models(rows):
        per_family = {}
        for family in out["families"]:
            mine = [r for r in rows if r.model == model and r.family == family]
            if not mine:
                continue
            tiers = {t: _prop([r for r in mine if r.tier == t]) for t in _tiers(mine)}
            length, why = _effective(tiers, threshold)
            per_family[family] = {"overall": _prop(mine), "tiers": tiers, "effective_length": length,
                                  "effective_length_note": why}
        out["models"][model] = per_family
    return out


def question_types_in(records: list[RowRecord]) -> list[str]:
    """The types present: QUESTION_TYPES order, then any type this version does not know (newer logs), never dropped."""
    present = {r.question_type for r in records}
    return [qt for qt in QUESTION_TYPES if qt in present] + sorted(present - set(QUESTION_TYPES))


def by_question_type(records: list[RowRecord]) -> dict:
    """Accuracy by question type per model."""
    rows = _open_book(records)
    types = question_types_in(rows)
    return {model: {qt: _prop([r for r in rows if r.model == model and r.question_type == qt])
                    for qt in types if any(r.model == model and r.question_type == qt for r in rows)}
            for model in _models(rows)}


def scorer_agreement(records: list[RowRecord]) -> dict:
    """Agreement matrices AST vs substring and judge vs AST, with every disagreeing row for audit."""
    out = {}
    for name, other in (("ast_vs_substring", "substring_correct"), ("ast_vs_judge", "judge_correct")):
        per_model = {}
        for model in _models(records):
            rows = [r for r in records if r.model == model and getattr(r, other) is not None]
            if not rows:
                continue
            matrix = {"both_correct": 0, "ast_only": 0, "other_only": 0, "both_wrong": 0}
            disagreements = []
            for r in rows:
                o = getattr(r, other)
                key = "both_correct" if r.correct and o else "ast_only" if r.correct else "other_only" if o else "both_wrong"
                matrix[key] += 1
                if r.correct != o:
                    disagreements.append({"row_id": r.row_id, "tier": r.tier, "question_type": r.question_type,
                                          "expected": r.expected, "answer": r.answer, "ast": r.correct, "other": o})
            agree = matrix["both_correct"] + matrix["both_wrong"]
            per_model[model] = {"matrix": matrix, "n": len(rows), "agreement": agree / len(rows),
                                "disagreements": disagreements, "disagreements_total": len(disagreements)}
        out[name] = per_model
    return out


def depth_heatmap(records: list[RowRecord]) -> dict:
    """Accuracy by depth decile x tier; a cell with no rows is None (shown empty), never 0."""
    rows = [r for r in _open_book(records) if r.depth is not None]
    out = {}
    for model in _models(rows):
        grid = {}
        for tier in _tiers([r for r in rows if r.model == model]):  # only the tiers this model ran: no blank rows
            cells = []
            for decile in range(10):
                cell = [r for r in rows if r.model == model and r.tier == tier and min(9, int(r.depth * 10)) == decile]
                cells.append({"n": len(cell), "accuracy": (sum(r.correct for r in cell) / len(cell)) if cell else None})
            grid[tier] = cells
        out[model] = grid
    return out


def perturbation(records: list[RowRecord]) -> dict:
    """Perturbed vs paired ordinary rows, memorized-answer rate, per kind; the closed-book control."""
    out = {}
    for model in _models(records):
        mine = [r for r in records if r.model == model]
        open_book = [r for r in mine if not r.no_context]
        by_id = {r.row_id: r for r in open_book}
        perturbed = [r for r in open_book if r.perturbed]
        pairs = [(by_id[r.pair_id], r) for r in perturbed if r.pair_id in by_id]
        kinds = {}
        for kind in sorted({r.perturbation_kind or "unknown" for r in perturbed}):
            group = [r for r in perturbed if (r.perturbation_kind or "unknown") == kind]
            kinds[kind] = {**_prop(group), "memorized_rate": _rate([r.memorized_hit for r in group]),
                           "memorized": _flags([r.memorized_hit for r in group], group)}
        closed = [r for r in mine if r.no_context]
        out[model] = {
            "ordinary": _prop([r for r in open_book if not r.perturbed and not r.drift]),
            "perturbed": _prop(perturbed),
            "memorized_rate": _rate([r.memorized_hit for r in perturbed]),
            "memorized": _flags([r.memorized_hit for r in perturbed], perturbed),
            "pairs": {"n": len(pairs), "ordinary_accuracy": _mean([o.correct for o, _ in pairs]),
                      "perturbed_accuracy": _mean([p.correct for _, p in pairs]),
                      "read_ordinary_missed_perturbed": sum(o.correct and not p.correct for o, p in pairs)},
            "kinds": kinds,
            "closed_book": {**_prop(closed), "by_type": {qt: _prop([r for r in closed if r.question_type == qt])
                                                         for qt in sorted({r.question_type for r in closed})}} if closed else None,
        }
    return out


def controls(records: list[RowRecord]) -> dict:
    """The two anti-memorization controls side by side, per model and tier.

    Perturbed rows (the context was edited): accuracy, memorized-answer rate, and the cold call's cached
    share. Drift rows (the fact changed since an older release, `stale_pin`): accuracy and stale-answer
    rate. A model that reads the context scores on both and recalls neither the real nor the stale fact.
    """
    rows = _open_book(records)
    out = {}
    for model in _models(rows):
        mine = [r for r in rows if r.model == model]
        out[model] = {"overall": _control_cells(mine),
                      "tiers": {t: _control_cells([r for r in mine if r.tier == t]) for t in _tiers(mine)},
                      "stale_pins": sorted({r.stale_pin for r in mine if r.drift and r.stale_pin})}
    return out


def _control_cells(rows: list[RowRecord]) -> dict:
    perturbed = [r for r in rows if r.perturbed]
    drift = [r for r in rows if r.drift]
    return {"ordinary": _prop([r for r in rows if not r.perturbed and not r.drift]),
            "perturbed": _prop(perturbed), "memorized": _flags([r.memorized_hit for r in perturbed], perturbed),
            "perturbed_cold_cached_share": _cached_share([c for r in perturbed for c in r.calls if c.cold])["share"],
            "drift": _prop(drift), "stale": _flags([r.stale_hit for r in drift], drift)}


def serving(records: list[RowRecord]) -> dict:
    """Cold vs warm TTFT and latency; cached-token share for ordinary vs perturbed rows."""
    out = {}
    for model in _models(records):
        calls = [(r, c) for r in records if r.model == model for c in r.calls]
        if not calls:
            continue
        phases = {}
        for phase, pick in (("cold", lambda c: c.cold), ("warm", lambda c: not c.cold)):
            chosen = [c for _, c in calls if pick(c)]
            phases[phase] = {"calls": len(chosen), "ttft": _distribution([c.ttft_s for c in chosen]),
                             "latency": _distribution([c.latency_s for c in chosen])}
        shares = {}
        for label, flag in (("ordinary", False), ("perturbed", True)):
            for phase, cold in (("cold", True), ("warm", False)):
                shares[f"{label}_{phase}"] = _cached_share([c for r, c in calls if r.perturbed == flag and c.cold == cold])
        tiers = {t: _distribution([c.latency_s for r, c in calls if r.tier == t and c.cold])
                 for t in _tiers([r for r, _ in calls])}
        out[model] = {"phases": phases, "cached_share": shares, "cold_latency_by_tier": tiers}
    return out


def _cached_share(calls) -> dict:
    """Cached input tokens over input tokens, on the calls that reported a cache figure; None when none did
    (not measured: a provider that reports nothing has not reported 0)."""
    measured = [c for c in calls if c.cached_read_tokens is not None and c.input_tokens]
    total = sum(c.input_tokens for c in measured)
    cached = sum(c.cached_read_tokens for c in measured)
    return {"calls": len(calls), "measured_calls": len(measured), "input_tokens": total, "cached_read_tokens": cached,
            "share": cached / total if total else None}


def cost(records: list[RowRecord], prices: Prices | None) -> dict:
    """Cost per trace (all calls of a row), per correct answer, per correct perturbed answer; per trace by tier."""
    out = {}
    for model in _models(records):
        mine = [r for r in _open_book(records) if r.model == model]
        row_costs = [_row_cost(r, prices) for r in mine]
        known = [c for c in row_costs if c is not None]
        if not known:
            out[model] = None
            continue
        total = sum(known)
        correct = sum(r.correct for r, c in zip(mine, row_costs, strict=True) if c is not None)
        pert_correct = sum(r.correct for r, c in zip(mine, row_costs, strict=True) if c is not None and r.perturbed)
        out[model] = {"rows_costed": len(known), "rows": len(mine), "total_usd": total, "per_trace_usd": total / len(known),
                      "per_correct_usd": total / correct if correct else None,
                      "per_correct_perturbed_usd": total / pert_correct if pert_correct else None,
                      "accuracy": sum(r.correct for r in mine) / len(mine),
                      "accuracy_ci": _prop(mine),
                      "tiers": {t: _mean([c for r, c in zip(mine, row_costs, strict=True) if r.tier == t and c is not None])
                                for t in _tiers(mine)},
                      "source": "prices file" if prices and prices.covers(model) else "logged cost"}
    return out


def paired_comparisons(records: list[RowRecord]) -> list[dict]:
    """Every pair of models on the rows both answered, over all tiers and per tier: the exact McNemar test, the
    difference with its clustered 95% interval, the minimum detectable difference, and whether it is decisive."""
    rows = _open_book(records)
    by_model: dict[str, dict] = defaultdict(dict)
    for r in rows:
        by_model[r.model][r.key] = r
    out = []
    for a, b in combinations(sorted(by_model), 2):
        shared = sorted(set(by_model[a]) & set(by_model[b]))
        if not shared:
            continue
        entry = _paired([by_model[a][k] for k in shared], [by_model[b][k] for k in shared])
        entry = {"model_a": a, "model_b": b, **entry, "tiers": {}}
        for tier in _tiers([by_model[a][k] for k in shared]):
            keys = [k for k in shared if by_model[a][k].tier == tier]
            entry["tiers"][tier] = _paired([by_model[a][k] for k in keys], [by_model[b][k] for k in keys])
        out.append(entry)
    return out


def _paired(ra: list[RowRecord], rb: list[RowRecord]) -> dict:
    xa = [r.correct for r in ra]
    xb = [r.correct for r in rb]
    d = paired_difference(xa, xb, [r.cluster_key for r in ra], [r.tier for r in ra])
    return {"rows": d.n, "accuracy_a": sum(xa) / len(xa), "accuracy_b": sum(xb) / len(xb),
            "only_a_correct": d.only_a, "only_b_correct": d.only_b, "mcnemar_p": mcnemar_exact(d.only_a, d.only_b),
            "difference": d.difference, "se": _finite(d.se), "ci": [d.low, d.high], "contexts": d.clusters,
            "ci_method": d.method, "min_detectable_difference": _finite(d.mdd), "power": POWER, "decisive": d.decisive}


def _finite(value: float) -> float | None:
    """None for a figure one row cannot give (an infinite standard error): summary.json stays valid JSON."""
    return value if math.isfinite(value) else None


def blended_quality(records: list[RowRecord]) -> dict:
    """Where a judge ran: the mean of the AST, substring and judge rates on the rows all three scored, per model
    and tier, its interval the mean of the three intervals (conservative). Empty when no judge ran."""
    rows = [r for r in _open_book(records) if r.judge_correct is not None and r.substring_correct is not None]
    out = {}
    for model in _models(rows):
        mine = [r for r in rows if r.model == model]
        out[model] = {"overall": _blend(mine), "tiers": {t: _blend([r for r in mine if r.tier == t]) for t in _tiers(mine)}}
    return out


def _blend(rows: list[RowRecord]) -> dict:
    clusters = [r.cluster_key for r in rows]
    tiers = [r.tier for r in rows]
    parts = {name: clustered_proportion([getattr(r, field) for r in rows], clusters, tiers)
             for name, field in (("ast", "correct"), ("substring", "substring_correct"), ("judge", "judge_correct"))}
    mix = blended(list(parts.values()))
    return {"blended": _cell(mix), **{name: _cell(e) for name, e in parts.items()}}


def _cell(e: Estimate) -> dict:
    return {"n": e.n, "accuracy": e.mean, "ci_low": e.low, "ci_high": e.high,
            "se": None if e.se is None else _finite(e.se), "contexts": e.clusters,
            "ci_method": e.method}


def headline(primary: dict, serving_: dict, cost_: dict) -> dict:
    """What the study asks, per model and tier: accuracy (Wilson interval) beside cost per trace and cold latency."""
    out = {"threshold": primary["threshold"], "models": {}}
    for model, data in primary["models"].items():
        costs = (cost_.get(model) or {}).get("tiers", {})
        latency = (serving_.get(model) or {}).get("cold_latency_by_tier", {})
        out["models"][model] = {
            "effective_length": data["effective_length"], "overall": data["overall"],
            "cost_per_correct_usd": (cost_.get(model) or {}).get("per_correct_usd"),
            "tiers": {t: {**cell, "cost_per_trace_usd": costs.get(t),
                          "cold_latency_median_s": (latency.get(t) or {}).get("median"),
                          "cold_latency_p25_s": (latency.get(t) or {}).get("p25"),
                          "cold_latency_p75_s": (latency.get(t) or {}).get("p75")}
                      for t, cell in data["tiers"].items()}}
    return out


def _row_cost(r: RowRecord, prices: Prices | None) -> float | None:
    if prices is not None and prices.covers(r.model):
        return sum(prices.call_cost(r.model, c) for c in r.calls) if r.calls else None
    logged = [c.cost_usd for c in r.calls]
    return sum(logged) if logged and all(c is not None for c in logged) else None


def _distribution(values) -> dict:
    data = [v for v in values if v is not None]
    return {"count": len(data), "missing": len(values) - len(data), "median": percentile(data, 50),
            "p25": percentile(data, 25), "p75": percentile(data, 75),
            "p90": percentile(data, 90), "p95": percentile(data, 95), "max": max(data) if data else None,
            "over_10s": sum(v > SLOW_CALL_S for v in data)}


def _rate(values) -> float | None:
    data = [v for v in values if v is not None]
    return sum(data) / len(data) if data else None


def _mean(values) -> float | None:
    return sum(values) / len(values) if values else None
