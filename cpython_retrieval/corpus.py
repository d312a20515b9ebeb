"""Step 1 of the pipeline: find a pinned CPython `Lib/`, select the corpus files, verify them, read them as text.

The stdlib is only ever read and parsed, never imported or executed. Files are ordered by their
path relative to `Lib/` (POSIX form, code-point order), so every later step sees the same order.
"""

from __future__ import annotations

import hashlib
import io
import os
import platform
import sysconfig
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

from .errors import RetrievalError
from .pins import Pin
from .source_fetch import SourceUnavailable, cached_source, fetch_release, is_tarball, sha256_file

#: Directory names whose files are never part of the corpus (tests, IDLE, the 2to3 grammar, third-party).
EXCLUDED_DIRS = frozenset({"test", "tests", "idlelib", "lib2to3", "site-packages", "__pycache__", "lib-dynload"})
#: Files an installed interpreter generates and a release tarball does not have.
EXCLUDED_PREFIXES = ("_sysconfigdata_",)


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


def in_scope(relative: str) -> bool:
    """Whether a path relative to `Lib/` belongs to the corpus (pure-Python, non-test stdlib)."""
    parts = relative.split("/")
    if not parts[-1].endswith(".py"):
        return False
    if any(part in EXCLUDED_DIRS for part in parts[:-1]):
        return False
    if parts[0].startswith("config-") and len(parts) > 1:
        return False
    return not parts[-1].startswith(EXCLUDED_PREFIXES)


def scope_files(lib_dir: Path) -> list[str]:
    """Corpus paths under `lib_dir`, sorted (excluded directories are pruned, not walked)."""
    found = []
    for directory, subdirs, files in os.walk(lib_dir):
        subdirs[:] = [d for d in subdirs if d not in EXCLUDED_DIRS]
        base = Path(directory).relative_to(lib_dir).as_posix()
        for name in files:
            relative = name if base == "." else f"{base}/{name}"
            if in_scope(relative) and os.path.isfile(os.path.join(directory, name)):
                found.append(relative)
    return sorted(found)


def scope_hashes(lib_dir: Path) -> dict[str, str]:
    """sha256 of every corpus file under `lib_dir`, by path relative to it, in `scope_files` order."""
    return {relative: sha256_file(lib_dir / relative) for relative in scope_files(lib_dir)}


def find_lib_dir(source: Path) -> Path:
    """Accept a CPython checkout, an extracted release tarball, or a `Lib/` directory itself."""
    source = source.expanduser()
    for candidate in (source / "Lib", source):
        if (candidate / "os.py").is_file() and (candidate / "collections").is_dir():
            return candidate
    raise RetrievalError(
        f"--source {source} is not a CPython checkout, release folder or Lib/ directory (no os.py found in it or in its Lib/)"
    )


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


def read_source(path: Path, relative: str) -> tuple[str, str]:
    """(text, sha256): decode with the file's own encoding declaration, normalise newlines."""
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    text = raw.decode(encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n"), digest


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
