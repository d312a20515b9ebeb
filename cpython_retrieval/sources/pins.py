"""Pinned CPython releases: version, tag, release tarball (with its sha256 and mirrors) and, where we could hash
the release here, a sha256 manifest of its `Lib/` files.

A pin makes a dataset reproducible: the same pin, options and seed give the same rows, and a source whose
files differ from the manifest (a distro-patched stdlib, say) is caught. A *tarball-only* pin ships the
release tarball's sha256 but no per-file manifest (we could not download the tarball when the pin was made):
its `Lib/` is verified through the tarball, and the per-file hashes derived from the first verified download
are recorded in the dataset manifest.
"""

from __future__ import annotations

import json
import platform
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from ..atomic_files import write_text
from ..errors import RetrievalError

PIN_PACKAGE = "cpython_retrieval.sources.pin_manifests"
#: The release the bundled canonical dataset is built from (see `canonical.py` and the changelog for why).
CANONICAL_PIN = "3.13.15"


#: What a release name may be: it becomes part of file and folder names (the source cache, the dataset cache key).
PIN_NAME = re.compile(r"[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}")


def check_pin_name(version: str) -> str:
    """`version` if it can be a release name; else one clear error (a `/` or `..` would become a path)."""
    if not isinstance(version, str) or not PIN_NAME.fullmatch(version) or ".." in version:
        raise RetrievalError(f"{version!r} is not a CPython release name (letters, digits, '.', '+', '_', '-', "
                             f"e.g. 3.13.0); supported pins: {', '.join(available_pins())}, or a pin file path "
                             "ending in .json")
    return version


@dataclass(frozen=True)
class Pin:
    version: str
    tag: str
    tarball_url: str
    tarball_sha256: str
    #: Relative path under `Lib/` -> sha256 of the file's bytes, for every file in the corpus scope; empty for a
    #: tarball-only pin and for an unpinned version.
    files: dict[str, str] = field(default_factory=dict)
    provenance: str = ""
    #: Other places serving the same tarball bytes (verified by the same sha256), tried after `tarball_url`.
    mirrors: tuple[str, ...] = ()
    #: Tokenizer -> path under `Lib/` -> tokens of the file's context segment (header included), for the bytes
    #: `files` hashes: a build uses a count only for a file whose sha256 matches, so it is exact, and counting
    #: every file of a release again (a third of a build) is skipped.
    segment_tokens: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def minor(self) -> tuple[int, int]:
        major, minor, *_ = self.version.split(".")
        return int(major), int(minor)

    @property
    def tarball_only(self) -> bool:
        """Verifiable through its release tarball only (no per-file manifest ships)."""
        return not self.files and bool(self.tarball_sha256)

    @property
    def tarball_urls(self) -> list[str]:
        return [u for u in (self.tarball_url, *self.mirrors) if u]

    def with_files(self, files: dict[str, str], segment_tokens: dict[str, dict[str, int]] | None = None) -> Pin:
        """This pin with a per-file manifest (and segment token counts) derived from its verified tarball."""
        return Pin(self.version, self.tag, self.tarball_url, self.tarball_sha256, dict(files), self.provenance,
                   self.mirrors, dict(segment_tokens or {}))

    def known_tokens(self, tokenizer: str, path: str, sha256: str) -> int | None:
        """The shipped segment count of a file, if the file's bytes are the pinned ones."""
        if self.files.get(path) != sha256:
            return None
        return self.segment_tokens.get(tokenizer, {}).get(path)

    def to_json(self) -> str:
        payload = {
            "version": self.version,
            "tag": self.tag,
            "tarball_url": self.tarball_url,
            "tarball_sha256": self.tarball_sha256,
            "mirrors": list(self.mirrors),
            "provenance": self.provenance,
            "files": dict(sorted(self.files.items())),
            "segment_tokens": {name: dict(sorted(counts.items())) for name, counts in sorted(self.segment_tokens.items())},
        }
        return json.dumps(payload, indent=1, sort_keys=False) + "\n"


def available_pins() -> list[str]:
    """Versions with a shipped manifest, oldest first."""
    names = [p.name[: -len(".json")] for p in resources.files(PIN_PACKAGE).iterdir() if p.name.endswith(".json")]
    return sorted(names, key=version_key)


def load_pin(version: str) -> Pin:
    """The shipped pin for `version` (or a pin JSON file's path); a clear error lists the supported ones otherwise."""
    if version == "auto":
        version = default_pin_version()
    as_file = Path(version).expanduser()
    if version.endswith(".json") and as_file.is_file():
        try:
            return pin_from_json(as_file.read_text(encoding="utf-8"))
        except (ValueError, KeyError, TypeError) as exc:
            raise RetrievalError(f"{as_file} is not a pin file ({type(exc).__name__}: {exc}); "
                                 "write one with `cpython-retrieval pins generate`") from exc
    check_pin_name(version)
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
        mirrors=tuple(data.get("mirrors") or ()),
        segment_tokens={name: dict(counts) for name, counts in (data.get("segment_tokens") or {}).items()},
    )


def unpinned(version: str) -> Pin:
    """A pin with no manifest: used with --allow-mismatch for a Lib/ we ship no hashes for."""
    check_pin_name(version)
    return Pin(version=version, tag=f"v{version}", tarball_url="", tarball_sha256="", files={})


def default_pin_version() -> str:
    """The running interpreter's version when we ship its manifest (so offline builds work), else the canonical pin."""
    running = platform.python_version()
    return running if running in available_pins() else CANONICAL_PIN


def oldest_pin_version() -> str:
    """The oldest shipped pin: the default older release drift rows compare with."""
    return available_pins()[0]


def write_pin(pin: Pin, directory: Path) -> Path:
    path = directory / f"{pin.version}.json"
    write_text(path, pin.to_json())
    return path


def version_key(version: str) -> tuple[int, ...]:
    """`3.13.15` -> (3, 13, 15): release order, not string order."""
    return tuple(int(part) for part in version.split(".") if part.isdigit())
