"""Measure the search floor: the grep model's accuracy per question type, family and tier on a dataset.

Asks `cpython_retrieval/grep` (`reference.grep.grep_answer`) every row of every tier of a dataset (the bundled
canonical one by default) with the prompt the tasks send, scores the answers with the primary scorer
(`scorers.score_answer`, as both frameworks do) and prints markdown tables: per type (with its family), per
family, per tier, per variant (ordinary, perturbed, drift) and overall. `--oracle` scores the oracle on the same
rows too (it must be 1.0 everywhere). `--json FILE` also writes the counts. Deterministic: same dataset, same
tables.

Usage: python tools/grep_floor.py [--dataset DIR] [--tiers T25,T50] [--oracle] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
from collections import defaultdict
from pathlib import Path

from cpython_retrieval.atomic_files import write_text
from cpython_retrieval.dataset.canonical import canonical_dir
from cpython_retrieval.dataset.store import load_tier, read_manifest
from cpython_retrieval.prompt import render_prompt
from cpython_retrieval.question_types import FAMILIES, QUESTION_TYPES
from cpython_retrieval.reference.grep import grep_answer
from cpython_retrieval.reference.oracle import oracle_answer
from cpython_retrieval.scorers import score_answer


def family_of(question_type: str) -> str:
    known = QUESTION_TYPES.get(question_type)
    return known.family if known is not None else "unknown"


def variant_of(row: dict) -> str:
    return "perturbed" if row["perturbed"] else "drift" if row.get("drift") else "ordinary"


def measure(dataset: Path, tiers: list[str], answerers: dict) -> dict[str, dict[str, dict[str, list[int]]]]:
    """{model: {grouping: {key: [correct, rows]}}} for the groupings type, family, tier, variant and all."""
    counts: dict = {name: defaultdict(lambda: defaultdict(lambda: [0, 0])) for name in answerers}
    for tier in tiers:
        for row in load_tier(dataset, tier):
            prompt = render_prompt(row["question"], row["context"])
            qtype = row["question_type"]
            for name, answer in answerers.items():
                ok = int(score_answer(qtype, row["answer"], answer(prompt), question=row["question"]).correct)
                for grouping, key in (("type", qtype), ("family", family_of(qtype)), ("tier", tier),
                                      ("variant", variant_of(row)), ("all", "all")):
                    cell = counts[name][grouping][key]
                    cell[0] += ok
                    cell[1] += 1
    return {name: {g: dict(v) for g, v in groupings.items()} for name, groupings in counts.items()}


def _rate(cell: list[int]) -> str:
    return f"{cell[0] / cell[1]:.3f} ({cell[0]}/{cell[1]})"


def tables(counts: dict, tiers: list[str]) -> str:
    models = list(counts)
    head = "| {} | " + " | ".join(models) + " |\n|---|" + "---:|" * len(models) + "\n"
    out = []
    grep = counts[models[0]]
    types = sorted(grep["type"], key=lambda t: (FAMILIES.index(family_of(t)) if family_of(t) in FAMILIES else 99, t))
    out.append("| type | family | " + " | ".join(models) + " |\n|---|---|" + "---:|" * len(models))
    for qtype in types:
        cells = " | ".join(_rate(counts[m]["type"][qtype]) for m in models)
        out.append(f"| `{qtype}` | {family_of(qtype)} | {cells} |")
    for grouping, order in (("family", [*FAMILIES, "unknown"]), ("tier", tiers),
                            ("variant", ["ordinary", "perturbed", "drift"]), ("all", ["all"])):
        keys = [k for k in order if k in grep[grouping]]
        out.append("\n" + head.format(grouping).rstrip("\n"))
        for key in keys:
            out.append(f"| {key} | " + " | ".join(_rate(counts[m][grouping][key]) for m in models) + " |")
    return "\n".join(out) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--dataset", type=Path, default=None,
                        help="dataset folder (default: the bundled canonical one)")
    parser.add_argument("--tiers", default=None, help="comma-separated tiers (default: every tier of the dataset)")
    parser.add_argument("--oracle", action="store_true", help="score the oracle on the same rows too")
    parser.add_argument("--json", type=Path, default=None, help="also write the counts as JSON here")
    args = parser.parse_args(argv)
    dataset = args.dataset or canonical_dir()
    tiers = args.tiers.split(",") if args.tiers else list(read_manifest(dataset)["tiers"])
    answerers = {"cpython_retrieval/grep": grep_answer}
    if args.oracle:
        answerers["cpython_retrieval/oracle"] = oracle_answer
    counts = measure(dataset, tiers, answerers)
    print(tables(counts, tiers), end="")
    if args.json is not None:
        write_text(args.json, json.dumps(counts, indent=1, sort_keys=True) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
