"""Docs figures that the code decides: the reference models listed, the sample report's tiers, the example revision."""

from __future__ import annotations

import re
from pathlib import Path

from cpython_retrieval import __version__
from cpython_retrieval.sources.pins import CANONICAL_PIN

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def test_inspect_docs_list_every_reference_model():
    from cpython_retrieval.adapters.inspect_models import REFERENCE_MODELS

    intro = (DOCS / "inspect.md").read_text(encoding="utf-8").split("## Task parameters", 1)[0]
    table = (DOCS / "inspect.md").read_text(encoding="utf-8").split("## Reference models", 1)[1].split("\n## ", 1)[0]
    for model in REFERENCE_MODELS:
        assert f"`cpython_retrieval/{model}`" in intro and f"`cpython_retrieval/{model}" in table, model


def test_report_docs_name_the_sample_reports_tiers():
    sample = (DOCS / "sample-report" / "report.md").read_text(encoding="utf-8")
    inputs = sample.split("## Inputs", 1)[1].split("\n## ", 1)[0]
    tiers = sorted({m for m in re.findall(r"\| (T\d+) \|", inputs)}, key=lambda t: int(t[1:]))
    sentence = (DOCS / "report.md").read_text(encoding="utf-8").split("## Sample report", 1)[1]
    named = re.search(r"real offline runs on ([^:]+):", sentence.replace("\n", " ")).group(1)
    assert re.findall(r"T\d+", named) == tiers


def test_publishing_example_revision_is_the_canonical_pins_at_this_version():
    text = (DOCS / "publishing.md").read_text(encoding="utf-8")
    assert f'revision="cpython-{CANONICAL_PIN}-gen{__version__}-seed0"' in text
