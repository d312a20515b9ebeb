"""Several independent ladders per tier: each a prefix-aligned T25..T1000 sequence of its own files (its own seed),
with its own questions, merged into one dataset whose rows keep their `context_id`.

Why: every row of a ladder's tier shares one context, so a tier's accuracy depends on which files and depths that
one context holds; rows from one context are not independent draws. Several ladders give several contexts per tier,
so a report can cluster its standard errors by context and see the variation between contexts (Miller 2024,
"Adding Error Bars to Evals"). Ladder 0 is the one-ladder build itself (same seed, same ids), so a one-ladder
build is unchanged; ladder k > 0 uses a seed derived from (seed, k) and its row ids end in `-L<k>`.

Send order stays grouped by context: ladder 0's tier rows (original context, then perturbed), then ladder 1's, ...
so a server whose prefix cache holds one context prefills each context once (2 contexts per ladder and tier).
"""

from __future__ import annotations

import copy
import hashlib
from collections import Counter
from dataclasses import replace
from typing import Any

from ...errors import RetrievalError
from .assemble import BuiltDataset
from .options import BuildOptions


def ladder_seed(seed: int, ladder: int) -> int:
    """Ladder 0 keeps the build's seed; the others get one derived from it (stable across machines and Pythons)."""
    if ladder == 0:
        return seed
    return int(hashlib.sha256(f"{seed}:ladder:{ladder}".encode()).hexdigest()[:8], 16)


def ladder_options(options: BuildOptions) -> list[BuildOptions]:
    """One single-ladder option set per ladder: ladder k builds the tiers that ask for more than k ladders."""
    count = max((options.ladder_count(t) for t in options.tiers), default=1)
    return [replace(options, seed=ladder_seed(options.seed, k), ladders=(),
                    tiers=tuple(t for t in options.tiers if options.ladder_count(t) > k))
            for k in range(count)]


def _suffixed(row: dict[str, Any], ladder: int) -> dict[str, Any]:
    if ladder == 0:
        return row
    out = dict(row)
    out["id"] = f"{row['id']}-L{ladder}"
    if row.get("pair_id"):
        out["pair_id"] = f"{row['pair_id']}-L{ladder}"
    return out


def _sum_counts(dicts: list[dict[str, int]]) -> dict[str, int]:
    total: Counter = Counter()
    for d in dicts:
        total.update(d or {})
    return dict(sorted(total.items()))


def _summed(entries: list[dict[str, Any] | None]) -> dict[str, Any] | None:
    """Counts added over ladders (numbers and {name: count} maps); ids and token lengths are per ladder."""
    present = [e for e in entries if e]
    if not present:
        return None
    out: dict[str, Any] = {}
    for key, value in present[0].items():
        if isinstance(value, bool) or key in ("context_id", "context_tokens"):
            continue
        if isinstance(value, int):
            out[key] = sum(e.get(key, 0) for e in present)
        elif isinstance(value, dict):
            out[key] = _sum_counts([e.get(key) for e in present])
    return out


def merge_ladders(options: BuildOptions, built: list[BuiltDataset]) -> BuiltDataset:
    """One dataset from the ladders' builds: rows in ladder order per tier, every context once, one manifest."""
    rows: dict[str, list[dict[str, Any]]] = {}
    for tier in options.tiers:
        rows[tier] = [_suffixed(r, k) for k, b in enumerate(built) if tier in b.rows for r in b.rows[tier]]
    contexts = [c for b in built for c in b.contexts]
    ids = Counter(c["context_id"] for c in contexts)
    clashes = sorted(i for i, n in ids.items() if n > 1)
    if clashes:
        raise RetrievalError(f"two ladders built the same context {clashes[0]}: the corpus is too small for "
                             f"{max(options.ladder_count(t) for t in options.tiers)} independent ladders; ask for fewer")
    manifest = copy.deepcopy(built[0].manifest)
    manifest["options"]["ladders"] = dict(options.ladders)
    for tier in options.tiers:
        pairs = [(b, b.manifest["tiers"][tier]) for b in built if tier in b.rows]
        entries = [e for _, e in pairs]
        info = manifest["tiers"][tier]
        info["rows"] = len(rows[tier])
        info["ordinary_rows"] = sum(e["ordinary_rows"] for e in entries)
        info["drift_rows"] = sum(e["drift_rows"] for e in entries)
        info["contexts"] = sum(e["contexts"] for e in entries)
        info["prompt_tokens_max"] = max(e["prompt_tokens_max"] for e in entries)
        info["prompt_tokens_total"] = sum(e["prompt_tokens_total"] for e in entries)
        info["perturbation"] = _summed([e["perturbation"] for e in entries])
        info["ladders"] = [{"seed": b.manifest["options"]["seed"], "context_id": e["context_id"],
                            "perturbed_context_id": (e["perturbation"] or {}).get("context_id"),
                            "files": e["files"], "context_tokens": e["context_tokens"], "rows": e["rows"]}
                           for b, e in pairs]
    manifest["perturbations"] = [{**p, "ladder": k} for k, b in enumerate(built) for p in b.manifest["perturbations"]]
    drift = manifest.get("drift") or {}
    if drift.get("tiers"):
        for tier in drift["tiers"]:
            drift["tiers"][tier] = _summed([b.manifest["drift"]["tiers"].get(tier) for b in built
                                            if (b.manifest.get("drift") or {}).get("tiers")])
        drift["drifted_facts"] = sum((b.manifest.get("drift") or {}).get("drifted_facts", 0) for b in built)
    skipped = dict(sorted({k: v for b in built for k, v in b.skipped.items()}.items()))
    manifest["skipped_files"] = skipped
    return BuiltDataset(rows, contexts, manifest, skipped)
