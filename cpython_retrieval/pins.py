"""Pinned CPython releases: version, tag, release tarball and a sha256 manifest of the `Lib/` files used.

A pin makes a dataset reproducible: the same pin, options and seed give the same rows, and a
source whose files differ from the manifest (a distro-patched stdlib, say) is caught.
"""

from __future__ import annotations

import json
import platform
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from .errors import RetrievalError

PIN_PACKAGE = "cpython_retrieval.pin_manifests"


@dataclass(frozen=True)
class Pin:
    version: str
    tag: str
    tarball_url: str
    tarball_sha256: str
    #: Relative path under `Lib/` -> sha256 of the file's bytes, for every file in the corpus scope.
    files: dict[str, str] = field(default_factory=dict)
    provenance: str = ""

    @property
    def minor(self) -> tuple[int, int]:
        major, minor, *_ = self.version.split(".")
        return int(major), int(minor)

    def to_json(self) -> str:
        payload = {
            "version": self.version,
            "tag": self.tag,
            "tarball_url": self.tarball_url,
            "tarball_sha256": self.tarball_sha256,
            "provenance": self.provenance,
            "files": dict(sorted(self.files.items())),
        }
        return json.dumps(payload, indent=1, sort_keys=False) + "\n"


def available_pins() -> list[str]:
    """Versions with a shipped manifest, oldest first."""
    names = [p.name[: -len(".json")] for p in resources.files(PIN_PACKAGE).iterdir() if p.name.endswith(".json")]
    return sorted(names, key=_version_key)


def load_pin(version: str) -> Pin:
    """The shipped pin for `version`; a clear error lists the supported ones otherwise."""
    if version == "auto":
        version = default_pin_version()
    ref = resources.files(PIN_PACKAGE) / f"{version}.json"
    if not ref.is_file():
        raise RetrievalError(
            f"no manifest for CPython {version}; supported pins: {', '.join(available_pins())} "
            f"(or pass --allow-mismatch with --source to build from an unpinned Lib/)"
        )
    return pin_from_json(ref.read_text(encoding="utf-8"))


def pin_from_json(text: str) -> Pin:
    data = json.loads(text)
    return Pin(
        version=data["version"],
        tag=data["tag"],
        tarball_url=data["tarball_url"],
        tarball_sha256=data["tarball_sha256"],
        files=dict(data["files"]),
        provenance=data.get("provenance", ""),
    )


def unpinned(version: str) -> Pin:
    """A pin with no manifest: used with --allow-mismatch for a Lib/ we ship no hashes for."""
    return Pin(version=version, tag=f"v{version}", tarball_url="", tarball_sha256="", files={})


def default_pin_version() -> str:
    """The running interpreter's version when we ship its manifest (so offline builds work), else the newest pin."""
    running = platform.python_version()
    pins = available_pins()
    return running if running in pins else pins[-1]


def write_pin(pin: Pin, directory: Path) -> Path:
    path = directory / f"{pin.version}.json"
    path.write_text(pin.to_json(), encoding="utf-8")
    return path


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())
