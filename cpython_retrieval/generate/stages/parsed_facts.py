"""Stage 3: the candidate facts and the definitions of every file the requested tiers use."""

from __future__ import annotations

from dataclasses import dataclass

from ..facts import Fact, module_facts
from ..questions import NameIndex, module_bindings
from .tier_plan import TierPlan


@dataclass(frozen=True)
class ParsedFacts:
    plan: TierPlan
    facts: dict[str, list[Fact]]  # display path -> the file's candidate facts
    names: dict[str, NameIndex]  # display path -> the bindings a reader could take a target for

    @property
    def texts(self) -> dict[str, str]:
        """Display path -> original text, for the files the requested tiers use."""
        by_path = self.plan.sized.by_path
        return {p: by_path[p].text for p in self.plan.largest}


def extract_facts(plan: TierPlan) -> ParsedFacts:
    by_path = plan.sized.by_path
    facts: dict[str, list[Fact]] = {}
    names: dict[str, NameIndex] = {}
    for path in plan.largest:
        parsed = plan.parses.get(by_path[path])
        assert parsed is not None, path  # the plan holds parsable files only
        facts[path] = module_facts(parsed, by_path[path].text, path)
        names[path] = NameIndex.of(module_bindings(parsed))
    return ParsedFacts(plan, facts, names)
