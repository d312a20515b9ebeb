"""Turn eval logs into the study's tables and charts: records -> analyses -> report.md/html, summary.json, PNGs."""

from .assemble import make_report
from .readers import read_records
from .records import CallRecord, RowRecord

__all__ = ["CallRecord", "RowRecord", "make_report", "read_records"]
