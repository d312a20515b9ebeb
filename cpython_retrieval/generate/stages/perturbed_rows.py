"""Stage 5: each tier's perturbed context (some files edited) and the rows asked about the edited facts.

What is perturbed and how is `perturbations.py`; this stage places it in the tiers. The perturbed contexts are
planned at the edited files' sizes (`contexts.plan_within`): each holds its tier's files in order, edited where
perturbed, as many as fit the budget, so they stay within it and stay prefix-aligned.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ..contexts import (
    Context,
    plan_within,
    render_context,
    segment_text,
    sort_tiers,
    tier_budget,
)
from ..perturbations import (
    FilePerturbation,
    PerturbedCandidate,
    Vocabulary,
    perturb_files,
    perturbed_files,
    perturbed_row_count,
    sample_perturbed,
)
from ..questions import NameIndex, context_candidates, module_bindings, sample_scorable
from .rows import question_row, tally
from .tier_rows import AskedContext, TierRows


def add_perturbed_rows(asked: TierRows) -> TierRows:
    facts = asked.facts
    plan = facts.plan
    sized = plan.sized
    options, by_path, counter = sized.options, sized.by_path, sized.counter
    n_rows = perturbed_row_count(options.per_tier, options.perturbed_share)
    if not n_rows:
        return asked
    vocab = Vocabulary.from_files((f.display_path, f.text) for f in sized.corpus.files)
    ladder_plans = {t: plan.files[t] for t in sort_tiers(options.ladder)
                    if tier_budget(t) <= tier_budget(options.largest_tier)}
    selected = perturbed_files(ladder_plans, plan.segment_tokens)
    wanted = {p for t in options.tiers for p in selected[t]}
    in_order = [p for p in plan.largest if p in wanted]  # the seeded sequence every tier is a prefix of
    perturbations = perturb_files(in_order, {p: by_path[p].text for p in in_order}, facts.facts, options.seed, vocab)
    edited_tokens = {**plan.segment_tokens,
                     **{p: counter.count(segment_text(p, x.text)) for p, x in sorted(perturbations.items())}}
    ladder = plan_within(ladder_plans, edited_tokens)
    perturbed: dict[str, AskedContext] = {}
    for tier in options.tiers:
        files = [p for p in ladder[tier] if p in perturbations]
        if not files:
            continue
        changed = set(files)
        texts = {p: perturbations[p].text if p in changed else by_path[p].text for p in ladder[tier]}
        tokens = {p: edited_tokens[p] for p in ladder[tier]}
        context = render_context(tier, "perturbed", [(p, texts[p]) for p in ladder[tier]])
        counts = asked.sizer.counts(context, texts, tokens, "perturbed", changed=changed)
        candidates = _perturbed_candidates(context, changed, perturbations, facts, asked.original[tier].rows,
                                           options.question_types)
        picked = sample_scorable(lambda pool, tier=tier: sample_perturbed(pool, n_rows, options.seed, tier), candidates)
        rows = [question_row(pc.candidate, tier, context, counts, counter, tokens, sized.pin, options.seed, pc,
                             prefix=asked.prefix) for pc in picked]
        stats = _stats(context, counts[counter.name], files, perturbations, picked)
        perturbed[tier] = AskedContext(context, counts, rows, stats)
    used = sorted({p for t in options.tiers for p in ladder[t] if p in perturbations})
    return dataclasses.replace(asked, perturbed=perturbed, perturbed_summaries=[perturbations[p].summary() for p in used])


def _perturbed_candidates(context: Context, changed: set[str], perturbations: dict[str, FilePerturbation], facts,
                          ordinary_rows, question_types) -> list[PerturbedCandidate]:
    """Changed facts of the perturbed files that are unambiguous in the perturbed context (same rules as ordinary rows)."""
    names = {p: NameIndex.of(module_bindings(perturbations[p].parsed)) if p in changed else facts.names[p]
             for p in context.paths}
    ordinary = {(r["question_type"], r["source_file"], r["symbol"]): r["id"] for r in ordinary_rows}
    out = []
    for c in context_candidates(context, {p: perturbations[p].facts for p in changed}, names):
        fact = c.fact
        change = perturbations[fact.path].changes.get((fact.question_type, fact.symbol))
        if change is None or (question_types and fact.question_type not in question_types):
            continue
        out.append(PerturbedCandidate(c, change.kind, change,
                                      ordinary.get((fact.question_type, fact.path, change.original_symbol))))
    return out


def _stats(context: Context, tokens: int, files: list[str], perturbations, picked) -> dict[str, Any]:
    return {
        "context_id": context.context_id,
        "context_tokens": tokens,
        "files_perturbed": len(files),
        "file_kinds": tally(k for p in files for k in perturbations[p].kinds),
        "rows": len(picked),
        "paired_rows": sum(1 for pc in picked if pc.pair_id is not None),
        "kinds": tally(pc.kind for pc in picked),
        "question_types": tally(pc.candidate.fact.question_type for pc in picked),
    }
