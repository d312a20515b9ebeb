"""The files of a `Lib/` that make up the corpus: which paths count, their hashes, and how each is read.

The lowest layer of `sources/`: fetching, corpus loading and pin manifests all build on these, so none of them
imports another to get at them.
"""

from __future__ import annotations

import hashlib
import io
import os
import tokenize
from pathlib import Path

from ..errors import RetrievalError

#: Directory names whose files are never part of the corpus (tests, IDLE, the 2to3 grammar, third-party).
EXCLUDED_DIRS = frozenset({"test", "tests", "idlelib", "lib2to3", "site-packages", "__pycache__", "lib-dynload"})
#: Files an installed interpreter generates and a release tarball does not have.
EXCLUDED_PREFIXES = ("_sysconfigdata_",)


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


def read_source(path: Path, relative: str) -> tuple[str, str]:
    """(text, sha256): decode with the file's own encoding declaration, normalise newlines."""
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    encoding, _ = tokenize.detect_encoding(io.BytesIO(raw).readline)
    text = raw.decode(encoding)
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n"), digest


def sha256_file(path: Path) -> str:
    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()
