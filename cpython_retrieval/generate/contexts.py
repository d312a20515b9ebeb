"""Step 4: pack corpus files into prefix-aligned tier contexts.

Files are offered by coherent groups, so that cross-file relations (a class's base defined in another file
of the context, an import naming a file of the context) exist from the small tiers up (`offer_sequence`):
groups (a top-level package, or a top-level module alone) come in a seeded order (sha256 of seed and
path, stable across machines and Python versions), a group's files in that order too, each file followed
by the files its module-level imports name (`file_links`). Tiers are filled smallest first: each takes,
first-fit in that sequence, the files that still fit its token budget *after* everything the smaller tiers
hold, a package holding at most a quarter of the tier's budget on this first pass (so one package does not
fill a tier); a second pass then takes, first-fit, any file that still fits. The global file sequence is
the order in which files were taken, and every tier is a prefix of the next: the T50 context begins with
the whole T25 context. Each file appears as one segment:

    # ===== File: Lib/json/decoder.py =====
    <the file's text>
    <blank line>
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cached_property

from ..prompt import header_length, segment_text
from .file_links import group_of

DEFAULT_TIERS = ("T25", "T50", "T100", "T200", "T500", "T1000")
#: Files above this many tokens are left out, so the smallest tier still holds several files.
DEFAULT_MAX_FILE_TOKENS = 30_000
#: On a tier's first pass a package holds at most this share of the tier's budget.
GROUP_SHARE = 4


def tier_budget(tier: str) -> int:
    """`T50` -> 50,000 tokens."""
    match = re.fullmatch(r"T(\d+)", tier)
    if not match or int(match.group(1)) <= 0:
        raise ValueError(f"tier {tier!r} is not of the form T<thousands of tokens>, e.g. T25")
    return int(match.group(1)) * 1000


def sort_tiers(tiers) -> list[str]:
    return sorted(set(tiers), key=tier_budget)


def file_order(paths, seed: int) -> list[str]:
    """The seeded order files are offered to tiers in."""
    return sorted(paths, key=lambda p: hashlib.sha256(f"{seed}:{p}".encode()).hexdigest())


def offer_sequence(paths, seed: int, links=None) -> list[str]:
    """The order files are offered to tiers in: groups in seeded order, each file followed by its links.

    `links` maps a path to the paths its imports name (default: none); each path is offered once, where first met.
    """
    order = file_order(paths, seed)
    members: dict[str, list[str]] = {}
    for path in order:
        members.setdefault(group_of(path), []).append(path)
    known = set(order)
    sequence: dict[str, None] = {}
    for group in members.values():  # in the order of each group's first file
        for path in group:
            sequence.setdefault(path)
            for linked in (links or {}).get(path, ()):
                if linked in known:
                    sequence.setdefault(linked)
    return list(sequence)


def plan_tiers(segment_tokens: dict[str, int], tiers, seed: int, cover=(), links=None) -> dict[str, list[str]]:
    """Files of each tier, in context order; each tier's list extends the previous one's.

    `links` (path -> paths its imports name) shapes the offer order (`offer_sequence`). `cover` lists groups
    of files holding a scarce kind of fact, as {path: how many such facts} (few stdlib functions have return
    annotations): a tier that holds no file of a group first takes the group's richest file that fits (ties
    broken by the offer order).
    """
    order = offer_sequence(segment_tokens, seed, links)
    taken: list[str] = []
    used = 0
    held: dict[str, int] = {}  # package -> tokens its files take in the tiers so far
    plans: dict[str, list[str]] = {}

    def take(path: str) -> None:
        nonlocal used
        taken.append(path)
        used += segment_tokens[path]
        held[group_of(path)] = held.get(group_of(path), 0) + segment_tokens[path]

    for tier in sort_tiers(tiers):
        budget = tier_budget(tier)
        for group in cover:
            if not any(path in group for path in taken):
                fitting = [p for p in order if p in group and used + segment_tokens[p] <= budget]
                if fitting:
                    richest = max(fitting, key=lambda p: group[p])  # max keeps the first of equals
                    take(richest)
                    order = [p for p in order if p != richest]
        for capped in (True, False):
            remaining = []
            for path in order:
                package = group_of(path)
                over = capped and package != path and held.get(package, 0) + segment_tokens[path] > budget // GROUP_SHARE
                if not over and used + segment_tokens[path] <= budget:
                    take(path)
                else:
                    remaining.append(path)
            order = remaining
        plans[tier] = list(taken)
    return plans


def plan_within(candidates: dict[str, list[str]], segment_tokens: dict[str, int]) -> dict[str, list[str]]:
    """Re-plan a ladder at other file sizes (perturbed files at their edited size), keeping it prefix-aligned.

    Each tier, smallest first, takes first-fit in the order given the files of its own candidate list (the
    original plan of that tier) not yet taken, within its budget. So a tier never holds a file its original
    plan lacks, every tier is a prefix of the next, and each stays within its budget at the new sizes.
    """
    taken: list[str] = []
    seen: set[str] = set()
    used = 0
    plans: dict[str, list[str]] = {}
    for tier in sort_tiers(candidates):
        budget = tier_budget(tier)
        for path in candidates[tier]:
            if path not in seen and used + segment_tokens[path] <= budget:
                taken.append(path)
                seen.add(path)
                used += segment_tokens[path]
        plans[tier] = list(taken)
    return plans


@dataclass(frozen=True)
class Context:
    """One rendered context: its text and where each file's text starts in it."""

    tier: str
    variant: str  # "original", or a perturbation variant
    text: str
    paths: tuple[str, ...]  # display paths, in order
    file_starts: dict[str, int]  # display path -> offset of the file's first character (after the header)
    segment_starts: dict[str, int]  # display path -> offset of the header

    @cached_property
    def context_id(self) -> str:
        digest = hashlib.sha256(self.text.encode("utf-8")).hexdigest()[:16]
        return f"{self.tier}-{self.variant}-{digest}"


def render_context(tier: str, variant: str, files: list[tuple[str, str]]) -> Context:
    """Concatenate (display_path, text) segments."""
    parts: list[str] = []
    file_starts: dict[str, int] = {}
    segment_starts: dict[str, int] = {}
    offset = 0
    for display_path, text in files:
        segment = segment_text(display_path, text)
        segment_starts[display_path] = offset
        file_starts[display_path] = offset + header_length(display_path)
        parts.append(segment)
        offset += len(segment)
    return Context(tier, variant, "".join(parts), tuple(p for p, _ in files), file_starts, segment_starts)
