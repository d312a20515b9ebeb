"""Shared fixtures: one T25/T50 build from this machine's own stdlib, and the corpus it read."""

from __future__ import annotations

import pytest

from cpython_retrieval.generate.perturbations import Vocabulary
from cpython_retrieval.generate.stages import build_dataset, resolve_pin
from cpython_retrieval.sources.corpus import load_corpus


@pytest.fixture(scope="session")
def built_perturbed():
    """T25 and T50 at the defaults (100 ordinary rows and 25 perturbation rows per tier)."""
    return build_dataset(tiers=["T25", "T50"])


@pytest.fixture(scope="session")
def corpus():
    return load_corpus(resolve_pin("auto", None, False))


@pytest.fixture(scope="session")
def vocab(corpus):
    return Vocabulary.from_texts(f.text for f in corpus.files)
