"""Maintainer tool: write a pin's manifest (sha256 of every corpus file) from a release's `Lib/`."""

from __future__ import annotations

import hashlib
from pathlib import Path

from .corpus import find_lib_dir, scope_files
from .pins import Pin


def make_pin(source: Path, *, version: str, tag: str, tarball_url: str, tarball_sha256: str, provenance: str) -> Pin:
    lib = find_lib_dir(source)
    files = {rel: hashlib.sha256((lib / rel).read_bytes()).hexdigest() for rel in scope_files(lib)}
    return Pin(version, tag, tarball_url, tarball_sha256, files, provenance)
