"""The study's analyses over normalized row records; each returns plain data (JSON-ready) for tables and charts."""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

from ..contexts import tier_budget
from ..question_types import QUESTION_TYPES
from .prices import Prices
from .records import RowRecord
from .stats import effective_length, mcnemar_exact, paired_bootstrap, percentile, wilson

SLOW_CALL_S = 10.0


def _prop(rows: list[RowRecord]) -> dict:
    p = wilson(sum(r.correct for r in rows), len(rows))
    return {"n": p.total, "correct": p.successes, "accuracy": p.value, "ci_low": None if p.total == 0 else p.low,
            "ci_high": None if p.total == 0 else p.high}


def _models(records) -> list[str]:
    return sorted({r.model for r in records})


def _tiers(records) -> list[str]:
    return sorted({r.tier for r in records}, key=tier_budget)


def _open_book(records):
    return [r for r in records if not r.no_context]


def primary_by_tier(records: list[RowRecord], threshold: float) -> dict:
    """1. Primary score per model x tier with Wilson 95% intervals, and the effective context length."""
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


def by_question_type(records: list[RowRecord]) -> dict:
    """2. Accuracy by question type per model."""
    rows = _open_book(records)
    return {model: {qt: _prop([r for r in rows if r.model == model and r.question_type == qt])
                    for qt in QUESTION_TYPES if any(r.model == model and r.question_type == qt for r in rows)}
            for model in _models(rows)}


def scorer_agreement(records: list[RowRecord], *, max_listed: int = 50) -> dict:
    """3. Agreement matrices AST vs substring and judge vs AST, with the disagreeing rows for audit."""
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
                                "disagreements": disagreements[:max_listed], "disagreements_total": len(disagreements)}
        out[name] = per_model
    return out


def depth_heatmap(records: list[RowRecord]) -> dict:
    """4. Accuracy by depth decile x tier; a cell with no rows is None (shown empty), never 0."""
    rows = [r for r in _open_book(records) if r.depth is not None]
    out = {}
    for model in _models(rows):
        grid = {}
        for tier in _tiers(rows):
            cells = []
            for decile in range(10):
                cell = [r for r in rows if r.model == model and r.tier == tier and min(9, int(r.depth * 10)) == decile]
                cells.append({"n": len(cell), "accuracy": (sum(r.correct for r in cell) / len(cell)) if cell else None})
            grid[tier] = cells
        out[model] = grid
    return out


def perturbation(records: list[RowRecord]) -> dict:
    """5. Perturbed vs paired ordinary rows, memorized-answer rate, per kind; the closed-book control."""
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
            kinds[kind] = {**_prop(group), "memorized_rate": _rate([r.memorized_hit for r in group])}
        closed = [r for r in mine if r.no_context]
        out[model] = {
            "ordinary": _prop([r for r in open_book if not r.perturbed]),
            "perturbed": _prop(perturbed),
            "memorized_rate": _rate([r.memorized_hit for r in perturbed]),
            "pairs": {"n": len(pairs), "ordinary_accuracy": _mean([o.correct for o, _ in pairs]),
                      "perturbed_accuracy": _mean([p.correct for _, p in pairs]),
                      "read_ordinary_missed_perturbed": sum(o.correct and not p.correct for o, p in pairs)},
            "kinds": kinds,
            "closed_book": {**_prop(closed), "by_type": {qt: _prop([r for r in closed if r.question_type == qt])
                                                         for qt in sorted({r.question_type for r in closed})}} if closed else None,
        }
    return out


def serving(records: list[RowRecord]) -> dict:
    """6. Cold vs warm TTFT and latency; cached-token share for ordinary vs perturbed rows."""
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
                chosen = [c for r, c in calls if r.perturbed == flag and c.cold == cold and c.input_tokens]
                total = sum(c.input_tokens for c in chosen)
                cached = sum(c.cached_read_tokens or 0 for c in chosen)
                shares[f"{label}_{phase}"] = {"input_tokens": total, "cached_read_tokens": cached,
                                              "share": cached / total if total else None}
        out[model] = {"phases": phases, "cached_share": shares}
    return out


def cost(records: list[RowRecord], prices: Prices | None) -> dict:
    """7. Cost per trace (all calls of a row), per correct answer, per correct perturbed answer."""
    out = {}
    for model in _models(records):
        mine = [r for r in _open_book(records) if r.model == model]
        row_costs = [_row_cost(r, prices) for r in mine]
        known = [c for c in row_costs if c is not None]
        if not known:
            out[model] = None
            continue
        total = sum(known)
        correct = sum(r.correct for r, c in zip(mine, row_costs) if c is not None)
        pert_correct = sum(r.correct for r, c in zip(mine, row_costs) if c is not None and r.perturbed)
        out[model] = {"rows_costed": len(known), "rows": len(mine), "total_usd": total, "per_trace_usd": total / len(known),
                      "per_correct_usd": total / correct if correct else None,
                      "per_correct_perturbed_usd": total / pert_correct if pert_correct else None,
                      "accuracy": sum(r.correct for r in mine) / len(mine),
                      "source": "prices file" if prices and prices.covers(model) else "logged cost"}
    return out


def paired_comparisons(records: list[RowRecord]) -> list[dict]:
    """8. Every pair of models on the rows both answered: McNemar exact test and a paired bootstrap."""
    rows = _open_book(records)
    by_model = defaultdict(dict)
    for r in rows:
        by_model[r.model][r.key] = r.correct
    out = []
    for a, b in combinations(sorted(by_model), 2):
        shared = sorted(set(by_model[a]) & set(by_model[b]))
        if not shared:
            continue
        xa = [by_model[a][k] for k in shared]
        xb = [by_model[b][k] for k in shared]
        only_a = sum(x and not y for x, y in zip(xa, xb))
        only_b = sum(y and not x for x, y in zip(xa, xb))
        diff, low, high = paired_bootstrap(xa, xb)
        out.append({"model_a": a, "model_b": b, "rows": len(shared), "accuracy_a": sum(xa) / len(xa),
                    "accuracy_b": sum(xb) / len(xb), "only_a_correct": only_a, "only_b_correct": only_b,
                    "mcnemar_p": mcnemar_exact(only_a, only_b), "difference": diff, "bootstrap_ci": [low, high]})
    return out


def _row_cost(r: RowRecord, prices: Prices | None) -> float | None:
    if prices is not None and prices.covers(r.model):
        return sum(prices.call_cost(r.model, c) for c in r.calls) if r.calls else None
    logged = [c.cost_usd for c in r.calls]
    return sum(logged) if logged and all(c is not None for c in logged) else None


def _distribution(values) -> dict:
    data = [v for v in values if v is not None]
    return {"count": len(data), "missing": len(values) - len(data), "median": percentile(data, 50),
            "p90": percentile(data, 90), "p95": percentile(data, 95), "max": max(data) if data else None,
            "over_10s": sum(v > SLOW_CALL_S for v in data)}


def _rate(values) -> float | None:
    data = [v for v in values if v is not None]
    return sum(data) / len(data) if data else None


def _mean(values) -> float | None:
    return sum(values) / len(values) if values else None
