"""Put the analyses together: summary.json, report.md (or report.html) and the PNG charts."""

from __future__ import annotations

import json
from pathlib import Path

from . import analyses, charts
from .blocks import Heading, Image, Paragraph, Table, to_html, to_markdown
from .prices import Prices
from .records import RowRecord


def make_report(records: list[RowRecord], out_dir: str | Path, *, prices: Prices | None = None,
                fmt: str = "md", threshold: float = 0.8) -> dict:
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = {
        "models": sorted({r.model for r in records}),
        "rows": len(records),
        "primary": analyses.primary_by_tier(records, threshold),
        "by_question_type": analyses.by_question_type(records),
        "scorer_agreement": analyses.scorer_agreement(records),
        "depth": analyses.depth_heatmap(records),
        "perturbation": analyses.perturbation(records),
        "serving": analyses.serving(records),
        "cost": analyses.cost(records, prices),
        "paired": analyses.paired_comparisons(records),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    blocks = _blocks(summary, out)
    if fmt == "html":
        (out / "report.html").write_text(to_html(blocks, "cpython-retrieval report"), encoding="utf-8")
    else:
        (out / "report.md").write_text(to_markdown(blocks), encoding="utf-8")
    return summary


def _pct(p: dict) -> str:
    if not p or p.get("accuracy") is None:
        return ""
    return f"{p['accuracy']:.3f} [{p['ci_low']:.3f}, {p['ci_high']:.3f}] (n={p['n']})"


def _blocks(s: dict, out: Path) -> list:
    b: list = [Heading("cpython-retrieval report", 1),
               Paragraph(f"{s['rows']} scored rows from {len(s['models'])} model(s): {', '.join(s['models'])}. "
                         "Accuracy is the primary AST-semantic match on the cold call, with Wilson 95% intervals.")]
    primary = s["primary"]
    tiers = sorted({t for m in primary["models"].values() for t in m["tiers"]}, key=lambda t: int(t[1:]))
    b += [Heading("1. Primary score by tier"),
          Table(["model", "overall", *tiers, f"effective length (>= {primary['threshold']:.2f})"],
                [[m, _pct(d["overall"]), *[_pct(d["tiers"].get(t)) for t in tiers], d["effective_length"] or "none"]
                 for m, d in primary["models"].items()])]
    if primary["models"]:
        b.append(Image(charts.score_by_tier(primary, out / "score_by_tier.png"), "score by tier"))
    by_type = s["by_question_type"]
    types = sorted({t for m in by_type.values() for t in m})
    b += [Heading("2. Accuracy by question type"),
          Table(["model", *types], [[m, *[_pct(d.get(t)) for t in types]] for m, d in by_type.items()])]
    if by_type:
        b.append(Image(charts.accuracy_by_type(by_type, out / "accuracy_by_type.png"), "accuracy by type"))
    b.append(Heading("3. Scorer agreement"))
    for name, label in (("ast_vs_substring", "substring"), ("ast_vs_judge", "judge")):
        per_model = s["scorer_agreement"][name]
        if not per_model:
            b.append(Paragraph(f"AST vs {label}: no rows scored by the {label} scorer."))
            continue
        b.append(Table(["model", "n", "agreement", "both right", f"AST only", f"{label} only", "both wrong"],
                       [[m, d["n"], d["agreement"], d["matrix"]["both_correct"], d["matrix"]["ast_only"],
                         d["matrix"]["other_only"], d["matrix"]["both_wrong"]] for m, d in per_model.items()]))
        rows = [[m, x["row_id"], x["question_type"], x["expected"], x["answer"][:120], x["ast"], x["other"]]
                for m, d in per_model.items() for x in d["disagreements"]]
        if rows:
            b += [Paragraph(f"Rows where AST and {label} disagree (for audit):"),
                  Table(["model", "row", "type", "expected", "answer", "AST", label], rows)]
    b.append(Heading("4. Accuracy by answer depth"))
    for model, grid in s["depth"].items():
        b.append(Table(["tier", *[f"{d * 10}%" for d in range(10)]],
                       [[t, *[("" if c["accuracy"] is None else f"{c['accuracy']:.2f} ({c['n']})") for c in cells]] for t, cells in grid.items()]))
        b.append(Image(charts.depth_heatmap(model, grid, out / f"depth_{_slug(model)}.png"), f"depth heatmap {model}"))
    b.append(Heading("5. Perturbation"))
    pert = s["perturbation"]
    b.append(Table(["model", "ordinary", "perturbed", "memorized-answer rate", "pairs", "paired ordinary", "paired perturbed", "closed book"],
                   [[m, _pct(d["ordinary"]), _pct(d["perturbed"]), d["memorized_rate"], d["pairs"]["n"],
                     d["pairs"]["ordinary_accuracy"], d["pairs"]["perturbed_accuracy"], _pct(d["closed_book"]) if d["closed_book"] else ""]
                    for m, d in pert.items()]))
    kind_rows = [[m, k, _pct(v), v["memorized_rate"]] for m, d in pert.items() for k, v in d["kinds"].items()]
    if kind_rows:
        b.append(Table(["model", "perturbation kind", "accuracy", "memorized-answer rate"], kind_rows))
    if any(d["perturbed"]["n"] for d in pert.values()):
        b.append(Image(charts.perturbation(pert, out / "perturbation.png"), "perturbation"))
    b.append(Heading("6. Serving: cold vs warm"))
    serving = s["serving"]
    if serving:
        rows = []
        for m, d in serving.items():
            for phase in ("cold", "warm"):
                for metric in ("ttft", "latency"):
                    x = d["phases"][phase][metric]
                    rows.append([m, phase, metric, x["count"], x["missing"], x["median"], x["p90"], x["p95"], x["max"], x["over_10s"]])
        b.append(Table(["model", "call", "measure (s)", "count", "unavailable", "median", "p90", "p95", "max", "> 10 s"], rows))
        b.append(Table(["model", *[k.replace("_", " ") for k in next(iter(serving.values()))["cached_share"]]],
                       [[m, *[v["share"] for v in d["cached_share"].values()]] for m, d in serving.items()]))
        b.append(Image(charts.latency(serving, out / "latency.png"), "latency"))
    else:
        b.append(Paragraph("No per-call timing in these logs."))
    b.append(Heading("7. Cost"))
    costs = {m: d for m, d in s["cost"].items() if d}
    if costs:
        b.append(Table(["model", "rows costed", "total USD", "per trace", "per correct", "per correct perturbed", "source"],
                       [[m, f"{d['rows_costed']}/{d['rows']}", d["total_usd"], d["per_trace_usd"], d["per_correct_usd"],
                         d["per_correct_perturbed_usd"], d["source"]] for m, d in costs.items()]))
        b.append(Image(charts.cost_quality(costs, out / "cost_quality.png"), "quality vs cost"))
    else:
        b.append(Paragraph("No cost in the logs and no --prices entry for these models."))
    b.append(Heading("8. Paired comparison"))
    if s["paired"]:
        b.append(Table(["model A", "model B", "rows", "acc A", "acc B", "only A right", "only B right", "McNemar exact p", "A-B", "bootstrap 95% CI"],
                       [[p["model_a"], p["model_b"], p["rows"], p["accuracy_a"], p["accuracy_b"], p["only_a_correct"], p["only_b_correct"],
                         p["mcnemar_p"], p["difference"], f"[{p['bootstrap_ci'][0]:.3f}, {p['bootstrap_ci'][1]:.3f}]"] for p in s["paired"]]))
    else:
        b.append(Paragraph("One model only: nothing to compare."))
    return b


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)
