"""Parse file texts into `source_facts.FileFacts`, with a newer interpreter for syntax this one cannot read.

The checker runs on Python 3.11, while a 3.13 `Lib/` holds PEP 701 f-strings that 3.11's `ast` rejects. Such a
file is handed to `source_facts.py` run as a script by the oldest newer interpreter found (`python3.N` on PATH or a
pyenv version) that parses it, so every file is read by plain `ast` of some CPython, never guessed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from . import source_facts
from .source_facts import FileFacts

SCRIPT = Path(source_facts.__file__)


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _version_of(exe: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run([exe, "-c", "import sys; print(*sys.version_info[:2])"], capture_output=True,
                             text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    try:
        major, minor = out.stdout.split()
        return int(major), int(minor)
    except ValueError:
        return None


def newer_pythons() -> list[tuple[tuple[int, int], str]]:
    """Interpreters newer than this one, oldest first: `python3.N` on PATH, then pyenv versions."""
    here = sys.version_info[:2]
    found: dict[tuple[int, int], str] = {}
    paths = [shutil.which(f"python3.{minor}") for minor in range(here[1] + 1, 40)]
    pyenv_root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    paths += sorted(str(p) for p in pyenv_root.glob("versions/*/bin/python3"))
    for exe in paths:
        if not exe:
            continue
        version = _version_of(exe)
        if version and version > here and version not in found:
            found[version] = exe
    return sorted(found.items())


class Parser:
    """Caches facts by the sha256 of a file's text; records which interpreter read each file it could not."""

    def __init__(self, extra_pythons: list[str] | None = None):
        self._cache: dict[str, FileFacts | str] = {}
        self._extra = list(extra_pythons or [])
        self._newer: list[tuple[tuple[int, int], str]] | None = None
        self.read_elsewhere: dict[str, str] = {}  # sha -> "python 3.13.0"

    def _interpreters(self) -> list[str]:
        if self._newer is None:
            self._newer = newer_pythons()
        return self._extra + [exe for _, exe in self._newer]

    def parse_all(self, texts: list[str]) -> None:
        pending: dict[str, str] = {}
        for text in texts:
            key = sha(text)
            if key in self._cache or key in pending:
                continue
            try:
                self._cache[key] = source_facts.file_facts(text)
            except SyntaxError as exc:
                pending[key] = text
                self._cache[key] = f"{type(exc).__name__} under Python {sys.version.split()[0]}: {exc}"
        for exe in self._interpreters() if pending else []:
            keys = list(pending)
            out = subprocess.run([exe, str(SCRIPT)], input=json.dumps({"texts": [pending[k] for k in keys]}),
                                 capture_output=True, text=True, timeout=600)
            if out.returncode != 0:
                continue
            reply = json.loads(out.stdout)
            for key, answer in zip(keys, reply["answers"], strict=True):
                if "facts" in answer:
                    self._cache[key] = source_facts.from_json(answer["facts"])
                    self.read_elsewhere[key] = f"python {reply['python']}"
                    del pending[key]
            if not pending:
                break

    def facts(self, text: str) -> FileFacts | str:
        """The file's facts, or one line saying why no interpreter found here could parse it."""
        key = sha(text)
        if key not in self._cache:
            self.parse_all([text])
        found = self._cache[key]
        if isinstance(found, str) and not self._interpreters():
            return found + " (no newer Python found: pass --parser-python PATH)"
        return found
