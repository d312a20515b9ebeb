"""Maintainer tool: write a pin's manifest (sha256 and segment token counts of every corpus file) from a release's `Lib/`."""

from __future__ import annotations

from pathlib import Path

from ..prompt import segment_text
from ..tokens import BUILTIN_TOKENIZERS, get_counter
from .lib_files import find_lib_dir, read_source, scope_hashes
from .pins import Pin


def make_pin(source: Path, *, version: str, tag: str, tarball_url: str, tarball_sha256: str, provenance: str,
             mirrors: tuple[str, ...] = ()) -> Pin:
    lib = find_lib_dir(source)
    files = scope_hashes(lib)
    return Pin(version, tag, tarball_url, tarball_sha256, files, provenance, mirrors, segment_counts(lib, files))


def segment_counts(lib: Path, files) -> dict[str, dict[str, int]]:
    """Tokens of each file's context segment under every built-in tokenizer (files that cannot be decoded: none)."""
    out: dict[str, dict[str, int]] = {name: {} for name in BUILTIN_TOKENIZERS}
    for rel in sorted(files):
        try:
            text, _ = read_source(lib / rel, rel)
        except (UnicodeDecodeError, SyntaxError, LookupError):
            continue
        for name in BUILTIN_TOKENIZERS:
            out[name][rel] = get_counter(name).count(segment_text(f"Lib/{rel}", text))
    return out
