"""The canonical dataset bundled with the package: the default of every task, the same questions for every user.

It is the default build (every tier T25..T1000, default options and seed) of one upstream pin,
`pins.CANONICAL_PIN`, shipped as package data in `cpython_retrieval/dataset/canonical/` and verified on every load
like any dataset folder. `cpython-retrieval canonical rebuild --out DIR` rebuilds it from the pin's verified
source; a test rebuilds it and compares bytes (`tests/core/test_canonical.py`). Why this pin: docs/changelog.md.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..sources.pins import CANONICAL_PIN

#: The build options of the canonical dataset (everything else at its default).
CANONICAL_OPTIONS = {"pin": CANONICAL_PIN, "seed": 0}


def canonical_dir() -> Path:
    """The bundled folder (a real directory: the package is installed unzipped)."""
    return Path(str(resources.files("cpython_retrieval.dataset") / "canonical"))
