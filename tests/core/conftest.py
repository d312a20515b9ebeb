"""Shared builds for the core tests: built once per session from this machine's own stdlib."""

from __future__ import annotations

import pytest

from cpython_retrieval.dataset.store import write_dataset
from cpython_retrieval.generate.stages import build_dataset


@pytest.fixture(scope="session")
def built_small():
    """T25, T50 and T100 at the default 100 questions per tier."""
    return build_dataset(tiers=["T25", "T50", "T100"])


@pytest.fixture(scope="session")
def written_small(built_small, tmp_path_factory):
    out = tmp_path_factory.mktemp("dataset")
    write_dataset(built_small, out)
    return out
