"""Stage 2: which files each tier holds, in context order (every tier a prefix of the next)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tqdm.auto import tqdm

from ...errors import RetrievalError
from ...sources.corpus import SourceFile
from ..contexts import plan_tiers
from ..definitions import ParsedModule, parse_module
from ..facts import module_facts
from ..file_links import import_links
from .sized_corpus import SizedCorpus

_RETURN_ARROW = re.compile(r"\)\s*->")


@dataclass
class ParseCache:
    """Parse each file once, whichever stage asks; remember files that no parser accepts."""

    parsed: dict[str, ParsedModule | None] = field(default_factory=dict)
    failures: dict[str, str] = field(default_factory=dict)  # path relative to Lib/ -> reason

    def get(self, source: SourceFile) -> ParsedModule | None:
        if source.path not in self.parsed:
            try:
                self.parsed[source.path] = parse_module(source.text, source.display_path)
            except SyntaxError as exc:
                self.parsed[source.path] = None
                self.failures[source.path] = f"unparsable: {exc}"
        return self.parsed[source.path]


@dataclass(frozen=True)
class TierPlan:
    sized: SizedCorpus
    files: dict[str, list[str]]  # tier (every tier of the ladder) -> display paths in context order
    segment_tokens: dict[str, int]  # the usable files' segment tokens (unparsable files removed)
    skipped: dict[str, str]
    parses: ParseCache

    @property
    def largest(self) -> list[str]:
        """Files of the largest requested tier: every file any requested tier uses."""
        return self.files[self.sized.options.largest_tier]


def plan_ladder(sized: SizedCorpus) -> TierPlan:
    """Plan the whole ladder; if a planned file cannot be parsed, or a file taken for its return annotations has
    none a question can ask, plan again without it."""
    options, by_path = sized.options, sized.by_path
    parses = ParseCache()
    segment_tokens = dict(sized.segment_tokens)
    skipped = dict(sized.skipped)
    annotated = {p: n for p in segment_tokens if (n := len(_RETURN_ARROW.findall(by_path[p].text)))}
    links = {p: import_links(p, by_path[p].text, segment_tokens) for p in sorted(segment_tokens)}
    while True:
        plan = plan_tiers(segment_tokens, options.ladder, options.seed, cover=[annotated], links=links)
        for path in tqdm(plan[options.largest_tier], desc="parsing", disable=not options.progress, unit="file"):
            parses.get(by_path[path])
        failed = [rel for rel in parses.failures if f"Lib/{rel}" in segment_tokens]
        for rel in failed:  # no tier may depend on a file that cannot be parsed
            skipped[rel] = parses.failures[rel]
            segment_tokens.pop(f"Lib/{rel}")
            annotated.pop(f"Lib/{rel}", None)
        false_cover = [p for p in plan[options.largest_tier] if p in annotated and parses.parsed.get(by_path[p].path)
                       and not _return_annotation_facts(parses.parsed[by_path[p].path], by_path[p].text, p)]
        for path in false_cover:  # an arrow in a string or comment, or annotations no question can ask
            annotated.pop(path)
        if not failed and not false_cover:
            break
    empty = [t for t in options.tiers if not plan[t]]
    if empty:
        raise RetrievalError(f"tier {empty[0]} holds no file: every file is longer than the tier, over --max-file-tokens "
                             f"{options.max_file_tokens}, or left out ({len(skipped)} left out); raise --max-file-tokens "
                             "or build larger tiers")
    return TierPlan(sized, plan, segment_tokens, skipped, parses)


def _return_annotation_facts(parsed: ParsedModule, text: str, path: str) -> int:
    return sum(1 for f in module_facts(parsed, text, path) if f.question_type == "return_annotation")
