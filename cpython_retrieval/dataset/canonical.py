"""The canonical dataset bundled with the package: the default of every task, the same questions for every user.

It is the default build (every tier T25..T1000, default options and seed) of one upstream pin,
`pins.CANONICAL_PIN`, shipped as package data in `cpython_retrieval/dataset/canonical/` and verified on every load
like any dataset folder. `cpython-retrieval canonical rebuild --out DIR` rebuilds it from the pin's verified
source; a test rebuilds it and compares bytes (`tests/core/test_canonical.py`). Why this pin: docs/changelog.md.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from ..errors import RetrievalError
from ..sources.pins import CANONICAL_PIN

#: The build options of the canonical dataset (everything else at its default).
CANONICAL_OPTIONS = {"pin": CANONICAL_PIN, "seed": 0}

#: The sizes the canonical dataset ships in: `default` (one ladder: one context per tier, plus its perturbed
#: twin) and `full` (independent ladders, so a tier's rows come from several contexts: at T25..T200 at least
#: 1,300 rows from 10 ladders, enough to detect a 3-point paired difference near 85% with 80% power; T500 and
#: T1000 fewer, so a run stays affordable). Each is a folder beside this module.
CANONICAL_SIZES = {
    "default": ("canonical", {}),
    "full": ("canonical_full", {"ladders": {"T25": 10, "T50": 10, "T100": 10, "T200": 10, "T500": 3, "T1000": 2}}),
}


def canonical_options(size: str = "default") -> dict:
    """The build options of one size of the canonical dataset."""
    return {**CANONICAL_OPTIONS, **CANONICAL_SIZES[check_size(size)][1]}


def check_size(size: str) -> str:
    if size not in CANONICAL_SIZES:
        raise RetrievalError(f"unknown dataset size {size!r}; choose {' or '.join(CANONICAL_SIZES)}")
    return size


def canonical_dir(size: str = "default") -> Path:
    """The bundled folder of a size (a real directory: the package is installed unzipped)."""
    return Path(str(resources.files("cpython_retrieval.dataset") / CANONICAL_SIZES[check_size(size)][0]))
