"""Last stage: the rows in send order, the distinct contexts and the manifest, as `dataset.write_dataset` writes them.

Send order: a tier's rows go out grouped by context (every row of the original context, then every row of
the perturbed one), so a server whose prefix cache holds one context at a time prefills each context once;
within a group, round-robin over question types (each type's rows in their sampled, depth-spread order), so
the first rows of any `--limit N` cover the types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ... import __version__
from ...question_types import QUESTION_TYPES
from .tier_rows import TierRows


@dataclass
class BuiltDataset:
    rows: dict[str, list[dict[str, Any]]]  # tier -> rows
    contexts: list[dict[str, Any]]
    manifest: dict[str, Any]
    skipped: dict[str, str] = field(default_factory=dict)


def send_order(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows of one context, round-robin over question types in registry order (then drift rows, by type)."""
    queues: dict[tuple[int, int], list[dict[str, Any]]] = {}
    types = list(QUESTION_TYPES)
    for row in rows:
        queues.setdefault((int(bool(row.get("drift"))), types.index(row["question_type"])), []).append(row)
    ordered: list[dict[str, Any]] = []
    keys = sorted(queues)
    while any(queues[k] for k in keys):
        for key in keys:
            if queues[key]:
                ordered.append(queues[key].pop(0))
    return ordered


def _prompt_tokens(rows: list[dict[str, Any]], contexts: list[dict[str, Any]], counter) -> list[int]:
    """Tokens of each row's whole prompt: its context plus the instructions, `<files>` tags and question."""
    from ...prompt import render_prompt

    lengths = {c["context_id"]: c["context_tokens"] for c in contexts}
    return [lengths[r["context_id"]] + counter.count(render_prompt(r["question"], "")) for r in rows]


def assemble(asked: TierRows) -> BuiltDataset:
    plan = asked.facts.plan
    sized = plan.sized
    options, corpus, primary = sized.options, sized.corpus, sized.counter.name
    rows: dict[str, list[dict[str, Any]]] = {}
    contexts: list[dict[str, Any]] = []
    prompt_tokens: dict[str, list[int]] = {}
    for tier in options.tiers:
        groups = [asked.original[tier], *([asked.perturbed[tier]] if tier in asked.perturbed else [])]
        rows[tier] = send_order(asked.original[tier].rows + asked.drift.get(tier, []))
        if tier in asked.perturbed:
            rows[tier] += send_order(asked.perturbed[tier].rows)
        contexts.extend(g.record(primary) for g in groups)
        prompt_tokens[tier] = _prompt_tokens(rows[tier], contexts, sized.counter)
    pin = corpus.pin
    skipped = dict(sorted(plan.skipped.items()))
    manifest = {
        "generator": "cpython-retrieval",
        "generator_version": __version__,
        "pin": {"version": pin.version, "tag": pin.tag, "tarball_url": pin.tarball_url,
                "tarball_sha256": pin.tarball_sha256, "manifest_files": len(pin.files),
                "manifest_origin": corpus.manifest_origin},
        "source_kind": corpus.source_kind,
        "options": {"tiers": list(options.tiers), "per_tier": options.per_tier, "perturbed_share": options.perturbed_share,
                    "seed": options.seed, "tokenizer": primary, "max_file_tokens": options.max_file_tokens,
                    "allow_mismatch": options.allow_mismatch,
                    "question_types": sorted(options.question_types) if options.question_types else None,
                    "drift_share": options.drift_share, "stale_pin": options.stale_pin},
        "hash_mismatches": corpus.mismatches,
        "skipped_files": skipped,
        "tiers": {tier: {"context_id": asked.original[tier].context.context_id,
                         "files": len(asked.original[tier].context.paths),
                         "context_tokens": asked.original[tier].counts[primary], "rows": len(rows[tier]),
                         "ordinary_rows": len(asked.original[tier].rows),
                         "drift_rows": len(asked.drift.get(tier, [])),
                         "contexts": 1 + (tier in asked.perturbed),
                         "prompt_tokens_max": max(prompt_tokens[tier]),
                         "prompt_tokens_total": sum(prompt_tokens[tier]),
                         "perturbation": asked.perturbed[tier].stats if tier in asked.perturbed else None}
                  for tier in options.tiers},
        "perturbations": asked.perturbed_summaries,
        "drift": asked.drift_summary,
        "files": [{"path": f.path, "sha256": f.sha256, "tokens": plan.segment_tokens.get(f.display_path)}
                  for f in corpus.files],
    }
    return BuiltDataset(rows, contexts, manifest, skipped)
