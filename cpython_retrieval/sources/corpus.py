"""Step 1 of the pipeline: find a pinned CPython `Lib/`, select the corpus files, verify them, read them as text.

The stdlib is only ever read and parsed, never imported or executed. Files are ordered by their
path relative to `Lib/` (POSIX form, code-point order), so every later step sees the same order.
"""

from __future__ import annotations

import os
import platform
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import RetrievalError
from .fetch import SourceUnavailable, cached_source, fetch_release, is_tarball
from .lib_files import find_lib_dir, read_source, scope_files
from .pins import Pin


@dataclass(frozen=True)
class SourceFile:
    path: str  # relative to Lib/, POSIX separators
    text: str  # decoded, newlines normalised to "\n"
    sha256: str  # of the file's bytes on disk

    @property
    def display_path(self) -> str:
        """The path as the context's file headers show it."""
        return f"Lib/{self.path}"


@dataclass
class Corpus:
    pin: Pin
    lib_dir: Path
    source_kind: str  # see LibSource.kind
    files: list[SourceFile]
    mismatches: list[str] = field(default_factory=list)  # paths whose hash differs from the pin (or missing/extra)
    skipped: dict[str, str] = field(default_factory=dict)  # path -> reason (undecodable, ...)
    manifest_origin: str = "shipped"  # "shipped" with the pin, "derived" from its verified tarball, or "none"

    def by_path(self) -> dict[str, SourceFile]:
        return {f.path: f for f in self.files}


def interpreter_lib() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def local_install_lib(version: str) -> Path | None:
    """The `Lib/` of another local install of exactly this release (a pyenv version), if there is one."""
    root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    major, minor, *_ = version.split(".")
    lib = Path(root) / "versions" / version / "lib" / f"python{major}.{minor}"
    return lib if (lib / "os.py").is_file() else None


@dataclass(frozen=True)
class LibSource:
    """Where a pin's `Lib/` comes from, and the pin it is verified against (with files derived from a tarball)."""

    lib: Path
    kind: str  # "explicit", "tarball", "cache", "interpreter", "local-install", "download"
    pin: Pin


def resolve_lib(pin: Pin, source: Path | str | None, *, cache_dir: Path | None = None,
                allow_download: bool = True) -> LibSource:
    """Where the pin's `Lib/` comes from, in the documented order: explicit (folder or tarball), cache, the running
    interpreter, another local install of the release, download."""
    if source is not None and is_tarball(source):
        fetched = fetch_release(pin, cache_dir, tarball=source)
        return LibSource(fetched.lib, "tarball", fetched.pin(pin))
    if source is not None:
        return LibSource(find_lib_dir(Path(source)), "explicit", pin)
    if pin.tarball_sha256:
        cached = cached_source(pin, cache_dir)
        if cached is not None:
            return LibSource(cached.lib, "cache", cached.pin(pin))
    if pin.files:  # a local install can be verified only file by file
        if platform.python_version() == pin.version:
            return LibSource(interpreter_lib(), "interpreter", pin)
        local = local_install_lib(pin.version)
        if local is not None:
            return LibSource(local, "local-install", pin)
    if not allow_download:
        raise SourceUnavailable(pin.version, f"offline builds were asked for; running {platform.python_version()}, "
                                             "nothing cached")
    fetched = fetch_release(pin, cache_dir)
    return LibSource(fetched.lib, "download", fetched.pin(pin))


def load_corpus(
    pin: Pin,
    source: Path | str | None = None,
    *,
    allow_mismatch: bool = False,
    cache_dir: Path | None = None,
    allow_download: bool = True,
) -> Corpus:
    """Read and verify every corpus file; refuse a source that differs from the pin unless allowed.

    A file that cannot be decoded is a mismatch too (the pin hashes it, so it is part of the release).
    A folder given for a tarball-only pin cannot be verified: it needs `--allow-mismatch`.
    """
    found = resolve_lib(pin, source, cache_dir=cache_dir, allow_download=allow_download)
    origin = "shipped" if pin.files else ("derived" if found.pin.files else "none")
    pin, lib_dir = found.pin, found.lib
    files: list[SourceFile] = []
    skipped: dict[str, str] = {}
    mismatches: list[str] = []
    present = scope_files(lib_dir)
    for relative in present:
        try:
            text, digest = read_source(lib_dir / relative, relative)
        except (UnicodeDecodeError, SyntaxError, LookupError) as exc:
            skipped[relative] = f"undecodable: {exc}"
            if pin.files:
                mismatches.append(f"{relative} (undecodable)")
            continue
        if pin.files and pin.files.get(relative) != digest:
            mismatches.append(relative)
        files.append(SourceFile(relative, text, digest))
    if pin.files:
        missing = sorted(set(pin.files) - set(present))
        mismatches.extend(f"{path} (missing)" for path in missing)
    elif pin.tarball_only:
        mismatches.append(f"all files (CPython {pin.version} is a tarball-only pin and {lib_dir} is a folder; "
                          "pass the release tarball to verify it)")
    if mismatches and not allow_mismatch:
        shown = ", ".join(mismatches[:5]) + (" ..." if len(mismatches) > 5 else "")
        raise RetrievalError(
            f"{len(mismatches)} file(s) in {lib_dir} differ from the CPython {pin.version} manifest ({shown}); "
            "use the pinned release, or pass --allow-mismatch to proceed with the hashes recorded"
        )
    return Corpus(pin, lib_dir, found.kind, files, sorted(mismatches), skipped, origin)
