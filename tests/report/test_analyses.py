"""Analyses over hand-made records: every number checked against a hand count."""

from __future__ import annotations

import csv
import dataclasses
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cpython_retrieval.errors import RetrievalError
from cpython_retrieval.report.analyses import (
    by_family,
    by_question_type,
    controls,
    cost,
    depth_heatmap,
    paired_comparisons,
    perturbation,
    primary_by_tier,
    scorer_agreement,
    serving,
)
from cpython_retrieval.report.assemble import make_report
from cpython_retrieval.report.inputs import (
    check_one_dataset,
    deduplicate,
    describe_duplicates,
    require_rows,
)
from cpython_retrieval.report.prices import ModelPrice, Prices, load_prices
from cpython_retrieval.report.records import (
    CallRecord,
    DatasetIdentity,
    LogInfo,
    RowRecord,
)


def rec(model, i, correct, tier="T25", depth=0.05, **kw):
    return RowRecord(model=model, source="test", row_id=f"{tier}-x-{i}", tier=tier, question_type=kw.pop("qt", "parameters"),
                     correct=correct, depth=depth, **kw)


def test_primary_and_effective_length():
    rows = [rec("m", i, i < 9, "T25") for i in range(10)] + [rec("m", i, i < 6, "T50") for i in range(10)]
    out = primary_by_tier(rows, 0.8)["models"]["m"]
    assert out["tiers"]["T25"]["accuracy"] == 0.9 and out["tiers"]["T50"]["accuracy"] == 0.6
    assert out["overall"]["correct"] == 15 and out["effective_length"] == "T25"
    assert out["tiers"]["T50"]["ci_low"] == pytest.approx(0.31267, abs=1e-4)


def test_depth_cells_without_rows_are_empty_not_zero():
    grid = depth_heatmap([rec("m", 0, True, depth=0.05), rec("m", 1, False, depth=0.95), rec("m", 2, True, depth=0.99)])["m"]["T25"]
    assert grid[0] == {"n": 1, "accuracy": 1.0} and grid[9] == {"n": 2, "accuracy": 0.5}
    assert all(c["accuracy"] is None and c["n"] == 0 for c in grid[1:9])


def test_scorer_agreement_lists_disagreements():
    rows = [rec("m", 0, True, substring_correct=True), rec("m", 1, False, substring_correct=True, expected="A", answer="A or B"),
            rec("m", 2, False, substring_correct=False)]
    out = scorer_agreement(rows)["ast_vs_substring"]["m"]
    assert out["matrix"] == {"both_correct": 1, "ast_only": 0, "other_only": 1, "both_wrong": 1}
    assert out["agreement"] == pytest.approx(2 / 3) and out["disagreements"][0]["answer"] == "A or B"
    assert scorer_agreement(rows)["ast_vs_judge"] == {}


def test_perturbation_pairs_and_memorized_rate():
    ordinary = [rec("m", i, True) for i in range(4)]
    perturbed = [rec("m", 10 + i, i == 0, perturbed=True, perturbation_kind="rename" if i < 2 else "decorators",
                     pair_id=f"T25-x-{i}", memorized_hit=i > 0) for i in range(4)]
    closed = [rec("m", 20, True, no_context=True)]
    out = perturbation(ordinary + perturbed + closed)["m"]
    assert out["ordinary"]["accuracy"] == 1.0 and out["perturbed"]["accuracy"] == 0.25
    assert out["memorized_rate"] == 0.75 and out["pairs"]["n"] == 4 and out["pairs"]["read_ordinary_missed_perturbed"] == 3
    assert out["kinds"]["rename"]["accuracy"] == 0.5 and out["kinds"]["decorators"]["memorized_rate"] == 1.0
    assert out["closed_book"]["n"] == 1


def test_serving_cold_warm_and_cache_share():
    calls = (CallRecord(0, latency_s=12.0, ttft_s=2.0, input_tokens=1000, cached_read_tokens=0),
             CallRecord(1, latency_s=1.0, ttft_s=0.2, input_tokens=1000, cached_read_tokens=900),
             CallRecord(2, latency_s=3.0, ttft_s=None, input_tokens=1000, cached_read_tokens=1000))
    out = serving([rec("m", 0, True, calls=calls)])["m"]
    assert out["phases"]["cold"]["latency"]["over_10s"] == 1 and out["phases"]["warm"]["latency"]["median"] == 2.0
    assert out["phases"]["warm"]["ttft"] == {"count": 1, "missing": 1, "median": 0.2, "p25": 0.2, "p75": 0.2, "p90": 0.2,
                                             "p95": 0.2, "max": 0.2, "over_10s": 0}
    assert out["cached_share"]["ordinary_warm"]["share"] == pytest.approx(0.95) and out["cached_share"]["ordinary_cold"]["share"] == 0


def test_cached_share_of_a_model_that_reports_no_cache_figures_is_not_measured_not_zero():
    silent = (CallRecord(0, latency_s=1.0, input_tokens=1000), CallRecord(1, latency_s=1.0, input_tokens=1000))
    partly = (CallRecord(0, input_tokens=1000, cached_read_tokens=None), CallRecord(1, input_tokens=3000, cached_read_tokens=1500))
    out = serving([rec("silent", 0, True, calls=silent), rec("partly", 0, True, calls=partly)])
    assert all(v["share"] is None and v["measured_calls"] == 0 for v in out["silent"]["cached_share"].values())
    assert out["partly"]["cached_share"]["ordinary_cold"]["share"] is None  # its one cold call reported nothing
    assert out["partly"]["cached_share"]["ordinary_warm"]["share"] == 0.5


def test_cost_from_prices_and_from_logs(tmp_path):
    call = CallRecord(0, input_tokens=1_000_000, cached_read_tokens=500_000, output_tokens=1000, cost_usd=9.0)
    rows = [rec("a", 0, True, calls=(call,)), rec("a", 1, False, calls=(call,), perturbed=True)]
    logged = cost(rows, None)["a"]
    assert logged["total_usd"] == 18.0 and logged["per_correct_usd"] == 18.0 and logged["per_correct_perturbed_usd"] is None
    prices = Prices({"a": ModelPrice(input=2.0, output=10.0, cached_input=0.5)})
    priced = cost(rows, prices)["a"]
    assert priced["per_trace_usd"] == pytest.approx(0.5 * 2 + 0.5 * 0.5 + 0.001 * 10)  # 1.26
    path = tmp_path / "prices.yaml"
    path.write_text("models:\n  a: {input: 2, output: 10, cached_input: 0.5}\n")
    assert load_prices(path).models["a"].cached_input == 0.5
    path.write_text("models:\n  a: {inputs: 2}\n")
    with pytest.raises(RetrievalError, match="USD per million"):
        load_prices(path)


def test_paired_comparison_mcnemar():
    a = [rec("a", i, i < 8) for i in range(10)]
    b = [rec("b", i, i < 3 or i == 9) for i in range(10)]
    (p,) = paired_comparisons(a + b)
    assert (p["only_a_correct"], p["only_b_correct"]) == (5, 1)
    assert p["mcnemar_p"] == pytest.approx(2 * (1 + 6) / 2**6)  # 0.21875


def test_make_report_writes_markdown_html_json_and_charts(tmp_path):
    calls = (CallRecord(0, latency_s=1.0, ttft_s=0.5, input_tokens=100, cached_read_tokens=0, cost_usd=0.01),
             CallRecord(1, latency_s=0.5, ttft_s=0.1, input_tokens=100, cached_read_tokens=90, cost_usd=0.002))
    rows = [rec(m, i, (i + k) % 3 != 0, tier=t, depth=i / 10, calls=calls, substring_correct=True, drift=i == 4,
                stale_hit=False if i == 4 else None)
            for k, m in enumerate(("a", "b")) for t in ("T25", "T50") for i in range(20)]
    summary = make_report(rows, tmp_path / "md")
    text = (tmp_path / "md" / "report.md").read_text()
    for heading in ("## Inputs", "## At a glance", "## 1. Primary score by tier", "## 2. Accuracy by question family",
                    "## 6. Anti-memorization controls: perturbed and drift rows", "### Depth: a", "### Depth: b"):
        assert heading in text, heading
    assert json.loads((tmp_path / "md" / "summary.json").read_text())["rows"] == 80 == summary["rows"]
    for png in ("headline.png", "families.png", "accuracy_by_type.png", "controls.png", "depth_a.png", "latency.png",
                "cost_quality.png"):
        assert (tmp_path / "md" / png).read_bytes()[:4] == b"\x89PNG", png
        assert f"]({png})" in text
    # 26 disagreements: the table is cut, says so, and the whole of it is in the CSV beside the report
    wrong = sum(not r.correct for r in rows)
    assert f"the first 25 of {wrong} are shown" in text
    with (tmp_path / "md" / "disagreements_ast_vs_substring.csv").open() as handle:
        assert len(list(csv.reader(handle))) == wrong + 1
    assert "No two-hop or aggregation rows in these logs." in text
    assert summary["controls"]["a"]["overall"]["drift"]["n"] == 2 and summary["controls"]["a"]["overall"]["stale"]["correct"] == 0
    make_report(rows, tmp_path / "html", fmt="html")
    page = (tmp_path / "html" / "report.html").read_text()
    assert page.count("data:image/png;base64,") >= 7 and "<table>" in page and "**" not in page


def test_report_says_not_measured_for_missing_cost_and_cache(tmp_path):
    rows = [rec("silent", i, True, calls=(CallRecord(0, latency_s=1.0, input_tokens=100),)) for i in range(3)]
    summary = make_report(rows, tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert summary["cost"]["silent"] is None and summary["serving"]["silent"]["cached_share"]["ordinary_cold"]["share"] is None
    assert "| silent | not measured | not measured | not measured | not measured |" in text
    assert "0.000" not in text.split("## 7. Serving")[1].split("## 8. Cost")[0]


def test_controls_drift_and_perturbed_rows_per_model_and_tier():
    rows = ([rec("m", i, True) for i in range(6)]  # ordinary
            + [rec("m", 10 + i, i < 1, perturbed=True, memorized_hit=i >= 1) for i in range(4)]  # 1/4 right, 3/4 memorized
            + [rec("m", 20 + i, i < 2, drift=True, stale_pin="3.11.7", stale_answer="old", stale_hit=i in (2, 3, 4))
               for i in range(5)]  # 2/5 right, 3/5 stale
            + [rec("m", 30, False, tier="T50", drift=True, stale_pin="3.12.0", stale_hit=None)])  # stale_hit not measured
    out = controls(rows)["m"]
    t25, t50 = out["tiers"]["T25"], out["tiers"]["T50"]
    assert (t25["ordinary"]["correct"], t25["ordinary"]["n"]) == (6, 6)
    assert (t25["perturbed"]["correct"], t25["perturbed"]["n"], t25["memorized"]["correct"], t25["memorized"]["n"]) == (1, 4, 3, 4)
    assert (t25["drift"]["correct"], t25["drift"]["n"], t25["stale"]["correct"], t25["stale"]["n"]) == (2, 5, 3, 5)
    # Wilson 3/5: centre (0.6 + 0.38415) / 1.76829 = 0.55655, half 1.95996 * sqrt(0.048 + 0.038415) / 1.76829 = 0.32583
    assert t25["stale"]["ci_low"] == pytest.approx(0.23072, abs=1e-4) and t25["stale"]["ci_high"] == pytest.approx(0.88238, abs=1e-4)
    assert t50["drift"]["n"] == 1 and t50["stale"]["n"] == 0 and t50["stale"]["accuracy"] is None  # not measured, not 0
    assert out["overall"]["drift"]["n"] == 6 and out["overall"]["stale"]["n"] == 5
    assert out["stale_pins"] == ["3.11.7", "3.12.0"]
    assert t25["perturbed_cold_cached_share"] is None  # no calls: not measured
    # drift rows are not ordinary rows in the perturbation analysis either
    assert perturbation(rows)["m"]["ordinary"]["n"] == 6


def test_rows_without_the_new_keys_are_ordinary_and_single_needle():
    old = rec("m", 0, True)  # as read from a log written before drift rows and families
    assert (old.variant, old.family, old.drift, old.stale_hit) == ("ordinary", "single_needle", False, None)
    unknown = rec("m", 1, True, qt="a_type_from_a_newer_generator")
    assert unknown.family == "single_needle"
    assert "a_type_from_a_newer_generator" in by_question_type([old, unknown])["m"]  # listed, never dropped


@pytest.fixture
def two_new_families(monkeypatch):
    """The two types of the coming families, registered for the test (the report reads families from QUESTION_TYPES)."""
    from cpython_retrieval import question_types

    base = question_types.QUESTION_TYPES["class_location"]
    monkeypatch.setitem(question_types.QUESTION_TYPES, "base_class_location",
                        dataclasses.replace(base, name="base_class_location", family="two_hop"))
    monkeypatch.setitem(question_types.QUESTION_TYPES, "subclass_count",
                        dataclasses.replace(base, name="subclass_count", answer_kind="integer", family="aggregation"))


def test_accuracy_per_family_and_tier_with_effective_length(two_new_families):
    def cell(start, tier, qt, correct_of_ten):  # 30 rows (the MIN_ROWS rule) at the given accuracy
        return [rec("m", start + i, i % 10 < correct_of_ten, tier=tier, qt=qt) for i in range(30)]

    rows = ([rec("m", i, True, tier=t) for t in ("T25", "T50", "T100") for i in range(30)]  # single needle: 1.0 everywhere
            + cell(100, "T25", "base_class_location", 9) + cell(100, "T50", "base_class_location", 7)  # two-hop: 0.9, 0.7, 0.9
            + cell(100, "T100", "base_class_location", 9)
            + cell(200, "T25", "subclass_count", 5))  # aggregation: 0.5 at T25
    out = by_family(rows, 0.8)
    assert out["families"] == ["single_needle", "two_hop", "aggregation"]
    fam = out["models"]["m"]
    assert fam["single_needle"]["effective_length"] == "T100"
    assert [fam["two_hop"]["tiers"][t]["accuracy"] for t in ("T25", "T50", "T100")] == [0.9, 0.7, 0.9]
    assert fam["two_hop"]["effective_length"] == "T25"  # T50 breaks the run, T100 does not count
    assert fam["aggregation"]["effective_length"] is None and fam["aggregation"]["overall"]["n"] == 30
    assert fam["aggregation"]["effective_length_note"] is None  # enough rows: the family simply misses the threshold
    assert by_family(rows[:90], 0.8)["families"] == ["single_needle"]


def test_family_effective_length_needs_min_rows_per_tier(two_new_families):
    rows = ([rec("m", i, True, tier="T25", qt="base_class_location") for i in range(29)]
            + [rec("m", i, True, tier="T50", qt="base_class_location") for i in range(40)])
    fam = by_family(rows, 0.8)["models"]["m"]["two_hop"]
    assert fam["effective_length"] is None and fam["effective_length_note"] == "too few rows (T25: n=29 < 30)"
    assert fam["tiers"]["T25"]["too_few_rows"] and not fam["tiers"]["T50"]["too_few_rows"]


def test_deduplicate_keeps_the_latest_attempt_and_says_whether_it_was_a_retry():
    first = LogInfo(path="logs/a.eval", run="task-1", created="2026-01-01T10:00:00+00:00")
    retry = LogInfo(path="logs/b.eval", run="task-1", created="2026-01-01T11:00:00+00:00")
    rerun = LogInfo(path="logs/c.eval", run="task-2", created="2026-01-01T12:00:00+00:00")
    rows = ([rec("m", i, False, log=first) for i in range(4)] + [rec("m", i, True, log=retry) for i in range(4)]
            + [rec("m", 9, True, log=rerun), rec("m", 9, False, log=first), rec("other", 0, True, log=first)])
    kept, notes = deduplicate(list(reversed(rows)))
    assert len(kept) == 6 and all(r.correct for r in kept if r.model == "m")
    assert {(n.dropped, n.kept, n.samples, n.retry) for n in notes} == {("logs/a.eval", "logs/b.eval", 4, True),
                                                                         ("logs/a.eval", "logs/c.eval", 1, False)}
    assert "its `inspect eval-retry` copy `b.eval`" in " ".join(describe_duplicates(notes))


records_strategy = st.lists(st.builds(
    lambda model, row, epoch, created, correct: rec(model, row, correct, epoch=epoch,
                                                    log=LogInfo(path=f"log{created}.eval", created=f"2026-01-0{created}")),
    st.sampled_from(["a", "b"]), st.integers(0, 5), st.integers(1, 2), st.integers(1, 4), st.booleans()), max_size=40)


@given(records_strategy)
def test_deduplicate_property_one_record_per_key_from_the_newest_log(records):
    kept, notes = deduplicate(records)
    keys = [(r.model, r.key) for r in kept]
    assert len(keys) == len(set(keys)) == len({(r.model, r.key) for r in records})
    for r in kept:
        assert r.log.created == max(x.log.created for x in records if (x.model, x.key) == (r.model, r.key))
    assert sum(n.samples for n in notes) == len(records) - len(kept)


def test_inputs_must_have_rows_and_one_dataset():
    with pytest.raises(RetrievalError, match="no scored rows"):
        require_rows([])
    a = [rec("m", i, True, dataset=DatasetIdentity("fp-aaa", "3.11.7", "0.1.0"), log=LogInfo(path="a.eval")) for i in range(2)]
    b = [rec("n", i, True, dataset=DatasetIdentity("fp-bbb", "3.13.0", "0.1.0"), log=LogInfo(path="b.eval")) for i in range(2)]
    old = [rec("o", 0, True, log=LogInfo(path="old.eval"))]
    assert check_one_dataset(a + old, allow_mixed=False) == ["fp-aaa"]  # an unknown fingerprint is no conflict
    with pytest.raises(RetrievalError) as error:
        check_one_dataset(a + b + old, allow_mixed=False)
    message = str(error.value)
    assert "fp-aaa" in message and "fp-bbb" in message and "--allow-mixed" in message and "\n" not in message
    assert check_one_dataset(a + b, allow_mixed=True) == ["fp-aaa", "fp-bbb"]


def test_a_closed_book_only_run_is_reported_as_the_closed_book_control(tmp_path):
    rows = [rec("m", i, i % 2 == 0, no_context=True) for i in range(6)]
    summary = make_report(rows, tmp_path)
    text = (tmp_path / "report.md").read_text()
    assert text.count("No open-book rows") == 3 and not (tmp_path / "headline.png").exists()
    assert summary["perturbation"]["m"]["closed_book"]["correct"] == 3
