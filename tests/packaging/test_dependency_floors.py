"""Every dependency floor in pyproject.toml is a version the suite runs against: .ci/constraints-floor.txt pins
each direct dependency at exactly its floor, so `pip install -e '.[dev]' -c .ci/constraints-floor.txt` installs the
floor set (README, Development)."""

from __future__ import annotations

import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]


def _declared_floors() -> dict[str, Version]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"].values()
    requirements = [*project["dependencies"], *(r for extra in extras for r in extra)]
    floors: dict[str, Version] = {}
    for text in requirements:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        if name == "cpython-retrieval":
            continue  # the dev extra names the other extras
        lower = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
        assert lower, f"{text}: every dependency needs a tested floor (>=)"
        assert floors.setdefault(name, lower[0]) == lower[0], f"{name} has two floors in pyproject.toml"
    return floors


def _constraints() -> dict[str, Version]:
    pins: dict[str, Version] = {}
    for line in (ROOT / ".ci" / "constraints-floor.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            requirement = Requirement(line)
            (spec,) = requirement.specifier
            assert spec.operator == "==", line
            pins[canonicalize_name(requirement.name)] = Version(spec.version)
    return pins


def test_the_floor_constraints_pin_every_declared_floor_exactly():
    assert _constraints() == _declared_floors()
