"""Put the analyses together: summary.json, report.md (or report.html), the PNG charts and the full CSV tables."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
from pathlib import Path

from ..atomic_files import replace_dir, write_text
from ..errors import RetrievalError
from ..generate.contexts import sort_tiers
from . import analyses, charts, inputs
from .blocks import Heading, Image, Paragraph, Table, to_html, to_markdown
from .charts import FAMILY_LABELS
from .prices import Prices
from .records import SEARCH_FLOOR_MODELS, RowRecord, model_label
from .stats import MIN_ROWS, POWER

#: Rows of a long table shown in the report; the whole table is in a CSV beside it.
SHOWN_ROWS = 25
NOT_MEASURED = "not measured"


def make_report(records: list[RowRecord], out_dir: str | Path, *, prices: Prices | None = None,
                fmt: str = "md", threshold: float = 0.8, allow_mixed: bool = False) -> dict:
    """Check the inputs (rows to report, one dataset unless `allow_mixed`, each sample once), then write the report."""
    inputs.require_rows(records)
    fingerprints = inputs.check_one_dataset(records, allow_mixed=allow_mixed)
    counted, duplicates = inputs.deduplicate(records)
    counted = analyses.assign_clusters(counted)
    target = Path(out_dir)
    check_out_dir(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    out = target.with_name(f".{target.name}.new-{os.getpid()}")  # written whole here, then put in place at once
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    try:
        summary = _write_report(records, counted, duplicates, fingerprints, out, prices=prices, fmt=fmt,
                                threshold=threshold)
        replace_dir(out, target)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return summary


#: The files a report writes; a folder holding anything else is not replaced.
REPORT_FILE = re.compile(r"(report\.md|report\.html|summary\.json|[\w.-]+\.png|[\w.-]+\.csv)")


def check_out_dir(out: Path) -> None:
    """Refuse, in one line, an --out that is a file or a folder with anything but a previous report in it
    (the report replaces its folder whole: nothing of the user's may be in it)."""
    if not out.exists():
        return
    if not out.is_dir():
        raise RetrievalError(f"--out {out} is a file; name a folder for the report (it is created, or a previous "
                             "report there is replaced)")
    entries = sorted(out.iterdir())
    if not entries:
        return
    foreign = [p.name for p in entries if p.is_dir() or not REPORT_FILE.fullmatch(p.name)]
    if foreign or not (out / "summary.json").is_file():
        what = f"holds {foreign[0]!r}{f' (and {len(foreign) - 1} more)' if len(foreign) > 1 else ''}, which no report writes" \
            if foreign else "is not a previous report (no summary.json)"
        raise RetrievalError(f"--out {out} {what}; the report replaces its folder whole, so name a new folder or a "
                             "previous report's")


def _write_report(records, counted, duplicates, fingerprints, out: Path, *, prices, fmt, threshold) -> dict:
    primary = analyses.primary_by_tier(counted, threshold)
    serving = analyses.serving(counted)
    cost = analyses.cost(counted, prices)
    summary = {
        "models": sorted({r.model for r in counted}),
        "rows": len(counted),
        "inputs": inputs.input_table(records, counted),
        "dataset_fingerprints": fingerprints,
        "cpython_pins": inputs.mixed_pins(counted),
        "mixed_datasets": len(fingerprints) > 1 or len(inputs.mixed_pins(counted)) > 1,
        "unknown_fingerprints": sorted({r.log.path or r.source for r in counted if r.dataset.fingerprint is None}),
        "duplicates": [vars(d) for d in duplicates],
        "headline": analyses.headline(primary, serving, cost),
        "primary": primary,
        "by_family": analyses.by_family(counted, threshold),
        "by_question_type": analyses.by_question_type(counted),
        "scorer_agreement": analyses.scorer_agreement(counted),
        "depth": analyses.depth_heatmap(counted),
        "perturbation": analyses.perturbation(counted),
        "controls": analyses.controls(counted),
        "serving": serving,
        "cost": cost,
        "paired": analyses.paired_comparisons(counted),
        "blended": analyses.blended_quality(counted),
        "search_floor": sorted(m for m in {r.model for r in counted} if m in SEARCH_FLOOR_MODELS),
        "statistics": {"interval": "95%: tiers are strata, contexts (a context merged with its perturbed twin's) "
                                   "clusters within them (CR1, t with sum of (contexts - 1) df); a tier of one context "
                                   "contributes its rows' variance; a cell of one tier and one context gets Wilson's", "min_rows": MIN_ROWS, "power": POWER,
                       "contexts": len({r.cluster_key for r in counted})},
    }
    families_of = {r.question_type: r.family for r in counted}
    blocks = _blocks(summary, families_of, duplicates, out)
    write_text(out / "summary.json", json.dumps(summary, indent=1, sort_keys=True) + "\n")
    if fmt == "html":
        write_text(out / "report.html", to_html(blocks, "cpython-retrieval report"))
    else:
        write_text(out / "report.md", to_markdown(blocks))
    return summary


#: Marks a rate from a tier that holds one context: its interval holds for that context only.
ONE_CONTEXT = "†"


def _pct(p: dict | None) -> str:
    if not p or p.get("accuracy") is None:
        return ""
    mark = ONE_CONTEXT if "(one context)" in str(p.get("ci_method", "")) else ""
    return f"{p['accuracy']:.3f} [{p['ci_low']:.3f}, {p['ci_high']:.3f}] (n={p['n']}){mark}"


def _pct_min(p: dict | None) -> str:
    """A per-type or per-family rate, or `too few rows` where n is under the stated rule."""
    if p and p.get("n") and p["n"] < MIN_ROWS:
        return f"too few rows (n={p['n']})"
    return _pct(p)


def _share(value: float | None) -> str:
    return NOT_MEASURED if value is None else f"{value:.3f}"


def _usd(value: float | None) -> str:
    return NOT_MEASURED if value is None else f"{value:.4g}"


def _write_csv(path: Path, headers: list[str], rows: list[list]) -> Path:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(headers)
    writer.writerows(rows)
    write_text(path, buffer.getvalue())
    return path


def _blocks(s: dict, families_of: dict[str, str], duplicates, out: Path) -> list:
    b: list = [Heading("cpython-retrieval report", 1),
               Paragraph(f"{s['rows']} scored rows from {len(s['models'])} model(s): {', '.join(s['models'])}. "
                         "Accuracy is the primary AST-semantic match on the cold call; every rate carries its "
                         "95% interval, written `value [low, high] (n=rows)`. Rows that share a context are not "
                         "independent, so intervals are clustered by context (a context together with its perturbed "
                         "twin) within each tier, the tiers being strata (docs/report.md, Statistics). A tier that holds "
                         "one context contributes its rows' own variance (Wilson's interval for a cell of one tier), "
                         f"which holds for that context only: such intervals are marked {ONE_CONTEXT}. Per-type and "
                         f"per-family figures need at least {MIN_ROWS} rows, else they read `too few rows`.")]
    if s["mixed_datasets"]:
        b.append(Paragraph(f"**Mixed datasets:** these logs answered different datasets ({len(s['dataset_fingerprints'])} "
                           f"fingerprints, CPython pins {', '.join(s['cpython_pins']) or 'unknown'}); see Inputs."))
    if s["unknown_fingerprints"]:
        b.append(Paragraph(f"**Unknown dataset:** {len(s['unknown_fingerprints'])} log(s) carry no dataset fingerprint "
                           "(the field is missing), so that they answered the same dataset as the others is not known; "
                           "see Inputs."))
    b += _headline_section(s, out)
    b += _inputs_section(s, duplicates)
    b += _primary_section(s)
    b += _family_section(s, out)
    b += _type_section(s, families_of, out)
    b += _agreement_section(s, out)
    b += _depth_section(s, out)
    b += _controls_section(s, out)
    b += _serving_section(s, out)
    b += _cost_section(s, out)
    b += _paired_section(s, out)
    b += _blended_section(s)
    return b


FINGERPRINT_SHOWN = 16


def _short(fingerprint: str | None) -> str | None:
    return fingerprint if fingerprint is None or len(fingerprint) <= FINGERPRINT_SHOWN else fingerprint[:FINGERPRINT_SHOWN] + "…"


def _inputs_section(s: dict, duplicates) -> list:
    unknown = "unknown (log predates the field)"
    rows = [[i["log"], i["framework"], i["model"], ", ".join(i["tiers"]), i["status"] or "", f"{i['scored']}/{i['samples']}",
             i["counted"], i["cpython_version"] or unknown, i["generator_version"] or unknown,
             _short(i["dataset_fingerprint"]) or unknown] for i in s["inputs"]]
    b: list = [Heading("Inputs"),
               Paragraph("Each log read, the dataset it answered (CPython pin, generator version, content fingerprint: its "
                         f"first {FINGERPRINT_SHOWN} characters, whole in summary.json) and how many of its rows the report counts."),
               Table(["log", "framework", "model", "tiers", "status", "scored/samples", "counted", "CPython pin",
                      "generator", "dataset fingerprint"], rows)]
    fps = s["dataset_fingerprints"]
    if s["mixed_datasets"]:
        b.append(Paragraph(f"**Mixed datasets** (--allow-mixed): these logs answered different datasets "
                           f"(fingerprints {', '.join(map(_short, fps)) or 'unknown'}; CPython pins "
                           f"{', '.join(s['cpython_pins']) or 'unknown'}); rows are compared across them as if they were one."))
    elif any(i["dataset_fingerprint"] is None for i in s["inputs"]):
        b.append(Paragraph("Some logs carry no dataset fingerprint (they predate it), so whether they answered the same "
                           "dataset as the others is not known."))
    for line in inputs.describe_duplicates(duplicates):
        b.append(Paragraph(f"**Duplicates:** {line}"))
    return b


CLOSED_BOOK_ONLY = ("No open-book rows: these logs are closed-book runs (`-T no_context=true`), reported as the "
                    "closed-book control in section 6.")


def _headline_section(s: dict, out: Path) -> list:
    head = s["headline"]
    if not head["models"]:
        return [Heading("At a glance"), Paragraph(CLOSED_BOOK_ONLY)]
    b: list = [Heading("At a glance"),
               Paragraph("How well each model answers as the context grows, and what it costs in money and time: accuracy "
                         "per tier with 95% intervals (left), cost per trace (middle) and cold-call latency (right). "
                         f"The effective length is the longest tier at or above {head['threshold']:.2f}, with every "
                         "shorter tier too."),
               Image(charts.headline(head, out / "headline.png"), "accuracy, cost and latency by tier")]
    b.append(Table(["model", "accuracy (all tiers)", f"effective length (>= {head['threshold']:.2f})", "cost per correct answer (USD)"],
                   [[m, _pct(d["overall"]), d["effective_length"] or "none", _usd(d["cost_per_correct_usd"])]
                    for m, d in head["models"].items()]))
    return b


def _primary_section(s: dict) -> list:
    primary = s["primary"]
    tiers = sort_tiers({t for m in primary["models"].values() for t in m["tiers"]})
    return [Heading("1. Primary score by tier"),
            Paragraph("The numbers behind the left panel of the figure above."),
            Table(["model", "overall", *tiers, f"effective length (>= {primary['threshold']:.2f})"],
                  [[model_label(m), _pct(d["overall"]), *[_pct(d["tiers"].get(t)) for t in tiers],
                    d["effective_length"] or "none"] for m, d in primary["models"].items()])]


def _family_section(s: dict, out: Path) -> list:
    fam = s["by_family"]
    tiers = sort_tiers({t for m in fam["models"].values() for f in m.values() for t in f["tiers"]})
    rows = [[model_label(m), FAMILY_LABELS.get(f, f), _pct_min(d["overall"]), *[_pct_min(d["tiers"].get(t)) for t in tiers],
             d["effective_length"] or d.get("effective_length_note") or "none"]
            for m, per in fam["models"].items() for f, d in per.items()]
    absent = [FAMILY_LABELS[f] for f in FAMILY_LABELS if f not in fam["families"]]
    if not fam["models"]:
        return [Heading("2. Accuracy by question family"), Paragraph(CLOSED_BOOK_ONLY)]
    b: list = [Heading("2. Accuracy by question family"),
               Paragraph("Single-needle questions need one place of the context, two-hop questions a chain of two, "
                         "aggregation questions every occurrence of something. A family's effective length is computed "
                         f"from that family's rows alone, and only where every tier it rests on has {MIN_ROWS} rows."),
               Table(["model", "family", "overall", *tiers, f"effective length (>= {fam['threshold']:.2f})"], rows)]
    if absent:
        b.append(Paragraph(f"No {' or '.join(absent)} rows in these logs."))
    b.append(Image(charts.families(fam, out / "families.png"), "accuracy by question family and tier"))
    return b


def _type_section(s: dict, families_of: dict[str, str], out: Path) -> list:
    by_type = s["by_question_type"]
    types = list(dict.fromkeys(t for m in by_type.values() for t in m))
    rows = [[t, FAMILY_LABELS.get(families_of.get(t, ""), "?"), *[_pct_min(by_type[m].get(t)) for m in by_type]] for t in types]
    if not types:
        return [Heading("3. Accuracy by question type"), Paragraph(CLOSED_BOOK_ONLY)]
    floor = [m for m in s["search_floor"] if m in by_type]
    note = (f" The search floor ({', '.join(floor)}: a naive regex search of the context, no model) is shown beside "
            "the models: a type where a model does not beat it needs no reading to answer." if floor else "")
    return [Heading("3. Accuracy by question type"),
            Paragraph(f"Each model's accuracy per question type over all tiers; a type with fewer than {MIN_ROWS} rows "
                      "for a model reads `too few rows`." + note),
            Table(["question type", "family", *[model_label(m) for m in by_type]], rows),
            Image(charts.accuracy_by_type(by_type, families_of, out / "accuracy_by_type.png"), "accuracy by question type")]


def _agreement_section(s: dict, out: Path) -> list:
    b: list = [Heading("4. Scorer agreement"),
               Paragraph("The primary AST-semantic match against the lenient substring scorer and, where run, the judge; "
                         "the rows where they disagree are listed for audit.")]
    for name, label in (("ast_vs_substring", "substring"), ("ast_vs_judge", "judge")):
        per_model = s["scorer_agreement"][name]
        if not per_model:
            b.append(Paragraph(f"AST vs {label}: no rows scored by the {label} scorer."))
            continue
        b.append(Table(["model", "n", "agreement", "both right", "AST only", f"{label} only", "both wrong"],
                       [[m, d["n"], d["agreement"], d["matrix"]["both_correct"], d["matrix"]["ast_only"],
                         d["matrix"]["other_only"], d["matrix"]["both_wrong"]] for m, d in per_model.items()]))
        rows = [[m, x["row_id"], x["question_type"], x["expected"], x["answer"][:120], x["ast"], x["other"]]
                for m, d in per_model.items() for x in d["disagreements"]]
        if rows:
            full = [[m, x["row_id"], x["tier"], x["question_type"], x["expected"], x["answer"], x["ast"], x["other"]]
                    for m, d in per_model.items() for x in d["disagreements"]]
            _write_csv(out / f"disagreements_{name}.csv", ["model", "row", "tier", "type", "expected", "answer", "AST", label], full)
            shown = rows[:SHOWN_ROWS]
            where = f"`disagreements_{name}.csv` (full answers)"
            intro = (f"Rows where AST and {label} disagree, for audit: all {len(rows)} are shown (answers cut at 120 characters); "
                     f"also in {where}." if len(rows) <= SHOWN_ROWS else
                     f"Rows where AST and {label} disagree, for audit: the first {SHOWN_ROWS} of {len(rows)} are shown "
                     f"(answers cut at 120 characters); all {len(rows)} are in {where}.")
            b += [Paragraph(intro), Table(["model", "row", "type", "expected", "answer", "AST", label], shown)]
    return b


def _depth_section(s: dict, out: Path) -> list:
    b: list = [Heading("5. Accuracy by answer depth"),
               Paragraph("Where the answer sits in the context (decile of its token offset) against the tier, per model; "
                         "each cell is `accuracy (rows)`, and a cell with no rows is empty, not 0.")]
    for model, grid in s["depth"].items():
        b.append(Heading(f"Depth: {model}", 3))
        b.append(Table(["tier", *[f"{d * 10}%" for d in range(10)]],
                       [[t, *[("" if c["accuracy"] is None else f"{c['accuracy']:.2f} ({c['n']})") for c in cells]]
                        for t, cells in grid.items()]))
        b.append(Image(charts.depth_heatmap(model, grid, out / f"depth_{_slug(model)}.png"), f"depth heatmap of {model}"))
    return b


def _controls_section(s: dict, out: Path) -> list:
    ctrl, pert = s["controls"], s["perturbation"]
    b: list = [Heading("6. Anti-memorization controls: perturbed and drift rows"),
               Paragraph("Two ways to tell reading from recall. **Perturbed** rows ask about a context whose code was edited "
                         "(renamed or changed), so the real stdlib's answer is wrong there; the memorized-answer rate is "
                         "the share answered with that real answer. **Drift** rows ask about a fact that changed between an "
                         "older CPython release and the dataset's; the stale-answer rate is the share answered with the "
                         "older release's fact. A model that reads the context is accurate on both and recalls neither. "
                         "The cached share is the cold call's share of input tokens read from the provider's prompt "
                         "cache on the perturbed rows.")]
    headers = ["model", "tier", "ordinary accuracy", "perturbed accuracy", "memorized-answer rate", "perturbed cold cached share",
               "drift accuracy", "stale-answer rate"]
    rows = []
    for m, d in ctrl.items():
        for tier, cells in [("all", d["overall"]), *d["tiers"].items()]:
            rows.append([m, tier, _pct(cells["ordinary"]), _pct(cells["perturbed"]) or "no rows", _pct(cells["memorized"]),
                         _share(cells["perturbed_cold_cached_share"]) if cells["perturbed"]["n"] else "",
                         _pct(cells["drift"]) or "no rows", _pct(cells["stale"])])
    b.append(Table(headers, rows))
    pins = sorted({p for d in ctrl.values() for p in d["stale_pins"]})
    if pins:
        b.append(Paragraph(f"Drift rows compare against the older release(s): {', '.join(pins)}."))
    if any(d["overall"]["perturbed"]["n"] or d["overall"]["drift"]["n"] for d in ctrl.values()):
        b.append(Image(charts.controls(ctrl, out / "controls.png"), "perturbed and drift controls"))
    else:
        b.append(Paragraph("No perturbed or drift rows in these logs, so neither control can be shown."))
    b.append(Heading("Perturbed rows in detail", 3))
    b.append(Table(["model", "pairs", "paired ordinary", "paired perturbed", "read the ordinary, missed the perturbed", "closed book"],
                   [[m, d["pairs"]["n"], d["pairs"]["ordinary_accuracy"], d["pairs"]["perturbed_accuracy"],
                     d["pairs"]["read_ordinary_missed_perturbed"], _pct(d["closed_book"]) if d["closed_book"] else "not run"]
                    for m, d in pert.items()]))
    kind_rows = [[m, k, _pct(v), _pct(v["memorized"])] for m, d in pert.items() for k, v in d["kinds"].items()]
    if kind_rows:
        b.append(Table(["model", "perturbation kind", "accuracy", "memorized-answer rate"], kind_rows))
    return b


def _serving_section(s: dict, out: Path) -> list:
    serving = s["serving"]
    b: list = [Heading("7. Serving: cold vs warm")]
    if not serving:
        return b + [Paragraph("No per-call timing in these logs (lm-eval records none).")]
    rows = []
    for m, d in serving.items():
        for phase in ("cold", "warm"):
            for metric in ("ttft", "latency"):
                x = d["phases"][phase][metric]
                rows.append([m, phase, metric, x["count"], x["missing"], x["median"], x["p90"], x["p95"], x["max"], x["over_10s"]])
    b.append(Table(["model", "call", "measure (s)", "count", "unavailable", "median", "p90", "p95", "max", "> 10 s"], rows))
    labels = list(next(iter(serving.values()))["cached_share"])
    b.append(Paragraph("Cached-token share: input tokens read from the provider's prompt cache over all input tokens, on "
                       f"the calls that reported a cache figure; `{NOT_MEASURED}` where the model reported none (never 0)."))
    b.append(Table(["model", *[k.replace("_", " ") for k in labels]],
                   [[m, *[_share(d["cached_share"][k]["share"]) for k in labels]] for m, d in serving.items()]))
    b.append(Image(charts.latency(serving, out / "latency.png"), "cold and warm latency"))
    return b


def _cost_section(s: dict, out: Path) -> list:
    b: list = [Heading("8. Cost")]
    costs = s["cost"]
    rows = []
    for m, d in costs.items():
        if d:
            rows.append([m, f"{d['rows_costed']}/{d['rows']}", d["total_usd"], d["per_trace_usd"], d["per_correct_usd"],
                         d["per_correct_perturbed_usd"], d["source"]])
        else:
            rows.append([m, "0", NOT_MEASURED, NOT_MEASURED, NOT_MEASURED, NOT_MEASURED, "no logged cost, no --prices entry"])
    b.append(Table(["model", "rows costed", "total USD", "per trace", "per correct", "per correct perturbed", "source"], rows))
    if any(costs.values()):
        b.append(Image(charts.cost_quality(costs, out / "cost_quality.png"), "quality against cost"))
    return b


def _paired_section(s: dict, out: Path) -> list:
    b: list = [Heading("9. Paired comparison")]
    if not s["paired"]:
        return b + [Paragraph("One model only: nothing to compare.")]
    b.append(Paragraph(
        "Every pair of models on the rows both answered, over all tiers: the exact McNemar test on the rows only one "
        "got right; the difference A-B with its 95% interval (clustered by context: the rows of one context and of its "
        "perturbed twin vary together, so they count as one unit of evidence, not as independent rows); the **minimum "
        "detectable difference** (MDD): "
        f"the smallest true difference this many rows, with this share of discordant rows, would find with "
        f"{POWER:.0%} power at the 5% level; and **not decisive** where the interval of the difference contains 0. "
        "A gap smaller than the MDD needs more rows (more contexts) before it means anything. Per tier: "
        "`paired_by_tier.csv`."))
    b.append(Table(["model A", "model B", "rows", "contexts", "acc A", "acc B", "only A right", "only B right",
                    "McNemar exact p", "A-B", "95% CI", "MDD", "verdict"],
                   [[model_label(p["model_a"]), model_label(p["model_b"]), p["rows"], p["contexts"], p["accuracy_a"],
                     p["accuracy_b"], p["only_a_correct"], p["only_b_correct"], p["mcnemar_p"], p["difference"],
                     _ci(p), p["min_detectable_difference"], _verdict(p)] for p in s["paired"]]))
    full = [[p["model_a"], p["model_b"], tier, t["rows"], t["contexts"], t["accuracy_a"], t["accuracy_b"], t["only_a_correct"],
             t["only_b_correct"], t["mcnemar_p"], t["difference"], t["ci"][0], t["ci"][1], t["ci_method"],
             t["min_detectable_difference"], _verdict(t)]
            for p in s["paired"] for tier, t in p["tiers"].items()]
    _write_csv(out / "paired_by_tier.csv", ["model A", "model B", "tier", "rows", "contexts", "acc A", "acc B", "only A right",
                                            "only B right", "McNemar p", "A-B", "CI low", "CI high", "CI method", "MDD",
                                            "verdict"], full)
    return b


def _ci(p: dict) -> str:
    low, high = p["ci"]
    return f"[{low:.3f}, {high:.3f}]" + (ONE_CONTEXT if "(one context)" in p["ci_method"] else "")


def _verdict(p: dict) -> str:
    return "decisive" if p["decisive"] else "not decisive"


def _blended_section(s: dict) -> list:
    b: list = [Heading("10. Blended quality (where a judge ran)")]
    if not s["blended"]:
        return b + [Paragraph("No judge ran on these logs (`-T judge=...`), so there is no blended quality.")]
    b.append(Paragraph(
        "The mean of the three scorers (AST match, substring match, judge) on the rows all three scored, as the seed "
        "study reported it. Its interval is the mean of the three intervals: the interval of the mean if the scorers "
        "were perfectly correlated, the widest it can be, so it is conservative."))
    rows = []
    for m, d in s["blended"].items():
        for tier, cell in [("all", d["overall"]), *d["tiers"].items()]:
            rows.append([model_label(m), tier, _pct(cell["blended"]), _pct(cell["ast"]), _pct(cell["substring"]),
                         _pct(cell["judge"])])
    b.append(Table(["model", "tier", "blended", "AST", "substring", "judge"], rows))
    return b


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in text)
