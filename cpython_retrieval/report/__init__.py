"""Turn eval logs into the study's tables and charts: records -> analyses -> report.md/html, summary.json, PNGs.

`stats` is importable without matplotlib (the Inspect metrics use it); the chart-making parts load on first use.
"""

from .records import CallRecord, RowRecord


def make_report(*args, **kwargs):
    """See `report.assemble.make_report` (imports matplotlib)."""
    from .assemble import make_report as _make_report

    return _make_report(*args, **kwargs)


def read_records(*args, **kwargs):
    """See `report.readers.read_records`."""
    from .readers import read_records as _read_records

    return _read_records(*args, **kwargs)


__all__ = ["CallRecord", "RowRecord", "make_report", "read_records"]
