"""Stage 0: the build's options, checked before any long work starts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ...errors import RetrievalError
from ...question_types import QUESTION_TYPES
from ...sources.pins import default_pin_version, oldest_pin_version, version_key
from ..contexts import DEFAULT_MAX_FILE_TOKENS, DEFAULT_TIERS, sort_tiers


@dataclass(frozen=True)
class BuildOptions:
    pin: str = "auto"
    source: str | Path | None = None  # a folder, or a release tarball's path or URL
    tiers: tuple[str, ...] = DEFAULT_TIERS  # sorted smallest first
    per_tier: int = 100
    seed: int = 0
    tokenizer: str = "o200k_base"
    allow_mismatch: bool = False
    max_file_tokens: int = DEFAULT_MAX_FILE_TOKENS
    question_types: tuple[str, ...] | None = None
    cache_dir: Path | None = None
    allow_download: bool = True
    progress: bool = False
    perturbed_share: float = 0.2
    drift_share: float = 0.1  # drift rows per ordinary row
    stale_pin: str | None = None  # the older release drift is measured against (default: the oldest shipped pin)
    stale_source: str | Path | None = None
    #: Independent ladders per tier ((tier, count) pairs; absent tiers have one). See `ladders.py`.
    ladders: tuple[tuple[str, int], ...] = ()

    def ladder_count(self, tier: str) -> int:
        return dict(self.ladders).get(tier, 1)

    @property
    def largest_tier(self) -> str:
        return self.tiers[-1]

    @property
    def ladder(self) -> list[str]:
        """Every default tier plus the requested ones: planned in full, so T50 is the same whichever tiers are built."""
        return [*DEFAULT_TIERS, *self.tiers]


def build_options(*, pin: str = "auto", source=None, tiers=DEFAULT_TIERS, per_tier: int = 100, seed: int = 0,
                  tokenizer: str = "o200k_base", allow_mismatch: bool = False,
                  max_file_tokens: int = DEFAULT_MAX_FILE_TOKENS, question_types=None, cache_dir=None,
                  allow_download: bool = True, progress: bool = False, perturbed_share: float = 0.2,
                  drift_share: float = 0.1, stale_pin: str | None = None, stale_source=None,
                  ladders=1) -> BuildOptions:
    """Validated options; a RetrievalError names the bad one and its allowed values."""
    if per_tier < 1:
        raise RetrievalError(f"--per-tier must be at least 1 (got {per_tier})")
    if not 0 <= perturbed_share < 1:
        raise RetrievalError(f"--perturbed-share must be at least 0 and below 1 (got {perturbed_share})")
    if not 0 <= drift_share <= 1:
        raise RetrievalError(f"--drift-share must be between 0 and 1 (got {drift_share})")
    if stale_source is not None and not stale_pin:
        version = default_pin_version() if pin == "auto" else pin
        if version_key(oldest_pin_version()) >= version_key(version):
            raise RetrievalError(f"--stale-source without --stale-pin compares with the default stale pin "
                                 f"{oldest_pin_version()}, which is not older than --pin {version}; pass --stale-pin "
                                 "VERSION (an older release) with --stale-source")
    unknown = sorted(set(question_types or ()) - set(QUESTION_TYPES))
    if unknown:
        raise RetrievalError(f"unknown question type(s) {', '.join(unknown)}; choose from {', '.join(QUESTION_TYPES)}")
    tiers = tuple(sort_tiers(tiers))
    return BuildOptions(
        pin=pin, source=source, tiers=tiers, ladders=parse_ladders(ladders, tiers),
        per_tier=per_tier, seed=seed, tokenizer=tokenizer, allow_mismatch=allow_mismatch,
        max_file_tokens=max_file_tokens, question_types=tuple(question_types) if question_types else None,
        cache_dir=cache_dir, allow_download=allow_download, progress=progress, perturbed_share=perturbed_share,
        drift_share=drift_share, stale_pin=stale_pin, stale_source=stale_source,
    )


def parse_ladders(ladders, tiers: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """`--ladders`: one count for every tier (`10`), or per tier (`T25=10,T500=3` or a mapping); tiers not named get
    one. Only counts above one are kept, so a one-ladder build's options are what they always were."""
    if isinstance(ladders, int) and not isinstance(ladders, bool):
        counts = dict.fromkeys(tiers, ladders)
    elif isinstance(ladders, dict):
        counts = dict(ladders)
    elif isinstance(ladders, str):
        text = ladders.strip()
        if text.isdigit():
            counts = dict.fromkeys(tiers, int(text))
        else:
            counts = {}
            for part in filter(None, (p.strip() for p in text.split(","))):
                tier, sep, count = part.partition("=")
                if not sep or not count.strip().isdigit():
                    raise RetrievalError(f"--ladders {ladders!r}: write a count (10) or tier=count pairs (T25=10,T500=3)")
                counts[tier.strip()] = int(count)
    else:
        raise RetrievalError(f"--ladders must be a count or tier=count pairs (got {ladders!r})")
    unknown = sorted(set(counts) - set(tiers))
    if unknown:
        raise RetrievalError(f"--ladders names tier(s) {', '.join(unknown)} that this build does not build "
                             f"({', '.join(tiers)}); name only built tiers")
    bad = {t: n for t, n in counts.items() if not isinstance(n, int) or n < 1}
    if bad:
        raise RetrievalError(f"--ladders counts must be at least 1 (got {bad})")
    return tuple((t, counts[t]) for t in tiers if counts.get(t, 1) > 1)
