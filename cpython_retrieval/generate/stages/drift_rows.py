"""Stage 6: drift rows, facts that changed since an older release, asked on each tier's original context.

What drift is and how it is found: `drift.py`. The older release is `--stale-pin` (default: the oldest shipped
pin, when the dataset's pin is newer), read and verified like any pin. A drift row adds no context to its tier;
it is sampled like ordinary rows (types in equal shares, depth round-robin), from drifted facts that are
unambiguous in the context and not already asked by an ordinary row: first those with a stale answer to
recognise (changed, moved), then facts the older release lacked (added) if too few.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ...errors import RetrievalError
from ...sources.corpus import load_corpus
from ...sources.fetch import SourceUnavailable
from ...sources.pins import available_pins, load_pin, oldest_pin_version, version_key
from ..drift import Drift, OlderRelease, file_drift, moved_class
from ..questions import context_candidates, sample_questions, sample_scorable
from .rows import question_row, tally
from .tier_rows import TierRows


def stale_pin_version(options, version: str) -> str | None:
    """The older release to compare with: the option, else the oldest shipped pin when it is older than `version`
    (with `--stale-source` alone too: that source is then the oldest shipped pin's, checked like any pin's)."""
    if options.stale_pin:
        return options.stale_pin
    if options.stale_source is not None:
        return oldest_pin_version()  # build_options refused it when it is not older than the dataset's pin
    if version not in available_pins():
        return None  # an unpinned source: no default to compare with
    oldest = oldest_pin_version()
    return oldest if version_key(oldest) < version_key(version) else None


def add_drift_rows(asked: TierRows) -> TierRows:
    facts = asked.facts
    plan = facts.plan
    sized = plan.sized
    options, by_path, counter, pin = sized.options, sized.by_path, sized.counter, sized.pin
    n_rows = round(options.per_tier * options.drift_share)
    stale = stale_pin_version(options, pin.version)
    if not n_rows or stale is None:
        why = "--drift-share 0" if not n_rows else f"no shipped pin is older than {pin.version}"
        return dataclasses.replace(asked, drift_summary={"stale_pin": None, "why_none": why})
    older = _older_release(stale, options)
    drifts: dict[str, dict[tuple[str, str], Drift]] = {}
    for path in plan.largest:
        found = file_drift(facts.facts[path], plan.parses.get(by_path[path]), older.parsed(path))
        found += [m for f in facts.facts[path] if f.question_type == "class_location"
                  for m in [moved_class(f, older)] if m is not None]
        drifts[path] = {(d.fact.question_type, d.fact.symbol): d for d in found}
    rows_by_tier: dict[str, list[dict[str, Any]]] = {}
    stats: dict[str, Any] = {}
    for tier in options.tiers:
        original = asked.original[tier]
        context = original.context
        asked_already = {(r["question_type"], r["source_file"], r["symbol"]) for r in original.rows}
        candidates = [c for c in context_candidates(context, {p: [d.fact for d in drifts[p].values()] for p in context.paths},
                                                    facts.names)
                      if (c.fact.question_type, c.fact.path, c.fact.symbol) not in asked_already]
        known = [c for c in candidates if drifts[c.fact.path][(c.fact.question_type, c.fact.symbol)].stale_answer is not None]
        chosen = sample_scorable(lambda pool, tier=tier: sample_questions(pool, n_rows, options.seed, tier,
                                                                          options.question_types, salt=("drift",)),
                                 known)
        if len(chosen) < n_rows:  # facts the older release lacked fill up: no stale answer to measure, but drift
            rest = [c for c in candidates if c not in known]
            missing = n_rows - len(chosen)
            chosen += sample_scorable(lambda pool, tier=tier, missing=missing: sample_questions(
                pool, missing, options.seed, tier, options.question_types, salt=("drift", "added")), rest)
        rows = [question_row(c, tier, context, original.counts, counter, plan.segment_tokens, pin, options.seed,
                             drift=drifts[c.fact.path][(c.fact.question_type, c.fact.symbol)], stale_pin=stale,
                             prefix=asked.prefix)
                for c in chosen]
        rows_by_tier[tier] = rows
        stats[tier] = {"candidates": len(candidates), "rows": len(rows),
                       "kinds": tally(r["drift_kind"] for r in rows), "question_types": tally(r["question_type"] for r in rows)}
    summary = {"stale_pin": stale, "drifted_facts": sum(len(d) for d in drifts.values()), "tiers": stats}
    return dataclasses.replace(asked, drift=rows_by_tier, drift_summary=summary)


def _older_release(version: str, options) -> OlderRelease:
    try:
        corpus = load_corpus(load_pin(version), options.stale_source, cache_dir=options.cache_dir,
                             allow_download=options.allow_download)
    except SourceUnavailable as exc:
        raise RetrievalError(f"drift rows compare with CPython {version} (the stale pin), whose Lib/ is not available "
                             f"({exc.reason}); pass --stale-source PATH, another --stale-pin, or --drift-share 0") from None
    return OlderRelease(version, {f.display_path: f.text for f in corpus.files})
