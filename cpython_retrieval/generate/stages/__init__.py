"""The build, stage by stage: each stage is a function of the previous stage's value.

    build_options  (stage 0, options.py)        the checked options
    read_corpus    (stage 1, sized_corpus.py)   pinned Lib/ read, verified, each file's tokens counted
    plan_ladder    (stage 2, tier_plan.py)      the files of every tier, each tier a prefix of the next
    extract_facts  (stage 3, parsed_facts.py)   candidate facts of every file the tiers use
    ask_tiers      (stage 4, tier_rows.py)      each tier's context and ordinary questions
    add_perturbed_rows (stage 5, perturbed_rows.py) each tier's perturbed context and its questions
    add_drift_rows (stage 6, drift_rows.py)     facts changed since an older release, on the original context
    assemble       (last, assemble.py)          rows in send order, distinct contexts and the manifest
    merge_ladders  (ladders.py)                 with --ladders N: stages 2..last once per independent ladder, merged

`build_dataset` runs them in order and returns rows, contexts and a manifest without touching disk;
`dataset.write_dataset` writes them as a Hugging Face dataset folder.
"""

from __future__ import annotations

import gc
from contextlib import contextmanager
from dataclasses import replace

from .assemble import BuiltDataset, assemble
from .drift_rows import add_drift_rows
from .ladders import ladder_options, merge_ladders
from .options import BuildOptions, build_options
from .parsed_facts import extract_facts
from .perturbed_rows import add_perturbed_rows
from .sized_corpus import SizedCorpus, read_corpus, resolve_pin
from .tier_plan import plan_ladder
from .tier_rows import ask_tiers

__all__ = ["BuildOptions", "BuiltDataset", "build_dataset", "build_options", "no_cyclic_gc", "resolve_pin"]


def build_dataset(**options) -> BuiltDataset:
    """Build every requested tier's rows in memory (see `build_options` for the arguments).

    Same pin, options and seed give identical rows. Each tier gets `per_tier` ordinary rows, perturbation
    rows (`perturbed_share` of the tier's rows; 0 disables them) asked on the tier's one perturbed context
    (see `perturbations.py`), and drift rows (`drift_share` per ordinary row) asked on its original context
    (see `drift.py`).
    """
    checked = build_options(**options)
    with no_cyclic_gc():
        corpus = read_corpus(checked)
        built = [build_ladder(replace(corpus, options=one)) for one in ladder_options(checked)]
        return built[0] if len(built) == 1 else merge_ladders(checked, built)


def build_ladder(corpus: SizedCorpus) -> BuiltDataset:
    """One ladder: the stages in order, from the sized corpus (whose options carry the ladder's seed and tiers)."""
    plan = plan_ladder(corpus)
    facts = extract_facts(plan)
    asked = ask_tiers(facts)
    asked = add_perturbed_rows(asked)
    asked = add_drift_rows(asked)
    return assemble(asked)


@contextmanager
def no_cyclic_gc():
    """The build makes millions of short-lived objects (syntax trees) while holding a large corpus: the cyclic
    collector would rescan that corpus again and again (about a quarter of a full build's time) to free
    nothing, since trees and records hold no cycles; reference counting frees them. Restored afterwards."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
