"""The report's statistics checked against a model whose accuracy is known (`cpython_retrieval/known`).

Fast part: the model's own decision rule (`reference.known.answers_right`) on synthetic rows laid out like a
dataset with ten contexts per tier, for 100 seeds (each seed draws new per-context effects and new rows): the
clustered 95% intervals must cover the true accuracy at least 93% of the time, the naive (Wilson) ones are
shown to under-cover, and the effective length estimated from the rows is the known one.

Slow part: the real path, `inspect eval` of the known model with the reference grader as judge, then
`cpython-retrieval report`: every row's score is the model's decision, and the summary carries the clustered
intervals, paired differences and the blended quality.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cpython_retrieval.generate.contexts import tier_budget
from cpython_retrieval.question_types import QUESTION_TYPES
from cpython_retrieval.reference.known import TIER_ACCURACY, answers_right, expected_probability
from cpython_retrieval.report.stats import clustered_proportion, effective_length, wilson

SEEDS = range(100)
CONTEXTS_PER_TIER = 10
ROWS_PER_CONTEXT = 60
FAMILIES = ("single_needle",) * 4 + ("two_hop", "aggregation")
THRESHOLD = 0.8


def design(tier: str) -> list[tuple[str, float, str, str]]:
    """(row id, depth, family, context id) of a tier's rows: ten contexts, depths spread evenly, three families."""
    return [(f"{tier}-c{c}-r{j}", (j + 0.5) / ROWS_PER_CONTEXT, FAMILIES[j % len(FAMILIES)], f"{tier}-c{c}")
            for c in range(CONTEXTS_PER_TIER) for j in range(ROWS_PER_CONTEXT)]


@pytest.fixture(scope="module")
def simulation():
    tiers = sorted(TIER_ACCURACY, key=tier_budget)
    designs = {t: design(t) for t in tiers}
    truth = {t: sum(expected_probability(t, d, f) for _, d, f, _ in rows) / len(rows) for t, rows in designs.items()}
    results = []
    for seed in SEEDS:
        per_tier = {}
        for tier, rows in designs.items():
            flags = [answers_right(seed, rid, tier, d, f, ctx) for rid, d, f, ctx in rows]
            per_tier[tier] = (clustered_proportion(flags, [ctx for *_, ctx in rows]), wilson(sum(flags), len(flags)))
        results.append(per_tier)
    return truth, results


def test_clustered_intervals_cover_the_true_accuracy(simulation):
    truth, results = simulation
    covered = [e.low <= truth[t] <= e.high for per_tier in results for t, (e, _) in per_tier.items()]
    assert all(e.method == "clustered" and e.clusters == CONTEXTS_PER_TIER for r in results for e, _ in r.values())
    coverage = sum(covered) / len(covered)
    assert coverage >= 0.93, f"clustered 95% intervals covered the true accuracy in {coverage:.1%} of {len(covered)}"


def test_naive_wilson_intervals_under_cover(simulation):
    truth, results = simulation
    covered = [w.low <= truth[t] <= w.high for per_tier in results for t, (_, w) in per_tier.items()]
    coverage = sum(covered) / len(covered)
    assert coverage < 0.90, f"Wilson intervals covered {coverage:.1%}: the context effect should make them too narrow"


def test_effective_length_estimate_recovers_the_known_one(simulation):
    truth, results = simulation
    known = effective_length(truth, THRESHOLD)
    assert known == "T100"  # the design: 0.865 at T100, 0.635 at T200 (families included)
    estimates = [effective_length({t: e.mean for t, (e, _) in per_tier.items()}, THRESHOLD) for per_tier in results]
    assert sum(e == known for e in estimates) / len(estimates) >= 0.95, estimates


def test_the_known_probabilities_stay_inside_the_unit_interval():
    for tier in TIER_ACCURACY:
        for family in ("single_needle", "two_hop", "aggregation"):
            for depth in (0.0, 1.0):
                p = expected_probability(tier, depth, family)
                assert 0.08 < p <= 0.92 + 1e-9  # +-0.08 context effect keeps it inside [0, 1]: nothing clipped


# --- the real path: inspect eval -> report ---

INSPECT = str(Path(sys.executable).with_name("inspect"))


@pytest.mark.slow
def test_known_model_through_the_task_and_report(tmp_path):
    from cpython_retrieval.dataset.store import write_dataset
    from cpython_retrieval.generate.stages import build_dataset
    from cpython_retrieval.report import read_records

    built = build_dataset(tiers=["T25"], per_tier=18)
    write_dataset(built, tmp_path / "ds")
    env = {**os.environ, "INSPECT_LOG_LEVEL": "warning"}
    for model in ("cpython_retrieval/known", "cpython_retrieval/oracle"):
        cmd = [INSPECT, "eval", "cpython_retrieval/T25", "--model", model, "-M", "seed=7", "-T", f"dataset={tmp_path / 'ds'}",
               "-T", "judge=cpython_retrieval/grader", "--log-dir", str(tmp_path / "logs"), "--display", "none"]
        if model.endswith("oracle"):
            cmd[cmd.index("-M"):cmd.index("-M") + 2] = []
        result = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)
        assert result.returncode == 0, result.stderr[-2000:]
    records = [r for r in read_records([tmp_path / "logs"], progress=False) if r.model == "cpython_retrieval/known"]
    rows = {r["id"]: r for r in built.rows["T25"]}
    assert len(records) == len(rows)
    for r in records:
        row = rows[r.row_id]
        decided = answers_right(7, r.row_id, "T25", row["depth"], QUESTION_TYPES[row["question_type"]].family,
                                row["context_id"])
        assert r.correct == decided and r.judge_correct == decided, r.row_id
    out = tmp_path / "report"
    result = subprocess.run([sys.executable, "-m", "cpython_retrieval", "report", str(tmp_path / "logs"), "--out", str(out),
                             "--quiet"], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    summary = json.loads((out / "summary.json").read_text())
    cell = summary["primary"]["models"]["cpython_retrieval/known"]["tiers"]["T25"]
    assert cell["correct"] == sum(r.correct for r in records) and cell["ci_method"] == "wilson (one context)"
    blend = summary["blended"]["cpython_retrieval/known"]["overall"]
    assert blend["judge"]["accuracy"] == blend["ast"]["accuracy"]  # the grader is the exact scorer
    assert summary["scorer_agreement"]["ast_vs_judge"]["cpython_retrieval/known"]["agreement"] == 1.0
    (pair,) = summary["paired"]
    assert {"ci", "min_detectable_difference", "decisive", "mcnemar_p"} <= set(pair)
    text = (out / "report.md").read_text()
    assert "10. Blended quality" in text and ("not decisive" in text or "| decisive |" in text)
