"""Checks on the report's inputs before any analysis: something to report, one dataset, each sample once.

A log and its `inspect eval-retry` copy hold the same samples (the retry carries the finished ones
over), so counting both would double every n; the latest attempt of a sample is kept and the report
says so. Runs on datasets with different content fingerprints are not one comparison unless the
caller says they may be (`--allow-mixed`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..errors import RetrievalError
from .records import RowRecord

UNKNOWN = "unknown"


@dataclass(frozen=True)
class Duplicates:
    """Samples that more than one log holds: `kept` is the latest attempt's log."""

    model: str
    dropped: str  # log path
    kept: str
    samples: int
    retry: bool  # same Inspect task_id: an `inspect eval-retry` of the dropped log (lm-eval records no retries)


def require_rows(records: list[RowRecord]) -> None:
    if not records:
        raise RetrievalError("no scored rows to report: pass logs of finished cpython_retrieval runs")


def check_one_dataset(records: list[RowRecord], *, allow_mixed: bool) -> list[str]:
    """The known fingerprints, sorted; an error naming two of them when they differ and mixing was not allowed.

    A log whose fingerprint is missing (stripped, or older than the field) still carries its CPython pin and
    generator version where known: logs that differ there answered different datasets too, whatever their
    fingerprints say, and are refused the same way."""
    for label, attr in (("fingerprint", "fingerprint"), ("CPython pin", "cpython_version"),
                        ("generator version", "generator_version")):
        logs_by_value: dict[str, set[str]] = defaultdict(set)
        for r in records:
            value = getattr(r.dataset, attr)
            if value is not None:
                logs_by_value[value].add(_log_name(r))
        values = sorted(logs_by_value)
        if len(values) > 1 and not allow_mixed:
            a, b = values[:2]
            more = f" (and {len(values) - 2} more)" if len(values) > 2 else ""
            raise RetrievalError(f"the logs answer different datasets: {label} {a} ({min(logs_by_value[a])}) and {b} "
                                 f"({min(logs_by_value[b])}){more}; report runs of one dataset, or pass --allow-mixed to "
                                 "compare them anyway")
    return sorted({r.dataset.fingerprint for r in records if r.dataset.fingerprint is not None})


def mixed_pins(records: list[RowRecord]) -> list[str]:
    """The CPython pins the logs name, sorted (more than one: the report says so at the top)."""
    return sorted({r.dataset.cpython_version for r in records if r.dataset.cpython_version is not None})


def deduplicate(records: list[RowRecord]) -> tuple[list[RowRecord], list[Duplicates]]:
    """One record per (model, dataset, row, closed-book flag, epoch): the one from the most recently created log."""
    groups: dict[tuple, list[RowRecord]] = defaultdict(list)
    for r in records:
        groups[(r.model, r.dataset.fingerprint, r.key)].append(r)
    kept: list[RowRecord] = []
    dropped: dict[tuple[str, str, str, bool], int] = defaultdict(int)
    for group in groups.values():
        latest = max(group, key=lambda r: (r.log.created, _log_name(r)))
        kept.append(latest)
        for r in group:
            if r is not latest:
                retry = r.log.framework != "lm-eval" and bool(r.log.run) and r.log.run == latest.log.run
                dropped[(r.model, _log_name(r), _log_name(latest), retry)] += 1
    order = {id(r): i for i, r in enumerate(records)}
    kept.sort(key=lambda r: order[id(r)])
    notes = [Duplicates(model=m, dropped=d, kept=k, samples=n, retry=retry) for (m, d, k, retry), n in sorted(dropped.items())]
    return kept, notes


def describe_duplicates(notes: list[Duplicates]) -> list[str]:
    out = []
    for n in notes:
        relation = "its `inspect eval-retry` copy" if n.retry else "a later run"
        out.append(f"{n.samples} sample(s) of {n.model} in `{Path(n.dropped).name}` are also in {relation} "
                   f"`{Path(n.kept).name}`: each is counted once, from the latest attempt (`{Path(n.kept).name}`).")
    return out


def input_table(all_records: list[RowRecord], counted: list[RowRecord]) -> list[dict]:
    """One entry per input log: what it is, which dataset it answered, how many of its rows the report counts."""
    counted_per_log: dict[str, int] = defaultdict(int)
    for r in counted:
        counted_per_log[_log_name(r)] += 1
    by_log: dict[str, list[RowRecord]] = defaultdict(list)
    for r in all_records:
        by_log[_log_name(r)].append(r)
    out = []
    for name in sorted(by_log):
        rows = by_log[name]
        first = rows[0]
        out.append({
            "log": Path(name).name, "path": name, "framework": first.log.framework or first.source.split(":", 1)[0],
            "model": first.model, "tiers": sorted({r.tier for r in rows}, key=lambda t: int(t[1:]) if t[1:].isdigit() else 0),
            "status": first.log.status or None, "samples": first.log.samples or len(rows), "scored": len(rows),
            "counted": counted_per_log.get(name, 0),
            "cpython_version": _one({r.dataset.cpython_version for r in rows}),
            "generator_version": _one({r.dataset.generator_version for r in rows}),
            "dataset_fingerprint": _one({r.dataset.fingerprint for r in rows}),
        })
    return out


def _one(values: set) -> str | None:
    known = sorted(v for v in values if v is not None)
    return ", ".join(known) if known else None


def _log_name(r: RowRecord) -> str:
    return r.log.path or r.source
